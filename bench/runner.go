package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/poll"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// reachTimeout bounds how long a run waits for an unreachable cluster.
const reachTimeout = 25 * time.Second

// Config is everything a run needs besides its context.
type Config struct {
	// Workload must have been resolved (workload.Workload.Resolve).
	Workload *workload.Workload
	Driver   drivers.Driver
	Target   cluster.Target
	// Admin manages topics and metadata; required.
	Admin drivers.Admin
	// LogSizer reads the brokers' log sizes for the result's stored
	// bytes; nil takes Admin, when it can (drivers.LogSizer).
	LogSizer drivers.LogSizer
	// Profiles names the tuning profiles that shaped the workload.
	Profiles []string
	// Version is kbench's version, recorded in the result.
	Version string
	Host    results.Host
	// Outputs receive the run's intervals, phases, fault events and log
	// lines as they happen (see Output); none is fine.
	Outputs []Output
	// RunID names the run and its topics; empty makes one up (NewRunID).
	// A distributed run needs it, the same on every shard.
	RunID string
	// Coordinator, when set, makes the run one shard of a distributed run
	// (see Coordinator); the run's topics then outlive it, for the
	// coordinator's caller to delete once every shard is done.
	Coordinator Coordinator
	// BrokerMetrics says where the brokers' figures come from, read once
	// per interval: nil reads the target's own (cluster.MetricsSource: a
	// local cluster's), Prometheus endpoint URLs are scraped
	// (telemetry.Scraper), and BrokerMetricsOff reads none. kbench's own
	// CPU is always read.
	BrokerMetrics []string

	// wait, when set, replaces the pacer's wait: tests under
	// testing/synctest set it, as that clock does not move while the
	// pacer spins.
	wait func(ctx context.Context, t0 time.Time, due time.Duration) bool
}

// run is one run's lifecycle: its clients, topics and clock. The interval
// collector and the fault schedule keep their own state (collector,
// faultScheduler).
type run struct {
	cfg    Config
	w      *workload.Workload
	id     string
	topics []string
	// created are the topics this process created, deleted at the end
	// unless the workload keeps them.
	created []string
	parts   int // total partitions over all topics
	// backlog is nil unless the workload builds one (see backlog).
	backlog *backlog
	// slice is what this process runs: everything, or a shard's share.
	slice slice
	// coord is Config.Coordinator; shard and shards its answer to Shard
	// (0 and 1 in a run in one process).
	coord         Coordinator
	shard, shards int
	// faults says whether this process carries out the fault schedule.
	faults bool
	// leaders are the partitions' leaders the ISR watcher first saw.
	leaders map[partKey]int32
	// consumed and subConsumed are what the consume rates counted, for
	// a merge (results.Shard.Consumed).
	consumed    *results.ConsumeWindow
	subConsumed []results.ConsumeWindow
	// e2eShift is, per run-wide producer id, how far this process's clock
	// is ahead of that producer's, taken off end-to-end latency; nil in a
	// run in one process. Set before the start, while consumers already
	// run, and again as the coordinator follows the clocks' drift, hence
	// atomic (see setAhead).
	e2eShift atomic.Pointer[[]time.Duration]
	t0       time.Time
	// t0Stamp is t0 in the stamps' time (stampTime), set before
	// producers start.
	t0Stamp int64
	// warmup is the warm-up's length, warmupEnd its end in the stamps'
	// time (set once consumers run, so atomic).
	warmup    time.Duration
	warmupEnd atomic.Int64

	// tail outlives the run's context by stopGrace: the flush, the drain
	// and the reads that assemble the result finish what they can within
	// it after an interruption.
	tail context.Context

	payload   *payload
	producers []*producer
	consumers []*consumer
	verifiers []*verifier
	// xf is the transform stage; nil unless the workload has one.
	xf *transforms
	// notes are written during setup, before producing starts.
	notes []string

	// produceEnd is when the producers finished, as a Duration; the
	// collector reads it while the run goes on.
	produceEnd atomic.Int64
	consumeEnd time.Duration
}

