package franz_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/drivertest"
)

func TestAdmin(t *testing.T) {
	for _, target := range drivertest.Targets(t) {
		t.Run(target.Name, func(t *testing.T) { testAdmin(t, target.Admin) })
	}
}

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
	name := fmt.Sprintf("kbench-admin-%d", time.Now().UnixNano())
	spec := drivers.TopicSpec{Name: name, Partitions: 2, ReplicationFactor: int16(min(3, len(brokers)))}
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
	ends, err := a.EndOffsets(ctx, name)
	if err != nil || len(ends) != 2 || ends[0] != 0 {
		t.Fatalf("EndOffsets = %v, %v", ends, err)
	}

	if len(brokers) > 1 {
		old := ps[0].Leader
		got, err := a.MoveLeader(ctx, name, 0, old)
		if err != nil {
			t.Fatalf("MoveLeader: %v", err)
		}
		if got == old || got < 0 {
			t.Errorf("MoveLeader away from %d returned %d", old, got)
		}
		now, err := a.Partitions(ctx, name)
		if err != nil || now[0].Leader != got {
			t.Errorf("after MoveLeader to %d, partitions = %+v, %v", got, now, err)
		}
		// Moving away from a broker that does not lead changes nothing.
		if again, err := a.MoveLeader(ctx, name, 0, old); err != nil || again != got {
			t.Errorf("second MoveLeader = %d, %v; want %d", again, err, got)
		}
	}
	if err := a.ElectPreferred(ctx, name); err != nil {
		t.Errorf("ElectPreferred: %v", err)
	}

	if err := a.DeleteTopic(ctx, name); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if err := a.DeleteTopic(ctx, name+"-missing"); err != nil {
		t.Errorf("DeleteTopic of a missing topic: %v", err)
	}
}
