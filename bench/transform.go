package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/poll"
	"github.com/kbench/kbench/results"
)

// transformIdle is how long a transformer polls for more input before it
// commits a transaction that is neither full nor old enough: the input
// has stopped, for now or for good.
const transformIdle = 100 * time.Millisecond

// transforms is a run's consume-transform-produce stage
// (transformsPerTopic): per topic, a consumer group of transformers, each
// copying the records it reads to the topic's output topic (same
// partition, key and value) in transactions that commit the offsets read.
// The run's subscriptions read the output topics, so their verification
// covers the producers' transactions and the transformers' together.
type transforms struct {
	members []*transformer
	stop    context.CancelFunc
	wg      sync.WaitGroup
	// unfinished says why the transformers had not committed everything
	// the producers committed when they were stopped; nil if they had.
	unfinished error
}

// transformer is one member of a topic's transform group.
type transformer struct {
	r        *run
	id       int // run-wide: topic index × transformsPerTopic + member
	topicIdx int
	out      string
	drv      drivers.Transformer
	rec      *recorder
	size     int
	interval time.Duration

	// The open transaction, owned by loop: when it began (stamp time),
	// the input records read in it, the stamps of those records, and per
	// partition of the topic the position after the last record read
	// (-1 none).
	open   bool
	began  int64
	n      int
	stamps []stamp
	read   []int64

	// mu guards gen, the transaction's number, and acks, the output
	// records of transaction gen acknowledged so far (acknowledgements
	// come on client goroutines, and one of an earlier transaction may
	// come late).
	mu   sync.Mutex
	gen  uint64
	acks []outAck

	// inDone is, per partition of the topic, the position up to which
	// this member's committed transactions committed the group's
	// offsets; the drain reads it while loop runs.
	inDone []atomic.Int64

	// Written by loop, read once it has returned: per producer, the
	// stamps written in committed, aborted and in-doubt transactions;
	// per partition of the topic, the offset after the last output record
	// of a committed transaction; the last commit's time (stamp time);
	// the error that stopped the transformer; whether it closed itself.
	committed, aborted, inDoubt []bitset
	outEnds                     []int64
	lastCommit                  int64
	stopped                     error
	closed                      bool
}

// outAck is an acknowledged output record: the partition of the topic
// and its offset.
type outAck struct {
	part int32
	off  int64
}

// outRecord is one record a transformer writes, with what its
// acknowledgement needs.
type outRecord struct {
	rec drivers.Record
	x   *transformer
	gen uint64
}

// OutputTopic is the topic the transform stage writes topic's records to.
func OutputTopic(topic string) string { return topic + "-out" }

// outputTopics are the run's output topics: none unless it transforms.
func (r *run) outputTopics() []string {
	if r.w.TransformsPerTopic == 0 {
		return nil
	}
	out := make([]string, len(r.topics))
	for i, t := range r.topics {
		out[i] = OutputTopic(t)
	}
	return out
}

// readTopics are the topics the run's subscriptions read: the output
// topics when the run transforms, else the run's topics.
func (r *run) readTopics() []string {
	if r.w.TransformsPerTopic == 0 {
		return r.topics
	}
	return r.outputTopics()
}

// transformGroup is the consumer group of topic ti's transformers.
func transformGroup(prefix, runID string, ti int) string {
	return prefix + "-" + runID + "-transform-" + strconv.Itoa(ti)
}

// transformID is the transactional id of transformer i, made as
// transactionalID makes a producer's.
func transformID(prefix, runID string, i int) string {
	id := "kbench-" + runID + "-t" + strconv.Itoa(i)
	if prefix != "" {
		id = prefix + "-" + id
	}
	return id
}

