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
func TestReadTopic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n NewTopics
		unknown := errors.New("unknown topic or partition")
		failing := func(times int) (func(context.Context, string) (int, error), *int) {
			calls := 0
			return func(context.Context, string) (int, error) {
				calls++
				if calls <= times {
					return 0, unknown
				}
				return calls, nil
			}, &calls
		}
		readTopic := func(topic string, read func(context.Context, string) (int, error)) error {
			_, err := ReadTopic(context.Background(), &n, topic, read)
			return err
		}

		n.Created("fresh")
		read, calls := failing(3)
		if err := readTopic("fresh", read); err != nil || *calls != 4 {
			t.Errorf("fresh topic: %v after %d calls, want success after 4", err, *calls)
		}

		read, calls = failing(3)
		if err := readTopic("other", read); !errors.Is(err, unknown) || *calls != 1 {
			t.Errorf("topic not created here: %v after %d calls, want the error after 1", err, *calls)
		}

		time.Sleep(NewTopicGrace)
		read, calls = failing(1)
		if err := readTopic("fresh", read); !errors.Is(err, unknown) || *calls != 1 {
			t.Errorf("topic created %v ago: %v after %d calls, want the error after 1", NewTopicGrace, err, *calls)
		}

		n.Created("never")
		start := time.Now()
		read, _ = failing(1 << 30)
		if err := readTopic("never", read); !errors.Is(err, unknown) || time.Since(start) < NewTopicGrace {
			t.Errorf("a topic that never shows: %v after %v, want the error after %v", err, time.Since(start), NewTopicGrace)
		}
	})
}
