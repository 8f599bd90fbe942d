package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// reachTimeout bounds how long a run waits for an unreachable cluster.
const reachTimeout = 25 * time.Second

// Config is everything a run needs besides its context.
type Config struct {
	// Workload must have been resolved (Workload.Resolve).
	Workload *Workload
	Driver   drivers.Driver
	Target   cluster.Target
	// Admin manages topics and metadata; required.
	Admin drivers.Admin
	// Profiles names the tuning profiles that shaped the workload.
	Profiles []string
	// Version is kbench's version, recorded in the result.
	Version string
	Host    results.Host
	// Progress, if set, is called after each interval from the run's
	// collector goroutine; it must be quick.
	Progress func(Progress)
	// Log receives a line per phase; nil discards.
	Log io.Writer
}

// Progress is the state of a run after an interval.
type Progress struct {
	Phase   string // "warmup", "measure", "drain"
	Elapsed time.Duration
	Planned time.Duration // warm-up plus measurement; 0 if count-bounded only
	// PlannedMessages is the count bound; 0 if time-bounded only.
	PlannedMessages int64
	Acked           int64 // acknowledged so far
	Consumed        int64
	Interval        results.Interval
}

// run is one run's lifecycle: its clients, topics and clock. The interval
// collector and the fault schedule keep their own state (collector,
// faultScheduler).
type run struct {
	cfg    Config
	w      *Workload
	id     string
	topics []string
	// created are the topics the run made, which it deletes.
	created []string
	// backlog is nil unless the workload builds one (see backlog).
	backlog *backlog
	parts   int // total partitions over all topics
	t0      time.Time
	// warmup is the warm-up's length, warmupEnd its end in Unix ns (set
	// once consumers run, so atomic).
	warmup    time.Duration
	warmupEnd atomic.Int64

	producers []*producer
	consumers []*consumer
	verifiers []*verifier
	// notes are written during setup, before producing starts.
	notes []string

	// produceEnd is when the producers finished, as a Duration; the
	// collector reads it while the run goes on.
	produceEnd atomic.Int64
	consumeEnd time.Duration
}

// Run performs the workload against the target and returns its result.
// It first checks that the cluster answers and that the target can carry
// out the fault schedule (an error wrapping ErrBadWorkload if not).
// When measurement has begun, Run returns a result even if it also returns
// an error or ctx is cancelled: such a result has Complete false, and
// everything measured until then.
func Run(ctx context.Context, cfg Config) (*results.Run, error) {
	w := cfg.Workload
	if w == nil || cfg.Driver == nil || cfg.Target == nil || cfg.Admin == nil {
		return nil, errors.New("bench.Run: Workload, Driver, Target and Admin are required")
	}
	r := &run{cfg: cfg, w: w, id: runID(), backlog: newBacklog(w)}
	r.logf("run %s: %s with %s against %s %v", r.id, w.Name, cfg.Driver.Name(), cfg.Target.Kind(), cfg.Target.Bootstrap())

	if err := r.setup(ctx); err != nil {
		r.teardown()
		return nil, err
	}
	res, err := r.execute(ctx)
	r.teardown()
	return res, err
}

func (r *run) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, format+"\n", args...)
	}
}

func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// setup checks the cluster answers and can carry out the fault schedule,
// creates the run's topics and starts the clients.
func (r *run) setup(ctx context.Context) error {
	w := r.w
	if err := discover(ctx, r.cfg.Target, r.cfg.Admin); err != nil {
		return err
	}
	if err := checkFaults(w, r.cfg.Target, r.cfg.Admin); err != nil {
		return badWorkload(fmt.Errorf("the fault schedule has problems:\n%w", err))
	}
	reachCtx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	if err := r.openTopics(ctx); err != nil {
		return err
	}
	r.parts = w.Topics * w.PartitionsPerTopic

	nprod := w.Topics * w.ProducersPerTopic
	quota := splitCount(w.Messages, nprod)
	for i := 0; i < nprod; i++ {
		p, err := newProducer(ctx, r, i, quota[i])
		if err != nil {
			return err
		}
		r.producers = append(r.producers, p)
	}
	for s := 0; s < w.SubscriptionsPerTopic; s++ {
		v := newVerifier(r.parts, nprod)
		r.verifiers = append(r.verifiers, v)
		group := w.TopicPrefix + "-" + r.id + "-sub-" + strconv.Itoa(s)
		for c := 0; c < w.ConsumerPerSubscription; c++ {
			cons, err := newConsumer(ctx, r, group, v, len(r.consumers))
			if err != nil {
				return err
			}
			r.consumers = append(r.consumers, cons)
		}
	}
	if len(r.producers) == 0 {
		return nil
	}
	if p, ok := r.producers[0].drv.(drivers.Pinger); ok {
		if err := p.Ping(reachCtx); err != nil {
			return fmt.Errorf("producer cannot reach %v: %w", r.cfg.Target.Bootstrap(), err)
		}
	}
	return nil
}