// Run performs the workload against the target and returns its result.
// It first checks that the cluster answers, that the target can carry out
// the fault schedule, and that the largest message fits the brokers' and
// the client's limits (an error wrapping workload.ErrBadWorkload if not).
// When measurement has begun, Run returns a result even if it also returns
// an error or ctx is cancelled: such a result has Complete false, and
// everything measured until then.
func Run(ctx context.Context, cfg Config) (*results.Run, error) {
	w := cfg.Workload
	if w == nil || cfg.Driver == nil || cfg.Target == nil || cfg.Admin == nil {
		return nil, errors.New("bench.Run: Workload, Driver, Target and Admin are required")
	}
	r := &run{cfg: cfg, w: w, id: cfg.RunID, coord: cfg.Coordinator, shards: 1, faults: true, backlog: newBacklog(w)}
	if r.coord != nil {
		r.shard, r.shards = r.coord.Shard()
		if err := CheckRunID(r.id); err != nil {
			return nil, fmt.Errorf("a distributed run needs the same run id on every shard: %w", err)
		}
		if err := w.CheckShard(r.shard, r.shards); err != nil {
			return nil, workload.Bad(err)
		}
	} else if r.id == "" {
		r.id = NewRunID()
	} else if err := CheckRunID(r.id); err != nil {
		return nil, err
	}
	if err := checkBrokerMetrics(cfg.BrokerMetrics); err != nil {
		return nil, err
	}
	r.slice = sliceOf(w, r.shard, r.shards)
	var endTail context.CancelFunc
	r.tail, endTail = tailContext(ctx)
	defer endTail()
	if r.coord != nil {
		r.logf("run %s, shard %d of %d: %s with %s against %v; here %s", r.id, r.shard, r.shards, w.Name, cfg.Driver.Name(), cfg.Target.Bootstrap(), r.slice)
	} else {
		r.logf("run %s: %s with %s against %s %v", r.id, w.Name, cfg.Driver.Name(), cfg.Target.Kind(), cfg.Target.Bootstrap())
	}

	if err := r.setup(ctx); err != nil {
		r.teardown(ctx)
		return nil, err
	}
	res, err := r.execute(ctx)
	if res != nil && r.coord != nil {
		r.describeShard(res)
	}
	r.teardown(ctx)
	return res, err
}

// stopGrace is how long the run's tail (flush, drain, the reads of end
// offsets and log sizes) may go on once the run's context ends, and
// teardownGrace how long deleting its topics may then take: together
// they keep an interrupted run's return within 2 s.
const (
	stopGrace     = time.Second
	teardownGrace = 500 * time.Millisecond
)

// tailContext returns a context that is not cancelled with ctx but
// stopGrace after it.
func tailContext(ctx context.Context) (context.Context, context.CancelFunc) {
	tail, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	return tail, func() { stop(); cancel() }
}

func (r *run) logf(format string, args ...any) {
	if len(r.cfg.Outputs) > 0 {
		fanout(r.cfg.Outputs).Log(fmt.Sprintf(format, args...))
	}
}

// CheckRunID reports whether id can name a run: it becomes part of the
// run's topic names, so it is 1 to 100 of a-z, A-Z, 0-9, '.', '_', '-'.
func CheckRunID(id string) error {
	ok := len(id) > 0 && len(id) <= 100
	for _, c := range id {
		ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-')
	}
	if !ok {
		return fmt.Errorf("run id %q: want 1 to 100 letters, digits, '.', '_' or '-' (it names the run's topics)", id)
	}
	return nil
}

