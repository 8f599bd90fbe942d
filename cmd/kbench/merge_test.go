package main

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

// kbench merge of shards' result files carries failover figures computed
// over every shard's producers, and the ISR events: shard 0's producer
// stalled 3 s after the fault, shard 1's never did.
func TestMergeFailover(t *testing.T) {
	dir := t.TempDir()
	empty, err := results.EncodeHist(results.NewHist())
	if err != nil {
		t.Fatal(err)
	}
	wl, _ := json.Marshal(map[string]any{"topics": 1, "partitionsPerTopic": 2, "producersPerTopic": 2, "messageSize": 100, "topicPrefix": "kbench"})
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var files []string
	for i := range 2 {
		r := &results.Run{Schema: results.Schema, Complete: true, Name: "m", RunID: "merge-1", Started: start, Ended: start.Add(20 * time.Second),
			Workload: wl, Shape: results.Shape{IntervalS: 1}, Histograms: results.Histograms{Publish: empty, E2E: empty},
			Shard: &results.Shard{Index: i, Count: 2, Producers: []int{i}, SendEndS: 20, ProduceEndS: 20, Acks: make([]results.Seqs, 2)}}
		for s := range 20 {
			r.Intervals = append(r.Intervals, results.Interval{Start: float64(s), End: float64(s + 1), Acked: 100, PublishHist: empty, E2EHist: empty})
		}
		r.Shard.Acks[i] = results.Seqs{{From: 0, To: 2000}}
		if i == 0 {
			r.Shard.Acks[0] = results.Seqs{{From: 0, To: 1000}, {From: 1300, To: 2000}}
			r.Faults = []results.Fault{{At: 10, Action: "pause", Target: "broker:1", Broker: 1, Phase: results.PhaseInject}}
			r.ISR = []results.ISREvent{{At: 10.5, Topic: "kbench-merge-1-0", Partition: 0, Kind: "shrink", Leader: 2, ISR: []int32{2}}}
		}
		files = append(files, filepath.Join(dir, "shard-"+strconv.Itoa(i)+".json"))
		if err := results.Write(files[i], r); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "merged.json")
	if code, _, stderr := kbench(t, "merge", "-q", files[0], files[1], "-o", out); code != exitOK {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
	m, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Failover) != 1 || m.Failover[0].MaxNoAckS != 0 || m.Failover[0].WorstPartition != "kbench-merge-1-0/0" || len(m.ISR) != 1 || m.Failover[0].ISRShrinks != 1 {
		t.Errorf("merged failover %+v, ISR %v; want one fault, no gap over both shards, partition 0 stalled, one shrink", m.Failover, m.ISR)
	}
}
