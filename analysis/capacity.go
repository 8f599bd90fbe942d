package analysis

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/kbench/kbench/results"
)

// CapacityQuestion is what a capacity plan answers: how many brokers
// carry TargetMBps with publish p99 within P99Ms, one broker down.
type CapacityQuestion struct {
	// TargetMBps is the produce throughput to carry, in MB/s (10⁶ bytes/s).
	TargetMBps float64 `json:"target_mbps"`
	// P99Ms bounds publish p99, ms.
	P99Ms float64 `json:"p99_ms"`
	// AllowExtrapolation answers even beyond ExtrapolationLimit times the
	// largest broker count measured.
	AllowExtrapolation bool `json:"allow_extrapolation,omitempty"`
	// Seed seeds the bootstrap (0 is 1), so a plan is reproducible.
	Seed uint64 `json:"seed,omitempty"`
}

// Validate returns every problem with q.
func (q CapacityQuestion) Validate() error {
	var errs []error
	if !(q.TargetMBps > 0) || math.IsInf(q.TargetMBps, 0) {
		errs = append(errs, fmt.Errorf("target throughput must be above 0 MB/s, got %g", q.TargetMBps))
	}
	if !(q.P99Ms > 0) || math.IsInf(q.P99Ms, 0) {
		errs = append(errs, fmt.Errorf("p99 bound must be above 0 ms, got %g", q.P99Ms))
	}
	return errors.Join(errs...)
}

// How far past the data an answer may go, as a multiple of the largest
// broker count measured: past ExtrapolationMark an answer is marked
// extrapolated with its factor; past ExtrapolationLimit it is refused
// unless CapacityQuestion.AllowExtrapolation.
const (
	ExtrapolationMark  = 2.0
	ExtrapolationLimit = 4.0
)

// capacitySchema tags a capacity plan's JSON.
const capacitySchema = "kbench.plan/v1"

// CapacityPlan answers a CapacityQuestion for each hardware and tuning
// profile in the results.
type CapacityPlan struct {
	Schema   string           `json:"schema"`
	Question CapacityQuestion `json:"question"`
	Groups   []*CapacityGroup `json:"groups"`
	// SharedCores is true when any group's results ran brokers and clients
	// on the same cores (see CapacityGroup.SharedCores).
	SharedCores bool `json:"shared_cores"`
	// Notes are the results left out, and why.
	Notes []string `json:"notes,omitempty"`
}

// CapacityGroup is the plan for one hardware profile, tuning profile and
// whatever else differs between the runs at one broker count (a driver,
// a message size).
type CapacityGroup struct {
	Hardware string `json:"hardware"`
	Tuning   string `json:"tuning"`
	// Variant names the other settings that set this group apart, "" when
	// none does.
	Variant string `json:"variant,omitempty"`
	// SharedCores, when set, says why these results cannot show scaling:
	// the brokers and the clients shared one host's cores, so a broker
	// more added no capacity of its own.
	SharedCores string `json:"shared_cores,omitempty"`
	// Points are the capacities measured, one per broker count.
	Points  []CapacityPoint  `json:"points"`
	Scaling *ScalingAnalysis `json:"scaling"`
	// Model is the scaling model chosen, "" when none could be fitted.
	Model  ScalingModel   `json:"model,omitempty"`
	Answer CapacityAnswer `json:"answer"`
	Notes  []string       `json:"notes,omitempty"`
}

// How a CapacityPoint was read from the runs at its broker count.
const (
	// HowInterpolated: between the highest run within the p99 bound and
	// the next one past it, where log(p99) crosses the bound.
	HowInterpolated = "interpolated"
	// HowSaturated: the highest run within the bound fell short of its
	// target rate, or ran as fast as it could (no target), so the brokers
	// carried no more at that load's concurrency.
	HowSaturated = "saturated"
	// HowLowerBound: no run went past the bound or short of its rate;
	// the capacity is at least this.
	HowLowerBound = "at least"
)

