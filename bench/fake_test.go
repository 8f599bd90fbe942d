package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// memCluster is an in-memory log of partitions shared by memDriver's
// producers and consumers, with an acknowledgement delay the test can set.
// It lets the engine's pacing and recording be tested under testing/synctest
// with no network.
type memCluster struct {
	mu     sync.Mutex
	logs   map[string][][][]byte // topic -> partition -> values
	parts  map[string]int32
	ackLag func(now time.Time) time.Duration
	next   int32
	// down holds acknowledgements back until the fault is undone.
	down bool
	held []func()
	// clientLimit, when set, makes each producer's Produce block while it
	// has that many records unacknowledged, as a client's buffer does.
	clientLimit int
	// deafGroups, when set, ends the names of consumer groups whose
	// members never get a record.
	deafGroups string
	// createHangs makes CreateTopic wait until its context ends, as a
	// cluster that never answers does.
	createHangs bool
	// marks holds, beside each record of logs, the transaction it was
	// written in (nil: none), for read_committed consumers.
	marks map[string][][]*memTxn
	// groups are the transformers' consumer groups (see memTransformer);
	// transformCommits counts their commits, and abortTransformCommit,
	// when set, makes commit n (from 1) abort.
	groups               map[string]*memGroup
	transformCommits     int
	abortTransformCommit func(n int) bool
}

// memTxn is a transaction's state: open, committed or aborted.
type memTxn struct{ state int }

const (
	txnOpen = iota
	txnCommitted
	txnAborted
)

func newMemCluster() *memCluster {
	return &memCluster{logs: map[string][][][]byte{}, parts: map[string]int32{}, marks: map[string][][]*memTxn{}, groups: map[string]*memGroup{}}
}

type memDriver struct{ c *memCluster }

func (d memDriver) Name() string    { return "mem" }
func (d memDriver) Library() string { return "in-memory test driver" }

func (d memDriver) NewProducer(ctx context.Context, cfg drivers.ProducerConfig) (drivers.Producer, error) {
	p := &memProducer{c: d.c}
	if d.c.clientLimit > 0 {
		p.buffer = make(chan struct{}, d.c.clientLimit)
	}
	if cfg.Props["transactional.id"] != "" {
		return &memTxnProducer{p}, nil
	}
	return p, nil
}

func (d memDriver) NewAdmin(ctx context.Context, cfg drivers.AdminConfig) (drivers.Admin, error) {
	return memAdmin(d), nil
}

func (d memDriver) NewConsumer(ctx context.Context, cfg drivers.ConsumerConfig) (drivers.Consumer, error) {
	return &memConsumer{c: d.c, topics: cfg.Topics, pos: map[string][]int{}, deaf: d.c.deafGroups != "" && strings.HasSuffix(cfg.Group, d.c.deafGroups),
		committedOnly: cfg.Props["isolation.level"] == "read_committed"}, nil
}

type memProducer struct {
	c       *memCluster
	pending atomic.Int64  // records not yet acknowledged
	buffer  chan struct{} // a slot per unacknowledged record, if bounded
	txn     *memTxn       // the open transaction, if transactional
}

