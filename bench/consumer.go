package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// consumer is one consuming goroutine with its own client, a member of one
// subscription (consumer group).
type consumer struct {
	r      *run
	drv    drivers.Consumer
	rec    *recorder
	v      *verifier
	sub    int            // the subscription's index
	topics map[string]int // topic name to the run's topic index
	fn     func(*drivers.Message)
	// offsets are, per run-wide partition, the offsets this consumer
	// read (re-reads left out), kept for a subscription split over shards
	// so a merge can tell another shard's re-reads from duplicates; nil
	// otherwise.
	offsets []results.Seqs
}

func newConsumer(ctx context.Context, r *run, group string, v *verifier, i int) (*consumer, error) {
	c := &consumer{r: r, rec: newRecorder(r.histTop(), false), v: v, topics: map[string]int{}}
	for i, t := range r.readTopics() {
		c.topics[t] = i
	}
	c.fn = c.receive
	if v.split {
		c.offsets = make([]results.Seqs, r.parts)
	}
	props := map[string]string{"auto.offset.reset": "earliest"}
	if r.w.UseTransactions {
		props["isolation.level"] = "read_committed"
	}
	for k, val := range r.w.Consumer {
		props[k] = val
	}
	var err error
	c.drv, err = r.cfg.Driver.NewConsumer(ctx, drivers.ConsumerConfig{
		Bootstrap: r.cfg.Target.Bootstrap(),
		ClientID:  "kbench-" + r.id + "-c" + strconv.Itoa(i),
		Group:     group,
		Topics:    r.readTopics(),
		Props:     props,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %d: %w", i, err)
	}
	return c, nil
}

// loop polls until ctx ends.
func (c *consumer) loop(ctx context.Context) {
	for ctx.Err() == nil {
		c.r.backlog.wait(ctx)
		if err := c.drv.Poll(ctx, c.fn); err != nil && ctx.Err() == nil {
			c.rec.mu.Lock()
			c.rec.errors++
			c.rec.errKinds[drivers.KindOf(err)]++
			c.rec.mu.Unlock()
			sleepCtx(ctx, 100*time.Millisecond)
		}
	}
}

// receive handles one consumed record: end-to-end latency from the send
// time in its stamp, and the verifier's bookkeeping.
func (c *consumer) receive(m *drivers.Message) {
	now := stampNow()
	ti, ok := c.topics[m.Topic]
	if !ok || int(m.Partition) >= c.r.w.PartitionsPerTopic {
		return
	}
	part := ti*c.r.w.PartitionsPerTopic + int(m.Partition)
	if !c.v.observe(part, m.Offset, m.Value) {
		return // a re-read after a group rebalance
	}
	if c.offsets != nil {
		c.offsets[part] = addRange(c.offsets[part], uint64(m.Offset), uint64(m.Offset)+1)
	}
	r := c.rec
	r.mu.Lock()
	r.lastAt = now
	if s, err := readStamp(m.Value); err == nil {
		if shift := c.r.e2eShift.Load(); shift != nil && int(s.Producer) < len(*shift) {
			now -= int64((*shift)[s.Producer])
		}
		r.record((now-s.SentNano)/1000, len(m.Value), c.r.inWarmup(s.SentNano, now))
	} else {
		r.acked++
		r.ackedBytes += int64(len(m.Value))
		if c.r.consumerOnly() && !c.r.inWarmup(now, now) {
			// A consumer-only run's rate counts every record it reads.
			r.measAcked++
			r.measBytes += int64(len(m.Value))
		}
	}
	r.mu.Unlock()
}
