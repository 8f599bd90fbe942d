package results

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Seqs is a set of sequence numbers as sorted, disjoint, non-adjacent
// half-open ranges [From, To). A producer's acknowledged sequences are
// nearly contiguous, so a shard can post them in a few bytes.
type Seqs []SeqRange

// SeqRange is the sequence numbers From, From+1, ..., To-1. In JSON it is
// the pair [from, to].
type SeqRange struct{ From, To uint64 }

// MarshalJSON writes r as [from, to].
func (r SeqRange) MarshalJSON() ([]byte, error) { return json.Marshal([2]uint64{r.From, r.To}) }

// UnmarshalJSON reads [from, to], refusing an empty or reversed range.
func (r *SeqRange) UnmarshalJSON(b []byte) error {
	var p [2]uint64
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p[0] >= p[1] {
		return fmt.Errorf("sequence range [%d, %d): want from < to", p[0], p[1])
	}
	r.From, r.To = p[0], p[1]
	return nil
}

// Len returns how many sequences s holds.
func (s Seqs) Len() int64 {
	var n int64
	for _, r := range s {
		n += int64(r.To - r.From)
	}
	return n
}

// valid reports whether s is sorted, disjoint and non-adjacent, as every
// operation here assumes.
func (s Seqs) valid() bool {
	for i, r := range s {
		if r.From >= r.To || i > 0 && s[i-1].To >= r.From {
			return false
		}
	}
	return true
}

// Union returns a ∪ b, of two sets as Seqs holds them.
func Union(a, b Seqs) Seqs {
	all := append(slices.Clone(a), b...)
	slices.SortFunc(all, func(x, y SeqRange) int {
		switch {
		case x.From < y.From:
			return -1
		case x.From > y.From:
			return 1
		}
		return 0
	})
	var out Seqs
	for _, r := range all {
		if k := len(out) - 1; k >= 0 && r.From <= out[k].To {
			out[k].To = max(out[k].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// intersect returns a ∩ b.
func intersect(a, b Seqs) Seqs {
	var out Seqs
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from, to := max(a[i].From, b[j].From), min(a[i].To, b[j].To)
		if from < to {
			out = append(out, SeqRange{from, to})
		}
		if a[i].To < b[j].To {
			i++
		} else {
			j++
		}
	}
	return out
}

// minus returns a \ b.
func minus(a, b Seqs) Seqs {
	var out Seqs
	j := 0
	for _, r := range a {
		from := r.From
		for j < len(b) && b[j].To <= from {
			j++
		}
		for k := j; k < len(b) && b[k].From < r.To; k++ {
			if b[k].From > from {
				out = append(out, SeqRange{from, b[k].From})
			}
			from = max(from, b[k].To)
		}
		if from < r.To {
			out = append(out, SeqRange{from, r.To})
		}
	}
	return out
}
