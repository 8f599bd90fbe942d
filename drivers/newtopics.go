package drivers

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kbench/kbench/internal/poll"
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
	var v T
	var err error
	_ = poll.Until(ctx, NewTopicPoll, func(ctx context.Context) (bool, error) {
		v, err = read(ctx, topic)
		return err == nil || !n.young(topic), nil
	})
	return v, err // when ctx ends first, read's last answer
}

func (n *NewTopics) young(topic string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.at[topic]
	return ok && time.Since(at) < NewTopicGrace
}

// leaderWait bounds WaitForLeaders, and leaderPoll is how often it asks.
const (
	leaderWait = 30 * time.Second
	leaderPoll = 100 * time.Millisecond
)

// WaitForLeaders describes topic through a until it has partitions
// partitions (any number when partitions < 0) and each has a leader, for at
// most 30 s, so producing right after the topic's creation does not race
// it. A failed description is asked again: metadata may lag the creation.
func WaitForLeaders(ctx context.Context, a Admin, topic string, partitions int32) error {
	ctx, cancel := context.WithTimeout(ctx, leaderWait)
	defer cancel()
	err := poll.Until(ctx, leaderPoll, func(ctx context.Context) (bool, error) {
		ps, err := a.Partitions(ctx, topic)
		if err != nil || len(ps) == 0 || partitions >= 0 && len(ps) != int(partitions) {
			return false, nil
		}
		return !slices.ContainsFunc(ps, func(p PartitionInfo) bool { return p.Leader < 0 }), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for topic %s to get leaders: %w", topic, err)
	}
	return nil
}
