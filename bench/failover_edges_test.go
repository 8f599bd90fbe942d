package bench

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// The failover figures at their edges (issue 20, items 1-5): each test
// injects a stall whose length and place are known, and checks the figures
// against that arithmetic.

// runFaults runs w against a memCluster with target made of it.
func runFaults(t *testing.T, w *workload.Workload, target func(*memCluster) cluster.Target, lag func(time.Time) time.Duration) *results.Run {
	t.Helper()
	cfg, c := memConfig(mustResolve(t, w))
	cfg.Target = target(c)
	c.ackLag = lag
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failover) != 1 {
		t.Fatalf("%d failover summaries, want 1: faults %+v", len(res.Failover), res.Faults)
	}
	return res
}

// Item 1: a fault at 11.7 s of a 12 s run holds every acknowledgement for
// 4 s, so none arrive from 11.7 s to 15.7 s, during the flush, and the
// messages due at 11.7 s wait 4000 ms. The stretch without acks and the
// window follow the acknowledgements through the flush.
func TestFailoverFollowsAcksThroughFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 2000, MaxInFlight: 10000, Duration: workload.Duration(12 * time.Second),
			Faults: []workload.FaultSpec{{At: workload.Duration(11700 * time.Millisecond), Action: "pause", Target: "broker:1", Duration: workload.Duration(4 * time.Second)}}}
		res := runFaults(t, w, func(c *memCluster) cluster.Target { return memFaultTarget{c: c} }, nil)
		fo := res.Failover[0]
		if fo.MaxNoAckS < 3.99 || fo.MaxNoAckS > 4.02 {
			t.Errorf("max no-ack %.2f s, want 4 (11.7 s to 15.7 s)", fo.MaxNoAckS)
		}
		if fo.WindowStart > 11.7 || fo.WindowEnd < 15.7 || fo.WindowOpenAtEnd {
			t.Errorf("window %g-%g s (open at end %v), want one closed window over 11.7-15.7 s", fo.WindowStart, fo.WindowEnd, fo.WindowOpenAtEnd)
		}
		if l := fo.LatencyWindowMs; l.Max < 3990 || l.Max > 4010 || l.Max != res.Summary.PublishLatencyMs.Max {
			t.Errorf("window latency max %.0f ms, run's %.0f ms; want both 4000", l.Max, res.Summary.PublishLatencyMs.Max)
		}
	})
}

// quietTarget injects faults that do nothing the producers see: a pause
// of a broker that leads nothing.
type quietTarget struct{ memTarget }

func (quietTarget) Supports(cluster.Action) error { return nil }
func (quietTarget) BrokerIDs() []int32            { return []int32{0, 1, 2} }
func (quietTarget) Inject(context.Context, cluster.Fault) (cluster.Undo, error) {
	return func(context.Context) error { return nil }, nil
}

// Item 2: a harmless fault at 4 s, undone at 5 s, and a 1.5 s stall of the
// client from 16 s: the stall, 11 s after the fault was undone, is not
// the fault's.
func TestFailoverIgnoresLaterStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 1000, MaxInFlight: 5000, Duration: workload.Duration(20 * time.Second),
			Faults: []workload.FaultSpec{{At: workload.Duration(4 * time.Second), Action: "pause", Target: "broker:2", Duration: workload.Duration(time.Second)}}}
		var start time.Time
		lag := func(now time.Time) time.Duration {
			if start.IsZero() {
				start = now
			}
			if at := now.Sub(start); at >= 16*time.Second && at < 17500*time.Millisecond {
				return 17500*time.Millisecond - at
			}
			return 0
		}
		res := runFaults(t, w, func(*memCluster) cluster.Target { return quietTarget{} }, lag)
		fo := res.Failover[0]
		if fo.MaxNoAckS > 0.05 || fo.WindowEnd != 0 || fo.WorstPartition != "" || fo.RecoveryS != 0 {
			t.Errorf("max no-ack %.2f s, window %g-%g s, worst %q, recovery %g; want a fault with no effect",
				fo.MaxNoAckS, fo.WindowStart, fo.WindowEnd, fo.WorstPartition, fo.RecoveryS)
		}
		if res.Summary.PublishLatencyMs.Max < 1490 {
			t.Fatalf("run's publish max %.0f ms: the stall did not happen; the test checks nothing", res.Summary.PublishLatencyMs.Max)
		}
	})
}

