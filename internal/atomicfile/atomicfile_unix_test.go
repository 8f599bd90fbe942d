//go:build unix

package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// A FIFO nobody reads fails after readerWait instead of hanging the
// writer (and the run whose result it is) forever.
func TestWriteFIFOWithoutReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	start := time.Now()
	err := Write(path, []byte("nobody reads this\n"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "no reader") {
		t.Errorf("Write = %v, want no reader", err)
	}
	if took := time.Since(start); took > readerWait+time.Second {
		t.Errorf("Write took %s, want at most %s", took, readerWait)
	}
}

// "-" and /dev/stdout are standard output, even when it is redirected to a
// regular file (which /dev/stdout then resolves to).
func TestWriteStdout(t *testing.T) {
	for _, path := range []string{"-", "/dev/stdout"} {
		t.Run(path, func(t *testing.T) {
			redirected := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(redirected)
			if err != nil {
				t.Fatal(err)
			}
			old := os.Stdout
			os.Stdout = f
			err = Write(path, []byte("to stdout\n"), 0o644)
			os.Stdout = old
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(redirected); string(got) != "to stdout\n" {
				t.Errorf("stdout got %q", got)
			}
			if _, err := os.Stat("-"); err == nil {
				t.Error("a file named - was written")
			}
		})
	}
}
