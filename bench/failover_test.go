package bench

import (
	"math"
	"testing"

	"github.com/kbench/kbench/results"
)

// timeline returns one-second intervals from 0 with the given acked
// counts, and an ack timeline for partition 0 marked through every second
// that had acknowledgements.
func timeline(acked ...int64) ([]results.Interval, ackTimeline) {
	ivs := make([]results.Interval, len(acked))
	var acks ackTimeline
	for i, n := range acked {
		ivs[i] = results.Interval{Start: float64(i), End: float64(i + 1), Acked: n}
		if n == 0 {
			continue
		}
		for b := range int64(1e9 / ackResolution) {
			acks.mark(0, int64(i)*1e9+b*ackResolution)
		}
	}
	return ivs, acks
}

func TestAnalyseFailover(t *testing.T) {
	inject := func(at float64) results.Fault {
		return results.Fault{At: at, Action: "kill", Broker: 1, Phase: results.PhaseInject}
	}
	recovered := func(at float64) results.Fault {
		return results.Fault{At: at, Action: "kill", Broker: 1, Phase: results.PhaseRecover}
	}
	// want holds the fields checked of each summary.
	type want struct {
		recoveryS, maxNoAckS, windowStart, windowEnd   float64
		rateBefore, rateDuring, rateAfter, recoveredAt float64
		worst                                          string
	}
	for _, tc := range []struct {
		name   string
		acked  []int64
		events []results.Fault
		want   []want
	}{
		{
			// Two seconds without acks, then back to the earlier rate: the
			// window runs from the fault to the first of three good seconds'
			// end, and the rate after is the level again.
			name:   "clean dip and recovery",
			acked:  []int64{100, 100, 100, 100, 100, 0, 0, 100, 100, 100, 100, 100},
			events: []results.Fault{inject(5), recovered(7)},
			want: []want{{recoveryS: 3, maxNoAckS: 2, windowStart: 5, windowEnd: 8,
				rateBefore: 100, rateDuring: 100.0 / 3, rateAfter: 100, recoveredAt: 7, worst: "t/0"}},
		},
		{
			// Throughput never falls: recovery 0, a one-interval window, and
			// no partition stalled.
			name:   "no dip",
			acked:  []int64{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100},
			events: []results.Fault{inject(5)},
			want: []want{{recoveryS: 0, maxNoAckS: 0, windowStart: 5, windowEnd: 6,
				rateBefore: 100, rateDuring: 100, rateAfter: 100}},
		},
		{
			// Acks stop for good: recovery -1 and the window runs to the end
			// of production, leaving nothing after it.
			name:   "recovery never reached",
			acked:  []int64{100, 100, 100, 100, 100, 0, 0, 0, 0, 0, 0, 0},
			events: []results.Fault{inject(5)},
			want: []want{{recoveryS: -1, maxNoAckS: 7, windowStart: 5, windowEnd: 12,
				rateBefore: 100, rateDuring: 0, rateAfter: 0, worst: "t/0"}},
		},
		{
			// A half recovery (below 90% of the level) is not recovery.
			name:   "back at half the rate",
			acked:  []int64{100, 100, 100, 100, 100, 0, 50, 50, 50, 50, 50, 50},
			events: []results.Fault{inject(5)},
			want: []want{{recoveryS: -1, maxNoAckS: 1, windowStart: 5, windowEnd: 12,
				rateBefore: 100, rateDuring: 300.0 / 7, rateAfter: 0, worst: "t/0"}},
		},
		{
			// The second fault ends the first one's analysis: the first
			// never recovers before it, so its window stops there. The
			// second's baseline includes the first's dip, and no partition
			// was active in the second before it.
			name:   "the next fault bounds the window",
			acked:  []int64{100, 100, 100, 100, 100, 0, 0, 100, 100, 100, 100, 100},
			events: []results.Fault{inject(5), inject(6)},
			want: []want{
				{recoveryS: -1, maxNoAckS: 1, windowStart: 5, windowEnd: 6,
					rateBefore: 100, rateDuring: 0, rateAfter: 0, worst: "t/0"},
				{recoveryS: 2, maxNoAckS: 1, windowStart: 6, windowEnd: 8,
					rateBefore: 500.0 / 6, rateDuring: 50, rateAfter: 100},
			},
		},
		{
			// An injection that failed has no failover to measure.
			name:   "failed injection",
			acked:  []int64{100, 100, 100, 100, 100, 0, 0, 100, 100, 100, 100, 100},
			events: []results.Fault{{At: 5, Action: "kill", Broker: 1, Phase: results.PhaseInject, Error: "refused"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ivs, acks := timeline(tc.acked...)
			shape := runShape{produceEnd: float64(len(tc.acked)), interval: 1, topics: []string{"t"}, partitionsPerTopic: 1}
			got := analyseFailover(ivs, tc.events, acks, shape)
			if len(got) != len(tc.want) {
				t.Fatalf("%d summaries, want %d: %+v", len(got), len(tc.want), got)
			}
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
			for i, w := range tc.want {
				g := got[i]
				if !near(g.RecoveryS, w.recoveryS) || !near(g.MaxNoAckS, w.maxNoAckS) ||
					!near(g.WindowStart, w.windowStart) || !near(g.WindowEnd, w.windowEnd) ||
					!near(g.RateBefore, w.rateBefore) || !near(g.RateDuring, w.rateDuring) ||
					!near(g.RateAfter, w.rateAfter) || !near(g.RecoveredAt, w.recoveredAt) ||
					g.WorstPartition != w.worst {
					t.Errorf("fault %d: got recovery %g, no-ack %g, window %g-%g, rates %g/%g/%g, recovered at %g, worst %q; want %+v",
						i, g.RecoveryS, g.MaxNoAckS, g.WindowStart, g.WindowEnd, g.RateBefore, g.RateDuring, g.RateAfter, g.RecoveredAt, g.WorstPartition, w)
				}
			}
		})
	}
}

func TestRecovery(t *testing.T) {
	for _, tc := range []struct {
		acked     []int64
		at, state float64
	}{
		{[]int64{100, 100, 100}, 0, 0},            // never dipped
		{[]int64{0, 0, 100, 100, 100}, 3, 1},      // back at 2, ending at 3
		{[]int64{0, 400, 0, 100, 100, 100}, 4, 1}, // a catch-up burst between stalls is not recovery
		{[]int64{0, 0, 50}, 0, -1},                // never back
		{[]int64{100, 0, 100, 100}, 3, 1},         // the last intervals count if fewer than 3 remain
	} {
		ivs, _ := timeline(tc.acked...)
		at, state := recovery(ivs, 90)
		if at != tc.at || state != tc.state {
			t.Errorf("recovery(%v) = %v, %v; want %v, %v", tc.acked, at, state, tc.at, tc.state)
		}
	}
}
