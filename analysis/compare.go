package analysis

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kbench/kbench/results"
)

// metric is one figure of a run that Compare can bound.
type metric struct {
	name, unit string
	// higherIsBetter: throughput falling is a regression; for the others
	// (latency, errors, losses) rising is.
	higherIsBetter bool
	value          func(*results.Run) float64
	// present reports whether a run measured the figure at all (no
	// consumer means no end-to-end latency), so zero is not taken as a
	// perfect score.
	present func(*results.Run) bool
	// merged, for a latency, reads the figure from a side's histograms
	// merged (percentiles are never averaged); ok is false when a run
	// carries no histogram.
	merged func(runs []*results.Run) (v float64, ok bool)
}

func always(*results.Run) bool { return true }

// exact metrics count correctness failures; their changes are never put
// down to noise.
var exact = map[string]bool{"errors": true, "lost": true, "duplicated": true, "reordered": true}

func publishMeasured(r *results.Run) bool { return r.Summary.PublishLatencyMs.Count > 0 }
func e2eMeasured(r *results.Run) bool     { return r.Summary.E2ELatencyMs.Count > 0 }
func consumed(r *results.Run) bool        { return r.Summary.ConsumedMessages > 0 || r.Verify != nil }

var metrics = []metric{
	{"throughput", "msgs/s", true, func(r *results.Run) float64 { return r.Summary.ProduceRateMsgs }, always, nil},
	{"throughput_mib", "MiB/s", true, func(r *results.Run) float64 { return r.Summary.ProduceRateMiB }, always, nil},
	{"consume", "msgs/s", true, func(r *results.Run) float64 { return r.Summary.ConsumeRateMsgs }, consumed, nil},
	{"p50", "ms", false, func(r *results.Run) float64 { return r.Summary.PublishLatencyMs.P50 }, publishMeasured, mergedPublish(func(l results.Latency) float64 { return l.P50 })},
	{"p95", "ms", false, func(r *results.Run) float64 { return r.Summary.PublishLatencyMs.P95 }, publishMeasured, mergedPublish(func(l results.Latency) float64 { return l.P95 })},
	{"p99", "ms", false, func(r *results.Run) float64 { return r.Summary.PublishLatencyMs.P99 }, publishMeasured, mergedPublish(func(l results.Latency) float64 { return l.P99 })},
	{"p999", "ms", false, func(r *results.Run) float64 { return r.Summary.PublishLatencyMs.P999 }, publishMeasured, mergedPublish(func(l results.Latency) float64 { return l.P999 })},
	{"max", "ms", false, func(r *results.Run) float64 { return r.Summary.PublishLatencyMs.Max }, publishMeasured, mergedPublish(func(l results.Latency) float64 { return l.Max })},
	{"mean", "ms", false, func(r *results.Run) float64 { return r.Summary.PublishLatencyMs.Mean }, publishMeasured, mergedPublish(func(l results.Latency) float64 { return l.Mean })},
	{"e2e_p50", "ms", false, func(r *results.Run) float64 { return r.Summary.E2ELatencyMs.P50 }, e2eMeasured, mergedE2E(func(l results.Latency) float64 { return l.P50 })},
	{"e2e_p99", "ms", false, func(r *results.Run) float64 { return r.Summary.E2ELatencyMs.P99 }, e2eMeasured, mergedE2E(func(l results.Latency) float64 { return l.P99 })},
	{"e2e_p999", "ms", false, func(r *results.Run) float64 { return r.Summary.E2ELatencyMs.P999 }, e2eMeasured, mergedE2E(func(l results.Latency) float64 { return l.P999 })},
	{"e2e_max", "ms", false, func(r *results.Run) float64 { return r.Summary.E2ELatencyMs.Max }, e2eMeasured, mergedE2E(func(l results.Latency) float64 { return l.Max })},
	{"errors", "", false, func(r *results.Run) float64 { return float64(r.Summary.Errors) }, always, nil},
	{"late", "", false, func(r *results.Run) float64 { return float64(r.Summary.LateSends) }, always, nil},
	{"lost", "", false, func(r *results.Run) float64 { return float64(r.Summary.Lost) }, consumed, nil},
	{"duplicated", "", false, func(r *results.Run) float64 { return float64(r.Summary.Duplicated) }, consumed, nil},
	{"reordered", "", false, func(r *results.Run) float64 { return float64(r.Summary.Reordered) }, consumed, nil},
}

func mergedPublish(of func(results.Latency) float64) func([]*results.Run) (float64, bool) {
	return func(runs []*results.Run) (float64, bool) {
		return mergedLatency(runs, func(r *results.Run) string { return r.Histograms.Publish }, of)
	}
}

