package bench

import (
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
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

// A shift handed to the run (setAhead, as the coordinator does while it
// follows the clocks) applies to every message read after it: producer
// 1's clock 30 ms behind this process's, then 40 ms, and each message
// read 5 ms after it was sent by the truth.
func TestAheadUpdateApplied(t *testing.T) {
	w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, ProducersPerTopic: 2}
	r := &run{w: w}
	c := &consumer{r: r, rec: newRecorder(time.Hour, false), v: newVerifier(1, []uint64{0, 0}), topics: map[string]int{"t": 0}}
	var offset int64
	read := func(behind time.Duration) time.Duration {
		v := make([]byte, stampSize)
		// Sent 5 ms ago by the truth, stamped by a clock behind ours.
		stamp{Producer: 1, Seq: uint64(offset), SentNano: stampNow() - int64(5*time.Millisecond) - int64(behind)}.Put(v)
		c.receive(&drivers.Message{Topic: "t", Offset: offset, Value: v})
		offset++
		h := intervalHists{lat: results.NewHist(), latSum: results.NewHist()}
		var s snapshot
		c.rec.take(h, &s)
		return time.Duration(h.lat.Max()) * time.Microsecond
	}
	r.setAhead([]time.Duration{0, 30 * time.Millisecond})
	if got := read(30 * time.Millisecond); got < 5*time.Millisecond || got > 6*time.Millisecond {
		t.Errorf("end-to-end %v under the first shift, want 5ms", got)
	}
	// The producer's clock lost 10 ms more: measured again, applied.
	r.setAhead([]time.Duration{0, 40 * time.Millisecond})
	if got := read(40 * time.Millisecond); got < 5*time.Millisecond || got > 6*time.Millisecond {
		t.Errorf("end-to-end %v after the update, want 5ms (15ms under the old shift)", got)
	}
}
