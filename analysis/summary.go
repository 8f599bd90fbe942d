package analysis

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kbench/kbench/results"
)

// Summarize writes a text table of the runs' headline figures, one row per
// run named by Labels: throughput in msgs/s and MiB/s, consumption and the
// consumers' largest lag, publish and end-to-end latency
// (p50/p99/p99.9/max, ms), the open model's send lag (p50/p99, µs: it
// should be tens of them), errors, late sends (count and share) and the
// lost/duplicated/reordered counts, then each run's limit (NameLimit),
// failover summaries, notes and whether it was interrupted.
func Summarize(w io.Writer, runs ...*results.Run) {
	labels := runLabels(runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tmsgs/s\tMiB/s\tconsumed/s\tmax lag\tpublish ms p50/p99/p99.9/max\te2e ms p50/p99/p99.9/max\tsend lag µs p50/p99\terrors\tlate\tlost/dup/reord\t")
	for i, r := range runs {
		s := r.Summary
		consumed, lag := "-", "-"
		if l, ok := maxLag(r); ok {
			consumed, lag = fmt.Sprintf("%.0f", s.ConsumeRateMsgs), fmt.Sprint(l)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n",
			labels[i], s.ProduceRateMsgs, s.ProduceRateMiB, consumed, lag,
			latencyCell(s.PublishLatencyMs), latencyCell(s.E2ELatencyMs), lagCell(s),
			s.Errors, lateCell(s), verifyCell(r))
	}
	tw.Flush()
	for i, r := range runs {
		var lines []string
		if !r.Complete {
			lines = append(lines, "INCOMPLETE: "+orDash(r.Incomplete))
		}
		if s := r.Summary; s.Unsent > 0 {
			lines = append(lines, fmt.Sprintf("TARGET RATE NOT REACHED: %d messages (%s%%) due at %g msgs/s were never sent", s.Unsent, percent(s.UnsentShare), s.TargetRate))
		}
		if r.Limit != nil {
			lines = append(lines, limitLine(*r.Limit))
		}
		if eff := r.Client.EffectiveProducer; len(eff) > 0 {
			var parts []string
			for _, k := range sortedKeys(eff) {
				parts = append(parts, k+"="+eff[k])
			}
			lines = append(lines, "producer as applied: "+strings.Join(parts, " "))
		}
		if sb := r.Summary.StoredBytes; sb != nil && r.Summary.ProducedBytes > 0 {
			lines = append(lines, fmt.Sprintf("stored: %.1f MiB on the brokers (one replica) for %.1f MiB produced, %s%%",
				float64(*sb)/(1<<20), float64(r.Summary.ProducedBytes)/(1<<20), percent(float64(*sb)/float64(r.Summary.ProducedBytes))))
		}
		if subs := r.Summary.Subscriptions; len(subs) > 1 {
			var parts []string
			for i, sub := range subs {
				parts = append(parts, fmt.Sprintf("%d: %.0f msgs/s", i, sub.ConsumeRateMsgs))
			}
			lines = append(lines, "subscriptions: "+strings.Join(parts, ", "))
		}
		if len(r.Summary.ErrorsByKind) > 0 {
			lines = append(lines, "errors: "+countsByKind(r.Summary.ErrorsByKind))
		}
		if tx := r.Summary.Transactions; tx != nil {
			lines = append(lines, "transactions: "+txnLine(tx, r.Verify))
		}
		if tx := r.Summary.Transform; tx != nil {
			lines = append(lines, "transform transactions: "+txnLine(tx, nil))
		}
		for _, f := range r.Failover {
			lines = append(lines, "failover: "+failoverLine(f))
		}
		for _, n := range r.Notes {
			lines = append(lines, "note: "+n)
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "\n%s:\n  %s\n", labels[i], strings.Join(lines, "\n  "))
		}
	}
}

func latencyCell(l results.Latency) string {
	if l.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%s / %s / %s / %s", ms(l.P50), ms(l.P99), ms(l.P999), ms(l.Max))
}

