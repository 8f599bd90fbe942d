package bench

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

func mustResolve(t *testing.T, w *workload.Workload) *workload.Workload {
	t.Helper()
	if err := w.Resolve(); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return w
}

func runMem(t *testing.T, w *workload.Workload, lag func(time.Time) time.Duration) *results.Run {
	t.Helper()
	cfg, c := memConfig(mustResolve(t, w))
	c.ackLag = lag
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func TestClosedModelCountBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 2, PartitionsPerTopic: 3, MessageSize: 100, ProducersPerTopic: 2,
			SubscriptionsPerTopic: 1, ConsumerPerSubscription: 2, Messages: 5001, MaxInFlight: 50}
		res := runMem(t, w, func(time.Time) time.Duration { return time.Millisecond })
		s := res.Summary
		if s.ProducedMessages != 5001 || s.ConsumedMessages != 5001 {
			t.Errorf("produced %d consumed %d, want 5001 each", s.ProducedMessages, s.ConsumedMessages)
		}
		if s.ProducedBytes != 5001*100 {
			t.Errorf("produced bytes %d, want %d", s.ProducedBytes, 5001*100)
		}
		if s.Lost != 0 || s.Duplicated != 0 || s.Reordered != 0 {
			t.Errorf("lost/dup/reordered = %d/%d/%d, want 0", s.Lost, s.Duplicated, s.Reordered)
		}
		if res.Verify == nil || res.Verify.EndOffsets != 5001 {
			t.Errorf("verify = %+v, want end offsets 5001", res.Verify)
		}
		if tp := res.Cluster.Topics; len(tp) != 2 || !strings.HasPrefix(tp[0], "kbench-") ||
			!strings.HasSuffix(tp[0], "-0") || tp[1] != strings.TrimSuffix(tp[0], "-0")+"-1" {
			t.Errorf("topics %v, want the run's two", tp)
		}
		l := s.PublishLatencyMs
		if !(l.P50 <= l.P99 && l.P99 <= l.Max) || l.Count != 5001 {
			t.Errorf("publish latency %+v: want p50 <= p99 <= max over 5001 values", l)
		}
		if !res.Complete {
			t.Errorf("run incomplete: %s", res.Incomplete)
		}
	})
}

func TestOpenModelSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 64, ProducersPerTopic: 2,
			ProducerRate: 1000, Duration: workload.Duration(3 * time.Second)}
		res := runMem(t, w, nil)
		// Intended times n/rate from the start: exactly rate x duration.
		if got := res.Summary.ProducedMessages; got != 3000 {
			t.Errorf("produced %d, want 3000", got)
		}
		if res.Summary.LateSends != 0 {
			t.Errorf("late sends %d, want 0 with an idle driver", res.Summary.LateSends)
		}
		if len(res.Intervals) < 3 {
			t.Fatalf("%d intervals, want at least 3", len(res.Intervals))
		}
		for _, iv := range res.Intervals[:3] {
			// A send due exactly on a boundary may land on either side.
			if iv.Acked < 998 || iv.Acked > 1002 {
				t.Errorf("interval %.0f-%.0fs acked %d, want 1000", iv.Start, iv.End, iv.Acked)
			}
		}
	})
}

