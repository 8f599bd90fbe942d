package bench

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

// lateThreshold is how far behind its intended time a send may be issued
// before it counts as late (open model).
const lateThreshold = time.Millisecond

// producer is one producing goroutine with its own client.
type producer struct {
	id       uint32
	r        *run
	drv      drivers.Producer
	rec      *recorder
	topic    string
	topicIdx int
	quota    int64 // messages to send; -1 unbounded
	rate     float64
	// phase offsets this producer's schedule (see loop).
	phase time.Duration

	// sizes and keys are cycled through by sequence number; their lengths
	// are powers of two, so a mask picks the entry rather than a division.
	sizes []int
	keys  [][]byte
	rng   *rand.Rand
	slots *freeSlots
	made  int // slots made so far, at most maxInFlight
	// maxInFlight is how many messages may await acknowledgement.
	maxInFlight int

	// issued is the number of sequences handed to the client. Written by
	// loop, read once it has returned (an atomic would cost a locked
	// instruction per message; rec.sent is the live count).
	issued uint64
	// sentUntil is when the producer's sending ended: its time bound, or
	// when it issued its last message or was stopped. Written by loop.
	sentUntil time.Duration
	// unsent counts the messages due before the time bound but not sent
	// by then (open model). Written by loop.
	unsent uint64
	// acked holds the sequences acknowledged (committed, when
	// transactional); written under rec.mu.
	acked bitset
	// txn is nil unless the workload uses transactions.
	txn *txn
}

// slot is one in-flight message: its record and buffer are reused once the
// client has reported the outcome, so the send path does not allocate.
type slot struct {
	p        *producer
	rec      drivers.Record
	buf      []byte
	seq      uint64
	intended time.Duration // since the run's start
	lag      time.Duration // issue time minus intended time (open model)
	size     int
	done     drivers.DoneFunc
	next     *slot // the next free slot, while this one is free (freeSlots)
}

func newProducer(ctx context.Context, r *run, i int, quota int64) (*producer, error) {
	w := r.w
	rng := seededRand(w.Seed, i)
	p := &producer{
		id:          uint32(i),
		r:           r,
		rec:         newRecorder(r.histTop(), w.ProducerRate > 0),
		topicIdx:    i / w.ProducersPerTopic,
		quota:       quota,
		sizes:       sizeTable(w, rng),
		keys:        keyTable(w, rng),
		rng:         rng,
		slots:       newFreeSlots(),
		maxInFlight: w.MaxInFlight,
	}
	p.topic = r.topics[p.topicIdx]
	if w.ProducerRate > 0 {
		n := w.Topics * w.ProducersPerTopic
		p.rate = w.ProducerRate / float64(n)
		p.phase = time.Duration(float64(i) * float64(time.Second) / (float64(n) * p.rate))
	}
	cfg := drivers.ProducerConfig{
		Bootstrap: r.cfg.Target.Bootstrap(),
		ClientID:  "kbench-" + r.id + "-p" + strconv.Itoa(i),
		Props:     w.Producer,
	}
	if w.UseTransactions {
		cfg.Props = maps.Clone(w.Producer)
		if cfg.Props == nil {
			cfg.Props = map[string]string{}
		}
		cfg.Props["transactional.id"] = transactionalID(w.Producer["transactional.id"], r.id, i)
		p.rec.commit = newHistPair(r.histTop())
	}
	var err error
	p.drv, err = r.cfg.Driver.NewProducer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("producer %d: %w", i, err)
	}
	if w.UseTransactions {
		tx, ok := p.drv.(drivers.Transactor)
		if !ok {
			p.drv.Close()
			return nil, fmt.Errorf("producer %d: the %s driver cannot run transactions", i, r.cfg.Driver.Name())
		}
		p.txn = &txn{tx: tx, size: w.TransactionSize, interval: w.TransactionInterval.D(), ends: make([]int64, r.parts)}
	}
	return p, nil
}

