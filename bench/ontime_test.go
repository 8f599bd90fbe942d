package bench

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// A rate nobody can reach ends at the run's duration: the producer does
// not catch up afterwards, the messages due but never sent are counted and
// a note says the target was not reached, and nothing is sized by the
// two billion messages planned.
func TestUnreachableRateEndsOnTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 1, ProducerRate: 1e9, Duration: workload.Duration(2 * time.Second), MaxInFlight: 100}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		// Each acknowledgement takes 1 ms, so 100 in flight send at most
		// 100 000 msgs/s.
		res := runMem(t, w, func(time.Time) time.Duration { return time.Millisecond })
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		s := res.Summary
		if end := s.DurationS; end > 2.1 {
			t.Errorf("producing took %.2f s, want the 2 s duration", end)
		}
		if took > 3*time.Second {
			t.Errorf("the run took %s, want about 2 s", took)
		}
		if s.ProducedMessages < 150_000 || s.ProducedMessages > 201_000 {
			t.Errorf("produced %d, want about 200 000 (100 in flight, 1 ms each)", s.ProducedMessages)
		}
		if want := int64(2e9) - s.ProducedMessages; s.Unsent != want {
			t.Errorf("unsent %d, want the %d due but never sent", s.Unsent, want)
		}
		if s.UnsentShare < 0.999 || s.UnsentShare > 1 {
			t.Errorf("unsent share %g, want nearly 1", s.UnsentShare)
		}
		if !hasNote(res, "target rate (1e+09 msgs/s) was not reached") {
			t.Errorf("no note of the unreached rate in %q", res.Notes)
		}
		if !res.Complete || s.Lost != 0 {
			t.Errorf("complete %v (%s), lost %d: want a complete run that lost nothing", res.Complete, res.Incomplete, s.Lost)
		}
		// Before, the acknowledged and consumed sets reserved a bit per
		// planned message: 2 × 250 MB.
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 150<<20 {
			t.Errorf("the run allocated %d MiB, want far less than a bit per planned message", grew>>20)
		}
	})
}

// A rate that is reached leaves nothing unsent and says nothing of it.
func TestReachedRateHasNoUnsent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 64, ProducersPerTopic: 3,
			ProducerRate: 3000, Duration: workload.Duration(2 * time.Second)}
		res := runMem(t, w, nil)
		if s := res.Summary; s.Unsent != 0 || s.UnsentShare != 0 || s.ProducedMessages != 6000 {
			t.Errorf("produced %d, unsent %d (%g): want 6000 and none", s.ProducedMessages, s.Unsent, s.UnsentShare)
		}
		if hasNote(res, "not reached") {
			t.Errorf("a note of an unreached rate in %q", res.Notes)
		}
	})
}

// dueBefore counts by the loop's own formula, even at rates whose period
// is below a nanosecond.
func TestDueBefore(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		phase time.Duration
		quota int64
		end   time.Duration
		want  uint64
	}{
		{1000, 0, -1, time.Second, 1000},                      // due at 0, 1 ms, ... 999 ms
		{1000, 500 * time.Microsecond, -1, time.Second, 1000}, // 0.5 ms ... 999.5 ms
		{3, 0, -1, time.Second, 3},                            // 0, 333 ms, 666 ms
		{1000, 0, 10, time.Second, 10},                        // the quota bounds it
		{1e9, 0, -1, 2 * time.Second, 2e9},
		{1e300, 0, -1, time.Second, 1 << 62}, // saturates
		{1000, 2 * time.Second, -1, time.Second, 0},
	} {
		p := &producer{phase: c.phase, quota: c.quota}
		if got := p.dueBefore(c.end, float64(time.Second)/c.rate); got != c.want {
			t.Errorf("rate %g phase %s quota %d end %s: %d due, want %d", c.rate, c.phase, c.quota, c.end, got, c.want)
		}
	}
}

