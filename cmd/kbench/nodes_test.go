package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kbench/kbench/results"
)

// A sweep over cluster sizes on real Apache Kafka starts a 1-node and a
// 3-node cluster in turn under the sweep's directory, and stops each: no
// broker's data is left behind. Skipped without KBENCH_LOCAL_DIR, which
// says Apache Kafka can run here.
func TestLocalSweepNodes(t *testing.T) {
	// It starts clusters of 1 and 3 nodes of its own: a long case.
	if os.Getenv("KBENCH_LONG_TESTS") != "1" {
		t.Skip("a long case: KBENCH_LONG_TESTS=1 runs it ('make test-long')")
	}
	dir := t.TempDir()
	code, _, stderr := kbench(t, "sweep", "--cluster", "local", "--workload", "capacity", "--rate", "1000",
		"--duration", "3s", "--set", "warmup=0s", "--set", "partitionsPerTopic=6", "--vary", "nodes=1,3", "-q", "-o", dir)
	if code != exitOK {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
	in, err := results.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Runs) != 2 {
		t.Fatalf("%d results, want 2", len(in.Runs))
	}
	for i, want := range []int{1, 3} {
		r := in.Runs[i]
		if len(r.Cluster.Nodes) != want || r.Cluster.Kind != results.KindLocal || !r.Complete {
			t.Errorf("point %d: %d nodes of %s, complete %v; want %d local", i+1, len(r.Cluster.Nodes), r.Cluster.Kind, r.Complete, want)
		}
	}
	// Each cluster was stopped and its data removed when the sweep moved on.
	data, _ := filepath.Glob(filepath.Join(dir, "clusters", "*", "node-*", "data"))
	if len(data) > 0 {
		t.Errorf("brokers' data left behind: %v", data)
	}
}
