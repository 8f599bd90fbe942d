package bench

import (
	"fmt"
	"time"

	"github.com/kbench/kbench/workload"
)

// Shard makes a run one of Count shards of a distributed run. The shards
// meet through a control topic in the cluster under test (see Config).
type Shard struct {
	Index, Count int
	// MeetTimeout bounds the wait for every shard to arrive; the run
	// starts without those still missing (default 2 minutes).
	MeetTimeout time.Duration
	// Silence is how long a shard may go without a heartbeat on the
	// control topic before the others take it for dead (default 10 s).
	Silence time.Duration
}

// Default shard timeouts.
const (
	DefaultMeetTimeout = 2 * time.Minute
	DefaultSilence     = 10 * time.Second
)

// slice is what one shard runs of the workload: run-wide producer ids,
// and per subscription the indexes of its consumers there.
type slice struct {
	producers []int
	consumers [][]int
	// split marks subscriptions whose consumers are on several shards.
	split []bool
}

// sliceOf shares the workload's producers and consumers over count shards
// round-robin, over the shards the roles name (all, by default), and
// returns shard index's share. Every shard computes the same split. A run
// in one process (count 1) runs everything, whatever the roles.
func sliceOf(w *workload.Workload, index, count int) slice {
	on := func(roles []int) []int {
		if len(roles) == 0 || count == 1 {
			roles = make([]int, count)
			for i := range roles {
				roles[i] = i
			}
		}
		return roles
	}
	prodShards, consShards := on(w.Shards.Producers), on(w.Shards.Consumers)
	var s slice
	for id := range w.Topics * w.ProducersPerTopic {
		if prodShards[id%len(prodShards)] == index {
			s.producers = append(s.producers, id)
		}
	}
	per := w.ConsumerPerSubscription
	for sub := range w.SubscriptionsPerTopic {
		var mine []int
		holders := map[int]bool{}
		for c := range per {
			holder := consShards[(sub*per+c)%len(consShards)]
			holders[holder] = true
			if holder == index {
				mine = append(mine, c)
			}
		}
		s.consumers = append(s.consumers, mine)
		s.split = append(s.split, len(holders) > 1)
	}
	return s
}

// producing reports whether shard index of count runs producers.
func producing(w *workload.Workload, index, count int) bool {
	return len(sliceOf(w, index, count).producers) > 0
}

func (s slice) String() string {
	n := 0
	for _, c := range s.consumers {
		n += len(c)
	}
	return fmt.Sprintf("%d producer(s) %v, %d consumer(s)", len(s.producers), s.producers, n)
}