// An interruption ends the run within 2 s with an incomplete result, even
// while every acknowledgement is held back (a flush that would otherwise
// wait for the delivery timeout).
func TestInterruptEndsRunWithin2s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 1, ProducerRate: 1e300, Duration: workload.Duration(time.Hour), MaxInFlight: 1000})
		cfg, c := memConfig(w)
		c.down = true // no acknowledgement ever comes
		ctx, cancel := context.WithCancel(context.Background())
		var cancelled time.Time
		time.AfterFunc(time.Second, func() { cancelled = time.Now(); cancel() })
		res, err := Run(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(cancelled); took > 2*time.Second {
			t.Errorf("the run returned %s after the interruption, want within 2 s", took)
		}
		if res.Complete || !strings.HasPrefix(res.Incomplete, "interrupted") {
			t.Errorf("complete %v, incomplete %q: want an interrupted run", res.Complete, res.Incomplete)
		}
		if res.Summary.Unsent != 0 {
			t.Errorf("unsent %d in an interrupted run, want none claimed", res.Summary.Unsent)
		}
	})
}

// Sends that cannot complete (a leader gone for good) hold neither the
// producers nor the flush past the delivery timeout, and the stall is
// reported as one: no failover summary says throughput never fell.
func TestStalledAcksEndRunAndReportStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 1, ProducerRate: 1000, MaxInFlight: 500, Duration: workload.Duration(6 * time.Second),
			Producer: map[string]string{"delivery.timeout.ms": "2000"},
			Faults:   []workload.FaultSpec{{At: workload.Duration(2 * time.Second), Action: "kill", Target: "broker:1"}}})
		cfg, c := memConfig(w)
		cfg.Target = memFaultTarget{c: c}
		start := time.Now()
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		// 6 s of sending, then at most the delivery timeout and the
		// flush's margin.
		if took, most := time.Since(start), 6*time.Second+2*time.Second+flushMargin+time.Second; took > most {
			t.Errorf("the run took %s, want at most %s", took, most)
		}
		if res.Complete || !strings.Contains(res.Incomplete, "flush") {
			t.Errorf("complete %v, incomplete %q: want the flush's timeout", res.Complete, res.Incomplete)
		}
		if len(res.Failover) != 1 {
			t.Fatalf("%d failover summaries, want 1", len(res.Failover))
		}
		fo := res.Failover[0]
		if fo.RecoveryS == 0 {
			t.Errorf("recovery %g (never below 90%%) after acknowledgements stopped for good: %+v", fo.RecoveryS, fo)
		}
		if fo.MaxNoAckS < 3.9 {
			t.Errorf("max no-ack %.2f s, want at least the 4 s to the end of sending", fo.MaxNoAckS)
		}
	})
}

func hasNote(res *results.Run, s string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// A leader killed for good in the last interval of sending: that interval
// still holds 90% of the level, but no acknowledgement ever comes again,
// which is no "throughput never below 90%".
func TestAcksStoppedIsNoRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 1000, MaxInFlight: 5000, Duration: workload.Duration(6 * time.Second),
			Producer: map[string]string{"delivery.timeout.ms": "2000"},
			Faults:   []workload.FaultSpec{{At: workload.Duration(5950 * time.Millisecond), Action: "kill", Target: "broker:1"}}}
		res := runFaults(t, w, func(c *memCluster) cluster.Target { return memFaultTarget{c: c} }, nil)
		fo := res.Failover[0]
		if fo.RecoveryS == 0 {
			t.Errorf("recovery 0 (never below 90%%) though no acknowledgement came for %.2f s", fo.MaxNoAckS)
		}
		if fo.MaxNoAckS < 1 {
			t.Errorf("max no-ack %.2f s, want the stall to the end", fo.MaxNoAckS)
		}
	})
}

// A topic creation the cluster never answers ends the run with an error
// after createTimeout, or as soon as the run is interrupted.
func TestTopicCreationHangIsBounded(t *testing.T) {
	for _, interrupt := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
				ProducerRate: 100, Duration: workload.Duration(time.Second)})
			cfg, c := memConfig(w)
			c.createHangs = true
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			want := createTimeout
			if interrupt {
				want = time.Second
				time.AfterFunc(want, cancel)
			}
			start := time.Now()
			res, err := Run(ctx, cfg)
			if err == nil || res != nil {
				t.Fatalf("interrupt %v: Run = %v, %v; want an error and no result", interrupt, res, err)
			}
			if took := time.Since(start); took > want {
				t.Errorf("interrupt %v: Run returned after %s, want at most %s", interrupt, took, want)
			}
		})
	}
}