// maxReserved bounds the sequences a producer's sets reserve up front
// (2 MiB of bits each): a rate nobody can reach plans more messages than
// will ever be sent, and the sets grow with what is.
const maxReserved = 1 << 24

// plannedCount is how many messages a producer with the given quota
// plans to send, as far as its sets reserve room up front: its quota, or
// what its share of the rate sends in the run's time bound, at most
// maxReserved; 0 when neither says (a closed-model run bounded by time).
func plannedCount(w *workload.Workload, quota int64) uint64 {
	n := uint64(0)
	if w.ProducerRate > 0 && w.Duration > 0 {
		rate := w.ProducerRate / float64(w.Topics*w.ProducersPerTopic)
		n = uint64(min(math.Ceil(rate*(w.Warmup.D()+w.Duration.D()).Seconds())+1, maxReserved))
	}
	if quota >= 0 && (n == 0 || uint64(quota) < n) {
		n = uint64(quota)
	}
	return min(n, maxReserved)
}

// newSlot makes one more in-flight slot. Slots are made as the messages in
// flight grow, up to maxInFlight, so memory follows what the cluster keeps
// waiting rather than the bound.
func (p *producer) newSlot() *slot {
	s := &slot{p: p, buf: make([]byte, p.r.payload.stride)}
	copy(s.buf, p.r.payload.body)
	s.rec.Topic = p.topic
	s.rec.Partition = -1
	s.done = s.onDone
	p.made++
	return s
}

// loop sends until the count or time bound, or ctx ends. planned is
// warm-up plus measurement (0: count-bounded only).
//
// Open model: message n of producer i (of N, each at rate r) is due at
// i/(N·r) + n/r seconds after the run's start, so the producers' sends
// interleave evenly rather than all falling due at once; the time is
// computed, whatever happened to message n-1, and latency is measured
// from it, so a stalled client or broker shows as latency (no coordinated
// omission). The send lag, issue time minus intended time, is recorded;
// a send issued more than lateThreshold late is counted as late.
//
// Closed model (rate 0): as fast as the client takes them, at most
// maxInFlight awaiting acknowledgement; the intended time is the time of
// issue.
//
// Either way a time-bounded run stops sending at its bound: a producer
// behind its schedule does not catch up afterwards, and the messages due
// by then but never sent are counted (unsent). Waits for the pacer or a
// free slot end at the bound too, so a stalled client cannot hold the run.
func (p *producer) loop(ctx context.Context, planned time.Duration) {
	t0 := p.r.t0
	reachedBound := false
	if p.txn != nil {
		// Runs after sentUntil is set: the last commit is not sending.
		defer p.endTxn(ctx)
	}
	var period float64
	if p.rate > 0 {
		period = float64(time.Second) / p.rate
	}
	sendCtx := ctx
	if planned > 0 {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(ctx, t0.Add(planned))
		defer cancel()
	}
	defer func() {
		p.sentUntil = time.Since(t0)
		if reachedBound || ctx.Err() == nil && sendCtx.Err() != nil {
			p.sentUntil = planned
			if period > 0 {
				p.unsent = p.dueBefore(planned, period) - p.issued
			}
		}
	}()
	wait := p.r.cfg.wait
	if wait == nil && period > 0 {
		pc := newPacer(p.r.w.Pacing == workload.PacingSpin)
		defer pc.close()
		wait = pc.wait
	}
	// now is the last clock reading, the issue time of the last send: a
	// send due by then needs no pacer, so a producer behind its schedule
	// reads the clock once a message. None yet: the run may start later.
	now := time.Duration(math.MinInt64)
	for n := uint64(0); p.quota < 0 || n < uint64(p.quota); n++ {
		if ctx.Err() != nil {
			return
		}
		var intended time.Duration
		if period > 0 {
			intended = p.phase + time.Duration(float64(n)*period)
			if planned > 0 && intended >= planned {
				reachedBound = true
				return
			}
			if intended > now && !wait(sendCtx, t0, intended) {
				return
			}
		}
		s := p.slots.tryTake()
		switch {
		case s != nil:
			now = time.Since(t0)
		case p.made < p.maxInFlight:
			s = p.newSlot()
			now = time.Since(t0)
		default:
			// Every slot is in flight: kbench's own bound holds the
			// producer back, which the result must tell. The clock read
			// on waking is the issue time too.
			waitFrom := time.Since(t0)
			if s = p.slots.wait(sendCtx); s == nil {
				return
			}
			now = time.Since(t0)
			p.rec.slotWait.Add(int64(now - waitFrom))
		}
		if planned > 0 && now >= planned {
			p.slots.keep(s)
			reachedBound = true
			return
		}
		if period == 0 {
			intended = now
		} else if now-intended > lateThreshold {
			p.rec.late.Add(1)
		}
		s.lag = now - intended
		if p.txn != nil && !p.beginTxn(ctx, n) {
			p.slots.keep(s)
			return
		}
		p.send(ctx, s, n, intended)
		if p.txn != nil && p.txn.due(n+1, now) {
			p.endTxn(ctx)
		}
	}
}

