package distributed

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// runShards runs a shard of the run per workload given, each in its own
// goroutine, against target, and returns their outcomes by index.
func runShards(t *testing.T, target cluster.Target, id string, sh Shard, ws []*workload.Workload) ([]Result, []error) {
	t.Helper()
	outs, errs := make([]Result, len(ws)), make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			admin, err := franz.Driver{}.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: target.Bootstrap()})
			if err != nil {
				errs[i] = err
				return
			}
			defer admin.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			one := sh
			one.Index = i
			outs[i], errs[i] = Run(ctx, bench.Config{Workload: w, Driver: franz.Driver{}, Target: target, Admin: admin,
				RunID: id, Host: results.Host{Hostname: "shard-host"}}, one)
		})
	}
	wg.Wait()
	return outs, errs
}

func mustResolve(t *testing.T, w *workload.Workload) *workload.Workload {
	t.Helper()
	if err := w.Resolve(); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return w
}

func smallWorkload(messages int64) *workload.Workload {
	return &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 100, ProducersPerTopic: 1,
		SubscriptionsPerTopic: 1, Messages: messages, Duration: workload.Duration(time.Minute), MaxInFlight: 100}
}

func shardedWorkload(t *testing.T) *workload.Workload {
	w := smallWorkload(6000)
	w.PartitionsPerTopic, w.ProducersPerTopic, w.ConsumerPerSubscription = 4, 4, 2
	w.Shards = workload.ShardRoles{Producers: []int{0, 1}, Consumers: []int{2}}
	return mustResolve(t, w)
}

// Three shards on kfake, producers on two and consumers on the third: the
// merged counts are the sums over shards and the end offsets, nothing is
// lost or duplicated, and the merged percentiles are those of the union
// of the shards' histograms.
func TestShardsEmbedded(t *testing.T) {
	c, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	outs, errs := runShards(t, c, "shards-1", Shard{Count: 3}, []*workload.Workload{shardedWorkload(t), shardedWorkload(t), shardedWorkload(t)})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	m := outs[0].Merged
	if m == nil || !m.Complete {
		t.Fatalf("merged %+v", m)
	}
	checkMerged(t, m, outs)
	// Shards 1 and 2 measured their clocks over many round trips, to
	// within a few milliseconds on one machine.
	for _, sh := range m.Shards[1:] {
		if sh.ClockRoundTrips < clockPings/2 || sh.ClockErrorMs <= 0 || sh.ClockErrorMs > 5 || math.Abs(sh.ClockOffsetMs) > sh.ClockErrorMs {
			t.Errorf("shard %d: clock offset %g ms ± %g ms over %d round trips", sh.Index, sh.ClockOffsetMs, sh.ClockErrorMs, sh.ClockRoundTrips)
		}
	}
	if outs[2].Own.Summary.ProducedMessages != 0 || outs[0].Own.Summary.ConsumedMessages != 0 {
		t.Error("roles not kept: shard 2 produced, or shard 0 consumed")
	}
}

// checkMerged checks a merged result against its shards' own results.
func checkMerged(t *testing.T, m *results.Run, outs []Result) {
	t.Helper()
	var produced, consumed int64
	pub, e2e := results.NewHist(), results.NewHist()
	for _, o := range outs {
		if o.Own == nil {
			continue
		}
		produced += o.Own.Summary.ProducedMessages
		consumed += o.Own.Summary.ConsumedMessages
		for _, x := range []struct {
			dst *hdrhistogram.Histogram
			src string
		}{{pub, o.Own.Histograms.Publish}, {e2e, o.Own.Histograms.E2E}} {
			h, err := results.DecodeHist(x.src)
			if err != nil {
				t.Fatal(err)
			}
			x.dst.Merge(h)
		}
	}
	s := m.Summary
	if s.ProducedMessages != produced || s.ConsumedMessages != consumed || m.Verify == nil || m.Verify.EndOffsets != produced || consumed != produced {
		t.Errorf("merged produced %d consumed %d end offsets %v; shards produced %d consumed %d", s.ProducedMessages, s.ConsumedMessages, m.Verify, produced, consumed)
	}
	if s.Lost != 0 || s.Duplicated != 0 || s.Unverified != 0 {
		t.Errorf("lost %d duplicated %d unverified %d (%s)", s.Lost, s.Duplicated, s.Unverified, m.Verify.OffsetCheck)
	}
	if want := float64(pub.ValueAtQuantile(99)) / 1000; s.PublishLatencyMs.P99 != want {
		t.Errorf("merged publish p99 %g ms, union of the shards' %g ms", s.PublishLatencyMs.P99, want)
	}
	if want := float64(e2e.ValueAtQuantile(99)) / 1000; s.E2ELatencyMs.P99 != want {
		t.Errorf("merged e2e p99 %g ms, union of the shards' %g ms", s.E2ELatencyMs.P99, want)
	}
}

// A shard whose workload differs is refused, and the run goes on without
// it, incomplete.
func TestShardRefusedWorkload(t *testing.T) {
	c, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := smallWorkload(2000)
	other := smallWorkload(2000)
	other.MessageSize = 200
	outs, errs := runShards(t, c, "shards-2", Shard{Count: 2, MeetTimeout: 20 * time.Second},
		[]*workload.Workload{mustResolve(t, w), mustResolve(t, other)})
	if !errors.Is(errs[1], workload.ErrBadWorkload) || !strings.Contains(errs[1].Error(), "refused") {
		t.Errorf("shard 1: %v, want a refusal", errs[1])
	}
	m := outs[0].Merged
	if m == nil || m.Complete || m.Shards[1].State != results.ShardMissing || !strings.Contains(m.Shards[1].Incomplete, "workload") {
		t.Fatalf("merged %+v", m)
	}
}

// With the topics kept, the shards' results stay on the control topic,
// and CollectShards reads them back for a merge from anywhere; then
// DeleteRunTopics removes the run's topics and the control topic.
func TestCollectShards(t *testing.T) {
	c, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ws := make([]*workload.Workload, 2)
	for i := range ws {
		w := smallWorkload(2000)
		w.KeepTopics = true
		ws[i] = mustResolve(t, w)
	}
	outs, errs := runShards(t, c, "collect-1", Shard{Count: 2}, ws)
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	admin, err := franz.Driver{}.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: c.Bootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	got, err := CollectShards(context.Background(), franz.Driver{}, admin, c.Bootstrap(), nil, ws[0].TopicPrefix, "collect-1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := results.Merge(got)
	if err != nil {
		t.Fatal(err)
	}
	want := outs[0].Merged
	if len(got) != 2 || m.Summary.ProducedMessages != want.Summary.ProducedMessages || m.Summary.PublishLatencyMs != want.Summary.PublishLatencyMs {
		t.Errorf("merged from the control topic: %d results, %+v; shard 0 merged %+v", len(got), m.Summary, want.Summary)
	}
	if err := DeleteRunTopics(context.Background(), admin, m); err != nil {
		t.Fatal(err)
	}
	if _, err := CollectShards(context.Background(), franz.Driver{}, admin, c.Bootstrap(), nil, ws[0].TopicPrefix, "collect-1"); err == nil {
		t.Error("the control topic is still there after DeleteRunTopics")
	}
}
