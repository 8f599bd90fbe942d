package bench

import (
	"fmt"
	"sync"

	"github.com/kbench/kbench/results"
)

// verifier checks one subscription's view of what was produced: every
// message carries its producer id and sequence number (see Stamp), and the
// verifier counts what was consumed more than once or out of order. Loss
// is found at the end by comparing with what producers had acknowledged.
//
// A consumer group may hand a partition to another member, which then
// reads again from the last committed offset. Those re-reads are not
// duplicates written by the producer, so a record at an offset at or below
// the highest already seen on its partition is skipped: what is counted as
// duplicated is the same producer sequence stored at two offsets.
type verifier struct {
	mu         sync.Mutex
	producers  int
	high       []int64  // per partition: highest offset seen, -1 none
	lastSeq    []int64  // per partition and producer: last sequence seen, -1 none
	consumed   []bitset // per producer: sequences seen
	distinct   int64    // records at new offsets
	duplicated int64    // a sequence seen again at a new offset
	reordered  int64    // a sequence below the last of its producer on its partition
	foreign    int64    // records without a kbench stamp
}

func newVerifier(partitions, producers int) *verifier {
	v := &verifier{
		producers: producers,
		high:      make([]int64, partitions),
		lastSeq:   make([]int64, partitions*producers),
		consumed:  make([]bitset, producers),
	}
	for i := range v.high {
		v.high[i] = -1
	}
	for i := range v.lastSeq {
		v.lastSeq[i] = -1
	}
	return v
}

// observe records one consumed record of partition part (the run-wide
// partition index) and reports whether it was new (not a re-read).
func (v *verifier) observe(part int, offset int64, stamp []byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if offset <= v.high[part] {
		return false
	}
	v.high[part] = offset
	v.distinct++
	s, err := ReadStamp(stamp)
	if err != nil || int(s.Producer) >= v.producers {
		v.foreign++
		return true
	}
	if v.consumed[s.Producer].set(s.Seq) {
		// A second copy is a duplicate, not also a reordering.
		v.duplicated++
		return true
	}
	last := &v.lastSeq[part*v.producers+int(s.Producer)]
	if int64(s.Seq) < *last {
		v.reordered++
	} else {
		*last = int64(s.Seq)
	}
	return true
}

// reached reports whether the subscription has read every partition up to
// the given end offsets (next offset to be written, per partition).
func (v *verifier) reached(ends []int64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for p, end := range ends {
		if end > 0 && v.high[p] < end-1 {
			return false
		}
	}
	return true
}

// verdict compares what was consumed with what each producer had
// acknowledged (acked) and sent (sent: the number of sequences issued).
// An acknowledged message not consumed is lost if the subscription read
// every partition to its end offset (complete), and unverified if it did
// not: the consumers may simply not have got there.
func (v *verifier) verdict(acked []bitset, sent []uint64, complete bool) results.Verify {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := results.Verify{Consumed: v.distinct, Duplicated: v.duplicated, Reordered: v.reordered}
	for p := range acked {
		for seq := uint64(0); seq < sent[p]; seq++ {
			a, c := acked[p].has(seq), v.consumed[p].has(seq)
			switch {
			case a:
				out.Acked++
				if !c && !complete {
					out.Unverified++
				} else if !c {
					out.Lost++
					if len(out.LostSamples) < 10 {
						out.LostSamples = append(out.LostSamples, fmt.Sprintf("producer %d seq %d", p, seq))
					}
				}
			case c:
				out.Unacked++
			}
		}
	}
	return out
}
