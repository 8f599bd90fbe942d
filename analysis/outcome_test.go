package analysis

import (
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestRunFailure(t *testing.T) {
	consumers := results.Shape{SubscriptionsPerTopic: 1}
	for _, tc := range []struct {
		name string
		run  results.Run
		// want is part of the reason; "" when the run did not fail.
		want string
	}{
		{"every produce failed", results.Run{Intervals: []results.Interval{{Errors: 5}}, Summary: results.Summary{Errors: 5}}, "every produce failed"},
		{"nothing acknowledged", results.Run{}, "no message was acknowledged"},
		{"nothing consumed", results.Run{Shape: consumers, Summary: results.Summary{ProducedMessages: 10}}, "consumers received none"},
		// A consumer-only shard produces nothing; the merged run judges.
		{"consuming shard", results.Run{Shape: consumers, Shard: &results.Shard{}, Summary: results.Summary{ConsumedMessages: 10}}, ""},
		{"producing shard", results.Run{Shape: consumers, Shard: &results.Shard{}, Summary: results.Summary{ProducedMessages: 10}}, ""},
		// 20 failed of 100 sent in the measurement window.
		{"error share above", results.Run{Intervals: []results.Interval{{Acked: 80, Errors: 20}}, Summary: results.Summary{ProducedMessages: 80, Errors: 20}}, "20.0% of produces failed"},
		{"error share within", results.Run{Intervals: []results.Interval{{Acked: 95, Errors: 5}}, Summary: results.Summary{ProducedMessages: 95, Errors: 5}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RunFailure(&tc.run, DefaultMaxErrorShare)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("RunFailure = %v, want %q", err, tc.want)
			}
		})
	}
}
