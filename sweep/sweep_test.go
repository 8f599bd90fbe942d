package sweep

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

// fakeRun is a Run for Sweep that measures nothing: it returns a result
// whose figures follow from the point, from a system that sustains up to
// capacity msgs/s with a p99 of 5 ms, and 500 ms beyond.
func fakeRun(capacity float64) func(context.Context, results.SweepPoint) (*results.Run, error) {
	return func(ctx context.Context, p results.SweepPoint) (*results.Run, error) {
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
	var progress []Progress
	idx, err := Run(context.Background(), Config{
		Workload: "smoke", Dir: dir, Drivers: []string{"franz"},
		Vary:     []results.Vary{{Key: "acks", Values: []string{"0", "1"}}, {Key: "messageSize", Values: []string{"100", "200"}}},
		RunPoint: fakeRun(1e9),
		Progress: func(p Progress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Points) != 4 || !idx.Complete {
		t.Fatalf("index has %d points, complete %v; want 4, true", len(idx.Points), idx.Complete)
	}
	onDisk, err := results.ReadSweepIndex(filepath.Join(dir, results.SweepIndexFile))
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
	idx, err := Run(context.Background(), Config{
		Workload: "smoke", Dir: dir, Drivers: []string{"franz", "confluent"},
		Search:   &results.RateSearch{Start: 1000, Factor: 2, Bisections: 3, P99MaxMs: 50},
		RunPoint: fakeRun(37000),
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
	run := func(ctx context.Context, p results.SweepPoint) (*results.Run, error) {
		if p.Params[0].Value == "bad" {
			return nil, errors.New("cannot reach the cluster")
		}
		return fakeRun(1e9)(ctx, p)
	}
	idx, err := Run(context.Background(), Config{Dir: dir, Drivers: []string{"franz"},
		Vary: []results.Vary{{Key: "acks", Values: []string{"bad", "1"}}}, RunPoint: run})
	if err == nil || !strings.Contains(err.Error(), "1 of 2 sweep points failed") {
		t.Errorf("Run error = %v, want one failed point", err)
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
	run := func(ctx context.Context, p results.SweepPoint) (*results.Run, error) {
		calls++
		if calls == 2 {
			cancel() // Ctrl-C during the second point
			return &results.Run{Complete: false, Incomplete: "interrupted"}, nil
		}
		return fakeRun(1e9)(ctx, p)
	}
	_, err := Run(ctx, Config{Dir: dir, Drivers: []string{"franz"},
		Vary: []results.Vary{{Key: "acks", Values: []string{"0", "1", "all"}}}, RunPoint: run})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", err)
	}
	idx, rerr := results.ReadSweepIndex(filepath.Join(dir, results.SweepIndexFile))
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

// A point kbench's own in-flight bound limited is not taken for the
// cluster's limit: the search stops there and says why.
func TestSearchStopsAtACappedPoint(t *testing.T) {
	run := func(ctx context.Context, p results.SweepPoint) (*results.Run, error) {
		r, _ := fakeRun(1e9)(ctx, p)
		if p.Rate >= 4000 {
			r.Summary.ProduceRateMsgs = 3000
			r.Summary.InFlightCapped, r.Summary.InFlightWaitShare = true, 0.6
		}
		return r, nil
	}
	idx, err := Run(context.Background(), Config{Workload: "capped", Dir: t.TempDir(), Drivers: []string{"franz"},
		Search: &results.RateSearch{Start: 1000, Factor: 2, Bisections: 3, P99MaxMs: 50}, RunPoint: run})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Points) != 3 || !strings.HasPrefix(idx.Points[2].Outcome, "not measured") {
		t.Fatalf("points %+v: want 1000, 2000 sustained, then 4000 not measured", idx.Points)
	}
	if b := idx.Best[0]; b.MaxRate != 2000 || !strings.Contains(b.Stopped, "in-flight bound") {
		t.Errorf("best %+v: want 2000 msgs/s and the reason the search stopped", b)
	}
}
