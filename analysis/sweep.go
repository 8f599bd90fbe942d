package analysis

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kbench/kbench/results"
)

// Param returns the value of a run's setting name, looking in order at:
// the resolved workload (a field such as "messageSize", or a dotted path
// such as "producer.linger.ms"), then any workload field whose path ends in
// "."+name (so "linger.ms" finds "producer.linger.ms"), then the client's
// producer and consumer properties, the topic configs and the broker
// properties, and last "target_rate" for the run's target rate.
func Param(run *results.Run, name string) (string, bool) {
	fields := flattenJSON(run.Workload)
	for _, kv := range fields {
		if kv[0] == name {
			return kv[1], true
		}
	}
	for _, kv := range fields {
		if strings.HasSuffix(kv[0], "."+name) {
			return kv[1], true
		}
	}
	for _, props := range []map[string]string{run.Client.Producer, run.Client.Consumer, run.Cluster.TopicConfig, run.Cluster.BrokerProps} {
		if v, ok := props[name]; ok {
			return v, true
		}
	}
	if name == "target_rate" {
		return formatFloat(run.Summary.TargetRate), true
	}
	return "", false
}

// series is the runs of one group (a driver or profile) of a sweep.
type series struct {
	label string
	runs  []*results.Run
}

// groups splits runs into series by driver and profiles, the things a sweep
// compares, in first-seen order. The series are named by whichever of the
// two differs (both if both do).
func groups(runs []*results.Run) []series {
	key := func(r *results.Run) [2]string { return [2]string{r.Driver.Name, strings.Join(r.Profiles, "+")} }
	driversDiffer, profilesDiffer := false, false
	for _, r := range runs {
		k, k0 := key(r), key(runs[0])
		driversDiffer = driversDiffer || k[0] != k0[0]
		profilesDiffer = profilesDiffer || k[1] != k0[1]
	}
	index := map[[2]string]int{}
	var out []series
	for _, r := range runs {
		k := key(r)
		i, ok := index[k]
		if !ok {
			var parts []string
			if driversDiffer || !profilesDiffer {
				parts = append(parts, k[0])
			}
			if profilesDiffer || !driversDiffer {
				parts = append(parts, k[1])
			}
			label := strings.TrimSpace(strings.Join(parts, " "))
			if label == "" {
				label = "runs"
			}
			i = len(out)
			index[k] = i
			out = append(out, series{label: label})
		}
		out[i].runs = append(out[i].runs, r)
	}
	return out
}

// sweep plots throughput and publish p99 against the value of param, one
// line per group. Numeric values are placed on a linear axis; anything else
// ("all", "lz4") on a nominal one in the order first seen. Repeated runs at
// one value are averaged.
func sweep(runs []*results.Run, param string) (*figure, error) {
	values := make([]string, len(runs))
	labels := runLabels(runs)
	numeric := true
	for i, r := range runs {
		v, ok := Param(r, param)
		if !ok {
			return nil, fmt.Errorf("run %s has no setting %q in its workload, client, topic or broker properties; name a field of the workload or a Kafka property", labels[i], param)
		}
		values[i] = v
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			numeric = false
		}
	}
	position := map[string]float64{}
	var nominal []string
	for _, v := range values {
		if _, ok := position[v]; ok {
			continue
		}
		if numeric {
			position[v], _ = strconv.ParseFloat(v, 64)
		} else {
			position[v] = float64(len(nominal))
			nominal = append(nominal, v)
		}
	}
	top := newPanel("Throughput and publish p99 by "+param, param, "throughput (msgs/s)")
	bottom := newPanel("", param, "publish p99 (ms)")
	valueOf := map[*results.Run]float64{}
	for i, r := range runs {
		valueOf[r] = position[values[i]]
	}
	for i, g := range groups(runs) {
		rate := meanBy(g.runs, func(r *results.Run) float64 { return valueOf[r] }, func(r *results.Run) float64 { return r.Summary.ProduceRateMsgs })
		p99 := p99By(g.runs, func(r *results.Run) float64 { return valueOf[r] })
		if err := addLinePoints(top, rate, i, g.label); err != nil {
			return nil, err
		}
		if err := addLinePoints(bottom, p99, i, ""); err != nil {
			return nil, err
		}
	}
	for _, p := range []*plot.Plot{top, bottom} {
		p.Y.Min = 0
		if !numeric {
			p.NominalX(nominal...)
			p.Add(gridLines()) // NominalX replaced the ticks the grid follows
		}
	}
	return &figure{panels: []*plot.Plot{top, bottom}}, nil
}

