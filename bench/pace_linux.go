package bench

import (
	"syscall"
	"time"
)

// fineSleep blocks the calling thread for d: nanosleep wakes up within
// about 100 µs, where the runtime's timers take up to a millisecond.
func fineSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil)
}
