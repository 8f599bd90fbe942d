package drivers

import (
	"strings"
)

// PropertyChecker is a Driver that can check client properties without
// connecting to a cluster, so a misspelt or impossible property is
// refused before anything starts. CheckProperties returns every problem,
// each a *PropertyError.
type PropertyChecker interface {
	CheckProperties(producer, consumer map[string]string) error
}

// DidYouMean returns "; did you mean NAME?" for the name in names closest
// to key (the same letters but for case and punctuation, or at most two
// edits apart), or "" when none is that close.
func DidYouMean(key string, names []string) string {
	best, bestD := "", 3
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '.' || r == '_' || r == '-' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	k := squash(key)
	for _, n := range names {
		if n == key {
			return ""
		}
		d := editDistance(k, squash(n))
		if d < bestD || d == bestD && n < best {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
