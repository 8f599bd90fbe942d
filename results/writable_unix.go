//go:build unix

package results

import "golang.org/x/sys/unix"

// writable checks write permission on an existing FIFO or device without
// opening it: opening a FIFO would wait for a reader.
func writable(path string) error { return unix.Access(path, unix.W_OK) }
