package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// These tests run against the real Apache Kafka cluster whose state
// directory KBENCH_LOCAL_DIR names ('make test' starts one, shared by the
// whole suite). Each leaves the cluster with every broker up and in sync.

func localCluster(t *testing.T) *local.Cluster {
	t.Helper()
	dir := os.Getenv("KBENCH_LOCAL_DIR")
	if dir == "" {
		t.Skip("KBENCH_LOCAL_DIR is not set: no real Kafka cluster to test against ('make test' starts one)")
	}
	l, err := local.Open(dir, franz.Driver{}.NewAdmin)
	if err != nil {
		t.Fatalf("open local cluster %s: %v", dir, err)
	}
	t.Cleanup(func() {
		// Whatever the test did, the next one gets a healthy cluster.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, id := range l.BrokerIDs() {
			_ = l.Resume(id)
		}
		for _, st := range l.Status(ctx) {
			if !st.Up {
				if err := l.Start(ctx, st.ID); err != nil {
					t.Errorf("restart broker %d: %v", st.ID, err)
				}
			}
		}
		if err := l.WaitReady(ctx); err != nil {
			t.Errorf("cluster not ready after the test: %v", err)
		}
		l.Close()
	})
	return l
}

func runLocal(t *testing.T, l *local.Cluster, driver string, w *workload.Workload) *results.Run {
	t.Helper()
	d, err := all.Get(driver)
	if err != nil {
		t.Fatal(err)
	}
	res := runOn(t, l, d, w, 5*time.Minute)
	if !res.Complete {
		t.Errorf("run incomplete: %s", res.Incomplete)
	}
	return res
}

// durable is the HA scenario: replication factor 3, min.insync.replicas=2,
// idempotent producers with acks=all and retries.
func durable(w *workload.Workload) *workload.Workload {
	w.ReplicationFactor = 3
	w.TopicConfig = map[string]string{"min.insync.replicas": "2"}
	w.Producer = map[string]string{"acks": "all", "enable.idempotence": "true", "retries": "2147483647",
		"request.timeout.ms": "10000", "delivery.timeout.ms": "120000"}
	return w
}

// What kbench reports as produced is exactly what the brokers hold.
func TestLocalEndOffsetsMatchProduced(t *testing.T) {
	l := localCluster(t)
	for _, driver := range all.Names() {
		t.Run(driver, func(t *testing.T) {
			w := durable(&workload.Workload{Topics: 1, PartitionsPerTopic: 3, MessageSize: 512, ProducersPerTopic: 2,
				SubscriptionsPerTopic: 1, Messages: 6000, Duration: workload.Duration(2 * time.Minute), KeyDistributor: workload.KeyRoundRobin})
			res := runLocal(t, l, driver, w)
			s, v := res.Summary, res.Verify
			if s.ProducedMessages != 6000 || v.EndOffsets != 6000 || s.ConsumedMessages != 6000 {
				t.Errorf("produced %d, end offsets %d, consumed %d: want 6000 each (%s)", s.ProducedMessages, v.EndOffsets, s.ConsumedMessages, v.OffsetCheck)
			}
			if s.Lost+s.Duplicated+s.Reordered != 0 {
				t.Errorf("lost %d duplicated %d reordered %d", s.Lost, s.Duplicated, s.Reordered)
			}
			if res.Cluster.KafkaVersion == "" || len(res.Cluster.Nodes) != 3 {
				t.Errorf("cluster description %+v lacks the version or nodes", res.Cluster)
			}
		})
	}
}

// failoverWorkload kills (or otherwise faults) the leader of partition 0
// under load, 4 s into a 14 s measurement, for 4 s. The test clusters run
// the fast-failover profile (a dead broker is fenced after 3 s), so the
// leader moves about 3 s into the fault, and throughput has 6 s after the
// fault's undo to come back, on a busy machine too.
func failoverWorkload(action cluster.Action) *workload.Workload {
	return durable(&workload.Workload{Topics: 1, PartitionsPerTopic: 3, MessageSize: 512, ProducersPerTopic: 1,
		SubscriptionsPerTopic: 1, ProducerRate: 1500, KeyDistributor: workload.KeyRoundRobin, MaxInFlight: 20000,
		Warmup: workload.Duration(2 * time.Second), Duration: workload.Duration(14 * time.Second), Drain: workload.Duration(60 * time.Second),
		Faults: []workload.FaultSpec{{At: workload.Duration(4 * time.Second), Action: action, Target: "leader:0/0", Duration: workload.Duration(4 * time.Second)}}})
}

