package bench

import (
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fineSleep blocks the calling thread for d in a nanosleep, with the
// thread's timer slack at 1 ns for the while: the default 50 µs lets the
// kernel defer the wake-up by that much. The goroutine keeps its thread
// only for the sleep, as the pacer's yield loop must not hold a thread.
func fineSleep(d time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err == nil && unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) == nil {
		defer unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
	}
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
