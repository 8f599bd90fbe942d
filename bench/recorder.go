package bench

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
	// slotWait is the time, in ns, the producer waited for a free
	// in-flight slot: kbench's own bound holding it back.
	slotWait atomic.Int64

	mu sync.Mutex
	// lat holds publish (or end-to-end) latencies in µs; lag the open
	// model's send lags in µs (nil for consumers).
	lat, lag   histPair
	acked      int64 // acknowledged, or consumed for a consumer
	ackedBytes int64
	// measAcked and measBytes count the acknowledged messages meant to be
	// sent after the warm-up.
	measAcked, measBytes int64
	// dropped counts samples outside the histograms' range.
	dropped int64
	// negative counts latencies below zero, recorded as 1 µs: a consumer
	// whose clock is behind the producer's (clock skew between shards).
	negative int64
	// lastAt is when a consumer last received a record, in the stamps'
	// time (stampTime).
	lastAt   int64
	errors   int64
	errKinds map[string]int64
	ackTimes ackTimeline

	// A transactional producer's transactions (see txn): commit latencies
	// in µs (nil otherwise), transactions ended by outcome, the messages
	// of aborted ones, and why they were aborted.
	commit                               histPair
	commits, aborts, inDoubt, abortedMsg int64
	abortKinds                           map[string]int64
}

// histPair holds the values of messages meant to be sent after the warm-up
// (meas) apart from those of warm-up messages (warm), which count in the
// timeline but not in the summary.
type histPair struct{ meas, warm *hdrhistogram.Histogram }

func newHistPair(top time.Duration) histPair {
	return histPair{results.NewHistUpTo(top), results.NewHistUpTo(top)}
}

// record adds v and reports whether the histogram could hold it.
func (h histPair) record(v int64, warm bool) bool {
	if warm {
		return h.warm.RecordValue(v) == nil
	}
	return h.meas.RecordValue(v) == nil
}

// moveTo merges the pair into interval (both) and summary (meas only), then
// empties it; it returns how many values the destinations could not hold.
func (h histPair) moveTo(interval, summary *hdrhistogram.Histogram) (dropped int64) {
	dropped += results.MergeHist(interval, h.meas)
	dropped += results.MergeHist(interval, h.warm)
	dropped += results.MergeHist(summary, h.meas)
	h.meas.Reset()
	h.warm.Reset()
	return dropped
}

// newRecorder returns a recorder whose histograms hold values up to top;
// withLag adds the send-lag histograms of an open-model producer.
func newRecorder(top time.Duration, withLag bool) *recorder {
	r := &recorder{lat: newHistPair(top), errKinds: map[string]int64{}}
	if withLag {
		r.lag = newHistPair(top)
	}
	return r
}

// snapshot is what the collector takes from a recorder at the end of an
// interval.
type snapshot struct {
	sent, late, acked, ackedBytes, errors int64
	slotWait                              time.Duration
	measAcked, measBytes                  int64
	dropped, negative                     int64
	lastAt                                int64
	errKinds                              map[string]int64
	commits, aborts, inDoubt, abortedMsg  int64
	abortKinds                            map[string]int64
}

// intervalHists are the histograms the collector gathers an interval's
// values into, and the measurement window's it adds them to.
type intervalHists struct {
	lat, latSum, lag, lagSum, commit, commitSum *hdrhistogram.Histogram
}

