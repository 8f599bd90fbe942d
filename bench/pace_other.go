//go:build !linux

package bench

import "time"

// fineSleep sleeps for d on the runtime's timers, which outside Linux wake
// up close enough to their time for the yield loop to finish the wait.
func fineSleep(d time.Duration) { time.Sleep(d) }
