package bench

import (
	"fmt"
	"strconv"
	"time"

	"github.com/kbench/kbench/results"
)

// Failover analysis constants.
const (
	// baselineSpan is how much time before a fault sets the level it is
	// measured against.
	baselineSpan = 10 * time.Second
	// recoveredShare is the share of the pre-fault throughput that counts
	// as recovered.
	recoveredShare = 0.9
	// minStall is how much longer than its usual a partition must go
	// without acknowledgements for the stall to count as the fault's:
	// shorter hiccups (a GC pause, a busy machine) happen anyway.
	minStall = 200 * time.Millisecond
)

// runShape is what failover analysis needs to know of a run; times are in
// seconds from the run's start.
type runShape struct {
	warmup   float64 // the warm-up's end
	sendEnd  float64 // when the producers' sending ended
	interval float64 // the length of one interval
	// topics and partitionsPerTopic name the ack timeline's run-wide
	// partition indexes.
	topics             []string
	partitionsPerTopic int
}

// analyseFailover computes the failover metrics of each fault injected
// without error, from the run's intervals, its fault events (in time
// order) and its acknowledgement timeline.
//
// For a fault at time F, with intervals of length I, up to the next fault
// or the end of sending, whichever is first (an interval that runs past
// the end of sending is left out: it looks like a dip only because
// sending stopped):
//   - before: intervals in [F-10s, F) after the warm-up; rate = acked/time.
//     With none (a fault in the first interval after the warm-up) there is
//     no level to recover to, and the recovery says so.
//   - recovery: if some interval from F on, starting within 3 intervals
//     of the fault's injection or undo, falls below 90% of that rate,
//     the end of the first interval of the first later run of 3 intervals
//     (or all that remain) back at 90% or more, minus F; 0 if throughput
//     never fell that low; -1 if it was not seen back, with the reason in
//     words (the next fault came first, or the run ended first).
//   - worst partition: of the partitions acknowledged before the fault,
//     the one whose longest stretch without acknowledgements after F most
//     exceeds its longest in the 10 s before (so the natural gaps of a
//     sticky partitioner at low rates are not taken for the fault's).
//   - window: when throughput dipped or a partition stalled beyond its
//     usual, from the start of the interval F falls in to the later of the
//     recovery point and the end of the longest stretch without
//     acknowledgements, at least one interval; none otherwise.
//   - after: the window's end (the fault's interval's start, without a
//     window) to the next fault or the end of sending, at most 10 s.
func analyseFailover(ivs []results.Interval, events []results.Fault, acks ackTimeline, run runShape) []results.Failover {
	var injects []results.Fault
	for _, ev := range events {
		if ev.Phase == results.PhaseInject && ev.Error == "" {
			injects = append(injects, ev)
		}
	}
	var out []results.Failover
	for k, ev := range injects {
		fo := results.Failover{Fault: ev}
		for _, rec := range events {
			if rec.Phase == results.PhaseRecover && rec.Broker == ev.Broker && rec.Action == ev.Action && rec.At > ev.At {
				fo.RecoveredAt = rec.At
				break
			}
		}
		limit, nextFault := run.sendEnd, false
		if k+1 < len(injects) && injects[k+1].At < limit {
			limit, nextFault = injects[k+1].At, true
		}
		base := max(ev.At-baselineSpan.Seconds(), run.warmup)
		before := sliceIntervals(ivs, base, ev.At)
		fo.RateBefore = rateOf(before)
		fo.LatencyBeforeMs = latencyOf(before)

		gapStart, gap := acks.longestGap(-1, ev.At, limit)
		fo.MaxNoAckS = gap
		fo.WorstPartition, fo.WorstPartitionNoAckS, fo.WorstPartitionUsualNoAckS = worstPartition(acks, base, ev.At, limit, run)

		// The disturbed window starts with the interval the fault fell in.
		from := ev.At
		var after []results.Interval
		for _, iv := range ivs {
			if iv.End > ev.At+1e-9 && iv.Start < limit && iv.End <= run.sendEnd+1e-6 && !iv.Warmup {
				if len(after) == 0 {
					from = iv.Start
				}
				after = append(after, iv)
			}
		}
		// A dip is the fault's only if it begins within its reach: a few
		// intervals after it is injected or undone. Later, a busy machine
		// makes dips of its own.
		reach := max(ev.At, fo.RecoveredAt) + stableIntervals*run.interval
		recovered, state := recovery(after, recoveredShare*fo.RateBefore, reach)
		switch {
		case len(before) == 0 || fo.RateBefore == 0:
			fo.RecoveryS = -1
			fo.Recovery = fmt.Sprintf("not measured: no whole interval between the warm-up's end and the fault set a level to recover to; schedule the fault at least one interval (%gs) after the warm-up", run.interval)
		case state > 0:
			fo.RecoveryS = recovered - ev.At
		case state < 0 && nextFault:
			fo.RecoveryS = -1
			fo.Recovery = fmt.Sprintf("not seen: throughput was still below 90%% of its level when the next fault came, %.1fs after this one", limit-ev.At)
		case state < 0:
			fo.RecoveryS = -1
			fo.Recovery = fmt.Sprintf("not seen: throughput was still below 90%% of its level when sending ended, %.1fs after the fault; a longer run would show when it recovers", limit-ev.At)
		}
		afterFrom := from
		if state != 0 || fo.WorstPartition != "" || fo.RecoveryS < 0 {
			end := max(recovered, gapStart+gap, from+run.interval)
			if fo.RecoveryS < 0 {
				end = limit
			}
			during := sliceIntervals(ivs, from, end)
			if len(during) > 0 {
				fo.WindowStart, fo.WindowEnd = during[0].Start, during[len(during)-1].End
				afterFrom = fo.WindowEnd
			}
			fo.RateDuring = rateOf(during)
			fo.LatencyWindowMs = latencyOf(during)
			var sum results.Interval
			for _, iv := range during {
				sum.Add(iv)
			}
			fo.Retries, fo.ErrorsByKind = sum.Retries, sum.ErrorsByKind
		}
		fo.RateAfter = rateOf(sliceIntervals(ivs, afterFrom, min(limit, afterFrom+baselineSpan.Seconds())))
		out = append(out, fo)
	}
	return out
}

