package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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
//
// The consumers of a subscription call observe at once, and nothing they
// share is locked per message: each partition's state has its own lock,
// taken only by the one consumer the group gave the partition to (two, for
// a moment, around a rebalance), and the sequences seen are bits set
// atomically.
type verifier struct {
	producers int
	parts     []partView
	consumed  []seqSet // per producer: sequences seen, over every partition

	// subscription is the index of the subscription checked; split marks
	// one whose consumers are on several shards of a distributed run.
	subscription int
	split        bool
}

// partView is one partition's share of a verifier. The padding keeps
// partitions read by different consumers off each other's cache lines.
type partView struct {
	mu         sync.Mutex
	high       int64   // highest offset seen, -1 none
	lastSeq    []int64 // per producer: last sequence seen, -1 none
	distinct   int64   // records at new offsets
	duplicated int64   // a sequence seen again at a new offset
	reordered  int64   // a sequence below the last of its producer on this partition
	foreign    int64   // records without a kbench stamp
	_          [64]byte
}

// newVerifier returns a verifier of partitions partitions written by
// len(planned) producers, producer i planning to send planned[i] messages
// (0 when it cannot tell).
func newVerifier(partitions int, planned []uint64) *verifier {
	producers := len(planned)
	v := &verifier{
		producers: producers,
		parts:     make([]partView, partitions),
		consumed:  make([]seqSet, producers),
	}
	for i, n := range planned {
		v.consumed[i].reserve(n)
	}
	for i := range v.parts {
		pv := &v.parts[i]
		pv.high = -1
		pv.lastSeq = make([]int64, producers)
		for j := range pv.lastSeq {
			pv.lastSeq[j] = -1
		}
	}
	return v
}

// observe records one consumed record of partition part (the run-wide
// partition index) and reports whether it was new (not a re-read).
func (v *verifier) observe(part int, offset int64, value []byte) bool {
	pv := &v.parts[part]
	pv.mu.Lock()
	defer pv.mu.Unlock()
	if offset <= pv.high {
		return false
	}
	pv.high = offset
	pv.distinct++
	s, err := readStamp(value)
	if err != nil || int(s.Producer) >= v.producers {
		pv.foreign++
		return true
	}
	if v.consumed[s.Producer].add(s.Seq) {
		// A second copy is a duplicate, not also a reordering.
		pv.duplicated++
		return true
	}
	last := &pv.lastSeq[s.Producer]
	if int64(s.Seq) < *last {
		pv.reordered++
	} else {
		*last = int64(s.Seq)
	}
	return true
}

// highs returns each partition's highest offset seen (-1 none).
func (v *verifier) highs() []int64 {
	out := make([]int64, len(v.parts))
	for i := range v.parts {
		pv := &v.parts[i]
		pv.mu.Lock()
		out[i] = pv.high
		pv.mu.Unlock()
	}
	return out
}

// counts returns the distinct, duplicated and reordered records over
// every partition.
func (v *verifier) counts() (distinct, duplicated, reordered int64) {
	for i := range v.parts {
		pv := &v.parts[i]
		pv.mu.Lock()
		distinct += pv.distinct
		duplicated += pv.duplicated
		reordered += pv.reordered
		pv.mu.Unlock()
	}
	return distinct, duplicated, reordered
}

// foreignCount returns how many records read carried no kbench stamp.
func (v *verifier) foreignCount() (n int64) {
	for i := range v.parts {
		pv := &v.parts[i]
		pv.mu.Lock()
		n += pv.foreign
		pv.mu.Unlock()
	}
	return n
}

// reached reports whether the subscription has read every partition up to
// the given end offsets (next offset to be written, per partition).
func (v *verifier) reached(ends []int64) bool {
	high := v.highs()
	for p, end := range ends {
		if end > 0 && high[p] < end-1 {
			return false
		}
	}
	return true
}

// reachedRead is reached for a subscription shared with other shards:
// every partition this shard's consumers read from is read to its end
// offset (the others are other shards' to read).
func (v *verifier) reachedRead(ends []int64) bool {
	high := v.highs()
	for p, end := range ends {
		if high[p] >= 0 && high[p] < end-1 {
			return false
		}
	}
	return true
}

// seqs is what this subscription read here, for merging with other
// shards' reads.
func (v *verifier) seqs() results.SubscriptionSeqs {
	out := results.SubscriptionSeqs{Subscription: v.subscription, High: v.highs()}
	out.Distinct, out.Duplicated, out.Reordered = v.counts()
	for p := range v.consumed {
		b := v.consumed[p].bits()
		if s := seqsOf(b, b.words()*64); len(s) > 0 {
			out.Consumed = append(out.Consumed, results.ConsumedSeqs{Producer: p, Seqs: s})
		}
	}
	return out
}