// discover checks, within reachTimeout, that the cluster answers, and
// tells a target that learns its brokers from metadata (an external
// cluster) what they are, so faults can name them.
func discover(ctx context.Context, t cluster.Target, admin drivers.Admin) error {
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	brokers, err := admin.Brokers(ctx)
	if err != nil {
		return fmt.Errorf("%w: cannot reach the cluster at %v within %s: %w; check the address and that the brokers are up", ErrUnreachable, t.Bootstrap(), reachTimeout, err)
	}
	if l, ok := t.(cluster.BrokerLearner); ok {
		l.LearnBrokers(brokers)
	}
	return nil
}

// splitCount shares n messages over k producers; 0 means unbounded.
func splitCount(n int64, k int) []int64 {
	q := make([]int64, k)
	for i := range q {
		if n == 0 {
			q[i] = -1
			continue
		}
		q[i] = n / int64(k)
		if int64(i) < n%int64(k) {
			q[i]++
		}
	}
	return q
}

// execute runs the producers, consumers, collector and fault schedule, then
// drains, verifies and assembles the result.
func (r *run) execute(ctx context.Context) (*results.Run, error) {
	w := r.w
	consCtx, stopConsumers := context.WithCancel(context.Background())
	defer stopConsumers()
	var consWG sync.WaitGroup
	for _, c := range r.consumers {
		consWG.Add(1)
		go func() { defer consWG.Done(); c.loop(consCtx) }()
	}
	r.awaitAssignment(ctx)

	started := time.Now()
	r.t0 = started
	r.warmup = w.Warmup.D()
	r.warmupEnd.Store(started.UnixNano() + int64(r.warmup))
	// The time bound covers warm-up and measurement; a run bounded by
	// count alone has none.
	var planned time.Duration
	if w.Duration > 0 {
		planned = w.Warmup.D() + w.Duration.D()
	}

	col := newCollector(r, planned)
	collectDone := make(chan struct{})
	stopCollect := make(chan struct{})
	go func() { defer close(collectDone); col.loop(stopCollect) }()

	faults := newFaultScheduler(r)
	faultCtx, stopFaults := context.WithCancel(ctx)
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); faults.run(faultCtx) }()

	backlogDone, stopBacklog := make(chan struct{}), make(chan struct{})
	if r.backlog != nil {
		go func() { defer close(backlogDone); r.watchBacklog(stopBacklog) }()
	} else {
		close(backlogDone)
	}
	var prodWG sync.WaitGroup
	for _, p := range r.producers {
		prodWG.Add(1)
		go func() { defer prodWG.Done(); p.loop(ctx, planned) }()
	}
	prodWG.Wait()
	if len(r.producers) == 0 {
		r.consumeOnly(ctx, planned)
	}

	// Everything issued gets its outcome before the producers are judged:
	// a grace of the delivery timeout, cut to 5 s by an interruption
	// (even one that comes while flushing).
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), 2*time.Minute)
	stopShorten := context.AfterFunc(ctx, func() {
		time.AfterFunc(5*time.Second, cancelFlush)
	})
	var flushErr error
	for _, p := range r.producers {
		if err := p.drv.Flush(flushCtx); err != nil && flushErr == nil {
			flushErr = fmt.Errorf("flush producer %d: %w", p.id, err)
		}
	}
	stopShorten()
	cancelFlush()
	r.produceEnd.Store(int64(time.Since(r.t0)))
	r.logf("producers done after %s", r.produceDone().Round(time.Millisecond))

	// The fault schedule ends with production, and what it left in place
	// is undone before consumers drain, so verification reads a whole
	// cluster.
	stopFaults()
	<-faultsDone
	faults.undoAll()

	close(stopBacklog)
	<-backlogDone
	drainErr := r.drain(ctx)
	r.consumeEnd = time.Since(r.t0)
	stopConsumers()
	consWG.Wait()
	close(stopCollect)
	<-collectDone

	res := r.result(started, col)
	switch {
	case ctx.Err() != nil:
		res.Complete = false
		res.Incomplete = "interrupted: " + context.Cause(ctx).Error()
	case flushErr != nil:
		res.Complete = false
		res.Incomplete = flushErr.Error()
	case drainErr != nil:
		// The run measured what it set out to; consumers lagging is a
		// finding, reported in the verification, not a failure.
		res.Notes = append(res.Notes, drainErr.Error())
	}
	res.Faults = faults.events()
	if n := len(w.Faults) - faults.injected(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d scheduled fault(s) did not happen: production ended before their time", n))
	}
	markFaults(res.Intervals, res.Faults)
	res.Failover = analyseFailover(res.Intervals, res.Faults, mergeAckTimes(r.producers), r.shape())
	return res, nil
}

