package bench

import (
	"context"
	"runtime"
	"time"

	"github.com/kbench/kbench/internal/poll"
)

// Pacing. A wait sleeps in a fine sleep (on Linux a nanosleep, on a thread
// of the producer's own whose timer slack is at its least) aimed at the due
// time less the fine sleep's overshoot on this machine, then spins for
// whatever is left. Where the goroutine cannot hold a thread, it first
// sleeps on a runtime timer, which wakes up to a millisecond late, until
// coarseMargin before the due time.
//
// With pacing "spin" the producer spins throughout instead, on a thread of
// its own, and so never leaves its core: sleeping lets the core idle, and
// on a virtual machine an idle vCPU is woken by the host, now and then
// milliseconds late, which no aim can foresee.
//
// How much to spin is a trade of CPU for precision. A long wait (a low
// rate) aims at the overshoot's 99th percentile, as a spin of tens of µs
// costs little against it; a short one aims at the 75th. A wait shorter
// than the aim is one fine sleep that may end past due (the sends that fell
// due meanwhile go back to back, their lag recorded): spinning through
// every short wait would take a core from the client and the brokers,
// which on a small machine makes sends later, not earlier.
const (
	coarseMargin = 2 * time.Millisecond
	// maxFineSleep bounds one fine sleep, which does not see ctx end.
	maxFineSleep = 20 * time.Millisecond
	// spinCheck is how often a spin looks at ctx.
	spinCheck = time.Millisecond
	// longWait is how many times the 99th-percentile aim a wait must be
	// to use it: at most a 20th of a long wait is spent spinning.
	longWait = 20
	// initialTypical and initialWorst are where the estimates start
	// before any sleep is measured: the worst high, as the 99th
	// percentile takes hundreds of sleeps to rise to its place and a
	// low-rate run has few.
	initialTypical = 50 * time.Microsecond
	initialWorst   = 200 * time.Microsecond
	maxAim         = 2 * time.Millisecond
)

// pacer waits until each send's due time for one producer goroutine.
type pacer struct {
	// typical and worst estimate the fine sleep's overshoot: its 75th
	// and 99th percentiles.
	typical, worst quantile
	// spin: never sleep.
	spin    bool
	thread  preciseThread
	release func()
}

// newPacer prepares the calling goroutine for precise sleeps (on Linux it
// keeps the goroutine on its thread and lowers that thread's timer slack),
// or for spinning (it keeps the goroutine on its thread); close undoes it.
func newPacer(spin bool) *pacer {
	pc := &pacer{typical: quantile{q: 0.75, v: initialTypical}, worst: quantile{q: 0.99, v: initialWorst}, spin: spin}
	if spin {
		runtime.LockOSThread()
		pc.release = runtime.UnlockOSThread
		return pc
	}
	pc.release = pc.thread.acquire()
	return pc
}

func (pc *pacer) close() { pc.release() }

// wait returns at due, an offset from t0, as closely as the machine
// allows; it returns false if ctx ends first. A send already due costs one
// clock read.
func (pc *pacer) wait(ctx context.Context, t0 time.Time, due time.Duration) bool {
	now := time.Since(t0)
	if pc.spin {
		return spinUntil(ctx, t0, due, now)
	}
	if rem := due - now; rem > coarseMargin && !pc.thread.locked {
		if !sleepCtx(ctx, rem-coarseMargin) {
			return false
		}
		now = time.Since(t0)
	}
	aim := pc.typical.v
	if due-now >= longWait*pc.worst.v {
		aim = pc.worst.v
	}
	if rem := due - now; rem > aim {
		wake := due - aim
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
		pc.typical.learn(now - wake)
		pc.worst.learn(now - wake)
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

// spinUntil reads the clock until due, looking at ctx every spinCheck.
func spinUntil(ctx context.Context, t0 time.Time, due, now time.Duration) bool {
	for check := now + spinCheck; now < due; now = time.Since(t0) {
		if now >= check {
			if ctx.Err() != nil {
				return false
			}
			check = now + spinCheck
		}
	}
	return ctx.Err() == nil
}

// quantile is a running estimate of the q quantile of a series of
// durations.
type quantile struct {
	q float64
	v time.Duration
}

// learn moves the estimate after one more value: up by q steps when the
// value is above it, down by 1-q steps otherwise, so it settles where a
// share q of values lie below. The step scales with the estimate, so it
// settles within a few hundred values whether the machine's overshoot is
// 20 µs or 2 ms.
func (e *quantile) learn(x time.Duration) {
	step := max(e.v/64, time.Microsecond)
	if x > e.v {
		e.v = min(e.v+time.Duration(e.q*float64(step)), maxAim)
	} else {
		e.v = max(e.v-time.Duration((1-e.q)*float64(step)), 0)
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
	return poll.Sleep(ctx, d)
}
