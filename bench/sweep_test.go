package bench

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

func TestParseVary(t *testing.T) {
	for _, tc := range []struct {
		specs   []string
		want    []Vary
		wantErr string
	}{
		// Two keys, values trimmed.
		{specs: []string{"acks=0, 1,all", "messageSize=100"}, want: []Vary{{"acks", []string{"0", "1", "all"}}, {"messageSize", []string{"100"}}}},
		// A dotted property path is a key like any other.
		{specs: []string{"producer.linger.ms=0,5"}, want: []Vary{{"producer.linger.ms", []string{"0", "5"}}}},
		// No "=".
		{specs: []string{"acks"}, wantErr: "want key=value1,value2"},
		// An empty value between commas.
		{specs: []string{"acks=1,,all"}, wantErr: "empty value"},
		// The same key twice.
		{specs: []string{"acks=1", "acks=all"}, wantErr: "varied twice"},
	} {
		got, err := ParseVary(tc.specs)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseVary(%q) error = %v, want %q", tc.specs, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseVary(%q) = %v, %v; want %v", tc.specs, got, err, tc.want)
		}
	}
}

func TestMatrix(t *testing.T) {
	vary := []Vary{{"acks", []string{"0", "1"}}, {"messageSize", []string{"100", "200"}}}
	got := Matrix(vary, nil, []string{"franz"})
	var labels []string
	for _, p := range got {
		labels = append(labels, p.Label())
	}
	want := []string{
		"acks=0 messageSize=100 franz",
		"acks=0 messageSize=200 franz",
		"acks=1 messageSize=100 franz",
		"acks=1 messageSize=200 franz",
	}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("Matrix labels = %q, want %q", labels, want)
	}
	// Profiles and drivers are dimensions too: 2 x 2 x 2 x 2.
	if n := len(Matrix(vary, []string{"durable", "throughput"}, []string{"franz", "confluent"})); n != 16 {
		t.Errorf("Matrix with two profiles and two drivers has %d points, want 16", n)
	}
	// Nothing varied: one point per driver.
	if got := Matrix(nil, nil, []string{"franz"}); len(got) != 1 || got[0].Driver != "franz" {
		t.Errorf("Matrix(nil, nil, [franz]) = %v, want one franz point", got)
	}
}

func TestFileNamesAreSafeAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for i, p := range Matrix([]Vary{{"compression.type", []string{"lz4", "zstd"}}, {"key", []string{"a/b", "a b"}}}, []string{"durable+mine"}, []string{"franz"}) {
		name := p.fileName(i + 1)
		if seen[name] || strings.ContainsAny(name, "/ ") || !strings.HasSuffix(name, ".json") {
			t.Errorf("file name %q of point %d is repeated or unsafe", name, i+1)
		}
		seen[name] = true
	}
	if got := (SweepPoint{Params: Params{{"acks", "all"}}, Driver: "franz", Rate: 4000}).fileName(3); got != "003-acks-all_rate-4000_franz.json" {
		t.Errorf("fileName = %q", got)
	}
}

func TestSweepIndexRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	idx := &SweepIndex{
		Workload: "smoke", Started: at, Updated: at.Add(time.Minute), Complete: true,
		Vary:    []Vary{{"acks", []string{"1", "all"}}},
		Drivers: []string{"franz"},
		Search:  &RateSearch{Start: 1000, Factor: 2, Bisections: 3, P99MaxMs: 50},
		Points: []SweepEntry{{
			SweepPoint: SweepPoint{Params: Params{{"acks", "1"}}, Driver: "franz", Rate: 1000},
			Result:     "001-acks-1_rate-1000_franz.json", ProduceRate: 999.5, ConsumeRate: 998, P99Ms: 3.5, Complete: true, Outcome: "sustained",
		}},
		Best: []SearchFound{{SweepPoint: SweepPoint{Params: Params{{"acks", "1"}}, Driver: "franz"}, MaxRate: 1000}},
	}
	path := filepath.Join(t.TempDir(), IndexFile)
	if err := WriteSweepIndex(path, idx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"params": {
        "acks": "1"
      }`) {
		t.Errorf("params are not written as an object:\n%s", data)
	}
	got, err := ReadSweepIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, idx) {
		t.Errorf("round trip changed the index:\n got %+v\nwant %+v", got, idx)
	}
	if got.Param() != "acks" {
		t.Errorf("Param() = %q, want acks", got.Param())
	}
	if _, err := DecodeSweepIndex([]byte(`{"schema":"kbench.result/v1"}`), "r.json"); err == nil || !strings.Contains(err.Error(), "r.json: not a kbench sweep index") {
		t.Errorf("decoding a result as an index: %v", err)
	}
}

func TestParseStep(t *testing.T) {
	for _, tc := range []struct {
		in          string
		factor, inc float64
		ok          bool
	}{
		{"x2", 2, 0, true},     // doubling
		{"*1.5", 1.5, 0, true}, // another spelling
		{"+1000", 0, 1000, true},
		{"x1", 0, 0, false}, // would never grow
		{"+0", 0, 0, false},
		{"2", 0, 0, false}, // ambiguous: say x or +
		{"", 0, 0, false},
	} {
		f, inc, err := ParseStep(tc.in)
		if (err == nil) != tc.ok || f != tc.factor || inc != tc.inc {
			t.Errorf("ParseStep(%q) = %g, %g, %v", tc.in, f, inc, err)
		}
	}
}

// search drives a Searcher against a system that sustains any rate up to
// capacity, returning the best rate and the rates tried.
func search(spec RateSearch, capacity float64) (float64, []float64) {
	s := NewSearcher(spec)
	var tried []float64
	for {
		rate, ok := s.Next()
		if !ok || len(tried) > 100 {
			return s.Best(), tried
		}
		tried = append(tried, rate)
		s.Record(rate, rate <= capacity)
	}
}

func TestSearcherConverges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     RateSearch
		capacity float64
		// want is the best rate the search must report.
		want float64
	}{
		// 1k..32k pass, 64k fails; 48k fails, 40k fails, 36k passes.
		{"doubling then 3 bisections", RateSearch{Start: 1000, Factor: 2, Bisections: 3}, 37000, 36000},
		// Ten bisections get within 32000/2^10 = 31.25 of the capacity.
		{"ten bisections", RateSearch{Start: 1000, Factor: 2, Bisections: 10}, 37020, 37000},
		// The start rate fails: the search bisects below it.
		{"start too high", RateSearch{Start: 8000, Factor: 2, Bisections: 3}, 2500, 2000},
		// Nothing is sustained at all.
		{"nothing sustained", RateSearch{Start: 1000, Factor: 2, Bisections: 3}, 0, 0},
		// The limit is sustained: stop there.
		{"capped", RateSearch{Start: 1000, Factor: 2, Bisections: 3, MaxRate: 5000}, 1e9, 5000},
		// Adding instead of multiplying.
		{"additive", RateSearch{Start: 1000, Increment: 1000, Bisections: 2}, 4600, 4500},
		// A step that rounds back to the same rate still climbs, by at
		// least 1 msg/s, and ends.
		{"tiny step", RateSearch{Start: 2, Factor: 1.2, Bisections: 1}, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, tried := search(tc.spec, tc.capacity)
			if got != tc.want {
				t.Errorf("best = %g, want %g (tried %v)", got, tc.want, tried)
			}
			if got > tc.capacity {
				t.Errorf("best %g is above the capacity %g", got, tc.capacity)
			}
		})
	}
}

func TestSustained(t *testing.T) {
	ok := func(f func(*results.Run)) *results.Run {
		r := &results.Run{Complete: true, Summary: results.Summary{
			TargetRate: 1000, ProduceRateMsgs: 990, ConsumeRateMsgs: 985, ConsumedMessages: 9850,
			PublishLatencyMs: results.Latency{P99: 20},
		}}
		if f != nil {
			f(r)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		run  *results.Run
		// why is part of the reason, "" when sustained.
		why string
	}{
		{"within every bound", ok(nil), ""},
		{"p99 over the bound", ok(func(r *results.Run) { r.Summary.PublishLatencyMs.P99 = 51 }), "p99 51.0 ms over the bound 50 ms"},
		{"rate not reached", ok(func(r *results.Run) { r.Summary.ProduceRateMsgs = 900 }), "below 95% of the target"},
		{"consumers behind", ok(func(r *results.Run) { r.Summary.ConsumeRateMsgs = 700 }), "consumers read 700"},
		{"no consumers is fine", ok(func(r *results.Run) { r.Summary.ConsumeRateMsgs, r.Summary.ConsumedMessages = 0, 0 }), ""},
		{"errors", ok(func(r *results.Run) { r.Summary.Errors = 3 }), "3 errors"},
		{"incomplete", ok(func(r *results.Run) { r.Complete, r.Incomplete = false, "flush timed out" }), "incomplete: flush timed out"},
	} {
		got, why := Sustained(tc.run, 50)
		if got != (tc.why == "") || !strings.Contains(strings.Join(why, "; "), tc.why) {
			t.Errorf("%s: Sustained = %v, %q; want reason %q", tc.name, got, why, tc.why)
		}
	}
}

// fakeRun is a Run for Sweep that measures nothing: it returns a result
// whose figures follow from the point, from a system that sustains up to
// capacity msgs/s with a p99 of 5 ms, and 500 ms beyond.
func fakeRun(capacity float64) func(context.Context, SweepPoint) (*results.Run, error) {
	return func(ctx context.Context, p SweepPoint) (*results.Run, error) {
		r := &results.Run{Complete: true, Name: p.Label(), Driver: results.Driver{Name: p.Driver}}
		r.Summary.TargetRate = p.Rate
		r.Summary.ProduceRateMsgs = min(p.Rate, capacity)
		r.Summary.PublishLatencyMs.P99 = 5
		if p.Rate > capacity {
			r.Summary.PublishLatencyMs.P99 = 500
		}
		return r, nil
	}
}

func TestSweepWritesResultsAndIndex(t *testing.T) {
	dir := t.TempDir()
	var progress []SweepProgress
	idx, err := Sweep(context.Background(), SweepConfig{
		Workload: "smoke", Dir: dir, Drivers: []string{"franz"},
		Vary:     []Vary{{"acks", []string{"0", "1"}}, {"messageSize", []string{"100", "200"}}},
		Run:      fakeRun(1e9),
		Progress: func(p SweepProgress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Points) != 4 || !idx.Complete {
		t.Fatalf("index has %d points, complete %v; want 4, true", len(idx.Points), idx.Complete)
	}
	onDisk, err := ReadSweepIndex(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range onDisk.Points {
		if e.Outcome != "complete" {
			t.Errorf("point %d outcome %q", i+1, e.Outcome)
		}
		r, err := results.Read(filepath.Join(dir, e.Result))
		if err != nil || r.Name != e.Label() {
			t.Errorf("point %d result %s: %v, name %q", i+1, e.Result, err, r.Name)
		}
	}
	if len(progress) != 4 || progress[3].N != 4 || progress[3].Of != 4 {
		t.Errorf("progress = %+v, want four calls ending 4/4", progress)
	}
}

func TestSweepRateSearch(t *testing.T) {
	dir := t.TempDir()
	idx, err := Sweep(context.Background(), SweepConfig{
		Workload: "smoke", Dir: dir, Drivers: []string{"franz", "confluent"},
		Search: &RateSearch{Start: 1000, Factor: 2, Bisections: 3, P99MaxMs: 50},
		Run:    fakeRun(37000),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Best) != 2 || idx.Best[0].MaxRate != 36000 || idx.Best[1].Driver != "confluent" {
		t.Errorf("max rates = %+v, want 36000 for franz and confluent", idx.Best)
	}
	// 1k..64k is 7 points, then 3 bisections, for each driver.
	if len(idx.Points) != 20 {
		t.Errorf("%d points recorded, want 20", len(idx.Points))
	}
	if e := idx.Points[6]; e.Rate != 64000 || !strings.Contains(e.Outcome, "publish p99 500.0 ms over the bound 50 ms") {
		t.Errorf("point 7 = %+v, want 64000 not sustained for p99", e)
	}
}

func TestSweepKeepsGoingAfterAFailedPoint(t *testing.T) {
	dir := t.TempDir()
	run := func(ctx context.Context, p SweepPoint) (*results.Run, error) {
		if p.Params[0].Value == "bad" {
			return nil, errors.New("cannot reach the cluster")
		}
		return fakeRun(1e9)(ctx, p)
	}
	idx, err := Sweep(context.Background(), SweepConfig{Dir: dir, Drivers: []string{"franz"},
		Vary: []Vary{{"acks", []string{"bad", "1"}}}, Run: run})
	if err == nil || !strings.Contains(err.Error(), "1 of 2 sweep points failed") {
		t.Errorf("Sweep error = %v, want one failed point", err)
	}
	if len(idx.Points) != 2 || idx.Points[0].Outcome != "error: cannot reach the cluster" || idx.Points[0].Result != "" || idx.Points[1].Outcome != "complete" {
		t.Errorf("points = %+v", idx.Points)
	}
}

func TestSweepInterrupted(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	run := func(ctx context.Context, p SweepPoint) (*results.Run, error) {
		calls++
		if calls == 2 {
			cancel() // Ctrl-C during the second point
			return &results.Run{Complete: false, Incomplete: "interrupted"}, nil
		}
		return fakeRun(1e9)(ctx, p)
	}
	_, err := Sweep(ctx, SweepConfig{Dir: dir, Drivers: []string{"franz"},
		Vary: []Vary{{"acks", []string{"0", "1", "all"}}}, Run: run})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Sweep error = %v, want context.Canceled", err)
	}
	idx, rerr := ReadSweepIndex(filepath.Join(dir, IndexFile))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if calls != 2 || idx.Complete || len(idx.Points) != 2 || idx.Points[1].Outcome != "incomplete: interrupted" {
		t.Errorf("after Ctrl-C: %d runs, index %+v", calls, idx)
	}
	if _, err := os.Stat(filepath.Join(dir, idx.Points[1].Result)); err != nil {
		t.Errorf("the interrupted point's result was not written: %v", err)
	}
}
