package analysis

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/kbench/kbench/results"
)

// Plot kinds for Plot and WritePlot. A sweep names its parameter after a
// colon: "sweep:messageSize", "sweep:linger.ms".
const (
	// KindSpectrum is publish latency against percentile, one line per run.
	KindSpectrum = "spectrum"
	// KindE2ESpectrum is end-to-end latency against percentile.
	KindE2ESpectrum = "e2e-spectrum"
	// KindTimeline is throughput and publish p99 per interval against time,
	// with fault events and failover windows marked.
	KindTimeline = "timeline"
	// KindSweep is throughput and p99 against a varied parameter, one line
	// per driver or profile.
	KindSweep = "sweep"
	// KindLatencyThroughput is p99 against achieved throughput, from a rate
	// sweep.
	KindLatencyThroughput = "latency-throughput"
)

// plotKinds lists the plot kinds, for errors.
var plotKinds = []string{KindSpectrum, KindE2ESpectrum, KindTimeline, KindSweep + ":<parameter>", KindLatencyThroughput}

// PNG resolution, and the size of a one-panel figure; figures of stacked
// panels grow in height.
const (
	pngDPI      = 96
	panelWidth  = 10 * vg.Inch
	panelHeight = 5 * vg.Inch
)

// Option adjusts a chart.
type Option func(*options)

type options struct {
	p99BoundMs float64
}

// P99Bound sets the publish p99 bound of a rate search (ms), drawn as a
// horizontal line on the latency-throughput chart.
func P99Bound(ms float64) Option { return func(o *options) { o.p99BoundMs = ms } }

// WritePlot draws a chart of kind from runs to w in format "png" or "svg".
func WritePlot(w io.Writer, kind string, runs []*results.Run, format string, opts ...Option) (err error) {
	// gonum panics on ranges it cannot draw; such data is reported, not
	// allowed to crash a report of otherwise good results.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("plot %s: cannot draw these results: %v", kind, p)
		}
	}()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	fig, err := newFigure(kind, runs, o)
	if err != nil {
		return err
	}
	return fig.write(w, format)
}

func newFigure(kind string, runs []*results.Run, o options) (*figure, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("plot %s: no runs to plot", kind)
	}
	name, param, _ := strings.Cut(kind, ":")
	switch name {
	case KindSpectrum:
		return spectrum(runs, false)
	case KindE2ESpectrum:
		return spectrum(runs, true)
	case KindTimeline:
		return timeline(runs)
	case KindSweep:
		if param == "" {
			return nil, fmt.Errorf(`plot kind %q needs its parameter: "sweep:messageSize", "sweep:linger.ms"`, kind)
		}
		return sweep(runs, param)
	case KindLatencyThroughput:
		return latencyThroughput(runs, o.p99BoundMs)
	}
	return nil, fmt.Errorf("unknown plot kind %q; use %s", kind, strings.Join(plotKinds, ", "))
}

// figure is one or more plots stacked vertically and sharing a width.
type figure struct {
	panels []*plot.Plot
}

func (f *figure) write(w io.Writer, format string) error {
	width, height := panelWidth, panelHeight*vg.Length(len(f.panels))
	if len(f.panels) > 1 {
		height = panelHeight * 0.7 * vg.Length(len(f.panels))
	}
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case "svg":
		c = vgsvg.New(width, height)
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(pngDPI))}
	default:
		return fmt.Errorf("unknown image format %q; use png or svg (the output file's extension picks it)", format)
	}
	dc := draw.New(c)
	if len(f.panels) == 1 {
		f.panels[0].Draw(dc)
	} else {
		rows := make([][]*plot.Plot, len(f.panels))
		for i, p := range f.panels {
			rows[i] = []*plot.Plot{p}
		}
		tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadY: vg.Points(12), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
		canvases := plot.Align(rows, tiles, dc)
		for i := range rows {
			rows[i][0].Draw(canvases[i][0])
		}
	}
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	return nil
}

// newPanel returns a plot with a title, axis labels and a legend at the top
// left, where latency and throughput curves rarely are.
func newPanel(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(gridLines())
	return p
}

// seriesStyle gives series i its colour and dash pattern, so lines stay
// apart in print and for colour-blind readers.
func seriesStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(1.5), Dashes: plotutil.Dashes(i)}
}

var (
	injectColor  = color.RGBA{R: 200, G: 30, B: 30, A: 255}
	recoverColor = color.RGBA{R: 30, G: 140, B: 60, A: 255}
	windowColor  = color.NRGBA{R: 255, G: 170, B: 60, A: 70}
	warmupColor  = color.NRGBA{R: 128, G: 128, B: 128, A: 40}
	gridColor    = color.Gray{Y: 225}
)

func gridLines() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = gridColor
	g.Horizontal.Color = gridColor
	return g
}

// logTicks marks a log axis at 1, 2 and 5 times each power of ten with
// labels and at the other multiples without, so an axis spanning less than a
// decade still has numbers on it.
type logTicks struct{}

var _ plot.Ticker = logTicks{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); math.Pow(10, e) <= max; e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ticks = append(ticks, t)
		}
	}
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	// A range inside one stretch between 1, 2 and 5 (3 to 4.5 ms) would
	// carry no number: label every tick, or, with none, the ends.
	if labelled < 2 {
		for i := range ticks {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 3, 64)
		}
		if len(ticks) < 2 {
			ticks = []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 3, 64)}, {Value: max, Label: strconv.FormatFloat(max, 'g', 3, 64)}}
		}
	}
	return ticks
}
