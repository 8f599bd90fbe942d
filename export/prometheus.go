package export

import (
	"fmt"
	"io"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kbench/kbench/results"
)

// RunID is the run_id label of run's metrics: the distributed run's id,
// or else its name and start time (name-20060102-150405, UTC).
func RunID(run *results.Run) string {
	if run.RunID != "" {
		return run.RunID
	}
	return run.Name + "-" + run.Started.UTC().Format("20060102-150405")
}

// promQuantiles are the quantiles of the latency summaries.
var promQuantiles = []float64{0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999}

// Prometheus writes finished runs in the Prometheus text exposition
// format, for a Pushgateway or node_exporter's textfile collector. Every
// series carries the labels run_id (RunID, or runIDs[i] when given and
// not empty), workload and driver. Units are Prometheus's base units:
// seconds and bytes. Counters cover the whole run and rates the
// measurement window, as in the result's summary; each latency is a
// summary (quantiles, _sum, _count) of the measurement window's histogram,
// with its maximum as a gauge beside it. Counts a driver could not make
// (retries, stored bytes) are left out, not written as 0.
func Prometheus(w io.Writer, runs []*results.Run, runIDs []string) error {
	reg := prometheus.NewPedanticRegistry()
	for i, run := range runs {
		id := RunID(run)
		if i < len(runIDs) && runIDs[i] != "" {
			id = runIDs[i]
		}
		c, err := newRunCollector(run, id)
		if err != nil {
			return err
		}
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("result %s: %w", run.Name, err)
		}
	}
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// runCollector holds one run's metrics, made once; Collect sends them.
type runCollector struct {
	metrics []prometheus.Metric
}

var _ prometheus.Collector = (*runCollector)(nil)

