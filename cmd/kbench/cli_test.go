package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/results"
)

// fixtures are the analysis package's result files.
const fixtures = "../../analysis/testdata/"

func fixture(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fixtures + n + ".json"
	}
	return out
}

// kbench runs the CLI in process and returns its exit code and what it
// printed on stdout and stderr.
func kbench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outW, errW
	outC, errC := make(chan string), make(chan string)
	go func() { b, _ := io.ReadAll(outR); outC <- string(b) }()
	go func() { b, _ := io.ReadAll(errR); errC <- string(b) }()
	defer func() {
		os.Stdout, os.Stderr = oldOut, oldErr
	}()
	code = realMain(args)
	outW.Close()
	errW.Close()
	stdout, stderr = <-outC, <-errC
	t.Logf("kbench %s -> %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	return code, stdout, stderr
}

func TestSweepMatrix(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := kbench(t, "sweep", "--cluster", "embedded", "--workload", "smoke", "--messages", "2000",
		"--vary", "acks=0,1", "--vary", "messageSize=100,200", "-o", dir)
	if code != exitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
	if !strings.Contains(stderr, "[4/4] acks=1 messageSize=200 franz:") {
		t.Errorf("no progress line for the fourth point in:\n%s", stderr)
	}
	idx, err := results.ReadSweepIndex(filepath.Join(dir, results.SweepIndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Points) != 4 || !idx.Complete {
		t.Fatalf("index has %d points, complete %v; want 4, true", len(idx.Points), idx.Complete)
	}
	for _, e := range idx.Points {
		r, err := results.Read(filepath.Join(dir, e.Result))
		if err != nil {
			t.Fatal(err)
		}
		// The result ran with the point's values.
		var w struct{ MessageSize json.Number }
		if err := json.Unmarshal(r.Workload, &w); err != nil {
			t.Fatal(err)
		}
		if r.Client.Producer["acks"] != e.Params[0].Value || string(w.MessageSize) != e.Params[1].Value || !r.Complete {
			t.Errorf("%s: acks %q, messageSize %s, complete %v; want the point's %s", e.Result, r.Client.Producer["acks"], w.MessageSize, r.Complete, e.Label())
		}
	}
	// The sweep plots and reports from its index (or its directory).
	png := filepath.Join(dir, "sweep.png")
	if code, _, _ := kbench(t, "plot", dir, "-o", png); code != exitOK || !nonEmpty(png) {
		t.Errorf("plot of the sweep: exit %d", code)
	}
}

// A sweep over cluster sizes runs each point on a cluster of its size,
// fitting the replication to it, and plan reads the sweep, flagging the
// shared cores and refusing the USL on two sizes.
func TestSweepNodesThenPlan(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := kbench(t, "sweep", "--cluster", "embedded", "--workload", "smoke", "--messages", "2000",
		"--set", "replicationFactor=3", "--vary", "nodes=1,3", "-o", dir)
	if code != exitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
	in, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range in.Runs {
		want := []int{1, 3}[i]
		if len(r.Cluster.Nodes) != want || r.Cluster.ReplicationFactor != min(want, 3) {
			t.Errorf("point %d: %d nodes, replication %d; want %d nodes", i+1, len(r.Cluster.Nodes), r.Cluster.ReplicationFactor, want)
		}
	}
	if !strings.Contains(strings.Join(in.Runs[0].Notes, "\n"), "replicationFactor lowered from 3 to 1") {
		t.Errorf("1-node point notes %q", in.Runs[0].Notes)
	}
	js := filepath.Join(dir, "plan.json")
	code, stdout, _ := kbench(t, "plan", dir, "--target-mbps", "1", "--p99", "10s", "-o", js, "--chart", filepath.Join(dir, "plan.svg"))
	if code != exitOK || !strings.HasPrefix(stdout, "WARNING") || !strings.Contains(stdout, "usl\trefused") && !strings.Contains(stdout, " usl") {
		t.Errorf("plan: exit %d\n%s", code, stdout)
	}
	if !nonEmpty(js) || !nonEmpty(filepath.Join(dir, "plan.svg")) {
		t.Error("plan wrote no JSON or chart")
	}
}

func TestSweepFindMaxRate(t *testing.T) {
	dir := t.TempDir()
	code, stdout, _ := kbench(t, "sweep", "--cluster", "embedded", "--workload", "smoke", "--set", "subscriptionsPerTopic=0",
		"--find-max-rate", "--p99-max", "10s", "--start", "1000", "--max-rate", "4000", "--duration", "300ms", "-o", dir)
	if code != exitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
	idx, err := results.ReadSweepIndex(filepath.Join(dir, results.SweepIndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if idx.Search == nil || len(idx.Best) != 1 || len(idx.Points) == 0 || idx.Points[0].Rate != 1000 {
		t.Fatalf("index = %+v, want a rate search from 1000 and one max rate", idx)
	}
	for _, e := range idx.Points {
		if !nonEmpty(filepath.Join(dir, e.Result)) {
			t.Errorf("point %s has no result file", e.Label())
		}
	}
	if !strings.Contains(stdout, "highest sustained rate") && !strings.Contains(stdout, "no rate tried was sustained") {
		t.Errorf("the search's outcome is not printed:\n%s", stdout)
	}
}

func TestSweepRefusesBadInputBeforeRunning(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		// want is part of the error message.
		want string
	}{
		{"unknown key", []string{"--vary", "nosuch=1,2"}, "unknown workload field"},
		{"bad value at one point", []string{"--vary", "acks=1,7"}, "acks=7"},
		{"search flag without a search", []string{"--p99-max", "50ms"}, "add --find-max-rate"},
		{"search without a bound", []string{"--find-max-rate"}, "needs --p99-max"},
		{"rate set twice", []string{"--rate", "100", "--vary", "producerRate=1,2"}, "--vary producerRate and --rate"},
		{"unknown driver", []string{"--driver", "franz,nosuch"}, `unknown driver "nosuch"`},
		{"node count not a number", []string{"--vary", "nodes=0,3"}, "not a node count"},
		{"nodes twice", []string{"--nodes", "3", "--vary", "nodes=1,3"}, "drop --nodes"},
		// durable sets broker properties, throughput does not; a local
		// cluster cannot switch between them mid-sweep.
		{"broker settings differ", []string{"--cluster", "local", "--profile", "durable,throughput"}, "different broker properties"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"sweep", "--cluster", "embedded", "--workload", "smoke", "-o", dir}, tc.args...)
			code, _, stderr := kbench(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, results.SweepIndexFile)); err == nil {
				t.Errorf("a refused sweep wrote an index")
			}
		})
	}
}

