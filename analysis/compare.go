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
// publish p99, shown with the rule's confidence, fails.
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

// Rule is what Compare judges by: a bound per metric, the confidence of
// the interval that decides, and the repeats a side needs.
type Rule struct {
	Bounds Bounds
	// Confidence is the level, in percent, of the two-sided confidence
	// interval of a change: 95 calls a regression only when the change is
	// past its bound with 97.5% one-sided confidence.
	Confidence float64
	// MinRuns is the number of runs each side needs, 2 or more, before a
	// noisy metric is judged.
	MinRuns int
}

// Defaults of a Rule.
const (
	DefaultConfidence = 95
	DefaultMinRuns    = 2
)

// Validate says what is wrong with a rule.
func (r Rule) Validate() error {
	if !(r.Confidence > 0 && r.Confidence < 100) {
		return fmt.Errorf("confidence %v%%: want a percentage between 0 and 100, e.g. 95", r.Confidence)
	}
	if r.MinRuns < 2 {
		return fmt.Errorf("min runs %d: a side needs 2 runs or more to measure how runs scatter", r.MinRuns)
	}
	return nil
}

// Row statuses of a Verdict.
const (
	// StatusOK: the change is within the bound, for a noisy metric with
	// the rule's confidence.
	StatusOK       = "ok"
	StatusImproved = "improved"
	// StatusRegression: worse by more than the bound, for a noisy metric
	// with the rule's confidence.
	StatusRegression = "REGRESSION"
	// StatusNoEvidence: too few runs to judge, or the confidence interval
	// of the change straddles the bound. Not a failure, not a pass.
	StatusNoEvidence = "no evidence"
	// StatusMissing: one side did not measure the metric (e.g. no
	// consumer ran). It fails the verdict when the base measured it.
	StatusMissing = "missing"
)

// Outcomes of a Verdict.
const (
	Pass       = "PASS"
	Fail       = "FAIL"
	NoEvidence = "NO EVIDENCE"
)

// Row is one metric of a Verdict.
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
	// CILow and CIHigh bound the change in percent with the rule's
	// confidence; HasCI is false for a count (judged exactly) and when
	// the runs are too few.
	CILow, CIHigh float64
	HasCI         bool
	// Bound is the allowed change for the worse, in percent.
	Bound  float64
	Status string
}

// Verdict is the outcome of Compare.
type Verdict struct {
	Rows []Row
	// Outcome is Pass, Fail or NoEvidence: Fail when a row is a
	// regression or missing from the new runs, or a side has no runs;
	// else NoEvidence when a row has no evidence; else Pass.
	Outcome string
	// Failed is Outcome == Fail.
	Failed bool
	// Confidence and MinRuns are the rule's, for the reader.
	Confidence float64
	MinRuns    int
	// Notes are caveats: incomplete runs, too few runs, and the
	// Mismatches.
	Notes []string
	// Mismatches name what differs between the sides: driver, target,
	// profiles, workload (its faults included). The comparison then
	// judges the setup, not the change, and Write says so first.
	Mismatches []string
}

