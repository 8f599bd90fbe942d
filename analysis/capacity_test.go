package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

// capacityRuns makes a rate sweep at each broker count of the curve s:
// runs at 50 %, 90 % and 110 % of the capacity X(N), whose publish p99
// is 5 ms at no load and crosses boundMs exactly at X(N), log-linearly,
// so the plan's interpolation reads X(N) back. kind and hw shape the
// cluster the runs describe.
func capacityRuns(s Scaling, brokers []int, boundMs float64, kind results.ClusterKind, hw *results.Hardware) ([]*results.Run, []string) {
	var runs []*results.Run
	var files []string
	for _, n := range brokers {
		c := s.At(float64(n))
		for _, share := range []float64{0.5, 0.9, 1.1} {
			r := &results.Run{Complete: true, Profiles: []string{"durable"}, Workload: json.RawMessage(fmt.Sprintf(`{"messageSize":1000,"producerRate":%g}`, share*c*1000))}
			r.Cluster.Kind = kind
			for id := range n {
				r.Cluster.Nodes = append(r.Cluster.Nodes, results.Node{ID: int32(id), Roles: []string{"broker", "controller"}})
			}
			if hw != nil {
				h := *hw
				h.Brokers = n
				r.Hardware = &h
			}
			r.Host = results.Host{Hostname: "box", CPUs: 2}
			mb := share * c
			r.Summary.ProduceRateMiB = mb * 1e6 / (1 << 20)
			r.Summary.ProduceRateMsgs = mb * 1000
			r.Summary.ProducedMessages = 1
			r.Summary.TargetRate = mb * 1000
			r.Summary.PublishLatencyMs.P99 = 5 * math.Exp(math.Log(boundMs/5)*share)
			runs = append(runs, r)
			files = append(files, fmt.Sprintf("%d-brokers-%g.json", n, share))
		}
	}
	return runs, files
}

// A sweep of a known USL curve on tagged hardware gives back the curve's
// capacities, the USL, and the answer the curve itself gives.
func TestPlanCapacityRecoversKnownAnswer(t *testing.T) {
	truth := Scaling{Lambda: 60, Sigma: 0.05, Kappa: 0.002}
	runs, files := capacityRuns(truth, []int{1, 2, 3, 4, 6, 8, 10}, 50, results.KindExternal, &results.Hardware{Name: "m5.2xlarge"})
	q := CapacityQuestion{TargetMBps: 300, P99Ms: 50}
	plan, err := PlanCapacity(runs, files, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Groups) != 1 || plan.SharedCores {
		t.Fatalf("groups %d, shared cores %v; want one group on dedicated hardware", len(plan.Groups), plan.SharedCores)
	}
	g := plan.Groups[0]
	if g.Hardware != "m5.2xlarge" || g.Tuning != "durable" {
		t.Errorf("group %q %q", g.Hardware, g.Tuning)
	}
	for _, p := range g.Points {
		within(t, fmt.Sprintf("capacity of %d", p.Brokers), p.MBps, truth.At(float64(p.Brokers)), 0.01)
		if p.How != HowInterpolated || p.Past == nil || len(p.Runs) != 3 {
			t.Errorf("%d brokers: how %q past %v runs %v", p.Brokers, p.How, p.Past, p.Runs)
		}
	}
	if g.Model != ModelUSL {
		t.Errorf("model %s, want usl", g.Model)
	}
	want := brokersNeeded(truth, q.TargetMBps)
	a := g.Answer
	if a.Brokers != want || a.Refused != "" || a.Extrapolated != 0 {
		t.Errorf("answer %+v, want %d brokers", a, want)
	}
	if a.BrokersLow > want || a.BrokersHigh == nil || *a.BrokersHigh < want {
		t.Errorf("interval %d..%v misses %d", a.BrokersLow, a.BrokersHigh, want)
	}
	if a.OneDown.Value < q.TargetMBps || a.AllUp >= a.Brokers {
		t.Errorf("one down %v, all up %d", a.OneDown, a.AllUp)
	}
	var text bytes.Buffer
	if err := WriteCapacityPlan(&text, plan); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "WARNING") || !strings.Contains(text.String(), fmt.Sprintf("answer: %d brokers", want)) {
		t.Errorf("text:\n%s", text.String())
	}
	for _, format := range []string{"png", "svg"} {
		var img bytes.Buffer
		if err := WriteCapacityChart(&img, plan, format); err != nil || img.Len() == 0 {
			t.Errorf("%s chart: %v", format, err)
		}
	}
	var js bytes.Buffer
	if err := WriteCapacityJSON(&js, plan); err != nil || !strings.Contains(js.String(), `"schema": "kbench.plan/v1"`) {
		t.Errorf("json: %v\n%s", err, js.String())
	}
}

