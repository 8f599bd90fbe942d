package bench

import (
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fineSleep blocks the calling thread for d in a nanosleep.
func fineSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}

// preciseThread is the thread a pacer's goroutine keeps while it runs.
type preciseThread struct {
	// locked: the goroutine holds its thread, so the pacer's spin must
	// not yield (a locked goroutine that yields hands its thread off and
	// waits to be handed it back, tens of µs).
	locked bool
}

// acquire locks the calling goroutine to its thread and sets the thread's
// timer slack to 1 ns: the default 50 µs lets the kernel defer every
// nanosleep's wake-up by that much. The returned func restores both.
func (t *preciseThread) acquire() func() {
	runtime.LockOSThread()
	t.locked = true
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) != nil {
		return runtime.UnlockOSThread
	}
	return func() {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
		runtime.UnlockOSThread()
	}
}
