//go:build !unix

package telemetry

import "io/fs"

// diskBytes is fi's size: its allocated blocks are not at hand here.
func diskBytes(fi fs.FileInfo) int64 { return fi.Size() }
