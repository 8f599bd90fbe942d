package franz

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
)

// txnProducer is a producer made with a transactional id.
type txnProducer struct{ *producer }

var _ drivers.Transactor = txnProducer{}

// Begin opens a transaction; kgo loads the producer id with the first
// record.
func (p txnProducer) Begin(context.Context) error {
	p.failed.Store(nil)
	if err := p.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("franz driver: begin transaction: %w", wrap(err))
	}
	return nil
}

// Commit flushes the transaction's records and commits it. A failed
// record, or a commit the coordinator refuses without trying it
// (OperationNotAttempted, TransactionAbortable), aborts it. Any other
// commit error leaves the outcome unknown, as kgo's EndTransaction says:
// the transaction is then aborted by bumping the producer's epoch, which
// cannot undo a commit that happened.
func (p txnProducer) Commit(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return p.abortFor(ctx, fmt.Errorf("flush: %w", err))
	}
	if failed := p.failed.Load(); failed != nil {
		return p.abortFor(ctx, fmt.Errorf("a record failed: %w", *failed))
	}
	err := p.cl.EndTransaction(ctx, kgo.TryCommit)
	if err == nil {
		return nil
	}
	if errors.Is(err, kerr.OperationNotAttempted) || errors.Is(err, kerr.TransactionAbortable) {
		return p.abortFor(ctx, fmt.Errorf("commit refused: %w", err))
	}
	if aerr := p.cl.EndTransaction(ctx, kgo.TryAbort); aerr != nil {
		err = errors.Join(err, fmt.Errorf("then abort: %w", aerr))
	}
	return fmt.Errorf("franz driver: commit, outcome unknown: %w", wrap(err))
}

// abortFor aborts the open transaction because of cause, and returns an
// error wrapping drivers.ErrTxnAborted, or, when the abort fails too, one
// whose outcome is unknown.
func (p txnProducer) abortFor(ctx context.Context, cause error) error {
	if err := p.Abort(ctx); err != nil {
		return fmt.Errorf("franz driver: commit failed (%w), and so did the abort: %w", cause, err)
	}
	return fmt.Errorf("franz driver: %w: %w", drivers.ErrTxnAborted, wrap(cause))
}

// Abort fails the records still buffered and aborts the transaction.
func (p txnProducer) Abort(ctx context.Context) error {
	if err := p.cl.AbortBufferedRecords(ctx); err != nil {
		return fmt.Errorf("franz driver: abort: %w", wrap(err))
	}
	if err := p.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("franz driver: abort: %w", wrap(err))
	}
	return nil
}