func mergedE2E(of func(results.Latency) float64) func([]*results.Run) (float64, bool) {
	return func(runs []*results.Run) (float64, bool) {
		return mergedLatency(runs, func(r *results.Run) string { return r.Histograms.E2E }, of)
	}
}

// mergedLatency merges the runs' histograms and reads one figure of the
// merged distribution; ok is false if a run has no readable histogram.
func mergedLatency(runs []*results.Run, hist func(*results.Run) string, of func(results.Latency) float64) (float64, bool) {
	h := results.NewHist()
	for _, r := range runs {
		one, err := results.DecodeHist(hist(r))
		if err != nil || hist(r) == "" {
			return 0, false
		}
		results.MergeHist(h, one) // same bounds as NewHist: nothing dropped
	}
	return of(results.LatencyOf(h)), true
}

// MetricNames lists the metrics Bounds may name, in the order verdicts show
// them.
func MetricNames() []string {
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.name
	}
	return names
}

func metricByName(name string) (metric, bool) {
	for _, m := range metrics {
		if m.name == name {
			return m, true
		}
	}
	return metric{}, false
}

// Bounds maps a metric name to the change, in percent, it may make for the
// worse before Compare calls it a regression.
type Bounds map[string]float64

// DefaultBounds is a starting point for CI: 5% less throughput or 10% more
// publish p99 fails.
const DefaultBounds = "throughput=5%,p99=10%"

// ParseBounds reads bounds written as "throughput=5%,p99=10%" (the % is
// optional). Each metric may appear once; a bound is a percentage of 0 or
// more; "lost=0" allows no increase at all.
func ParseBounds(s string) (Bounds, error) {
	b := Bounds{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("bound %q: want metric=percent, e.g. p99=10%%", part)
		}
		if _, known := metricByName(name); !known {
			return nil, fmt.Errorf("bound %q: unknown metric %q; valid metrics: %s", part, name, strings.Join(MetricNames(), ", "))
		}
		if _, dup := b[name]; dup {
			return nil, fmt.Errorf("bound %q: metric %s is bounded twice", part, name)
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), "%"), 64)
		if err != nil || pct < 0 || math.IsInf(pct, 0) || math.IsNaN(pct) {
			return nil, fmt.Errorf("bound %q: %q is not a percentage of 0 or more", part, val)
		}
		b[name] = pct
	}
	return b, nil
}

// Row statuses of a Verdict.
const (
	StatusOK         = "ok"
	StatusImproved   = "improved"
	StatusRegression = "REGRESSION"
	// StatusNoise: the change crosses the bound but lies within the runs'
	// own spread, so it is not called a regression.
	StatusNoise = "noise"
	// StatusMissing: one side did not measure the metric (e.g. no
	// consumer ran). It fails the verdict when the base measured it.
	StatusMissing = "missing"
)

// Row is one metric of a Verdict. Base and New are means over each side's
// runs, BaseSpread and NewSpread their sample standard deviations (0 for a
// single run).
type Row struct {
	Metric, Unit string
	// Base and New are each side's figure: the mean over its runs, or for
	// a latency of several runs, that of their merged histograms. The
	// spreads are the standard deviations over the runs.
	Base, New             float64
	BaseSpread, NewSpread float64
	// BaseMeasured and NewMeasured say whether every run of the side
	// measured the metric.
	BaseMeasured, NewMeasured bool
	// ChangePct is (New-Base)/Base*100: ±Inf when Base is 0 and New is
	// not.
	ChangePct float64
	// Bound is the allowed change for the worse, in percent.
	Bound  float64
	Status string
}

// Verdict is the outcome of Compare.
type Verdict struct {
	Rows []Row
	// Failed is true when any row is a regression or missing from the new
	// runs, or when a side has no runs.
	Failed bool
	// Notes are caveats: incomplete runs, sides of one run, and the
	// Mismatches.
	Notes []string
	// Mismatches name what differs between the sides' workloads, targets
	// or drivers: the comparison may then judge the setup, not the change.
	Mismatches []string
}

