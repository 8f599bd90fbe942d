package franz

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
)

// closeAbortWait bounds the abort Close runs for an open transaction.
const closeAbortWait = 10 * time.Second

var _ drivers.TransformDriver = Driver{}

// NewTransformer returns a transformer over one kgo client, consumer and
// transactional producer at once, driven through kgo's
// GroupTransactSession: it commits offsets with the group's generation
// (KIP-447), aborts a commit when the group revoked or lost partitions
// since the last one, and after an abort rewinds to the committed offsets.
// It joins the group in the background; the first Poll waits for it.
//
// One client means one set of connection properties: client.id and the
// security properties may be given in ConsumerProps, ProducerProps or
// both, but the same where both set them.
func (Driver) NewTransformer(_ context.Context, cfg drivers.TransformerConfig) (drivers.Transformer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("franz driver: %w", err)
	}
	cprops, pprops := cfg.ClientProps()
	if err := sameConnection(cprops, pprops); err != nil {
		return nil, err
	}
	popts, perr := producerOpts(pprops)
	copts, cerr := consumerOpts(cprops)
	if err := errors.Join(perr, cerr); err != nil {
		return nil, err
	}
	c := &consumer{}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics...),
		kgo.RecordPartitioner(explicitPartitioner{kgo.UniformBytesPartitioner(64<<10, true, true, nil)}),
	}, c.counting()...)
	opts = append(append(opts, popts...), copts...)
	if cfg.ClientID != "" && cprops["client.id"] == "" && pprops["client.id"] == "" {
		opts = append(opts, kgo.ClientID(cfg.ClientID))
	}
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz driver: transformer for %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	c.cl = sess.Client()
	return &transformer{sess: sess, consumer: c, producer: newProducerOn(sess.Client(), cfg.Bootstrap)}, nil
}

// sameConnection refuses connection properties the consumer's and the
// producer's maps both set, to different values.
func sameConnection(consumer, producer map[string]string) error {
	var errs []error
	for k, cv := range consumer {
		if k != "client.id" && !drivers.IsSecurityKey(k) {
			continue
		}
		if pv, ok := producer[k]; ok && pv != cv {
			errs = append(errs, &drivers.PropertyError{Driver: Name, Key: k, Value: "(differs)",
				Reason: "ConsumerProps and ProducerProps set it differently, and a franz transformer is one client; set it the same in both, or in one"})
		}
	}
	return joinErrs(errs)
}

// transformer is a drivers.Transformer over a kgo GroupTransactSession.
// Its consumer and producer share the session's client.
type transformer struct {
	sess *kgo.GroupTransactSession
	*consumer
	producer *producer
	open     bool // a transaction is open
}

var _ drivers.Transformer = (*transformer)(nil)

// Begin opens a transaction.
func (t *transformer) Begin(context.Context) error {
	t.producer.failed.Store(nil)
	if err := t.sess.Begin(); err != nil {
		return fmt.Errorf("franz driver: begin transaction: %w", wrap(err))
	}
	t.open = true
	return nil
}

// Produce is the producer's Produce; kgo fails a record produced with no
// transaction open.
func (t *transformer) Produce(ctx context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	t.producer.Produce(ctx, rec, done)
}

// Commit flushes, then ends the transaction through the session, which
// commits the polled offsets with the group's generation and the records
// together, or aborts when the group revoked or lost partitions since the
// last commit, or refused the offsets (a rebalance under way, a new
// generation). A failed record aborts too. Any other error leaves the
// outcome unknown; this includes an offset commit the group refused for
// another reason (authorization), which the session does not tell apart.
func (t *transformer) Commit(ctx context.Context) error {
	if !t.open {
		return errors.New("franz driver: commit with no transaction open")
	}
	t.open = false
	if err := t.producer.cl.Flush(ctx); err != nil {
		return t.abortFor(ctx, fmt.Errorf("flush: %w", err))
	}
	if failed := t.producer.failed.Load(); failed != nil {
		return t.abortFor(ctx, fmt.Errorf("a record failed: %w", *failed))
	}
	committed, err := t.sess.End(ctx, kgo.TryCommit)
	switch {
	case committed:
		return nil
	case err == nil:
		return fmt.Errorf("franz driver: %w: the group rebalanced since the last commit, or refused the offsets", drivers.ErrTxnAborted)
	case errors.Is(err, kerr.UnknownTopicID):
		// A topic written to was recreated; the session aborted.
		return fmt.Errorf("franz driver: %w: %w", drivers.ErrTxnAborted, wrap(err))
	}
	return fmt.Errorf("franz driver: commit, outcome unknown: %w", wrap(err))
}

// abortFor aborts because of cause and returns an error wrapping
// drivers.ErrTxnAborted, or, when the abort fails too, one whose outcome
// is unknown.
func (t *transformer) abortFor(ctx context.Context, cause error) error {
	if err := t.abort(ctx); err != nil {
		return fmt.Errorf("franz driver: commit failed (%w), and so did the abort: %w", cause, err)
	}
	return fmt.Errorf("franz driver: %w: %w", drivers.ErrTxnAborted, wrap(cause))
}

// Abort fails the records still buffered, aborts the transaction, and
// rewinds every partition to the offset the client last committed.
func (t *transformer) Abort(ctx context.Context) error {
	if !t.open {
		return errors.New("franz driver: abort with no transaction open")
	}
	t.open = false
	return t.abort(ctx)
}

func (t *transformer) abort(ctx context.Context) error {
	if _, err := t.sess.End(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("franz driver: abort: %w", wrap(err))
	}
	return nil
}

// Close aborts an open transaction, leaves the group and closes the
// client. It is safe to call more than once.
func (t *transformer) Close() error {
	var err error
	if t.open {
		ctx, cancel := context.WithTimeout(context.Background(), closeAbortWait)
		err = t.Abort(ctx)
		cancel()
	}
	t.closeOnce.Do(t.sess.Close)
	return err
}
