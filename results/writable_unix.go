//go:build unix

package results

import (
	"os"

	"golang.org/x/sys/unix"
)

// writable checks that an existing FIFO or device can be written. A FIFO
// is checked by permission alone: opening it would wait for a reader. A
// character device is opened and written zero bytes, which a device that
// refuses every write (/dev/full) refuses too.
func writable(path string) error {
	if err := unix.Access(path, unix.W_OK); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return writableFile(f)
}

// writableFile writes f zero bytes, which reports a file that cannot be
// written (standard output on /dev/full) and changes nothing.
func writableFile(f *os.File) error {
	_, err := unix.Write(int(f.Fd()), nil)
	return err
}
