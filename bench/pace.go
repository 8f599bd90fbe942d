package bench

import (
	"context"
	"runtime"
	"time"
)

// Pacing margins. The runtime's timers wake up to about a millisecond late
// on Linux, and a thread's nanosleep about 100 µs late, so the pacer
// sleeps on a timer until coarseMargin before the due time, then in a
// nanosleep until fineMargin before it, then yields in a loop until it is
// due: the loop costs CPU only for the last fineMargin of a longer wait.
// A wait shorter than fineMargin is one nanosleep.
const (
	coarseMargin = 2 * time.Millisecond
	fineMargin   = 150 * time.Microsecond
)

// waitUntil returns at due, an offset from t0, as closely as the machine
// allows; it returns false if ctx ends first. A send already due costs one
// clock read.
func waitUntil(ctx context.Context, t0 time.Time, due time.Duration) bool {
	now := time.Since(t0)
	if rem := due - now; rem > coarseMargin {
		if !sleepCtx(ctx, rem-coarseMargin) {
			return false
		}
		now = time.Since(t0)
	}
	if rem := due - now; rem > fineMargin {
		fineSleep(rem - fineMargin)
		if ctx.Err() != nil {
			return false
		}
		now = time.Since(t0)
	} else if rem > 0 {
		// Every wait is this short above 1/fineMargin messages/s: spinning
		// through them would take a core from the brokers, so sleep past
		// due and let the sends that fell due go back to back (their lag
		// is recorded).
		fineSleep(rem)
		now = time.Since(t0)
	}
	for now < due {
		runtime.Gosched()
		now = time.Since(t0)
	}
	return ctx.Err() == nil
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
