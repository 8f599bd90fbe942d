package prometheus

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
)

func hist(us ...int64) *hdrhistogram.Histogram {
	h := hdrhistogram.New(1, 3600*1000*1000, 3)
	for _, v := range us {
		_ = h.RecordValue(v)
	}
	return h
}

// twoIntervals is a warm-up interval, a measurement interval and a fault.
func twoIntervals() *Metrics {
	m := New("r1", 2)
	m.Phase(bench.PhaseWarmup)
	m.Interval(&bench.Interval{Interval: results.Interval{Sent: 10, Acked: 8, AckedBytes: 800, ErrorsByKind: map[string]int64{"timeout": 2},
		Consumed: 7, ConsumedBytes: 700, LateSends: 1}, Publish: hist(150, 900), E2E: hist(3000)})
	m.Phase(bench.PhaseMeasure)
	m.Interval(&bench.Interval{Interval: results.Interval{Sent: 5, Acked: 7, AckedBytes: 700, ErrorsByKind: map[string]int64{"timeout": 1},
		Consumed: 8, ConsumedBytes: 800}, Publish: hist(40_000), SendLag: hist(20)})
	m.Fault(results.Fault{Action: "kill", Phase: results.PhaseInject})
	return m
}

// Counters add the intervals up, and the phase is the latest one's.
func TestCountersAddUp(t *testing.T) {
	want := `
# HELP kbench_acknowledged_messages_total Messages the brokers acknowledged.
# TYPE kbench_acknowledged_messages_total counter
kbench_acknowledged_messages_total{run_id="r1",shard="2"} 15
# HELP kbench_consumed_bytes_total Payload bytes consumers received.
# TYPE kbench_consumed_bytes_total counter
kbench_consumed_bytes_total{run_id="r1",shard="2"} 1500
# HELP kbench_failed_messages_total Produces that failed, by error kind.
# TYPE kbench_failed_messages_total counter
kbench_failed_messages_total{kind="timeout",run_id="r1",shard="2"} 3
# HELP kbench_fault_events_total Fault events, by action and phase (inject, recover).
# TYPE kbench_fault_events_total counter
kbench_fault_events_total{action="kill",phase="inject",run_id="r1",shard="2"} 1
# HELP kbench_phase 1 for the phase the run is in (warmup, measure, drain), else 0.
# TYPE kbench_phase gauge
kbench_phase{phase="drain",run_id="r1",shard="2"} 0
kbench_phase{phase="measure",run_id="r1",shard="2"} 1
kbench_phase{phase="warmup",run_id="r1",shard="2"} 0
# HELP kbench_produced_messages_total Messages handed to the client to send.
# TYPE kbench_produced_messages_total counter
kbench_produced_messages_total{run_id="r1",shard="2"} 15
`
	m := twoIntervals()
	err := testutil.CollectAndCompare(m, strings.NewReader(want), "kbench_acknowledged_messages_total",
		"kbench_consumed_bytes_total", "kbench_failed_messages_total", "kbench_fault_events_total",
		"kbench_phase", "kbench_produced_messages_total")
	if err != nil {
		t.Error(err)
	}
	// 6 counters without variable labels, one error kind, one fault
	// kind, 3 phases, 3 histograms.
	if n := testutil.CollectAndCount(m); n != 6+1+1+3+3 {
		t.Errorf("%d series, want 14", n)
	}
}

// Latency histograms are cumulative over intervals, in seconds, with
// buckets as bounds.
func TestHistogramBuckets(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(twoIntervals())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	// Values 150 µs, 900 µs and 40 ms: at or below 0.0002 s one, at or
	// below 0.001 s two, at or below 0.05 s three.
	want := map[float64]uint64{0.0001: 0, 0.0002: 1, 0.0005: 1, 0.001: 2, 0.02: 2, 0.05: 3, 60: 3}
	for _, f := range families {
		if f.GetName() != "kbench_publish_latency_seconds" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() != 3 {
			t.Errorf("count %d, want 3", h.GetSampleCount())
		}
		if s := h.GetSampleSum(); s < 0.0409 || s > 0.0411 {
			t.Errorf("sum %g s, want about 0.041", s)
		}
		if len(h.GetBucket()) != len(buckets) {
			t.Fatalf("%d buckets, want %d", len(h.GetBucket()), len(buckets))
		}
		for _, b := range h.GetBucket() {
			if n, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != n {
				t.Errorf("bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), n)
			}
		}
		return
	}
	t.Fatal("no kbench_publish_latency_seconds")
}

// listen serves m on a free port and returns a scrape of it.
func listen(t *testing.T, m *Metrics) (*Server, func() (string, error)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Serve(ln, m)
	if err != nil {
		t.Fatal(err)
	}
	return srv, func() (string, error) {
		resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}
}

// Scrapes while the collector adds intervals and faults come: the race
// detector watches.
func TestServeConcurrentScrapes(t *testing.T) {
	m := New("r1", 0)
	srv, scrape := listen(t, m)
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 200 {
			m.Phase(bench.PhaseMeasure)
			m.Interval(&bench.Interval{Interval: results.Interval{Sent: 1, Acked: 1}, Publish: hist(500)})
		}
	})
	wg.Go(func() {
		for range 20 {
			m.Fault(results.Fault{Action: "pause", Phase: results.PhaseRecover})
		}
	})
	for range 5 {
		body, err := scrape()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, `kbench_acknowledged_messages_total{run_id="r1",shard="0"}`) {
			t.Fatalf("scrape lacks the acknowledged counter:\n%s", body)
		}
	}
	wg.Wait()
	if body, _ := scrape(); !strings.Contains(body, `kbench_acknowledged_messages_total{run_id="r1",shard="0"} 200`+"\n") {
		t.Errorf("after 200 intervals of 1, the scrape says:\n%s", body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.Close(ctx, time.Minute); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// After the run, the server stays up until a scrape that began after
// Close has been answered, at most the linger, and at once when the
// context ends (Ctrl-C).
func TestCloseLingers(t *testing.T) {
	t.Run("until a scrape", func(t *testing.T) {
		m := New("r1", 0)
		srv, scrape := listen(t, m)
		m.Interval(&bench.Interval{Interval: results.Interval{Acked: 7}})
		closed := make(chan error, 1)
		go func() { closed <- srv.Close(context.Background(), time.Minute) }()
		for !srv.ending.Load() {
			time.Sleep(time.Millisecond)
		}
		body, err := scrape()
		if err != nil || !strings.Contains(body, `kbench_acknowledged_messages_total{run_id="r1",shard="0"} 7`+"\n") {
			t.Errorf("the last scrape: %v\n%s", err, body)
		}
		select {
		case err := <-closed:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("still serving 10 s after the last scrape")
		}
	})
	t.Run("no scrape", func(t *testing.T) {
		srv, _ := listen(t, New("r1", 0))
		start := time.Now()
		if err := srv.Close(context.Background(), 200*time.Millisecond); err != nil {
			t.Error(err)
		}
		if d := time.Since(start); d < 200*time.Millisecond || d > 10*time.Second {
			t.Errorf("closed after %s, want the 200ms linger", d)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		srv, _ := listen(t, New("r1", 0))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		if err := srv.Close(ctx, time.Hour); err != nil {
			t.Error(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("closed after %s, want at once", d)
		}
	})
}
