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

// figure is one or more plots stacked vertically and sharing a width, and
// one legend for them all, drawn in a strip of its own below the plots so
// that it never covers data.
type figure struct {
	panels []*plot.Plot
	legend []legendEntry
}

// legendEntry is one line of a figure's legend.
type legendEntry struct {
	label  string
	thumbs []plot.Thumbnailer
}

// addLegend adds an entry to the figure's legend.
func (f *figure) addLegend(label string, thumbs ...plot.Thumbnailer) {
	f.legend = append(f.legend, legendEntry{label, thumbs})
}

// Legend layout: entries in columns, filled top to bottom, as many columns
// as the width holds.
const (
	legendPad    vg.Length = 6  // points above and below the entries
	legendColGap vg.Length = 16 // points between columns
	legendRowGap vg.Length = 2  // points between rows
)

// legendLayout is how a figure's legend is laid out: the style each column
// is drawn with, its columns and rows, and the size of the entries' block
// (width) and of the strip holding it (height).
type legendLayout struct {
	style         plot.Legend
	cols, rows    int
	colW, rowH    vg.Length
	width, height vg.Length
}

// legendLayout lays the legend out in a strip as wide as width.
func (f *figure) legendLayout(width vg.Length) legendLayout {
	l := legendLayout{style: plot.NewLegend()}
	if len(f.legend) == 0 {
		return l
	}
	l.style.Left, l.style.Top = true, true
	l.style.Padding = legendRowGap
	sty := l.style.TextStyle
	for _, e := range f.legend {
		r := sty.Rectangle(" " + e.label)
		l.colW = max(l.colW, l.style.ThumbnailWidth+r.Max.X+legendColGap)
		l.rowH = max(l.rowH, sty.Rectangle(e.label).Max.Y)
	}
	l.cols = max(1, min(len(f.legend), int((width-2*legendPad)/l.colW)))
	l.rows = (len(f.legend) + l.cols - 1) / l.cols
	l.width = vg.Length(l.cols) * l.colW
	l.height = 2*legendPad + vg.Length(l.rows)*(l.rowH+l.style.Padding) + sty.FontExtents().Descent
	return l
}

// layout splits c into a canvas per panel and, below them, the legend's
// strip; legend is the rectangle its entries take, centred in the strip.
func (f *figure) layout(c draw.Canvas) (panels []draw.Canvas, legend vg.Rectangle, l legendLayout) {
	l = f.legendLayout(c.Max.X - c.Min.X)
	area := c
	area.Min.Y += l.height
	if l.height > 0 {
		x0 := c.Min.X + (c.Max.X-c.Min.X-l.width)/2
		legend = vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y + legendPad}, Max: vg.Point{X: x0 + l.width, Y: area.Min.Y - legendPad}}
	}
	if len(f.panels) == 1 {
		return []draw.Canvas{area}, legend, l
	}
	rows := make([][]*plot.Plot, len(f.panels))
	for i, p := range f.panels {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadY: vg.Points(12), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	for _, row := range plot.Align(rows, tiles, area) {
		panels = append(panels, row[0])
	}
	return panels, legend, l
}

// draw draws the figure on c.
func (f *figure) draw(c draw.Canvas) {
	panels, legend, l := f.layout(c)
	for i, p := range f.panels {
		p.Draw(panels[i])
	}
	for col := 0; col < l.cols; col++ {
		lg := l.style
		for _, e := range f.legend[min(col*l.rows, len(f.legend)):min((col+1)*l.rows, len(f.legend))] {
			lg.Add(e.label, e.thumbs...)
		}
		x := legend.Min.X + vg.Length(col)*l.colW
		lg.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: legend.Min.Y}, Max: vg.Point{X: x + l.colW, Y: legend.Max.Y}}})
	}
}

// size is the figure's size: a panel's height per panel (less when
// stacked), and the legend's strip below.
func (f *figure) size() (width, height vg.Length) {
	width, height = panelWidth, panelHeight*vg.Length(len(f.panels))
	if len(f.panels) > 1 {
		height = panelHeight * 0.7 * vg.Length(len(f.panels))
	}
	return width, height + f.legendLayout(width).height
}

func (f *figure) write(w io.Writer, format string) error {
	width, height := f.size()
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
	f.draw(draw.New(c))
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	return nil
}

// newPanel returns a plot with a title, axis labels and grid lines; its
// series go in the figure's legend (figure.addLegend).
func newPanel(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
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
	// A range of less than a decade would carry one or two numbers (3 to
	// 4.5 ms none, 6 to 40 ms two): label every tick, or, with none, the
	// ends.
	if labelled < 3 {
		for i := range ticks {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 3, 64)
		}
		if len(ticks) < 2 {
			ticks = []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 3, 64)}, {Value: max, Label: strconv.FormatFloat(max, 'g', 3, 64)}}
		}
	}
	return ticks
}
