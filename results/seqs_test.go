package results

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// seqsOfBits turns a bit slice into Seqs, the slow obvious way.
func seqsOfBits(bits []bool) Seqs {
	var s Seqs
	for i, b := range bits {
		if !b {
			continue
		}
		if k := len(s) - 1; k >= 0 && s[k].To == uint64(i) {
			s[k].To++
		} else {
			s = append(s, SeqRange{uint64(i), uint64(i) + 1})
		}
	}
	return s
}

// union, intersect and minus agree with the same operations on bits, on
// seeded random sets with runs and gaps of every length.
func TestSeqsOperations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		n := 1 + rng.IntN(200)
		a, b := make([]bool, n), make([]bool, n)
		for i := range n {
			a[i] = rng.IntN(3) > 0
			b[i] = rng.IntN(2) > 0
		}
		and, or, diff := make([]bool, n), make([]bool, n), make([]bool, n)
		for i := range n {
			and[i], or[i], diff[i] = a[i] && b[i], a[i] || b[i], a[i] && !b[i]
		}
		sa, sb := seqsOfBits(a), seqsOfBits(b)
		for _, c := range []struct {
			name      string
			got, want Seqs
		}{
			{"union", Union(sa, sb), seqsOfBits(or)},
			{"intersect", intersect(sa, sb), seqsOfBits(and)},
			{"minus", minus(sa, sb), seqsOfBits(diff)},
		} {
			if !equalSeqs(c.got, c.want) || !c.got.valid() {
				t.Fatalf("trial %d: %s(%v, %v) = %v, want %v", trial, c.name, sa, sb, c.got, c.want)
			}
		}
	}
}

func equalSeqs(a, b Seqs) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSeqsJSON(t *testing.T) {
	s := Seqs{{0, 5}, {7, 9}}
	b, err := json.Marshal(s)
	if err != nil || string(b) != "[[0,5],[7,9]]" {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back Seqs
	if err := json.Unmarshal(b, &back); err != nil || !equalSeqs(back, s) {
		t.Fatalf("Unmarshal = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte("[[5,5]]"), &back); err == nil {
		t.Error("an empty range was accepted")
	}
}
