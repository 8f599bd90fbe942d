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
