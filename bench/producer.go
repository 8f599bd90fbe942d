package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/drivers"
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

	sizes []int
	keys  [][]byte
	rng   *rand.Rand
	slots chan *slot

	// issued is the number of sequences handed to the client.
	issued atomic.Uint64
	// acked holds the sequences acknowledged; written under rec.mu.
	acked bitset
}

// slot is one in-flight message: its record and buffer are reused once the
// client has reported the outcome, so the send path does not allocate.
type slot struct {
	p        *producer
	rec      drivers.Record
	buf      []byte
	seq      uint64
	intended time.Duration // since the run's start
	size     int
	done     drivers.DoneFunc
}

func newProducer(ctx context.Context, r *run, i int, quota int64) (*producer, error) {
	w := r.w
	rng := seededRand(w.Seed, i)
	p := &producer{
		id:       uint32(i),
		r:        r,
		rec:      newRecorder(),
		topicIdx: i / w.ProducersPerTopic,
		quota:    quota,
		sizes:    sizeTable(w, rng),
		keys:     keyTable(w, rng),
		rng:      rng,
		slots:    make(chan *slot, w.MaxInFlight),
	}
	p.topic = r.topics[p.topicIdx]
	if w.ProducerRate > 0 {
		p.rate = w.ProducerRate / float64(w.Topics*w.ProducersPerTopic)
	}
	body, note, err := payloadBody(w, maxSize(w), rng)
	if err != nil {
		return nil, err
	}
	if note != "" && i == 0 {
		r.notes = append(r.notes, note)
	}
	for range w.MaxInFlight {
		s := &slot{p: p, buf: append([]byte(nil), body...)}
		s.rec.Topic = p.topic
		s.rec.Partition = -1
		s.done = s.onDone
		p.slots <- s
	}
	cfg := drivers.ProducerConfig{
		Bootstrap: r.cfg.Target.Bootstrap(),
		ClientID:  "kbench-" + r.id + "-p" + strconv.Itoa(i),
		Props:     w.Producer,
	}
	p.drv, err = r.cfg.Driver.NewProducer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("producer %d: %w", i, err)
	}
	return p, nil
}

// loop sends until the count or time bound, or ctx ends. planned is
// warm-up plus measurement (0: count-bounded only).
//
// Open model: message n of this producer is due at n/rate seconds after
// the run's start, whatever happened to message n-1, and its latency is
// measured from that intended time, so a stalled client or broker shows as
// latency (no coordinated omission). A send issued more than lateThreshold
// after its intended time is counted as late.
//
// Closed model (rate 0): as fast as the client takes them, at most
// maxInFlight awaiting acknowledgement; the intended time is the time of
// issue.
func (p *producer) loop(ctx context.Context, planned time.Duration) {
	t0 := p.r.t0
	var period float64
	if p.rate > 0 {
		period = float64(time.Second) / p.rate
	}
	for n := uint64(0); p.quota < 0 || n < uint64(p.quota); n++ {
		if ctx.Err() != nil {
			return
		}
		var intended time.Duration
		if period > 0 {
			intended = time.Duration(float64(n) * period)
			if planned > 0 && intended >= planned {
				return
			}
			if wait := intended - time.Since(t0); wait > 0 {
				if !sleepCtx(ctx, wait) {
					return
				}
			}
		}
		var s *slot
		select {
		case s = <-p.slots:
		case <-ctx.Done():
			return
		}
		now := time.Since(t0)
		if period == 0 {
			if planned > 0 && now >= planned {
				p.slots <- s
				return
			}
			intended = now
		} else if now-intended > lateThreshold {
			p.rec.late.Add(1)
		}
		p.send(ctx, s, n, intended)
	}
}

// send stamps slot s as message seq and hands it to the client.
func (p *producer) send(ctx context.Context, s *slot, seq uint64, intended time.Duration) {
	size := p.sizes[seq%uint64(len(p.sizes))]
	s.seq, s.intended, s.size = seq, intended, size
	stamp{Producer: p.id, Seq: seq, SentNano: p.r.t0.UnixNano() + int64(intended)}.Put(s.buf)
	s.rec.Value = s.buf[:size]
	switch p.r.w.KeyDistributor {
	case keyRoundRobin:
		s.rec.Key = p.keys[seq%uint64(len(p.keys))]
	case randomNano:
		s.rec.Key = p.keys[p.rng.IntN(len(p.keys))]
	}
	p.issued.Store(seq + 1)
	p.rec.sent.Add(1)
	p.drv.Produce(ctx, &s.rec, s.done)
}

// onDone records the outcome of the slot's message and frees the slot.
func (s *slot) onDone(partition int32, offset int64, err error) {
	p := s.p
	now := time.Since(p.r.t0)
	r := p.rec
	r.mu.Lock()
	if err != nil {
		r.errors++
		r.errKinds[drivers.KindOf(err)]++
	} else {
		r.record((now - s.intended).Microseconds(), s.size, s.intended < p.r.warmup)
		p.acked.set(s.seq)
		p.r.backlog.onAck(s.size)
		r.ackTimes.mark(p.topicIdx*p.r.w.PartitionsPerTopic+int(partition), int64(now))
	}
	r.mu.Unlock()
	p.slots <- s
}

// sleepCtx sleeps for d, or until ctx ends (then it returns false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d < 2*time.Millisecond {
		// Short waits: a timer per message would allocate and cost more
		// than the wait.
		time.Sleep(d)
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