// Results from a cluster kbench started on the clients' host are flagged,
// in the plan and loudly in its text.
func TestPlanCapacityFlagsSharedCores(t *testing.T) {
	runs, files := capacityRuns(Scaling{Lambda: 20}, []int{1, 3, 5}, 50, results.KindLocal, nil)
	plan, err := PlanCapacity(runs, files, CapacityQuestion{TargetMBps: 50, P99Ms: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.SharedCores || plan.Groups[0].SharedCores == "" || plan.Groups[0].Hardware != "host box (2 CPUs)" {
		t.Fatalf("plan %+v not flagged", plan.Groups[0])
	}
	var text bytes.Buffer
	WriteCapacityPlan(&text, plan)
	if !strings.HasPrefix(text.String(), "WARNING") || !strings.Contains(text.String(), "cannot show how capacity scales") {
		t.Errorf("text:\n%s", text.String())
	}
	if g := plan.Groups[0]; g.Model != ModelLinear || g.Scaling.Fits[2].Refused == "" {
		t.Errorf("1, 3, 5 brokers of a line: model %s, USL refused %q", g.Model, g.Scaling.Fits[2].Refused)
	}
}

// Answers past the data are marked with their factor, and past the limit
// refused unless allowed.
func TestPlanCapacityExtrapolation(t *testing.T) {
	runs, files := capacityRuns(Scaling{Lambda: 10}, []int{1, 2, 3}, 50, results.KindExternal, &results.Hardware{Name: "hw"})
	for _, tc := range []struct {
		target  float64
		allow   bool
		brokers int
		factor  float64
		refused bool
	}{
		{target: 25, brokers: 4},                           // 3 carry 30 with one down: within 2× of 3
		{target: 70, brokers: 8, factor: 8.0 / 3},          // 8 brokers, 2.7× the largest measured
		{target: 200, refused: true},                       // 21 brokers, 7×: refused
		{target: 200, allow: true, brokers: 21, factor: 7}, // unless allowed
	} {
		plan, err := PlanCapacity(runs, files, CapacityQuestion{TargetMBps: tc.target, P99Ms: 50, AllowExtrapolation: tc.allow})
		if err != nil {
			t.Fatal(err)
		}
		a := plan.Groups[0].Answer
		if a.Brokers != tc.brokers || math.Abs(a.Extrapolated-tc.factor) > 1e-9 || (a.Refused != "") != tc.refused {
			t.Errorf("target %g allow %v: %+v", tc.target, tc.allow, a)
		}
	}
}

// Runs that measure no cluster capacity are left out, saying why; a
// broker count where every run went past the bound gives no point.
func TestPlanCapacityLeavesOut(t *testing.T) {
	runs, files := capacityRuns(Scaling{Lambda: 10}, []int{1, 2, 3}, 50, results.KindExternal, &results.Hardware{Name: "hw"})
	runs[1].Complete, runs[1].Incomplete = false, "interrupted"
	runs[2].Summary.InFlightCapped = true
	for _, r := range runs[6:9] { // 3 brokers: all past the bound
		r.Summary.PublishLatencyMs.P99 = 500
	}
	plan, err := PlanCapacity(runs, files, CapacityQuestion{TargetMBps: 15, P99Ms: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Notes) != 2 || !strings.Contains(plan.Notes[0], "interrupted") || !strings.Contains(plan.Notes[1], "in-flight") {
		t.Errorf("notes %q", plan.Notes)
	}
	g := plan.Groups[0]
	if len(g.Points) != 2 || !strings.Contains(strings.Join(g.Notes, "\n"), "3 brokers: every run went past p99") {
		t.Errorf("points %+v notes %q", g.Points, g.Notes)
	}
	if g.Points[0].How != HowLowerBound {
		t.Errorf("1 broker with only its 50%% run: how %q", g.Points[0].How)
	}
}

func TestCapacityQuestionValidate(t *testing.T) {
	err := CapacityQuestion{TargetMBps: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "target") || !strings.Contains(err.Error(), "p99") {
		t.Errorf("got %v, want both problems", err)
	}
}
