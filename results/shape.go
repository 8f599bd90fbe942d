package results

import (
	"encoding/json"
	"fmt"
	"time"
)

// Shape is what a reader of a result needs of its resolved workload, as
// typed fields, so that no reader looks into Workload by a field's name.
type Shape struct {
	// IntervalS is the length of one interval of the timeline, seconds.
	IntervalS float64 `json:"interval_s"`
	// SubscriptionsPerTopic is the number of consumer groups reading each
	// topic; 0 when no consumers ran.
	SubscriptionsPerTopic int `json:"subscriptions_per_topic"`
	// ConsumerOnly marks a run without producers (one that read existing
	// topics).
	ConsumerOnly bool `json:"consumer_only,omitempty"`
}

// Interval is the length of one interval of the timeline; 1 s, kbench's
// default, when the shape has none.
func (s Shape) Interval() time.Duration {
	if s.IntervalS <= 0 {
		return time.Second
	}
	return time.Duration(s.IntervalS * float64(time.Second))
}

// fillShape gives a result written before schema v1.2, which has no
// Shape, the one its stored workload implies. It is the one place that
// reads a workload by its fields' names, and only old results.
func fillShape(r *Run) error {
	if r.Schema != schemaV1 && r.Schema != schemaV1+".1" || len(r.Workload) == 0 {
		return nil
	}
	var w struct {
		Interval      string `json:"interval"`
		Subscriptions int    `json:"subscriptionsPerTopic"`
		Producers     *int   `json:"producersPerTopic"`
	}
	if err := json.Unmarshal(r.Workload, &w); err != nil {
		return fmt.Errorf("its workload: %w", err)
	}
	if w.Interval != "" {
		d, err := time.ParseDuration(w.Interval)
		if err != nil {
			return fmt.Errorf("its workload's interval: %w", err)
		}
		r.Shape.IntervalS = d.Seconds()
	}
	r.Shape.SubscriptionsPerTopic = w.Subscriptions
	r.Shape.ConsumerOnly = w.Producers != nil && *w.Producers == 0
	return nil
}