// actsFirstTarget acts as soon as it is asked and returns only after
// returns: a controlled stop moves leaders, and so stalls the producers,
// before the broker has stopped.
type actsFirstTarget struct {
	memFaultTarget
	returns time.Duration
}

func (t actsFirstTarget) Inject(ctx context.Context, f cluster.Fault) (cluster.Undo, error) {
	t.c.mu.Lock()
	t.c.down = true
	t.c.mu.Unlock()
	time.Sleep(t.returns)
	return t.memFaultTarget.Inject(ctx, f)
}

// Item 4: a stop asked for at 3 s stalls acknowledgements at once and
// returns at 4.5 s; undone 2 s later, at 6.5 s. The stall is 3.5 s, from
// the request, and recovery is measured from it.
func TestFailoverFromRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 1000, MaxInFlight: 5000, Duration: workload.Duration(12 * time.Second),
			Faults: []workload.FaultSpec{{At: workload.Duration(3 * time.Second), Action: "stop", Target: "broker:1", Duration: workload.Duration(2 * time.Second)}}}
		res := runFaults(t, w, func(c *memCluster) cluster.Target {
			return actsFirstTarget{memFaultTarget: memFaultTarget{c: c}, returns: 1500 * time.Millisecond}
		}, nil)
		fo := res.Failover[0]
		if math.Abs(fo.Fault.RequestedAt-3) > 0.01 || math.Abs(fo.Fault.At-4.5) > 0.01 {
			t.Fatalf("fault requested at %.2f, done at %.2f; want 3 and 4.5", fo.Fault.RequestedAt, fo.Fault.At)
		}
		if fo.MaxNoAckS < 3.49 || fo.MaxNoAckS > 3.52 {
			t.Errorf("max no-ack %.2f s, want 3.5 (3 s to 6.5 s)", fo.MaxNoAckS)
		}
		// Back at the level with the interval 6-7 s, the first of three.
		if fo.RecoveryS < 3.99 || fo.RecoveryS > 4.01 || fo.WindowStart != 3 {
			t.Errorf("recovery %.2f s, window from %g s; want 4 s from the request at 3 s", fo.RecoveryS, fo.WindowStart)
		}
		if fo.LatencyWindowMs.Max < 3490 || fo.RateBefore < 990 {
			t.Errorf("window latency max %.0f ms, rate before %.0f; want 3500 ms and 1000", fo.LatencyWindowMs.Max, fo.RateBefore)
		}
	})
}

// Item 4, leaders: the stop asked for at 10 s moved broker 1's partition
// to broker 2 at 10.2 s and returned at 10.5 s. The broker led it when
// asked, and its leader was replaced 0.2 s later.
func TestLeaderReplacedFromRequest(t *testing.T) {
	initial := map[partKey]int32{{"t", 0}: 1}
	events := []results.ISREvent{{At: 10.2, Topic: "t", Partition: 0, Kind: isrLeader, Leader: 2}}
	fos := []results.Failover{{Fault: results.Fault{RequestedAt: 10, At: 10.5, Action: "stop", Broker: 1}}}
	addISRMetrics(fos, initial, events, 30)
	if got := fos[0].LeaderReplacedS; math.Abs(got-0.2) > 1e-9 {
		t.Errorf("leader replaced after %g s, want 0.2 from the request", got)
	}
}