// Compare checks the next runs against the base runs, metric by metric for
// each metric in bounds, and fails where next is worse by more than the
// bound. Direction matters: throughput falling is worse, latency, errors
// and losses rising are.
//
// With one run on either side the figures are compared as they are. With
// several on both, each side is its mean m and sample standard deviation
// s, and a change past its bound is a regression only if it is also
// outside the noise (never for errors, lost, duplicated and reordered, nor
// for a bound of 0: those are failures in any repeat):
//
//	|m_next - m_base| > s_base + s_next
//
// otherwise the row says "noise" and does not fail. This is cruder than a
// t-test but needs no distribution tables, never calls two runs' own
// scatter a regression, and still catches any shift larger than that
// scatter; run three or more of each to give it something to measure.
func Compare(base, next []*results.Run, bounds Bounds) Verdict {
	var v Verdict
	if len(base) == 0 || len(next) == 0 {
		v.Failed = true
		v.Notes = append(v.Notes, "nothing to compare: each side needs at least one run")
		return v
	}
	for _, side := range []struct {
		name string
		runs []*results.Run
	}{{"base", base}, {"new", next}} {
		for _, r := range side.runs {
			if !r.Complete {
				v.Notes = append(v.Notes, fmt.Sprintf("%s run %q is incomplete: %s", side.name, r.Name, orDash(r.Incomplete)))
			}
		}
		if len(side.runs) == 1 && (len(base) > 1 || len(next) > 1) {
			v.Notes = append(v.Notes, fmt.Sprintf("%s has a single run: its spread counts as 0", side.name))
		}
	}
	v.Mismatches = mismatches(base, next)
	for _, m := range v.Mismatches {
		v.Notes = append(v.Notes, "the sides differ: "+m)
	}
	for _, m := range metrics {
		bound, ok := bounds[m.name]
		if !ok {
			continue
		}
		row := compareMetric(m, base, next, bound)
		if row.Status == StatusRegression || (row.Status == StatusMissing && measuredAll(m, base)) {
			v.Failed = true
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// mismatches lists the workload settings, target kinds and drivers that
// differ between the first runs of base and next.
func mismatches(base, next []*results.Run) []string {
	b, n := base[0], next[0]
	var out []string
	if b.Driver.Name != n.Driver.Name {
		out = append(out, fmt.Sprintf("driver %s vs %s", b.Driver.Name, n.Driver.Name))
	}
	if b.Cluster.Kind != n.Cluster.Kind {
		out = append(out, fmt.Sprintf("target %s vs %s", b.Cluster.Kind, n.Cluster.Kind))
	}
	bw, nw := map[string]string{}, map[string]string{}
	for _, kv := range flattenJSON(b.Workload) {
		bw[kv[0]] = kv[1]
	}
	for _, kv := range flattenJSON(n.Workload) {
		nw[kv[0]] = kv[1]
	}
	var diffs []string
	for _, k := range sortedKeys(mergeKeys(bw, nw)) {
		if bw[k] != nw[k] && k != "name" {
			diffs = append(diffs, fmt.Sprintf("%s %s vs %s", k, orDash(bw[k]), orDash(nw[k])))
		}
	}
	if len(diffs) > 0 {
		out = append(out, "workload "+strings.Join(diffs, ", "))
	}
	return out
}

func mergeKeys(a, b map[string]string) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

func measuredAll(m metric, runs []*results.Run) bool {
	for _, r := range runs {
		if !m.present(r) {
			return false
		}
	}
	return true
}

func compareMetric(m metric, base, next []*results.Run, bound float64) Row {
	row := Row{Metric: m.name, Unit: m.unit, Bound: bound}
	row.Base, row.BaseSpread, row.BaseMeasured = side(m, base)
	row.New, row.NewSpread, row.NewMeasured = side(m, next)
	if !row.BaseMeasured || !row.NewMeasured {
		row.Status = StatusMissing
		return row
	}
	bv, nv := values(m, base), values(m, next)
	switch {
	case row.Base != 0:
		row.ChangePct = (row.New - row.Base) / math.Abs(row.Base) * 100
	case row.New > 0:
		row.ChangePct = math.Inf(1)
	case row.New < 0:
		row.ChangePct = math.Inf(-1)
	}
	worse := row.ChangePct
	if m.higherIsBetter {
		worse = -worse
	}
	// Noise can only be judged with repeats on both sides, and never
	// excuses a correctness count or a bound of 0: one lost message in
	// one repeat is a finding, not noise.
	noisy := len(bv) > 1 && len(nv) > 1 && bound > 0 && !exact[m.name] &&
		math.Abs(row.New-row.Base) <= row.BaseSpread+row.NewSpread
	switch {
	case worse > bound && noisy:
		row.Status = StatusNoise
	case worse > bound:
		row.Status = StatusRegression
	case -worse > bound && !noisy:
		row.Status = StatusImproved
	default:
		row.Status = StatusOK
	}
	return row
}

// side returns a side's figure and its spread over repeats: for a
// latency, the figure of the merged histograms when every run has one,
// else the mean.
func side(m metric, runs []*results.Run) (v, spread float64, measured bool) {
	if !measuredAll(m, runs) {
		return 0, 0, false
	}
	v, spread = meanSD(values(m, runs))
	if m.merged != nil && len(runs) > 1 {
		if mv, ok := m.merged(runs); ok {
			v = mv
		}
	}
	return v, spread, true
}

func values(m metric, runs []*results.Run) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = m.value(r)
	}
	return out
}

// meanSD returns the mean and the sample standard deviation
// sqrt(Σ(x-mean)²/(n-1)), which is 0 for one value.
func meanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}

