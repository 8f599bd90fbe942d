package poll

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestUntil(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Done on the third call: two waits of the interval.
		start, calls := time.Now(), 0
		err := Until(t.Context(), 100*time.Millisecond, func(context.Context) (bool, error) {
			calls++
			return calls == 3, nil
		})
		if err != nil || calls != 3 || time.Since(start) != 200*time.Millisecond {
			t.Errorf("done: err %v after %d calls and %v", err, calls, time.Since(start))
		}

		// check's error ends the wait at once.
		boom := errors.New("boom")
		if err := Until(t.Context(), time.Second, func(context.Context) (bool, error) { return false, boom }); err != boom {
			t.Errorf("check's error: got %v", err)
		}

		// ctx's end ends it between calls.
		ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
		defer cancel()
		calls = 0
		err = Until(ctx, 100*time.Millisecond, func(context.Context) (bool, error) { calls++; return false, nil })
		if !errors.Is(err, context.DeadlineExceeded) || calls != 3 {
			t.Errorf("ctx ended: err %v after %d calls", err, calls)
		}
	})
}
