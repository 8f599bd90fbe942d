package bench

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/poll"
	"github.com/kbench/kbench/results"
)

// isrPoll is how often the ISR watcher asks for the partitions' state.
const isrPoll = 250 * time.Millisecond

// ISR event kinds.
const (
	isrShrink = "shrink"
	isrExpand = "expand"
	isrLeader = "leader"
)

// isrWatcher records the leader and ISR changes of the run's partitions
// while a fault schedule runs, as the admin client sees them. A broker
// cut off from the controllers may still answer with what it knew, so
// the changes are those of the metadata the client was given.
type isrWatcher struct {
	admin  drivers.Admin
	topics []string
	t0     time.Time

	mu      sync.Mutex        // guards the fields below, written by run
	initial map[partKey]int32 // leaders at the first poll
	last    map[partKey]drivers.PartitionInfo
	events  []results.ISREvent
}

type partKey struct {
	topic     string
	partition int32
}

func newISRWatcher(r *run) *isrWatcher {
	return &isrWatcher{admin: r.cfg.Admin, topics: r.topics, t0: r.t0}
}

// run polls until ctx ends.
func (w *isrWatcher) run(ctx context.Context) {
	_ = poll.Until(ctx, isrPoll, func(ctx context.Context) (bool, error) {
		w.poll(ctx)
		return false, nil
	})
}

func (w *isrWatcher) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, topic := range w.topics {
		parts, err := w.admin.Partitions(ctx, topic)
		if err != nil {
			continue // an unreachable broker is what faults do; try again
		}
		at := time.Since(w.t0).Seconds()
		w.mu.Lock()
		for _, p := range parts {
			w.observe(at, p)
		}
		w.mu.Unlock()
	}
}

// observe records how p differs from what was seen before. Callers hold
// w.mu.
func (w *isrWatcher) observe(at float64, p drivers.PartitionInfo) {
	k := partKey{p.Topic, p.Partition}
	if w.last == nil {
		w.last, w.initial = map[partKey]drivers.PartitionInfo{}, map[partKey]int32{}
	}
	prev, seen := w.last[k]
	w.last[k] = p
	if !seen {
		w.initial[k] = p.Leader
		return
	}
	ev := func(kind string) {
		w.events = append(w.events, results.ISREvent{At: at, Topic: p.Topic, Partition: p.Partition,
			Kind: kind, Leader: p.Leader, ISR: slices.Clone(p.ISR)})
	}
	if p.Leader != prev.Leader {
		ev(isrLeader)
	}
	if slices.ContainsFunc(prev.ISR, func(id int32) bool { return !slices.Contains(p.ISR, id) }) {
		ev(isrShrink)
	}
	if slices.ContainsFunc(p.ISR, func(id int32) bool { return !slices.Contains(prev.ISR, id) }) {
		ev(isrExpand)
	}
}

// result returns the leaders first seen and the events since.
func (w *isrWatcher) result() (map[partKey]int32, []results.ISREvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.initial, slices.Clone(w.events)
}

// addISRMetrics fills in each failover's leader replacement time and ISR
// event counts, from the leaders first seen and the events (in time
// order). For a fault on broker B requested at F (Fault.Began: a
// controlled stop moves leaders before it returns), up to limit (the next
// fault's request or the end of production):
//   - the partitions B led at F (first leaders, then the leader events
//     up to F) are replaced when each has had a leader event naming
//     another broker; LeaderReplacedS is the last of those times minus F,
//     -1 if one never had before limit. Faults that only slow B down
//     (latency, bandwidth, reset) are not meant to replace it and get
//     none;
//   - ISRShrinks and ISRExpands count the events in [F, limit).
func addISRMetrics(fos []results.Failover, initial map[partKey]int32, events []results.ISREvent, produceEnd float64) {
	for i := range fos {
		fo := &fos[i]
		at, broker := fo.Fault.Began(), fo.Fault.Broker
		limit := produceEnd
		if i+1 < len(fos) {
			limit = min(limit, fos[i+1].Fault.Began())
		}
		leaders := map[partKey]int32{}
		for k, l := range initial {
			leaders[k] = l
		}
		replaced := map[partKey]float64{}
		for _, ev := range events {
			k := partKey{ev.Topic, ev.Partition}
			switch {
			case ev.At < at:
				if ev.Kind == isrLeader {
					leaders[k] = ev.Leader
				}
				continue
			case ev.At >= limit:
				continue
			case ev.Kind == isrShrink:
				fo.ISRShrinks++
			case ev.Kind == isrExpand:
				fo.ISRExpands++
			}
			if _, done := replaced[k]; !done && ev.Kind == isrLeader && ev.Leader >= 0 && ev.Leader != broker {
				replaced[k] = ev.At
			}
		}
		led := 0
		if slowsOnly(fo.Fault.Action) {
			continue
		}
		for k, l := range leaders {
			if l != broker || broker < 0 {
				continue
			}
			led++
			t, ok := replaced[k]
			if !ok {
				fo.LeaderReplacedS = -1
				break
			}
			fo.LeaderReplacedS = max(fo.LeaderReplacedS, t-at)
		}
		if led == 0 {
			fo.LeaderReplacedS = 0
		}
	}
}

// slowsOnly reports whether action degrades a broker's links without
// taking it away.
func slowsOnly(action string) bool {
	switch cluster.Action(action) {
	case cluster.ActionLatency, cluster.ActionBandwidth, cluster.ActionReset:
		return true
	}
	return false
}