// hist encodes a publish histogram holding n values of ms milliseconds.
func hist(t *testing.T, n int64, ms float64) string {
	t.Helper()
	h := results.NewHistUpTo(time.Minute)
	if err := h.RecordValues(int64(ms*1000), n); err != nil {
		t.Fatal(err)
	}
	enc, err := results.EncodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// busyIntervals returns n one-second intervals, each with 100 sent and
// acknowledged at 1 ms, and a timeline of partitions 0 to parts-1
// acknowledged every 10 ms up to end s.
func busyIntervals(t *testing.T, n, parts int, end float64) ([]results.Interval, ackTimeline) {
	ivs := make([]results.Interval, n)
	for i := range ivs {
		ivs[i] = results.Interval{Start: float64(i), End: float64(i + 1), Sent: 100, Acked: 100, PublishHist: hist(t, 100, 1)}
	}
	var acks ackTimeline
	for p := range parts {
		for b := range int(end * 100) {
			acks.mark(p, int64(b)*ackResolution)
		}
	}
	return ivs, acks
}

// unmark clears partition p's buckets in [from, to) seconds.
func (t ackTimeline) unmark(p int, from, to float64) {
	for b := bucketAt(from); b < bucketAt(to); b++ {
		t[p][b/64] &^= 1 << (uint(b) % 64)
	}
}

// Item 2, latency: one of two partitions stalls from the fault at 5 s to
// 6.5 s while throughput holds; the acknowledgements that end the stall,
// at 6.5 s, are in the interval 6-7 s with 1500 ms latency. The window
// covers that interval, and its latency includes them.
func TestFailoverWindowHoldsTheStallsLatency(t *testing.T) {
	ivs, acks := busyIntervals(t, 12, 2, 12)
	acks.unmark(1, 5, 6.5)
	ivs[6].PublishHist = hist(t, 100, 1500)
	shape := runShape{sendEnd: 12, ackEnd: 12, interval: 1, topics: []string{"t"}, partitionsPerTopic: 2}
	fo := analyseFailover(ivs, []results.Fault{{At: 5, Action: "kill", Broker: 1, Phase: results.PhaseInject}}, acks, shape)[0]
	if fo.WorstPartition != "t/1" || math.Abs(fo.WorstPartitionNoAckS-1.5) > 0.011 {
		t.Errorf("worst partition %q %.2f s, want t/1 1.5 s", fo.WorstPartition, fo.WorstPartitionNoAckS)
	}
	if fo.WindowStart != 5 || fo.WindowEnd != 7 || fo.LatencyWindowMs.Max < 1490 || fo.LatencyWindowMs.Count != 200 {
		t.Errorf("window %g-%g s with latency %+v; want 5-7 s holding the 100 acks at 1500 ms", fo.WindowStart, fo.WindowEnd, fo.LatencyWindowMs)
	}
}

// Items 1 and 5: acknowledgements stop at 11.7 s of a 12 s run and never
// come back; the 30 messages then in flight fail at 15.7 s (timed out),
// when the producers end. The stall runs to the end, so its 4 s is a lower
// bound, said in the figure; the window counts the 30 failed beside the
// 70 acknowledged in it.
func TestFailoverOpenAtEndWithFailedSends(t *testing.T) {
	ivs, acks := busyIntervals(t, 17, 1, 11.7)
	ivs[11].Acked, ivs[11].PublishHist = 70, hist(t, 70, 1)
	for i := 12; i < 17; i++ {
		ivs[i].Sent, ivs[i].Acked, ivs[i].PublishHist = 0, 0, ""
	}
	ivs[11].Sent = 100
	ivs[15].Errors, ivs[15].ErrorsByKind = 30, map[string]int64{"timeout": 30}
	shape := runShape{sendEnd: 12, ackEnd: 15.7, interval: 1, topics: []string{"t"}, partitionsPerTopic: 1}
	fo := analyseFailover(ivs, []results.Fault{{At: 11.7, Action: "pause", Broker: 1, Phase: results.PhaseInject}}, acks, shape)[0]
	if math.Abs(fo.MaxNoAckS-4) > 0.011 || !fo.WindowOpenAtEnd {
		t.Errorf("max no-ack %.2f s, open at end %v; want 4 s, open", fo.MaxNoAckS, fo.WindowOpenAtEnd)
	}
	if fo.WindowStart != 11 || fo.WindowEnd != 16 {
		t.Errorf("window %g-%g s, want 11-16 s", fo.WindowStart, fo.WindowEnd)
	}
	if fo.FailedWindow != 30 || math.Abs(fo.FailedWindowShare-0.3) > 1e-9 || fo.LatencyWindowMs.Count != 70 {
		t.Errorf("failed %d (share %g) beside %d latencies, want 30 (0.3) beside 70", fo.FailedWindow, fo.FailedWindowShare, fo.LatencyWindowMs.Count)
	}
}

// A shard of a distributed run waits for the others after its last
// acknowledgement: with every message acknowledged, that wait is no stall.
func TestAckHorizonEndsWithTheLastAck(t *testing.T) {
	ivs, acks := busyIntervals(t, 12, 1, 12)
	shape := runShape{sendEnd: 12, ackEnd: 20, interval: 1}
	if got := ackHorizon(ivs, acks, shape); got != 12 {
		t.Errorf("horizon %g s, want 12, the last acknowledgement", got)
	}
	ivs[11].Sent += 5 // five never had an outcome
	if got := ackHorizon(ivs, acks, shape); math.Abs(got-20.01) > 1e-9 {
		t.Errorf("horizon %g s with messages outstanding, want 20.01, the end of the producers' end's bucket", got)
	}
}
