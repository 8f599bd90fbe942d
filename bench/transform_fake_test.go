package bench

import (
	"context"
	"fmt"

	"github.com/kbench/kbench/drivers"
)

// memCluster's transactions: a transactional producer's records are
// written at once, marked with their transaction, and a read_committed
// consumer stops at the first record of an open one (the last stable
// offset) and skips those of aborted ones.

// visible reports whether record o of topic t's partition p is one a
// read_committed reader sees. Call with c.mu held.
func (c *memCluster) visible(t string, p, o int) bool {
	m := c.marks[t][p][o]
	return m == nil || m.state == txnCommitted
}

// memTxnProducer is memProducer with transactions.
type memTxnProducer struct{ *memProducer }

var _ drivers.Transactor = (*memTxnProducer)(nil)

func (p *memTxnProducer) Begin(ctx context.Context) error {
	p.txn = &memTxn{}
	return nil
}

// Commit waits for the transaction's acknowledgements (a fault holds
// them back), then commits.
func (p *memTxnProducer) Commit(ctx context.Context) error {
	if err := p.Flush(ctx); err != nil {
		return err
	}
	p.c.mu.Lock()
	p.txn.state = txnCommitted
	p.c.mu.Unlock()
	return nil
}

func (p *memTxnProducer) Abort(ctx context.Context) error {
	p.c.mu.Lock()
	p.txn.state = txnAborted
	p.c.mu.Unlock()
	return nil
}

// memGroup is a transform group: its members, in the order they joined,
// and its committed offsets.
type memGroup struct {
	members   int
	committed map[int32]int64
}

// memTransformer is a member of a memGroup: member i of n holds the
// partitions p with p%n == i, reads them read_committed from the group's
// committed offsets, and writes through a transactional memProducer.
type memTransformer struct {
	c     *memCluster
	g     *memGroup
	idx   int
	topic string
	prod  *memTxnProducer
	pos   map[int32]int64 // next offset to read; empty after a rewind
	read  map[int32]int64 // position after the last record polled in the open transaction
}

var _ drivers.TransformDriver = memDriver{}

func (d memDriver) NewTransformer(ctx context.Context, cfg drivers.TransformerConfig) (drivers.Transformer, error) {
	if len(cfg.Topics) != 1 || cfg.TransactionalID == "" {
		return nil, fmt.Errorf("memTransformer: want one topic and a transactional id, got %v %q", cfg.Topics, cfg.TransactionalID)
	}
	c := d.c
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.groups[cfg.Group]
	if g == nil {
		g = &memGroup{committed: map[int32]int64{}}
		c.groups[cfg.Group] = g
	}
	g.members++
	return &memTransformer{c: c, g: g, idx: g.members - 1, topic: cfg.Topics[0],
		prod: &memTxnProducer{&memProducer{c: c}}, pos: map[int32]int64{}, read: map[int32]int64{}}, nil
}

func (m *memTransformer) Poll(ctx context.Context, fn func(*drivers.Message)) error {
	var batch []drivers.Message
	c := m.c
	c.mu.Lock()
	log := c.logs[m.topic]
	for p := range log {
		if p%m.g.members != m.idx {
			continue
		}
		part := int32(p)
		if _, ok := m.pos[part]; !ok {
			m.pos[part] = m.g.committed[part]
		}
		for ; int(m.pos[part]) < len(log[p]); m.pos[part]++ {
			o := int(m.pos[part])
			if !c.visible(m.topic, p, o) {
				if c.marks[m.topic][p][o].state == txnOpen {
					break
				}
				continue
			}
			batch = append(batch, drivers.Message{Topic: m.topic, Partition: part, Offset: int64(o), Value: log[p][o]})
			m.read[part] = int64(o) + 1
		}
	}
	c.mu.Unlock()
	return deliver(ctx, batch, fn)
}

func (m *memTransformer) Begin(ctx context.Context) error {
	clear(m.read)
	return m.prod.Begin(ctx)
}

func (m *memTransformer) Produce(ctx context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	m.prod.Produce(ctx, rec, done)
}

// Commit commits the records and the offsets read, unless
// abortTransformCommit picks this commit: then it aborts and rewinds.
func (m *memTransformer) Commit(ctx context.Context) error {
	if err := m.prod.Flush(ctx); err != nil {
		return err
	}
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.transformCommits++
	if c.abortTransformCommit != nil && c.abortTransformCommit(c.transformCommits) {
		m.prod.txn.state = txnAborted
		clear(m.pos)
		return &drivers.Error{Kind: drivers.KindOther, Err: fmt.Errorf("%w: commit %d aborted by the test", drivers.ErrTxnAborted, c.transformCommits)}
	}
	m.prod.txn.state = txnCommitted
	for p, o := range m.read {
		m.g.committed[p] = o
	}
	return nil
}

func (m *memTransformer) Abort(ctx context.Context) error {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	m.prod.txn.state = txnAborted
	clear(m.pos)
	return nil
}

func (m *memTransformer) AssignedPartitions() int {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	n := 0
	for p := range m.c.parts[m.topic] {
		if int(p)%m.g.members == m.idx {
			n++
		}
	}
	return n
}

func (m *memTransformer) Close() error { return nil }

// committedCount is how many records of topic t the cluster holds in
// committed transactions or none: the truth a read_committed reader
// must have read.
func (c *memCluster) committedCount(t string) (n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.logs[t] {
		for o := range c.logs[t][p] {
			if c.visible(t, p, o) {
				n++
			}
		}
	}
	return n
}

// committedEnd is the offset after the last record of a committed
// transaction of topic t's partition p.
func (c *memCluster) committedEnd(t string, p int) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	for o := len(c.logs[t][p]) - 1; o >= 0; o-- {
		if c.visible(t, p, o) {
			return int64(o) + 1
		}
	}
	return 0
}

// stateCount is how many records of topic t were written in transactions
// in the given state.
func (c *memCluster) stateCount(t string, state int) (n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.marks[t] {
		for _, m := range c.marks[t][p] {
			if m != nil && m.state == state {
				n++
			}
		}
	}
	return n
}
