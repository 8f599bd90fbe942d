package drivertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
)

// testTransactions checks drivers.Transactor: a committed transaction's
// records reach a read_committed consumer, an aborted one's never do (not
// even written and flushed before the abort), and Produce outside a
// transaction fails.
func testTransactions(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	const n, partitions = 40, 2
	name := topic(t, admin, partitions)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := d.NewProducer(ctx, drivers.ProducerConfig{Bootstrap: bootstrap, ClientID: "kbench-test",
		Props: map[string]string{"acks": "all", "transactional.id": name + "-txn"}})
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	defer p.Close()
	tx, ok := p.(drivers.Transactor)
	if !ok {
		t.Fatalf("a producer with a transactional.id is %T, not a drivers.Transactor", p)
	}

	outside := newOutcomes(1)
	p.Produce(ctx, &drivers.Record{Topic: name, Partition: 0, Value: []byte("outside")}, outside.done(0))
	outside.wait(t, 30*time.Second)
	if outside.recs[0].err == nil {
		t.Errorf("Produce outside a transaction succeeded")
	}

	// Every record names its partition, so the last committed
	// transaction lies past the aborted one on each.
	txn := func(label string, end func(context.Context) error) {
		t.Helper()
		if err := tx.Begin(ctx); err != nil {
			t.Fatalf("%s: Begin: %v", label, err)
		}
		out := newOutcomes(n)
		recs := make([]drivers.Record, n)
		for i := range recs {
			recs[i] = drivers.Record{Topic: name, Partition: int32(i % partitions), Value: fmt.Appendf(nil, "%s-%d", label, i)}
			p.Produce(ctx, &recs[i], out.done(i))
		}
		if label == "abort" {
			if err := p.Flush(ctx); err != nil {
				t.Fatalf("abort: Flush: %v", err)
			}
		}
		if err := end(ctx); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		for i := range out.recs {
			if out.recs[i].calls.Load() == 0 {
				t.Fatalf("%s: record %d's DoneFunc had not run when the transaction ended", label, i)
			}
		}
		out.wait(t, 10*time.Second)
		out.check(t)
		for i := range out.recs {
			if label != "abort" && out.recs[i].err != nil {
				t.Fatalf("%s: record %d: %v", label, i, out.recs[i].err)
			}
		}
	}
	txn("commit1", tx.Commit)
	txn("abort", tx.Abort)
	txn("commit2", tx.Commit)

	c, err := d.NewConsumer(ctx, drivers.ConsumerConfig{Bootstrap: bootstrap, ClientID: "kbench-test",
		Group: name + "-group", Topics: []string{name}, Props: map[string]string{"isolation.level": "read_committed"}})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	defer c.Close()
	seen := map[string]bool{}
	for len(seen) < 2*n && ctx.Err() == nil {
		err := c.Poll(ctx, func(m *drivers.Message) {
			v := string(m.Value)
			switch {
			case !strings.HasPrefix(v, "commit"):
				t.Errorf("read_committed consumer read %q", v)
			case seen[v]:
				t.Errorf("%q read twice", v)
			}
			seen[v] = true
		})
		if err != nil && ctx.Err() == nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	if len(seen) != 2*n {
		t.Fatalf("read %d of the %d committed records", len(seen), 2*n)
	}
}
