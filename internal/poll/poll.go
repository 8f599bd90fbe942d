// Package poll repeats a check until it holds: the one retry loop kbench's
// waits share.
package poll

import (
	"context"
	"time"
)

// Until calls check at once, then again every interval after the previous
// call returned, until check reports done or an error, or ctx ends. It
// returns nil when done, check's error, or ctx.Err(). check receives ctx.
func Until(ctx context.Context, every time.Duration, check func(context.Context) (done bool, err error)) error {
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		t.Reset(every)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Sleep waits d, or until ctx ends, and reports whether d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