// NewRunID returns a fresh run id: the time and a random suffix.
func NewRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// setup checks the cluster answers, can carry out the fault schedule and
// takes the workload's largest message, creates the run's topics (in a
// distributed run, meeting the other shards first) and starts the
// clients.
func (r *run) setup(ctx context.Context) error {
	if err := discover(ctx, r.cfg.Target, r.cfg.Admin); err != nil {
		return err
	}
	if r.coord == nil {
		if err := r.checkFaults(); err != nil {
			return err
		}
	}
	if err := r.checkMessageSize(ctx); err != nil {
		return err
	}
	create := func(ctx context.Context) error {
		if err := r.checkFaults(); err != nil {
			return err
		}
		return r.createTopics(ctx)
	}
	if r.coord == nil {
		if err := create(ctx); err != nil {
			return err
		}
	} else {
		r.topicNames()
		var err error
		if r.faults, err = r.coord.Meet(ctx, create); err != nil {
			return err
		}
	}
	return r.startClients(ctx)
}

// checkFaults refuses a fault schedule the target cannot carry out.
func (r *run) checkFaults() error {
	if err := checkFaults(r.w, r.cfg.Target, r.cfg.Admin); err != nil {
		return workload.Bad(fmt.Errorf("the fault schedule has problems:\n%w", err))
	}
	return nil
}

// replication is the replication factor topics are created with: the
// workload's, or -1 for the broker's default.
func (r *run) replication() int16 {
	if r.w.ReplicationFactor == 0 {
		return -1
	}
	return int16(r.w.ReplicationFactor)
}

// topicNames sets the names of the run's topics (see TopicNames).
func (r *run) topicNames() {
	r.topics = TopicNames(r.w, r.id)
	r.parts = r.w.Topics * r.w.PartitionsPerTopic
}

// TopicNames returns the names of the topics of run id of w, which every
// shard derives from the run id: w's existingTopics, or those the run
// creates.
func TopicNames(w *workload.Workload, id string) []string {
	if len(w.ExistingTopics) > 0 {
		return slices.Clone(w.ExistingTopics)
	}
	var out []string
	for i := range w.Topics {
		out = append(out, w.TopicPrefix+"-"+id+"-"+strconv.Itoa(i))
	}
	return out
}

// createTimeout bounds the creation of a run's topics.
const createTimeout = time.Minute

// createTopics creates the run's topics, or reads existing ones (see
// readExisting).
func (r *run) createTopics(ctx context.Context) error {
	w := r.w
	if len(w.ExistingTopics) > 0 {
		return r.readExisting(ctx)
	}
	r.topicNames()
	ctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	for _, name := range slices.Concat(r.topics, r.outputTopics()) {
		spec := drivers.TopicSpec{Name: name, Partitions: int32(w.PartitionsPerTopic), ReplicationFactor: r.replication(), Configs: w.TopicConfig}
		if err := r.cfg.Admin.CreateTopic(ctx, spec); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("create topic %s: the cluster did not create the run's topics within %s: %w", name, createTimeout, err)
			}
			return fmt.Errorf("create topic %s: %w", name, err)
		}
		r.created = append(r.created, name)
	}
	r.logf("created %d topic(s) of %d partition(s)", len(r.created), w.PartitionsPerTopic)
	return nil
}