// CapacityPoint is the throughput Brokers brokers carried with publish p99
// at the bound, and the runs it was read from.
type CapacityPoint struct {
	Brokers int     `json:"brokers"`
	MBps    float64 `json:"mbps"`
	How     string  `json:"how"`
	// Within is the highest-throughput run within the p99 bound; Past
	// the next one past it, nil when none was.
	Within RunFigure  `json:"within"`
	Past   *RunFigure `json:"past,omitempty"`
	// Runs are every usable result at this broker count.
	Runs []string `json:"runs"`
}

// RunFigure is one run's figures in a capacity plan.
type RunFigure struct {
	File  string  `json:"file"`
	MBps  float64 `json:"mbps"`
	P99Ms float64 `json:"p99_ms"`
	// TargetMBps is the rate the run was asked for, 0 for as fast as
	// possible.
	TargetMBps float64 `json:"target_mbps,omitempty"`
}

// CapacityAnswer is how many brokers carry the target.
type CapacityAnswer struct {
	// Refused says why there is no answer; the figures are then empty.
	Refused string `json:"refused,omitempty"`
	// Brokers carry the target with one of them down: the fitted capacity
	// of Brokers−1 (and of Brokers) is at least the target.
	Brokers int `json:"brokers,omitempty"`
	// BrokersLow and BrokersHigh are the 95 % bootstrap interval of
	// Brokers; BrokersHigh is absent when some refits never reach the
	// target.
	BrokersLow  int  `json:"brokers_low,omitempty"`
	BrokersHigh *int `json:"brokers_high,omitempty"`
	// AllUp is the brokers that carry the target with none down.
	AllUp int `json:"all_up,omitempty"`
	// Capacity is the fitted capacity of Brokers brokers, OneDown of
	// Brokers−1, in MB/s.
	Capacity Estimate `json:"capacity_mbps"`
	OneDown  Estimate `json:"one_down_mbps"`
	// LargestMeasured is the largest broker count in the data;
	// Extrapolated is Brokers/LargestMeasured when above ExtrapolationMark.
	LargestMeasured int     `json:"largest_measured"`
	Extrapolated    float64 `json:"extrapolated,omitempty"`
}

// PlanCapacity answers q from runs (files[i] names runs[i], for the plan
// to say where each figure came from; nil numbers them). Runs are grouped
// by hardware profile (the host, for a cluster kbench started), tuning
// profile and any other setting that differs between runs at one broker
// count; rates may differ freely. At each broker count, the capacity is
// the throughput where publish p99 crosses q.P99Ms (see CapacityPoint);
// FitScaling fits those; the answer is the fewest brokers N whose fitted
// capacity with one down, X(N−1), and X(N) reach the target. Runs that
// are incomplete, failed sends, or were held back by kbench's own
// in-flight bound measure no cluster capacity and are left out, noted.
func PlanCapacity(runs []*results.Run, files []string, q CapacityQuestion) (*CapacityPlan, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, errors.New("capacity plan: no results")
	}
	if q.Seed == 0 {
		q.Seed = 1
	}
	name := func(i int) string {
		if i < len(files) {
			return files[i]
		}
		return "run " + strconv.Itoa(i+1)
	}
	plan := &CapacityPlan{Schema: capacitySchema, Question: q}
	type member struct {
		run  *results.Run
		file string
	}
	byProfile := map[string][]member{}
	var order []string
	for i, r := range runs {
		if why := unusable(r); why != "" {
			plan.Notes = append(plan.Notes, fmt.Sprintf("%s left out: %s", name(i), why))
			continue
		}
		key := hardwareOf(r) + "\x00" + tuningOf(r)
		if byProfile[key] == nil {
			order = append(order, key)
		}
		byProfile[key] = append(byProfile[key], member{r, name(i)})
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("capacity plan: no usable results: %s", strings.Join(plan.Notes, "; "))
	}
	for _, key := range order {
		ms := byProfile[key]
		rs := make([]*results.Run, len(ms))
		fileOf := map[*results.Run]string{}
		for i, m := range ms {
			rs[i], fileOf[m.run] = m.run, m.file
		}
		for _, g := range variants(rs) {
			cg := planGroup(g.runs, fileOf, q)
			cg.Variant = g.label
			plan.SharedCores = plan.SharedCores || cg.SharedCores != ""
			plan.Groups = append(plan.Groups, cg)
		}
	}
	return plan, nil
}

