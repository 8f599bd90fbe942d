//go:build !windows

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/renameio/v2"
)

// replaceFile writes a temporary file beside path, syncs it and renames it
// over path.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	return renameio.WriteFile(path, data, perm, renameio.WithTempDir(filepath.Dir(path)))
}

// readerWait bounds how long writing to a FIFO waits for a reader.
const readerWait = 5 * time.Second

// openInPlace opens path, an existing FIFO or device, for writing. Opening
// a FIFO blocks until a reader comes, perhaps never; opened non-blocking
// it fails at once instead (ENXIO), so it is tried again until a reader
// comes, for at most readerWait. Go's poller then makes the writes wait
// for the reader as needed.
func openInPlace(path string) (*os.File, error) {
	deadline := time.Now().Add(readerWait)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|syscall.O_NONBLOCK, 0)
		if !errors.Is(err, syscall.ENXIO) {
			return f, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no reader opened the FIFO within %s: %w", readerWait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
