package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
	"github.com/kbench/kbench/workloads"
)

// transformWorkloadShipped is the shipped exactly-once-transform with
// sets applied.
func transformWorkloadShipped(t *testing.T, sets ...[2]string) *workload.Workload {
	t.Helper()
	data, ok := workloads.Lookup("exactly-once-transform")
	if !ok {
		t.Fatal("exactly-once-transform is not shipped")
	}
	w, err := workload.ParseWorkload(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range sets {
		if err := w.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// transformDriver returns the named driver, skipping t if it cannot run
// transformers.
func transformDriver(t *testing.T, name string) drivers.Driver {
	t.Helper()
	d, err := all.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(drivers.TransformDriver); !ok {
		t.Skipf("the %s driver has no NewTransformer (drivers.TransformDriver) yet: nothing to run the transform stage with", name)
	}
	return d
}

// checkTransform fails t unless the transform stage committed, and every
// message committed upstream was read once, in order, from the output,
// none of an aborted transaction of either stage.
func checkTransform(t *testing.T, res *results.Run) {
	t.Helper()
	checkExactlyOnce(t, res)
	x := res.Summary.Transform
	if x == nil || x.Committed == 0 || x.CommitLatencyMs.Count == 0 || res.Histograms.TransformCommit == "" {
		t.Fatalf("transform %+v: want its commits measured", x)
	}
	if x.CommittedMessages != res.Verify.Acked {
		t.Errorf("transformers committed %d messages, producers %d", x.CommittedMessages, res.Verify.Acked)
	}
	t.Logf("%s transform: %d committed (%.1f/s), %d aborted %v (%d messages), %d in doubt; commit p50 %.1f p99 %.1f max %.1f ms; %d messages",
		res.Driver.Name, x.Committed, x.RatePerS, x.Aborted, x.AbortedByKind, x.AbortedMessages, x.InDoubt,
		x.CommitLatencyMs.P50, x.CommitLatencyMs.P99, x.CommitLatencyMs.Max, x.CommittedMessages)
}

// The shipped exactly-once-transform, shortened, on kfake with each
// driver that can transform; a pause, not the kill (see
// TestExactlyOnceFailoverEmbedded).
func TestExactlyOnceTransformEmbedded(t *testing.T) {
	for _, name := range all.Names() {
		t.Run(name, func(t *testing.T) {
			d := transformDriver(t, name)
			w := transformWorkloadShipped(t, [2]string{"warmup", "1s"}, [2]string{"duration", "6s"}, [2]string{"drain", "30s"}, [2]string{"producerRate", "1000"})
			w.Faults[0].At, w.Faults[0].Duration, w.Faults[0].Action = workload.Duration(2*time.Second), workload.Duration(2*time.Second), cluster.ActionPause
			checkTransform(t, runEmbedded(t, w, d))
		})
	}
}

// Through the kill of an input partition's leader, nothing committed is
// lost on the way through the transform stage; the groups' committed
// offsets and the output topics, read with kadm and kgo, agree with the
// result.
func TestLocalExactlyOnceTransform(t *testing.T) {
	l := localCluster(t)
	for _, name := range driversFor(t, "franz") {
		t.Run(name, func(t *testing.T) {
			transformDriver(t, name)
			w := transformWorkloadShipped(t, [2]string{"duration", "14s"}, [2]string{"warmup", "2s"}, [2]string{"keepTopics", "true"})
			w.Faults[0].At, w.Faults[0].Duration = workload.Duration(4*time.Second), workload.Duration(4*time.Second)
			runID := NewRunID()
			w = mustResolve(t, w)
			topics := TopicNames(w, runID)
			t.Cleanup(func() { deleteTopics(t, l.Bootstrap(), topics) })
			res := runTxnLocal(t, l, name, runID, w)
			checkTransform(t, res)
			checkTransformTruth(t, l.Bootstrap(), w, runID, res)
		})
	}
}

// checkTransformTruth reads what kbench did not compute: each group's
// committed offsets lie between the offset after the input's last
// committed record and the input's end offset (past markers), both read
// with kgo and kadm, and a read_committed read of the output topics finds
// exactly the messages the result says were committed.
func checkTransformTruth(t *testing.T, bootstrap []string, w *workload.Workload, runID string, res *results.Run) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	topics := TopicNames(w, runID)
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	_, committedEnds := readCommitted(t, bootstrap, topics)
	var outputs []string
	for ti, topic := range topics {
		outputs = append(outputs, OutputTopic(topic))
		group := transformGroup(w.TopicPrefix, runID, ti)
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			t.Fatalf("committed offsets of %s: %v", group, err)
		}
		for p := range int32(w.PartitionsPerTopic) {
			end, _ := ends.Lookup(topic, p)
			got, ok := offs.Lookup(topic, p)
			if low := committedEnds[topic][p]; !ok || low == 0 || got.At < low || got.At > end.Offset {
				t.Errorf("%s/%d: group committed %d, want from %d (after the last committed record) to %d (the end offset)", topic, p, got.At, low, end.Offset)
			}
		}
	}
	read, _ := readCommitted(t, bootstrap, outputs)
	if read != res.Verify.Acked || read != res.Summary.Transform.CommittedMessages {
		t.Errorf("the output topics hold %d committed records; the result says %d committed, %d transformed", read, res.Verify.Acked, res.Summary.Transform.CommittedMessages)
	}
}

// readCommitted reads topics as a read_committed reader does, until a
// poll finds nothing for 3 s (the run has ended, so no transaction is
// open), and returns the records read and, per partition, the offset
// after the last one.
func readCommitted(t *testing.T, bootstrap []string, topics []string) (int64, map[string]map[int32]int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.ConsumeTopics(topics...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var n int64
	after := map[string]map[int32]int64{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("read %s/%d: %v", topic, p, err)
			}
		})
		if fs.NumRecords() == 0 {
			return n, after
		}
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if after[r.Topic] == nil {
				after[r.Topic] = map[int32]int64{}
			}
			after[r.Topic][r.Partition] = r.Offset + 1
		})
	}
}

// deleteTopics deletes a kept run's topics and their output topics.
func deleteTopics(t *testing.T, bootstrap []string, topics []string) {
	admin, err := franz.Driver{}.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: bootstrap})
	if err != nil {
		t.Error(err)
		return
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, topic := range topics {
		for _, name := range []string{topic, OutputTopic(topic)} {
			if err := admin.DeleteTopic(ctx, name); err != nil {
				t.Errorf("delete %s: %v", name, err)
			}
		}
	}
}