// startTransforms makes the run's transformers (none unless the workload
// transforms).
func (r *run) startTransforms(ctx context.Context) error {
	w := r.w
	if w.TransformsPerTopic == 0 {
		return nil
	}
	td, ok := r.cfg.Driver.(drivers.TransformDriver)
	if !ok {
		return fmt.Errorf("transformsPerTopic: the %s driver cannot run transformers (consume-transform-produce); use another driver, or remove transformsPerTopic", r.cfg.Driver.Name())
	}
	r.xf = &transforms{}
	nprod := w.Topics * w.ProducersPerTopic
	consumer := map[string]string{"auto.offset.reset": "earliest"}
	maps.Copy(consumer, w.Consumer)
	producer := maps.Clone(w.Producer)
	delete(producer, "transactional.id") // the config's TransactionalID
	for ti, topic := range r.topics {
		for k := range w.TransformsPerTopic {
			id := ti*w.TransformsPerTopic + k
			x := &transformer{
				r: r, id: id, topicIdx: ti, out: OutputTopic(topic),
				rec:  newRecorder(r.histTop(), false),
				size: w.TransactionSize, interval: w.TransactionInterval.D(),
				read:      make([]int64, w.PartitionsPerTopic),
				inDone:    make([]atomic.Int64, w.PartitionsPerTopic),
				committed: make([]bitset, nprod), aborted: make([]bitset, nprod), inDoubt: make([]bitset, nprod),
				outEnds: make([]int64, w.PartitionsPerTopic),
			}
			var err error
			x.drv, err = td.NewTransformer(ctx, drivers.TransformerConfig{
				Bootstrap:       r.cfg.Target.Bootstrap(),
				ClientID:        "kbench-" + r.id + "-t" + strconv.Itoa(id),
				Group:           transformGroup(w.TopicPrefix, r.id, ti),
				Topics:          []string{topic},
				TransactionalID: transformID(w.Producer["transactional.id"], r.id, id),
				ConsumerProps:   consumer,
				ProducerProps:   producer,
			})
			if err != nil {
				return fmt.Errorf("transformer %d: %w", id, err)
			}
			r.xf.members = append(r.xf.members, x)
		}
	}
	return nil
}

// start runs the transformers until stop, and waits (at most
// assignTimeout) until each group holds every partition of its topic, so
// that the groups' joins are not measured as end-to-end latency.
func (t *transforms) start(ctx context.Context, r *run) {
	if t == nil {
		return
	}
	loopCtx, stop := context.WithCancel(context.Background())
	t.stop = stop
	for _, x := range t.members {
		t.wg.Add(1)
		go func() { defer t.wg.Done(); x.loop(loopCtx) }()
	}
	deadline := time.Now().Add(assignTimeout)
	_ = poll.Until(ctx, 20*time.Millisecond, func(context.Context) (bool, error) {
		held := 0
		for _, x := range t.members {
			held += x.drv.AssignedPartitions()
		}
		if held >= r.parts {
			return true, nil
		}
		if time.Now().After(deadline) {
			r.notes = append(r.notes, fmt.Sprintf("transformers did not hold every partition %s after they started; producing began anyway, so early end-to-end latency includes the groups' join", assignTimeout))
			return true, nil
		}
		return false, nil
	})
}

// halt stops the transformers, each aborting its open transaction, and
// waits for them; it may be called again.
func (t *transforms) halt() {
	if t == nil || t.stop == nil {
		return
	}
	t.stop()
	t.wg.Wait()
}

// close releases the transformers' clients.
func (t *transforms) close() {
	if t == nil {
		return
	}
	for _, x := range t.members {
		if !x.closed {
			x.drv.Close()
		}
	}
}

// drain lets the transformers run until their groups have committed
// offsets past every record the producers committed, at most until
// deadline (or the run's tail, once ctx has ended), then stops them.
func (t *transforms) drain(r *run, deadline time.Time) {
	if t == nil {
		return
	}
	defer t.halt()
	in := r.committedEnds()
	t.unfinished = poll.Until(r.tail, 50*time.Millisecond, func(context.Context) (bool, error) {
		done := make([]int64, r.parts)
		for _, x := range t.members {
			for p := range x.inDone {
				i := x.topicIdx*r.w.PartitionsPerTopic + p
				done[i] = max(done[i], x.inDone[p].Load())
			}
		}
		behind := 0
		for i, end := range in {
			if done[i] < end {
				behind++
			}
		}
		if behind == 0 {
			r.logf("transformers caught up after %s", time.Since(r.t0).Round(time.Millisecond))
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("the transformers had not committed the offsets of everything the producers committed (%d partition(s) behind) when the drain time (%s) ran out", behind, r.w.Drain.D())
		}
		return false, nil
	})
}

// outEnds returns, per run-wide partition of the output topics, the
// offset after the last record of a committed transform transaction, and
// why the transformers did not finish, if they did not.
func (t *transforms) outEnds(r *run) ([]int64, error) {
	ends := make([]int64, r.parts)
	for _, x := range t.members {
		for p, e := range x.outEnds {
			i := x.topicIdx*r.w.PartitionsPerTopic + p
			ends[i] = max(ends[i], e)
		}
	}
	return ends, t.unfinished
}