// A broker stall must show as latency of every message meant to be sent
// during it, measured from its intended time, even though the producer,
// blocked on its in-flight bound, could not send them on time (no
// coordinated omission).
func TestStallShowsAsLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 1000, Duration: workload.Duration(3 * time.Second), MaxInFlight: 10}
		var start time.Time
		lag := func(now time.Time) time.Duration {
			if start.IsZero() {
				start = now
			}
			// Acks of sends between 1.0 s and 1.5 s come at 1.5 s.
			if at := now.Sub(start); at >= time.Second && at < 1500*time.Millisecond {
				return 1500*time.Millisecond - at
			}
			return 0
		}
		res := runMem(t, w, lag)
		h, err := results.DecodeHist(res.Histograms.Publish)
		if err != nil {
			t.Fatal(err)
		}
		var over100ms int64
		for _, b := range h.Distribution() {
			if b.From >= 100_000 {
				over100ms += b.Count
			}
		}
		// ~500 messages were due in the stall; a tool measuring from the
		// actual send would see only the ~10 in flight as slow.
		if over100ms < 350 {
			t.Errorf("%d messages over 100 ms, want the ~500 due during the stall", over100ms)
		}
		if res.Summary.LateSends < 350 {
			t.Errorf("late sends %d, want the ~500 held back by the stall", res.Summary.LateSends)
		}
		if res.Summary.ProducedMessages != 3000 {
			t.Errorf("produced %d, want 3000 (late sends still go out)", res.Summary.ProducedMessages)
		}
		if max := res.Summary.PublishLatencyMs.Max; max < 450 || max > 600 {
			t.Errorf("max publish latency %.1f ms, want about 500", max)
		}
		// The sends held back show as kbench's own send lag too.
		s := res.Summary
		if s.SendLagMs.Max < 450 || s.SendLagMs.Max > 600 || s.SendLagMs.Count != 3000 {
			t.Errorf("send lag %+v, want a max of about 500 ms over 3000 sends", s.SendLagMs)
		}
		if want := float64(s.LateSends) / 3000; math.Abs(s.LateShare-want) > 1e-9 {
			t.Errorf("late share %g, want %d/3000", s.LateShare, s.LateSends)
		}
	})
}

// Warm-up intervals are recorded but left out of the summary.
func TestWarmupExcluded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 100, Warmup: workload.Duration(2 * time.Second), Duration: workload.Duration(2 * time.Second)}
		var start time.Time
		lag := func(now time.Time) time.Duration {
			if start.IsZero() {
				start = now
			}
			if now.Sub(start) < 2*time.Second {
				return 300 * time.Millisecond
			}
			return time.Millisecond
		}
		res := runMem(t, w, lag)
		if max := res.Summary.PublishLatencyMs.Max; max > 10 {
			t.Errorf("summary max %.1f ms includes warm-up's 300 ms", max)
		}
		if !res.Intervals[0].Warmup || res.Intervals[0].PublishMaxMs < 290 {
			t.Errorf("first interval %+v: want a warm-up interval showing 300 ms", res.Intervals[0])
		}
		if got := res.Summary.ProduceRateMsgs; got < 95 || got > 105 {
			t.Errorf("produce rate %.1f, want about 100 over the measurement window", got)
		}
	})
}

func TestInterruptedRunIsIncomplete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 1, ProducerRate: 100, Duration: workload.Duration(10 * time.Second)})
		cfg, _ := memConfig(w)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(3*time.Second, cancel)
		res, err := Run(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Complete || res.Incomplete == "" {
			t.Errorf("complete=%v incomplete=%q, want an incomplete run", res.Complete, res.Incomplete)
		}
		if got := res.Summary.ProducedMessages; got < 250 || got > 350 {
			t.Errorf("produced %d, want the ~300 sent before the interrupt", got)
		}
		if res.Summary.Lost != 0 {
			t.Errorf("lost %d after an interrupt, want 0", res.Summary.Lost)
		}
	})
}

// A fault that stalls acknowledgements for 2 s shows as the longest
// stretch without acknowledgements, and throughput recovers after it.
func TestFailoverMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 1, ProducerRate: 1000, MaxInFlight: 5000,
			Warmup: workload.Duration(time.Second), Duration: workload.Duration(9 * time.Second),
			Faults: []workload.FaultSpec{{At: workload.Duration(3 * time.Second), Action: "kill", Target: "broker:1", Duration: workload.Duration(2 * time.Second)}}})
		cfg, c := memConfig(w)
		cfg.Target = memFaultTarget{c: c}
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Faults) != 2 || res.Faults[0].Phase != results.PhaseInject || res.Faults[1].Phase != results.PhaseRecover {
			t.Fatalf("fault events %+v: want inject then recover", res.Faults)
		}
		if len(res.Failover) != 1 {
			t.Fatalf("%d failover summaries, want 1", len(res.Failover))
		}
		fo := res.Failover[0]
		if fo.Fault.At < 3.99 || fo.Fault.At > 4.01 || fo.RecoveredAt < 5.99 || fo.RecoveredAt > 6.01 {
			t.Errorf("fault at %.2f, undone at %.2f: want 4 and 6 s from the start", fo.Fault.At, fo.RecoveredAt)
		}
		if fo.MaxNoAckS < 1.95 || fo.MaxNoAckS > 2.05 {
			t.Errorf("max no-ack %.2f s, want 2", fo.MaxNoAckS)
		}
		if fo.RateBefore < 990 || fo.RateBefore > 1010 {
			t.Errorf("rate before %.0f, want 1000", fo.RateBefore)
		}
		if fo.RecoveryS < 2 || fo.RecoveryS > 3.01 {
			t.Errorf("recovery %.2f s, want between 2 and 3", fo.RecoveryS)
		}
		if fo.LatencyWindowMs.Max < 1990 || fo.LatencyBeforeMs.Max > 5 {
			t.Errorf("latency before %+v, in window %+v: want ~0 then ~2000 ms", fo.LatencyBeforeMs, fo.LatencyWindowMs)
		}
		if res.Summary.Lost != 0 || res.Summary.ProducedMessages != 10000 {
			t.Errorf("lost %d produced %d: want 0 and 10000", res.Summary.Lost, res.Summary.ProducedMessages)
		}
		marked := false
		for _, iv := range res.Intervals {
			if len(iv.Faults) > 0 {
				marked = true
			}
		}
		if !marked {
			t.Error("no interval marks the fault")
		}
	})
}

