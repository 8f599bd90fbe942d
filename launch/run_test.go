package launch

import (
	"context"
	"errors"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestJudge(t *testing.T) {
	engine := errors.New("engine")
	done := results.Run{Complete: true, Summary: results.Summary{ProducedMessages: 10}}
	incomplete := done
	incomplete.Complete, incomplete.Incomplete = false, "a shard died"
	failing := done
	failing.Summary.ProducedMessages = 0
	failing.Intervals = []results.Interval{{Errors: 5}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name   string
		ctx    context.Context
		res    results.Run
		runErr error
		// want is the error wanted (errors.Is); failed, a FailedError.
		want   error
		failed bool
	}{
		// The engine's error comes first.
		{"engine error", cancelled, incomplete, engine, engine, false},
		// Then an interruption, whatever the result says.
		{"interrupted", cancelled, incomplete, nil, ErrInterrupted, false},
		{"incomplete", context.Background(), incomplete, nil, nil, true},
		{"every produce failed", context.Background(), failing, nil, nil, true},
		{"passed", context.Background(), done, nil, nil, false},
	}
	for _, tc := range cases {
		err := judge(tc.ctx, &tc.res, tc.runErr, 0.05)
		var fe *FailedError
		if tc.failed {
			if !errors.As(err, &fe) {
				t.Errorf("%s: %v, want a FailedError", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || tc.want == nil && err != nil {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