func checkFailover(t *testing.T, res *results.Run) results.Failover {
	t.Helper()
	s := res.Summary
	if s.Lost != 0 || s.Duplicated != 0 {
		t.Errorf("lost %d duplicated %d: acks=all with min.insync.replicas=2 must lose nothing (%+v)", s.Lost, s.Duplicated, res.Verify)
	}
	w, err := workload.ParseWorkload(res.Workload)
	if err != nil {
		t.Fatal(err)
	}
	scheduled := int64(w.ProducerRate * (w.Warmup.D() + w.Duration.D()).Seconds())
	if s.ProducedMessages < scheduled*85/100 {
		t.Errorf("produced %d, want the %d scheduled (errors %v)", s.ProducedMessages, scheduled, s.ErrorsByKind)
	}
	for _, f := range res.Faults {
		if f.Error != "" {
			t.Errorf("fault %s %s: %s", f.Phase, f.Action, f.Error)
		}
	}
	if len(res.Failover) != 1 {
		t.Fatalf("%d failover summaries, want 1 (faults %+v)", len(res.Failover), res.Faults)
	}
	return res.Failover[0]
}

func TestLocalKillLeaderLosesNothing(t *testing.T) {
	l := localCluster(t)
	for _, driver := range all.Names() {
		t.Run(driver, func(t *testing.T) {
			res := runLocal(t, l, driver, failoverWorkload("kill"))
			fo := checkFailover(t, res)
			if fo.MaxNoAckS <= 0 || fo.MaxNoAckS >= res.Summary.DurationS {
				t.Errorf("unavailability window %.2f s: want one reported, shorter than the run (%.0f s)", fo.MaxNoAckS, res.Summary.DurationS)
			}
			t.Logf("%s: no-ack %.2fs (worst partition %s %.2fs), recovery %.2fs, p99 in window %.1f ms, max %.1f ms",
				driver, fo.MaxNoAckS, fo.WorstPartition, fo.WorstPartitionNoAckS, fo.RecoveryS, fo.LatencyWindowMs.P99, fo.LatencyWindowMs.Max)
			// The leader is back after 4 s, 6 s before sending ends.
			if fo.RecoveryS < 0 {
				t.Errorf("recovery not seen (%s), want a finite one", fo.Recovery)
			}
		})
	}
}

// A fault that does nothing (exec of true) disturbs nothing: recovery 0
// and no window, neither a dip nor "never recovered".
func TestLocalNoOpFault(t *testing.T) {
	l := localCluster(t)
	w := failoverWorkload("exec")
	w.Faults[0].Command = []string{"true"}
	w.Duration = workload.Duration(10 * time.Second)
	res := runLocal(t, l, "franz", w)
	fo := checkFailover(t, res)
	// The claim needs a steady cluster: on a shared, busy one, stalls of
	// its own come and go, before the fault or after it, and a no-op
	// cannot be told from them. The last, partial interval is no rate.
	for _, iv := range res.Intervals {
		full := iv.End-iv.Start >= 0.9*w.Interval.D().Seconds() // w was resolved by the run
		if !iv.Warmup && full && math.Abs(float64(iv.Acked)/(iv.End-iv.Start)-fo.RateBefore) > 0.1*fo.RateBefore {
			t.Skipf("the cluster was not steady (%.0f acked in %.0f-%.0fs against %.0f/s before the fault): a no-op cannot be told from its own stalls", float64(iv.Acked), iv.Start, iv.End, fo.RateBefore)
		}
	}
	if fo.RecoveryS != 0 || fo.WindowEnd != 0 || fo.WorstPartition != "" {
		t.Errorf("no-op fault: recovery %g (%s), window %.1f-%.1f, worst partition %q %.2fs (usually %.2fs); want 0, none, none",
			fo.RecoveryS, fo.Recovery, fo.WindowStart, fo.WindowEnd, fo.WorstPartition, fo.WorstPartitionNoAckS, fo.WorstPartitionUsualNoAckS)
		for _, iv := range res.Intervals {
			t.Logf("%5.2f-%5.2fs: acked %d", iv.Start, iv.End, iv.Acked)
		}
	}
}

