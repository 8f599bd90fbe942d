package distributed

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

// memTopic is a control topic in memory: one partition, read whole by
// every reader, each record delivered delay after it was written (in
// order, as a partition's are).
type memTopic struct {
	mu      sync.Mutex
	log     []memRecord
	changed chan struct{}
	delay   func(at time.Time, n int, kind string) time.Duration
}

type memRecord struct {
	at    time.Time
	n     int
	kind  string
	value []byte
}

func newMemTopic(delay func(at time.Time, n int, kind string) time.Duration) *memTopic {
	return &memTopic{changed: make(chan struct{}), delay: delay}
}

func (t *memTopic) Produce(_ context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	t.mu.Lock()
	off := len(t.log)
	t.log = append(t.log, memRecord{at: time.Now(), n: off, kind: string(rec.Key), value: slices.Clone(rec.Value)})
	close(t.changed)
	t.changed = make(chan struct{})
	t.mu.Unlock()
	done(0, int64(off), nil)
}

func (t *memTopic) Flush(context.Context) error { return nil }
func (t *memTopic) Close() error                { return nil }

// memReader reads a memTopic from its start.
type memReader struct {
	t    *memTopic
	next int
}

func (r *memReader) Poll(ctx context.Context, fn func(*drivers.Message)) error {
	for {
		r.t.mu.Lock()
		if r.next < len(r.t.log) {
			rec := r.t.log[r.next]
			r.t.mu.Unlock()
			wait := time.NewTimer(time.Until(rec.at.Add(r.t.delay(rec.at, rec.n, rec.kind))))
			select {
			case <-wait.C:
			case <-ctx.Done():
				wait.Stop()
				return ctx.Err()
			}
			fn(&drivers.Message{Offset: int64(rec.n), Key: []byte(rec.kind), Value: rec.value})
			r.next++
			return nil
		}
		ch := r.t.changed
		r.t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *memReader) Close() error { return nil }

// driftClock reads base as baseUnix, and gains ppm parts per million on
// real time from there.
type driftClock struct {
	base     time.Time
	baseUnix int64
	ppm      float64
}

func (c driftClock) Now() int64 { return c.Unix(time.Now()) }

func (c driftClock) Unix(t time.Time) int64 {
	d := t.Sub(c.base)
	return c.baseUnix + int64(d) + int64(float64(d)*c.ppm/1e6)
}

func (c driftClock) Instant(unix int64) time.Time {
	return c.base.Add(time.Duration(float64(unix-c.baseUnix) / (1 + c.ppm/1e6)))
}

// shiftAt is the shift a consumer used from at on.
type shiftAt struct {
	at    time.Time
	ahead []time.Duration
}

// shifts records what a coordinator handed setAhead, and when.
type shifts struct {
	mu   sync.Mutex
	list []shiftAt
}

func (s *shifts) set(ahead []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, shiftAt{time.Now(), ahead})
}

// at returns the shift in use at t and since when.
func (s *shifts) at(t time.Time) shiftAt {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in shiftAt
	for _, x := range s.list {
		if !x.at.After(t) {
			in = x
		}
	}
	return in
}

