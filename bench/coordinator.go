package bench

import (
	"context"
	"time"
)

// Coordinator makes a run one shard of a distributed run: Run calls it at
// the few points where the shards must agree, always from Run's own
// goroutine and in this order: Shard, Meet, Start, Produced. The
// distributed package implements it over a control topic.
type Coordinator interface {
	// Shard returns this run's shard index and the run's shard count. The
	// run carries out that share of the workload's producers and
	// consumers (ShardProducers) and its result carries what a merge of
	// the shards' results needs (results.Run.Shard).
	Shard() (index, count int)
	// Meet is called once the cluster answered and the largest message
	// fits, before any client starts, and returns once the run's topics
	// exist. On the one shard that creates them it calls create, which
	// checks the fault schedule and creates the topics. faults reports
	// whether this shard carries out the fault schedule: one shard does,
	// for the whole run.
	Meet(ctx context.Context, create func(context.Context) error) (faults bool, err error)
	// Start is called once this shard's clients are up and its consumers
	// hold their partitions (they already read). It waits for the run's
	// common start and returns it as an instant with a monotonic reading
	// (ProcessClock's Instant of the agreed time): the run's timing and
	// its stamps follow the monotonic clock from there, whatever the wall
	// clock does. It calls setAhead with, per run-wide producer id, how
	// far this process's clock is ahead of the clock of the process
	// running that producer: consumers take it off end-to-end latency.
	// It calls it once before it returns (or not at all: all clocks taken
	// as one), then again, from another goroutine, whenever the clocks
	// are measured anew, until the coordinator's owner stops it after Run
	// returns; setAhead must not block.
	Start(ctx context.Context, setAhead func(ahead []time.Duration)) (start time.Time, err error)
	// Produced is called once this shard's producers are done and
	// flushed, and returns when every shard's are (or fell silent) or
	// ctx ends: consumers drain, and the fault schedule stops, only then.
	Produced(ctx context.Context)
}