// A target or fault schedule that cannot work is a usage error naming the
// flag, and nothing runs.
func TestRunRefusesBadTarget(t *testing.T) {
	type refusal struct {
		name string
		args []string
		// want is part of the error message.
		want string
	}
	cases := []refusal{
		{"bootstrap for local", []string{"--cluster", "local", "--bootstrap", "h:9092"}, "--bootstrap is for an external cluster"},
		{"unknown kind", []string{"--cluster", "cloud"}, `--cluster "cloud": use embedded, local or external`},
		{"bad address", []string{"--bootstrap", "nohost"}, `--bootstrap address "nohost"`},
		{"exec on embedded", []string{"--cluster", "embedded", "--fault", "at=1s,action=exec,target=broker:0,command=true"}, "runs no commands"},
	}
	if _, err := all.Get("confluent"); err == nil {
		// librdkafka's admin cannot reassign partitions.
		cases = append(cases, refusal{"leader-move with confluent", []string{"--cluster", "embedded", "--driver", "confluent",
			"--fault", "at=1s,action=leader-move,target=leader:0/0"}, "use the franz driver"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			code, _, stderr := kbench(t, append([]string{"run", "--workload", "smoke", "-q", "-o", out}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.want)
			}
			if nonEmpty(out) {
				t.Error("a refused run wrote a result")
			}
		})
	}
}

func TestCompareExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		// A change within the default bounds, three repeats a side.
		{"within bounds", append(append(fixture("base-1", "base-2", "base-3"), "--"), fixture("ok-1", "ok-2", "ok-3")...), exitOK},
		// One run a side is no evidence: exit 0, and 1 when evidence is required.
		{"no evidence", fixture("base-1", "slow-1"), exitOK},
		{"evidence required", append(fixture("base-1", "ok-1"), "--require-evidence"), exitFailed},
		// 20% less throughput, three repeats a side.
		{"regression", append(append(fixture("base-1", "base-2", "base-3"), "--"), fixture("slow-1", "slow-2", "slow-3")...), exitFailed},
		// The same, given by flags.
		{"flags", []string{"--base", strings.Join(fixture("base-1", "base-2"), ","), "--new", strings.Join(fixture("slow-1", "slow-2"), ",")}, exitFailed},
		// A worse mean inside the runs' own spread is no evidence, not a failure.
		{"noise", append(append(fixture("base-1", "base-2", "base-3"), "--"), fixture("noisy-1", "noisy-2", "noisy-3")...), exitOK},
		// A loose bound lets the slow runs pass.
		{"loose bound", append(append(append([]string{"--max-regression", "throughput=25%,p99=60%"}, fixture("base-1", "base-2")...), "--"), fixture("slow-1", "slow-2")...), exitOK},
		{"bad confidence", append(fixture("base-1", "ok-1"), "--confidence", "100"), exitUsage},
		{"one run is no minimum", append(fixture("base-1", "ok-1"), "--min-runs", "1"), exitUsage},
		{"missing file", []string{fixtures + "base-1.json", "nosuch.json"}, exitUsage},
		{"three files without --", fixture("base-1", "base-2", "ok-1"), exitUsage},
		{"bad bound", append(fixture("base-1", "ok-1"), "--max-regression", "speed=5%"), exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, _ := kbench(t, append([]string{"compare"}, tc.args...)...); code != tc.code {
				t.Errorf("exit code %d, want %d", code, tc.code)
			}
		})
	}
}