// A warm-up that is not a whole number of intervals still ends on an
// interval boundary, and stalls during it stay out of the summary.
func TestWarmupBoundary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 1000, MaxInFlight: 5, Warmup: workload.Duration(1500 * time.Millisecond), Duration: workload.Duration(2 * time.Second)}
		var start time.Time
		lag := func(now time.Time) time.Duration {
			if start.IsZero() {
				start = now
			}
			if now.Sub(start) < time.Second {
				return 50 * time.Millisecond // late sends during warm-up
			}
			return 0
		}
		res := runMem(t, w, lag)
		for _, iv := range res.Intervals {
			if iv.Start < 1.5 && iv.End > 1.5+1e-9 {
				t.Errorf("interval %.2f-%.2f straddles the warm-up's end", iv.Start, iv.End)
			}
			if iv.Warmup != (iv.End <= 1.5+1e-9) {
				t.Errorf("interval %.2f-%.2f marked warmup=%v", iv.Start, iv.End, iv.Warmup)
			}
		}
		if res.Intervals[0].LateSends == 0 {
			t.Fatal("the stall made no late sends in the warm-up; the test checks nothing")
		}
		if res.Summary.LateSends != 0 {
			t.Errorf("summary counts %d late sends, all of them in the warm-up", res.Summary.LateSends)
		}
	})
}

// A stall of S = 0.5 s at R = 1000 msgs/s in a run of T = 10 s delays the
// S·R = 500 messages due in it by 500, 499, ... 1 ms (each acknowledged when
// the stall ends), and no other: so the publish percentiles are those of
// 9500 zeros and the values 1..500 ms, by arithmetic.
func TestStallPercentilesMatchArithmetic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			ProducerRate: 1000, Duration: workload.Duration(10 * time.Second), MaxInFlight: 1000}
		var start time.Time
		lag := func(now time.Time) time.Duration {
			if start.IsZero() {
				start = now
			}
			if at := now.Sub(start); at >= time.Second && at < 1500*time.Millisecond {
				return 1500*time.Millisecond - at
			}
			return 0
		}
		res := runMem(t, w, lag)
		l := res.Summary.PublishLatencyMs
		// Value at rank q·10000: the (q·10000-9500)th smallest delayed
		// value, in ms. HdrHistogram's 3 digits round within 0.1%.
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"p50", l.P50, 0}, {"p95", l.P95, 0}, {"p99", l.P99, 400}, {"p99.9", l.P999, 490}, {"max", l.Max, 500},
		} {
			if math.Abs(c.got-c.want) > 0.002*c.want+0.002 {
				t.Errorf("publish %s %.3f ms, want %.0f", c.name, c.got, c.want)
			}
		}
		if l.Count != 10000 {
			t.Errorf("%d latencies, want 10000", l.Count)
		}
		// The producer was never held back: the stall is the cluster's.
		if res.Summary.LateSends != 0 || res.Summary.SendLagMs.Max != 0 {
			t.Errorf("late sends %d, send lag max %.3f ms; want none", res.Summary.LateSends, res.Summary.SendLagMs.Max)
		}
	})
}

