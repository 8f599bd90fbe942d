package drivers

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// A read of a topic created a moment ago is retried until it succeeds; a
// read of any other topic, or of one created long ago, is tried once.
func TestNewTopicsRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n NewTopics
		unknown := errors.New("unknown topic or partition")
		failing := func(times int) (func() error, *int) {
			calls := 0
			return func() error {
				calls++
				if calls <= times {
					return unknown
				}
				return nil
			}, &calls
		}

		n.Created("fresh")
		read, calls := failing(3)
		if err := n.Read(context.Background(), "fresh", read); err != nil || *calls != 4 {
			t.Errorf("fresh topic: %v after %d calls, want success after 4", err, *calls)
		}

		read, calls = failing(3)
		if err := n.Read(context.Background(), "other", read); !errors.Is(err, unknown) || *calls != 1 {
			t.Errorf("topic not created here: %v after %d calls, want the error after 1", err, *calls)
		}

		time.Sleep(NewTopicGrace)
		read, calls = failing(1)
		if err := n.Read(context.Background(), "fresh", read); !errors.Is(err, unknown) || *calls != 1 {
			t.Errorf("topic created %v ago: %v after %d calls, want the error after 1", NewTopicGrace, err, *calls)
		}

		n.Created("never")
		start := time.Now()
		read, _ = failing(1 << 30)
		if err := n.Read(context.Background(), "never", read); !errors.Is(err, unknown) || time.Since(start) < NewTopicGrace {
			t.Errorf("a topic that never shows: %v after %v, want the error after %v", err, time.Since(start), NewTopicGrace)
		}
	})
}