// Compare checks the next runs against the base runs, metric by metric for
// each metric in the rule's bounds. Direction matters: throughput falling
// is worse, latency, errors and losses rising are.
//
// Counts of correctness failures (errors, lost, duplicated, reordered) are
// judged exactly: the mean over each side's runs may not grow by more than
// the bound; one lost message in one repeat is a finding, not noise.
//
// Every other metric is noisy, and a run's own intervals cannot measure
// that noise: on a shared machine identical runs differ by a per-run offset
// (±15% seen here) larger than the scatter of one run's intervals, which
// are also correlated, so any test on intervals fails identical setups.
// The unit of evidence is therefore the run. With x_i the logs of a side's
// run figures (n runs, mean x̄, sample variance s²), the change is
// estimated on the log scale, where a ratio is a difference:
//
//	d  = x̄_new - x̄_base
//	se = sqrt(s²_base/n_base + s²_new/n_new)
//	ν  = se⁴ / ((s²_base/n_base)²/(n_base-1) + (s²_new/n_new)²/(n_new-1))
//	CI = exp(d ± t(1-(1-c)/2, ν)·se) - 1
//
// a Welch t interval at confidence c (Rule.Confidence/100), whose width falls as 1/√n with
// repeats. Let w be the CI's worse end and b its better end (for
// throughput the lower one and the upper one). The row is
//
//	REGRESSION  when b is worse than the bound: the change is past it
//	            with one-sided confidence 1-(1-c)/2;
//	ok          when w is within the bound;
//	improved    when w is better than the bound the other way;
//	no evidence otherwise, or when a side has fewer than MinRuns runs
//	            (one run a side has no measure of run-to-run scatter),
//	            or a figure is 0 (no log).
//
// Identical setups are thus called regressions at most (1-c)/2 of the
// time, whatever the machine's noise; noise only costs evidence.
func Compare(base, next []*results.Run, rule Rule) Verdict {
	v := Verdict{Confidence: rule.Confidence, MinRuns: rule.MinRuns}
	if len(base) == 0 || len(next) == 0 {
		v.Failed, v.Outcome = true, Fail
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
	}
	v.Mismatches = mismatches(base, next)
	noisy := false
	for _, m := range metrics {
		bound, ok := rule.Bounds[m.name]
		if !ok {
			continue
		}
		row := compareMetric(m, base, next, bound, rule)
		noisy = noisy || !exact[m.name]
		switch row.Status {
		case StatusRegression:
			v.Failed = true
		case StatusMissing:
			v.Failed = v.Failed || measuredAll(m, base)
		case StatusNoEvidence:
			if v.Outcome == "" {
				v.Outcome = NoEvidence
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if noisy && (len(base) < rule.MinRuns || len(next) < rule.MinRuns) {
		v.Notes = append(v.Notes, fmt.Sprintf("%d base and %d new run(s): noisy metrics need %d a side, as identical runs differ by more than one run's own scatter; repeat each side (5 or more give a narrow interval)",
			len(base), len(next), rule.MinRuns))
	}
	switch {
	case v.Failed:
		v.Outcome = Fail
	case v.Outcome == "":
		v.Outcome = Pass
	}
	return v
}

// mismatches lists the drivers, target kinds, profiles and workload
// settings that differ between the first runs of base and next.
func mismatches(base, next []*results.Run) []string {
	b, n := base[0], next[0]
	var out []string
	if b.Driver.Name != n.Driver.Name {
		out = append(out, fmt.Sprintf("driver %s vs %s", b.Driver.Name, n.Driver.Name))
	}
	if b.Cluster.Kind != n.Cluster.Kind {
		out = append(out, fmt.Sprintf("target %s vs %s", b.Cluster.Kind, n.Cluster.Kind))
	}
	if bp, np := strings.Join(b.Profiles, "+"), strings.Join(n.Profiles, "+"); bp != np {
		out = append(out, fmt.Sprintf("profiles %s vs %s", orDash(bp), orDash(np)))
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

func compareMetric(m metric, base, next []*results.Run, bound float64, rule Rule) Row {
	row := Row{Metric: m.name, Unit: m.unit, Bound: bound}
	row.Base, row.BaseSpread, row.BaseMeasured = side(m, base)
	row.New, row.NewSpread, row.NewMeasured = side(m, next)
	if !row.BaseMeasured || !row.NewMeasured {
		row.Status = StatusMissing
		return row
	}
	row.ChangePct = changePct(row.Base, row.New)
	// worse turns a change into how much worse it is, in percent.
	worse := func(pct float64) float64 {
		if m.higherIsBetter {
			return -pct
		}
		return pct
	}
	if exact[m.name] {
		switch w := worse(row.ChangePct); {
		case w > bound:
			row.Status = StatusRegression
		case -w > bound:
			row.Status = StatusImproved
		default:
			row.Status = StatusOK
		}
		return row
	}
	lo, hi, ok := changeCI(values(m, base), values(m, next), rule)
	if !ok {
		row.Status = StatusNoEvidence
		return row
	}
	row.CILow, row.CIHigh, row.HasCI = lo, hi, true
	worst, best := math.Max(worse(lo), worse(hi)), math.Min(worse(lo), worse(hi))
	switch {
	case best > bound:
		row.Status = StatusRegression
	case worst <= bound && -worst > bound:
		row.Status = StatusImproved
	case worst <= bound:
		row.Status = StatusOK
	default:
		row.Status = StatusNoEvidence
	}
	return row
}

// changePct is (next-base)/|base|·100, ±Inf from a base of 0.
func changePct(base, next float64) float64 {
	switch {
	case base != 0:
		return (next - base) / math.Abs(base) * 100
	case next > 0:
		return math.Inf(1)
	case next < 0:
		return math.Inf(-1)
	}
	return 0
}

// changeCI is the Welch t interval of the change, in percent, of Compare's
// doc comment; ok is false when a side has fewer than rule.MinRuns runs or
// a figure is not positive, unless every figure is 0 (no change at all).
func changeCI(base, next []float64, rule Rule) (lo, hi float64, ok bool) {
	if len(base) < rule.MinRuns || len(next) < rule.MinRuns {
		return 0, 0, false
	}
	logs := func(v []float64) ([]float64, bool) {
		out := make([]float64, len(v))
		for i, x := range v {
			if x <= 0 {
				return nil, false
			}
			out[i] = math.Log(x)
		}
		return out, true
	}
	lb, okb := logs(base)
	ln, okn := logs(next)
	if !okb || !okn {
		allZero := true
		for _, x := range append(append([]float64{}, base...), next...) {
			allZero = allZero && x == 0
		}
		return 0, 0, allZero
	}
	mb, sb := meanSD(lb)
	mn, sn := meanSD(ln)
	vb, vn := sb*sb/float64(len(lb)), sn*sn/float64(len(ln))
	d, se := mn-mb, math.Sqrt(vb+vn)
	half := 0.0
	if se > 0 {
		df := (vb + vn) * (vb + vn) / (vb*vb/float64(len(lb)-1) + vn*vn/float64(len(ln)-1))
		half = studentQuantile(1-(1-rule.Confidence/100)/2, df) * se
	}
	return math.Expm1(d-half) * 100, math.Expm1(d+half) * 100, true
}

// studentQuantile is the p quantile (p > 0.5) of Student's t with df
// degrees of freedom, found by bisection on its distribution function
//
//	P(T ≤ t) = 1 - I_{df/(df+t²)}(df/2, 1/2)/2   for t ≥ 0.
func studentQuantile(p, df float64) float64 {
	lo, hi := 0.0, 1e6
	for range 200 {
		t := (lo + hi) / 2
		if 1-regIncBeta(df/(df+t*t), df/2, 0.5)/2 < p {
			lo = t
		} else {
			hi = t
		}
	}
	return (lo + hi) / 2
}

// regIncBeta is the regularized incomplete beta function I_x(a, b),
// evaluated by its continued fraction (modified Lentz), on the side of
// x = (a+1)/(a+b+2) where the fraction converges fast.
func regIncBeta(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	case x > (a+1)/(a+b+2):
		return 1 - regIncBeta(1-x, b, a)
	}
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log(1-x))
	const tiny = 1e-300
	c, d := 1.0, 1-(a+b)*x/(a+1)
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	f := d
	for i := 1; i <= 300; i++ {
		m := float64(i)
		for _, num := range []float64{
			m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m)),
			-(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1)),
		} {
			d = 1 + num*d
			if math.Abs(d) < tiny {
				d = tiny
			}
			c = 1 + num/c
			if math.Abs(c) < tiny {
				c = tiny
			}
			d = 1 / d
			f *= c * d
		}
		if math.Abs(c*d-1) < 1e-15 {
			break
		}
	}
	return front * f / a
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

// Write prints the verdict: a banner first when the sides differ in setup,
// the rule, a table with each change's confidence interval, the notes, and
// PASS, NO EVIDENCE or FAIL with the reasons.
func (v Verdict) Write(w io.Writer) {
	if len(v.Mismatches) > 0 {
		fmt.Fprintf(w, "WARNING: NOT LIKE FOR LIKE: the sides differ in %s; the change may be the setup's, not the code's\n",
			strings.Join(v.Mismatches, "; "))
	}
	if len(v.Rows) > 0 {
		fmt.Fprintf(w, "rule: %s%% confidence interval of the change, from runs (%d or more a side)\n", formatFloat(v.Confidence), v.MinRuns)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbase\tnew\tchange\tinterval\tbound\tstatus")
	for _, r := range v.Rows {
		baseText, newText := "-", "-"
		if r.BaseMeasured {
			baseText = meanText(r.Base, r.BaseSpread, r.Unit)
		}
		if r.NewMeasured {
			newText = meanText(r.New, r.NewSpread, r.Unit)
		}
		change, ci := "-", "-"
		if r.Status != StatusMissing {
			change = changeText(r)
		}
		if r.HasCI {
			ci = fmt.Sprintf("[%+.1f%%, %+.1f%%]", r.CILow, r.CIHigh)
		} else if exact[r.Metric] {
			ci = "exact"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Metric, baseText, newText, change, ci, boundText(r), r.Status)
	}
	tw.Flush()
	for _, n := range v.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	var why []string
	for _, r := range v.Rows {
		switch {
		case r.Status == StatusRegression && r.HasCI:
			why = append(why, fmt.Sprintf("%s %s, %s%% interval [%+.1f%%, %+.1f%%] past the bound %s", r.Metric, changeText(r), formatFloat(v.Confidence), r.CILow, r.CIHigh, boundText(r)))
		case r.Status == StatusRegression:
			why = append(why, fmt.Sprintf("%s %s (bound %s)", r.Metric, changeText(r), boundText(r)))
		case r.Status == StatusMissing && v.Outcome == Fail:
			why = append(why, r.Metric+" not measured by the new runs")
		case r.Status == StatusNoEvidence && v.Outcome == NoEvidence:
			why = append(why, r.Metric)
		}
	}
	switch v.Outcome {
	case Pass:
		fmt.Fprintln(w, "PASS")
	case NoEvidence:
		fmt.Fprintf(w, "NO EVIDENCE: %s cannot be told from noise at %s%% confidence; nothing failed, nothing is shown to hold: add runs\n",
			strings.Join(why, ", "), formatFloat(v.Confidence))
	default:
		if len(why) == 0 {
			why = v.Notes
		}
		fmt.Fprintln(w, "FAIL:", strings.Join(why, "; "))
	}
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
