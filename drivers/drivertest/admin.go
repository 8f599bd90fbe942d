package drivertest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
)

// testAdmin checks a's contract, and drivers.LeaderMover's when a
// implements it.
func testAdmin(t *testing.T, a drivers.Admin) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	brokers, err := a.Brokers(ctx)
	if err != nil || len(brokers) == 0 {
		t.Fatalf("Brokers = %v, %v", brokers, err)
	}
	if _, err := a.Controller(ctx); err != nil {
		t.Fatalf("Controller: %v", err)
	}
	name := fmt.Sprintf("kbench-admin-%d-%d", time.Now().UnixNano(), topicSeq.Add(1))
	spec := drivers.TopicSpec{Name: name, Partitions: 2, ReplicationFactor: int16(min(3, len(brokers))),
		Configs: map[string]string{"max.message.bytes": "2000000"}}
	if err := a.CreateTopic(ctx, spec); err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	defer a.DeleteTopic(context.Background(), name)
	if err := a.CreateTopic(ctx, spec); err == nil {
		t.Error("CreateTopic of an existing topic succeeded")
	}

	ps, err := a.Partitions(ctx, name)
	if err != nil || len(ps) != 2 || ps[0].Partition != 0 || ps[1].Partition != 1 {
		t.Fatalf("Partitions = %+v, %v", ps, err)
	}
	for _, p := range ps {
		if p.Topic != name || p.Leader < 0 || len(p.Replicas) != int(spec.ReplicationFactor) || len(p.ISR) == 0 {
			t.Errorf("partition %+v: want topic %s, a leader, %d replicas and an ISR", p, name, spec.ReplicationFactor)
		}
	}
	ends, err := a.EndOffsets(ctx, name)
	if err != nil || len(ends) != 2 || ends[0] != 0 || ends[1] != 0 {
		t.Fatalf("EndOffsets = %v, %v", ends, err)
	}

	if ls, ok := a.(drivers.LogSizer); ok {
		// Nothing written yet: every partition's log is empty.
		sizes, err := ls.LogBytes(ctx, name)
		if err != nil || len(sizes) != 2 || sizes[0] != 0 || sizes[1] != 0 {
			t.Errorf("LogBytes of a new topic = %v, %v; want 2 partitions of 0 bytes", sizes, err)
		}
	}
	if cd, ok := a.(drivers.ConfigDescriber); ok {
		testConfigDescriber(ctx, t, cd, name, brokers)
	}
	if lm, ok := a.(drivers.LeaderMover); ok {
		testLeaderMover(ctx, t, a, lm, name, len(brokers))
	}

	if err := a.DeleteTopic(ctx, name); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if err := a.DeleteTopic(ctx, name+"-missing"); err != nil {
		t.Errorf("DeleteTopic of a missing topic: %v", err)
	}
}

// testLeaderMover moves partition 0's leader of topic away and back.
func testLeaderMover(ctx context.Context, t *testing.T, a drivers.Admin, lm drivers.LeaderMover, topic string, brokers int) {
	t.Helper()
	if brokers > 1 {
		ps, err := a.Partitions(ctx, topic)
		if err != nil {
			t.Fatalf("Partitions: %v", err)
		}
		old := ps[0].Leader
		got, err := lm.MoveLeader(ctx, topic, 0, old)
		if err != nil {
			t.Fatalf("MoveLeader: %v", err)
		}
		if got == old || got < 0 {
			t.Errorf("MoveLeader away from %d returned %d", old, got)
		}
		now, err := a.Partitions(ctx, topic)
		if err != nil || now[0].Leader != got {
			t.Errorf("after MoveLeader to %d, partitions = %+v, %v", got, now, err)
		}
		// Moving away from a broker that does not lead changes nothing.
		if again, err := lm.MoveLeader(ctx, topic, 0, old); err != nil || again != got {
			t.Errorf("second MoveLeader = %d, %v; want %d", again, err, got)
		}
	}
	if err := lm.ElectPreferred(ctx, topic); err != nil {
		t.Errorf("ElectPreferred: %v", err)
	}
}

// testConfigDescriber reads every broker's message.max.bytes and the
// max.message.bytes topic was created with.
func testConfigDescriber(ctx context.Context, t *testing.T, cd drivers.ConfigDescriber, topic string, brokers []drivers.Broker) {
	t.Helper()
	bcs, err := cd.BrokerConfigs(ctx, "message.max.bytes", "no.such.config")
	if err != nil {
		t.Fatalf("BrokerConfigs: %v", err)
	}
	if len(bcs) != len(brokers) {
		t.Errorf("BrokerConfigs answered for %d brokers, want %d: %v", len(bcs), len(brokers), bcs)
	}
	for _, b := range brokers {
		cs := bcs[b.ID]
		if n, err := strconv.Atoi(cs["message.max.bytes"]); err != nil || n <= 0 || len(cs) != 1 {
			t.Errorf("broker %d configs = %v, want message.max.bytes as a positive number and nothing else", b.ID, cs)
		}
	}
	tcs, err := cd.TopicConfigs(ctx, topic, "max.message.bytes", "cleanup.policy")
	if err != nil {
		t.Fatalf("TopicConfigs: %v", err)
	}
	// The topic's own setting, and the broker default it takes.
	if tcs["max.message.bytes"] != "2000000" || tcs["cleanup.policy"] != "delete" {
		t.Errorf("TopicConfigs = %v, want max.message.bytes 2000000 and cleanup.policy delete", tcs)
	}
	if _, err := cd.TopicConfigs(ctx, topic+"-missing", "max.message.bytes"); err == nil {
		t.Error("TopicConfigs of a missing topic succeeded")
	}
}