// Over a simulated run of 5 minutes, shard 1's clock starts 3 ms ahead of
// shard 0's and gains 200 ppm on it (60 ms by the end). The shards
// measure it through an in-memory control topic (150–310 µs each way);
// for 40 s in the middle shard 0's answers meet a 5 ms queue, and those
// rounds, whose offsets are off by about 2.5 ms, are not applied. Every
// other round's offset is, on both shards: the shift a consumer takes off
// a message of the other shard's producer follows the drift, and the
// end-to-end latency computed from the stamps stays within the offset's
// bound, plus the drift since it was measured, of the truth (5 ms).
func TestClockFollowsDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ppm = 200
		const e2e = 5 * time.Millisecond
		begin := time.Now()
		queueFrom, queueTo := begin.Add(100*time.Second), begin.Add(140*time.Second)
		topic := newMemTopic(func(at time.Time, n int, kind string) time.Duration {
			d := 150*time.Microsecond + time.Duration(n%5)*40*time.Microsecond
			if kind == msgPong && !at.Before(queueFrom) && at.Before(queueTo) {
				d += 5 * time.Millisecond
			}
			return d
		})
		clk0 := driftClock{base: begin, baseUnix: 1_700_000_000e9}
		clk1 := driftClock{base: begin, baseUnix: clk0.baseUnix + int64(3*time.Millisecond), ppm: ppm}
		// Producer 0 runs on shard 0, producer 1 on shard 1.
		w := &workload.Workload{Topics: 1, ProducersPerTopic: 2}
		coord := func(i int, clk driftClock) *coordinator {
			return &coordinator{sh: Shard{Index: i, Count: 2, MeetTimeout: time.Minute, Silence: DefaultSilence},
				cfg: bench.Config{Workload: w}, present: []int{0, 1}, stopFollow: func() {},
				ctl: newControl("ctl", i, clk, topic, &memReader{t: topic})}
		}
		s0, s1 := coord(0, clk0), coord(1, clk1)
		ctx := context.Background()
		if err := s1.measureClock(ctx); err != nil {
			t.Fatal(err)
		}
		var sh0, sh1 shifts
		var wg sync.WaitGroup
		for _, c := range []struct {
			s  *coordinator
			sh *shifts
		}{{s0, &sh0}, {s1, &sh1}} {
			wg.Go(func() {
				if _, err := c.s.Start(ctx, c.sh.set); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		started := time.Now()
		time.Sleep(5 * time.Minute)
		s0.stopFollow()
		s1.stopFollow()
		s0.ctl.close()
		s1.ctl.close()
		end := time.Now()

		// What shard 1 measured, and which rounds were good enough.
		b0 := s1.rounds[0].bound()
		good := 0
		for _, r := range s1.rounds[1:] {
			if r.bound() <= followBound*b0 {
				good++
			}
		}
		if n := len(s1.rounds) - 1; n < 55 || good < 45 || good > n-6 {
			t.Fatalf("%d rounds measured again, %d within twice the first bound (%v): want about 60, of which 7 or 8 queued", n, good, b0)
		}
		if s0.updates != good || s1.updates != good {
			t.Errorf("updates applied: shard 0 %d, shard 1 %d; want the %d good rounds", s0.updates, s1.updates, good)
		}
		if d := driftPPM(s1.rounds); d < ppm-5 || d > ppm+5 {
			t.Errorf("drift %.1f ppm, want %d", d, ppm)
		}

		// The shift moved by the drift: shard 1's offset grew by 200 ppm
		// of the time between the first and the last measurement applied.
		first, last := sh0.list[0], sh0.list[len(sh0.list)-1]
		moved := last.ahead[1] - first.ahead[1]
		want := -time.Duration(ppm * float64(last.at.Sub(first.at)) / 1e6)
		if diff := (moved - want).Abs(); diff > 2*followBound*b0 {
			t.Errorf("shard 0's shift of producer 1 moved %v over the run, want %v (the drift) within %v", moved, want, 2*followBound*b0)
		}
		if moved > -55*time.Millisecond {
			t.Errorf("shift moved %v, want about -60ms", moved)
		}

		// Messages sent every 100 ms, each read 5 ms later on the other
		// shard: the end-to-end latency from the stamps, less the shift in
		// use, is within the offset's bound and the drift since of 5 ms.
		var worst, worstOutside time.Duration // outside: away from the queue
		for sent := started; sent.Add(e2e).Before(end); sent = sent.Add(100 * time.Millisecond) {
			read := sent.Add(e2e)
			for _, c := range []struct {
				name     string
				sh       *shifts
				producer int
				from, to driftClock
			}{{"shard 1's message read on shard 0", &sh0, 1, clk1, clk0}, {"shard 0's message read on shard 1", &sh1, 0, clk0, clk1}} {
				in := c.sh.at(read)
				got := time.Duration(c.to.Unix(read) - int64(in.ahead[c.producer]) - c.from.Unix(sent))
				// The offset in use was measured at most a round's pings
				// (8 round trips) before it was applied.
				since := read.Sub(in.at) + 10*time.Millisecond
				allowed := followBound*b0 + time.Duration(ppm*float64(since)/1e6)
				if (got - e2e).Abs() > allowed {
					t.Fatalf("%s at %v: end-to-end %v, want %v within %v", c.name, sent.Sub(begin), got, e2e, allowed)
				}
				worst = max(worst, (got - e2e).Abs())
				if sent.Before(queueFrom) || sent.After(queueTo.Add(clockEvery)) {
					worstOutside = max(worstOutside, (got - e2e).Abs())
				}
			}
		}
		// Without following, the last message would be off by the whole drift.
		frozen := time.Duration(clk0.Unix(end) - int64(first.ahead[1]) - clk1.Unix(end))
		t.Logf("first bound %v; worst end-to-end error %v (%v away from the queue); with the first shift kept, %v at the end", b0, worst, worstOutside, frozen.Abs())
		if frozen.Abs() < 55*time.Millisecond {
			t.Errorf("with the shift kept from the start, the error at the end is %v: want the drift's 60 ms, else the test shows nothing", frozen)
		}
	})
}
