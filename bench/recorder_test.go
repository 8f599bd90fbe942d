package bench

import (
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

// A latency beyond the histograms' range is counted as dropped, not lost
// without a trace, and the counts still say how many were acknowledged.
func TestRecorderCountsDroppedSamples(t *testing.T) {
	r := newRecorder(time.Hour, true)
	r.mu.Lock()
	r.record((10 * time.Millisecond).Microseconds(), 100, false)
	r.record((2 * time.Hour).Microseconds(), 100, false)
	r.record((3 * time.Hour).Microseconds(), 100, true)
	r.mu.Unlock()
	h := intervalHists{lat: results.NewHist(), latSum: results.NewHist(), lag: results.NewHist(), lagSum: results.NewHist()}
	var s snapshot
	s.errKinds = map[string]int64{}
	r.take(h, &s)
	if s.dropped != 2 || s.acked != 3 || s.measAcked != 2 {
		t.Errorf("dropped %d, acked %d, measured %d; want 2, 3, 2", s.dropped, s.acked, s.measAcked)
	}
	if h.latSum.TotalCount() != 1 || h.lat.TotalCount() != 1 {
		t.Errorf("histograms hold %d (summary) and %d (interval) values, want 1 each", h.latSum.TotalCount(), h.lat.TotalCount())
	}
	// A run planned for 3 h sizes its histograms to hold it.
	r = newRecorder(3*time.Hour+time.Minute, false)
	r.mu.Lock()
	r.record((3 * time.Hour).Microseconds(), 100, false)
	r.mu.Unlock()
	if r.dropped != 0 {
		t.Errorf("a 3 h latency was dropped from histograms sized for the run")
	}
}

// The set holds what was set across chunk boundaries, has room for what
// the run planned without growing, and a clone does not follow later sets.
func TestBitset(t *testing.T) {
	b := newBitset(200_000)
	chunks := len(b.chunks)
	for _, i := range []uint64{0, 63, 64, 65535, 65536, 199_999} {
		if b.set(i) {
			t.Errorf("%d was set before", i)
		}
		if !b.set(i) || !b.has(i) {
			t.Errorf("%d not held after set", i)
		}
	}
	if len(b.chunks) != chunks {
		t.Errorf("grew from %d to %d chunks within the planned count", chunks, len(b.chunks))
	}
	c := b.clone()
	b.set(1)
	b.set(10_000_000)
	if c.has(1) || c.has(10_000_000) || !c.has(65536) {
		t.Error("the clone follows later sets or lost one")
	}
	if !b.has(10_000_000) || b.has(10_000_001) || b.has(1<<40) {
		t.Error("set beyond the plan: wrong membership")
	}
}
