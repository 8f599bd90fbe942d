package bench

import (
	"fmt"
	"math"
	"math/bits"
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
	warmup  float64 // the warm-up's end
	sendEnd float64 // when the producers' sending ended
	// ackEnd is when the producers finished: every message sent had its
	// acknowledgement or failure, or the flush gave up.
	ackEnd   float64
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
// A fault is measured from F, when it was requested (Fault.Began): a
// controlled stop moves leaders before it returns at D (Fault.At). Its
// analysis ends at limit, the next fault's request or the horizon (the
// producers' end: acknowledgements are followed through the flush,
// see ackHorizon), whichever is first. Its reach is R = max(D, undo) + 3
// intervals: what begins later is not the fault's. With intervals of
// length I:
//   - before: intervals in [F-10s, F) after the warm-up; rate = acked/time.
//     With none (a fault in the first interval after the warm-up) there is
//     no level to recover to, and the recovery says so.
//   - recovery, over the intervals up to limit that end by the end of
//     sending (one running past it looks like a dip only because sending
//     stopped): if one starting before R falls below 90% of that rate,
//     the end of the first interval of the first later run of 3 intervals
//     (or all that remain) back at 90% or more, minus F; 0 if throughput
//     never fell that low; -1 if it was not seen back, with the reason in
//     words (the next fault came first, or sending ended first).
//   - max no-ack: the longest stretch without any acknowledgement that
//     begins in [F, R), to its end or limit.
//   - worst partition: with L = min(R-F, F-warm-up), of the partitions
//     acknowledged in [F-L, F), the one whose longest stretch without
//     acknowledgements beginning in [F, F+L) most exceeds, by minStall or
//     more, its longest in [F-L, F): windows of one length, so the
//     natural gaps of a partition written to now and then are not taken
//     for the fault's.
//   - window, when throughput dipped, a partition stalled or recovery was
//     not seen: the intervals from the one F falls in through the one
//     the later of the stalls above ends in (whose acknowledgements carry
//     the stall's latency) and the recovery point, at least one interval;
//     to limit when recovery was not seen. Its rate, latency and failed
//     sends are of exactly these intervals. WindowOpenAtEnd is set when a
//     stall ran to limit: its length and the window's end are then lower
//     bounds.
//   - after: the window's end (the fault's interval's start, without a
//     window) to the next fault or the end of sending, at most 10 s.
func analyseFailover(ivs []results.Interval, events []results.Fault, acks ackTimeline, run runShape) []results.Failover {
	var injects []results.Fault
	for _, ev := range events {
		if ev.Phase == results.PhaseInject && ev.Error == "" {
			injects = append(injects, ev)
		}
	}
	horizon := ackHorizon(ivs, acks, run)
	var out []results.Failover
	for k, ev := range injects {
		fo := results.Failover{Fault: ev}
		at := ev.Began()
		for _, rec := range events {
			if rec.Phase == results.PhaseRecover && rec.Broker == ev.Broker && rec.Action == ev.Action && rec.At > ev.At {
				fo.RecoveredAt = rec.At
				break
			}
		}
		limit, sendLimit, nextFault := horizon, run.sendEnd, false
		if k+1 < len(injects) {
			if next := injects[k+1].Began(); next < run.sendEnd {
				sendLimit, nextFault = next, true
			}
			limit = min(limit, injects[k+1].Began())
		}
		base := max(at-baselineSpan.Seconds(), run.warmup)
		before := sliceIntervals(ivs, base, at)
		fo.RateBefore = rateOf(before)
		fo.LatencyBeforeMs = latencyOf(before)

		// What the fault does begins within its reach: a few intervals
		// after it took effect or was undone. Later, a busy machine makes
		// dips and stalls of its own.
		reach := max(ev.At, fo.RecoveredAt) + stableIntervals*run.interval
		gapStart, gap := acks.longestGap(-1, at, reach, limit)
		fo.MaxNoAckS = gap
		span := min(reach-at, at-run.warmup)
		worst := worstPartition(acks, at, span, limit, run)
		fo.WorstPartition, fo.WorstPartitionNoAckS, fo.WorstPartitionUsualNoAckS = worst.name, worst.gap, worst.usual

		// The disturbed window starts with the interval the fault fell in.
		from := at
		for i := len(ivs) - 1; i >= 0 && ivs[i].End > at+1e-9 && !ivs[i].Warmup; i-- {
			from = ivs[i].Start
		}
		var after []results.Interval
		for _, iv := range ivs {
			if iv.End > at+1e-9 && iv.Start < sendLimit && iv.End <= run.sendEnd+1e-6 && !iv.Warmup {
				after = append(after, iv)
			}
		}
		recovered, state := recovery(after, recoveredShare*fo.RateBefore, reach)
		if state == 0 && gap >= run.interval {
			// No acknowledgement for a whole interval is a dip, whether
			// or not the intervals' boundaries show one (sending may end
			// inside the fault's interval).
			state, recovered = -1, 0
			if gapStart+gap < limit-ackBucket/2 {
				state, recovered = 1, gapStart+gap
			}
		}
		switch {
		case len(before) == 0 || fo.RateBefore == 0:
			fo.RecoveryS = -1
			fo.Recovery = fmt.Sprintf("not measured: no whole interval between the warm-up's end and the fault set a level to recover to; schedule the fault at least one interval (%gs) after the warm-up", run.interval)
		case state == 0 && len(after) == 0:
			fo.RecoveryS = -1
			fo.Recovery = "not measured: sending ended before a whole interval after the fault"
		case state > 0:
			fo.RecoveryS = recovered - at
		case state < 0 && nextFault:
			fo.RecoveryS = -1
			fo.Recovery = fmt.Sprintf("not seen: throughput was still below 90%% of its level when the next fault came, %.1fs after this one", sendLimit-at)
		case state < 0:
			fo.RecoveryS = -1
			fo.Recovery = fmt.Sprintf("not seen: throughput was still below 90%% of its level when sending ended, %.1fs after the fault; a longer run would show when it recovers", sendLimit-at)
		}
		afterFrom := from
		if state != 0 || fo.WorstPartition != "" || fo.RecoveryS < 0 {
			// An interval holds the acknowledgements that arrived in it,
			// so the one a stall ends in holds the stall's latencies.
			end := max(from+run.interval, recovered) - 1e-6
			if gap > 0 {
				end = max(end, gapStart+gap+1e-6)
			}
			if worst.name != "" {
				end = max(end, worst.start+worst.gap+1e-6)
			}
			if fo.RecoveryS < 0 && len(before) > 0 && fo.RateBefore > 0 {
				end = limit
			}
			// A stall (not a moment's gap) that ran to limit.
			fo.WindowOpenAtEnd = gap >= minStall.Seconds() && gapStart+gap >= limit-ackBucket/2 ||
				worst.name != "" && worst.start+worst.gap >= limit-ackBucket/2
			var during []results.Interval
			for _, iv := range ivs {
				if iv.End > from+1e-9 && iv.Start < min(end, limit)-1e-9 && !iv.Warmup {
					during = append(during, iv)
				}
			}
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
			fo.FailedWindow = sum.Errors
			if fo.FailedWindow > 0 {
				fo.FailedWindowShare = float64(fo.FailedWindow) / float64(fo.FailedWindow+sum.Acked)
			}
		}
		fo.RateAfter = rateOf(sliceIntervals(ivs, afterFrom, min(sendLimit, afterFrom+baselineSpan.Seconds())))
		out = append(out, fo)
	}
	return out
}

// ackHorizon is how far acknowledgements are followed: to the producers'
// end (with its 10 ms bucket, which holds the last acknowledgements they
// waited for), or to the last acknowledgement when by then every message
// sent had been acknowledged (a shard of a distributed run waits for the
// others after that, and nothing it waits for is a stall).
func ackHorizon(ivs []results.Interval, acks ackTimeline, run runShape) float64 {
	end := float64(bucketAt(run.ackEnd)+1) * ackBucket
	last := acks.last()
	var open int64
	failedLater := false
	for _, iv := range ivs {
		open += iv.Sent - iv.Acked - iv.Errors
		failedLater = failedLater || iv.Errors > 0 && iv.End > last+1e-9
	}
	if open <= 0 && !failedLater {
		return min(end, last)
	}
	return end
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

// ackBucket is the ack timeline's grain in seconds.
const ackBucket = float64(ackResolution) / 1e9

// longestGap finds, for one partition or (part -1) for any, the longest
// run of 10 ms buckets without an acknowledgement that begins in
// [from, startBy) seconds, followed to its end or to seconds. It returns
// the gap's start and length in seconds.
func (t ackTimeline) longestGap(part int, from, startBy, to float64) (start, length float64) {
	b0, b1 := max(bucketAt(from), 0), bucketAt(to)
	by := int(math.Ceil(startBy/ackBucket - 1e-6))
	best, bestStart, runStart := 0, b0, -1
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
		switch {
		case hit:
			runStart = -1
		case runStart < 0 && b >= by:
			// Begins too late to count; skip to its end.
		case runStart < 0:
			runStart = b
			fallthrough
		default:
			if n := b - runStart + 1; n > best {
				best, bestStart = n, runStart
			}
		}
	}
	return float64(bestStart) * ackBucket, float64(best) * ackBucket
}

// bucketAt is the timeline bucket holding time s (seconds), allowing for
// the rounding of s.
func bucketAt(s float64) int { return int(math.Floor(s/ackBucket + 1e-6)) }

// last is the end of the last bucket with an acknowledgement, in
// seconds; 0 without any.
func (t ackTimeline) last() float64 {
	end := 0
	for _, row := range t {
		for i := len(row) - 1; i >= 0; i-- {
			if row[i] != 0 {
				end = max(end, i*64+bits.Len64(row[i]))
				break
			}
		}
	}
	return float64(end) * ackBucket
}

// stall is one partition's longest stretch without acknowledgements after
// a fault, and its longest before.
type stall struct {
	name              string
	start, gap, usual float64
}

// worstPartition is, of the partitions acknowledged in [at-span, at), the
// one whose longest stretch without acknowledgements beginning in
// [at, at+span) (followed to its end or limit) most exceeds its longest in
// [at-span, at). The two windows are of one length: the longest gap of a
// partition written to only now and then (a sticky partitioner at a low
// rate) grows with the time looked at, and is not the fault's. A gap that
// grew by less than minStall is a hiccup, not a stall. Its name is ""
// when no partition's gap grew.
func worstPartition(t ackTimeline, at, span, limit float64, run runShape) stall {
	var worst stall
	if span < ackBucket {
		return worst // no time before the fault to compare with
	}
	excess := 0.0
	for part := range t {
		_, before := t.longestGap(part, at-span, at, at)
		if before >= float64(bucketAt(at)-max(bucketAt(at-span), 0))*ackBucket-1e-9 {
			continue // not written to before the fault
		}
		start, after := t.longestGap(part, at, at+span, limit)
		if after-before >= minStall.Seconds() && after-before > excess+1e-9 {
			ti, pi := part/run.partitionsPerTopic, part%run.partitionsPerTopic
			worst = stall{name: run.topics[ti] + "/" + strconv.Itoa(pi), start: start, gap: after, usual: before}
			excess = after - before
		}
	}
	return worst
}