// variants splits runs of one hardware and tuning profile by what else
// differs between runs at one broker count: the driver, and any workload
// setting but the rate, which a sweep varies to find the capacity. A
// variant is labelled by those settings, "" when nothing differs.
func variants(runs []*results.Run) []series {
	others := slices.DeleteFunc(otherVaried(runs, func(r *results.Run) string { return strconv.Itoa(brokersOf(r)) }),
		func(k string) bool { return k == "producerRate" })
	drivers := map[string]bool{}
	for _, r := range runs {
		drivers[r.Driver.Name] = true
	}
	index := map[string]int{}
	var out []series
	for _, r := range runs {
		var parts []string
		if len(drivers) > 1 {
			parts = append(parts, r.Driver.Name)
		}
		fields := map[string]string{}
		for _, kv := range flattenJSON(r.Workload) {
			fields[kv[0]] = kv[1]
		}
		for _, o := range others {
			parts = append(parts, o+"="+fields[o])
		}
		label := strings.Join(parts, " ")
		j, ok := index[label]
		if !ok {
			j = len(out)
			index[label] = j
			out = append(out, series{label: label})
		}
		out[j].runs = append(out[j].runs, r)
	}
	return out
}

// unusable says why r measures no cluster capacity, "" when it does.
func unusable(r *results.Run) string {
	switch {
	case !r.Complete:
		return "incomplete: " + r.Incomplete
	case r.Summary.Errors > 0:
		return fmt.Sprintf("%d failed sends", r.Summary.Errors)
	case r.Summary.InFlightCapped:
		return "kbench's in-flight bound held the producers back, so it shows kbench's limit, not the cluster's"
	case brokersOf(r) == 0:
		return "the result names no brokers; tag an external cluster's runs with a hardware profile giving its broker count"
	case !(r.Summary.ProduceRateMiB > 0):
		return "nothing was produced"
	}
	return ""
}

// brokersOf counts r's brokers: the cluster's nodes with the broker role,
// else the hardware profile's count.
func brokersOf(r *results.Run) int {
	n := 0
	for _, node := range r.Cluster.Nodes {
		if len(node.Roles) == 0 || slices.Contains(node.Roles, "broker") {
			n++
		}
	}
	if n == 0 && r.Hardware != nil {
		n = r.Hardware.Brokers
	}
	return n
}

// hardwareOf names the hardware r ran on: its hardware profile, else,
// for a cluster kbench started, the host.
func hardwareOf(r *results.Run) string {
	switch {
	case r.Hardware != nil && r.Hardware.Name != "":
		return r.Hardware.Name
	case r.Cluster.Kind == results.KindExternal:
		return "untagged external cluster"
	}
	return fmt.Sprintf("host %s (%d CPUs)", cmp.Or(r.Host.Hostname, "unknown"), r.Host.CPUs)
}

func tuningOf(r *results.Run) string { return cmp.Or(strings.Join(r.Profiles, "+"), "defaults") }

// sharedCores says why r cannot show scaling, "" when it can: a cluster
// kbench started runs its brokers on the clients' host.
func sharedCores(r *results.Run) string {
	if r.Cluster.Kind != results.KindLocal && r.Cluster.Kind != results.KindEmbedded {
		return ""
	}
	return fmt.Sprintf("brokers and clients shared the %d CPUs of host %s (cluster kind %s): a broker more adds no cores, so these results cannot show how capacity scales with brokers, and the answer below is the method's, not this hardware's",
		r.Host.CPUs, cmp.Or(r.Host.Hostname, "unknown"), r.Cluster.Kind)
}

