package bench

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// Phase is the part of a run an interval belongs to.
type Phase string

// The phases of a run, in order.
const (
	PhaseWarmup  Phase = "warmup"
	PhaseMeasure Phase = "measure"
	PhaseDrain   Phase = "drain"
)

// Phases lists the phases of a run in order.
func Phases() []Phase { return []Phase{PhaseWarmup, PhaseMeasure, PhaseDrain} }

// Output receives a run's events as they happen: a progress display, a
// metrics endpoint. The run calls an Output while it goes on and never
// after Run returns.
//
// Phase and Interval are called from the run's one collector goroutine, in
// order; Fault and Log from other goroutines, possibly at the same time as
// each other and as Phase and Interval. Every method must be quick: the
// collector's next interval, or a fault's timing, waits for it.
type Output interface {
	// Phase says the run entered phase p; it is called before the
	// phase's first interval.
	Phase(p Phase)
	// Interval gives the figures of an interval as the collector closes
	// it. iv and what it points to (histograms, maps) are valid only
	// during the call: copy what is kept.
	Interval(iv *Interval)
	// Fault gives a fault event (injected or recovered) as it happens.
	Fault(ev results.Fault)
	// Log gives a line of the run's log (no trailing newline): setup,
	// phases, fault events, problems worth telling.
	Log(line string)
}

// Interval is one interval of a run as its collector closed it: the
// result's record of it, the run's totals so far, and its histograms.
type Interval struct {
	results.Interval
	// Elapsed is the interval's end, from the run's start.
	Elapsed time.Duration
	// TotalAcked and TotalConsumed count the messages acknowledged and
	// consumed since the run's start.
	TotalAcked, TotalConsumed int64
	// Publish, E2E and SendLag are the interval's latencies in
	// microseconds (SendLag empty unless the run is paced).
	Publish, E2E, SendLag *hdrhistogram.Histogram
}

// fanout is the run's outputs as one.
type fanout []Output

var _ Output = fanout(nil)

func (f fanout) Phase(p Phase) {
	for _, o := range f {
		o.Phase(p)
	}
}

func (f fanout) Interval(iv *Interval) {
	for _, o := range f {
		o.Interval(iv)
	}
}

func (f fanout) Fault(ev results.Fault) {
	for _, o := range f {
		o.Fault(ev)
	}
}

func (f fanout) Log(line string) {
	for _, o := range f {
		o.Log(line)
	}
}
