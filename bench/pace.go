package bench

import (
	"context"
	"runtime"
	"time"
)

// Pacing. A wait sleeps in a fine sleep (on Linux a nanosleep, on a thread
// of the producer's own whose timer slack is at its least) aimed at the due
// time less the fine sleep's usual overshoot, then spins for whatever is
// left. Where the goroutine cannot hold a thread, it first sleeps on a
// runtime timer, which wakes up to a millisecond late, until coarseMargin
// before the due time. A wait shorter than the aim is one fine sleep
// that may end past due (the sends that fell due meanwhile go back to back,
// their lag recorded): spinning through every short wait would take a core
// from the client and the brokers, which on a small machine makes sends
// later, not earlier.
const (
	coarseMargin = 2 * time.Millisecond
	// maxFineSleep bounds one fine sleep, which does not see ctx end.
	maxFineSleep = 20 * time.Millisecond
	// overshootQuantile is the share of fine sleeps that wake up no later
	// than the aim.
	overshootQuantile = 0.75
	// initialAim is where the aim starts before any sleep is measured.
	initialAim = 50 * time.Microsecond
	maxAim     = 2 * time.Millisecond
)

// pacer waits until each send's due time for one producer goroutine.
type pacer struct {
	// aim estimates the fine sleep's overshootQuantile overshoot.
	aim     time.Duration
	thread  preciseThread
	release func()
}

// newPacer prepares the calling goroutine for precise sleeps (on Linux it
// keeps the goroutine on its thread and lowers that thread's timer slack);
// close undoes it.
func newPacer() *pacer {
	pc := &pacer{aim: initialAim}
	pc.release = pc.thread.acquire()
	return pc
}

func (pc *pacer) close() { pc.release() }

// wait returns at due, an offset from t0, as closely as the machine
// allows; it returns false if ctx ends first. A send already due costs one
// clock read.
func (pc *pacer) wait(ctx context.Context, t0 time.Time, due time.Duration) bool {
	now := time.Since(t0)
	if rem := due - now; rem > coarseMargin && !pc.thread.locked {
		if !sleepCtx(ctx, rem-coarseMargin) {
			return false
		}
		now = time.Since(t0)
	}
	if rem := due - now; rem > pc.aim {
		wake := due - pc.aim
		// A thread of its own sleeps all the way, in slices short enough
		// to notice ctx's end.
		for ; wake-now > maxFineSleep; now = time.Since(t0) {
			fineSleep(maxFineSleep)
			if ctx.Err() != nil {
				return false
			}
		}
		fineSleep(wake - now)
		now = time.Since(t0)
		pc.learn(now - wake)
	} else if rem > 0 {
		fineSleep(rem)
		now = time.Since(t0)
	}
	for now < due {
		if !pc.thread.locked {
			runtime.Gosched()
		}
		now = time.Since(t0)
	}
	return ctx.Err() == nil
}

// learn moves the aim after a fine sleep that woke up over late: a
// stochastic estimate of the overshoot's quantile, moving by a step that
// scales with the aim so it settles within a few hundred sleeps whether
// the machine's overshoot is 20 µs or 2 ms.
func (pc *pacer) learn(over time.Duration) {
	step := max(pc.aim/64, time.Microsecond)
	if over > pc.aim {
		pc.aim = min(pc.aim+time.Duration(overshootQuantile*float64(step)), maxAim)
	} else {
		pc.aim = max(pc.aim-time.Duration((1-overshootQuantile)*float64(step)), 0)
	}
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
