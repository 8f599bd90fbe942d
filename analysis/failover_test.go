package analysis

import (
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

// The failover line says what the figures cannot: a stall still running
// at the end of its analysis, sends that failed and so are in no latency,
// and when a fault was asked for beside when it was done.
func TestFailoverLine(t *testing.T) {
	stop := results.Fault{RequestedAt: 11.7, At: 13.2, Action: "stop", Target: "broker:1", Broker: 1, Phase: results.PhaseInject}
	for _, tc := range []struct {
		name    string
		fo      results.Failover
		want    []string
		wantNot []string
	}{
		{
			// A stall that outlasted the producers, and 30 of the
			// window's 100 outcomes failures.
			name: "open window with failed sends",
			fo: results.Failover{Fault: stop, MaxNoAckS: 4, RecoveryS: -1, Recovery: "not seen: sending ended",
				WindowStart: 11, WindowEnd: 16, WindowOpenAtEnd: true, FailedWindow: 30, FailedWindowShare: 0.3,
				LatencyWindowMs: results.Latency{P99: 900, Count: 70}},
			want: []string{"stop broker 1 (broker:1) at 11.7s, done 13.2s", "no acks for 4.00s, still stalled when its analysis ended",
				"in window 11.0-16.0s, 30 sends failed in it (30%), in no latency"},
		},
		{
			// A closed window with every send acknowledged says neither.
			name: "closed window",
			fo: results.Failover{Fault: results.Fault{At: 5, Action: "kill", Broker: 2}, MaxNoAckS: 2, RecoveryS: 3,
				WindowStart: 5, WindowEnd: 8},
			want:    []string{"kill broker 2 at 5.0s: no acks for 2.00s"},
			wantNot: []string{"done", "still stalled", "failed"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := failoverLine(tc.fo)
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("line %q lacks %q", line, w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(line, w) {
					t.Errorf("line %q says %q", line, w)
				}
			}
		})
	}
}
