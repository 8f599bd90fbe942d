package bench

import (
	"testing"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
)

func TestAddISRMetrics(t *testing.T) {
	p0, p1, p2 := partKey{"t", 0}, partKey{"t", 1}, partKey{"t", 2}
	initial := map[partKey]int32{p0: 1, p1: 1, p2: 2}
	ev := func(at float64, p int32, kind string, leader int32) results.ISREvent {
		return results.ISREvent{At: at, Topic: "t", Partition: p, Kind: kind, Leader: leader}
	}
	events := []results.ISREvent{
		ev(5, 2, isrLeader, 1), // before the fault: broker 1 now leads partition 2 too
		ev(12, 0, isrLeader, -1),
		ev(13, 0, isrLeader, 2), // p0 replaced at 13
		ev(13, 0, isrShrink, 2),
		ev(14, 1, isrLeader, 3), // p1 replaced at 14
		ev(14, 1, isrShrink, 3),
		ev(15, 2, isrLeader, 3), // p2 replaced at 15: the last
		ev(25, 0, isrExpand, 2),
		ev(35, 0, isrExpand, 2), // after the next fault
	}
	for _, tc := range []struct {
		name     string
		action   cluster.Action
		broker   int32
		end      float64 // the end of production
		replaced float64
		shrinks  int
		expands  int
	}{
		{"all three replaced", cluster.ActionPartition, 1, 40, 5, 2, 1},
		{"one never replaced before the end", cluster.ActionIsolate, 1, 14.5, -1, 2, 0},
		{"a broker that led nothing", cluster.ActionKill, 3, 40, 0, 2, 1},
		{"a fault that only slows the broker", cluster.ActionLatency, 1, 40, 0, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fos := []results.Failover{{Fault: results.Fault{At: 10, Action: string(tc.action), Broker: tc.broker}}, {Fault: results.Fault{At: 30, Broker: 3}}}
			addISRMetrics(fos, initial, events, tc.end)
			fo := fos[0]
			if fo.LeaderReplacedS != tc.replaced || fo.ISRShrinks != tc.shrinks || fo.ISRExpands != tc.expands {
				t.Errorf("replaced %.1f shrinks %d expands %d; want %.1f %d %d", fo.LeaderReplacedS, fo.ISRShrinks, fo.ISRExpands, tc.replaced, tc.shrinks, tc.expands)
			}
		})
	}
}
