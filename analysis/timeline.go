package analysis

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kbench/kbench/results"
)

// timeline plots two stacked panels against time since measurement
// began, the time base of a workload's fault schedule (so at=4s is drawn
// at 4 s; warm-up is negative time, shaded grey): acknowledged messages
// per second of each interval, and the interval's publish p99. An interval
// shorter than half the run's longest (the last one, cut short when the
// run ends) is left out: a few acks over a few milliseconds are no rate.
// An interval with no acknowledgement has no p99: the p99 line breaks
// there, where a point at 0 would draw the worst moment of a failover as
// its best latency.
// Fault events are vertical lines (red for inject, green for recover)
// labelled on the top panel; each failover's disturbed window is shaded on
// both. Runs with telemetry get a third panel, the brokers' and kbench's
// resources (resourcesPanel).
func timeline(runs []*results.Run) (*figure, error) {
	top := newPanel("Throughput and publish p99 over time", "time since measurement began (s)", "throughput (msgs/s acked)")
	bottom := newPanel("", "time since measurement began (s)", "publish p99 (ms)")
	fig := &figure{panels: []*plot.Plot{top, bottom}}
	labels := runLabels(runs)
	var rate []plotter.XYs
	var p99 [][]plotter.XYs
	maxRate, maxP99 := 0.0, 0.0
	minT, maxT := math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		rs, ps, from, to := timelineSeries(r)
		for _, xy := range rs {
			maxRate = math.Max(maxRate, xy.Y)
		}
		for _, seg := range ps {
			for _, xy := range seg {
				maxP99 = math.Max(maxP99, xy.Y)
			}
		}
		minT, maxT = math.Min(minT, from), math.Max(maxT, to)
		rate, p99 = append(rate, rs), append(p99, ps)
	}
	if math.IsInf(maxT, 0) {
		return nil, fmt.Errorf("no run has intervals to draw a timeline from")
	}
	// Headroom above the highest point for the fault labels.
	maxRate, maxP99 = nonZero(maxRate)*1.15, nonZero(maxP99)*1.15

	// Shading first, so the lines are drawn over it.
	shade := func(from, to float64, c color.Color, legend string) error {
		for _, pl := range []struct {
			p    *plot.Plot
			ymax float64
		}{{top, maxRate}, {bottom, maxP99}} {
			poly, err := plotter.NewPolygon(plotter.XYs{{X: from, Y: 0}, {X: to, Y: 0}, {X: to, Y: pl.ymax}, {X: from, Y: pl.ymax}})
			if err != nil {
				return err
			}
			poly.Color = c
			poly.LineStyle = draw.LineStyle{}
			pl.p.Add(poly)
			if legend != "" && pl.p == top {
				fig.addLegend(legend, poly)
				legend = ""
			}
		}
		return nil
	}
	if minT < 0 {
		if err := shade(minT, 0, warmupColor, "warm-up"); err != nil {
			return nil, err
		}
	}
	window := "failover window"
	for _, r := range runs {
		t0 := measureOffset(r)
		for _, f := range r.Failover {
			if f.WindowEnd <= f.WindowStart {
				continue
			}
			if err := shade(f.WindowStart-t0, f.WindowEnd-t0, windowColor, window); err != nil {
				return nil, err
			}
			window = "" // one entry for them all
		}
	}
	for i := range runs {
		if len(rate[i]) > 0 {
			line, err := plotter.NewLine(rate[i])
			if err != nil {
				return nil, fmt.Errorf("run %s: %w", labels[i], err)
			}
			line.LineStyle = seriesStyle(i)
			top.Add(line)
			fig.addLegend(labels[i], line)
		}
		for _, seg := range p99[i] {
			if len(seg) == 1 {
				// A lone point between gaps has no line to show it.
				dot, err := plotter.NewScatter(seg)
				if err != nil {
					return nil, fmt.Errorf("run %s: %w", labels[i], err)
				}
				dot.GlyphStyle = draw.GlyphStyle{Color: seriesStyle(i).Color, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
				bottom.Add(dot)
				continue
			}
			line, err := plotter.NewLine(seg)
			if err != nil {
				return nil, fmt.Errorf("run %s: %w", labels[i], err)
			}
			line.LineStyle = seriesStyle(i)
			bottom.Add(line)
		}
	}
	if err := markFaults(runs, top, maxRate, true); err != nil {
		return nil, err
	}
	if err := markFaults(runs, bottom, maxP99, false); err != nil {
		return nil, err
	}
	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Min, p.X.Max = math.Min(minT, 0), maxT
		p.Y.Min = 0
	}
	top.Y.Max, bottom.Y.Max = maxRate, maxP99
	res, err := resourcesPanel(runs, fig)
	if err != nil {
		return nil, err
	}
	if res != nil {
		res.X.Min, res.X.Max = math.Min(minT, 0), maxT
		fig.panels = append(fig.panels, res)
	}
	return fig, nil
}