// shape is what failover analysis needs to know of the run.
func (r *run) shape() runShape {
	return runShape{
		warmup:             r.warmup.Seconds(),
		produceEnd:         r.produceDone().Seconds(),
		interval:           r.w.Interval.D().Seconds(),
		topics:             r.topics,
		partitionsPerTopic: r.w.PartitionsPerTopic,
	}
}

// assignTimeout bounds the wait for consumer groups to hand out every
// partition before producing starts.
const assignTimeout = 30 * time.Second

// awaitAssignment waits until each subscription's consumers hold every
// partition, so the group's join is not measured as end-to-end latency.
// Drivers that cannot tell (no drivers.Assigned) are not waited for.
func (r *run) awaitAssignment(ctx context.Context) {
	if len(r.consumers) == 0 {
		return
	}
	for _, c := range r.consumers {
		if _, ok := c.drv.(drivers.Assigned); !ok {
			return
		}
	}
	deadline := time.Now().Add(assignTimeout)
	for ctx.Err() == nil {
		held := map[*verifier]int{}
		for _, c := range r.consumers {
			held[c.v] += c.drv.(drivers.Assigned).AssignedPartitions()
		}
		done := true
		for _, v := range r.verifiers {
			if held[v] < r.parts {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			r.notes = append(r.notes, fmt.Sprintf("consumers did not hold every partition %s after they started; producing began anyway, so early end-to-end latency includes the group's join", assignTimeout))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// produceDone is when the producers finished (0 while they run).
func (r *run) produceDone() time.Duration { return time.Duration(r.produceEnd.Load()) }

// drain waits until every subscription has read the run's topics up to
// their end offsets, at most the workload's drain time, or 2 s once ctx
// ends.
func (r *run) drain(ctx context.Context) error {
	if len(r.verifiers) == 0 || len(r.producers) == 0 { // consumeOnly bounded a consumer-only run

		return nil
	}
	deadline := time.Now().Add(r.w.Drain.D())
	ends, err := r.endOffsets(context.Background())
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	for {
		done := true
		for _, v := range r.verifiers {
			if !v.reached(ends) {
				done = false
			}
		}
		if done {
			r.logf("consumers caught up after %s", time.Since(r.t0).Round(time.Millisecond))
			return nil
		}
		if ctx.Err() != nil {
			deadline = minTime(deadline, time.Now().Add(2*time.Second))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("consumers had not caught up with the end offsets when the drain time (%s) ran out", r.w.Drain.D())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (r *run) teardown() {
	for _, p := range r.producers {
		p.drv.Close()
	}
	for _, c := range r.consumers {
		c.drv.Close()
	}
	if !r.w.KeepTopics {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		for _, t := range r.created {
			if err := r.cfg.Admin.DeleteTopic(ctx, t); err != nil {
				r.logf("delete topic %s: %v", t, err)
			}
		}
	}
}
