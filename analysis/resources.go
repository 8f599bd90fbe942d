package analysis

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kbench/kbench/results"
)

// busyLine is the utilisation at which a resource counts as the limit
// (NameLimit's 20% idle), drawn across the resources panel.
const busyLine = 1 - idleLow

// resourceSeries are the utilisations (0..1) the resources panel draws:
// kbench's CPU over the machine's cores, and, each interval, the busiest
// broker's CPU (over its machine's cores), request handlers (1 - idle)
// and network threads.
var resourceSeries = []struct {
	name  string
	value func(r *results.Run, iv results.BrokerInterval) (float64, bool)
}{
	{"busiest broker CPU", func(r *results.Run, iv results.BrokerInterval) (float64, bool) {
		cores, ok := iv.Values[results.CPUCores]
		n := float64(r.Host.CPUs)
		if hc, known := iv.Values[results.HostCPUs]; known {
			n = hc
		} else if !r.Telemetry.SharedCores {
			return 0, false // an external broker's cores are unknown
		}
		return cores / n, ok && n > 0
	}},
	{"busiest request handlers", func(_ *results.Run, iv results.BrokerInterval) (float64, bool) {
		idle, ok := iv.Values[results.RequestHandlerIdle]
		return 1 - idle, ok
	}},
	{"busiest network threads", func(_ *results.Run, iv results.BrokerInterval) (float64, bool) {
		idle, ok := iv.Values[results.NetworkProcessorIdle]
		return 1 - idle, ok
	}},
}

// resourcesPanel plots, against the timeline's time base, the runs'
// resource utilisations (resourceSeries, kbench's own CPU and its
// machine's, every process's, over its cores), with the
// line at which NameLimit calls one the limit; nil when no run has
// telemetry. Each series has its colour; runs differ by dashes.
func resourcesPanel(runs []*results.Run, fig *figure) (*plot.Plot, error) {
	p := newPanel("", "time since measurement began (s)", "utilisation (busiest broker)")
	drawn := false
	for i, r := range runs {
		if r.Telemetry == nil {
			continue
		}
		t0 := measureOffset(r)
		style := func(k int) draw.LineStyle {
			return draw.LineStyle{Color: plotutil.Color(k + 1), Width: vg.Points(1.2), Dashes: plotutil.Dashes(i)}
		}
		var client, machine plotter.XYs
		for _, c := range r.Telemetry.Client {
			if r.Host.CPUs > 0 && c.End > c.Start {
				mid, n := (c.Start+c.End)/2-t0, float64(r.Host.CPUs)
				client = append(client, plotter.XY{X: mid, Y: c.CPUCores / n})
				if c.HostCPUCores != nil {
					machine = append(machine, plotter.XY{X: mid, Y: *c.HostCPUCores / n})
				}
			}
		}
		lines := []plotter.XYs{client, machine}
		for _, s := range resourceSeries {
			lines = append(lines, busiest(r, t0, s.value))
		}
		names := []string{"kbench CPU", "kbench's machine CPU"}
		for _, s := range resourceSeries {
			names = append(names, s.name)
		}
		for k, xy := range lines {
			if len(xy) == 0 {
				continue
			}
			line, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("resources of run %d: %w", i, err)
			}
			line.LineStyle = style(k)
			p.Add(line)
			if i == firstWithTelemetry(runs) {
				fig.addLegend(names[k], line)
			}
			drawn = true
		}
	}
	if !drawn {
		return nil, nil
	}
	limit, err := plotter.NewLine(plotter.XYs{{X: -1e9, Y: busyLine}, {X: 1e9, Y: busyLine}})
	if err != nil {
		return nil, err
	}
	limit.LineStyle = draw.LineStyle{Color: injectColor, Width: vg.Points(0.5), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
	p.Add(limit)
	p.Y.Min, p.Y.Max = 0, 1.05
	return p, nil
}

func firstWithTelemetry(runs []*results.Run) int {
	for i, r := range runs {
		if r.Telemetry != nil {
			return i
		}
	}
	return -1
}

// busiest returns, per interval of r's broker timeline, the highest value
// over brokers, at the interval's midpoint less t0.
func busiest(r *results.Run, t0 float64, value func(*results.Run, results.BrokerInterval) (float64, bool)) plotter.XYs {
	most := map[float64]float64{}
	for _, iv := range r.Telemetry.Brokers {
		if v, ok := value(r, iv); ok && iv.End > iv.Start {
			mid := (iv.Start+iv.End)/2 - t0
			if old, seen := most[mid]; !seen || v > old {
				most[mid] = math.Max(v, 0)
			}
		}
	}
	xy := make(plotter.XYs, 0, len(most))
	for x, y := range most {
		xy = append(xy, plotter.XY{X: x, Y: y})
	}
	sort.Slice(xy, func(i, j int) bool { return xy[i].X < xy[j].X })
	return xy
}
