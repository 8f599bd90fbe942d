// Package prometheus serves a running benchmark's figures as Prometheus
// metrics, so a dashboard shows a run, or every shard of a distributed
// run, while it goes on. Every series carries the labels run_id and shard,
// so one PromQL sum over shard shows the whole run.
//
// Nothing here is on the per-message path: Metrics is a bench.Output, given
// each interval's counts and histograms once, and the Prometheus series
// are built from the cumulative figures when scraped.
//
// Inside this package, prometheus names the client library
// (github.com/prometheus/client_golang/prometheus).
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
)

// buckets are the upper bounds, in seconds, of the latency histograms'
// buckets: 100 µs to 60 s in 1-2-5 steps.
var buckets = []float64{
	0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
	0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60,
}

// Metrics accumulates a run's intervals and fault events, as a
// bench.Output, and is a prometheus.Collector of them. Its methods are safe
// to call from several goroutines.
type Metrics struct {
	mu       sync.Mutex
	phase    bench.Phase
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

var (
	_ prometheus.Collector = (*Metrics)(nil)
	_ bench.Output         = (*Metrics)(nil)
)

// New returns the metrics of shard of run runID (shard 0 for a run in one
// process); the phase starts as warm-up.
func New(runID string, shard int) *Metrics {
	labels := prometheus.Labels{"run_id": runID, "shard": strconv.Itoa(shard)}
	d := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc("kbench_"+name, help, variable, labels)
	}
	hist := func() *hdrhistogram.Histogram { return hdrhistogram.New(1, 3600*1000*1000, 3) }
	return &Metrics{
		phase:         bench.PhaseWarmup,
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

// Phase sets the phase gauge.
func (m *Metrics) Phase(p bench.Phase) {
	m.mu.Lock()
	m.phase = p
	m.mu.Unlock()
}

// Interval adds one interval's counts and histograms.
func (m *Metrics) Interval(iv *bench.Interval) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent += iv.Sent
	m.acked += iv.Acked
	m.ackedB += iv.AckedBytes
	m.consumed += iv.Consumed
	m.consB += iv.ConsumedBytes
	m.late += iv.LateSends
	for k, n := range iv.ErrorsByKind {
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

// Fault counts one fault event by its action (kill, pause, ...) and phase
// (inject or recover).
func (m *Metrics) Fault(ev results.Fault) {
	m.mu.Lock()
	m.faults[[2]string{ev.Action, string(ev.Phase)}]++
	m.mu.Unlock()
}

// Log does nothing: log lines are not metrics.
func (m *Metrics) Log(string) {}

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
	for _, p := range bench.Phases() {
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

// Server serves metrics over HTTP at /metrics while a run goes on, and
// for a while after it, so that a last scrape sees the run's final figures.
type Server struct {
	srv  *http.Server
	addr net.Addr
	done chan error // the result of http.Server.Serve
	// ending is set when Close begins; scraped is closed once a scrape
	// that began after that has been answered.
	ending  atomic.Bool
	scraped chan struct{}
	once    sync.Once
}

// Serve starts serving c's metrics at /metrics on ln; Close ends it.
func Serve(ln net.Listener, c prometheus.Collector) (*Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	s := &Server{addr: ln.Addr(), done: make(chan error, 1), scraped: make(chan struct{})}
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		late := s.ending.Load()
		h.ServeHTTP(w, r)
		if late {
			s.once.Do(func() { close(s.scraped) })
		}
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Close stops serving once the run's final figures have been scraped: it
// waits until a scrape begun after Close was called has been answered, or
// linger has passed, whichever comes first, and ends at once when ctx does
// (an interrupted run). Call it after the run has returned. A scrape in
// progress at the shutdown gets up to 5 s. Close returns the server's
// error, if it failed while serving.
func (s *Server) Close(ctx context.Context, linger time.Duration) error {
	s.ending.Store(true)
	wait := time.NewTimer(linger)
	defer wait.Stop()
	select {
	case err := <-s.done:
		return fmt.Errorf("metrics server on %s: %w", s.addr, err)
	case <-s.scraped:
	case <-wait.C:
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(shut)
	if e := <-s.done; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