// startClients starts this run's (or shard's) producers and consumers.
// Producers have run-wide ids, so that every stamp is unique in the run.
func (r *run) startClients(ctx context.Context) error {
	w := r.w
	var note string
	var err error
	if r.payload, note, err = newPayload(w); err != nil {
		return err
	}
	if note != "" {
		r.notes = append(r.notes, note)
	}
	nprod := w.Topics * w.ProducersPerTopic
	quota := splitCount(w.Messages, nprod)
	planned := make([]uint64, nprod)
	for id := range planned {
		planned[id] = plannedCount(w, quota[id])
	}
	for _, id := range r.slice.producers {
		p, err := newProducer(ctx, r, id, quota[id])
		if err != nil {
			return err
		}
		p.acked = newBitset(planned[id])
		r.producers = append(r.producers, p)
	}
	for s, mine := range r.slice.consumers {
		if len(mine) == 0 {
			continue
		}
		v := newVerifier(r.parts, planned)
		v.subscription, v.split = s, r.slice.split[s]
		r.verifiers = append(r.verifiers, v)
		group := w.TopicPrefix + "-" + r.id + "-sub-" + strconv.Itoa(s)
		for _, c := range mine {
			cons, err := newConsumer(ctx, r, group, v, s*w.ConsumerPerSubscription+c)
			if err != nil {
				return err
			}
			cons.sub = s
			r.consumers = append(r.consumers, cons)
		}
	}
	if err := r.startTransforms(ctx); err != nil {
		return err
	}
	if len(r.producers) == 0 {
		return nil
	}
	if p, ok := r.producers[0].drv.(drivers.Pinger); ok {
		reachCtx, cancel := context.WithTimeout(ctx, reachTimeout)
		defer cancel()
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

// flushMargin is how much longer than the delivery timeout the flush may
// take: by then every send has completed or failed.
const flushMargin = 5 * time.Second

// flushBound bounds the wait for outstanding acknowledgements after the
// producers stop: the producers' delivery timeout (delivery.timeout.ms,
// else drivers.DefaultDeliveryTimeout) and flushMargin.
func (r *run) flushBound() time.Duration {
	d := drivers.DefaultDeliveryTimeout
	if ms, err := strconv.ParseInt(r.w.Producer["delivery.timeout.ms"], 10, 64); err == nil && ms > 0 {
		d = time.Duration(ms) * time.Millisecond
	}
	return d + flushMargin
}

// histTop is the longest latency the run can measure, which its
// histograms must hold: a message due at the start and acknowledged (or
// consumed) at the end of the flush and the drain. A run bounded by count
// alone has no planned length; its histograms hold at least an hour, and
// anything longer is counted as dropped.
func (r *run) histTop() time.Duration {
	w := r.w
	return w.Warmup.D() + w.Duration.D() + r.flushBound() + w.Drain.D()
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
	// Until measurement has a start, whatever consumers read (a
	// consumer-only run's first fetches, during the group's join) is
	// warm-up, not part of the measured rate.
	r.warmupEnd.Store(math.MaxInt64)
	var consWG sync.WaitGroup
	for _, c := range r.consumers {
		consWG.Add(1)
		go func() { defer consWG.Done(); c.loop(consCtx) }()
	}
	defer r.xf.halt()
	r.xf.start(ctx, r)
	r.awaitAssignment(ctx)

	started := time.Now()
	if r.coord != nil {
		var err error
		if started, err = r.coord.Start(ctx, r.setAhead); err != nil {
			stopConsumers()
			consWG.Wait()
			return nil, err
		}
	}
	r.t0 = started
	r.warmup = w.Warmup.D()
	r.t0Stamp = stampTime(started)
	r.warmupEnd.Store(r.t0Stamp + int64(r.warmup))
	// The time bound covers warm-up and measurement; a run bounded by
	// count alone has none.
	var planned time.Duration
	if w.Duration > 0 {
		planned = w.Warmup.D() + w.Duration.D()
	}

	col := newCollector(r)
	collectDone := make(chan struct{})
	stopCollect := make(chan struct{})
	go func() { defer close(collectDone); col.loop(stopCollect) }()
	smp := startSampler(r)

	faults := newFaultScheduler(r)
	faultCtx, stopFaults := context.WithCancel(ctx)
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); faults.run(faultCtx) }()
	isr := newISRWatcher(r)
	isrDone := make(chan struct{})
	go func() {
		defer close(isrDone)
		if len(w.Faults) > 0 {
			isr.run(faultCtx)
		}
	}()

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
	if r.consumerOnly() {
		r.consumeOnly(ctx, planned)
	}

	// Everything issued gets its outcome before the producers are judged:
	// within the delivery timeout, cut to stopGrace by an interruption
	// (even one that comes while flushing).
	flushCtx, cancelFlush := context.WithTimeout(r.tail, r.flushBound())
	var flushErr error
	for _, p := range r.producers {
		if err := p.drv.Flush(flushCtx); err != nil && flushErr == nil {
			flushErr = fmt.Errorf("flush producer %d: %w", p.id, err)
		}
	}
	cancelFlush()
	if r.coord != nil {
		r.coord.Produced(ctx)
	}
	r.produceEnd.Store(int64(time.Since(r.t0)))
	r.logf("producers done after %s", r.produceDone().Round(time.Millisecond))

	// The fault schedule ends with production, and what it left in place
	// is undone before consumers drain, so verification reads a whole
	// cluster.
	stopFaults()
	<-faultsDone
	<-isrDone
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
	smp.finish(res, r.produceDone())
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
	leaders, isrEvents := isr.result()
	r.leaders = leaders
	res.ISR = isrEvents
	addISRMetrics(res.Failover, leaders, isrEvents, r.produceDone().Seconds())
	return res, nil
}