// Describe sends the descriptors of the metrics.
func (c *runCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

// Collect sends the metrics.
func (c *runCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics {
		ch <- m
	}
}

// newRunCollector builds run's metrics under run id.
func newRunCollector(run *results.Run, id string) (*runCollector, error) {
	wl, err := workloadOf(run)
	if err != nil {
		return nil, err
	}
	name := wl.Name
	if name == "" {
		name = run.Name
	}
	labels := prometheus.Labels{"run_id": id, "workload": name, "driver": run.Driver.Name}
	c := &runCollector{}
	add := func(kind prometheus.ValueType, metric, help string, v float64, label ...string) {
		var names, values []string
		for i := 0; i+1 < len(label); i += 2 {
			names, values = append(names, label[i]), append(values, label[i+1])
		}
		d := prometheus.NewDesc("kbench_"+metric, help, names, labels)
		c.metrics = append(c.metrics, prometheus.MustNewConstMetric(d, kind, v, values...))
	}
	counter := func(metric, help string, v int64, label ...string) {
		add(prometheus.CounterValue, metric, help, float64(v), label...)
	}
	gauge := func(metric, help string, v float64, label ...string) {
		add(prometheus.GaugeValue, metric, help, v, label...)
	}
	s := run.Summary
	complete := 0.0
	if run.Complete {
		complete = 1
	}
	gauge("run_complete", "1 if the run completed, 0 if it was interrupted", complete)
	gauge("run_start_timestamp_seconds", "when the run started, seconds since the epoch", float64(run.Started.UnixMilli())/1000)
	gauge("run_end_timestamp_seconds", "when the run ended, seconds since the epoch", float64(run.Ended.UnixMilli())/1000)
	gauge("run_duration_seconds", "length of the measurement window", s.DurationS)
	gauge("target_rate_messages_per_second", "the open model's target rate, 0 for the closed model", s.TargetRate)
	counter("produced_messages_total", "messages acknowledged, warm-up included", s.ProducedMessages)
	counter("produced_bytes_total", "bytes acknowledged, warm-up included", s.ProducedBytes)
	counter("consumed_messages_total", "messages consumed, warm-up included", s.ConsumedMessages)
	counter("consumed_bytes_total", "bytes consumed, warm-up included", s.ConsumedBytes)
	if s.StoredBytes != nil {
		gauge("stored_bytes", "bytes the brokers hold for the run's topics, one replica", float64(*s.StoredBytes))
	}
	gauge("produce_rate_messages_per_second", "messages acknowledged per second over the measurement window", s.ProduceRateMsgs)
	gauge("produce_rate_bytes_per_second", "bytes acknowledged per second over the measurement window", s.ProduceRateMiB*mib)
	gauge("consume_rate_messages_per_second", "messages consumed per second over the measurement window", s.ConsumeRateMsgs)
	gauge("consume_rate_bytes_per_second", "bytes consumed per second over the measurement window", s.ConsumeRateMiB*mib)
	for i, sub := range s.Subscriptions {
		gauge("subscription_consume_rate_messages_per_second", "one subscription's consumption rate", sub.ConsumeRateMsgs, "subscription", strconv.Itoa(i))
	}
	counter("produce_errors_total", "failed produces in the measurement window", s.Errors)
	for kind, n := range s.ErrorsByKind {
		counter("produce_errors_by_kind_total", "failed produces in the measurement window, by kind", n, "kind", kind)
	}
	counter("consume_errors_total", "errors consumers' polls returned", s.ConsumeErrors)
	counter("late_sends_total", "sends issued more than 1 ms after their intended time", s.LateSends)
	gauge("late_send_ratio", "late sends over sends issued", s.LateShare)
	gauge("in_flight_wait_ratio", "share of the producers' time spent waiting for an in-flight slot", s.InFlightWaitShare)
	counter("dropped_samples_total", "latencies outside the histograms' range, left out of the percentiles", s.DroppedSamples)
	if s.Retries != nil {
		counter("producer_retries_total", "retries the clients made", *s.Retries)
	}
	if run.Verify != nil {
		counter("lost_messages_total", "acknowledged messages never consumed", s.Lost)
		counter("duplicated_messages_total", "messages stored twice", s.Duplicated)
		counter("reordered_messages_total", "messages consumed after a later one of the same producer and partition", s.Reordered)
		counter("unverified_messages_total", "acknowledged messages consumers did not reach", s.Unverified)
	}
	for i, f := range run.Failover {
		fl := []string{"fault", strconv.Itoa(i), "action", f.Fault.Action, "target", f.Fault.Target}
		gauge("failover_max_no_ack_seconds", "longest stretch without acknowledgements after the fault", f.MaxNoAckS, fl...)
		gauge("failover_recovery_seconds", "time until throughput was back to 90% of before the fault; -1 if not seen", f.RecoveryS, fl...)
	}
	for _, l := range []struct {
		metric, help, enc string
		summary           results.Latency
	}{
		{"publish_latency_seconds", "publish latency, intended send time to acknowledgement", run.Histograms.Publish, s.PublishLatencyMs},
		{"e2e_latency_seconds", "end-to-end latency, send time to receipt by a consumer", run.Histograms.E2E, s.E2ELatencyMs},
		{"send_lag_seconds", "send lag, issue time minus intended time (open model)", run.Histograms.SendLag, s.SendLagMs},
	} {
		if l.enc == "" && l.summary.Count == 0 {
			continue
		}
		h, err := hist(run, l.enc, l.metric)
		if err != nil {
			return nil, err
		}
		count, sum, qs, maxS := latencySummary(h, l.enc != "", l.summary)
		d := prometheus.NewDesc("kbench_"+l.metric, l.help+", over the measurement window", nil, labels)
		m, err := prometheus.NewConstSummary(d, count, sum, qs)
		if err != nil {
			return nil, fmt.Errorf("result %s: %s: %w", run.Name, l.metric, err)
		}
		c.metrics = append(c.metrics, m)
		gauge(l.metric[:len(l.metric)-len("_seconds")]+"_max_seconds", "the largest "+l.help, maxS)
	}
	return c, nil
}

// latencySummary is a latency's count, sum and quantiles in seconds, and
// its maximum: from h when the result had the histogram, else from the
// summary's figures.
func latencySummary(h *hdrhistogram.Histogram, haveHist bool, l results.Latency) (uint64, float64, map[float64]float64, float64) {
	if !haveHist {
		qs := map[float64]float64{0.5: l.P50 / 1000, 0.95: l.P95 / 1000, 0.99: l.P99 / 1000, 0.999: l.P999 / 1000}
		return uint64(l.Count), l.Mean * float64(l.Count) / 1000, qs, l.Max / 1000
	}
	qs := map[float64]float64{}
	for _, q := range promQuantiles {
		qs[q] = float64(h.ValueAtQuantile(q*100)) / 1e6
	}
	n := h.TotalCount()
	return uint64(n), mean(h) * float64(n) / 1e6, qs, float64(h.Max()) / 1e6
}
