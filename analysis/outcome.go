package analysis

import (
	"fmt"

	"github.com/kbench/kbench/results"
)

// DefaultMaxErrorShare is the share of failed produces above which
// RunFailure calls a run failed.
const DefaultMaxErrorShare = 0.10

// RunFailure says why a run did not measure what it was meant to, or
// returns nil. A run fails when every produce failed, when no produce was
// acknowledged or consumers received none of the acknowledged messages
// (judged on a whole or merged run: one shard may only consume), or when
// the share of failed produces in the measurement window,
//
//	errors / (errors + acknowledged),
//
// is above maxErrorShare (0 to 1).
func RunFailure(r *results.Run, maxErrorShare float64) error {
	s := r.Summary
	var all, measured results.Interval
	for _, iv := range r.Intervals {
		all.Add(iv)
		if !iv.Warmup {
			measured.Add(iv)
		}
	}
	allErrors, acked := all.Errors, measured.Acked
	// One shard may only consume, and another only produce: only a whole
	// (or merged) run says whether anything was produced or consumed.
	whole := r.Shard == nil
	if r.Shape.ConsumerOnly {
		if whole && s.ConsumedMessages == 0 {
			return fmt.Errorf("the consumer-only run read no message (%d consume errors)", s.ConsumeErrors)
		}
		return nil
	}
	switch {
	case s.ProducedMessages == 0 && allErrors > 0:
		return fmt.Errorf("every produce failed (%d errors: %s)", allErrors, countsByKind(s.ErrorsByKind))
	case s.ProducedMessages == 0 && whole:
		return fmt.Errorf("no message was acknowledged")
	}
	if r.Shape.SubscriptionsPerTopic > 0 && whole && s.ConsumedMessages == 0 {
		return fmt.Errorf("consumers received none of the %d acknowledged messages (%d consume errors)", s.ProducedMessages, s.ConsumeErrors)
	}
	if s.Errors > 0 {
		share := float64(s.Errors) / float64(s.Errors+acked)
		if share > maxErrorShare {
			return fmt.Errorf("%.1f%% of produces failed (%d errors: %s), above the %g%% allowed", 100*share, s.Errors, countsByKind(s.ErrorsByKind), 100*maxErrorShare)
		}
	}
	return nil
}
