package analysis

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/kbench/kbench/results"
)

// The last interval, cut short when the run ended, is no rate: 63 acks
// in 6.6 ms would draw a spike to 9,500 msgs/s. Warm-up is negative time,
// so a fault scheduled at=4s (6 s after a 2 s warm-up began) is drawn at 4.
func TestTimelineTimeBaseAndPartialInterval(t *testing.T) {
	r := &results.Run{
		Intervals: []results.Interval{
			{Start: 0, End: 1, Warmup: true, Acked: 1000},
			{Start: 1, End: 2, Warmup: true, Acked: 1000},
			{Start: 2, End: 3, Acked: 1000},
			{Start: 3, End: 4, Acked: 1000},
			{Start: 4, End: 4.0066, Acked: 63},
		},
		Faults: []results.Fault{{At: 6, Action: "kill", Broker: 1}},
	}
	fig, err := timeline([]*results.Run{r})
	if err != nil {
		t.Fatal(err)
	}
	top := fig.panels[0]
	if top.Y.Max > 1000*1.15+1 {
		t.Errorf("y axis reaches %.0f msgs/s: the partial interval was drawn", top.Y.Max)
	}
	if top.X.Min != -2 {
		t.Errorf("x axis starts at %g, want -2 (two seconds of warm-up before measurement)", top.X.Min)
	}
	if got := measureOffset(r); got != 2 {
		t.Errorf("measureOffset = %g, want 2", got)
	}
}

// An interval with no acknowledgement (a failover's worst second) has no
// p99: the line breaks there rather than dropping to 0 ms, and a lone
// interval between two such gaps is still drawn.
func TestTimelineP99BreaksWhereNothingWasAcked(t *testing.T) {
	r := &results.Run{Intervals: []results.Interval{
		{Start: 0, End: 1, Acked: 1000, PublishP99Ms: 5},
		{Start: 1, End: 2, Acked: 1000, PublishP99Ms: 6},
		{Start: 2, End: 3, Acked: 0},
		{Start: 3, End: 4, Acked: 10, PublishP99Ms: 900},
		{Start: 4, End: 5, Acked: 0},
		{Start: 5, End: 6, Acked: 1000, PublishP99Ms: 7},
	}}
	rate, p99, from, to := timelineSeries(r)
	if len(rate) != 6 || rate[2].Y != 0 {
		t.Errorf("rate %v: want all 6 intervals, 0 msgs/s in the third", rate)
	}
	want := fmt.Sprint([]plotter.XYs{{{X: 0.5, Y: 5}, {X: 1.5, Y: 6}}, {{X: 3.5, Y: 900}}, {{X: 5.5, Y: 7}}})
	if got := fmt.Sprint(p99); got != want {
		t.Errorf("p99 segments %s, want %s", got, want)
	}
	if from != 0 || to != 6 {
		t.Errorf("span %g-%g, want 0-6", from, to)
	}
	if _, err := timeline([]*results.Run{r}); err != nil {
		t.Fatal(err)
	}
}

// A log axis inside one stretch between 1, 2 and 5 still has numbers.
func TestLogTicksLabelNarrowRange(t *testing.T) {
	labelled := 0
	for _, tk := range (logTicks{}).Ticks(3, 4.5) {
		if tk.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		t.Errorf("%d labelled ticks between 3 and 4.5", labelled)
	}
}

// A sweep varying acks and messageSize draws one acks line per size,
// never an average of 256 B and 4 KiB runs.
func TestSweepSeriesPerOtherVariedValue(t *testing.T) {
	mk := func(acks string, size int, rate float64) *results.Run {
		return &results.Run{Driver: results.Driver{Name: "franz"},
			Workload: []byte(fmt.Sprintf(`{"name":"w","messageSize":%d,"producer":{"acks":%q}}`, size, acks)),
			Summary:  results.Summary{ProduceRateMsgs: rate, ProduceRateMiB: rate * float64(size) / (1 << 20)}}
	}
	runs := []*results.Run{mk("0", 256, 100), mk("1", 256, 90), mk("0", 4096, 10), mk("1", 4096, 9)}
	acks := func(r *results.Run) string { v, _ := Param(r, "acks"); return v }
	var labels []string
	for _, g := range groups(runs, acks) {
		labels = append(labels, fmt.Sprintf("%s:%d", g.label, len(g.runs)))
	}
	if want := []string{"messageSize=256:2", "messageSize=4096:2"}; fmt.Sprint(labels) != fmt.Sprint(want) {
		t.Errorf("series %v, want %v", labels, want)
	}
	fig, err := sweep(runs, "acks")
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.panels) != 3 || fig.panels[1].Y.Label.Text != "throughput (MiB/s)" {
		t.Errorf("the sweep chart has no MiB/s panel")
	}
}

// A rate search's p99 bound is drawn on the latency-throughput chart.
func TestLatencyThroughputBound(t *testing.T) {
	var b bytes.Buffer
	if err := WritePlot(&b, KindLatencyThroughput, sweepRuns(t), "svg", P99Bound(50)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "p99 bound 50 ms") {
		t.Error("no bound line in the legend")
	}
}