// markFaults draws a vertical line at each distinct fault event of the runs,
// with its label near the top when withLabels.
func markFaults(runs []*results.Run, p *plot.Plot, ymax float64, withLabels bool) error {
	type mark struct {
		at      float64
		label   string
		recover bool
	}
	seen := map[mark]bool{}
	var marks []mark
	for _, r := range runs {
		for _, f := range r.Faults {
			m := mark{f.At - measureOffset(r), faultMark(f), f.Phase == results.PhaseRecover}
			if !seen[m] {
				seen[m] = true
				marks = append(marks, m)
			}
		}
	}
	var lbls plotter.XYLabels
	for i, m := range marks {
		line, err := plotter.NewLine(plotter.XYs{{X: m.at, Y: 0}, {X: m.at, Y: ymax}})
		if err != nil {
			return err
		}
		line.Color = injectColor
		if m.recover {
			line.Color = recoverColor
		}
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(line)
		// Stagger labels over three heights so neighbours do not overlap.
		lbls.XYs = append(lbls.XYs, plotter.XY{X: m.at, Y: ymax * (1 - 0.07*float64(i%3))})
		lbls.Labels = append(lbls.Labels, m.label)
	}
	if !withLabels || len(marks) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(lbls)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XLeft
		l.TextStyle[i].YAlign = draw.YTop
	}
	l.Offset = vg.Point{X: vg.Points(3), Y: -vg.Points(2)}
	p.Add(l)
	return nil
}

// faultMark is a fault's label on a timeline: "kill broker 2" when it is
// injected, "recover broker 2" when it is undone.
func faultMark(f results.Fault) string {
	if f.Phase == results.PhaseRecover {
		return fmt.Sprintf("recover broker %d", f.Broker)
	}
	return fmt.Sprintf("%s broker %d", f.Action, f.Broker)
}

// measureOffset is when measurement began, in seconds from the run's
// start: the end of its last warm-up interval.
func measureOffset(r *results.Run) float64 {
	t := 0.0
	for _, iv := range r.Intervals {
		if iv.Warmup {
			t = math.Max(t, iv.End)
		}
	}
	return t
}

func nonZero(v float64) float64 {
	if v <= 0 {
		return 1
	}
	return v
}

// timelineSeries returns a run's acknowledged rate per interval and its
// publish p99 per interval, the p99 in segments broken at intervals with
// no acknowledgement, both at the intervals' midpoints, and the span the
// drawn intervals cover, all in time since measurement began. Intervals
// shorter than half the longest are left out.
func timelineSeries(r *results.Run) (rate plotter.XYs, p99 []plotter.XYs, from, to float64) {
	from, to = math.Inf(1), math.Inf(-1)
	full := 0.0
	for _, iv := range r.Intervals {
		full = math.Max(full, iv.End-iv.Start)
	}
	t0 := measureOffset(r)
	var seg plotter.XYs
	for _, iv := range r.Intervals {
		d := iv.End - iv.Start
		if d <= 0 || d < full/2 {
			continue
		}
		mid := (iv.Start+iv.End)/2 - t0
		rate = append(rate, plotter.XY{X: mid, Y: float64(iv.Acked) / d})
		from, to = math.Min(from, iv.Start-t0), math.Max(to, iv.End-t0)
		if iv.Acked == 0 {
			if len(seg) > 0 {
				p99, seg = append(p99, seg), nil
			}
			continue
		}
		seg = append(seg, plotter.XY{X: mid, Y: iv.PublishP99Ms})
	}
	if len(seg) > 0 {
		p99 = append(p99, seg)
	}
	return rate, p99, from, to
}
