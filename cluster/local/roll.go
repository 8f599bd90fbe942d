package local

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kbench/kbench/cluster"
)

// rollingRestart restarts every broker in id order, as an upgrade does: a
// controlled shutdown (SIGTERM), a start with the same id and data, a wait
// until every partition of f.Topics has its full ISR again, then f.Pause
// before the next. It returns once the first broker is down, the rest
// going on in the background. The undo waits for the roll to end; when
// its context ends first, or ctx does (the run's end), the roll stops
// with the broker it is on serving again, so no broker is left down.
func (l *Cluster) rollingRestart(ctx context.Context, f cluster.Fault) (cluster.Undo, error) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopOnEnd := context.AfterFunc(ctx, cancel)
	first := make(chan error, 1)
	done := make(chan struct{})
	var rollErr error
	go func() {
		defer close(done)
		defer stopOnEnd()
		rollErr = l.roll(rctx, f, first)
	}()
	err := <-first
	if errors.Is(err, errNotRunning) {
		<-done
		cancel()
		return nil, err
	}
	var once sync.Once
	return func(uctx context.Context) error {
		select {
		case <-done:
		case <-uctx.Done():
		}
		once.Do(cancel)
		<-done
		return rollErr
	}, err
}

// roll restarts the brokers in turn until done or ctx ends, and sends the
// first shutdown's outcome on first. A broker it stopped is always
// started again, whatever ctx says.
func (l *Cluster) roll(ctx context.Context, f cluster.Fault, first chan<- error) error {
	bg := context.WithoutCancel(ctx)
	ids := l.BrokerIDs()
	for i, id := range ids {
		if i > 0 && ctx.Err() != nil {
			return fmt.Errorf("rolling restart stopped after %d of %d brokers", i, len(ids))
		}
		start := time.Now()
		err := l.Stop(bg, id)
		if i == 0 {
			first <- err
		}
		if errors.Is(err, errNotRunning) {
			return fmt.Errorf("rolling restart: %w", err)
		}
		// After any other error the broker may be down: start it anyway,
		// and go no further.
		if startErr := l.Start(bg, id); startErr != nil || err != nil {
			return fmt.Errorf("rolling restart of broker %d: %w", id, errors.Join(err, startErr))
		}
		wctx, cancel := context.WithTimeout(ctx, 2*l.readyTimeout)
		err = l.WaitInSync(wctx, f.Topics...)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("rolling restart: broker %d restarted, but its replicas did not catch up, so no other broker was stopped: %w", id, err)
		}
		fmt.Fprintf(l.log, "kbench: rolling restart: broker %d back in sync after %.1fs\n", id, time.Since(start).Seconds())
		if i < len(ids)-1 && f.Pause > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(f.Pause):
			}
		}
	}
	return nil
}
