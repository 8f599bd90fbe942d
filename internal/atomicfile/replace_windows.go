package atomicfile

import (
	"os"

	"github.com/google/renameio/v2/maybe"
)

// replaceFile writes path in place: Windows has no atomic rename over an
// existing file.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	return maybe.WriteFile(path, data, perm)
}

// openInPlace opens path, an existing device, for writing (Windows has no
// FIFOs to wait on).
func openInPlace(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
}
