package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// The roles of a timeline row.
const (
	RoleProducer = "producer"
	RoleConsumer = "consumer"
)

// TimelineHeader is the header row of Timeline. The producer's columns
// are empty in a consumer row and the consumer's in a producer row; rates
// are the interval's count over its own length (the last interval is cut
// short when the run ends), MiB are 2^20 bytes, latencies are read from
// the interval's histogram.
var TimelineHeader = []string{
	"start_s", "end_s", "warmup", "role",
	"sent_msgs", "sent_msgs_per_s", "acked_msgs", "acked_msgs_per_s", "acked_bytes", "acked_mib_per_s",
	"errors", "errors_per_s", "late_sends", "in_flight_wait_s", "retries",
	"publish_p50_ms", "publish_p95_ms", "publish_p99_ms", "publish_p999_ms", "publish_max_ms", "publish_mean_ms",
	"send_lag_p99_ms",
	"consumed_msgs", "consumed_msgs_per_s", "consumed_bytes", "consumed_mib_per_s",
	"e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms", "e2e_p999_ms", "e2e_max_ms", "e2e_mean_ms",
	"faults",
}

// Timeline writes run's timeline as CSV: TimelineHeader, then for each
// interval a producer row and a consumer row, each only when the run had
// that role (a producer sent, a consumer received). The result holds the
// consumers' figures summed over subscriptions, so there is one consumer
// row per interval, not one per subscription. Warm-up intervals are
// included, marked in the warmup column.
func Timeline(w io.Writer, run *results.Run) error {
	producers, consumers := false, false
	for _, iv := range run.Intervals {
		producers = producers || iv.Sent > 0 || iv.Errors > 0
		consumers = consumers || iv.Consumed > 0
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(TimelineHeader); err != nil {
		return err
	}
	for i, iv := range run.Intervals {
		span := iv.End - iv.Start
		rate := func(n int64) string {
			if span <= 0 {
				return ""
			}
			return num(float64(n) / span)
		}
		head := []string{num(iv.Start), num(iv.End), strconv.FormatBool(iv.Warmup)}
		faults := strings.Join(iv.Faults, "; ")
		if producers {
			pub, err := hist(run, iv.PublishHist, fmt.Sprintf("interval %d's publish histogram", i))
			if err != nil {
				return err
			}
			row := append(head, RoleProducer,
				strconv.FormatInt(iv.Sent, 10), rate(iv.Sent),
				strconv.FormatInt(iv.Acked, 10), rate(iv.Acked),
				strconv.FormatInt(iv.AckedBytes, 10), rateMiB(iv.AckedBytes, span),
				strconv.FormatInt(iv.Errors, 10), rate(iv.Errors),
				strconv.FormatInt(iv.LateSends, 10), num(iv.InFlightWaitS), optInt(iv.Retries))
			row = append(row, latencyCells(pub, iv.PublishP50Ms, iv.PublishP99Ms, iv.PublishMaxMs, iv.PublishHist != "")...)
			row = append(row, num(iv.SendLagP99Ms))
			row = append(row, make([]string, 10)...)
			if err := cw.Write(append(row, faults)); err != nil {
				return err
			}
		}
		if consumers {
			e2e, err := hist(run, iv.E2EHist, fmt.Sprintf("interval %d's end-to-end histogram", i))
			if err != nil {
				return err
			}
			row := append(head, RoleConsumer)
			row = append(row, make([]string, 18)...)
			row = append(row,
				strconv.FormatInt(iv.Consumed, 10), rate(iv.Consumed),
				strconv.FormatInt(iv.ConsumedBytes, 10), rateMiB(iv.ConsumedBytes, span))
			row = append(row, latencyCells(e2e, 0, iv.E2EP99Ms, 0, iv.E2EHist != "")...)
			if err := cw.Write(append(row, faults)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// latencyCells are the p50, p95, p99, p99.9, max and mean cells of h in
// milliseconds; without a histogram (an interval whose encoding failed),
// the figures the interval kept, the others empty.
func latencyCells(h *hdrhistogram.Histogram, p50, p99, maxMs float64, haveHist bool) []string {
	if !haveHist {
		opt := func(v float64) string {
			if v == 0 {
				return ""
			}
			return num(v)
		}
		return []string{opt(p50), "", num(p99), "", opt(maxMs), ""}
	}
	return []string{
		num(ms(h.ValueAtQuantile(50))), num(ms(h.ValueAtQuantile(95))), num(ms(h.ValueAtQuantile(99))),
		num(ms(h.ValueAtQuantile(99.9))), num(ms(h.Max())), num(mean(h) / 1000),
	}
}

// SummaryHeader is the header row of Summaries. Counts cover the whole
// run and rates and latencies the measurement window, as in the result's
// summary (docs/results.md); settings are empty where the result does not
// say, retries and stored bytes where the driver or admin client could not
// count them.
var SummaryHeader = []string{
	"file", "name", "run_id", "started", "complete",
	"driver", "library", "cluster", "kafka_version", "acks", "compression",
	"topics", "partitions_per_topic", "message_size_bytes", "producers_per_topic",
	"subscriptions_per_topic", "consumers_per_subscription",
	"target_rate_msgs_per_s", "duration_s",
	"produced_msgs", "produced_bytes", "consumed_msgs", "consumed_bytes", "stored_bytes",
	"produce_msgs_per_s", "produce_mib_per_s", "consume_msgs_per_s", "consume_mib_per_s",
	"errors", "consume_errors", "late_sends", "late_share", "retries", "dropped_samples",
	"publish_p50_ms", "publish_p95_ms", "publish_p99_ms", "publish_p999_ms", "publish_max_ms", "publish_mean_ms",
	"e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms", "e2e_p999_ms", "e2e_max_ms", "e2e_mean_ms",
	"send_lag_p50_ms", "send_lag_p95_ms", "send_lag_p99_ms", "send_lag_p999_ms", "send_lag_max_ms", "send_lag_mean_ms",
	"lost", "duplicated", "reordered", "unverified",
	"faults", "max_no_ack_s", "recovery_s",
}

// Summaries writes one CSV row per run: SummaryHeader, then each run's
// headline figures. files[i] names runs[i]'s file in the file column
// (its base name); files may be nil. max_no_ack_s and recovery_s are the
// worst over the run's faults; recovery_s is empty when some fault's
// recovery was not seen.
func Summaries(w io.Writer, runs []*results.Run, files []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(SummaryHeader); err != nil {
		return err
	}
	for i, run := range runs {
		wl, err := workloadOf(run)
		if err != nil {
			return err
		}
		file := ""
		if i < len(files) {
			file = filepath.Base(files[i])
		}
		s := run.Summary
		setting := func(key string) string {
			if v, ok := run.Client.EffectiveProducer[key]; ok {
				return v
			}
			return run.Client.Producer[key]
		}
		row := []string{
			file, run.Name, run.RunID, run.Started.UTC().Format(time.RFC3339), strconv.FormatBool(run.Complete),
			run.Driver.Name, run.Driver.Library, string(run.Cluster.Kind), run.Cluster.KafkaVersion,
			setting("acks"), setting("compression.type"),
			strconv.Itoa(wl.Topics), strconv.Itoa(wl.PartitionsPerTopic), strconv.Itoa(wl.MessageSize),
			strconv.Itoa(wl.ProducersPerTopic), strconv.Itoa(wl.SubscriptionsPerTopic), strconv.Itoa(wl.ConsumerPerSubscription),
			num(s.TargetRate), num(s.DurationS),
			strconv.FormatInt(s.ProducedMessages, 10), strconv.FormatInt(s.ProducedBytes, 10),
			strconv.FormatInt(s.ConsumedMessages, 10), strconv.FormatInt(s.ConsumedBytes, 10), optInt(s.StoredBytes),
			num(s.ProduceRateMsgs), num(s.ProduceRateMiB), num(s.ConsumeRateMsgs), num(s.ConsumeRateMiB),
			strconv.FormatInt(s.Errors, 10), strconv.FormatInt(s.ConsumeErrors, 10),
			strconv.FormatInt(s.LateSends, 10), num(s.LateShare), optInt(s.Retries), strconv.FormatInt(s.DroppedSamples, 10),
		}
		for _, l := range []results.Latency{s.PublishLatencyMs, s.E2ELatencyMs, s.SendLagMs} {
			row = append(row, num(l.P50), num(l.P95), num(l.P99), num(l.P999), num(l.Max), num(l.Mean))
		}
		row = append(row,
			strconv.FormatInt(s.Lost, 10), strconv.FormatInt(s.Duplicated, 10),
			strconv.FormatInt(s.Reordered, 10), strconv.FormatInt(s.Unverified, 10))
		row = append(row, failoverCells(run)...)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// failoverCells are the faults, max_no_ack_s and recovery_s cells.
func failoverCells(run *results.Run) []string {
	injected := 0
	for _, f := range run.Faults {
		if f.Phase == results.PhaseInject {
			injected++
		}
	}
	if len(run.Failover) == 0 {
		return []string{strconv.Itoa(injected), "", ""}
	}
	noAck, recovery, seen := 0.0, 0.0, true
	for _, f := range run.Failover {
		noAck = max(noAck, f.MaxNoAckS)
		if f.RecoveryS < 0 {
			seen = false
		}
		recovery = max(recovery, f.RecoveryS)
	}
	rec := ""
	if seen {
		rec = num(recovery)
	}
	return []string{strconv.Itoa(injected), num(noAck), rec}
}

// num formats v in the fewest digits that read back as v.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// rateMiB is bytes over span seconds in MiB/s, empty for no span.
func rateMiB(bytes int64, span float64) string {
	if span <= 0 {
		return ""
	}
	return num(float64(bytes) / span / mib)
}

// optInt formats a count that may be unknown (nil) as empty.
func optInt(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}
