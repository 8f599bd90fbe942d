package export

import (
	"bytes"
	"math"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kbench/kbench/results"
)

// series finds the series of family name whose labels include want.
func series(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	t.Fatalf("%s has no series labelled %v", name, want)
	return nil
}

func TestPrometheusParsesBack(t *testing.T) {
	run, _ := fixtureRun(t)
	other := *run
	other.Name, other.RunID, other.Verify = "other", "nightly-7", nil
	var buf bytes.Buffer
	if err := Prometheus(&buf, []*results.Run{run, &other}, nil); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("parse back: %v\n%s", err, buf.String())
	}
	s := run.Summary
	id := map[string]string{"run_id": "fixture-20260301-120000", "workload": "fixture-1k", "driver": "franz"}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"kbench_produced_messages_total", series(t, fams, "kbench_produced_messages_total", id).GetCounter().GetValue(), float64(s.ProducedMessages)},
		{"kbench_produce_rate_messages_per_second", series(t, fams, "kbench_produce_rate_messages_per_second", id).GetGauge().GetValue(), s.ProduceRateMsgs},
		{"kbench_produce_rate_bytes_per_second", series(t, fams, "kbench_produce_rate_bytes_per_second", id).GetGauge().GetValue(), s.ProduceRateMiB * mib},
		{"kbench_producer_retries_total", series(t, fams, "kbench_producer_retries_total", id).GetCounter().GetValue(), 7},
		{"kbench_failover_max_no_ack_seconds", series(t, fams, "kbench_failover_max_no_ack_seconds", map[string]string{"fault": "0", "action": "kill"}).GetGauge().GetValue(), 2.4},
		{"kbench_publish_latency_max_seconds", series(t, fams, "kbench_publish_latency_max_seconds", id).GetGauge().GetValue(), s.PublishLatencyMs.Max / 1000},
		{"kbench_run_complete", series(t, fams, "kbench_run_complete", id).GetGauge().GetValue(), 1},
		{"kbench_run_start_timestamp_seconds", series(t, fams, "kbench_run_start_timestamp_seconds", id).GetGauge().GetValue(), float64(run.Started.Unix())},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, l := range []struct {
		name string
		lat  results.Latency
	}{
		{"kbench_publish_latency_seconds", s.PublishLatencyMs},
		{"kbench_e2e_latency_seconds", s.E2ELatencyMs},
		{"kbench_send_lag_seconds", s.SendLagMs},
	} {
		sum := series(t, fams, l.name, id).GetSummary()
		if sum.GetSampleCount() != uint64(l.lat.Count) {
			t.Errorf("%s count %d, want %d", l.name, sum.GetSampleCount(), l.lat.Count)
		}
		if got, want := sum.GetSampleSum()/float64(sum.GetSampleCount()), l.lat.Mean/1000; math.Abs(got-want) > 1e-12 {
			t.Errorf("%s mean %v, want %v", l.name, got, want)
		}
		want := map[float64]float64{0.5: l.lat.P50, 0.95: l.lat.P95, 0.99: l.lat.P99, 0.999: l.lat.P999}
		for _, q := range sum.GetQuantile() {
			if w, ok := want[q.GetQuantile()]; ok && math.Abs(q.GetValue()-w/1000) > 1e-12 {
				t.Errorf("%s quantile %v = %v, want %v", l.name, q.GetQuantile(), q.GetValue(), w/1000)
			}
			delete(want, q.GetQuantile())
		}
		if len(want) > 0 {
			t.Errorf("%s lacks quantiles %v", l.name, want)
		}
	}
	// The second run is there under its own run id; verification figures
	// are left out when it did not verify.
	series(t, fams, "kbench_produced_messages_total", map[string]string{"run_id": "nightly-7"})
	if n := len(fams["kbench_lost_messages_total"].GetMetric()); n != 1 {
		t.Errorf("kbench_lost_messages_total has %d series, want the verified run's only", n)
	}
}
