package export

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/kbench/kbench/results"
)

// ombTestResult mirrors OpenMessaging Benchmark's TestResult class
// (benchmark-framework/.../TestResult.java) field for field, written
// from its field list rather than from OMBResult, so a misspelt or
// missing field fails the decoding below.
type ombTestResult struct {
	Workload          string
	Driver            string
	MessageSize       int64
	Topics            int
	Partitions        int
	ProducersPerTopic int
	ConsumersPerTopic int

	PublishRate, PublishErrorRate, ConsumeRate []float64
	Backlog                                    []int64

	PublishLatencyAvg, PublishLatency50pct, PublishLatency75pct, PublishLatency95pct    []float64
	PublishLatency99pct, PublishLatency999pct, PublishLatency9999pct, PublishLatencyMax []float64

	PublishDelayLatencyAvg                                                                                  []float64
	PublishDelayLatency50pct, PublishDelayLatency75pct, PublishDelayLatency95pct                            []int64
	PublishDelayLatency99pct, PublishDelayLatency999pct, PublishDelayLatency9999pct, PublishDelayLatencyMax []int64

	AggregatedPublishLatencyAvg, AggregatedPublishLatency50pct, AggregatedPublishLatency75pct    float64
	AggregatedPublishLatency95pct, AggregatedPublishLatency99pct, AggregatedPublishLatency999pct float64
	AggregatedPublishLatency9999pct, AggregatedPublishLatencyMax                                 float64
	AggregatedPublishDelayLatencyAvg                                                             float64
	AggregatedPublishDelayLatency50pct, AggregatedPublishDelayLatency75pct                       int64
	AggregatedPublishDelayLatency95pct, AggregatedPublishDelayLatency99pct                       int64
	AggregatedPublishDelayLatency999pct, AggregatedPublishDelayLatency9999pct                    int64
	AggregatedPublishDelayLatencyMax                                                             int64
	AggregatedPublishLatencyQuantiles                                                            map[string]float64
	AggregatedPublishDelayLatencyQuantiles                                                       map[string]int64

	EndToEndLatencyAvg, EndToEndLatency50pct, EndToEndLatency75pct, EndToEndLatency95pct    []float64
	EndToEndLatency99pct, EndToEndLatency999pct, EndToEndLatency9999pct, EndToEndLatencyMax []float64

	AggregatedEndToEndLatencyQuantiles map[string]float64

	AggregatedEndToEndLatencyAvg, AggregatedEndToEndLatency50pct, AggregatedEndToEndLatency75pct    float64
	AggregatedEndToEndLatency95pct, AggregatedEndToEndLatency99pct, AggregatedEndToEndLatency999pct float64
	AggregatedEndToEndLatency9999pct, AggregatedEndToEndLatencyMax                                  float64
}

func TestOMBReadsBack(t *testing.T) {
	run, _ := fixtureRun(t)
	var buf bytes.Buffer
	if err := OMB(&buf, run); err != nil {
		t.Fatal(err)
	}
	// Every field OMB's TestResult has, and no other (Jackson refuses
	// unknown ones by default).
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 62 {
		t.Errorf("%d fields, OMB's TestResult has 62", len(keys))
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	var r ombTestResult
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode as OMB's TestResult: %v", err)
	}
	s := run.Summary
	if r.Workload != "fixture-1k" || r.Driver != "kbench-franz" || r.MessageSize != 1024 || r.Partitions != 6 ||
		r.ProducersPerTopic != 2 || r.ConsumersPerTopic != 3 {
		t.Errorf("header %+v", r)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"aggregatedPublishLatency50pct", r.AggregatedPublishLatency50pct, s.PublishLatencyMs.P50},
		{"aggregatedPublishLatency95pct", r.AggregatedPublishLatency95pct, s.PublishLatencyMs.P95},
		{"aggregatedPublishLatency99pct", r.AggregatedPublishLatency99pct, s.PublishLatencyMs.P99},
		{"aggregatedPublishLatency999pct", r.AggregatedPublishLatency999pct, s.PublishLatencyMs.P999},
		{"aggregatedPublishLatencyMax", r.AggregatedPublishLatencyMax, s.PublishLatencyMs.Max},
		{"aggregatedPublishLatencyAvg", r.AggregatedPublishLatencyAvg, s.PublishLatencyMs.Mean},
		{"aggregatedEndToEndLatency99pct", r.AggregatedEndToEndLatency99pct, s.E2ELatencyMs.P99},
		{"aggregatedEndToEndLatencyMax", r.AggregatedEndToEndLatencyMax, s.E2ELatencyMs.Max},
		{"aggregatedPublishDelayLatency99pct (µs)", float64(r.AggregatedPublishDelayLatency99pct), s.SendLagMs.P99 * 1000},
		{"aggregatedPublishLatencyQuantiles[100]", r.AggregatedPublishLatencyQuantiles["100"], s.PublishLatencyMs.Max},
	} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Quantiles rise with the percentile.
	prev := -1.0
	for p := 0.0; p <= 100; p += 0.5 {
		v, ok := r.AggregatedEndToEndLatencyQuantiles[strconv.FormatFloat(p, 'f', -1, 64)]
		if ok && v < prev {
			t.Errorf("end-to-end quantile %v%% = %v, below %v", p, v, prev)
		}
		if ok {
			prev = v
		}
	}

	// The measurement window's 25 one-second intervals, in 10 s windows:
	// 10, 10 and 5 s; the drain is left out.
	windows := [][2]int{{fixWarmup, fixWarmup + 10}, {fixWarmup + 10, fixWarmup + 20}, {fixWarmup + 20, fixWarmup + fixMeasure}}
	if len(r.PublishRate) != len(windows) || len(r.PublishLatency99pct) != len(windows) || len(r.Backlog) != len(windows) {
		t.Fatalf("%d publish rates, %d p99s, %d backlogs; want %d windows", len(r.PublishRate), len(r.PublishLatency99pct), len(r.Backlog), len(windows))
	}
	for i, w := range windows {
		var acked, errs, consumed, lagUS int64
		var ackedAll, consumedAll int64
		for _, iv := range run.Intervals[:w[1]] {
			ackedAll += iv.Acked
			consumedAll += iv.Consumed
		}
		var encs []string
		for _, iv := range run.Intervals[w[0]:w[1]] {
			acked += iv.Acked
			errs += iv.Errors
			consumed += iv.Consumed
			lagUS = max(lagUS, int64(math.Round(iv.SendLagP99Ms*1000)))
			encs = append(encs, iv.PublishHist)
		}
		span := float64(w[1] - w[0])
		merged, err := results.MergedHist(encs...)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{
			{"publishRate", r.PublishRate[i], float64(acked) / span},
			{"publishErrorRate", r.PublishErrorRate[i], float64(errs) / span},
			{"consumeRate", r.ConsumeRate[i], float64(consumed) / span},
			{"backlog", float64(r.Backlog[i]), float64(max(0, fixSubs*ackedAll-consumedAll))},
			{"publishLatency99pct", r.PublishLatency99pct[i], ms(merged.ValueAtQuantile(99))},
			{"publishLatencyMax", r.PublishLatencyMax[i], ms(merged.Max())},
			{"publishDelayLatency99pct", float64(r.PublishDelayLatency99pct[i]), float64(lagUS)},
		} {
			if c.got != c.want {
				t.Errorf("window %d: %s = %v, want %v", i, c.name, c.got, c.want)
			}
		}
	}
}
