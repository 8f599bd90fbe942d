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