func (p *memProducer) Produce(ctx context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	if err := ctx.Err(); err != nil {
		done(-1, -1, err)
		return
	}
	if p.buffer != nil {
		p.buffer <- struct{}{}
		inner := done
		done = func(part int32, off int64, err error) { <-p.buffer; inner(part, off, err) }
	}
	c := p.c
	c.mu.Lock()
	part := rec.Partition
	if part < 0 {
		part = c.next % c.parts[rec.Topic]
		c.next++
	}
	// Written in order now; only the acknowledgement is delayed.
	log := c.logs[rec.Topic]
	off := int64(len(log[part]))
	log[part] = append(log[part], append([]byte(nil), rec.Value...))
	c.marks[rec.Topic][part] = append(c.marks[rec.Topic][part], p.txn)
	lag := time.Duration(0)
	if c.ackLag != nil {
		lag = c.ackLag(time.Now())
	}
	p.pending.Add(1)
	ack := func() {
		defer p.pending.Add(-1)
		done(part, off, nil)
	}
	if c.down {
		c.held = append(c.held, ack)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if lag == 0 {
		ack()
		return
	}
	time.AfterFunc(lag, ack)
}

// Flush waits for every acknowledgement, as long as ctx lasts: a fault
// may hold them back for good.
func (p *memProducer) Flush(ctx context.Context) error {
	for p.pending.Load() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}
func (p *memProducer) Close() error { return nil }

type memConsumer struct {
	c      *memCluster
	topics []string
	pos    map[string][]int
	deaf   bool
	// committedOnly reads as isolation.level=read_committed does.
	committedOnly bool
}

func (mc *memConsumer) Poll(ctx context.Context, fn func(*drivers.Message)) error {
	var batch []drivers.Message
	mc.c.mu.Lock()
	for _, t := range mc.topics {
		if mc.deaf {
			break
		}
		log := mc.c.logs[t]
		if mc.pos[t] == nil {
			mc.pos[t] = make([]int, len(log))
		}
		for p := range log {
			for ; mc.pos[t][p] < len(log[p]); mc.pos[t][p]++ {
				o := mc.pos[t][p]
				if mc.committedOnly && !mc.c.visible(t, p, o) {
					if mc.c.marks[t][p][o].state == txnOpen {
						break // the last stable offset
					}
					continue
				}
				batch = append(batch, drivers.Message{Topic: t, Partition: int32(p), Offset: int64(o), Value: log[p][o]})
			}
		}
	}
	mc.c.mu.Unlock()
	return deliver(ctx, batch, fn)
}

func (mc *memConsumer) Close() error { return nil }

// memAdmin is the admin side of memCluster.
type memAdmin struct{ c *memCluster }

func (a memAdmin) Brokers(ctx context.Context) ([]drivers.Broker, error) {
	return []drivers.Broker{{ID: 0, Host: "mem", Port: 1}}, nil
}
func (a memAdmin) Controller(ctx context.Context) (int32, error) { return 0, nil }
func (a memAdmin) CreateTopic(ctx context.Context, s drivers.TopicSpec) error {
	if a.c.createHangs {
		<-ctx.Done()
		return ctx.Err()
	}
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	if _, ok := a.c.logs[s.Name]; ok {
		return fmt.Errorf("topic %s exists", s.Name)
	}
	a.c.logs[s.Name] = make([][][]byte, s.Partitions)
	a.c.marks[s.Name] = make([][]*memTxn, s.Partitions)
	a.c.parts[s.Name] = s.Partitions
	return nil
}
func (a memAdmin) DeleteTopic(ctx context.Context, name string) error { return nil }
func (a memAdmin) Partitions(ctx context.Context, topic string) ([]drivers.PartitionInfo, error) {
	return nil, nil
}
func (a memAdmin) EndOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	out := map[int32]int64{}
	for p, l := range a.c.logs[topic] {
		out[int32(p)] = int64(len(l))
	}
	return out, nil
}

// LogBytes is the values' bytes: memCluster neither compresses nor
// frames.
func (a memAdmin) LogBytes(ctx context.Context, topic string) (map[int32]int64, error) {
	a.c.mu.Lock()
	defer a.c.mu.Unlock()
	out := map[int32]int64{}
	for p, l := range a.c.logs[topic] {
		for _, v := range l {
			out[int32(p)] += int64(len(v))
		}
	}
	return out, nil
}
func (a memAdmin) Close() {}

type memTarget struct{}

func (memTarget) Kind() results.ClusterKind { return "mem" }
func (memTarget) Bootstrap() []string       { return []string{"mem:1"} }
func (memTarget) Describe() results.Cluster { return results.Cluster{Kind: "mem"} }
func (memTarget) Close() error              { return nil }

var _ cluster.Target = memTarget{}

// memFaultTarget stalls every acknowledgement while a fault is in place,
// as a cluster does while a partition's leader is failed over. A fault
// takes effect takes after Inject is called, and a broker serves again
// undoTakes after the undo is called; failAfterActing makes Inject report
// an error although the fault is in place (a kill whose wait timed out).
type memFaultTarget struct {
	memTarget
	c                *memCluster
	takes, undoTakes time.Duration
	failAfterActing  bool
}

func (t memFaultTarget) Supports(action cluster.Action) error { return nil }
func (t memFaultTarget) BrokerIDs() []int32                   { return []int32{0, 1, 2} }
func (t memFaultTarget) Inject(ctx context.Context, f cluster.Fault) (cluster.Undo, error) {
	time.Sleep(t.takes)
	t.c.mu.Lock()
	t.c.down = true
	t.c.mu.Unlock()
	undo := func(context.Context) error {
		time.Sleep(t.undoTakes)
		t.c.mu.Lock()
		t.c.down = false
		held := t.c.held
		t.c.held = nil
		t.c.mu.Unlock()
		for _, ack := range held {
			ack()
		}
		return nil
	}
	if t.failAfterActing {
		return undo, errors.New("broker did not exit in time")
	}
	return undo, nil
}

// memConfig returns a run config of w against a fresh memCluster.
func memConfig(w *workload.Workload) (Config, *memCluster) {
	c := newMemCluster()
	return Config{Workload: w, Driver: memDriver{c}, Target: memTarget{}, Admin: memAdmin{c}, wait: timerWait}, c
}

// timerWait paces on timers alone, which a synctest bubble's clock serves.
func timerWait(ctx context.Context, t0 time.Time, due time.Duration) bool {
	return sleepCtx(ctx, due-time.Since(t0))
}

// deliver hands a fake consumer's batch to fn or, when it is empty, waits
// a little as a real poll would, so callers do not spin.
func deliver(ctx context.Context, batch []drivers.Message, fn func(*drivers.Message)) error {
	for i := range batch {
		fn(&batch[i])
	}
	if len(batch) == 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}