// seqSet is a set of sequence numbers that several goroutines may add to
// at once without a lock: bits set with an atomic OR, in fixed-size chunks
// allocated on first use and found through a directory. Only adding a
// chunk, once per chunkSeqs sequences, takes mu; the directory grows by
// copying, so a reader holding the old one still finds every chunk it
// lists.
type seqSet struct {
	mu  sync.Mutex
	dir atomic.Pointer[[]atomic.Pointer[seqChunk]]
}

// chunkSeqs is the number of sequences one chunk holds (8 KiB of bits).
const chunkSeqs = bitsetChunk * 64 // a chunk of a bitset, so bits() copies chunk for chunk

type seqChunk [chunkSeqs / 64]atomic.Uint64

// add puts seq in the set and reports whether it was there already.
func (s *seqSet) add(seq uint64) (was bool) {
	c := s.chunk(seq / chunkSeqs)
	m := uint64(1) << (seq % 64)
	return c[seq%chunkSeqs/64].Or(m)&m != 0
}

func (s *seqSet) has(seq uint64) bool {
	d := s.dir.Load()
	i := seq / chunkSeqs
	if d == nil || i >= uint64(len(*d)) {
		return false
	}
	c := (*d)[i].Load()
	return c != nil && c[seq%chunkSeqs/64].Load()&(1<<(seq%64)) != 0
}

// bits returns a copy of the set as a bitset.
func (s *seqSet) bits() bitset {
	d := s.dir.Load()
	if d == nil {
		return bitset{}
	}
	b := newBitset(uint64(len(*d)) * chunkSeqs)
	for i := range *d {
		if c := (*d)[i].Load(); c != nil {
			for j := range c {
				b.chunks[i][j] = c[j].Load()
			}
		}
	}
	return b
}

// reserve adds, up front, the chunks that sequences below n need, so the
// consumers of a run that goes as planned never take mu.
func (s *seqSet) reserve(n uint64) {
	for i := uint64(0); i*chunkSeqs < n; i++ {
		s.chunk(i)
	}
}

// chunk returns chunk i, adding it (and room for it) if it is missing.
func (s *seqSet) chunk(i uint64) *seqChunk {
	if d := s.dir.Load(); d != nil && i < uint64(len(*d)) {
		if c := (*d)[i].Load(); c != nil {
			return c
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dir.Load()
	if d == nil || i >= uint64(len(*d)) {
		n := i + 1
		if d != nil {
			n = max(n, 2*uint64(len(*d)))
		}
		grown := make([]atomic.Pointer[seqChunk], n)
		if d != nil {
			for j := range *d {
				grown[j].Store((*d)[j].Load())
			}
		}
		s.dir.Store(&grown)
		d = &grown
	}
	c := (*d)[i].Load()
	if c == nil {
		c = new(seqChunk)
		(*d)[i].Store(c)
	}
	return c
}

// verdict compares what was consumed with what each producer had
// acknowledged (acked) and sent (sent: the number of sequences issued).
// An acknowledged message not consumed is lost if the subscription read
// every partition to its end offset (complete), and unverified if it did
// not: the consumers may simply not have got there.
func (v *verifier) verdict(acked []bitset, sent []uint64, complete bool) results.Verify {
	var out results.Verify
	out.Consumed, out.Duplicated, out.Reordered = v.counts()
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
	ends, endsErr := r.readEnds(r.tail)
	// Each subscription is checked on its own (see Verify.AddSubscription).
	var total results.Verify
	for _, v := range r.verifiers {
		one := v.verdict(acked, sent, endsErr == nil && v.reached(ends))
		if r.w.UseTransactions {
			r.txnVerdict(v, &one)
		}
		if r.xf != nil {
			r.transformVerdict(v, &one)
		}
		total.AddSubscription(one)
		total.AbortedRead = max(total.AbortedRead, one.AbortedRead)
		total.InDoubt = one.InDoubt
		if len(one.AbortedSamples) > len(total.AbortedSamples) {
			total.AbortedSamples = one.AbortedSamples
		}
	}
	total.EndOffsets = -1
	if r.w.UseTransactions {
		endsErr = errors.New("transaction markers and aborted records take offsets, so end offsets do not count messages")
	}
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
		acked[p.id] = p.acked.clone()
		p.rec.mu.Unlock()
		sent[p.id] = p.issued
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