// mbps is r's produce throughput in MB/s.
func mbps(r *results.Run) float64 { return r.Summary.ProduceRateMiB * (1 << 20) / 1e6 }

// planGroup reads the capacity at each broker count of runs, fits it and
// answers q.
func planGroup(runs []*results.Run, fileOf map[*results.Run]string, q CapacityQuestion) *CapacityGroup {
	g := &CapacityGroup{Hardware: hardwareOf(runs[0]), Tuning: tuningOf(runs[0])}
	atCount := map[int][]*results.Run{}
	replication := map[int]int{}
	for _, r := range runs {
		n := brokersOf(r)
		atCount[n] = append(atCount[n], r)
		replication[n] = max(replication[n], r.Cluster.ReplicationFactor)
		if why := sharedCores(r); why != "" && g.SharedCores == "" {
			g.SharedCores = why
		}
	}
	counts := sortedKeysInt(atCount)
	for _, n := range counts {
		p, note := capacityAt(n, atCount[n], fileOf, q.P99Ms)
		if note != "" {
			g.Notes = append(g.Notes, note)
		}
		if p != nil {
			g.Points = append(g.Points, *p)
		}
	}
	if rfs := distinctInts(replication); len(rfs) > 1 {
		g.Notes = append(g.Notes, fmt.Sprintf("replication factor differs between broker counts (%s): a broker count with fewer replicas writes less per message, so the fit mixes two workloads", describeReplication(replication)))
	}
	pts := make([]ScalingPoint, len(g.Points))
	for i, p := range g.Points {
		pts[i] = ScalingPoint{Brokers: float64(p.Brokers), MBps: p.MBps}
	}
	g.Scaling = FitScaling(pts, q.Seed)
	fit := g.Scaling.Chosen
	if fit == nil {
		g.Answer.Refused = "no model could be fitted: " + g.Scaling.Fits[0].Refused
		return g
	}
	g.Model = fit.Model
	g.Answer = answer(fit, q, counts[len(counts)-1])
	return g
}

// capacityAt reads the capacity of n brokers from the runs there, or says
// why there is none.
func capacityAt(n int, runs []*results.Run, fileOf map[*results.Run]string, boundMs float64) (*CapacityPoint, string) {
	figs := make([]RunFigure, len(runs))
	p := &CapacityPoint{Brokers: n}
	for i, r := range runs {
		figs[i] = RunFigure{File: fileOf[r], MBps: mbps(r), P99Ms: r.Summary.PublishLatencyMs.P99}
		if r.Summary.TargetRate > 0 && r.Summary.ProducedMessages > 0 {
			figs[i].TargetMBps = r.Summary.TargetRate * mbps(r) / r.Summary.ProduceRateMsgs
		}
		p.Runs = append(p.Runs, fileOf[r])
	}
	best := -1
	for i, f := range figs {
		if f.P99Ms <= boundMs && (best < 0 || f.MBps > figs[best].MBps) {
			best = i
		}
	}
	if best < 0 {
		lowest := slices.MinFunc(figs, func(a, b RunFigure) int { return cmp.Compare(a.P99Ms, b.P99Ms) })
		return nil, fmt.Sprintf("%d brokers: every run went past p99 %g ms (the lowest, %.1f ms at %.1f MB/s, in %s); measure lower rates",
			n, boundMs, lowest.P99Ms, lowest.MBps, lowest.File)
	}
	p.Within, p.MBps = figs[best], figs[best].MBps
	for i, f := range figs {
		if f.P99Ms > boundMs && f.MBps > p.MBps && (p.Past == nil || f.MBps < p.Past.MBps) {
			p.Past = &figs[i]
		}
	}
	switch {
	case p.Past != nil:
		// p99 climbs steeply near capacity: interpolate its logarithm.
		lo, hi := math.Log(math.Max(p.Within.P99Ms, 1e-3)), math.Log(p.Past.P99Ms)
		t := 1.0
		if hi > lo {
			t = (math.Log(boundMs) - lo) / (hi - lo)
		}
		p.MBps += math.Max(0, math.Min(1, t)) * (p.Past.MBps - p.Within.MBps)
		p.How = HowInterpolated
	case p.Within.TargetMBps == 0 || p.Within.MBps < 0.95*p.Within.TargetMBps:
		p.How = HowSaturated
	default:
		p.How = HowLowerBound
		return p, fmt.Sprintf("%d brokers: no run went past p99 %g ms or fell short of its rate, so %.1f MB/s (%s) is a lower bound: measure higher rates",
			n, boundMs, p.MBps, p.Within.File)
	}
	return p, ""
}

