package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// readExisting checks that the existing topics are there and reads their
// partition count (the same for every one, as the run's partition index
// assumes).
func (r *run) readExisting(ctx context.Context) error {
	w := r.w
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	parts := 0
	for _, t := range w.ExistingTopics {
		ps, err := r.cfg.Admin.Partitions(ctx, t)
		if err != nil {
			return workload.Bad(fmt.Errorf("existing topic %s: %w", t, err))
		}
		if parts != 0 && len(ps) != parts {
			return workload.Bad(fmt.Errorf("existing topics have %d and %d partitions: a run's topics must have the same number", parts, len(ps)))
		}
		parts = len(ps)
	}
	w.PartitionsPerTopic = parts
	r.topicNames()
	r.logf("using %d existing topic(s) of %d partition(s); they are neither created nor deleted", len(r.topics), parts)
	return nil
}

// consumerOnly reports whether the run has no producers at all (a shard
// of a distributed run may have none of its own).
func (r *run) consumerOnly() bool { return r.w.ProducersPerTopic == 0 }

// consumeOnly is a consumer-only run's measurement: it lasts the planned
// time, or until every subscription has read the workload's message
// count, or until ctx ends.
func (r *run) consumeOnly(ctx context.Context, planned time.Duration) {
	for ctx.Err() == nil {
		if planned > 0 && time.Since(r.t0) >= planned {
			return
		}
		if n := r.w.Messages; n > 0 {
			done := true
			for _, v := range r.verifiers {
				d, _, _ := v.counts()
				done = done && d >= n
			}
			if done {
				return
			}
		}
		sleepCtx(ctx, 20*time.Millisecond)
	}
}

// consumerOnlyVerify replaces the producer-based checks of a consumer-only
// run, which has no acknowledgements to compare with, by what it can say.
func (r *run) consumerOnlyVerify(res *results.Run) {
	if !r.consumerOnly() || res.Verify == nil {
		return
	}
	var foreign int64
	for _, v := range r.verifiers {
		foreign = max(foreign, v.foreignCount())
	}
	res.Verify.Lost, res.Verify.Unverified, res.Verify.Duplicated, res.Verify.Reordered = 0, 0, 0, 0
	res.Summary.Lost, res.Summary.Unverified, res.Summary.Duplicated, res.Summary.Reordered = 0, 0, 0, 0
	res.Verify.OffsetCheck = fmt.Sprintf("consumer-only: read %d record(s) per subscription; the topics' end offsets add up to %d",
		res.Verify.Consumed/int64(len(r.verifiers)), res.Verify.EndOffsets)
	res.Notes = append(res.Notes, fmt.Sprintf("consumer-only run: loss, duplication and order are not checked (there are no producers' acknowledgements to check against); end-to-end latency counts only the records that carry kbench's stamp (all but %d per subscription), from the send time in the stamp", foreign))
}

// inWarmup reports whether a record sent at sentNano and consumed at now
// falls in the warm-up. A consumer-only run's records were sent before it
// began, so its warm-up goes by arrival.
func (r *run) inWarmup(sentNano, now int64) bool {
	if r.consumerOnly() {
		return now < r.warmupEnd.Load()
	}
	return sentNano < r.warmupEnd.Load()
}
