package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Write stores run as indented JSON at path (see WriteFileAtomic).
func Write(path string, run *Run) error {
	if run.Schema == "" {
		run.Schema = Schema
	}
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o644)
}

// WriteFileAtomic writes data to path, creating its directory, through a
// temporary file in that directory that is synced and renamed over path, so
// path never holds half a file even if kbench dies while writing (Windows
// cannot rename atomically: there it writes in place). perm is
// masked by the umask, and an existing file keeps its permissions. A
// destination that exists and is not a regular file (a FIFO, a device such
// as /dev/stdout) cannot be renamed over, so it is written in place; a
// directory is an error.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
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

func writeInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
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

// Read loads a result file, refusing one of another schema.
func Read(path string) (*Run, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(data, path)
}

// Decode parses a result document, refusing one of another schema and
// filling the Shape of one older than v1.2; name is used in errors.
func Decode(data []byte, name string) (*Run, error) {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%s: not a kbench result: %w", name, err)
	}
	// A minor version adds fields only, so every v1.x is read.
	if head.Schema != schemaV1 && !strings.HasPrefix(head.Schema, schemaV1+".") {
		if strings.HasPrefix(head.Schema, "kbench.result/") {
			return nil, fmt.Errorf("%s: result schema %q, this kbench reads %q: use a matching kbench version", name, head.Schema, Schema)
		}
		return nil, fmt.Errorf("%s: not a kbench result (schema %q, want %q)", name, head.Schema, Schema)
	}
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := fillShape(&run); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &run, nil
}
