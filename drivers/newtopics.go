package drivers

import (
	"context"
	"sync"
	"time"
)

// NewTopics remembers the topics an admin created lately. Each broker
// applies a new topic to its metadata on its own time, so right after the
// creation one broker can describe the topic while the next answers that
// it does not exist; an admin retries a read of a topic it created a
// moment ago rather than report such an answer. The zero value is ready.
type NewTopics struct {
	mu sync.Mutex
	at map[string]time.Time
}

// NewTopicGrace is how long after its creation a topic's reads are retried,
// and NewTopicPoll how often.
const (
	NewTopicGrace = 30 * time.Second
	NewTopicPoll  = 100 * time.Millisecond
)

// Created notes that the topic was just created, or found to exist by a
// creation that failed: another client may have created it a moment ago.
func (n *NewTopics) Created(topic string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.at == nil {
		n.at = map[string]time.Time{}
	}
	now := time.Now()
	for t, at := range n.at {
		if now.Sub(at) > NewTopicGrace {
			delete(n.at, t)
		}
	}
	n.at[topic] = now
}

// ReadTopic returns read(ctx, topic), called again after each failure while
// the topic is one n saw created less than NewTopicGrace ago and ctx
// lasts; it returns read's last error otherwise. A topic not created
// through n is read once.
func ReadTopic[T any](ctx context.Context, n *NewTopics, topic string, read func(context.Context, string) (T, error)) (T, error) {
	for {
		v, err := read(ctx, topic)
		if err == nil || !n.young(topic) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(NewTopicPoll):
		}
	}
}

func (n *NewTopics) young(topic string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.at[topic]
	return ok && time.Since(at) < NewTopicGrace
}