// dueBefore is how many of the producer's messages fall due before end
// (open model, period in nanoseconds): the least n with message n due at
// or after end, by the loop's own formula, at most the quota. A rate far
// beyond any client's saturates at 2^62.
func (p *producer) dueBefore(end time.Duration, period float64) uint64 {
	if end <= p.phase {
		return 0
	}
	due := func(n uint64) time.Duration { return p.phase + time.Duration(float64(n)*period) }
	n := uint64(1) << 62
	if f := float64(end-p.phase) / period; f < float64(n) {
		n = uint64(f)
		for n > 0 && due(n-1) >= end {
			n--
		}
		for due(n) < end {
			n++
		}
	}
	if p.quota >= 0 {
		n = min(n, uint64(p.quota))
	}
	return max(n, p.issued)
}

// send stamps slot s as message seq and hands it to the client.
func (p *producer) send(ctx context.Context, s *slot, seq uint64, intended time.Duration) {
	size := p.sizes[seq&uint64(len(p.sizes)-1)]
	s.seq, s.intended, s.size = seq, intended, size
	p.r.payload.fill(s.buf[:size], p.rng)
	stamp{Producer: p.id, Seq: seq, SentNano: p.r.t0Stamp + int64(intended)}.Put(s.buf)
	s.rec.Value = s.buf[:size]
	switch p.r.w.KeyDistributor {
	case workload.KeyRoundRobin:
		s.rec.Key = p.keys[seq&uint64(len(p.keys)-1)]
	case workload.RandomNano:
		s.rec.Key = p.keys[p.rng.IntN(len(p.keys))]
	}
	p.issued = seq + 1
	p.rec.sent.Add(1)
	p.drv.Produce(ctx, &s.rec, s.done)
}

// onDone records the outcome of the slot's message and frees the slot.
func (s *slot) onDone(partition int32, offset int64, err error) {
	p := s.p
	now := time.Since(p.r.t0)
	r := p.rec
	warm := s.intended < p.r.warmup
	r.mu.Lock()
	if r.lag.meas != nil && !r.lag.record(s.lag.Microseconds(), warm) {
		r.dropped++
	}
	if err != nil {
		r.errors++
		r.errKinds[drivers.KindOf(err)]++
	} else if p.txn != nil {
		// Counted when the transaction commits (endTxn).
		part := p.topicIdx*p.r.w.PartitionsPerTopic + int(partition)
		p.txn.acked = append(p.txn.acked, txnRecord{seq: s.seq, intended: s.intended, size: s.size, part: part, offset: offset})
	} else {
		r.record((now - s.intended).Microseconds(), s.size, warm)
		p.acked.set(s.seq)
		p.r.backlog.onAck(s.size)
		r.ackTimes.mark(p.topicIdx*p.r.w.PartitionsPerTopic+int(partition), int64(now))
	}
	r.mu.Unlock()
	p.slots.put(s)
}
