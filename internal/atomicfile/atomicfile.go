// Package atomicfile writes files so that a reader never sees half of
// one, with renameio's synced temporary file and rename.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to path, creating its directory, through a
// temporary file in that directory that is synced and renamed over path, so
// path never holds half a file even if kbench dies while writing (Windows
// cannot rename atomically: there it writes in place). perm is
// masked by the umask, and an existing file keeps its permissions. A
// destination that exists and is not a regular file (a FIFO, a device such
// as /dev/stdout) cannot be renamed over, so it is written in place; a
// directory is an error. A FIFO waits at most readerWait for a reader.
// Stdout, however named (see IsStdout), is standard output.
func Write(path string, data []byte, perm os.FileMode) error {
	if IsStdout(path) {
		if _, err := os.Stdout.Write(data); err != nil {
			return fmt.Errorf("write to stdout: %w", err)
		}
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("write %s: is a directory, name a file", path)
	case err == nil && !fi.Mode().IsRegular():
		return writeInPlace(path, data)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := replaceFile(path, data, perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Stdout is the path that names standard output, the Unix habit.
const Stdout = "-"

// IsStdout says whether path names standard output: Stdout or
// /dev/stdout. /dev/stdout is taken as a name, not opened: when standard
// output is redirected to a file it resolves to that file, which must be
// written through, not replaced.
func IsStdout(path string) bool {
	return path == Stdout || path == "/dev/stdout"
}

func writeInPlace(path string, data []byte) error {
	f, err := openInPlace(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
