package bench

import (
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
	"github.com/kbench/kbench/workloads"
)

// The shipped exactly-once-failover workload, shortened, on kfake with
// each driver: transactions commit through a stall of the leader, and
// every committed message is read once and in order. A pause, not the
// workload's kill: once kfake adds a removed node back, transactional
// producers stop getting acknowledgements altogether (seen with franz
// against kfake 1.22); bench/txn_local_test.go kills real brokers.
func TestExactlyOnceFailoverEmbedded(t *testing.T) {
	data, ok := workloads.Lookup("exactly-once-failover")
	if !ok {
		t.Fatal("exactly-once-failover is not shipped")
	}
	for _, name := range all.Names() {
		t.Run(name, func(t *testing.T) {
			w, err := workload.ParseWorkload(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range [][2]string{{"warmup", "1s"}, {"duration", "6s"}, {"drain", "30s"}, {"producerRate", "1000"}} {
				if err := w.Set(kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
			w.Faults[0].At, w.Faults[0].Duration, w.Faults[0].Action = workload.Duration(2*time.Second), workload.Duration(2*time.Second), cluster.ActionPause
			d, _ := all.Get(name)
			res := runEmbedded(t, w, d)
			s, v, tx := res.Summary, res.Verify, res.Summary.Transactions
			if tx == nil || tx.Committed == 0 || tx.RatePerS <= 0 || tx.CommitLatencyMs.Count == 0 || res.Histograms.Commit == "" {
				t.Fatalf("transactions %+v, commit histogram %q: want commits measured", tx, res.Histograms.Commit)
			}
			if s.Lost+s.Duplicated+s.Reordered+v.AbortedRead != 0 || s.Unverified != 0 {
				t.Errorf("lost %d dup %d reordered %d aborted read %d unverified %d (%v)", s.Lost, s.Duplicated, s.Reordered, v.AbortedRead, s.Unverified, v.LostSamples)
			}
			if s.ProducedMessages == 0 || v.Acked != s.ProducedMessages {
				t.Errorf("produced %d, verified committed %d", s.ProducedMessages, v.Acked)
			}
			var commits int64
			for _, iv := range res.Intervals {
				commits += iv.Commits
			}
			if commits != tx.Committed {
				t.Errorf("intervals count %d commits, the summary %d", commits, tx.Committed)
			}
			t.Logf("%s: %d committed (%.0f/s), %d aborted %v, %d in doubt; commit p99 %.1f ms; publish p99 %.1f ms; e2e p99 %.1f ms; %d messages",
				name, tx.Committed, tx.RatePerS, tx.Aborted, tx.AbortedByKind, tx.InDoubt, tx.CommitLatencyMs.P99, s.PublishLatencyMs.P99, s.E2ELatencyMs.P99, s.ProducedMessages)
		})
	}
}

// A message of an aborted transaction that was read is counted and
// sampled; one of a transaction in doubt is neither lost nor unacked.
func TestTxnVerdict(t *testing.T) {
	v := newVerifier(1, []uint64{10})
	for seq := range uint64(10) {
		if seq != 4 { // seq 4 of the in-doubt range was not read
			v.consumed[0].add(seq)
		}
	}
	p := &producer{id: 0, txn: &txn{
		aborted: results.Seqs{{From: 2, To: 4}},
		inDoubt: results.Seqs{{From: 4, To: 6}},
	}}
	r := &run{producers: []*producer{p}}
	acked := newBitset(10)
	for _, seq := range []uint64{0, 1, 6, 7, 8, 9} {
		acked.set(seq)
	}
	out := v.verdict([]bitset{acked}, []uint64{10}, true)
	r.txnVerdict(v, &out)
	if out.AbortedRead != 2 || out.InDoubt != 2 || out.Unacked != 0 || out.Lost != 0 || len(out.AbortedSamples) != 2 {
		t.Errorf("verdict %+v: want 2 aborted read, 2 in doubt, nothing unacked or lost", out)
	}
}
