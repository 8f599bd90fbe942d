package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// interval is a 1 s interval ending at end with acked messages, and the
// run's totals so far.
func interval(end time.Duration, acked, total int64) *bench.Interval {
	return &bench.Interval{
		Interval: results.Interval{Start: end.Seconds() - 1, End: end.Seconds(), Acked: acked, PublishP99Ms: 2.5},
		Elapsed:  end, TotalAcked: total, TotalConsumed: total,
	}
}

// On a terminal, a fault event is printed above the bar, not hidden by it.
func TestBarShowsLogLines(t *testing.T) {
	var tty bytes.Buffer
	b := NewBar(&tty, &workload.Workload{Name: "w", Duration: workload.Duration(10 * time.Second)})
	b.Phase(bench.PhaseMeasure)
	b.Interval(interval(2*time.Second, 100, 200))
	b.Log("fault at 4.0s: kill broker 1 (leader:0/0)")
	b.Interval(interval(3*time.Second, 100, 300))
	b.Finish()
	if !strings.Contains(tty.String(), "fault at 4.0s: kill broker 1 (leader:0/0)\n") {
		t.Errorf("the fault event is not on the terminal:\n%q", tty.String())
	}
}

// Lines prints at each phase's first interval and then every LinesEvery,
// with the rate since the last line; log lines go between.
func TestLinesEveryFiveSecondsAndEachPhase(t *testing.T) {
	var out bytes.Buffer
	l := NewLines(&out)
	l.Phase(bench.PhaseWarmup)
	l.Interval(interval(time.Second, 100, 100)) // first of warm-up: a line
	l.Phase(bench.PhaseMeasure)
	total := int64(100)
	for s := 2; s <= 12; s++ {
		total += 200
		l.Interval(interval(time.Duration(s)*time.Second, 200, total)) // lines at 2 s (phase) and 7 s, 12 s
		if s == 4 {
			l.Log("fault at 4.0s: kill broker 1 (leader:0/0)")
		}
	}
	l.Phase(bench.PhaseDrain)
	l.Interval(interval(12*time.Second+300*time.Millisecond, 0, total)) // a sliver: no rate
	want := "" +
		"warmup     1.0s       100 msgs/s  worst 1s p99 2.5 ms  acked 100  consumed 100\n" +
		"measure    2.0s       200 msgs/s  worst 1s p99 2.5 ms  acked 300  consumed 300\n" +
		"fault at 4.0s: kill broker 1 (leader:0/0)\n" +
		"measure    7.0s       200 msgs/s  worst 1s p99 2.5 ms  acked 1300  consumed 1300\n" +
		"measure   12.0s       200 msgs/s  worst 1s p99 2.5 ms  acked 2300  consumed 2300\n" +
		"drain     12.3s         - msgs/s  worst 1s p99 2.5 ms  acked 2300  consumed 2300\n"
	if out.String() != want {
		t.Errorf("lines:\n%s\nwant:\n%s", out.String(), want)
	}
}
