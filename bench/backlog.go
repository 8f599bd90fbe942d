package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// backlog runs OpenMessaging Benchmark's consumerBacklogSizeGB: consumers
// pause (after joining their groups) while the producers build a backlog
// of that size, then drain it while the producers go on.
type backlog struct {
	size      int64        // bytes to build
	acked     atomic.Int64 // bytes acknowledged so far
	ackedMsgs atomic.Int64
	// pausing: producing has begun, so consumers (which polled until they
	// held their partitions) wait for resumed.
	pausing atomic.Bool
	resumed chan struct{}
	once    sync.Once

	// Set by watch.
	res results.Backlog
}

// gigabyte is OMB's GB: 1024^3 bytes.
const gigabyte = 1 << 30

func newBacklog(w *workload.Workload) *backlog {
	if w.ConsumerBacklogSizeGB <= 0 {
		return nil
	}
	return &backlog{size: int64(w.ConsumerBacklogSizeGB * gigabyte), resumed: make(chan struct{})}
}

// onAck counts acknowledged bytes; a nil backlog does nothing.
func (b *backlog) onAck(size int) {
	if b != nil {
		b.acked.Add(int64(size))
		b.ackedMsgs.Add(1)
	}
}

// wait blocks a consumer while the backlog is being built, until ctx
// ends; a nil backlog returns at once.
func (b *backlog) wait(ctx context.Context) {
	if b == nil || !b.pausing.Load() {
		return
	}
	select {
	case <-b.resumed:
	case <-ctx.Done():
	}
}

func (b *backlog) resume() { b.once.Do(func() { close(b.resumed) }) }

// consumedLeast is the least any subscription has read.
func (r *run) consumedLeast() int64 {
	least := int64(-1)
	for _, v := range r.verifiers {
		if d, _, _ := v.counts(); least < 0 || d < least {
			least = d
		}
	}
	return max(least, 0)
}

// watchBacklog resumes the consumers once the backlog is built, then times
// their catch-up: until their lag is under one second of acknowledgements.
// It returns when they caught up or stop is closed.
func (r *run) watchBacklog(stop <-chan struct{}) {
	b := r.backlog
	b.pausing.Store(true)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	defer b.resume() // never leave the consumers paused
	for b.acked.Load() < b.size {
		select {
		case <-stop:
			b.res.CatchUpS = -1
			return
		case <-tick.C:
		}
	}
	resumedAt := time.Now()
	b.res.SizeBytes, b.res.BuiltBytes, b.res.BuildS = b.size, b.acked.Load(), resumedAt.Sub(r.t0).Seconds()
	r.logf("backlog of %d bytes built after %.1fs; consumers resume", b.res.BuiltBytes, b.res.BuildS)
	msgs0 := r.consumedLeast() // read before the pause
	b.resume()

	// acks holds the acknowledged-message count at each tick of the last
	// second, to tell one second of production.
	var acks []int64
	finish := func(caughtUp bool) {
		took := time.Since(resumedAt).Seconds()
		b.res.CatchUpS = -1
		if caughtUp {
			b.res.CatchUpS = took
		}
		if took > 0 && b.ackedMsgs.Load() > 0 {
			// Bytes from the mean size acknowledged: consumers count
			// records, and sizes may vary.
			b.res.DrainRateMsgs = float64(r.consumedLeast()-msgs0) / took
			b.res.DrainRateMiB = b.res.DrainRateMsgs * float64(b.acked.Load()) / float64(b.ackedMsgs.Load()) / (1 << 20)
		}
	}
	for {
		select {
		case <-stop:
			finish(false)
			return
		case <-tick.C:
		}
		acked := b.ackedMsgs.Load()
		acks = append(acks, acked)
		if len(acks) > int(time.Second/(20*time.Millisecond)) {
			acks = acks[1:]
		}
		if lag := acked - r.consumedLeast(); lag <= acked-acks[0] || lag <= 0 {
			finish(true)
			r.logf("consumers caught up with the backlog after %.1fs", b.res.CatchUpS)
			return
		}
	}
}

// backlogResult puts the backlog's figures in the result, with a note when
// the consumers never caught up.
func (r *run) backlogResult(res *results.Run) {
	if r.backlog == nil {
		return
	}
	b := r.backlog.res
	res.Summary.Backlog = &b
	if b.BuiltBytes == 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the backlog of %d bytes was never built: production ended first", r.backlog.size))
	} else if b.CatchUpS < 0 {
		res.Notes = append(res.Notes, "the consumers did not catch up with the backlog before the run ended; the drain rate is over the time they had")
	}
}
