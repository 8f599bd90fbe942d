package bench

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// Slots put back from several goroutines at once all come back, none is
// handed out twice, and a taker that finds none waits for the next put.
func TestFreeSlotsHammer(t *testing.T) {
	const slots, takes, putters = 8, 200000, 4
	f := newFreeSlots()
	out := make([]atomic.Bool, slots) // a slot handed out and not yet put back
	for i := range slots {
		f.put(&slot{seq: uint64(i)})
	}
	work := make(chan *slot, slots)
	var wg sync.WaitGroup
	for g := range putters {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 0))
			for s := range work {
				if rng.IntN(64) == 0 {
					time.Sleep(time.Microsecond) // now and then, make the taker wait
				}
				if !out[s.seq].Swap(false) {
					t.Errorf("slot %d put back while free", s.seq)
				}
				f.put(s)
			}
		})
	}
	waits := 0
	for range takes {
		s := f.tryTake()
		if s == nil {
			waits++
			if s = f.wait(context.Background()); s == nil {
				t.Fatal("wait returned no slot with no deadline")
			}
		}
		if out[s.seq].Swap(true) {
			t.Fatalf("slot %d handed out twice", s.seq)
		}
		work <- s
	}
	close(work)
	wg.Wait()
	seen := map[uint64]bool{}
	for s := f.tryTake(); s != nil; s = f.tryTake() {
		seen[s.seq] = true
	}
	if len(seen) != slots {
		t.Errorf("%d distinct slots back after the hammering, want %d", len(seen), slots)
	}
	if waits == 0 {
		t.Errorf("the taker never waited: the blocking path went untested")
	}
	// A wait with every slot out ends with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if s := f.wait(ctx); s != nil {
		t.Errorf("wait with no slot free returned slot %d", s.seq)
	}
}

// asyncProducer acknowledges each record on one of several goroutines, in
// no particular order, as a client's callbacks do; the first ack waits
// until hold records are in flight, so the producer must block on its
// bound.
type asyncProducer struct {
	hold    int
	pending chan func()
	start   chan struct{}
	n       atomic.Int64
}

func newAsyncProducer(hold, ackers int, wg *sync.WaitGroup) *asyncProducer {
	p := &asyncProducer{hold: hold, pending: make(chan func(), hold), start: make(chan struct{})}
	for range ackers {
		wg.Go(func() {
			<-p.start
			for ack := range p.pending {
				ack()
			}
		})
	}
	return p
}

func (p *asyncProducer) Produce(_ context.Context, _ *drivers.Record, done drivers.DoneFunc) {
	n := p.n.Add(1)
	p.pending <- func() { done(int32(n%4), n, nil) }
	if n == int64(p.hold) {
		// Every slot is out: let the producer block a moment first.
		time.AfterFunc(5*time.Millisecond, func() { close(p.start) })
	}
}
func (p *asyncProducer) Flush(context.Context) error { return nil }
func (p *asyncProducer) Close() error                { return nil }

// With acknowledgements arriving on several goroutines, every message is
// recorded once, every slot comes back, the producer never has more than
// maxInFlight out, and its waits for a slot are counted.
func TestProducerAcksFromManyGoroutines(t *testing.T) {
	for _, rate := range []float64{0, 1e12} {
		const quota, maxInFlight = 50000, 16
		w := &workload.Workload{Topics: 1, PartitionsPerTopic: 4, MessageSize: 100, ProducersPerTopic: 1,
			Duration: workload.Duration(time.Hour), KeyDistributor: workload.KeyRoundRobin, ProducerRate: rate, MaxInFlight: maxInFlight}
		if err := w.Resolve(); err != nil {
			t.Fatal(err)
		}
		cfg, _ := memConfig(w)
		cfg.wait = nil // the real pacer
		r := &run{cfg: cfg, w: w, topics: []string{"t"}, parts: 4}
		r.payload, _, _ = newPayload(w)
		p, err := newProducer(context.Background(), r, 0, quota)
		if err != nil {
			t.Fatal(err)
		}
		p.acked = newBitset(quota)
		var ackers sync.WaitGroup
		drv := newAsyncProducer(maxInFlight, 4, &ackers)
		p.drv = drv
		r.t0 = time.Now()
		r.t0Stamp = stampTime(r.t0)

		p.loop(context.Background(), 0)
		close(drv.pending)
		ackers.Wait()

		s := snapshot{errKinds: map[string]int64{}}
		p.rec.take(intervalHists{lat: results.NewHist(), latSum: results.NewHist(), lag: results.NewHist(), lagSum: results.NewHist()}, &s)
		if s.sent != quota || s.acked != quota || p.issued != quota {
			t.Errorf("rate %g: sent %d, acknowledged %d, issued %d; want %d each", rate, s.sent, s.acked, p.issued, quota)
		}
		if got := seqsOf(p.acked, quota); len(got) != 1 || got[0] != (results.SeqRange{From: 0, To: quota}) {
			t.Errorf("rate %g: acknowledged sequences %v, want [0, %d)", rate, got, quota)
		}
		if p.made > maxInFlight {
			t.Errorf("rate %g: %d slots made, bound %d", rate, p.made, maxInFlight)
		}
		free := 0
		for sl := p.slots.tryTake(); sl != nil; sl = p.slots.tryTake() {
			free++
		}
		if free != p.made {
			t.Errorf("rate %g: %d of %d slots came back", rate, free, p.made)
		}
		if s.slotWait < 4*time.Millisecond {
			t.Errorf("rate %g: %v waiting for a slot counted, want at least the 5 ms the first ack was held", rate, s.slotWait)
		}
	}
}
