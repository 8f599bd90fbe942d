package bench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// transformWorkload is a small transforming run: 2 topics of 3
// partitions, 2 transactional producers and 2 transformers per topic.
func transformWorkload() *workload.Workload {
	return &workload.Workload{Topics: 2, PartitionsPerTopic: 3, MessageSize: 100, ProducersPerTopic: 2,
		SubscriptionsPerTopic: 1, ConsumerPerSubscription: 2, ProducerRate: 2000, MaxInFlight: 1000,
		Warmup: workload.Duration(time.Second), Duration: workload.Duration(3 * time.Second),
		UseTransactions: true, TransactionSize: 10, TransformsPerTopic: 2}
}

// runTransformMem runs w on a fresh memCluster whose transform commits
// abort when abort says, and returns the result and the cluster.
func runTransformMem(t *testing.T, w *workload.Workload, abort func(n int) bool) (*results.Run, *memCluster) {
	t.Helper()
	cfg, c := memConfig(mustResolve(t, w))
	c.ackLag = func(time.Time) time.Duration { return time.Millisecond }
	c.abortTransformCommit = abort
	cfg.RunID = "xf"
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Fatalf("run incomplete: %s", res.Incomplete)
	}
	return res, c
}

// Every fourth transform commit aborts: its input is read again and
// written in a later transaction, its output is never read, and the
// figures match the cluster's own state (committed records, the groups'
// committed offsets, the aborted output records).
func TestTransformExactlyOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := transformWorkload()
		res, c := runTransformMem(t, w, func(n int) bool { return n%4 == 0 })
		s, v, x := res.Summary, res.Verify, res.Summary.Transform
		if x == nil || s.Transactions == nil {
			t.Fatalf("transform %+v, transactions %+v: want both", x, s.Transactions)
		}
		if s.Lost+s.Duplicated+s.Reordered+s.Unverified+v.AbortedRead+v.Unacked != 0 {
			t.Errorf("lost %d dup %d reordered %d unverified %d aborted read %d unacked %d (%v %v)",
				s.Lost, s.Duplicated, s.Reordered, s.Unverified, v.AbortedRead, v.Unacked, v.LostSamples, v.AbortedSamples)
		}
		// 2000/s for 4 s, all committed, all transformed, all read.
		if s.ProducedMessages != 8000 || s.ConsumedMessages != 8000 || v.Acked != 8000 {
			t.Errorf("produced %d, consumed %d, verified %d: want 8000", s.ProducedMessages, s.ConsumedMessages, v.Acked)
		}
		// Truths of the cluster: the records of committed transactions
		// in the output topics, those of aborted ones, and the number of
		// commits asked for, a quarter of which aborted.
		var outCommitted, outAborted int64
		for _, topic := range res.Cluster.Topics {
			outCommitted += c.committedCount(OutputTopic(topic))
			outAborted += c.stateCount(OutputTopic(topic), txnAborted)
		}
		if x.CommittedMessages != outCommitted || outCommitted != 8000 {
			t.Errorf("transformed %d, output topics hold %d committed records: want 8000", x.CommittedMessages, outCommitted)
		}
		if injected := int64(c.transformCommits / 4); x.Aborted != injected || x.AbortedByKind["other"] != injected || injected == 0 {
			t.Errorf("aborted %d %v, injected %d of %d commits", x.Aborted, x.AbortedByKind, injected, c.transformCommits)
		}
		if x.Committed+x.AbortedByKind["other"] != int64(c.transformCommits) || x.InDoubt != 0 {
			t.Errorf("committed %d + aborted %v, in doubt %d: want the %d commits asked for", x.Committed, x.AbortedByKind, x.InDoubt, c.transformCommits)
		}
		if x.AbortedMessages != outAborted || outAborted == 0 {
			t.Errorf("aborted messages %d, aborted output records %d", x.AbortedMessages, outAborted)
		}
		// The groups committed the offsets of everything committed.
		for ti, topic := range res.Cluster.Topics {
			g := c.groups[transformGroup(w.TopicPrefix, "xf", ti)]
			for p := range w.PartitionsPerTopic {
				if got, want := g.committed[int32(p)], c.committedEnd(topic, p); got != want || want == 0 {
					t.Errorf("%s/%d: group committed %d, input committed end %d", topic, p, got, want)
				}
			}
		}
		var transformed, commits int64
		for _, iv := range res.Intervals {
			transformed += iv.Transformed
			commits += iv.TransformCommits
		}
		if transformed != x.CommittedMessages || commits != x.Committed {
			t.Errorf("intervals: %d transformed in %d commits; summary %d in %d", transformed, commits, x.CommittedMessages, x.Committed)
		}
		if x.CommitLatencyMs.Count == 0 || x.RatePerS <= 0 || res.Histograms.TransformCommit == "" {
			t.Errorf("transform commit latency %+v, rate %g, histogram %q", x.CommitLatencyMs, x.RatePerS, res.Histograms.TransformCommit)
		}
		t.Logf("transform %+v; e2e %+v; %d commits asked", *x, s.E2ELatencyMs, c.transformCommits)
		// End-to-end latency spans the producers' commit, the transform
		// and its commit: at least the 1 ms acknowledgement twice.
		if e := s.E2ELatencyMs; e.Count == 0 || e.P50 < 2 {
			t.Errorf("end-to-end latency %+v: want it to include both stages", e)
		}
	})
}

