package bench

import (
	"context"
	"sync/atomic"
)

// freeSlots is a producer's free in-flight slots. Completion callbacks, on
// any client goroutine, put slots back; only the producer's loop takes
// them. A channel would do, but costs two locks per message; here a put is
// one compare-and-swap and a take one swap (for all slots put back since
// the last), and the channel is used only to wake a loop that blocked.
//
// With a single taker, the lock-free stack cannot suffer ABA: a slot on it
// leaves only through the taker.
type freeSlots struct {
	returned atomic.Pointer[slot] // slots put back: a stack linked by slot.next
	waiting  atomic.Bool          // the loop is blocked in wait
	wake     chan struct{}        // capacity 1: a put tells a waiting loop
	own      *slot                // slots taken off returned, not yet handed out; loop only
}

func newFreeSlots() *freeSlots { return &freeSlots{wake: make(chan struct{}, 1)} }

// put returns s to the free slots. Safe from any goroutine.
func (f *freeSlots) put(s *slot) {
	for {
		top := f.returned.Load()
		s.next = top
		if f.returned.CompareAndSwap(top, s) {
			break
		}
	}
	// The loop sets waiting before it looks at returned a last time, and this
	// looks at waiting after the push: one of the two sees the other.
	if f.waiting.Load() {
		select {
		case f.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// keep returns s unused to the free slots. Loop only.
func (f *freeSlots) keep(s *slot) {
	s.next = f.own
	f.own = s
}

// tryTake returns a free slot, or nil if every slot is in flight. Loop only.
func (f *freeSlots) tryTake() *slot {
	if f.own == nil {
		if f.returned.Load() == nil {
			return nil
		}
		f.own = f.returned.Swap(nil)
	}
	s := f.own
	f.own, s.next = s.next, nil
	return s
}

// wait blocks until a slot is free and returns it, or nil when ctx ends.
// Loop only.
func (f *freeSlots) wait(ctx context.Context) *slot {
	for {
		f.waiting.Store(true)
		if s := f.tryTake(); s != nil {
			f.waiting.Store(false)
			return s
		}
		select {
		case <-f.wake: // maybe stale: look again
		case <-ctx.Done():
			f.waiting.Store(false)
			return nil
		}
	}
}