// lagCell is "-" for the closed model, which has no intended times.
func lagCell(s results.Summary) string {
	if s.SendLagMs.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f / %.0f", 1000*s.SendLagMs.P50, 1000*s.SendLagMs.P99)
}

// lateCell is the late sends with their share; "-" for the closed model.
func lateCell(s results.Summary) string {
	switch {
	case s.TargetRate == 0:
		return "-"
	case s.LateSends == 0:
		return "0"
	}
	return fmt.Sprintf("%d (%s%%)", s.LateSends, percent(s.LateShare))
}

// percent formats a share as a percentage with two significant digits,
// so a small share does not read as 0.
func percent(share float64) string {
	p := 100 * share
	if math.Abs(p) >= 10 { // whole percents, never "1e+02"
		return strconv.FormatFloat(p, 'f', 0, 64)
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// retriesCell is "unknown" where the driver cannot count retries.
func retriesCell(n *int64) string {
	if n == nil {
		return "unknown"
	}
	return strconv.FormatInt(*n, 10)
}

// verifyCell is "-" when no consumer checked the run and "unverified" when
// consumers verified none of what was acknowledged: zero would claim a
// check that never happened. Messages left unverified are counted beside
// the figures.
func verifyCell(r *results.Run) string {
	v := r.Verify
	switch {
	case v == nil:
		return "-"
	case v.Acked > 0 && v.Unverified >= v.Acked:
		return "unverified"
	}
	cell := fmt.Sprintf("%d/%d/%d", r.Summary.Lost, r.Summary.Duplicated, r.Summary.Reordered)
	if v.Unverified > 0 {
		cell += fmt.Sprintf(" (%d unverified)", v.Unverified)
	}
	return cell
}

// maxLag is the most messages the consumers were behind at the end of
// an interval of the measurement window: acknowledged messages times the
// subscriptions (each reads every message) less those consumed, counted
// from the run's start. ok is false when the run had no consumers.
func maxLag(r *results.Run) (lag int64, ok bool) {
	subs := int64(r.Shape.SubscriptionsPerTopic)
	if subs == 0 {
		return 0, false
	}
	var acked, consumed int64
	for _, iv := range r.Intervals {
		acked += iv.Acked
		consumed += iv.Consumed
		if !iv.Warmup {
			lag = max(lag, acked*subs-consumed)
		}
	}
	return lag, true
}

// ms formats milliseconds with about three significant digits.
func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func countsByKind(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// faultName is e.g. "kill broker 2 (leader:orders-0) at 20.0s", the time
// it was requested, followed by when it was done if that was later.
func faultName(f results.Fault) string {
	s := fmt.Sprintf("%s broker %d", f.Action, f.Broker)
	if f.Target != "" && f.Target != fmt.Sprint(f.Broker) {
		s += " (" + f.Target + ")"
	}
	s += fmt.Sprintf(" at %.1fs", f.Began())
	if f.At-f.Began() >= 0.05 {
		s += fmt.Sprintf(", done %.1fs", f.At)
	}
	return s
}

func failoverLine(f results.Failover) string {
	var b strings.Builder
	b.WriteString(faultName(f.Fault))
	if f.RecoveredAt > 0 {
		fmt.Fprintf(&b, ", undone at %.1fs", f.RecoveredAt)
	}
	fmt.Fprintf(&b, ": no acks for %.2fs", f.MaxNoAckS)
	if f.WorstPartition != "" {
		fmt.Fprintf(&b, " (worst partition %s %.2fs", f.WorstPartition, f.WorstPartitionNoAckS)
		if f.WorstPartitionUsualNoAckS > 0 {
			fmt.Fprintf(&b, ", usually %.2fs", f.WorstPartitionUsualNoAckS)
		}
		b.WriteString(")")
	}
	if f.WindowOpenAtEnd {
		b.WriteString(", still stalled when its analysis ended (the producers' end or the next fault): at least that long")
	}
	switch {
	case f.RecoveryS < 0 && f.Recovery != "":
		b.WriteString(", recovery " + f.Recovery)
	case f.RecoveryS < 0:
		b.WriteString(", throughput never back to 90%")
	case f.RecoveryS == 0:
		b.WriteString(", throughput never below 90%")
	default:
		fmt.Fprintf(&b, ", back to 90%% after %.1fs", f.RecoveryS)
	}
	if f.WindowEnd == 0 {
		fmt.Fprintf(&b, "; no disturbed window; msgs/s %.0f before, %.0f after; p99 %s ms before",
			f.RateBefore, f.RateAfter, ms(f.LatencyBeforeMs.P99))
	} else {
		fmt.Fprintf(&b, "; msgs/s %.0f before, %.0f during, %.0f after", f.RateBefore, f.RateDuring, f.RateAfter)
		fmt.Fprintf(&b, "; p99 %s ms before, %s ms in window %.1f-%.1fs",
			ms(f.LatencyBeforeMs.P99), ms(f.LatencyWindowMs.P99), f.WindowStart, f.WindowEnd)
		if f.FailedWindow > 0 {
			fmt.Fprintf(&b, ", %d sends failed in it (%s%%), in no latency", f.FailedWindow, percent(f.FailedWindowShare))
		}
	}
	if len(f.ErrorsByKind) > 0 {
		b.WriteString("; errors " + countsByKind(f.ErrorsByKind))
	}
	if f.Retries != nil && *f.Retries > 0 {
		fmt.Fprintf(&b, "; %d retries", *f.Retries)
	}
	if f.Fault.Error != "" {
		b.WriteString("; fault failed: " + f.Fault.Error)
	}
	return b.String()
}

// PerfTestLine returns the run's publish figures as the final line of
// Kafka's kafka-producer-perf-test (ProducerPerformance.printTotal):
//
//	N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.
//
// as Kafka prints it: the rate with Java's %f (six decimals), MB meaning
// 2^20 bytes, and the percentiles in whole milliseconds, truncated as
// Kafka's millisecond clock truncates them. Records, the rate and the
// latencies are all of the measurement window (records = rate × duration),
// so the line is consistent in itself as Kafka's is.
func PerfTestLine(run *results.Run) string {
	s := run.Summary
	l := s.PublishLatencyMs
	whole := func(v float64) int64 { return int64(math.Floor(v)) }
	records := int64(math.Round(s.ProduceRateMsgs * s.DurationS))
	return fmt.Sprintf("%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.",
		records, s.ProduceRateMsgs, s.ProduceRateMiB, l.Mean, l.Max,
		whole(l.P50), whole(l.P95), whole(l.P99), whole(l.P999))
}

// txnLine is one line of a run's transactions: how many committed and at
// what rate, the commit latency, what aborted and why, those in doubt,
// and (for the producers') messages of aborted transactions read.
func txnLine(tx *results.Transactions, v *results.Verify) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d committed (%.1f/s)", tx.Committed, tx.RatePerS)
	if tx.CommittedMessages > 0 {
		fmt.Fprintf(&b, " writing %d messages", tx.CommittedMessages)
	}
	fmt.Fprintf(&b, ", commit ms p50/p99/max %s/%s/%s", ms(tx.CommitLatencyMs.P50), ms(tx.CommitLatencyMs.P99), ms(tx.CommitLatencyMs.Max))
	fmt.Fprintf(&b, "; %d aborted", tx.Aborted)
	if tx.Aborted > 0 {
		fmt.Fprintf(&b, " (%s; %d messages)", countsByKind(tx.AbortedByKind), tx.AbortedMessages)
	}
	fmt.Fprintf(&b, ", %d in doubt", tx.InDoubt)
	if v != nil {
		fmt.Fprintf(&b, "; %d messages of aborted transactions read", v.AbortedRead)
	}
	return b.String()
}