func TestCompareGoBench(t *testing.T) {
	code, stdout, stderr := kbench(t, append(append(append([]string{"compare", "--format", "gobench"}, fixture("base-1", "base-2")...), "--"), fixture("slow-1", "slow-2")...)...)
	if code != exitFailed {
		t.Errorf("exit code %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stdout, "BenchmarkKafka/side=base\t") || !strings.Contains(stdout, "BenchmarkKafka/side=new\t") || strings.Contains(stdout, "FAIL") {
		t.Errorf("stdout is not Go benchmark lines of both sides:\n%s", stdout)
	}
	if !strings.Contains(stderr, "FAIL: throughput") {
		t.Errorf("the verdict is not on stderr:\n%s", stderr)
	}
}

func TestPlot(t *testing.T) {
	dir := t.TempDir()
	sweep := fixture("sweep-franz-10k", "sweep-franz-20k", "sweep-confluent-10k", "sweep-confluent-20k")
	for _, tc := range []struct {
		name string
		args []string
		code int
		// want is part of stderr.
		want string
	}{
		{"spectrum", append(fixture("base-1", "slow-1"), "-o", filepath.Join(dir, "s.svg")), exitOK, "spectrum chart of 2 run(s)"},
		{"timeline", append(fixture("failover"), "--kind", "timeline", "-o", filepath.Join(dir, "t.png")), exitOK, "timeline chart"},
		{"sweep", append(sweep, "--kind", "sweep", "--param", "target_rate", "-o", filepath.Join(dir, "w.png")), exitOK, "sweep:target_rate chart"},
		{"latency-throughput", append(sweep, "--kind", "latency-throughput", "-o", filepath.Join(dir, "l.svg")), exitOK, "latency-throughput chart"},
		{"unknown kind", append(fixture("base-1"), "--kind", "pie", "-o", filepath.Join(dir, "x.png")), exitUsage, "use one of spectrum, e2e-spectrum, timeline, sweep, latency-throughput"},
		{"wrong extension", append(fixture("base-1"), "-o", filepath.Join(dir, "x.jpg")), exitUsage, "end the name in .png or .svg"},
		{"unreadable result", []string{"nosuch.json", "-o", filepath.Join(dir, "x.png")}, exitUsage, "nosuch.json"},
		{"sweep without a parameter", append(fixture("base-1"), "--kind", "sweep", "-o", filepath.Join(dir, "x.png")), exitUsage, "--param"},
		{"parameter no run has", append(fixture("base-1"), "--kind", "sweep", "--param", "nosuch", "-o", filepath.Join(dir, "x.png")), exitUsage, "base-1.json has no such setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := kbench(t, append([]string{"plot"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	for _, f := range []string{"s.svg", "t.png", "w.png", "l.svg"} {
		if !nonEmpty(filepath.Join(dir, f)) {
			t.Errorf("%s was not written", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.png")); err == nil {
		t.Errorf("a refused plot wrote a file")
	}
}

func TestReport(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	if code, _, _ := kbench(t, append([]string{"report", "-o", html}, fixture("base-1", "slow-1", "failover")...)...); code != exitOK {
		t.Fatalf("html report: exit %d", code)
	}
	data, err := os.ReadFile(html)
	if err != nil || !strings.HasPrefix(string(data), "<!DOCTYPE html>") || !strings.Contains(string(data), "<svg") {
		t.Errorf("report.html is not an HTML page with plots (%v)", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the report left other files beside it: %v", entries)
	}
	code, stdout, _ := kbench(t, append([]string{"report"}, fixture("base-1", "slow-1")...)...)
	if code != exitOK || !strings.Contains(stdout, "| run | msgs/s |") {
		t.Errorf("markdown report to stdout: exit %d\n%s", code, stdout)
	}
	if code, _, _ := kbench(t, append([]string{"report", "--format", "pdf"}, fixture("base-1")...)...); code != exitUsage {
		t.Errorf("--format pdf: exit %d, want %d", code, exitUsage)
	}
}

func nonEmpty(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Size() > 0
}

// kbench merge writes the merged result; a shard missing makes it
// incomplete and the exit code 1; results that are not shards are refused
// with exit code 2.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	files := shardFiles(t, dir)
	out := filepath.Join(dir, "merged.json")
	if code, _, _ := kbench(t, append([]string{"merge", "-q", "-o", out}, files...)...); code != exitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
	m, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	one, _ := results.Read(files[0])
	if !m.Complete || len(m.Shards) != 2 || m.Summary.ProducedMessages != 2*one.Summary.ProducedMessages {
		t.Errorf("merged: complete %v, %d shards, %d produced", m.Complete, len(m.Shards), m.Summary.ProducedMessages)
	}

	code, _, stderr := kbench(t, "merge", "-q", "--force", "-o", out, files[1])
	if code != exitFailed || !strings.Contains(stderr, "shard 0 never reported") {
		t.Errorf("one shard of two: exit code %d, want %d naming shard 0", code, exitFailed)
	}
	if m, err := results.Read(out); err != nil || m.Complete {
		t.Errorf("the incomplete merge was not written as incomplete: %v", err)
	}
	if code, _, _ := kbench(t, append([]string{"merge", "-o", out}, fixture("ok-1", "ok-2")...)...); code != exitUsage {
		t.Errorf("results that are not shards: exit code %d, want %d", code, exitUsage)
	}
}

// kbench merge --run-id takes the shards' client config: its bootstrap
// servers and its security settings, which the admin client checks
// before anything is read (exit 2, naming the property).
func TestMergeClientConfig(t *testing.T) {
	props := filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(props, []byte("bootstrap.servers=127.0.0.1:1\nsecurity.protocol=SASL_TLS\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := kbench(t, "merge", "-q", "--run-id", "run-1", "--client-config", props)
	if code != exitUsage || !strings.Contains(stderr, "security.protocol") {
		t.Errorf("exit code %d, want %d naming security.protocol; stderr %q", code, exitUsage, stderr)
	}
}

// --run-id names the run's topics, so one that cannot is refused before
// anything runs; --metrics-addr serves while the run goes on.
func TestRunIDAndMetricsAddr(t *testing.T) {
	if code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--run-id", "no spaces"); code != exitUsage || !strings.Contains(stderr, "--run-id") {
		t.Errorf("bad run id: exit code %d, want %d naming --run-id", code, exitUsage)
	}
	if code, _, _ := kbench(t, "run", "--cluster", "embedded", "--metrics-addr", "not-an-address"); code != exitUsage {
		t.Errorf("bad metrics address: exit code %d, want %d", code, exitUsage)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--messages", "2000", "--run-id", "cli-1",
		"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "1s", "-o", out)
	if code != exitOK || !strings.Contains(stderr, "serving metrics at http://127.0.0.1:") {
		t.Errorf("exit code %d, want 0 and the metrics address in stderr", code)
	}
}
