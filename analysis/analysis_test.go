package analysis

import (
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/kbench/kbench/results"
)

func sweepRuns(t *testing.T) []*results.Run {
	return load(t, "sweep-franz-10k", "sweep-franz-20k", "sweep-franz-40k", "sweep-franz-80k",
		"sweep-confluent-10k", "sweep-confluent-20k", "sweep-confluent-40k", "sweep-confluent-80k")
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func TestLabels(t *testing.T) {
	clone := func(r *results.Run, f func(*results.Run)) *results.Run {
		c := *r
		f(&c)
		return &c
	}
	base := load(t, "base-1")[0]
	tests := []struct {
		name string
		runs []*results.Run
		want []string
	}{
		// Drivers differ; libraries differ with them and add nothing.
		{"driver", load(t, "sweep-franz-10k", "sweep-confluent-10k"), []string{"franz", "confluent"}},
		// One workload field differs; its section is not shown.
		{"workload field", []*results.Run{base, clone(base, func(r *results.Run) {
			var w map[string]any
			json.Unmarshal(r.Workload, &w)
			w["messageSize"] = 4096
			r.Workload, _ = json.Marshal(w)
		})}, []string{"messageSize=1024", "messageSize=4096"}},
		// A client property differs.
		{"client property", []*results.Run{base, clone(base, func(r *results.Run) {
			r.Client.Producer = map[string]string{"acks": "1", "linger.ms": "5"}
		})}, []string{"acks=all", "acks=1"}},
		// Identical settings: the runs' names, not file names.
		{"same settings", load(t, "base-1", "base-2"), []string{"base-1", "base-2"}},
		// Identical settings and no names: by index.
		{"no names", []*results.Run{clone(base, func(r *results.Run) { r.Name = "" }), clone(base, func(r *results.Run) { r.Name = "" })},
			[]string{"run 1", "run 2"}},
		// Driver and rate both differ.
		{"driver and rate", load(t, "sweep-franz-10k", "sweep-franz-20k", "sweep-confluent-10k"),
			[]string{"franz target_rate=10000", "franz target_rate=20000", "confluent target_rate=10000"}},
		// Workload, rate and fault differ with the driver: each is shown,
		// not the driver alone.
		{"workload, rate and fault", []*results.Run{load(t, "sweep-franz-10k")[0], clone(load(t, "failover")[0], func(r *results.Run) {
			r.Driver = load(t, "sweep-confluent-10k")[0].Driver
		})}, nil},
		// A repeated label is told apart by run name.
		{"repeat", load(t, "base-1", "base-2", "sweep-franz-10k")[0:3], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runLabels(tt.runs)
			if tt.name == "workload, rate and fault" {
				for _, part := range []string{"franz", "confluent", "target_rate=", "faults="} {
					if !strings.Contains(strings.Join(got, "|"), part) {
						t.Errorf("Labels = %q, want %q in them", got, part)
					}
				}
				if got[0] == "franz" || got[1] == "confluent" {
					t.Errorf("Labels = %q: the driver alone", got)
				}
				return
			}
			if tt.want == nil {
				seen := map[string]bool{}
				for _, l := range got {
					if seen[l] {
						t.Errorf("label %q repeats in %q", l, got)
					}
					seen[l] = true
				}
				return
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Labels = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParam(t *testing.T) {
	r := load(t, "base-1")[0]
	for _, c := range []struct{ name, want string }{
		{"messageSize", "1024"},      // a workload field
		{"acks", "all"},              // a producer property
		{"fetch.min.bytes", "1"},     // a consumer property
		{"min.insync.replicas", "2"}, // a broker property
		{"target_rate", "0"},         // the run's target rate
	} {
		if got, ok := Param(r, c.name); !ok || got != c.want {
			t.Errorf("Param(%q) = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
	if _, ok := Param(r, "nonesuch"); ok {
		t.Error("Param found a setting that does not exist")
	}
	// The cluster's size, which a nodes sweep varies.
	r.Cluster.Nodes = make([]results.Node, 3)
	if got, ok := Param(r, results.NodesParam); !ok || got != "3" {
		t.Errorf("Param(nodes) = %q, %v; want 3", got, ok)
	}
}

func TestSummarize(t *testing.T) {
	var b bytes.Buffer
	Summarize(&b, load(t, "base-1", "failover", "sweep-franz-10k")...)
	golden(t, "summary.golden", b.String())
	for _, want := range []string{"msgs/s", "MiB/s", "p99.9", "lost/dup/reord", "kill broker 2 (leader:orders-0) at 20.0s", "no acks for 2.40s", "embedded target"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

func TestPerfTestLine(t *testing.T) {
	r := &results.Run{Summary: results.Summary{
		// 5.2 M produced over the whole run, 5 M of them in 6.649 s of
		// measurement: the line counts those its rate is of.
		ProducedMessages: 5200000, ProduceRateMsgs: 751992.780869, ProduceRateMiB: 71.7156, DurationS: 6.649,
		PublishLatencyMs: results.Latency{Mean: 7.0, Max: 230, P50: 4.6, P95: 29.9, P99: 53.2, P999: 68},
	}}
	want := "5000000 records sent, 751992.780869 records/sec (71.72 MB/sec), 7.00 ms avg latency, 230.00 ms max latency, 4 ms 50th, 29 ms 95th, 53 ms 99th, 68 ms 99.9th."
	if got := PerfTestLine(r); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPlotSVG(t *testing.T) {
	tests := []struct {
		kind string
		runs []*results.Run
		want []string // text the SVG must contain
	}{
		{KindSpectrum, load(t, "base-1", "slow-1"), []string{"percentile (%)", "latency (ms)", "99.9", "base-1", "slow-1"}},
		{KindE2ESpectrum, load(t, "base-1"), []string{"End-to-end latency", "latency (ms)"}},
		{KindTimeline, load(t, "failover"), []string{"time since measurement began (s)", "throughput (msgs/s acked)", "publish p99 (ms)", "kill broker 2", "recover broker 2"}},
		{"sweep:rate", sweepRuns(t), []string{"by rate", "throughput (msgs/s)", "publish p99 (ms)", "franz", "confluent"}},
		{"sweep:acks", load(t, "base-1", "sweep-franz-10k"), []string{">all<", ">1<", "durable", "throughput"}},
		{KindLatencyThroughput, sweepRuns(t), []string{"throughput (msgs/s acked)", "publish p99 (ms)", "franz", "confluent"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			var b bytes.Buffer
			if err := WritePlot(&b, tt.kind, tt.runs, "svg"); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !bytes.Contains(b.Bytes(), []byte(w)) {
					t.Errorf("SVG lacks %q", w)
				}
			}
		})
	}
}

func TestTimelineShadesFailoverWindow(t *testing.T) {
	var with, without bytes.Buffer
	runs := load(t, "failover")
	if err := WritePlot(&with, KindTimeline, runs, "svg"); err != nil {
		t.Fatal(err)
	}
	r := *runs[0]
	r.Failover = nil
	if err := WritePlot(&without, KindTimeline, []*results.Run{&r}, "svg"); err != nil {
		t.Fatal(err)
	}
	// The window is a filled polygon in the window colour on each panel,
	// and its swatch in the legend.
	fill := regexp.MustCompile(`FILL-OPACITY:0.27`)
	if n := len(fill.FindAll(bytes.ToUpper(with.Bytes()), -1)); n != 3 {
		t.Errorf("%d shaded windows with a failover, want 2 and a legend swatch", n)
	}
	if n := len(fill.FindAll(bytes.ToUpper(without.Bytes()), -1)); n != 0 {
		t.Errorf("%d shaded windows without a failover, want 0", n)
	}
}

func TestPlotPNG(t *testing.T) {
	var b bytes.Buffer
	if err := WritePlot(&b, KindSpectrum, load(t, "base-1"), "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	// 10x5 in at 96 dpi, and the legend's strip below.
	fig, err := newFigure(KindSpectrum, load(t, "base-1"), options{})
	if err != nil {
		t.Fatal(err)
	}
	_, height := fig.size()
	if b := img.Bounds(); b.Dx() != 960 || b.Dy() != int(math.Round(float64(height/vg.Inch)*96)) || b.Dy() <= 480 {
		t.Errorf("PNG is %dx%d, want 960 by 480 and the legend's %g in", b.Dx(), b.Dy(), float64(height/vg.Inch)-5)
	}
}

func TestPlotErrors(t *testing.T) {
	runs := load(t, "base-1")
	for _, c := range []struct{ kind, format, want string }{
		{"pie", "svg", `unknown plot kind "pie"`},
		{"sweep", "svg", "needs its parameter"},
		{"sweep:nonesuch", "svg", `no setting "nonesuch"`},
		{KindSpectrum, "gif", `unknown image format "gif"`},
		{KindE2ESpectrum, "svg", "no run has an end-to-end"},
	} {
		rs := runs
		if c.kind == KindE2ESpectrum {
			rs = load(t, "sweep-franz-10k")
		}
		err := WritePlot(io.Discard, c.kind, rs, c.format)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("WritePlot(%s, %s) = %v, want %q", c.kind, c.format, err, c.want)
		}
	}
}

func TestReportHTML(t *testing.T) {
	runs := append(load(t, "base-1", "failover"), sweepRuns(t)[:3]...)
	var b bytes.Buffer
	if err := Report(&b, runs, "html"); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, l := range runLabels(runs) {
		if !strings.Contains(html, l) {
			t.Errorf("report lacks run label %q", l)
		}
	}
	for _, want := range []string{
		`<tr class="diff"><td>profiles</td>`, // a differing setting, highlighted
		`<td>producer.linger.ms</td>`,        // a setting every run shares
		"Publish latency by percentile",      // plots, inline
		"Throughput and publish p99 over time",
		"Publish p99 against throughput",  // three target rates: a rate sweep
		"kill broker 2 (leader:orders-0)", // failover table
		"has no replication",              // the embedded target's note
		"openjdk 17",                      // host table
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg"); n < 4 {
		t.Errorf("%d inline SVGs, want at least 4", n)
	}
	if strings.Contains(html, "<?xml") || strings.Contains(html, "src=\"http") {
		t.Error("report is not self-contained HTML")
	}
	if strings.Contains(html, `<tr class="diff"><td>producer.linger.ms</td>`) {
		t.Error("a setting all runs share is highlighted")
	}
}

func TestReportMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := Report(&b, load(t, "base-1", "failover", "sweep-franz-10k"), "markdown"); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md.golden", b.String())
	if strings.Contains(b.String(), "<svg") || strings.Contains(b.String(), "base64") {
		t.Error("markdown report has images")
	}
	if err := Report(&b, load(t, "base-1"), "pdf"); err == nil || !strings.Contains(err.Error(), "html or markdown") {
		t.Errorf("unknown format: %v", err)
	}
}

func TestParseBounds(t *testing.T) {
	b, err := ParseBounds("throughput=5%, p99=10,lost=0%")
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 3 || b["throughput"] != 5 || b["p99"] != 10 || b["lost"] != 0 {
		t.Errorf("ParseBounds = %v", b)
	}
	for _, c := range []struct{ in, want string }{
		{"p98=10%", `unknown metric "p98"; valid metrics: throughput, throughput_mib, consume, p50`}, // names the metric and lists valid ones
		{"p99", "want metric=percent"},
		{"p99=ten", `"ten" is not a percentage`},
		{"p99=-5%", "is not a percentage of 0 or more"},
		{"p99=5%,p99=6%", "bounded twice"},
	} {
		_, err := ParseBounds(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseBounds(%q) = %v, want %q", c.in, err, c.want)
		}
	}
}

func TestCompare(t *testing.T) {
	bounds, _ := ParseBounds("throughput=5%,p99=10%,e2e_p99=10%,lost=0%")
	tests := []struct {
		name       string
		base, next []string
		failed     bool
		status     map[string]string
	}{
		// One run a side cannot measure how runs scatter: no evidence
		// either way, not a PASS (the old rule passed it) ...
		{"single ok", []string{"base-1"}, []string{"ok-1"}, false, map[string]string{"throughput": StatusNoEvidence, "p99": StatusNoEvidence}},
		// ... nor a FAIL (the old rule failed it, and so failed identical
		// runs on a noisy machine).
		{"single slow", []string{"base-1"}, []string{"slow-1"}, false, map[string]string{"throughput": StatusNoEvidence, "p99": StatusNoEvidence}},
		// Three a side, within the bounds with confidence.
		{"multi ok", []string{"base-1", "base-2", "base-3"}, []string{"ok-1", "ok-2", "ok-3"}, false, map[string]string{"throughput": StatusOK, "p99": StatusOK}},
		// Reversed, the slow runs make the fast ones an improvement.
		{"improved", []string{"slow-1", "slow-2", "slow-3"}, []string{"base-1", "base-2", "base-3"}, false, map[string]string{"throughput": StatusImproved}},
		// Three a side, a clear shift far beyond the spread.
		{"multi slow", []string{"base-1", "base-2", "base-3"}, []string{"slow-1", "slow-2", "slow-3"}, true,
			map[string]string{"throughput": StatusRegression}},
		// Three a side, mean 10% lower but the new runs scatter from 70k
		// to 100k msgs/s: the interval straddles the bound.
		{"multi noisy", []string{"base-1", "base-2", "base-3"}, []string{"noisy-1", "noisy-2", "noisy-3"}, false,
			map[string]string{"throughput": StatusNoEvidence}},
		// The new runs had no consumer: e2e_p99 and lost were not measured.
		{"missing", []string{"base-1"}, []string{"sweep-franz-10k"}, true, map[string]string{"e2e_p99": StatusMissing, "lost": StatusMissing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Compare(load(t, tt.base...), load(t, tt.next...), rule(bounds))
			if v.Failed != tt.failed {
				var b bytes.Buffer
				v.Write(&b)
				t.Errorf("Failed = %v, want %v\n%s", v.Failed, tt.failed, b.String())
			}
			for _, r := range v.Rows {
				if want, ok := tt.status[r.Metric]; ok && r.Status != want {
					t.Errorf("%s: status %s, want %s (change %.1f%%)", r.Metric, r.Status, want, r.ChangePct)
				}
			}
		})
	}
	if v := Compare(nil, load(t, "base-1"), rule(bounds)); !v.Failed {
		t.Error("Compare with no base runs passed")
	}
}

func TestVerdictWrite(t *testing.T) {
	bounds, _ := ParseBounds("throughput=5%,p99=10%")
	var b bytes.Buffer
	Compare(load(t, "base-1", "base-2", "base-3"), load(t, "slow-1", "slow-2", "slow-3"), rule(bounds)).Write(&b)
	Compare(load(t, "base-1", "base-2", "base-3"), load(t, "ok-1", "ok-2", "ok-3"), rule(bounds)).Write(&b)
	Compare(load(t, "base-1"), load(t, "ok-1"), rule(bounds)).Write(&b)
	Compare(load(t, "base-1", "base-2"), load(t, "sweep-franz-10k", "sweep-franz-20k"), rule(bounds)).Write(&b)
	golden(t, "verdict.golden", b.String())
}

func TestWriteGoBench(t *testing.T) {
	var b bytes.Buffer
	WriteGoBench(&b, load(t, "base-1", "base-2"), "produce 1KiB")
	line := regexp.MustCompile(`(?m)^BenchmarkKafka/produce_1KiB\t\d+\t[\d.]+ ns/op\t[\d.]+ msgs/s\t[\d.]+ MiB/s\t[\d.]+ p50-ms\t[\d.]+ p99-ms\t[\d.]+ p999-ms\t[\d.]+ e2e-p99-ms$`)
	if n := len(line.FindAllString(b.String(), -1)); n != 2 {
		t.Errorf("%d benchmark lines, want 2:\n%s", n, b.String())
	}
	if !strings.HasPrefix(b.String(), "goos: linux\ngoarch: amd64\ncpu: Test CPU\n") {
		t.Errorf("missing header:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "\t10000.0 ns/op\t100000.0 msgs/s") {
		t.Errorf("ns/op is not 1e9/msgs per second:\n%s", b.String())
	}
}

// A run that left messages unsent says at once that its target rate was
// not reached (issue 20 item 7).
func TestSummarizeUnsent(t *testing.T) {
	r := load(t, "base-1")[0]
	r.Summary.TargetRate, r.Summary.Unsent, r.Summary.UnsentShare = 1e9, 1_998_527_818, 0.99926
	var b bytes.Buffer
	Summarize(&b, r)
	if want := "TARGET RATE NOT REACHED: 1998527818 messages (100%) due at 1e+09 msgs/s were never sent"; !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}

// A transactional run's summary says what committed, aborted and stayed
// in doubt, for the producers and for a transform stage.
func TestSummarizeTransactions(t *testing.T) {
	r := load(t, "base-1")[0]
	r.Summary.Transactions = &results.Transactions{Committed: 120, Aborted: 3, InDoubt: 1, AbortedMessages: 300,
		AbortedByKind: map[string]int64{"timeout": 2, "stopped": 1}, RatePerS: 9.5,
		CommitLatencyMs: results.Latency{P50: 4.25, P99: 150, Max: 2010}}
	r.Summary.Transform = &results.Transactions{Committed: 80, CommittedMessages: 12000, RatePerS: 6.25,
		CommitLatencyMs: results.Latency{P50: 12, P99: 95.5, Max: 101}}
	r.Verify = &results.Verify{AbortedRead: 0}
	var b bytes.Buffer
	Summarize(&b, r)
	for _, want := range []string{
		"transactions: 120 committed (9.5/s), commit ms p50/p99/max 4.25/150/2010; 3 aborted (stopped 1, timeout 2; 300 messages), 1 in doubt; 0 messages of aborted transactions read",
		"transform transactions: 80 committed (6.2/s) writing 12000 messages, commit ms p50/p99/max 12.0/95.5/101; 0 aborted, 0 in doubt",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}
