package analysis

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteCapacityChart draws plan in format "png" or "svg": a panel per
// group with the measured capacities, the chosen model's curve and its
// 95 % band, the target, and the answer; the legend in its own strip.
func WriteCapacityChart(w io.Writer, plan *CapacityPlan, format string) (err error) {
	defer func() { // gonum panics on ranges it cannot draw
		if p := recover(); p != nil {
			err = fmt.Errorf("capacity chart: cannot draw this plan: %v", p)
		}
	}()
	fig := &figure{}
	for i, g := range plan.Groups {
		p, err := capacityPanel(fig, g, plan.Question, i == 0)
		if err != nil {
			return err
		}
		fig.panels = append(fig.panels, p)
	}
	if len(fig.panels) == 0 {
		return fmt.Errorf("capacity chart: the plan has no groups")
	}
	return fig.write(w, format)
}

// capacityPanel draws one group; legend adds its entries to the figure's
// legend (the first panel's stand for all).
func capacityPanel(fig *figure, g *CapacityGroup, q CapacityQuestion, legend bool) (*plot.Plot, error) {
	title := "Capacity at p99 ≤ " + formatFloat(q.P99Ms) + " ms: " + g.Hardware + ", " + g.Tuning
	if g.Variant != "" {
		title += ", " + g.Variant
	}
	if g.SharedCores != "" {
		title += " (SHARED CORES: cannot show scaling)"
	}
	p := newPanel(title, "brokers", "throughput (MB/s)")
	xMax := 2.0
	for _, pt := range g.Points {
		xMax = math.Max(xMax, float64(pt.Brokers))
	}
	xMax = math.Max(xMax, float64(g.Answer.Brokers)) + 1
	if fit := g.Scaling.Chosen; fit != nil {
		var curve, low, high plotter.XYs
		for i := 0; i <= 200; i++ {
			n := 1 + (xMax-1)*float64(i)/200
			e := fit.Project(n)
			curve = append(curve, plotter.XY{X: n, Y: e.Value})
			low = append(low, plotter.XY{X: n, Y: e.Low})
			high = append(high, plotter.XY{X: n, Y: e.High})
		}
		line, err := plotter.NewLine(curve)
		if err != nil {
			return nil, err
		}
		line.LineStyle = draw.LineStyle{Color: seriesStyle(2).Color, Width: vg.Points(1.5)}
		band := seriesStyle(2)
		band.Width, band.Dashes = vg.Points(0.75), []vg.Length{vg.Points(3), vg.Points(3)}
		lo, err := plotter.NewLine(low)
		if err != nil {
			return nil, err
		}
		hi, err := plotter.NewLine(high)
		if err != nil {
			return nil, err
		}
		lo.LineStyle, hi.LineStyle = band, band
		p.Add(line, lo, hi)
		if legend {
			fig.addLegend(fmt.Sprintf("%s fit", g.Model), line)
			fig.addLegend("95% bootstrap band", lo)
		}
	}
	var measured plotter.XYs
	for _, pt := range g.Points {
		measured = append(measured, plotter.XY{X: float64(pt.Brokers), Y: pt.MBps})
	}
	if len(measured) > 0 {
		sc, err := plotter.NewScatter(measured)
		if err != nil {
			return nil, err
		}
		sc.Color, sc.Shape, sc.Radius = seriesStyle(1).Color, draw.CircleGlyph{}, vg.Points(4)
		p.Add(sc)
		if legend {
			fig.addLegend("measured capacity", sc)
		}
	}
	target, err := plotter.NewLine(plotter.XYs{{X: 1, Y: q.TargetMBps}, {X: xMax, Y: q.TargetMBps}})
	if err != nil {
		return nil, err
	}
	target.Color, target.Dashes = injectColor, []vg.Length{vg.Points(6), vg.Points(4)}
	p.Add(target)
	if legend {
		fig.addLegend(fmt.Sprintf("target %s MB/s", formatFloat(q.TargetMBps)), target)
	}
	if n := g.Answer.Brokers; n > 0 {
		mark, err := plotter.NewLine(plotter.XYs{{X: float64(n), Y: 0}, {X: float64(n), Y: math.Max(q.TargetMBps, g.Answer.Capacity.High) * 1.1}})
		if err != nil {
			return nil, err
		}
		mark.Color, mark.Width = recoverColor, vg.Points(1.5)
		p.Add(mark)
		if legend {
			fig.addLegend("answer (one broker down)", mark)
		}
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = xMax
	return p, nil
}
