package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// abortTimeout bounds the abort of a transaction left open when a run is
// interrupted.
const abortTimeout = 10 * time.Second

// txn is one transactional producer's transactions. The producer's loop
// begins one before its first send, and ends it (commit) after
// transactionSize sends or once it has been open transactionInterval, and
// when sending ends. A message counts as produced when its transaction
// commits: its publish latency runs from its intended time to the
// commit's return, so a stalled commit shows as latency, as a stalled
// acknowledgement does.
type txn struct {
	tx       drivers.Transactor
	size     int           // messages per transaction; 0 none
	interval time.Duration // 0 none

	open  bool
	first uint64        // the open transaction's first sequence
	began time.Duration // when it began, from the run's start

	// acked holds the acknowledged records of the open transaction,
	// recorded when it commits; written under the recorder's mu.
	acked []txnRecord

	// Written by the loop, read once it has returned: the sequence
	// ranges of aborted and in-doubt transactions, the committed end
	// offset (last committed record's offset + 1) of each run-wide
	// partition, and the error that stopped the producer.
	aborted, inDoubt results.Seqs
	ends             []int64
	stopped          error
}

// txnRecord is an acknowledged record awaiting its transaction's commit.
type txnRecord struct {
	seq      uint64
	intended time.Duration
	size     int
	part     int // run-wide partition index
	offset   int64
}

// errStopped is the reason of a transaction the run aborted itself.
var errStopped = errors.New("the run stopped")

// transactionalID is the transactional id of producer i: the workload's
// transactional.id, if any, as a prefix, then the run's id and the
// producer's, so that no two producers, of this run or another, fence
// each other.
func transactionalID(prefix, runID string, i int) string {
	id := "kbench-" + runID + "-p" + strconv.Itoa(i)
	if prefix != "" {
		id = prefix + "-" + id
	}
	return id
}

// beginTxn opens a transaction before message seq, unless one is open;
// false means the producer can run no more.
func (p *producer) beginTxn(ctx context.Context, seq uint64) bool {
	t := p.txn
	if t.open {
		return true
	}
	if err := t.tx.Begin(ctx); err != nil {
		t.stopped = fmt.Errorf("producer %d stopped: %w", p.id, err)
		p.r.logf("%v", t.stopped)
		return false
	}
	t.open, t.first, t.began = true, seq, time.Since(p.r.t0)
	return true
}

// txnDue reports whether the open transaction is full or old enough,
// after n messages of it were sent, at now.
func (t *txn) due(sent uint64, now time.Duration) bool {
	return t.size > 0 && sent-t.first >= uint64(t.size) || t.interval > 0 && now-t.began >= t.interval
}

// endTxn ends the open transaction: it commits it, or aborts it when
// ctx has ended (the run was interrupted), and records the outcome.
func (p *producer) endTxn(ctx context.Context) {
	t := p.txn
	if !t.open {
		return
	}
	t.open = false
	start := time.Since(p.r.t0)
	var err error
	if ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, p.r.flushBound())
		err = t.tx.Commit(cctx)
		cancel()
	} else {
		actx, cancel := context.WithTimeout(context.Background(), abortTimeout)
		err = t.tx.Abort(actx)
		cancel()
		if err == nil {
			err = fmt.Errorf("%w: %w", drivers.ErrTxnAborted, errStopped)
		}
	}
	now := time.Since(p.r.t0)
	span := results.SeqRange{From: t.first, To: p.issued}
	r := p.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		r.commits++
		if !r.commit.record(max((now-start).Microseconds(), 1), t.began < p.r.warmup) {
			r.dropped++
		}
		for _, a := range t.acked {
			// Acknowledgements of an earlier transaction's records
			// (one aborted or in doubt) arriving late are not this one's.
			if a.seq < span.From || a.seq >= span.To {
				continue
			}
			r.record((now - a.intended).Microseconds(), a.size, a.intended < p.r.warmup)
			p.acked.set(a.seq)
			p.r.backlog.onAck(a.size)
			r.ackTimes.mark(a.part, int64(now))
			t.ends[a.part] = max(t.ends[a.part], a.offset+1)
		}
	case errors.Is(err, drivers.ErrTxnAborted):
		r.aborts++
		r.abortedMsg += int64(span.To - span.From)
		kind := drivers.KindOf(err)
		if errors.Is(err, errStopped) {
			kind = "stopped"
		}
		if r.abortKinds == nil {
			r.abortKinds = map[string]int64{}
		}
		r.abortKinds[kind]++
		t.aborted = addRange(t.aborted, span.From, span.To)
	default:
		r.inDoubt++
		t.inDoubt = addRange(t.inDoubt, span.From, span.To)
		p.r.logf("producer %d: transaction of sequences [%d, %d): %v", p.id, span.From, span.To, err)
	}
	t.acked = t.acked[:0]
}

// committedEnds returns, per run-wide partition, the offset after the
// last record of a committed transaction: a read_committed subscription
// that has read up to it has read everything committed there (end
// offsets count transaction markers and aborted records too).
func (r *run) committedEnds() []int64 {
	ends := make([]int64, r.parts)
	for _, p := range r.producers {
		for i, e := range p.txn.ends {
			ends[i] = max(ends[i], e)
		}
	}
	return ends
}

// transactions is the run's transactions figure, from the collector's
// totals and the measurement window's intervals.
func (r *run) transactions(c *collector, measured results.Interval, window float64) *results.Transactions {
	t := &results.Transactions{
		Committed: c.totals.commits, Aborted: c.totals.aborts, InDoubt: c.totals.inDoubt,
		AbortedByKind: c.totals.abortKinds, AbortedMessages: c.totals.abortedMsg,
		CommitLatencyMs: results.LatencyOf(c.commitSum),
	}
	if window > 0 {
		t.RatePerS = float64(measured.Commits) / window
	}
	return t
}

// txnVerdict adds to one subscription's verdict what transactions need:
// messages of aborted transactions read (with a few samples), and those
// of transactions in doubt, which were counted as unacknowledged.
func (r *run) txnVerdict(v *verifier, out *results.Verify) {
	for _, p := range r.producers {
		for _, rg := range p.txn.aborted {
			for seq := rg.From; seq < rg.To; seq++ {
				if v.consumed[p.id].has(seq) {
					out.AbortedRead++
					out.Unacked--
					if len(out.AbortedSamples) < 10 {
						out.AbortedSamples = append(out.AbortedSamples, fmt.Sprintf("producer %d seq %d", p.id, seq))
					}
				}
			}
		}
		for _, rg := range p.txn.inDoubt {
			out.InDoubt += int64(rg.To - rg.From)
			for seq := rg.From; seq < rg.To; seq++ {
				if v.consumed[p.id].has(seq) {
					out.Unacked--
				}
			}
		}
	}
}

// readEnds returns, per run-wide partition, the offset up to which a
// subscription must read to have read every message produced: the end
// offsets, in a transactional run the committed ends, and in a
// transforming one the transformers' committed output ends (with an
// error if they had not transformed everything).
func (r *run) readEnds(ctx context.Context) ([]int64, error) {
	if r.xf != nil {
		return r.xf.outEnds(r)
	}
	if r.w.UseTransactions {
		return r.committedEnds(), nil
	}
	return r.endOffsets(ctx)
}
