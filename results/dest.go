package results

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kbench/kbench/internal/atomicfile"
)

// Destination resolves where a result goes before the run starts, so a
// bad destination costs no run. path is what the user named ("" for
// nothing): "" means name in dir; an existing directory, or a path ending
// in a separator, means name inside it. An existing regular file is
// refused with an error wrapping fs.ErrExist unless overwrite is set; a
// FIFO or device is kept and written in place (inPlace), and so is
// standard output ("-" or /dev/stdout, returned as atomicfile.Stdout).
// The file's directory is created and must be writable.
func Destination(path, dir, name string, overwrite bool) (dest string, inPlace bool, err error) {
	switch {
	case atomicfile.IsStdout(path):
		if err := writableFile(os.Stdout); err != nil {
			return "", false, fmt.Errorf("stdout: cannot write there: %w", err)
		}
		return atomicfile.Stdout, true, nil
	case path == "":
		path = filepath.Join(dir, name)
	case strings.HasSuffix(path, string(filepath.Separator)) || strings.HasSuffix(path, "/"):
		path = filepath.Join(path, name)
	default:
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			path = filepath.Join(path, name)
		}
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.Mode().IsRegular():
		if !overwrite {
			return "", false, fmt.Errorf("%s: %w; a result is never replaced unless asked", path, fs.ErrExist)
		}
	case err == nil && !fi.IsDir():
		if err := writable(path); err != nil {
			return "", false, fmt.Errorf("%s: cannot write there: %w", path, err)
		}
		return path, true, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", false, err
	}
	if err := checkDir(filepath.Dir(path)); err != nil {
		return "", false, fmt.Errorf("%s: cannot write results there: %w", path, err)
	}
	return path, false, nil
}

// checkDir creates dir and proves a file can be made in it.
func checkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".kbench-check-*")
	if err != nil {
		return err
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// FileName makes a file name from parts joined by "-": only letters,
// digits, '.', '_' and '-' are kept, any other run of characters (a
// slash, spaces, as in OpenMessaging Benchmark's workload names) becomes
// one '-', and each part is at most 60 bytes long.
func FileName(parts ...string) string {
	var out []string
	for _, p := range parts {
		var b strings.Builder
		dash := false
		for _, c := range p {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
			if !ok {
				dash = true
				continue
			}
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
		}
		s := strings.Trim(b.String(), ".-")
		if len(s) > 60 {
			s = s[:60]
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "-")
}
