package confluent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

// transformWait bounds the librdkafka calls a transformer makes without a
// deadline of the caller's: the committed-offset fetch of a rewind, and
// the abort Close runs.
const transformWait = 10 * time.Second

var _ drivers.TransformDriver = Driver{}

// NewTransformer returns a transformer made of a librdkafka consumer
// (auto-commit off) and a transactional producer, whose transactions
// commit the consumer's offsets with its group metadata (KIP-447). It
// waits, until ctx ends, for the producer's id; the consumer joins the
// group in the background.
//
// The rebalance callback runs inside Poll, so a rebalance takes effect
// only between Polls: librdkafka holds the group's next generation until
// the member has handled the revoke, which keeps a Commit made before
// then valid.
func (d Driver) NewTransformer(ctx context.Context, cfg drivers.TransformerConfig) (drivers.Transformer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("confluent driver: %w", err)
	}
	cprops, pprops := cfg.ClientProps()
	cm, err := consumerConfig(drivers.ConsumerConfig{Bootstrap: cfg.Bootstrap, ClientID: cfg.ClientID, Group: cfg.Group, Props: cprops})
	if err != nil {
		return nil, err
	}
	p, err := d.NewProducer(ctx, drivers.ProducerConfig{Bootstrap: cfg.Bootstrap, ClientID: cfg.ClientID, Props: pprops})
	if err != nil {
		return nil, err
	}
	kc, err := kafka.NewConsumer(&cm)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("confluent driver: consumer for %s: %w", cm["bootstrap.servers"], configError(err, cprops))
	}
	t := &transformer{c: &consumer{kc: kc}, p: p.(txnProducer), polled: map[partitionKey]span{}}
	if err := kc.SubscribeTopics(cfg.Topics, t.rebalanced); err != nil {
		t.c.Close()
		p.Close()
		return nil, fmt.Errorf("confluent driver: subscribe to %v: %w", cfg.Topics, err)
	}
	return t, nil
}

type partitionKey struct {
	topic     string
	partition int32
}

// span is the offsets of one partition polled since the last transaction
// ended: first is where a rewind without a committed offset goes back to,
// next is what a commit commits.
type span struct{ first, next int64 }

// transformer is a drivers.Transformer over a consumer and a
// transactional producer. Only Poll's goroutine touches its fields (the
// rebalance callback runs inside Poll).
type transformer struct {
	c *consumer
	p txnProducer
	// polled holds the partitions polled since the last transaction
	// ended; their records belong to the open transaction, or the next.
	polled map[partitionKey]span
	// revoked names a polled partition the group took away since; the
	// commit then aborts.
	revoked *partitionKey
	open    bool
}

var _ drivers.Transformer = (*transformer)(nil)

// rebalanced is the consumer's rebalance callback. It marks a revoke (or
// loss) of a polled partition and leaves the assignment itself to the
// library.
func (t *transformer) rebalanced(_ *kafka.Consumer, ev kafka.Event) error {
	rev, ok := ev.(kafka.RevokedPartitions)
	if !ok || t.revoked != nil {
		return nil
	}
	for _, tp := range rev.Partitions {
		k := partitionKey{*tp.Topic, tp.Partition}
		if _, ok := t.polled[k]; ok {
			t.revoked = &k
			return nil
		}
	}
	return nil
}

// Poll is the consumer's Poll, noting each partition's offsets.
func (t *transformer) Poll(ctx context.Context, fn func(*drivers.Message)) error {
	return t.c.Poll(ctx, func(m *drivers.Message) {
		k := partitionKey{m.Topic, m.Partition}
		s, ok := t.polled[k]
		if !ok {
			s.first = m.Offset
		}
		s.next = m.Offset + 1
		t.polled[k] = s
		fn(m)
	})
}

// AssignedPartitions is the consumer's.
func (t *transformer) AssignedPartitions() int { return t.c.AssignedPartitions() }

// Begin opens a transaction.
func (t *transformer) Begin(ctx context.Context) error {
	if err := t.p.Begin(ctx); err != nil {
		return err
	}
	t.open = true
	return nil
}

// Produce is the producer's Produce; librdkafka refuses a record produced
// with no transaction open.
func (t *transformer) Produce(ctx context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	t.p.Produce(ctx, rec, done)
}

// Commit flushes, sends the polled offsets to the transaction with the
// consumer's group metadata, and commits. A revoke of a polled partition
// aborts, as does an error librdkafka says requires it (a failed record,
// a fenced member or generation); retriable errors are retried until ctx
// ends; any other error leaves the outcome unknown. After any error the
// consumer is rewound to the group's committed offsets, which are right
// whether the transaction committed or not.
func (t *transformer) Commit(ctx context.Context) error {
	if !t.open {
		return errors.New("confluent driver: commit with no transaction open")
	}
	t.open = false
	err := t.commit(ctx)
	if err != nil {
		if rerr := t.rewind(ctx); rerr != nil {
			err = fmt.Errorf("%w; then %w", err, rerr)
		}
	}
	t.ended()
	return err
}

