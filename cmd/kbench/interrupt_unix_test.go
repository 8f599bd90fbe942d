//go:build unix

package main

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

// SIGTERM in the middle of a run at a rate nobody reaches ends it within
// about 2 s with its result written, marked incomplete (issue 20 item 7).
func TestSIGTERMWritesResult(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	signalled := make(chan time.Time, 1)
	go func() {
		// realMain listens for signals from its first moment; by 4 s the
		// run is producing.
		time.Sleep(4 * time.Second)
		signalled <- time.Now()
		_ = syscall.Kill(syscall.Getpid(), syscall.SIGTERM)
	}()
	code, _, _ := kbench(t, "run", "--cluster", "embedded", "--rate", "1e9", "--duration", "60s", "-o", out)
	took := time.Since(<-signalled)
	if code != exitInterrupted {
		t.Errorf("exit code %d, want %d", code, exitInterrupted)
	}
	// 2 s, and a little for a loaded machine's scheduling.
	if took > 3*time.Second {
		t.Errorf("kbench returned %s after SIGTERM, want about 2 s at most", took)
	}
	t.Logf("returned %s after SIGTERM", took)
	r, err := results.Read(out)
	if err != nil {
		t.Fatalf("no result after SIGTERM: %v", err)
	}
	if r.Complete {
		t.Error("result complete after SIGTERM, want complete: false")
	}
}
