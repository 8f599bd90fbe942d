package bench

import (
	"sync"
	"testing"
)

// Consumers of one subscription add to a producer's sequences at once,
// across chunk boundaries and while the directory grows: every sequence is
// then present, and each was reported new exactly once.
func TestSeqSetConcurrentAdds(t *testing.T) {
	const goroutines, perG = 4, 3 * chunkSeqs
	var s seqSet
	var wg sync.WaitGroup
	fresh := make([]int, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Goroutine g adds every sequence ≡ g mod goroutines, and
			// also its neighbour's, so each sequence is added twice.
			for i := range uint64(perG) {
				for _, seq := range []uint64{i*goroutines + uint64(g), i*goroutines + uint64(g+1)%goroutines} {
					if !s.add(seq) {
						fresh[g]++
					}
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range fresh {
		total += n
	}
	if total != goroutines*perG {
		t.Errorf("%d sequences reported new, want %d", total, goroutines*perG)
	}
	for seq := range uint64(goroutines * perG) {
		if !s.has(seq) {
			t.Fatalf("sequence %d missing", seq)
		}
	}
	if s.has(goroutines*perG) || s.has(1<<40) {
		t.Error("a sequence never added is present")
	}
}

func TestVerifierCountsLossDuplicationReordering(t *testing.T) {
	v := newVerifier(1, []uint64{5})
	// Sequences 0..4 acknowledged. Consumed: 0, 2, 1 (reordered), 2 again
	// at a new offset (duplicated), 4; 3 never (lost). A re-read of offset
	// 1 after a rebalance is neither.
	for off, seq := range []uint64{0, 2, 1, 2, 4} {
		v.observe(0, int64(off), stampOf(seq))
	}
	v.observe(0, 1, stampOf(2))
	var acked bitset
	for i := uint64(0); i < 5; i++ {
		acked.set(i)
	}
	got := v.verdict([]bitset{acked}, []uint64{5}, true)
	if got.Lost != 1 || got.Duplicated != 1 || got.Reordered != 1 || got.Consumed != 5 {
		t.Errorf("verdict %+v: want lost 1, duplicated 1, reordered 1, consumed 5", got)
	}
}

// A subscription that never reached the end offsets cannot call a missing
// message lost; and a duplicate is not also a reordering.
func TestVerifierUnverifiedAndDuplicates(t *testing.T) {
	v := newVerifier(1, []uint64{5})
	for off, seq := range []uint64{0, 1, 2, 1} {
		v.observe(0, int64(off), stampOf(seq))
	}
	var acked bitset
	for i := uint64(0); i < 5; i++ {
		acked.set(i)
	}
	got := v.verdict([]bitset{acked}, []uint64{5}, false)
	if got.Lost != 0 || got.Unverified != 2 || got.Duplicated != 1 || got.Reordered != 0 {
		t.Errorf("verdict %+v: want unverified 2, duplicated 1, nothing lost or reordered", got)
	}
}

// stampOf is the value of producer 0's message seq.
func stampOf(seq uint64) []byte {
	b := make([]byte, stampSize)
	stamp{Producer: 0, Seq: seq}.Put(b)
	return b
}
