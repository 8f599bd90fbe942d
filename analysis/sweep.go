package analysis

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
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
	switch name {
	case "target_rate":
		return formatFloat(run.Summary.TargetRate), true
	case results.NodesParam: // the cluster's size, not a workload field
		if n := len(run.Cluster.Nodes); n > 0 {
			return strconv.Itoa(n), true
		}
	}
	return "", false
}

// series is the runs of one group (a driver or profile) of a sweep.
type series struct {
	label string
	runs  []*results.Run
}

// groups splits runs into series by what a sweep compares besides the x
// axis, in first-seen order: driver, profiles, and every other varied
// workload setting (one series per value of each), so runs of 256 B and
// 4 KiB are never averaged into one point. A setting is another varied
// one when two runs at the same x differ in it; one that changes only
// with x (the rate field behind a target_rate axis) is not. The series
// are named by whatever differs.
func groups(runs []*results.Run, x func(*results.Run) string) []series {
	key := func(r *results.Run) []string { return []string{r.Driver.Name, strings.Join(r.Profiles, "+")} }
	others := otherVaried(runs, x)
	fields := make([]map[string]string, len(runs))
	for i, r := range runs {
		fields[i] = map[string]string{}
		for _, kv := range flattenJSON(r.Workload) {
			fields[i][kv[0]] = kv[1]
		}
	}
	driversDiffer, profilesDiffer := false, false
	for _, r := range runs {
		k, k0 := key(r), key(runs[0])
		driversDiffer = driversDiffer || k[0] != k0[0]
		profilesDiffer = profilesDiffer || k[1] != k0[1]
	}
	index := map[string]int{}
	var out []series
	for i, r := range runs {
		k := key(r)
		var parts []string
		if driversDiffer || !profilesDiffer && len(others) == 0 {
			parts = append(parts, k[0])
		}
		if profilesDiffer || !driversDiffer && len(others) == 0 {
			parts = append(parts, k[1])
		}
		for _, o := range others {
			parts = append(parts, o+"="+fields[i][o])
		}
		label := strings.TrimSpace(strings.Join(parts, " "))
		if label == "" {
			label = "runs"
		}
		id := strings.Join(append(k, parts...), "\x00")
		j, ok := index[id]
		if !ok {
			j = len(out)
			index[id] = j
			out = append(out, series{label: label})
		}
		out[j].runs = append(out[j].runs, r)
	}
	return out
}

// otherVaried lists the workload settings that differ between runs at
// the same x, sorted.
func otherVaried(runs []*results.Run, x func(*results.Run) string) []string {
	first := map[string]map[string]string{} // x -> setting -> value
	varied := map[string]bool{}
	for _, r := range runs {
		at := x(r)
		if first[at] == nil {
			first[at] = map[string]string{}
			for _, kv := range flattenJSON(r.Workload) {
				first[at][kv[0]] = kv[1]
			}
			continue
		}
		seen := map[string]bool{}
		for _, kv := range flattenJSON(r.Workload) {
			seen[kv[0]] = true
			if v, ok := first[at][kv[0]]; !ok || v != kv[1] {
				varied[kv[0]] = true
			}
		}
		for k := range first[at] {
			if !seen[k] {
				varied[k] = true
			}
		}
	}
	delete(varied, "name")
	// A derived field that varies exactly with another says nothing more.
	for d := range derived {
		if !varied[d] {
			continue
		}
		for k := range varied {
			if !derived[k] && samePartition([][]string{fieldValues(runs, k)}, fieldValues(runs, d)) {
				delete(varied, d)
				break
			}
		}
	}
	return sortedKeys(varied)
}

// derived are the workload fields kbench sets from others when they are
// not given (maxInFlight from maxInFlightBytes and the message size, the
// payload pool from the size): a legend names what was varied instead.
var derived = map[string]bool{"maxInFlight": true, "randomizedPayloadPoolSize": true}

// fieldValues returns the workload field key of each run.
func fieldValues(runs []*results.Run, key string) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		for _, kv := range flattenJSON(r.Workload) {
			if kv[0] == key {
				out[i] = kv[1]
			}
		}
	}
	return out
}

