//go:build unix

package telemetry

import (
	"io/fs"
	"syscall"
)

// diskBytes is what fi takes on disk: its allocated blocks, as du counts
// them (Kafka preallocates its index files sparse).
func diskBytes(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512 //nolint:unconvert // Stat_t.Blocks is not int64 on every platform
	}
	return fi.Size()
}