// Subscriptions reading read_uncommitted see the aborted transform
// transactions' output: each such record is read again when its input is
// transformed anew, so duplicates are exactly the aborted messages.
func TestTransformReadUncommitted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := transformWorkload()
		if err := w.Set("consumer.isolation.level", "read_uncommitted"); err != nil {
			t.Fatal(err)
		}
		res, _ := runTransformMem(t, w, func(n int) bool { return n%4 == 0 })
		s, x := res.Summary, res.Summary.Transform
		if x.AbortedMessages == 0 || s.Duplicated != x.AbortedMessages || s.Lost != 0 {
			t.Errorf("duplicated %d, lost %d, aborted transform messages %d: want duplicates = aborted", s.Duplicated, s.Lost, x.AbortedMessages)
		}
	})
}

// A record read that only aborted transform transactions wrote counts as
// an aborted read; one also committed, or in doubt, does not.
func TestTransformVerdict(t *testing.T) {
	v := newVerifier(1, []uint64{8})
	for _, seq := range []uint64{1, 2, 3, 4, 5} {
		v.consumed[0].add(seq)
	}
	set := func(seqs ...uint64) []bitset {
		b := newBitset(8)
		for _, s := range seqs {
			b.set(s)
		}
		return []bitset{b}
	}
	r := &run{xf: &transforms{members: []*transformer{
		{aborted: set(1, 2, 3), committed: set(2), inDoubt: set()},
		{aborted: set(1, 5), committed: set(4), inDoubt: set(3)},
	}}}
	var out results.Verify
	r.transformVerdict(v, &out)
	if out.AbortedRead != 2 || len(out.AbortedSamples) != 2 || !strings.Contains(out.AbortedSamples[1], "seq 5") {
		t.Errorf("aborted read %d %v: want seqs 1 and 5", out.AbortedRead, out.AbortedSamples)
	}
}

// Transformers whose every commit aborts never finish: the drain says so
// when its time runs out, and what was committed upstream is unverified,
// not lost.
func TestTransformNeverCommits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := transformWorkload()
		w.ProducerRate, w.Warmup, w.Duration, w.Drain = 200, 0, workload.Duration(time.Second), workload.Duration(time.Second)
		res, _ := runTransformMem(t, w, func(int) bool { return true })
		s := res.Summary
		if s.Transform.Committed != 0 || s.Lost != 0 || s.Unverified != s.ProducedMessages || s.ConsumedMessages != 0 {
			t.Errorf("transform commits %d, lost %d, unverified %d of %d, consumed %d", s.Transform.Committed, s.Lost, s.Unverified, s.ProducedMessages, s.ConsumedMessages)
		}
		if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "the transformers had not committed") }) {
			t.Errorf("notes %q: want the unfinished transformers named", res.Notes)
		}
	})
}

// A driver that cannot transform is refused before anything runs, with
// the field named.
func TestTransformNeedsDriver(t *testing.T) {
	cfg, _ := memConfig(mustResolve(t, transformWorkload()))
	cfg.Driver = struct{ drivers.Driver }{cfg.Driver}
	_, err := Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "transformsPerTopic: the mem driver cannot run transformers") {
		t.Errorf("error %v", err)
	}
}