// sweep plots throughput and publish p99 against the value of param, one
// line per group. Numeric values are placed on a linear axis; anything else
// ("all", "lz4") on a nominal one in the order first seen. Repeated runs at
// one value are averaged (their p99 read from merged histograms). A panel
// shows the throughput in MiB/s, which differs from msgs/s across sizes.
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
	mib := newPanel("", param, "throughput (MiB/s)")
	bottom := newPanel("", param, "publish p99 (ms)")
	fig := &figure{panels: []*plot.Plot{top, mib, bottom}}
	valueOf := map[*results.Run]float64{}
	textOf := map[*results.Run]string{}
	for i, r := range runs {
		valueOf[r], textOf[r] = position[values[i]], values[i]
	}
	x := func(r *results.Run) float64 { return valueOf[r] }
	gs := groups(runs, func(r *results.Run) string { return textOf[r] })
	for i, g := range gs {
		rate := meanBy(g.runs, x, func(r *results.Run) float64 { return r.Summary.ProduceRateMsgs })
		rateMiB := meanBy(g.runs, x, func(r *results.Run) float64 { return r.Summary.ProduceRateMiB })
		line, err := addLinePoints(top, rate, i, g.label)
		if err != nil {
			return nil, err
		}
		fig.addLegend(g.label, line...)
		if _, err := addLinePoints(mib, rateMiB, i, g.label); err != nil {
			return nil, err
		}
		if _, err := addLinePoints(bottom, p99By(g.runs, x), i, g.label); err != nil {
			return nil, err
		}
	}
	for _, p := range fig.panels {
		p.Y.Min = 0
		if !numeric {
			p.NominalX(nominal...)
			p.Add(gridLines()) // NominalX replaced the ticks the grid follows
		}
	}
	return fig, nil
}

// latencyThroughput plots publish p99 (log scale) against achieved
// throughput, one line per group, points in order of throughput: the knee
// where latency climbs is the cluster's useful capacity. boundMs, above 0,
// is drawn as a dashed horizontal line: a rate search's p99 bound.
func latencyThroughput(runs []*results.Run, boundMs float64) (*figure, error) {
	p := newPanel("Publish p99 against throughput", "throughput (msgs/s acked)", "publish p99 (ms)")
	fig := &figure{panels: []*plot.Plot{p}}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	rate := func(r *results.Run) string { return formatFloat(r.Summary.TargetRate) }
	minX, maxX := math.Inf(1), math.Inf(-1)
	for i, g := range groups(runs, rate) {
		pts := p99By(g.runs, func(r *results.Run) float64 { return r.Summary.ProduceRateMsgs })
		for j := range pts {
			pts[j].Y = max(pts[j].Y, 0.001) // the log axis needs > 0
			minX, maxX = math.Min(minX, pts[j].X), math.Max(maxX, pts[j].X)
		}
		line, err := addLinePoints(p, pts, i, g.label)
		if err != nil {
			return nil, err
		}
		fig.addLegend(g.label, line...)
	}
	if boundMs > 0 {
		line, err := plotter.NewLine(plotter.XYs{{X: minX, Y: boundMs}, {X: maxX, Y: boundMs}})
		if err != nil {
			return nil, err
		}
		line.Color = injectColor
		line.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		p.Add(line)
		fig.addLegend(fmt.Sprintf("p99 bound %s ms", formatFloat(boundMs)), line)
		p.Y.Max = math.Max(p.Y.Max, boundMs*1.2)
		p.Y.Min = math.Min(p.Y.Min, boundMs/1.2)
	}
	widenLogRange(p)
	return fig, nil
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

// addLinePoints draws series i of a chart as a line through its points,
// and returns what its legend entry shows.
func addLinePoints(p *plot.Plot, pts plotter.XYs, i int, label string) ([]plot.Thumbnailer, error) {
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, fmt.Errorf("series %s: %w", label, err)
	}
	line.LineStyle = seriesStyle(i)
	scatter.Color = seriesStyle(i).Color
	scatter.Shape = draw.CircleGlyph{}
	p.Add(line, scatter)
	return []plot.Thumbnailer{line, scatter}, nil
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