// The summary shows the consume rate and the consumers' largest lag, and
// "unverified" when consumers verified none of the acknowledged messages.
func TestSummaryConsumersAndUnverified(t *testing.T) {
	r := &results.Run{Name: "r", Complete: true, Shape: results.Shape{SubscriptionsPerTopic: 1},
		Intervals: []results.Interval{
			{Start: 0, End: 1, Acked: 100, Consumed: 100},
			{Start: 1, End: 2, Acked: 100, Consumed: 20}, // 80 behind
			{Start: 2, End: 3, Acked: 100, Consumed: 50}, // 130 behind
		},
		Summary: results.Summary{ProduceRateMsgs: 100, ConsumeRateMsgs: 57, ProducedMessages: 300},
		Verify:  &results.Verify{Acked: 300, Unverified: 300},
	}
	var b bytes.Buffer
	Summarize(&b, r)
	for _, want := range []string{"consumed/s", "max lag", " 57 ", " 130 ", "unverified"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "0/0/0") {
		t.Errorf("summary claims a check that never happened:\n%s", b.String())
	}
}

// Every chart's legend sits in its own strip below the plots, where it
// cannot cover data: laid out as figure.draw lays it out, its rectangle
// meets no panel's data area, and lies inside the image.
func TestLegendsCoverNoData(t *testing.T) {
	many := load(t, "base-1", "base-2", "base-3", "noisy-1", "noisy-2", "noisy-3", "ok-1", "ok-2", "ok-3", "slow-1", "slow-2", "slow-3")
	cases := []struct {
		kind string
		runs []*results.Run
		opts []Option
	}{
		{KindSpectrum, load(t, "base-1", "slow-1"), nil},
		{KindSpectrum, many, nil}, // rows and columns of entries
		{KindE2ESpectrum, load(t, "base-1"), nil},
		{KindTimeline, load(t, "failover"), nil},
		{KindTimeline, []*results.Run{withTelemetry(load(t, "failover")[0])}, nil}, // with the resources panel
		{KindSweep + ":rate", sweepRuns(t), nil},
		{KindLatencyThroughput, sweepRuns(t), []Option{P99Bound(50)}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%d runs", c.kind, len(c.runs)), func(t *testing.T) {
			var o options
			for _, opt := range c.opts {
				opt(&o)
			}
			fig, err := newFigure(c.kind, c.runs, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(fig.legend) == 0 {
				t.Fatal("the chart has no legend")
			}
			w, h := fig.size()
			var rec recorder.Canvas
			img := draw.NewCanvas(&rec, w, h)
			panels, legend, _ := fig.layout(img)
			if !inside(legend, img.Rectangle) || legend.Max.X <= legend.Min.X || legend.Max.Y <= legend.Min.Y {
				t.Errorf("legend %v is empty or outside the image %v", legend, img.Rectangle)
			}
			var data []vg.Rectangle
			for i, p := range fig.panels {
				data = append(data, p.DataCanvas(panels[i]).Rectangle)
				if overlaps(legend, data[i]) {
					t.Errorf("legend %v covers panel %d's data area %v", legend, i, data[i])
				}
			}
			// Drawn, each entry's text is in the legend's rectangle.
			fig.draw(img)
			drawn := map[string]bool{}
			for _, a := range rec.Actions {
				if fs, ok := a.(*recorder.FillString); ok && inside(vg.Rectangle{Min: fs.Point, Max: fs.Point}, legend) {
					drawn[fs.String] = true
				}
			}
			for _, e := range fig.legend {
				if !drawn[e.label] {
					t.Errorf("legend entry %q is not drawn inside the legend's rectangle %v", e.label, legend)
				}
			}
		})
	}
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

func inside(a, b vg.Rectangle) bool {
	return a.Min.X >= b.Min.X && a.Max.X <= b.Max.X && a.Min.Y >= b.Min.Y && a.Max.Y <= b.Max.Y
}

// A log axis over less than a decade gets more than two numbers.
func TestLogTicksEnoughLabels(t *testing.T) {
	for _, r := range [][2]float64{{6, 40}, {60, 400}, {1.5, 9}} {
		labelled := 0
		for _, tk := range (logTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" {
				labelled++
			}
		}
		if labelled < 3 {
			t.Errorf("%d labelled ticks between %g and %g", labelled, r[0], r[1])
		}
	}
}

// A field kbench derives from the varied one (maxInFlight from
// messageSize) does not take its place in legends.
func TestLegendNamesVariedNotDerived(t *testing.T) {
	mk := func(acks string, size, inFlight int) *results.Run {
		return &results.Run{Driver: results.Driver{Name: "franz"},
			Workload: []byte(fmt.Sprintf(`{"name":"w","messageSize":%d,"maxInFlight":%d,"producer":{"acks":%q}}`, size, inFlight, acks))}
	}
	runs := []*results.Run{mk("0", 256, 4000), mk("1", 256, 4000), mk("0", 4096, 250), mk("1", 4096, 250)}
	acks := func(r *results.Run) string { v, _ := Param(r, "acks"); return v }
	var labels []string
	for _, g := range groups(runs, acks) {
		labels = append(labels, g.label)
	}
	if want := []string{"messageSize=256", "messageSize=4096"}; fmt.Sprint(labels) != fmt.Sprint(want) {
		t.Errorf("series %v, want %v", labels, want)
	}
	if got := fmt.Sprint(runLabels(runs[1:3])); !strings.Contains(got, "messageSize") || strings.Contains(got, "maxInFlight") {
		t.Errorf("labels %s: want messageSize, not maxInFlight", got)
	}
}
