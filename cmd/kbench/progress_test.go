package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/workload"
)

// On a terminal, a fault event is printed above the bar, not hidden by it.
func TestProgressBarShowsLogLines(t *testing.T) {
	var tty bytes.Buffer
	p := newBar(&workload.Workload{Name: "w", Duration: workload.Duration(10 * time.Second)}, &tty)
	p.update(bench.Progress{Phase: "measure", Elapsed: 2 * time.Second})
	if _, err := p.log().Write([]byte("fault at 4.0s: kill broker 1 (leader:0/0)\n")); err != nil {
		t.Fatal(err)
	}
	p.update(bench.Progress{Phase: "measure", Elapsed: 3 * time.Second})
	p.finish()
	if !strings.Contains(tty.String(), "fault at 4.0s: kill broker 1 (leader:0/0)\n") {
		t.Errorf("the fault event is not on the terminal:\n%q", tty.String())
	}
}
