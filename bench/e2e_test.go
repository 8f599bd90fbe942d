package bench

import (
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

// A negative end-to-end latency (the consumer's clock behind the
// producer's) counts as 1 µs in the histogram, and is counted, so the
// summary can report the skew it shows.
func TestNegativeLatencyCounted(t *testing.T) {
	r := newRecorder(time.Hour, false)
	r.record(-250, 100, false)
	r.record(400, 100, false)
	h := intervalHists{lat: results.NewHist(), latSum: results.NewHist()}
	var s snapshot
	r.take(h, &s)
	if s.negative != 1 || h.latSum.Min() != 1 || h.latSum.TotalCount() != 2 {
		t.Errorf("negative %d, min %d µs of %d; want 1 negative recorded as 1 µs of 2", s.negative, h.latSum.Min(), h.latSum.TotalCount())
	}
	var total snapshot
	total.add(s)
	if total.negative != 1 {
		t.Errorf("totals: %d negative, want 1", total.negative)
	}
}
