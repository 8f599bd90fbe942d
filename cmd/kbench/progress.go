package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/workload"
)

// plainEvery is how often progress is printed as a plain line when stderr
// is not a terminal (CI, kubectl logs), as kafka-producer-perf-test does.
const plainEvery = 5 * time.Second

// progress shows a run's progress on stderr: a bar on a terminal, with
// log lines (fault events among them) printed above it; elsewhere a plain
// line every plainEvery. The run calls update and the log from different
// goroutines.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	tty io.Writer // the terminal the bar is drawn on
	out io.Writer // plain lines; nil when quiet or on a terminal

	// Since the last plain line.
	lastAt    time.Duration
	lastAcked int64
	worstP99  float64
	lastPhase string
}

func newProgress(w *workload.Workload, quiet bool, log io.Writer) *progress {
	if quiet {
		return &progress{}
	}
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return &progress{out: log}
	}
	return newBar(w, os.Stderr)
}

// newBar draws the bar on tty.
func newBar(w *workload.Workload, tty io.Writer) *progress {
	planned := (w.Warmup.D() + w.Duration.D()).Seconds()
	max := int64(planned)
	if w.Messages > 0 && (planned == 0 || w.ProducerRate == 0) {
		max = w.Messages
	}
	return &progress{tty: tty, bar: progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(tty),
		progressbar.OptionSetDescription(w.Name),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// log returns where the run's log lines go: above the bar, to the plain
// output, or nowhere when quiet.
func (p *progress) log() io.Writer {
	switch {
	case p.bar != nil:
		return aboveBar{p}
	case p.out != nil:
		return p.out
	}
	return nil
}

// aboveBar clears the bar, writes a log line, and draws the bar again.
type aboveBar struct{ p *progress }

func (a aboveBar) Write(b []byte) (int, error) {
	a.p.mu.Lock()
	defer a.p.mu.Unlock()
	_ = a.p.bar.Clear()
	n, err := a.p.tty.Write(b)
	_ = a.p.bar.RenderBlank()
	return n, err
}

func (p *progress) update(s bench.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	iv := s.Interval
	if p.bar != nil {
		p99 := "     -   " // nothing acknowledged: no latency to show
		if iv.Acked > 0 {
			p99 = fmt.Sprintf("%6.1f ms", iv.PublishP99Ms)
		}
		p.bar.Describe(fmt.Sprintf("%-7s %8.0f msgs/s p99 %s", s.Phase, float64(iv.Acked)/(iv.End-iv.Start), p99))
		if p.bar.GetMax64() == s.PlannedMessages && s.PlannedMessages > 0 {
			_ = p.bar.Set64(min(s.Acked, s.PlannedMessages))
		} else {
			_ = p.bar.Set64(min(int64(s.Elapsed.Seconds()), p.bar.GetMax64()))
		}
		return
	}
	if p.out == nil {
		return
	}
	p.worstP99 = max(p.worstP99, iv.PublishP99Ms)
	span := s.Elapsed - p.lastAt
	if span <= 0 || span < plainEvery && s.Phase == p.lastPhase {
		return
	}
	// A rate over a sliver of time (a phase that just changed) would be
	// noise: a few acks over milliseconds.
	rate := "       -"
	if span >= time.Second {
		rate = fmt.Sprintf("%8.0f", float64(s.Acked-p.lastAcked)/span.Seconds())
	}
	fmt.Fprintf(p.out, "%-7s %6.1fs  %s msgs/s  worst 1s p99 %.1f ms  acked %d  consumed %d\n",
		s.Phase, s.Elapsed.Seconds(), rate, p.worstP99, s.Acked, s.Consumed)
	p.lastAt, p.lastAcked, p.worstP99, p.lastPhase = s.Elapsed, s.Acked, 0, s.Phase
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
