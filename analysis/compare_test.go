package analysis

import (
	"bytes"
	"fmt"
	"strings"
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

// latencyRun is a run whose publish latencies are the given values, µs.
func latencyRun(t *testing.T, us ...int64) *results.Run {
	h := results.NewHist()
	for _, v := range us {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := results.EncodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	return &results.Run{Histograms: results.Histograms{Publish: enc},
		Summary: results.Summary{ProduceRateMsgs: 100, PublishLatencyMs: results.LatencyOf(h)}}
}

// With repeats, a side's p99 is that of its merged histograms, not the
// mean of its runs' p99s.
func TestCompareMergesHistograms(t *testing.T) {
	fast := make([]int64, 100)
	for i := range fast {
		fast[i] = 1000 // 1 ms
	}
	fast[99] = 100_000
	slow := make([]int64, 100)
	for i := range slow {
		slow[i] = 10_000 // 10 ms
	}
	base := []*results.Run{latencyRun(t, fast...), latencyRun(t, slow...)}
	v := Compare(base, base, Bounds{"p99": 10})
	// 200 values: 99 at 1 ms, 100 at 10 ms, 1 at 100 ms; the mean of
	// the two p99s would be 5.5 ms.
	if got := v.Rows[0].Base; got < 9.9 || got > 10.1 {
		t.Errorf("base p99 = %.2f ms, want the merged 10 ms", got)
	}
}

func TestCompareZeroBaseAndMissingSide(t *testing.T) {
	base := &results.Run{Summary: results.Summary{ProduceRateMsgs: 100, E2ELatencyMs: results.Latency{P99: 4, Count: 10}}}
	next := &results.Run{Summary: results.Summary{ProduceRateMsgs: 100, Errors: 3}}
	v := Compare([]*results.Run{base}, []*results.Run{next}, Bounds{"errors": 5, "e2e_p99": 10})
	var buf bytes.Buffer
	v.Write(&buf)
	out := buf.String()
	if strings.Contains(out, "inf") || !strings.Contains(out, "from 0 to 3") {
		t.Errorf("a change from a zero base reads:\n%s", out)
	}
	// e2e_p99 missing from the new run still shows the base's value.
	if !strings.Contains(out, "4 ms") {
		t.Errorf("the base's e2e p99 is not shown:\n%s", out)
	}
}

func TestCompareNamesMismatches(t *testing.T) {
	mk := func(size int, driver string) *results.Run {
		return &results.Run{Workload: []byte(fmt.Sprintf(`{"name":"w","messageSize":%d}`, size)), Driver: results.Driver{Name: driver},
			Summary: results.Summary{ProduceRateMsgs: 100}}
	}
	v := Compare([]*results.Run{mk(256, "franz")}, []*results.Run{mk(4096, "confluent")}, Bounds{"throughput": 5})
	want := []string{"driver franz vs confluent", "workload messageSize 256 vs 4096"}
	if fmt.Sprint(v.Mismatches) != fmt.Sprint(want) {
		t.Errorf("mismatches %q, want %q", v.Mismatches, want)
	}
	if v := Compare([]*results.Run{mk(256, "franz")}, []*results.Run{mk(256, "franz")}, Bounds{}); len(v.Mismatches) != 0 {
		t.Errorf("like sides reported as differing: %q", v.Mismatches)
	}
}
