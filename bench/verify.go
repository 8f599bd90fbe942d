package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kbench/kbench/results"
)

// verifier checks one subscription's view of what was produced: every
// message carries its producer id and sequence number (see stamp), and the
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

	// subscription is the index of the subscription checked; split marks
	// one whose consumers are on several shards of a distributed run.
	subscription int
	split        bool
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
func (v *verifier) observe(part int, offset int64, value []byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if offset <= v.high[part] {
		return false
	}
	v.high[part] = offset
	v.distinct++
	s, err := readStamp(value)
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

// reachedRead is reached for a subscription shared with other shards:
// every partition this shard's consumers read from is read to its end
// offset (the others are other shards' to read).
func (v *verifier) reachedRead(ends []int64) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for p, end := range ends {
		if v.high[p] >= 0 && v.high[p] < end-1 {
			return false
		}
	}
	return true
}

// seqs is what this subscription read here, for merging with other
// shards' reads.
func (v *verifier) seqs() results.SubscriptionSeqs {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := results.SubscriptionSeqs{Subscription: v.subscription, High: slices.Clone(v.high),
		Distinct: v.distinct, Duplicated: v.duplicated, Reordered: v.reordered}
	for p, b := range v.consumed {
		if s := seqsOf(b, uint64(len(b))*64); len(s) > 0 {
			out.Consumed = append(out.Consumed, results.ConsumedSeqs{Producer: p, Seqs: s})
		}
	}
	return out
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

// verify fills in the loss/duplication/order check and cross-checks the
// counts with the brokers' end offsets.
func (r *run) verify(res *results.Run) {
	if len(r.verifiers) == 0 {
		return
	}
	acked, sent := r.producedSets()
	ends, endsErr := r.endOffsets(context.Background())
	// Each subscription reads everything, so each is checked on its own
	// and the worst is reported: two subscriptions missing the same
	// message is one message lost, not two.
	var total results.Verify
	for _, v := range r.verifiers {
		one := v.verdict(acked, sent, endsErr == nil && v.reached(ends))
		total.Acked = one.Acked
		total.Consumed += one.Consumed
		total.Lost = max(total.Lost, one.Lost)
		total.Unverified = max(total.Unverified, one.Unverified)
		total.Duplicated = max(total.Duplicated, one.Duplicated)
		total.Reordered = max(total.Reordered, one.Reordered)
		total.Unacked = max(total.Unacked, one.Unacked)
		if len(one.LostSamples) > len(total.LostSamples) {
			total.LostSamples = one.LostSamples
		}
	}
	total.EndOffsets = -1
	if endsErr != nil {
		total.OffsetCheck = "not checked: " + endsErr.Error()
	} else {
		total.EndOffsets = 0
		for _, e := range ends {
			total.EndOffsets += e
		}
		total.OffsetCheck = results.OffsetCheck(total.EndOffsets, total.Acked, total.Consumed, len(r.verifiers))
	}
	res.Verify = &total
	s := &res.Summary
	s.Lost, s.Unverified, s.Duplicated, s.Reordered = total.Lost, total.Unverified, total.Duplicated, total.Reordered
}

// producedSets returns, by run-wide producer id, the sequences this
// process's producers had acknowledged and how many each issued (none for
// producers on other shards).
func (r *run) producedSets() (acked []bitset, sent []uint64) {
	n := r.w.Topics * r.w.ProducersPerTopic
	acked, sent = make([]bitset, n), make([]uint64, n)
	for _, p := range r.producers {
		p.rec.mu.Lock()
		// A copy: an acknowledgement arriving after a flush timed out
		// must not change the set while it is read.
		acked[p.id] = slices.Clone(p.acked)
		p.rec.mu.Unlock()
		sent[p.id] = p.issued.Load()
	}
	return acked, sent
}

// endOffsets returns the run-wide partition index's end offsets.
func (r *run) endOffsets(ctx context.Context) ([]int64, error) {
	ends := make([]int64, r.parts)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for ti, t := range r.topics {
		offs, err := r.cfg.Admin.EndOffsets(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("end offsets of %s: %w", t, err)
		}
		for p, o := range offs {
			if int(p) < r.w.PartitionsPerTopic {
				ends[ti*r.w.PartitionsPerTopic+int(p)] = o
			}
		}
	}
	return ends, nil
}
