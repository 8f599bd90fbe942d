package sweep

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kbench/kbench/results"
)

// ParseStep reads a rate search's step: "x2" (or "*2") multiplies, "+1000"
// adds.
func ParseStep(s string) (factor, increment float64, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, errors.New("empty step; use x2 to double or +1000 to add 1000 msgs/s")
	}
	v, perr := strconv.ParseFloat(s[1:], 64)
	switch {
	case (s[0] == 'x' || s[0] == '*') && perr == nil && v > 1 && !math.IsInf(v, 0):
		return v, 0, nil
	case s[0] == '+' && perr == nil && v > 0 && !math.IsInf(v, 0):
		return 0, v, nil
	}
	return 0, 0, fmt.Errorf("step %q: use xF with F above 1 (x2 doubles) or +N with N above 0 (+1000 adds 1000 msgs/s)", s)
}

// searcher is the state of one rate search. Call next for the rate to try,
// run it, record the outcome, and repeat until next says done; best is then
// the answer. A searcher is not safe for use from several goroutines.
type searcher struct {
	spec    results.RateSearch
	started bool
	// good is the highest sustained rate, bad the lowest failed one (0:
	// none yet); bisected counts the points tried since bad was found.
	good, bad float64
	bisected  int
}

// newSearcher starts a search; spec must be valid (RateSearch.Validate).
func newSearcher(spec results.RateSearch) *searcher { return &searcher{spec: spec} }

// next returns the next rate to try, or false when the search is over.
// Rates are whole messages per second.
func (s *searcher) next() (float64, bool) {
	if !s.started {
		return s.spec.Start, true
	}
	if s.bad == 0 {
		if s.spec.MaxRate > 0 && s.good >= s.spec.MaxRate {
			return 0, false
		}
		next := s.good + s.spec.Increment
		if s.spec.Factor > 1 {
			next = s.good * s.spec.Factor
		}
		// At least one message per second more, or a small step rounds
		// back to the same rate forever.
		next = max(math.Round(next), s.good+1)
		if s.spec.MaxRate > 0 {
			next = min(next, s.spec.MaxRate)
		}
		return next, true
	}
	if s.bisected >= s.spec.Bisections {
		return 0, false
	}
	mid := math.Round((s.good + s.bad) / 2)
	if mid <= s.good || mid >= s.bad {
		return 0, false // the gap is below one message per second
	}
	return mid, true
}

// record notes whether the rate was sustained.
func (s *searcher) record(rate float64, ok bool) {
	s.started = true
	if s.bad != 0 {
		s.bisected++
	}
	switch {
	case ok && rate > s.good:
		s.good = rate
	case !ok && (s.bad == 0 || rate < s.bad):
		s.bad = rate
	}
}

// best returns the highest sustained rate so far, 0 if none.
func (s *searcher) best() float64 { return s.good }

// sustained judges a rate search's point. A run sustains its target rate
// when it completed without errors, achieved at least 95% of the target,
// kept publish p99 within p99MaxMs, and, if consumers ran, each
// subscription read at least 95% of the produce rate. Otherwise the reasons say what failed.
func sustained(res *results.Run, p99MaxMs float64) (bool, []string) {
	s := res.Summary
	var why []string
	if !res.Complete {
		why = append(why, "incomplete: "+res.Incomplete)
	}
	if s.Errors > 0 {
		why = append(why, fmt.Sprintf("%d errors", s.Errors))
	}
	if s.TargetRate > 0 && s.ProduceRateMsgs < 0.95*s.TargetRate {
		why = append(why, fmt.Sprintf("achieved %.0f msgs/s, below 95%% of the target %.0f", s.ProduceRateMsgs, s.TargetRate))
	}
	if s.PublishLatencyMs.P99 > p99MaxMs {
		why = append(why, fmt.Sprintf("publish p99 %.1f ms over the bound %g ms", s.PublishLatencyMs.P99, p99MaxMs))
	}
	switch {
	case len(s.Subscriptions) > 0:
		// Each subscription reads everything, so each must keep up: a sum
		// would let one that reads twice hide one that reads nothing.
		for i, sub := range s.Subscriptions {
			if sub.ConsumeRateMsgs < 0.95*s.ProduceRateMsgs {
				why = append(why, fmt.Sprintf("subscription %d read %.0f msgs/s, below 95%% of the %.0f produced", i, sub.ConsumeRateMsgs, s.ProduceRateMsgs))
			}
		}
	case (res.Verify != nil || s.ConsumedMessages > 0) && s.ConsumeRateMsgs < 0.95*s.ProduceRateMsgs:
		// A result from before per-subscription figures.
		why = append(why, fmt.Sprintf("consumers read %.0f msgs/s, below 95%% of the %.0f produced", s.ConsumeRateMsgs, s.ProduceRateMsgs))
	}
	return len(why) == 0, why
}