// Producers are spread in phase: with 4 producers at 1000 msgs/s in all,
// the stream the cluster receives is one message every millisecond, not
// four at once every 4 ms.
func TestProducersSpreadInPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 4,
			ProducerRate: 1000, Duration: workload.Duration(time.Second)})
		cfg, c := memConfig(w)
		var arrivals []time.Duration
		var t0 time.Time
		c.ackLag = func(now time.Time) time.Duration {
			if t0.IsZero() {
				t0 = now
			}
			arrivals = append(arrivals, now.Sub(t0))
			return 0
		}
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		if len(arrivals) != 1000 {
			t.Fatalf("%d messages, want 1000", len(arrivals))
		}
		slices.Sort(arrivals)
		for i, at := range arrivals {
			if want := time.Duration(i) * time.Millisecond; at != want {
				t.Fatalf("message %d arrived at %s, want %s", i, at, want)
			}
		}
	})
}

// pacing: spin runs on the real clock (a spin never blocks, so a synctest
// bubble's clock would not move), sends every message the rate asks for
// (or counts it unsent),
// and says so when the spinning producers take every CPU.
func TestSpinPacing(t *testing.T) {
	if testing.Short() {
		t.Skip("spins on the real clock")
	}
	for _, producers := range []int{1, runtime.NumCPU()} {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: producers,
			ProducerRate: 2000, Duration: workload.Duration(500 * time.Millisecond), Pacing: "spin"})
		cfg, _ := memConfig(w)
		cfg.wait = nil // the real pacer
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		// On a busy machine what was not sent by the end is unsent.
		if s := res.Summary; s.ProducedMessages+s.Unsent != 1000 || s.SendLagMs.Count != s.ProducedMessages {
			t.Errorf("%d producers: produced %d and %d unsent, %d send lags; want 1000 in all (2000 msgs/s for 0.5 s)", producers, s.ProducedMessages, s.Unsent, s.SendLagMs.Count)
		}
		noted := slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "spin holds a core per producer") })
		if want := producers >= runtime.NumCPU(); noted != want {
			t.Errorf("%d producers on %d CPUs: notes %q; want a note that spinning took every CPU: %v", producers, runtime.NumCPU(), res.Notes, want)
		}
	}
}

// In the closed model with acknowledgements taking 10 ms, 10 messages in
// flight allow 1000 msgs/s. When the 10 are kbench's own bound, the run
// says kbench limited it; when they are the client's (its Produce blocks),
// it does not.
func TestInFlightCapReported(t *testing.T) {
	for _, c := range []struct {
		name                     string
		maxInFlight, clientLimit int
		capped                   bool
	}{
		{"kbench's bound", 10, 0, true},
		{"the client's bound", 1000, 10, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
					MaxInFlight: c.maxInFlight, Duration: workload.Duration(2 * time.Second)})
				cfg, mc := memConfig(w)
				mc.ackLag = func(time.Time) time.Duration { return 10 * time.Millisecond }
				mc.clientLimit = c.clientLimit
				res, err := Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				s := res.Summary
				if s.ProduceRateMsgs < 950 || s.ProduceRateMsgs > 1050 {
					t.Errorf("%.0f msgs/s, want 1000 (10 in flight, 10 ms each)", s.ProduceRateMsgs)
				}
				if s.InFlightCapped != c.capped {
					t.Errorf("capped = %v (waited %.0f%% of the time), want %v", s.InFlightCapped, 100*s.InFlightWaitShare, c.capped)
				}
				if c.capped && s.InFlightWaitShare < 0.9 {
					t.Errorf("waited for a slot %.0f%% of the time, want nearly all of it", 100*s.InFlightWaitShare)
				}
				noted := slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "limited by kbench") })
				if noted != c.capped {
					t.Errorf("notes %q: want a note that kbench limited the run: %v", res.Notes, c.capped)
				}
			})
		})
	}
}

// SlotOverhead, which the workload's default in-flight bound counts per
// message, covers the engine's slot.
func TestSlotOverheadCoversSlot(t *testing.T) {
	if got := unsafe.Sizeof(slot{}); got > workload.SlotOverhead {
		t.Errorf("a slot takes %d bytes, above workload.SlotOverhead (%d): raise it", got, workload.SlotOverhead)
	}
}

