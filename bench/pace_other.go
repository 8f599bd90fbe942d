//go:build !linux

package bench

import "time"

// fineSleep sleeps for d on the runtime's timers; the pacer's aim grows to
// cover how late they wake up here.
func fineSleep(d time.Duration) { time.Sleep(d) }

// preciseThread has nothing to hold outside Linux: the goroutine may move
// between threads, and the pacer's spin yields.
type preciseThread struct{ locked bool }

func (t *preciseThread) acquire() func() { return func() {} }
