// Package progress shows a run's progress to the person or the CI job
// watching it: a Bar on a terminal, with the run's log lines printed above
// it, or Lines, a plain line every few seconds and at each phase, for logs
// that are read later (CI, kubectl logs).
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// LinesEvery is how often Lines prints a line within a phase, as
// kafka-producer-perf-test does.
const LinesEvery = 5 * time.Second

// Bar draws a run's progress as a bar on a terminal, with the interval's
// rate and p99 latency, and the run's log lines (fault events among them)
// printed above it. Its methods are safe to call from several goroutines.
type Bar struct {
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	tty     io.Writer
	byCount bool // the bar counts acknowledged messages, not seconds
	phase   bench.Phase
}

var _ bench.Output = (*Bar)(nil)

// NewBar draws the bar of a run of w on tty. It fills over the run's
// warm-up and measurement, or, for a run bounded by a message count alone
// (or unpaced with one), as messages are acknowledged.
func NewBar(tty io.Writer, w *workload.Workload) *Bar {
	planned := (w.Warmup.D() + w.Duration.D()).Seconds()
	max := int64(planned)
	byCount := w.Messages > 0 && (planned == 0 || w.ProducerRate == 0)
	if byCount {
		max = w.Messages
	}
	return &Bar{tty: tty, byCount: byCount, bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(tty),
		progressbar.OptionSetDescription(w.Name),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// Phase keeps the phase for the bar's description.
func (b *Bar) Phase(p bench.Phase) {
	b.mu.Lock()
	b.phase = p
	b.mu.Unlock()
}

// Interval moves the bar on and shows the interval's rate and p99.
func (b *Bar) Interval(iv *bench.Interval) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p99 := "     -   " // nothing acknowledged: no latency to show
	if iv.Acked > 0 {
		p99 = fmt.Sprintf("%6.1f ms", iv.PublishP99Ms)
	}
	b.bar.Describe(fmt.Sprintf("%-7s %8.0f msgs/s p99 %s", b.phase, float64(iv.Acked)/(iv.End-iv.Start), p99))
	if b.byCount {
		_ = b.bar.Set64(min(iv.TotalAcked, b.bar.GetMax64()))
	} else {
		_ = b.bar.Set64(min(int64(iv.Elapsed.Seconds()), b.bar.GetMax64()))
	}
}

// Fault does nothing: the run logs each fault event, and Log prints it.
func (b *Bar) Fault(results.Fault) {}

// Log clears the bar, prints line, and draws the bar again below it.
func (b *Bar) Log(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Clear()
	fmt.Fprintln(b.tty, line)
	_ = b.bar.RenderBlank()
}

// Finish completes the bar and clears it; call it once the run is over.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.bar.Finish()
}

// Lines prints a run's progress as plain lines, one every LinesEvery and
// one at each phase, and the run's log lines between them. Its methods are
// safe to call from several goroutines.
type Lines struct {
	mu    sync.Mutex
	out   io.Writer
	phase bench.Phase

	// Since the last line.
	lastAt    time.Duration
	lastAcked int64
	worstP99  float64
	lastPhase bench.Phase
}

var _ bench.Output = (*Lines)(nil)

// NewLines prints to out.
func NewLines(out io.Writer) *Lines { return &Lines{out: out} }

// Phase keeps the phase; the phase's first interval prints a line.
func (l *Lines) Phase(p bench.Phase) {
	l.mu.Lock()
	l.phase = p
	l.mu.Unlock()
}

// Interval prints a line when LinesEvery has passed since the last, or the
// phase has changed.
func (l *Lines) Interval(iv *bench.Interval) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.worstP99 = max(l.worstP99, iv.PublishP99Ms)
	span := iv.Elapsed - l.lastAt
	if span <= 0 || span < LinesEvery && l.phase == l.lastPhase {
		return
	}
	// A rate over a sliver of time (a phase that just changed) would be
	// noise: a few acks over milliseconds.
	rate := "       -"
	if span >= time.Second {
		rate = fmt.Sprintf("%8.0f", float64(iv.TotalAcked-l.lastAcked)/span.Seconds())
	}
	fmt.Fprintf(l.out, "%-7s %6.1fs  %s msgs/s  worst 1s p99 %.1f ms  acked %d  consumed %d\n",
		l.phase, iv.Elapsed.Seconds(), rate, l.worstP99, iv.TotalAcked, iv.TotalConsumed)
	l.lastAt, l.lastAcked, l.worstP99, l.lastPhase = iv.Elapsed, iv.TotalAcked, 0, l.phase
}

// Fault does nothing: the run logs each fault event, and Log prints it.
func (l *Lines) Fault(results.Fault) {}

// Log prints line.
func (l *Lines) Log(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.out, line)
}
