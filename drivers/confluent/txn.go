package confluent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

// txnProducer is a producer made with a transactional id.
type txnProducer struct{ *producer }

var _ drivers.Transactor = txnProducer{}

// call runs fn on the librdkafka handle, unless Close destroyed it.
func (p txnProducer) call(fn func() error) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errClosed
	}
	return fn()
}

// Begin opens a transaction.
func (p txnProducer) Begin(context.Context) error {
	if err := p.call(p.kp.BeginTransaction); err != nil {
		return fmt.Errorf("confluent driver: begin transaction: %w", wrap(err))
	}
	return nil
}

// Commit commits the transaction; librdkafka flushes its records first.
// A retriable error (a timed-out request) is retried until ctx ends; an
// error that requires an abort (a record failed, the coordinator refused)
// aborts. A fatal error, or ctx ending first, leaves the outcome unknown.
func (p txnProducer) Commit(ctx context.Context) error {
	for {
		err := p.call(func() error { return p.kp.CommitTransaction(ctx) })
		if err == nil {
			p.reported(ctx)
			return nil
		}
		var kerr kafka.Error
		switch {
		case errors.As(err, &kerr) && kerr.TxnRequiresAbort():
			if aerr := p.Abort(ctx); aerr != nil {
				return fmt.Errorf("confluent driver: commit failed (%w), and so did the abort: %w", wrap(err), aerr)
			}
			return fmt.Errorf("confluent driver: %w: %w", drivers.ErrTxnAborted, wrap(err))
		case errors.As(err, &kerr) && kerr.IsRetriable() && ctx.Err() == nil:
			continue
		}
		return fmt.Errorf("confluent driver: commit, outcome unknown: %w", wrap(err))
	}
}

// Abort purges the records not yet delivered and aborts the transaction,
// retrying a retriable error until ctx ends.
func (p txnProducer) Abort(ctx context.Context) error {
	for {
		err := p.call(func() error { return p.kp.AbortTransaction(ctx) })
		if err == nil {
			p.reported(ctx)
			return nil
		}
		var kerr kafka.Error
		if errors.As(err, &kerr) && kerr.IsRetriable() && ctx.Err() == nil {
			continue
		}
		return fmt.Errorf("confluent driver: abort: %w", wrap(err))
	}
}

// reported waits until the delivery loop has run the DoneFunc of every
// record (or ctx ends): librdkafka ends a transaction once its records
// are delivered, but their reports may still be on their way through the
// events channel.
func (p txnProducer) reported(ctx context.Context) {
	for p.inflight.Load() > 0 && ctx.Err() == nil {
		time.Sleep(100 * time.Microsecond)
	}
}
