package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// shardWorkload is a time-bound workload at a fixed rate, producers on
// shards 0 and 1, consumers on shard 2.
const shardWorkload = `name: shards
topics: 1
partitionsPerTopic: 6
messageSize: 512
keyDistributor: NO_KEY
producersPerTopic: 4
subscriptionsPerTopic: 1
consumerPerSubscription: 2
producerRate: 4000
warmup: 2s
duration: %s
drain: 30s
shards: {producers: [0, 1], consumers: [2]}
`

// localDir is the shared real cluster's directory; the test is skipped
// without one. Shard processes are this test binary (see TestMain).
func localDir(t *testing.T) string {
	dir := os.Getenv("KBENCH_LOCAL_DIR")
	if dir == "" {
		t.Skip("KBENCH_LOCAL_DIR is not set: no real Kafka cluster to test against ('make test' starts one)")
	}
	t.Setenv("KBENCH_AS_MAIN", "1")
	return dir
}

func writeWorkload(t *testing.T, duration string) string {
	path := filepath.Join(t.TempDir(), "shards.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(shardWorkload, "%s", duration, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Three local shards, producers on two and consumers on the third, on
// the real cluster: the merged counts are the sums over shards and the
// brokers' end offsets, nothing is lost or duplicated, and the merged p99
// is the p99 of the union of the shards' histograms.
func TestLocalShards(t *testing.T) {
	dir := localDir(t)
	wl := writeWorkload(t, "10s")
	out := filepath.Join(t.TempDir(), "merged.json")
	code, _, stderr := kbench(t, "run", "--cluster", "local", "--cluster-dir", dir, "--workload", wl,
		"--local-shards", "3", "-q", "-o", out)
	if code != exitOK {
		t.Fatalf("exit code %d, want 0:\n%s", code, stderr)
	}
	m, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	var produced, consumed int64
	pub, e2e := results.NewHist(), results.NewHist()
	for i := range 3 {
		s, err := results.Read(strings.TrimSuffix(out, ".json") + "-shard-" + strconv.Itoa(i) + ".json")
		if err != nil {
			t.Fatal(err)
		}
		produced += s.Summary.ProducedMessages
		consumed += s.Summary.ConsumedMessages
		addHist(t, pub, s.Histograms.Publish)
		addHist(t, e2e, s.Histograms.E2E)
		if (i == 2) != (s.Summary.ConsumedMessages > 0) || (i == 2) == (s.Summary.ProducedMessages > 0) {
			t.Errorf("shard %d produced %d consumed %d: roles not kept", i, s.Summary.ProducedMessages, s.Summary.ConsumedMessages)
		}
	}
	s, v := m.Summary, m.Verify
	t.Logf("merged: produced %d consumed %d end offsets %d, %.0f msgs/s, publish p99 %.2f ms, e2e p99 %.2f ms, clock notes %q",
		s.ProducedMessages, s.ConsumedMessages, v.EndOffsets, s.ProduceRateMsgs, s.PublishLatencyMs.P99, s.E2ELatencyMs.P99, m.Notes)
	if !m.Complete || len(m.Shards) != 3 {
		t.Errorf("merged complete %v (%s), %d shards", m.Complete, m.Incomplete, len(m.Shards))
	}
	if s.ProducedMessages != produced || s.ConsumedMessages != consumed || v.EndOffsets != produced || consumed != produced || produced < 30000 {
		t.Errorf("merged produced %d consumed %d, end offsets %d; the shards produced %d consumed %d", s.ProducedMessages, s.ConsumedMessages, v.EndOffsets, produced, consumed)
	}
	if s.Lost != 0 || s.Duplicated != 0 || s.Unverified != 0 {
		t.Errorf("lost %d duplicated %d unverified %d: %s", s.Lost, s.Duplicated, s.Unverified, v.OffsetCheck)
	}
	if want := float64(pub.ValueAtQuantile(99)) / 1000; s.PublishLatencyMs.P99 != want {
		t.Errorf("merged publish p99 %g ms, the union's %g ms", s.PublishLatencyMs.P99, want)
	}
	if want := float64(e2e.ValueAtQuantile(99)) / 1000; s.E2ELatencyMs.P99 != want {
		t.Errorf("merged e2e p99 %g ms, the union's %g ms", s.E2ELatencyMs.P99, want)
	}
}

// addHist adds the encoded histogram enc to h.
func addHist(t *testing.T, h *hdrhistogram.Histogram, enc string) {
	t.Helper()
	src, err := results.DecodeHist(enc)
	if err != nil {
		t.Fatal(err)
	}
	results.MergeHist(h, src)
}

// A shard killed with SIGKILL mid-run: the others finish within bounded
// time, and shard 0's merged result names the dead shard, is incomplete,
// and its exit code is non-zero.
func TestShardKilled(t *testing.T) {
	dir := localDir(t)
	wl := writeWorkload(t, "15s")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	runID := "killed-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	cmds := make([]*exec.Cmd, 3)
	logs := make([]bytes.Buffer, 3)
	for i := range cmds {
		cmds[i] = exec.CommandContext(ctx, exe, "run", "--cluster", "local", "--cluster-dir", dir, "--workload", wl,
			"--shards", "3", "--shard", strconv.Itoa(i), "--run-id", runID,
			"-o", filepath.Join(outDir, "shard-"+strconv.Itoa(i)+".json"))
		cmds[i].Stderr = &logs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		if t.Failed() {
			for i := range logs {
				t.Logf("shard %d's log:\n%s", i, logs[i].String())
			}
		}
	}()
	time.Sleep(12 * time.Second) // the meeting, then well into measurement
	if err := cmds[1].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	codes := make([]int, 3)
	for i, c := range cmds {
		err := c.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			codes[i] = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	took := time.Since(start)
	t.Logf("exit codes %v after %s", codes, took.Round(time.Second))
	if codes[0] == 0 {
		t.Error("shard 0 exited 0 with a shard dead")
	}
	// 2 s warm-up, 15 s, a 10 s silence, the drain and the merge.
	if took > 2*time.Minute {
		t.Errorf("the run took %s", took)
	}
	m, err := results.Read(filepath.Join(outDir, "shard-0-merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Complete || m.Shards[1].State != results.ShardMissing || !strings.Contains(m.Incomplete, "shard 1") {
		t.Errorf("merged: complete %v, shard 1 %s, incomplete %q", m.Complete, m.Shards[1].State, m.Incomplete)
	}
	if m.Shards[0].State != results.ShardComplete || m.Shards[2].State != results.ShardComplete {
		t.Errorf("shards 0 and 2: %s, %s", m.Shards[0].State, m.Shards[2].State)
	}
}

// --local-shards on the embedded cluster: the shard processes reach this
// process's kfake, and the merged result adds up; each shard prints its
// progress lines (its stderr is no terminal). --shards alone cannot use an
// embedded cluster.
func TestLocalShardsEmbedded(t *testing.T) {
	t.Setenv("KBENCH_AS_MAIN", "1")
	out := filepath.Join(t.TempDir(), "m.json")
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--messages", "4000", "--set", "producersPerTopic=2",
		"--local-shards", "2", "--metrics-addr", "127.0.0.1:0", "--metrics-linger", "0s", "-o", out)
	if code != exitOK {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
	m, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || len(m.Shards) != 2 || m.Summary.ProducedMessages != 4000 || m.Summary.ConsumedMessages != 4000 || m.Summary.Lost != 0 {
		t.Errorf("merged: complete %v, %d shards, produced %d, consumed %d, lost %d", m.Complete, len(m.Shards),
			m.Summary.ProducedMessages, m.Summary.ConsumedMessages, m.Summary.Lost)
	}
	if m.Cluster.Kind != results.KindEmbedded || !strings.Contains(m.Cluster.KafkaVersion, "kfake") {
		t.Errorf("merged result's cluster %s %q, want embedded kfake", m.Cluster.Kind, m.Cluster.KafkaVersion)
	}
	if !strings.Contains(stderr, "shard 1: serving metrics at http://127.0.0.1:") {
		t.Error("shard 1 served no metrics")
	}
	for _, sh := range []string{"0", "1"} {
		if !regexp.MustCompile(`(?m)^shard ` + sh + `: (warmup|measure|drain) .* msgs/s  worst 1s p99 `).MatchString(stderr) {
			t.Errorf("shard %s printed no progress line", sh)
		}
	}
	if code, _, _ := kbench(t, "run", "--cluster", "embedded", "--shards", "2", "--shard", "0", "--run-id", "x"); code != exitUsage {
		t.Errorf("--shards on embedded: exit code %d, want %d", code, exitUsage)
	}
}
