package export

import (
	"bytes"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// readLog reads every histogram of an interval log with hdrhistogram-go's
// reader.
func readLog(t *testing.T, log []byte) []*hdrhistogram.Histogram {
	t.Helper()
	r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(log))
	var out []*hdrhistogram.Histogram
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		if h == nil {
			return out
		}
		out = append(out, h)
	}
}

func TestHLogReadsBack(t *testing.T) {
	run, _ := fixtureRun(t)
	var buf bytes.Buffer
	if err := HLog(&buf, run); err != nil {
		t.Fatal(err)
	}
	byTag := map[string][]*hdrhistogram.Histogram{}
	for _, h := range readLog(t, buf.Bytes()) {
		byTag[h.Tag()] = append(byTag[h.Tag()], h)
	}
	var measured []results.Interval
	for _, iv := range run.Intervals {
		if !iv.Warmup {
			measured = append(measured, iv)
		}
	}
	if len(byTag["publish"]) != len(measured) || len(byTag["e2e"]) != len(measured) || len(byTag["send-lag"]) != 1 {
		t.Fatalf("histograms by tag: publish %d, e2e %d, send-lag %d; want %d, %d, 1",
			len(byTag["publish"]), len(byTag["e2e"]), len(byTag["send-lag"]), len(measured), len(measured))
	}
	for i, iv := range measured {
		pub, e2e := byTag["publish"][i], byTag["e2e"][i]
		wantStart := run.Started.UnixMilli() + int64(iv.Start*1000)
		if pub.StartTimeMs() != wantStart || pub.EndTimeMs()-pub.StartTimeMs() != 1000 {
			t.Errorf("interval %d: publish from %d to %d ms, want from %d for 1000", i, pub.StartTimeMs(), pub.EndTimeMs(), wantStart)
		}
		if want := decoded(t, iv.PublishHist); !pub.Equals(want) {
			t.Errorf("interval %d: publish histogram differs from the result's", i)
		}
		if got := ms(pub.ValueAtQuantile(99)); got != iv.PublishP99Ms {
			t.Errorf("interval %d: publish p99 %v ms, result %v", i, got, iv.PublishP99Ms)
		}
		if got := ms(e2e.ValueAtQuantile(99)); got != iv.E2EP99Ms || e2e.TotalCount() != iv.Consumed {
			t.Errorf("interval %d: e2e p99 %v ms count %d, result %v, %d", i, got, e2e.TotalCount(), iv.E2EP99Ms, iv.Consumed)
		}
	}
	// Merged, the intervals are the summary's distribution.
	merged := results.NewHist()
	for _, h := range byTag["publish"] {
		merged.Merge(h)
	}
	if got := results.LatencyOf(merged); got != run.Summary.PublishLatencyMs {
		t.Errorf("merged publish %+v, summary %+v", got, run.Summary.PublishLatencyMs)
	}
	if got := results.LatencyOf(byTag["send-lag"][0]); got != run.Summary.SendLagMs {
		t.Errorf("send lag %+v, summary %+v", got, run.Summary.SendLagMs)
	}
}

// One kind is written untagged, for readers of untagged histograms.
func TestHLogOneKindUntagged(t *testing.T) {
	run, _ := fixtureRun(t)
	var buf bytes.Buffer
	if err := HLog(&buf, run, HistE2E); err != nil {
		t.Fatal(err)
	}
	hs := readLog(t, buf.Bytes())
	if len(hs) != fixMeasure+fixDrain {
		t.Fatalf("%d histograms, want %d", len(hs), fixMeasure+fixDrain)
	}
	var n int64
	for _, h := range hs {
		if h.Tag() != "" {
			t.Fatalf("tag %q, want none", h.Tag())
		}
		n += h.TotalCount()
	}
	if n != run.Summary.E2ELatencyMs.Count {
		t.Errorf("%d end-to-end latencies, summary %d", n, run.Summary.E2ELatencyMs.Count)
	}
}