// take moves the recorder's interval figures into s, and its histograms
// into h (by merging then resetting, so the recorder keeps its own).
func (r *recorder) take(h intervalHists, s *snapshot) {
	s.sent += r.sent.Swap(0)
	s.late += r.late.Swap(0)
	s.slotWait += time.Duration(r.slotWait.Swap(0))
	r.mu.Lock()
	s.dropped += r.lat.moveTo(h.lat, h.latSum)
	if r.lag.meas != nil {
		s.dropped += r.lag.moveTo(h.lag, h.lagSum)
	}
	if r.commit.meas != nil {
		s.dropped += r.commit.moveTo(h.commit, h.commitSum)
	}
	s.commits += r.commits
	s.aborts += r.aborts
	s.inDoubt += r.inDoubt
	s.abortedMsg += r.abortedMsg
	for k, n := range r.abortKinds {
		if s.abortKinds == nil {
			s.abortKinds = map[string]int64{}
		}
		s.abortKinds[k] += n
		delete(r.abortKinds, k)
	}
	r.commits, r.aborts, r.inDoubt, r.abortedMsg = 0, 0, 0, 0
	s.acked += r.acked
	s.ackedBytes += r.ackedBytes
	s.measAcked += r.measAcked
	s.measBytes += r.measBytes
	s.dropped += r.dropped
	s.negative += r.negative
	s.lastAt = max(s.lastAt, r.lastAt)
	s.errors += r.errors
	for k, n := range r.errKinds {
		s.errKinds[k] += n
		delete(r.errKinds, k)
	}
	r.acked, r.ackedBytes, r.measAcked, r.measBytes, r.dropped, r.negative, r.errors = 0, 0, 0, 0, 0, 0, 0
	r.mu.Unlock()
}

// record counts one acknowledged (or consumed) message of size bytes with
// latency us; warm marks a message meant for the warm-up. Call with mu held.
func (r *recorder) record(us int64, size int, warm bool) {
	r.acked++
	r.ackedBytes += int64(size)
	if us < 0 {
		r.negative++
	}
	if !r.lat.record(max(us, 1), warm) {
		r.dropped++
	}
	if !warm {
		r.measAcked++
		r.measBytes += int64(size)
	}
}

// ackTimeline marks, per partition, each 10 ms bucket in which at least one
// acknowledgement arrived; failover analysis finds the longest unmarked run.
type ackTimeline [][]uint64

func (t *ackTimeline) mark(part int, nanos int64) {
	if nanos < 0 {
		return
	}
	b := int(nanos / ackResolution)
	if part < len(*t) && b/64 < len((*t)[part]) {
		// The common case, once a row has grown: no slice is written back.
		(*t)[part][b/64] |= 1 << (uint(b) % 64)
		return
	}
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

// bitset is a set of sequence numbers, held in chunks of bitsetChunk
// words. It grows by adding chunks, never by copying what it holds, so the
// lock its owner holds while setting (the ack callback's, a subscription's)
// stays short; newBitset makes the chunks a run plans for up front.
type bitset struct{ chunks [][]uint64 }

// bitsetChunk is the words in one chunk: 65536 sequence numbers.
const bitsetChunk = 1024

// newBitset returns a set with room for sequence numbers below n.
func newBitset(n uint64) bitset {
	var b bitset
	b.grow((n + 63) / 64)
	return b
}

// grow adds chunks until the set has at least words words.
func (b *bitset) grow(words uint64) {
	for uint64(len(b.chunks))*bitsetChunk < words {
		b.chunks = append(b.chunks, make([]uint64, bitsetChunk))
	}
}

func (b *bitset) set(i uint64) (was bool) {
	w := i / 64
	b.grow(w + 1)
	word := &b.chunks[w/bitsetChunk][w%bitsetChunk]
	m := uint64(1) << (i % 64)
	was = *word&m != 0
	*word |= m
	return was
}

// seqsOf returns the members of b below n as ranges.
func seqsOf(b bitset, n uint64) results.Seqs {
	var out results.Seqs
	for i := uint64(0); i < n; {
		w := i / 64
		switch {
		case w >= b.words():
			return out
		case i%64 == 0 && b.word(w) == 0:
			i += 64 // an empty word
			continue
		case i%64 == 0 && b.word(w) == ^uint64(0) && i+64 <= n:
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
	w := i / 64
	return w/bitsetChunk < uint64(len(b.chunks)) && b.chunks[w/bitsetChunk][w%bitsetChunk]&(1<<(i%64)) != 0
}

// words is how many 64-bit words the set holds; word returns one.
func (b bitset) words() uint64        { return uint64(len(b.chunks)) * bitsetChunk }
func (b bitset) word(w uint64) uint64 { return b.chunks[w/bitsetChunk][w%bitsetChunk] }

// clone returns a copy that later sets of b do not change.
func (b bitset) clone() bitset {
	c := bitset{chunks: make([][]uint64, len(b.chunks))}
	for i, ch := range b.chunks {
		c.chunks[i] = slices.Clone(ch)
	}
	return c
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
