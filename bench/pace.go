package bench

import (
	"context"
	"runtime"
	"time"
)

// Pacing. The runtime's timers wake up to about a millisecond late, so a
// wait sleeps on a timer until coarseMargin before its due time, then in a
// fine sleep (a nanosleep on Linux, with the thread's timer slack at its
// least) aimed at the due time less the fine sleep's usual overshoot, then
// yields in a loop for whatever is left. Aiming at a middle quantile of the
// overshoot rather than its worst keeps the yield loop short (a core
// spinning for every send would take CPU from the client and the brokers),
// while the late wake-ups stay within the overshoot's spread, tens of µs.
// A wait shorter than the aim is all yield loop.
const (
	coarseMargin = 2 * time.Millisecond
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
	aim time.Duration
}

func newPacer() *pacer { return &pacer{aim: initialAim} }

// wait returns at due, an offset from t0, as closely as the machine
// allows; it returns false if ctx ends first. A send already due costs one
// clock read.
func (pc *pacer) wait(ctx context.Context, t0 time.Time, due time.Duration) bool {
	now := time.Since(t0)
	if rem := due - now; rem > coarseMargin {
		if !sleepCtx(ctx, rem-coarseMargin) {
			return false
		}
		now = time.Since(t0)
	}
	if rem := due - now; rem > pc.aim {
		wake := due - pc.aim
		fineSleep(wake - now)
		now = time.Since(t0)
		pc.learn(now - wake)
	}
	for now < due {
		runtime.Gosched()
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