// shape is what failover analysis needs to know of the run.
func (r *run) shape() runShape {
	return runShape{
		warmup:             r.warmup.Seconds(),
		sendEnd:            r.sendEnd().Seconds(),
		ackEnd:             r.produceDone().Seconds(),
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
	_ = poll.Until(ctx, 20*time.Millisecond, func(context.Context) (bool, error) {
		held := map[*verifier]int{}
		for _, c := range r.consumers {
			held[c.v] += c.drv.(drivers.Assigned).AssignedPartitions()
		}
		done := true
		for _, v := range r.verifiers {
			// A subscription shared with other shards holds only part
			// of the partitions here.
			if !v.split && held[v] < r.parts {
				done = false
			}
		}
		if done {
			return true, nil
		}
		if time.Now().After(deadline) {
			r.notes = append(r.notes, fmt.Sprintf("consumers did not hold every partition %s after they started; producing began anyway, so early end-to-end latency includes the group's join", assignTimeout))
			return true, nil
		}
		return false, nil
	})
}

// sendEnd is when the last producer's sending ended (read once they have
// returned).
func (r *run) sendEnd() time.Duration {
	var end time.Duration
	for _, p := range r.producers {
		end = max(end, p.sentUntil)
	}
	return end
}

// produceDone is when the producers finished (0 while they run).
func (r *run) produceDone() time.Duration { return time.Duration(r.produceEnd.Load()) }

// drain waits until every subscription has read the run's topics up to
// their end offsets, at most the workload's drain time, or until the
// run's tail ends once ctx does (stopGrace).
func (r *run) drain(ctx context.Context) error {
	deadline := time.Now().Add(r.w.Drain.D())
	r.xf.drain(r, deadline)
	if len(r.verifiers) == 0 || r.consumerOnly() { // consumeOnly bounded a consumer-only run
		return nil
	}
	ends, err := r.readEnds(r.tail)
	if err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	return poll.Until(r.tail, 50*time.Millisecond, func(context.Context) (bool, error) {
		done := true
		for _, v := range r.verifiers {
			if v.split && !v.reachedRead(ends) || !v.split && !v.reached(ends) {
				done = false
			}
		}
		if done {
			r.logf("consumers caught up after %s", time.Since(r.t0).Round(time.Millisecond))
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("consumers had not caught up with the end offsets when the drain time (%s) ran out", r.w.Drain.D())
		}
		return false, nil
	})
}

// teardown closes the clients and deletes the topics the run created,
// within teardownGrace once ctx has ended.
func (r *run) teardown(ctx context.Context) {
	for _, p := range r.producers {
		p.drv.Close()
	}
	for _, c := range r.consumers {
		c.drv.Close()
	}
	r.xf.close()
	if r.w.KeepTopics && len(r.created) > 0 && r.coord == nil {
		r.logf("keeping topic(s) %s (keepTopics)", strings.Join(r.created, ", "))
	}
	// A distributed run's topics are the coordinator's caller's to delete.
	if !r.w.KeepTopics && r.coord == nil {
		d := 15 * time.Second
		if ctx.Err() != nil {
			d = teardownGrace
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
		defer cancel()
		for _, t := range r.created {
			if err := r.cfg.Admin.DeleteTopic(ctx, t); err != nil {
				r.logf("delete topic %s: %v", t, err)
			}
		}
	}
}