// stableIntervals is how many intervals in a row must hold the level for
// throughput to count as recovered, so a catch-up burst between two stalls
// is not taken for recovery.
const stableIntervals = 3

// recovery looks at the intervals from a fault on: if none that starts
// before reach falls below level, it returns (0, 0); otherwise the end of
// the first interval of the first run of stableIntervals intervals (or all
// that remain) at level or above after the first dip, and 1; or (0, -1)
// if throughput never got back.
func recovery(ivs []results.Interval, level, reach float64) (at float64, state float64) {
	dip := -1
	for i, iv := range ivs {
		if iv.Start < reach && float64(iv.Acked)/(iv.End-iv.Start) < level {
			dip = i
			break
		}
	}
	if dip < 0 {
		return 0, 0
	}
	for j := dip + 1; j < len(ivs); j++ {
		ok := true
		for k := j; k < min(j+stableIntervals, len(ivs)); k++ {
			if float64(ivs[k].Acked)/(ivs[k].End-ivs[k].Start) < level {
				ok = false
				break
			}
		}
		if ok {
			return ivs[j].End, 1
		}
	}
	return 0, -1
}

// sliceIntervals returns the intervals lying within [from, to), allowing
// for the boundaries' rounding.
func sliceIntervals(ivs []results.Interval, from, to float64) []results.Interval {
	var out []results.Interval
	for _, iv := range ivs {
		if iv.Start >= from-1e-6 && iv.End <= to+1e-6 && !iv.Warmup {
			out = append(out, iv)
		}
	}
	return out
}

func rateOf(ivs []results.Interval) float64 {
	var n int64
	var secs float64
	for _, iv := range ivs {
		n += iv.Acked
		secs += iv.End - iv.Start
	}
	if secs == 0 {
		return 0
	}
	return float64(n) / secs
}

// latencyOf merges the intervals' publish histograms: percentiles are
// computed from the merged counts, never averaged.
func latencyOf(ivs []results.Interval) results.Latency {
	enc := make([]string, len(ivs))
	for i, iv := range ivs {
		enc[i] = iv.PublishHist
	}
	// The run encoded these itself, so none fails to decode.
	h, _ := results.MergedHist(enc...)
	return results.LatencyOf(h)
}

// longestGap finds the longest run of 10 ms buckets without an
// acknowledgement in [from, to) seconds, for one partition or (part -1)
// for any. It returns the gap's start and length in seconds.
func (t ackTimeline) longestGap(part int, from, to float64) (start, length float64) {
	b0, b1 := max(int(from*1e9/ackResolution), 0), int(to*1e9/ackResolution)
	best, bestStart, run := 0, b0, 0
	for b := b0; b < b1; b++ {
		hit := false
		if part >= 0 {
			hit = t.has(part, b)
		} else {
			for p := range t {
				if t.has(p, b) {
					hit = true
					break
				}
			}
		}
		if hit {
			run = 0
			continue
		}
		run++
		if run > best {
			best, bestStart = run, b-run+1
		}
	}
	res := float64(ackResolution) / 1e9
	return float64(bestStart) * res, float64(best) * res
}

// worstPartition is, of the partitions acknowledged in [base, from), the
// one whose longest stretch without acknowledgements in [from, to) most
// exceeds its longest in [base, from): a partition written to only now and
// then (a sticky partitioner at a low rate) has long gaps of its own,
// which are not the fault's, and a gap that grew by less than minStall is
// a hiccup, not a stall. It returns the partition, its gap after the
// fault and its usual gap before; "" when no partition's gap grew.
func worstPartition(t ackTimeline, base, from, to float64, run runShape) (name string, gap, usual float64) {
	excess := 0.0
	for part := range t {
		_, before := t.longestGap(part, base, from)
		if before >= from-base-1e-9 {
			continue // not written to before the fault
		}
		_, after := t.longestGap(part, from, to)
		if after-before >= minStall.Seconds() && after-before > excess+1e-9 {
			ti, pi := part/run.partitionsPerTopic, part%run.partitionsPerTopic
			name, gap, usual, excess = run.topics[ti]+"/"+strconv.Itoa(pi), after, before, after-before
		}
	}
	return name, gap, usual
}