// Write prints the verdict as a table, then PASS or FAIL with the reasons.
func (v Verdict) Write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbase\tnew\tchange\tbound\tstatus")
	for _, r := range v.Rows {
		baseText, newText := "-", "-"
		if r.BaseMeasured {
			baseText = meanText(r.Base, r.BaseSpread, r.Unit)
		}
		if r.NewMeasured {
			newText = meanText(r.New, r.NewSpread, r.Unit)
		}
		change := "-"
		if r.Status != StatusMissing {
			change = changeText(r)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Metric, baseText, newText, change, boundText(r), r.Status)
	}
	tw.Flush()
	for _, n := range v.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if !v.Failed {
		fmt.Fprintln(w, "PASS")
		return
	}
	var why []string
	for _, r := range v.Rows {
		switch r.Status {
		case StatusRegression:
			why = append(why, fmt.Sprintf("%s %s (bound %s)", r.Metric, changeText(r), boundText(r)))
		case StatusMissing:
			why = append(why, r.Metric+" not measured by the new runs")
		}
	}
	if len(why) == 0 {
		why = v.Notes
	}
	fmt.Fprintln(w, "FAIL:", strings.Join(why, "; "))
}

// meanText prints a mean with its spread, "1234.5 ±12.3 msgs/s".
func meanText(mean, sd float64, unit string) string {
	s := strconv.FormatFloat(mean, 'f', decimals(mean), 64)
	if sd > 0 {
		s += " ±" + strconv.FormatFloat(sd, 'f', decimals(sd), 64)
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}

func decimals(v float64) int {
	switch v = math.Abs(v); {
	case v >= 1000 || v == math.Trunc(v):
		return 0
	case v >= 10:
		return 1
	default:
		return 3
	}
}

// changeText is the change in percent, or, from a base of 0, where no
// percentage exists, the new value: "from 0 to 3".
func changeText(r Row) string {
	if math.IsInf(r.ChangePct, 0) {
		return "from 0 to " + strconv.FormatFloat(r.New, 'f', decimals(r.New), 64)
	}
	return fmt.Sprintf("%+.1f%%", r.ChangePct)
}

// boundText shows a bound in the direction it guards: "-5%" for
// throughput, "+10%" for latency.
func boundText(r Row) string {
	m, _ := metricByName(r.Metric)
	if m.higherIsBetter {
		return "-" + formatFloat(r.Bound) + "%"
	}
	return "+" + formatFloat(r.Bound) + "%"
}

// WriteGoBench prints runs in Go's benchmark format, one line per run named
// BenchmarkKafka/<name>, so benchstat can compare two sets of runs:
//
//	BenchmarkKafka/produce  N  <1e9/msgs_per_s> ns/op  <msgs/s> msgs/s  <MiB/s> MiB/s  <p50> p50-ms  <p99> p99-ms  <p99.9> p999-ms  [<e2e p99> e2e-p99-ms]
//
// N is the run's produced message count, ns/op the time per message at the
// achieved rate. A goos/goarch/cpu header names the host of the first run,
// as `go test -bench` does, so benchstat groups by it.
func WriteGoBench(w io.Writer, runs []*results.Run, name string) {
	name = strings.Join(strings.Fields(name), "_")
	if name == "" {
		name = "run"
	}
	if len(runs) > 0 {
		h := runs[0].Host
		fmt.Fprintf(w, "goos: %s\ngoarch: %s\n", orValue(h.OS, runtime.GOOS), orValue(h.Arch, runtime.GOARCH))
		if h.CPUModel != "" {
			fmt.Fprintf(w, "cpu: %s\n", h.CPUModel)
		}
	}
	for _, r := range runs {
		s := r.Summary
		n := s.ProducedMessages
		if n < 1 {
			n = 1
		}
		nsPerMsg := 0.0
		if s.ProduceRateMsgs > 0 {
			nsPerMsg = 1e9 / s.ProduceRateMsgs
		}
		fmt.Fprintf(w, "BenchmarkKafka/%s\t%d\t%.1f ns/op\t%.1f msgs/s\t%.3f MiB/s\t%.3f p50-ms\t%.3f p99-ms\t%.3f p999-ms",
			name, n, nsPerMsg, s.ProduceRateMsgs, s.ProduceRateMiB, s.PublishLatencyMs.P50, s.PublishLatencyMs.P99, s.PublishLatencyMs.P999)
		if s.E2ELatencyMs.Count > 0 {
			fmt.Fprintf(w, "\t%.3f e2e-p99-ms", s.E2ELatencyMs.P99)
		}
		fmt.Fprintln(w)
	}
}

func orValue(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