func (t *transformer) commit(ctx context.Context) error {
	if err := t.p.Flush(ctx); err != nil {
		return t.abortFor(ctx, err)
	}
	if t.revoked != nil {
		return t.abortFor(ctx, fmt.Errorf("the group took %s[%d] away after it was polled", t.revoked.topic, t.revoked.partition))
	}
	if len(t.polled) > 0 {
		if err := t.sendOffsets(ctx); err != nil {
			return err
		}
	}
	return t.p.Commit(ctx)
}

// sendOffsets adds the polled offsets to the transaction.
func (t *transformer) sendOffsets(ctx context.Context) error {
	offsets := make([]kafka.TopicPartition, 0, len(t.polled))
	for k, s := range t.polled {
		offsets = append(offsets, kafka.TopicPartition{Topic: &k.topic, Partition: k.partition, Offset: kafka.Offset(s.next)})
	}
	md, err := t.c.kc.GetConsumerGroupMetadata()
	if err != nil {
		return t.abortFor(ctx, fmt.Errorf("group metadata: %w", err))
	}
	for {
		err := t.p.call(func() error { return t.p.kp.SendOffsetsToTransaction(ctx, offsets, md) })
		if err == nil {
			return nil
		}
		var kerr kafka.Error
		switch {
		case errors.As(err, &kerr) && kerr.TxnRequiresAbort():
			return t.abortFor(ctx, fmt.Errorf("send offsets: %w", err))
		case errors.As(err, &kerr) && kerr.IsRetriable() && ctx.Err() == nil:
			continue
		}
		return fmt.Errorf("confluent driver: send offsets to the transaction, outcome unknown: %w", wrap(err))
	}
}

// abortFor aborts because of cause and returns an error wrapping
// drivers.ErrTxnAborted, or, when the abort fails too, one whose outcome
// is unknown.
func (t *transformer) abortFor(ctx context.Context, cause error) error {
	if err := t.p.Abort(ctx); err != nil {
		return fmt.Errorf("confluent driver: commit failed (%w), and so did the abort: %w", wrap(cause), err)
	}
	return fmt.Errorf("confluent driver: %w: %w", drivers.ErrTxnAborted, wrap(cause))
}

// Abort purges the records not yet delivered, aborts the transaction and
// rewinds the consumer to the group's committed offsets.
func (t *transformer) Abort(ctx context.Context) error {
	if !t.open {
		return errors.New("confluent driver: abort with no transaction open")
	}
	t.open = false
	defer t.ended()
	if err := t.p.Abort(ctx); err != nil {
		return err
	}
	return t.rewind(ctx)
}

// ended forgets what was polled in the transaction that just ended.
func (t *transformer) ended() {
	clear(t.polled)
	t.revoked = nil
}

// rewind seeks each partition polled since the transaction began, and
// still assigned, back to the group's committed offset, or, with none
// committed, to the first offset polled (where the reset policy started
// it). The others have not moved past what is committed.
func (t *transformer) rewind(ctx context.Context) error {
	if len(t.polled) == 0 {
		return nil
	}
	assigned, err := t.c.kc.Assignment()
	if err != nil {
		return fmt.Errorf("confluent driver: rewind: %w", wrap(err))
	}
	var parts []kafka.TopicPartition
	for _, tp := range assigned {
		if _, ok := t.polled[partitionKey{*tp.Topic, tp.Partition}]; ok {
			parts = append(parts, kafka.TopicPartition{Topic: tp.Topic, Partition: tp.Partition})
		}
	}
	if len(parts) == 0 {
		return nil
	}
	wait := transformWait
	if d, ok := ctx.Deadline(); ok {
		wait = max(time.Until(d), time.Millisecond)
	}
	committed, err := t.c.kc.Committed(parts, int(wait.Milliseconds()))
	if err != nil {
		return fmt.Errorf("confluent driver: rewind: committed offsets: %w", wrap(err))
	}
	for i, tp := range committed {
		if tp.Offset < 0 {
			committed[i].Offset = kafka.Offset(t.polled[partitionKey{*tp.Topic, tp.Partition}].first)
		}
	}
	sought, err := t.c.kc.SeekPartitions(committed)
	if err != nil {
		return fmt.Errorf("confluent driver: rewind: seek: %w", wrap(err))
	}
	if i := slices.IndexFunc(sought, func(tp kafka.TopicPartition) bool { return tp.Error != nil }); i >= 0 {
		return fmt.Errorf("confluent driver: rewind: seek %s[%d]: %w", *sought[i].Topic, sought[i].Partition, wrap(sought[i].Error))
	}
	return nil
}

// Close aborts an open transaction, leaves the group and destroys both
// clients. It is safe to call more than once.
func (t *transformer) Close() error {
	var errs []error
	if t.open {
		ctx, cancel := context.WithTimeout(context.Background(), transformWait)
		errs = append(errs, t.Abort(ctx))
		cancel()
	}
	errs = append(errs, t.c.Close(), t.p.Close())
	return errors.Join(errs...)
}
