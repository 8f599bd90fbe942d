package bench

import (
	"sync"
	"sync/atomic"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// ackResolution is the grain of the acknowledgement timeline from which
// failover gaps are measured.
const ackResolution = 10e6 // 10 ms, in nanoseconds

// recorder holds one producer's or consumer's measurements for the current
// interval. The goroutine that sends counts into the atomics; completion
// callbacks, which run on client goroutines, record under mu. The collector
// swaps the histograms out once per interval, so nothing is ever merged on
// the per-message path.
type recorder struct {
	sent atomic.Int64
	late atomic.Int64

	mu sync.Mutex
	// lat holds publish (or end-to-end) latencies in µs of messages meant
	// to be sent after the warm-up; warmLat those of warm-up messages,
	// which count in the timeline but not in the summary.
	lat, warmLat *hdrhistogram.Histogram
	acked        int64 // acknowledged, or consumed for a consumer
	ackedBytes   int64
	// measAcked and measBytes count the acknowledged messages meant to be
	// sent after the warm-up.
	measAcked, measBytes int64
	errors               int64
	errKinds             map[string]int64
	ackTimes             ackTimeline
}

func newRecorder() *recorder {
	return &recorder{lat: results.NewHist(), warmLat: results.NewHist(), errKinds: map[string]int64{}}
}

// snapshot is what the collector takes from a recorder at the end of an
// interval.
type snapshot struct {
	sent, late, acked, ackedBytes, errors int64
	measAcked, measBytes                  int64
	errKinds                              map[string]int64
}

// take moves the recorder's interval figures into s, and its latencies into
// interval and, for messages after the warm-up, into summary (by merging
// then resetting, so the recorder keeps its own histograms).
func (r *recorder) take(interval, summary *hdrhistogram.Histogram, s *snapshot) {
	s.sent += r.sent.Swap(0)
	s.late += r.late.Swap(0)
	r.mu.Lock()
	results.MergeHist(interval, r.lat)
	results.MergeHist(interval, r.warmLat)
	results.MergeHist(summary, r.lat)
	r.lat.Reset()
	r.warmLat.Reset()
	s.acked += r.acked
	s.ackedBytes += r.ackedBytes
	s.measAcked += r.measAcked
	s.measBytes += r.measBytes
	s.errors += r.errors
	for k, n := range r.errKinds {
		s.errKinds[k] += n
		delete(r.errKinds, k)
	}
	r.acked, r.ackedBytes, r.measAcked, r.measBytes, r.errors = 0, 0, 0, 0, 0
	r.mu.Unlock()
}

// record counts one acknowledged (or consumed) message of size bytes with
// latency us; warm marks a message meant for the warm-up. Call with mu held.
func (r *recorder) record(us int64, size int, warm bool) {
	r.acked++
	r.ackedBytes += int64(size)
	if warm {
		_ = r.warmLat.RecordValue(max(us, 1))
		return
	}
	_ = r.lat.RecordValue(max(us, 1))
	r.measAcked++
	r.measBytes += int64(size)
}

// ackTimeline marks, per partition, each 10 ms bucket in which at least one
// acknowledgement arrived; failover analysis finds the longest unmarked run.
type ackTimeline [][]uint64

func (t *ackTimeline) mark(part int, nanos int64) {
	if nanos < 0 {
		return
	}
	b := int(nanos / ackResolution)
	for len(*t) <= part {
		*t = append(*t, nil)
	}
	row := (*t)[part]
	for len(row) <= b/64 {
		row = append(row, 0)
	}
	row[b/64] |= 1 << (uint(b) % 64)
	(*t)[part] = row
}

func (t ackTimeline) has(part, bucket int) bool {
	if bucket < 0 || part >= len(t) || bucket/64 >= len(t[part]) {
		return false
	}
	return t[part][bucket/64]&(1<<(uint(bucket)%64)) != 0
}

// bitset is a growable set of sequence numbers.
type bitset []uint64

func (b *bitset) set(i uint64) (was bool) {
	w := int(i / 64)
	if w >= len(*b) {
		grown := make([]uint64, max(w+1, 2*len(*b)))
		copy(grown, *b)
		*b = grown
	}
	m := uint64(1) << (i % 64)
	was = (*b)[w]&m != 0
	(*b)[w] |= m
	return was
}

// seqsOf returns the members of b below n as ranges.
func seqsOf(b bitset, n uint64) results.Seqs {
	var out results.Seqs
	for i := uint64(0); i < n; {
		w := i / 64
		switch {
		case w >= uint64(len(b)):
			return out
		case i%64 == 0 && b[w] == 0:
			i += 64 // an empty word
			continue
		case i%64 == 0 && b[w] == ^uint64(0) && i+64 <= n:
			out = addRange(out, i, i+64) // a full word
			i += 64
			continue
		}
		if b.has(i) {
			out = addRange(out, i, i+1)
		}
		i++
	}
	return out
}

// addRange appends [from, to) to s, joining it to the last range when
// they touch.
func addRange(s results.Seqs, from, to uint64) results.Seqs {
	if k := len(s) - 1; k >= 0 && s[k].To == from {
		s[k].To = to
		return s
	}
	return append(s, results.SeqRange{From: from, To: to})
}

func (b bitset) has(i uint64) bool {
	w := int(i / 64)
	return w < len(b) && b[w]&(1<<(i%64)) != 0
}

// mergeAckTimes combines every producer's acknowledgement timeline.
func mergeAckTimes(producers []*producer) ackTimeline {
	var all ackTimeline
	for _, p := range producers {
		p.rec.mu.Lock()
		for part, row := range p.rec.ackTimes {
			for len(all) <= part {
				all = append(all, nil)
			}
			for len(all[part]) < len(row) {
				all[part] = append(all[part], 0)
			}
			for i, bits := range row {
				all[part][i] |= bits
			}
		}
		p.rec.mu.Unlock()
	}
	return all
}