// loop transforms until ctx ends, then aborts the open transaction. A
// transaction commits once it holds transactionSize input records (all
// those of the poll that reached it), has been open transactionInterval,
// or a poll found no more input.
func (x *transformer) loop(ctx context.Context) {
	defer x.abort()
	fn := func(m *drivers.Message) { x.receive(ctx, m) }
	for ctx.Err() == nil {
		if !x.open && !x.begin(ctx) {
			return
		}
		wait := transformIdle
		if x.interval > 0 && x.n > 0 {
			wait = min(wait, max(x.interval-x.age(), time.Millisecond))
		}
		before := x.n
		pctx, cancel := context.WithTimeout(ctx, wait)
		err := x.drv.Poll(pctx, fn)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil && pctx.Err() == nil {
			x.rec.mu.Lock()
			x.rec.errors++
			x.rec.errKinds[drivers.KindOf(err)]++
			x.rec.mu.Unlock()
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		if x.n > 0 && (x.n == before || x.size > 0 && x.n >= x.size || x.interval > 0 && x.age() >= x.interval) {
			x.commit(ctx)
		}
	}
}

// age is how long the open transaction has been open.
func (x *transformer) age() time.Duration { return time.Duration(stampNow() - x.began) }

// begin opens a transaction; false means the transformer can run no more.
func (x *transformer) begin(ctx context.Context) bool {
	if err := x.drv.Begin(ctx); err != nil {
		if ctx.Err() == nil {
			x.stop(err)
		}
		return false
	}
	x.mu.Lock()
	x.gen++
	x.acks = x.acks[:0]
	x.mu.Unlock()
	x.open, x.began, x.n, x.stamps = true, stampNow(), 0, x.stamps[:0]
	for p := range x.read {
		x.read[p] = -1
	}
	return true
}

// stop records why the transformer stopped and leaves its group, so
// the other members take its partitions.
func (x *transformer) stop(err error) {
	x.stopped = fmt.Errorf("transformer %d stopped: %w", x.id, err)
	x.r.logf("%v", x.stopped)
	x.drv.Close()
	x.closed = true
}

// receive writes one record read to the output topic, in the open
// transaction.
func (x *transformer) receive(ctx context.Context, m *drivers.Message) {
	if int(m.Partition) >= len(x.read) {
		return
	}
	x.read[m.Partition] = m.Offset + 1
	x.n++
	if s, err := readStamp(m.Value); err == nil && int(s.Producer) < len(x.committed) {
		x.stamps = append(x.stamps, s)
	}
	o := &outRecord{x: x, gen: x.gen}
	o.rec = drivers.Record{Topic: x.out, Partition: m.Partition, Key: bytes.Clone(m.Key), Value: bytes.Clone(m.Value)}
	x.drv.Produce(ctx, &o.rec, o.done)
}

// done keeps the offset of an output record of the open transaction.
func (o *outRecord) done(part int32, off int64, err error) {
	if err != nil {
		return // the commit aborts, and says why
	}
	x := o.x
	x.mu.Lock()
	if o.gen == x.gen {
		x.acks = append(x.acks, outAck{part: part, off: off})
	}
	x.mu.Unlock()
}

// commit commits the open transaction and records its outcome.
func (x *transformer) commit(ctx context.Context) {
	x.open = false
	start := stampNow()
	cctx, cancel := context.WithTimeout(ctx, x.r.flushBound())
	err := x.drv.Commit(cctx)
	cancel()
	if x.settle(err, start) {
		return
	}
	// In doubt: whether the offsets were committed or not, rewinding to
	// the group's committed offsets reads again only what was not.
	actx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	if err := x.drv.Abort(actx); err != nil {
		x.stop(fmt.Errorf("a commit ended in doubt and the rewind to the committed offsets failed: %w", err))
	}
}

// abort aborts the open transaction as the transformer stops; an empty
// one (the transformer had caught up) is not counted.
func (x *transformer) abort() {
	if !x.open || x.closed {
		return
	}
	x.open = false
	ctx, cancel := context.WithTimeout(context.Background(), abortTimeout)
	defer cancel()
	err := x.drv.Abort(ctx)
	if x.n == 0 {
		return // a transaction with nothing in it is not one to count
	}
	if err == nil {
		err = fmt.Errorf("%w: %w", drivers.ErrTxnAborted, errStopped)
	}
	x.settle(err, stampNow())
}

// settle records the outcome err of the transaction that ended, whose
// commit began at start, and reports whether the outcome is known.
func (x *transformer) settle(err error, start int64) bool {
	now := stampNow()
	x.mu.Lock()
	acks := x.acks
	x.acks = nil
	x.gen++ // late acknowledgements are no longer this transaction's
	x.mu.Unlock()
	r := x.rec
	switch {
	case err == nil:
		for _, a := range acks {
			if int(a.part) < len(x.outEnds) {
				x.outEnds[a.part] = max(x.outEnds[a.part], a.off+1)
			}
		}
		for p, pos := range x.read {
			if pos > x.inDone[p].Load() {
				x.inDone[p].Store(pos)
			}
		}
		markStamps(x.committed, x.stamps)
		x.lastCommit = now
		r.mu.Lock()
		r.commits++
		r.acked += int64(x.n)
		if !r.lat.record(max((now-start)/1000, 1), x.began < x.r.warmupEnd.Load()) {
			r.dropped++
		}
		r.mu.Unlock()
		return true
	case errors.Is(err, drivers.ErrTxnAborted):
		markStamps(x.aborted, x.stamps)
		kind := drivers.KindOf(err)
		if errors.Is(err, errStopped) {
			kind = "stopped"
		}
		r.mu.Lock()
		r.aborts++
		r.abortedMsg += int64(x.n)
		if r.abortKinds == nil {
			r.abortKinds = map[string]int64{}
		}
		r.abortKinds[kind]++
		r.mu.Unlock()
		return true
	default:
		markStamps(x.inDoubt, x.stamps)
		r.mu.Lock()
		r.inDoubt++
		r.mu.Unlock()
		x.r.logf("transformer %d: transaction of %d record(s): %v", x.id, x.n, err)
		return false
	}
}

// markStamps adds the stamps to the per-producer sets.
func markStamps(sets []bitset, stamps []stamp) {
	for _, s := range stamps {
		sets[s.Producer].set(s.Seq)
	}
}

// transformFigure is the transformers' transactions figure, from the
// collector's totals and the measurement window's intervals: the rate is
// over the time from the warm-up's end to the last commit.
func (r *run) transformFigure(c *collector, measured results.Interval) *results.Transactions {
	t := c.xfTotals
	out := &results.Transactions{
		Committed: t.commits, Aborted: t.aborts, InDoubt: t.inDoubt,
		AbortedByKind: t.abortKinds, AbortedMessages: t.abortedMsg, CommittedMessages: t.acked,
		CommitLatencyMs: results.LatencyOf(c.xfCommitSum),
	}
	var last int64
	for _, x := range r.xf.members {
		last = max(last, x.lastCommit)
	}
	if window := time.Duration(last - r.warmupEnd.Load()).Seconds(); window > 0 {
		out.RatePerS = float64(measured.TransformCommits) / window
	}
	return out
}

// transformNotes are what the result must say of the transformers.
func (r *run) transformNotes(c *collector) []string {
	var notes []string
	for _, x := range r.xf.members {
		if x.stopped != nil {
			notes = append(notes, x.stopped.Error())
		}
	}
	if n := c.xfTotals.errors; n > 0 {
		notes = append(notes, fmt.Sprintf("the transformers' polls failed %d time(s) %v", n, c.xfTotals.errKinds))
	}
	return notes
}

// transformVerdict adds to one subscription's verdict the records read
// that were written only in aborted transform transactions (never in a
// committed or in-doubt one), with a few samples.
func (r *run) transformVerdict(v *verifier, out *results.Verify) {
	for p := range v.consumed {
		var aborted, kept bitset
		for _, x := range r.xf.members {
			aborted.or(x.aborted[p])
			kept.or(x.committed[p])
			kept.or(x.inDoubt[p])
		}
		for seq := range aborted.members() {
			if !v.consumed[p].has(seq) || kept.has(seq) {
				continue
			}
			out.AbortedRead++
			if len(out.AbortedSamples) < 10 {
				out.AbortedSamples = append(out.AbortedSamples, fmt.Sprintf("producer %d seq %d, only in aborted transform transactions", p, seq))
			}
		}
	}
}

// or adds o's members to b.
func (b *bitset) or(o bitset) {
	b.grow(o.words())
	for w := range o.words() {
		b.chunks[w/bitsetChunk][w%bitsetChunk] |= o.word(w)
	}
}

// members yields the members of b in order.
func (b bitset) members() func(yield func(uint64) bool) {
	return func(yield func(uint64) bool) {
		for w := range b.words() {
			for word := b.word(w); word != 0; word &= word - 1 {
				if !yield(w*64 + uint64(bits.TrailingZeros64(word))) {
					return
				}
			}
		}
	}
}
