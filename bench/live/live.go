// Package live serves a running benchmark's figures as Prometheus metrics,
// so a dashboard shows a run, or every shard of a distributed run, while it
// goes on. Every series carries the labels run_id and shard, so one PromQL
// sum over shard shows the whole run.
//
// Nothing here is on the per-message path: the run's collector hands over
// each interval's counts and histograms once (Metrics.Add), and the
// Prometheus series are built from the cumulative figures when scraped.
package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Phase is the part of a run an interval belongs to.
type Phase string

// The phases of a run, in order.
const (
	PhaseWarmup  Phase = "warmup"
	PhaseMeasure Phase = "measure"
	PhaseDrain   Phase = "drain"
)

var phases = []Phase{PhaseWarmup, PhaseMeasure, PhaseDrain}

// Interval is one interval of a run as its collector closed it. Counts are
// the interval's own, not running totals; histograms are in microseconds
// and may be nil (none recorded). Add reads them during the call only.
type Interval struct {
	Phase Phase
	// Sent counts messages handed to the client (produced); Acked and
	// AckedBytes those acknowledged; Failed the produces that failed, by
	// error kind.
	Sent, Acked, AckedBytes int64
	Failed                  map[string]int64
	Consumed, ConsumedBytes int64
	LateSends               int64
	Publish, E2E, SendLag   *hdrhistogram.Histogram
}

// buckets are the upper bounds, in seconds, of the latency histograms'
// buckets: 100 µs to 60 s in 1-2-5 steps.
var buckets = []float64{
	0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
	0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60,
}

// Metrics accumulates a run's intervals and is a prometheus.Collector of
// them. Its methods are safe to call from several goroutines.
type Metrics struct {
	mu       sync.Mutex
	phase    Phase
	sent     int64
	acked    int64
	ackedB   int64
	consumed int64
	consB    int64
	late     int64
	failed   map[string]int64
	faults   map[[2]string]int64 // action, phase
	publish  *hdrhistogram.Histogram
	e2e      *hdrhistogram.Histogram
	lag      *hdrhistogram.Histogram

	produced, acknowledged, acknowledgedB, failedD, consumedD, consumedB,
	lateD, phaseD, faultD, publishD, e2eD, lagD *prometheus.Desc
}

var _ prometheus.Collector = (*Metrics)(nil)

// New returns the metrics of shard of run runID (shard 0 for a run in one
// process); the phase starts as warm-up.
func New(runID string, shard int) *Metrics {
	labels := prometheus.Labels{"run_id": runID, "shard": strconv.Itoa(shard)}
	d := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc("kbench_"+name, help, variable, labels)
	}
	hist := func() *hdrhistogram.Histogram { return hdrhistogram.New(1, 3600*1000*1000, 3) }
	return &Metrics{
		phase:         PhaseWarmup,
		failed:        map[string]int64{},
		faults:        map[[2]string]int64{},
		publish:       hist(),
		e2e:           hist(),
		lag:           hist(),
		produced:      d("produced_messages_total", "Messages handed to the client to send."),
		acknowledged:  d("acknowledged_messages_total", "Messages the brokers acknowledged."),
		acknowledgedB: d("acknowledged_bytes_total", "Payload bytes of acknowledged messages."),
		failedD:       d("failed_messages_total", "Produces that failed, by error kind.", "kind"),
		consumedD:     d("consumed_messages_total", "Messages consumers received."),
		consumedB:     d("consumed_bytes_total", "Payload bytes consumers received."),
		lateD:         d("late_sends_total", "Sends issued later than the pacing tolerance after their intended time."),
		phaseD:        d("phase", "1 for the phase the run is in (warmup, measure, drain), else 0.", "phase"),
		faultD:        d("fault_events_total", "Fault events, by action and phase (inject, recover).", "action", "phase"),
		publishD:      d("publish_latency_seconds", "Intended send time to acknowledgement."),
		e2eD:          d("e2e_latency_seconds", "Send time carried in the message to its receipt by a consumer."),
		lagD:          d("send_lag_seconds", "How late sends were issued after their intended time."),
	}
}

// Add adds one interval; the run's collector calls it once per interval.
func (m *Metrics) Add(iv Interval) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if iv.Phase != "" {
		m.phase = iv.Phase
	}
	m.sent += iv.Sent
	m.acked += iv.Acked
	m.ackedB += iv.AckedBytes
	m.consumed += iv.Consumed
	m.consB += iv.ConsumedBytes
	m.late += iv.LateSends
	for k, n := range iv.Failed {
		m.failed[k] += n
	}
	merge(m.publish, iv.Publish)
	merge(m.e2e, iv.E2E)
	merge(m.lag, iv.SendLag)
}

func merge(dst, src *hdrhistogram.Histogram) {
	if src != nil {
		dst.Merge(src)
	}
}

// Fault counts one fault event: action (kill, pause, ...) in phase
// (inject or recover).
func (m *Metrics) Fault(action, phase string) {
	m.mu.Lock()
	m.faults[[2]string{action, phase}]++
	m.mu.Unlock()
}

// Describe sends the descriptors of every series.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.produced, m.acknowledged, m.acknowledgedB, m.failedD,
		m.consumedD, m.consumedB, m.lateD, m.phaseD, m.faultD, m.publishD, m.e2eD, m.lagD} {
		ch <- d
	}
}

// Collect sends the current values; Prometheus calls it at each scrape.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(m.produced, m.sent)
	counter(m.acknowledged, m.acked)
	counter(m.acknowledgedB, m.ackedB)
	counter(m.consumedD, m.consumed)
	counter(m.consumedB, m.consB)
	counter(m.lateD, m.late)
	for k, n := range m.failed {
		counter(m.failedD, n, k)
	}
	for k, n := range m.faults {
		counter(m.faultD, n, k[0], k[1])
	}
	for _, p := range phases {
		v := 0.0
		if p == m.phase {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(m.phaseD, prometheus.GaugeValue, v, string(p))
	}
	ch <- constHistogram(m.publishD, m.publish)
	ch <- constHistogram(m.e2eD, m.e2e)
	ch <- constHistogram(m.lagD, m.lag)
}

// constHistogram turns a microsecond HdrHistogram into a Prometheus
// histogram in seconds with the bounds of buckets. A value counts below a
// bound when the highest value equivalent to it (to 3 significant digits)
// does. The sum is mean × count, as HdrHistogram keeps no exact sum.
func constHistogram(d *prometheus.Desc, h *hdrhistogram.Histogram) prometheus.Metric {
	counts := make(map[float64]uint64, len(buckets))
	i := 0
	var below uint64
	for _, bar := range h.Distribution() {
		if bar.Count == 0 {
			continue
		}
		for i < len(buckets) && float64(bar.To) > buckets[i]*1e6 {
			counts[buckets[i]] = below
			i++
		}
		below += uint64(bar.Count)
	}
	for ; i < len(buckets); i++ {
		counts[buckets[i]] = below
	}
	n := uint64(h.TotalCount())
	return prometheus.MustNewConstHistogram(d, n, h.Mean()*float64(n)/1e6, counts)
}

// Serve serves c's metrics at /metrics on ln until ctx ends, then shuts
// the server down, giving a scrape in progress up to 5 s.
func Serve(ctx context.Context, ln net.Listener, c prometheus.Collector) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics server on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shut)
	if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