// answer finds the brokers fit needs for q; largest is the largest broker
// count measured.
func answer(fit *ScalingFit, q CapacityQuestion, largest int) CapacityAnswer {
	a := CapacityAnswer{LargestMeasured: largest}
	best := fit.Scaling()
	n := brokersNeeded(best, q.TargetMBps)
	if n == 0 {
		if peakN, peak, ok := best.Peak(); ok {
			a.Refused = fmt.Sprintf("the %s fit peaks at %.1f MB/s near %.0f brokers, below the target %g MB/s: no broker count of this hardware and tuning carries it", fit.Model, peak, peakN, q.TargetMBps)
		} else {
			a.Refused = fmt.Sprintf("the %s fit approaches %.1f MB/s (λ/σ) however many brokers are added, not the target %g MB/s", fit.Model, best.Lambda/math.Max(best.Sigma, 1e-300), q.TargetMBps)
		}
		return a
	}
	factor := float64(n) / float64(largest)
	if factor > ExtrapolationLimit && !q.AllowExtrapolation {
		a.Refused = fmt.Sprintf("the %s fit needs more than %g times the largest broker count measured (%d): too far past the data to trust; measure larger clusters, or allow extrapolation", fit.Model, ExtrapolationLimit, largest)
		return a
	}
	if factor > ExtrapolationMark {
		a.Extrapolated = factor
	}
	a.Brokers = n
	a.AllUp = n - 1
	for a.AllUp > 1 && best.At(float64(a.AllUp-1)) >= q.TargetMBps*(1-1e-9) {
		a.AllUp--
	}
	a.Capacity, a.OneDown = fit.Project(float64(n)), fit.Project(float64(n-1))
	needs := make([]float64, len(fit.replicates))
	for i, s := range fit.replicates {
		needs[i] = math.Inf(1)
		if k := brokersNeeded(s, q.TargetMBps); k > 0 {
			needs[i] = float64(k)
		}
	}
	slices.Sort(needs)
	if len(needs) == 0 {
		needs = []float64{float64(n)}
	}
	a.BrokersLow = int(percentile(needs, 0.025))
	if hi := percentile(needs, 0.975); !math.IsInf(hi, 1) {
		h := int(hi)
		a.BrokersHigh = &h
	}
	return a
}

// maxBrokers bounds the search for an answer.
const maxBrokers = 100000

// brokersNeeded is the fewest brokers N ≥ 2 with X(N−1) and X(N) both at
// least target, 0 when none up to maxBrokers is.
func brokersNeeded(s Scaling, target float64) int {
	if _, peak, ok := s.Peak(); ok && peak < target {
		return 0
	}
	if s.Kappa == 0 && s.Sigma > 0 && s.Lambda/s.Sigma <= target {
		return 0
	}
	target *= 1 - 1e-9 // a fit that meets the target exactly meets it
	for n := 2; n <= maxBrokers; n++ {
		if s.At(float64(n-1)) >= target && s.At(float64(n)) >= target {
			return n
		}
	}
	return 0
}

func sortedKeysInt[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func distinctInts(m map[int]int) []int {
	var out []int
	for _, v := range m {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func describeReplication(m map[int]int) string {
	var parts []string
	for _, n := range sortedKeysInt(m) {
		parts = append(parts, fmt.Sprintf("%d at %d brokers", m[n], n))
	}
	return strings.Join(parts, ", ")
}
