//go:build !linux

package bench

import "time"

// fineSleep sleeps for d on the runtime's timers; the pacer's aim grows to
// cover how late they wake up here.
func fineSleep(d time.Duration) { time.Sleep(d) }