// latencyThroughput plots publish p99 (log scale) against achieved
// throughput, one line per group, points in order of throughput: the knee
// where latency climbs is the cluster's useful capacity.
func latencyThroughput(runs []*results.Run) (*figure, error) {
	p := newPanel("Publish p99 against throughput", "throughput (msgs/s acked)", "publish p99 (ms)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	for i, g := range groups(runs) {
		pts := p99By(g.runs, func(r *results.Run) float64 { return r.Summary.ProduceRateMsgs })
		for j := range pts {
			pts[j].Y = max(pts[j].Y, 0.001) // the log axis needs > 0
		}
		if err := addLinePoints(p, pts, i, g.label); err != nil {
			return nil, err
		}
	}
	widenLogRange(p)
	return &figure{panels: []*plot.Plot{p}}, nil
}

// p99By returns one point per distinct x: the publish p99 of the runs at
// that x, from their merged histograms (percentiles are never averaged);
// a run without a histogram contributes its summary p99 only when it is
// alone at its x.
func p99By(runs []*results.Run, x func(*results.Run) float64) plotter.XYs {
	at := map[float64][]*results.Run{}
	var xs []float64
	for _, r := range runs {
		xs = append(xs, x(r))
		at[x(r)] = append(at[x(r)], r)
	}
	xs = sortedFloats(xs)
	pts := make(plotter.XYs, len(xs))
	for i, v := range xs {
		pts[i] = plotter.XY{X: v, Y: mergedP99(at[v])}
	}
	return pts
}

func mergedP99(runs []*results.Run) float64 {
	if len(runs) == 1 {
		return runs[0].Summary.PublishLatencyMs.P99
	}
	enc := make([]string, len(runs))
	for i, r := range runs {
		enc[i] = r.Histograms.Publish
	}
	// A histogram that does not decode is left out, as a run without one.
	h, _ := results.MergedHist(enc...)
	return float64(h.ValueAtQuantile(99)) / 1000
}

// widenLogRange keeps a log axis drawable when every value is the same:
// gonum would pad the range by ±1, below zero for values under 1.
func widenLogRange(p *plot.Plot) {
	if p.Y.Min == p.Y.Max && p.Y.Min > 0 {
		p.Y.Min, p.Y.Max = p.Y.Min/2, p.Y.Max*2
	}
}

// meanBy returns one point per distinct x, the mean of y over the runs at
// that x, sorted by x.
func meanBy(runs []*results.Run, x, y func(*results.Run) float64) plotter.XYs {
	sum, n := map[float64]float64{}, map[float64]int{}
	var xs []float64
	for _, r := range runs {
		xs = append(xs, x(r))
		sum[x(r)] += y(r)
		n[x(r)]++
	}
	xs = sortedFloats(xs)
	pts := make(plotter.XYs, len(xs))
	for i, v := range xs {
		pts[i] = plotter.XY{X: v, Y: sum[v] / float64(n[v])}
	}
	return pts
}

func addLinePoints(p *plot.Plot, pts plotter.XYs, i int, label string) error {
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return fmt.Errorf("series %s: %w", label, err)
	}
	line.LineStyle = seriesStyle(i)
	scatter.Color = seriesStyle(i).Color
	scatter.Shape = draw.CircleGlyph{}
	p.Add(line, scatter)
	if label != "" {
		p.Legend.Add(label, line, scatter)
	}
	return nil
}

// sortedFloats returns the distinct values of v, sorted.
func sortedFloats(v []float64) []float64 {
	seen := map[float64]bool{}
	var out []float64
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Float64s(out)
	return out
}
