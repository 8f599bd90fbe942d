package distributed

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// shardResults makes the results of a run of two shards, 20 s long in
// 1 s intervals, each with one producer: shard 0's writes partition 0
// and stalls 3 s from the fault at 10 s (a pause of broker 1, which
// shrinks an ISR at 10.5 s); shard 1's writes partition 1 throughout.
func shardResults(t *testing.T) []*results.Run {
	t.Helper()
	w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 100, ProducersPerTopic: 2,
		SubscriptionsPerTopic: 0, Duration: workload.Duration(20 * time.Second), MaxInFlight: 100})
	wl, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := results.EncodeHist(results.NewHist())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []*results.Run
	for i := range 2 {
		r := &results.Run{Schema: results.Schema, Complete: true, Name: "m", RunID: "merge-1", Started: start, Ended: start.Add(20 * time.Second),
			Workload: wl, Shape: results.Shape{IntervalS: 1}, Histograms: results.Histograms{Publish: empty, E2E: empty},
			Shard: &results.Shard{Index: i, Count: 2, Producers: []int{i}, SendEndS: 20, ProduceEndS: 20}}
		for s := range 20 {
			r.Intervals = append(r.Intervals, results.Interval{Start: float64(s), End: float64(s + 1), Acked: 100, PublishHist: empty, E2EHist: empty})
		}
		acks := make([]results.Seqs, 2)
		if i == 0 {
			acks[0] = results.Seqs{{From: 0, To: 1000}, {From: 1300, To: 2000}}
			r.Faults = []results.Fault{{At: 10, Action: "pause", Target: "broker:1", Broker: 1, Phase: results.PhaseInject},
				{At: 12, Action: "pause", Target: "broker:1", Broker: 1, Phase: results.PhaseRecover}}
			r.ISR = []results.ISREvent{{At: 10.5, Topic: "kbench-merge-1-0", Partition: 0, Kind: "shrink", Leader: 2, ISR: []int32{2}}}
			r.Shard.Leaders = []results.ISREvent{{Topic: "kbench-merge-1-0", Partition: 0, Kind: "leader", Leader: 2}}
		} else {
			acks[1] = results.Seqs{{From: 0, To: 2000}}
		}
		r.Shard.Acks = acks
		r.Summary.E2ENegative = int64(i + 2)
		out = append(out, r)
	}
	return out
}

// checkFailover checks m, the merge of shardResults, carries failover
// figures over both shards' producers and shard 0's ISR events.
func checkFailover(t *testing.T, m *results.Run) {
	t.Helper()
	if len(m.Failover) != 1 {
		t.Fatalf("%d failover figures, want 1", len(m.Failover))
	}
	fo := m.Failover[0]
	// Shard 1's producer acknowledged throughout: over every shard's
	// producers, there was no moment without an acknowledgement.
	if fo.MaxNoAckS != 0 || fo.WorstPartition != "kbench-merge-1-0/0" || fo.WorstPartitionNoAckS < 2.99 || fo.WorstPartitionNoAckS > 3.01 {
		t.Errorf("max no ack %gs, worst partition %q %gs; want 0 s, kbench-merge-1-0/0 3 s", fo.MaxNoAckS, fo.WorstPartition, fo.WorstPartitionNoAckS)
	}
	if len(m.ISR) != 1 || fo.ISRShrinks != 1 {
		t.Errorf("ISR events %v, shrinks %d; want shard 0's one shrink", m.ISR, fo.ISRShrinks)
	}
}

// Merge computes the failover figures again over every shard's producers
// and keeps the ISR events.
func TestMergeFailover(t *testing.T) {
	m, err := Merge(shardResults(t))
	if err != nil {
		t.Fatal(err)
	}
	checkFailover(t, m)
	if m.Summary.E2ENegative != 5 {
		t.Errorf("merged e2e_negative %d, want the shards' 2 + 3", m.Summary.E2ENegative)
	}
}