// Each subscription reads everything, so each is measured on its own: one
// that reads nothing shows as such, not hidden in a sum.
func TestSubscriptionsMeasuredApart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 2, ProducerRate: 1000, Duration: workload.Duration(3 * time.Second), Drain: workload.Duration(time.Second)})
		cfg, c := memConfig(w)
		c.deafGroups = "-sub-1"
		c.ackLag = func(time.Time) time.Duration { return time.Millisecond }
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		subs := res.Summary.Subscriptions
		if len(subs) != 2 {
			t.Fatalf("%d subscriptions in the result, want 2", len(subs))
		}
		if subs[0].ConsumedMessages != 3000 || subs[0].ConsumeRateMsgs < 950 || subs[0].ConsumeRateMsgs > 1050 {
			t.Errorf("subscription 0 consumed %d at %.0f msgs/s, want 3000 at 1000", subs[0].ConsumedMessages, subs[0].ConsumeRateMsgs)
		}
		if subs[1].ConsumedMessages != 0 || subs[1].ConsumeRateMsgs != 0 {
			t.Errorf("subscription 1 consumed %d at %.0f msgs/s, want nothing", subs[1].ConsumedMessages, subs[1].ConsumeRateMsgs)
		}
	})
}

// End-to-end latency is the send time in the stamp to receipt, on this
// process's monotonic clock: the mem consumer polls every 5 ms, so no
// message waits longer, and the stamp holds no wall-clock time.
func TestEndToEndOnMonotonicClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 1, ProducerRate: 100, Duration: workload.Duration(2 * time.Second)}
		cfg, c := memConfig(mustResolve(t, w))
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if l := res.Summary.E2ELatencyMs; l.Count != 200 || l.Max > 5.01 {
			t.Errorf("e2e %+v: want 200 values of at most 5 ms", l)
		}
		for _, topic := range c.logs {
			s, err := readStamp(topic[0][199])
			if err != nil {
				t.Fatal(err)
			}
			// Message 199 was due 1.99 s after the start.
			if want := stampTime(res.Started) + int64(1990*time.Millisecond); s.SentNano != want {
				t.Errorf("stamp send time %d, want %d (monotonic, from the run's start)", s.SentNano, want)
			}
		}
	})
}

// Fault events are stamped when the action took effect: an injection that
// takes 0.5 s to act at 3 s is recorded at 3.5 s, and a recovery whose
// broker takes 1.5 s to serve again, from 5.5 s, at 7 s. A failed
// injection that acted is still undone, so the cluster is whole for the
// drain.
func TestFaultTimesWhenTakingEffect(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("failed=", fail), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
					SubscriptionsPerTopic: 1, ProducerRate: 100, MaxInFlight: 5000, Duration: workload.Duration(10 * time.Second),
					Faults: []workload.FaultSpec{{At: workload.Duration(3 * time.Second), Action: "kill", Target: "broker:1", Duration: workload.Duration(2 * time.Second)}}})
				cfg, c := memConfig(w)
				cfg.Target = memFaultTarget{c: c, takes: 500 * time.Millisecond, undoTakes: 1500 * time.Millisecond, failAfterActing: fail}
				res, err := Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Faults) != 2 {
					t.Fatalf("fault events %+v, want inject and recover", res.Faults)
				}
				in, out := res.Faults[0], res.Faults[1]
				near := func(a, b float64) bool { return math.Abs(a-b) < 0.01 }
				if !near(in.RequestedAt, 3) || !near(in.At, 3.5) || !near(out.RequestedAt, 5.5) || !near(out.At, 7) {
					t.Errorf("inject requested %.2f at %.2f, recover requested %.2f at %.2f; want 3, 3.5, 5.5, 7",
						in.RequestedAt, in.At, out.RequestedAt, out.At)
				}
				if (in.Error != "") != fail || out.Error != "" {
					t.Errorf("inject error %q, recover error %q", in.Error, out.Error)
				}
				if s := res.Summary; s.Lost != 0 || s.ConsumedMessages != 1000 {
					t.Errorf("lost %d, consumed %d: want every message back after the undo", s.Lost, s.ConsumedMessages)
				}
			})
		})
	}
}
