package bench

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/internal/poll"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
	"github.com/kbench/kbench/workloads"
)

// txnFailoverWorkload is the shipped exactly-once-failover, shortened like
// failoverWorkload for the test clusters' fast failover: a 14 s
// measurement with its fault from 4 s to 8 s.
func txnFailoverWorkload(t *testing.T) *workload.Workload {
	t.Helper()
	data, _ := workloads.Lookup("exactly-once-failover")
	w, err := workload.ParseWorkload(data)
	if err != nil {
		t.Fatal(err)
	}
	w.Duration, w.Warmup = workload.Duration(14*time.Second), workload.Duration(2*time.Second)
	w.Faults[0].At, w.Faults[0].Duration = workload.Duration(4*time.Second), workload.Duration(4*time.Second)
	return w
}

// runTxnLocal runs w on l with the named driver under run id runID.
func runTxnLocal(t *testing.T, l *local.Cluster, driver, runID string, w *workload.Workload) *results.Run {
	t.Helper()
	d, err := all.Get(driver)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := franz.Driver{}.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: l.Bootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Workload: mustResolve(t, w), Driver: d, Target: l, Admin: admin, RunID: runID})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete {
		t.Errorf("run incomplete: %s", res.Incomplete)
	}
	return res
}

// checkExactlyOnce fails t unless every committed message was read once,
// in order, and no aborted one was read.
func checkExactlyOnce(t *testing.T, res *results.Run) {
	t.Helper()
	s, v, tx := res.Summary, res.Verify, res.Summary.Transactions
	if tx == nil || tx.Committed == 0 || v == nil {
		t.Fatalf("no transactions committed: %+v", tx)
	}
	// Every message read was committed (unacked: read, not committed).
	if s.Lost+s.Duplicated+s.Reordered+s.Unverified+v.AbortedRead+v.Unacked != 0 {
		t.Errorf("lost %d dup %d reordered %d unverified %d aborted read %d read uncommitted %d (%v %v)",
			s.Lost, s.Duplicated, s.Reordered, s.Unverified, v.AbortedRead, v.Unacked, v.LostSamples, v.AbortedSamples)
	}
	t.Logf("%s: %d committed (%.1f/s), %d aborted %v (%d messages), %d in doubt; commit p50 %.1f p99 %.1f max %.1f ms; publish p99 %.1f ms; e2e p50 %.1f p99 %.1f max %.1f ms; %d messages committed, %d read",
		res.Driver.Name, tx.Committed, tx.RatePerS, tx.Aborted, tx.AbortedByKind, tx.AbortedMessages, tx.InDoubt,
		tx.CommitLatencyMs.P50, tx.CommitLatencyMs.P99, tx.CommitLatencyMs.Max, s.PublishLatencyMs.P99,
		s.E2ELatencyMs.P50, s.E2ELatencyMs.P99, s.E2ELatencyMs.Max, v.Acked, v.Consumed)
	for _, f := range res.Failover {
		t.Logf("%s: %s broker %d: longest without a commit %.2f s, recovery %.2f s", res.Driver.Name, f.Fault.Action, f.Fault.Broker, f.MaxNoAckS, f.RecoveryS)
	}
}

// Through the kill of a partition leader, nothing committed is lost, on
// either driver.
func TestLocalExactlyOnceLeaderKill(t *testing.T) {
	l := localCluster(t)
	for _, name := range driversFor(t, "franz") {
		t.Run(name, func(t *testing.T) {
			res := runTxnLocal(t, l, name, NewRunID(), txnFailoverWorkload(t))
			checkExactlyOnce(t, res)
		})
	}
}

// Through the kill of the broker coordinating producer 0's transactions
// (found before the run, from its transactional id), nothing committed
// is lost.
func TestLocalExactlyOnceCoordinatorKill(t *testing.T) {
	l := localCluster(t)
	for _, name := range driversFor(t, "confluent") {
		t.Run(name, func(t *testing.T) {
			runID := NewRunID()
			w := txnFailoverWorkload(t)
			w.Faults[0].Target = "broker:" + strconv.Itoa(int(txnCoordinator(t, l.Bootstrap(), transactionalID("", runID, 0))))
			w.Faults[0].Action = cluster.ActionKill
			res := runTxnLocal(t, l, name, runID, w)
			checkExactlyOnce(t, res)
		})
	}
}

// txnCoordinator returns the broker that coordinates transactional id id.
func txnCoordinator(t *testing.T, bootstrap []string, id string) int32 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A cluster's first FindCoordinator for transactions creates the
	// transaction state topic: the coordinator is not available until
	// its partitions have leaders.
	var node int32
	err = poll.Until(ctx, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		for _, c := range kadm.NewClient(cl).FindTxnCoordinators(ctx, id) {
			if errors.Is(c.Err, kerr.CoordinatorNotAvailable) || errors.Is(c.Err, kerr.CoordinatorLoadInProgress) {
				return false, nil
			}
			node = c.NodeID
			return true, c.Err
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("find the coordinator of %s: %v", id, err)
	}
	return node
}

// driversFor is the drivers a failover case runs with: one (each case
// another, so both drivers are covered), or every driver in 'make
// test-long' (KBENCH_LONG_TESTS=1).
func driversFor(t *testing.T, one string) []string {
	t.Helper()
	if os.Getenv("KBENCH_LONG_TESTS") == "1" {
		return all.Names()
	}
	return []string{one}
}
