package bench

import (
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
)

// runShape is what failover analysis needs to know of a run; times are in
// seconds from the run's start.
type runShape struct {
	warmup     float64 // the warm-up's end
	produceEnd float64 // when the producers finished
	interval   float64 // the length of one interval
	// topics and partitionsPerTopic name the ack timeline's run-wide
	// partition indexes.
	topics             []string
	partitionsPerTopic int
}

// analyseFailover computes the failover metrics of each fault injected
// without error, from the run's intervals, its fault events (in time
// order) and its acknowledgement timeline.
//
// For a fault at time F, with intervals of length I:
//   - before: intervals in [F-10s, F) after the warm-up; rate = acked/time.
//   - recovery: if some interval from F on falls below 90% of that rate,
//     the end of the first interval of the first later run of 3 intervals
//     all back at 90% or more, minus F; 0 if throughput never fell that
//     low, -1 if it never came back.
//   - window: from the start of the interval F falls in to the later of
//     the recovery point and the end of the longest stretch without
//     acknowledgements; at least one interval.
//   - after: the window's end to the next fault or the end of production,
//     at most 10 s.
func analyseFailover(ivs []results.Interval, events []results.Fault, acks ackTimeline, run runShape) []results.Failover {
	var injects []results.Fault
	for _, ev := range events {
		if ev.Phase == results.PhaseInject && ev.Error == "" {
			injects = append(injects, ev)
		}
	}
	var out []results.Failover
	for k, ev := range injects {
		fo := results.Failover{Fault: ev, RecoveryS: -1}
		for _, rec := range events {
			if rec.Phase == results.PhaseRecover && rec.Broker == ev.Broker && rec.Action == ev.Action && rec.At > ev.At {
				fo.RecoveredAt = rec.At
				break
			}
		}
		limit := run.produceEnd
		if k+1 < len(injects) {
			limit = min(limit, injects[k+1].At)
		}
		base := max(ev.At-baselineSpan.Seconds(), run.warmup)
		before := sliceIntervals(ivs, base, ev.At)
		fo.RateBefore = rateOf(before)
		fo.LatencyBeforeMs = latencyOf(before)

		gapStart, gap := acks.longestGap(-1, ev.At, limit)
		fo.MaxNoAckS = gap
		fo.WorstPartition, fo.WorstPartitionNoAckS = worstPartition(acks, ev.At, limit, run)

		// The disturbed window starts with the interval the fault fell in.
		from := ev.At
		var after []results.Interval
		for _, iv := range ivs {
			if iv.End > ev.At+1e-9 && iv.Start < limit && !iv.Warmup {
				if len(after) == 0 {
					from = iv.Start
				}
				after = append(after, iv)
			}
		}
		recovered, rec := recovery(after, recoveredShare*fo.RateBefore)
		fo.RecoveryS = rec
		if rec > 0 {
			fo.RecoveryS = recovered - ev.At
		}
		end := max(recovered, gapStart+gap, from+run.interval)
		if rec < 0 {
			end = limit
		}
		during := sliceIntervals(ivs, from, end)
		if len(during) > 0 {
			fo.WindowStart, fo.WindowEnd = during[0].Start, during[len(during)-1].End
		}
		fo.RateDuring = rateOf(during)
		fo.LatencyWindowMs = latencyOf(during)
		for _, iv := range during {
			fo.Retries += iv.Retries
			for kind, n := range iv.ErrorsByKind {
				if fo.ErrorsByKind == nil {
					fo.ErrorsByKind = map[string]int64{}
				}
				fo.ErrorsByKind[kind] += n
			}
		}
		fo.RateAfter = rateOf(sliceIntervals(ivs, fo.WindowEnd, min(limit, fo.WindowEnd+baselineSpan.Seconds())))
		out = append(out, fo)
	}
	return out
}

// stableIntervals is how many intervals in a row must hold the level for
// throughput to count as recovered, so a catch-up burst between two stalls
// is not taken for recovery.
const stableIntervals = 3

// recovery looks at the intervals from a fault on: if none falls below
// level, it returns (0, 0); otherwise the end of the first interval of the
// first run of stableIntervals intervals (or all that remain) at level or
// above after the first dip, and 1; or (0, -1) if throughput never got
// back.
func recovery(ivs []results.Interval, level float64) (at float64, state float64) {
	dip := -1
	for i, iv := range ivs {
		if float64(iv.Acked)/(iv.End-iv.Start) < level {
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

// worstPartition is the partition with the longest gap among those that
// had acknowledgements in the second before the fault (others may simply
// not have been written to, e.g. by a sticky partitioner).
func worstPartition(t ackTimeline, from, to float64, run runShape) (string, float64) {
	name, worst := "", 0.0
	for part := range t {
		if _, active := t.longestGap(part, from-1, from); active >= 1 {
			continue
		}
		if _, g := t.longestGap(part, from, to); g > worst {
			ti, pi := part/run.partitionsPerTopic, part%run.partitionsPerTopic
			name, worst = run.topics[ti]+"/"+strconv.Itoa(pi), g
		}
	}
	return name, worst
}
