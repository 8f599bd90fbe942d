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
