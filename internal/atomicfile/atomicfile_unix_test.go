//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	read := make(chan string)
	go func() {
		b, err := os.ReadFile(path) // blocks until the writer opens and closes
		if err != nil {
			t.Error(err)
		}
		read <- string(b)
	}()
	if err := Write(path, []byte("through the pipe\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := <-read; got != "through the pipe\n" {
		t.Errorf("reader got %q", got)
	}
	if fi, err := os.Lstat(path); err != nil {
		t.Error(err)
	} else if fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced by a %v", fi.Mode())
	}
}
