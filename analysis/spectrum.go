package analysis

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/kbench/kbench/results"
)

// spectrumPoints is how many percentiles a spectrum line samples.
const spectrumPoints = 300

// nines maps percentile p (0-100) to the spectrum's X axis,
//
//	x = -log10(1 - p/100)
//
// so 90, 99, 99.9 and 99.99 are equally spaced (x = 1, 2, 3, 4) and the tail,
// where the interesting latency is, gets as much room as the median.
func nines(p float64) float64 { return -math.Log10(1 - p/100) }

// spectrum plots latency against percentile from each run's histogram of the
// measurement window. Runs without a histogram are left out; none having one
// is an error.
func spectrum(runs []*results.Run, e2e bool) (*figure, error) {
	title, what := "Publish latency by percentile", "a publish"
	if e2e {
		title, what = "End-to-end latency by percentile", "an end-to-end"
	}
	p := newPanel(title, "percentile (%)", "latency (ms)")
	fig := &figure{panels: []*plot.Plot{p}}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	labels := runLabels(runs)
	maxX, plotted := 0.0, 0
	for i, r := range runs {
		enc := r.Histograms.Publish
		if e2e {
			enc = r.Histograms.E2E
		}
		h, err := results.DecodeHist(enc)
		if err != nil {
			return nil, fmt.Errorf("run %s: %s histogram: %w", labels[i], what, err)
		}
		n := h.TotalCount()
		if n == 0 {
			continue
		}
		// Beyond 1 - 1/n the histogram has no more to say than its max.
		top := math.Min(math.Log10(float64(n)), 6)
		pts := make(plotter.XYs, 0, spectrumPoints+1)
		for j := 0; j <= spectrumPoints; j++ {
			x := top * float64(j) / spectrumPoints
			q := 100 * (1 - math.Pow(10, -x))
			pts = append(pts, plotter.XY{X: x, Y: positiveMs(h.ValueAtQuantile(q))})
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", labels[i], err)
		}
		line.LineStyle = seriesStyle(i)
		p.Add(line)
		fig.addLegend(labels[i], line)
		maxX = math.Max(maxX, top)
		plotted++
	}
	if plotted == 0 {
		return nil, fmt.Errorf("no run has %s latency histogram to plot", what)
	}
	p.X.Min, p.X.Max = 0, maxX
	p.X.Tick.Marker = ninesTicks(maxX)
	widenLogRange(p)
	return fig, nil
}

// ninesTicks labels the spectrum's X axis in percentiles up to maxX.
func ninesTicks(maxX float64) plot.ConstantTicks {
	ticks := plot.ConstantTicks{{Value: 0, Label: "0"}}
	for _, p := range []struct {
		pct   float64
		label string
	}{{50, "50"}, {90, "90"}, {99, "99"}, {99.9, "99.9"}, {99.99, "99.99"}, {99.999, "99.999"}, {99.9999, "99.9999"}} {
		if x := nines(p.pct); x <= maxX+1e-9 {
			ticks = append(ticks, plot.Tick{Value: x, Label: p.label})
		}
	}
	return ticks
}

// positiveMs converts microseconds to milliseconds, keeping a log axis away
// from zero.
func positiveMs(us int64) float64 {
	return math.Max(float64(us), 1) / 1000
}