func TestLocalPauseLeader(t *testing.T) {
	l := localCluster(t)
	res := runLocal(t, l, "franz", failoverWorkload("pause"))
	fo := checkFailover(t, res)
	// A frozen leader holds its partitions' acknowledgements until the
	// controller fences it or it is resumed.
	if fo.WorstPartitionNoAckS < 1 {
		t.Errorf("worst partition went %.2f s without acknowledgements, want a visible stall", fo.WorstPartitionNoAckS)
	}
}

func TestLocalLeaderMove(t *testing.T) {
	l := localCluster(t)
	w := failoverWorkload("leader-move")
	// A move takes a moment, not a failure detection: 8 s are plenty.
	w.Faults[0].Duration, w.Duration = 0, workload.Duration(8*time.Second)
	res := runLocal(t, l, "franz", w)
	checkFailover(t, res)
	if res.Faults[0].Broker < 0 {
		t.Errorf("leader-move resolved no broker: %+v", res.Faults[0])
	}
}

func TestLocalRefusesImpossibleFaults(t *testing.T) {
	l := localCluster(t)
	w := failoverWorkload("kill")
	w.Faults[0].Target = "broker:99"
	err := checkFaults(mustResolve(t, w), l, memAdmin{})
	if err == nil || !strings.Contains(err.Error(), "no broker 99") {
		t.Errorf("unknown broker: %v", err)
	}
	e, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	exec := failoverWorkload("exec")
	exec.Faults[0].Command = []string{"true"}
	if err := checkFaults(mustResolve(t, exec), e, memAdmin{}); err == nil || !strings.Contains(err.Error(), "runs no commands") {
		t.Errorf("exec on embedded: %v", err)
	}
}

// Random payloads are distinct per message, so compression sees what a
// real stream would: with every byte random, zstd saves next to nothing and
// the brokers store about what was produced; with a tenth random, far
// less. The truth is the brokers' log sizes.
func TestLocalStoredBytesCompressed(t *testing.T) {
	l := localCluster(t)
	for _, driver := range all.Names() {
		for _, c := range []struct {
			ratio       float64 // 0: zeros, not random
			compression string  // "": not set
			min, max    float64 // stored / produced
		}{
			{1.0, "zstd", 0.9, 1.3},
			{0.1, "zstd", 0, 0.4},
			// Zeros would shrink to nothing compressed: stored in full, no
			// driver compresses unless told to.
			{0, "", 0.9, 1.3},
		} {
			t.Run(fmt.Sprintf("%s/ratio=%g/compression=%s", driver, c.ratio, c.compression), func(t *testing.T) {
				w := &workload.Workload{Topics: 1, PartitionsPerTopic: 3, MessageSize: 1024, ProducersPerTopic: 2,
					Messages: 8000, Duration: workload.Duration(2 * time.Minute), ReplicationFactor: 1,
					UseRandomizedPayloads: c.ratio > 0, RandomBytesRatio: c.ratio,
					Producer: map[string]string{"linger.ms": "5"}}
				if c.compression != "" {
					w.Producer["compression.type"] = c.compression
				}
				res := runLocal(t, l, driver, w)
				s := res.Summary
				if s.StoredBytes == nil {
					t.Fatalf("stored bytes unknown: %v", res.Notes)
				}
				share := float64(*s.StoredBytes) / float64(s.ProducedBytes)
				t.Logf("%s ratio %g compression %q: produced %d bytes, stored %d (%.3f)", driver, c.ratio, c.compression, s.ProducedBytes, *s.StoredBytes, share)
				if share < c.min || share > c.max {
					t.Errorf("stored %.3f of the bytes produced, want %g to %g", share, c.min, c.max)
				}
			})
		}
	}
}

// longTest skips t unless KBENCH_LONG_TESTS=1 ('make test-long'): cases
// that take minutes on a 2-core machine and add little to what the
// shorter ones show.
func longTest(t *testing.T) {
	t.Helper()
	if os.Getenv("KBENCH_LONG_TESTS") != "1" {
		t.Skip("a long case: KBENCH_LONG_TESTS=1 runs it ('make test-long')")
	}
}
