package analysis

import (
	"bytes"
	"testing"

	"github.com/kbench/kbench/results"
)

// One lost message in one repeat is a regression, however the repeats
// scatter.
func TestCompareNeverCallsLossNoise(t *testing.T) {
	mk := func(lost int64) *results.Run {
		return &results.Run{Summary: results.Summary{Lost: lost, ConsumedMessages: 10, ProduceRateMsgs: 100}}
	}
	base := []*results.Run{mk(0), mk(0), mk(0)}
	next := []*results.Run{mk(0), mk(0), mk(3)}
	v := Compare(base, next, Bounds{"lost": 0})
	if !v.Failed {
		t.Errorf("verdict passed with a lost message in a repeat: %+v", v.Rows)
	}
}

// A single latency value under 1 ms makes a flat log axis, which must
// still draw.
func TestPlotsFlatSubMillisecond(t *testing.T) {
	h := results.NewHist()
	_ = h.RecordValue(500) // 0.5 ms
	enc, _ := results.EncodeHist(h)
	r := &results.Run{Schema: results.Schema, Name: "flat", Histograms: results.Histograms{Publish: enc},
		Summary: results.Summary{ProduceRateMsgs: 10, PublishLatencyMs: results.LatencyOf(h)}}
	for _, kind := range []string{KindSpectrum, KindLatencyThroughput} {
		var buf bytes.Buffer
		if err := WritePlot(&buf, kind, []*results.Run{r}, "svg"); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
}
