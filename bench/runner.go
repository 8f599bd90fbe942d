package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// LateThreshold is how far behind its intended time a send may be issued
// before it counts as late (open model).
const LateThreshold = time.Millisecond

// ReachTimeout bounds how long a run waits for an unreachable cluster.
const ReachTimeout = 25 * time.Second

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

// run is the state of one run.
type run struct {
	cfg    Config
	w      *Workload
	id     string
	topics []string
	parts  int // total partitions over all topics
	t0     time.Time
	// warmup is the warm-up's length, warmupEnd its end in Unix ns (set
	// once consumers run, so atomic).
	warmup    time.Duration
	warmupEnd atomic.Int64

	producers []*producer
	consumers []*consumer
	verifiers []*verifier

	// Collector state: owned by the collector goroutine, read after it
	// stops.
	intervals  []results.Interval
	pubSum     *hdrhistogram.Histogram
	e2eSum     *hdrhistogram.Histogram
	spare      *hdrhistogram.Histogram
	lastTick   time.Duration
	totals     snapshot
	consTotals snapshot

	faultMu sync.Mutex
	faults  []results.Fault
	pending []*pendingUndo
	notes   []string

	// produceEnd is when the producers finished, as a Duration; the
	// collector reads it while the run goes on.
	produceEnd atomic.Int64
	consumeEnd time.Duration
}

// Run performs the workload against the target and returns its result.
// When measurement has begun, Run returns a result even if it also returns
// an error or ctx is cancelled: such a result has Complete false, and
// everything measured until then.
func Run(ctx context.Context, cfg Config) (*results.Run, error) {
	w := cfg.Workload
	if w == nil || cfg.Driver == nil || cfg.Target == nil || cfg.Admin == nil {
		return nil, errors.New("bench.Run: Workload, Driver, Target and Admin are required")
	}
	r := &run{cfg: cfg, w: w, id: runID(), pubSum: results.NewHist(), e2eSum: results.NewHist(), spare: results.NewHist()}
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

// setup checks the cluster answers, creates the run's topics and starts
// the clients.
func (r *run) setup(ctx context.Context) error {
	w := r.w
	if err := Discover(ctx, r.cfg.Target, r.cfg.Admin); err != nil {
		return err
	}
	if err := CheckFaults(w, r.cfg.Target, r.cfg.Admin); err != nil {
		return fmt.Errorf("%w: the fault schedule has problems:\n%w", ErrBadWorkload, err)
	}
	reachCtx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	rf := int16(w.ReplicationFactor)
	if rf == 0 {
		rf = -1
	}
	for i := 0; i < w.Topics; i++ {
		name := w.TopicPrefix + "-" + r.id + "-" + strconv.Itoa(i)
		spec := drivers.TopicSpec{Name: name, Partitions: int32(w.PartitionsPerTopic), ReplicationFactor: rf, Configs: w.TopicConfig}
		if err := r.cfg.Admin.CreateTopic(ctx, spec); err != nil {
			return fmt.Errorf("create topic %s: %w", name, err)
		}
		r.topics = append(r.topics, name)
	}
	r.parts = w.Topics * w.PartitionsPerTopic
	r.logf("created %d topic(s) of %d partition(s)", w.Topics, w.PartitionsPerTopic)

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
	if p, ok := r.producers[0].drv.(drivers.Pinger); ok {
		if err := p.Ping(reachCtx); err != nil {
			return fmt.Errorf("producer cannot reach %v: %w", r.cfg.Target.Bootstrap(), err)
		}
	}
	return nil
}

// Discover checks, within ReachTimeout, that the cluster answers, and
// tells a target that learns its brokers from metadata (an external
// cluster) what they are, so faults can name them.
func Discover(ctx context.Context, t cluster.Target, admin drivers.Admin) error {
	ctx, cancel := context.WithTimeout(ctx, ReachTimeout)
	defer cancel()
	brokers, err := admin.Brokers(ctx)
	if err != nil {
		return fmt.Errorf("cannot reach the cluster at %v within %s: %w; check the address and that the brokers are up", t.Bootstrap(), ReachTimeout, err)
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

	collectDone := make(chan struct{})
	stopCollect := make(chan struct{})
	go func() { defer close(collectDone); r.collectLoop(stopCollect, planned) }()

	faultCtx, stopFaults := context.WithCancel(ctx)
	faultsDone := make(chan struct{})
	go func() { defer close(faultsDone); r.runFaults(faultCtx) }()

	var prodWG sync.WaitGroup
	for _, p := range r.producers {
		prodWG.Add(1)
		go func() { defer prodWG.Done(); p.loop(ctx, planned) }()
	}
	prodWG.Wait()

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
	r.undoFaults()

	drainErr := r.drain(ctx)
	r.consumeEnd = time.Since(r.t0)
	stopConsumers()
	consWG.Wait()
	close(stopCollect)
	<-collectDone

	res := r.result(started)
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
	res.Faults = r.faultEvents()
	if n := len(w.Faults) - r.injected(); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d scheduled fault(s) did not happen: production ended before their time", n))
	}
	r.analyseFaults(res)
	return res, nil
}

// AssignTimeout bounds the wait for consumer groups to hand out every
// partition before producing starts.
const AssignTimeout = 30 * time.Second

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
	deadline := time.Now().Add(AssignTimeout)
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
			r.notes = append(r.notes, fmt.Sprintf("consumers did not hold every partition %s after they started; producing began anyway, so early end-to-end latency includes the group's join", AssignTimeout))
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
	if len(r.verifiers) == 0 {
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

// endOffsets returns the run-wide partition index's end offsets.
func (r *run) endOffsets(ctx context.Context) ([]int64, error) {
	ends := make([]int64, r.parts)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for ti, t := range r.topics {
		offs, err := r.cfg.Admin.EndOffsets(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("end offsets of %s: %w", t, err)
		}
		for p, o := range offs {
			if int(p) < r.w.PartitionsPerTopic {
				ends[ti*r.w.PartitionsPerTopic+int(p)] = o
			}
		}
	}
	return ends, nil
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
		for _, t := range r.topics {
			if err := r.cfg.Admin.DeleteTopic(ctx, t); err != nil {
				r.logf("delete topic %s: %v", t, err)
			}
		}
	}
}

// collectLoop closes an interval at every multiple of the interval from
// the run's start (computed, not accumulated, so boundaries do not drift)
// and once more when stopped.
func (r *run) collectLoop(stop <-chan struct{}, planned time.Duration) {
	iv := r.w.Interval.D()
	for k := 1; ; {
		next := time.Duration(k) * iv
		if r.warmup > r.lastTick && r.warmup < next {
			// An extra boundary at the warm-up's end, so that no interval
			// is part warm-up and part measurement.
			next = r.warmup
		} else {
			k++
		}
		timer := time.NewTimer(time.Until(r.t0.Add(next)))
		select {
		case <-timer.C:
			r.collect(next, planned)
		case <-stop:
			timer.Stop()
			r.collect(time.Since(r.t0), planned)
			return
		}
	}
}

// collect closes the interval ending at end.
func (r *run) collect(end, planned time.Duration) {
	if end <= r.lastTick {
		return
	}
	warm := r.lastTick < r.w.Warmup.D()
	iv := results.Interval{
		Start:  r.lastTick.Seconds(),
		End:    end.Seconds(),
		Warmup: warm,
	}
	r.lastTick = end

	var ps snapshot
	ps.errKinds = map[string]int64{}
	pub := r.spare
	for _, p := range r.producers {
		p.rec.take(pub, r.pubSum, &ps)
	}
	iv.Sent, iv.Acked, iv.AckedBytes, iv.Errors, iv.LateSends = ps.sent, ps.acked, ps.ackedBytes, ps.errors, ps.late
	if len(ps.errKinds) > 0 {
		iv.ErrorsByKind = ps.errKinds
	}
	iv.PublishP50Ms = float64(pub.ValueAtQuantile(50)) / 1000
	iv.PublishP99Ms = float64(pub.ValueAtQuantile(99)) / 1000
	iv.PublishMaxMs = float64(pub.Max()) / 1000
	iv.PublishHist, _ = results.EncodeHist(pub)
	pub.Reset()

	var cs snapshot
	cs.errKinds = map[string]int64{}
	e2e := pub // reuse the same spare histogram
	for _, c := range r.consumers {
		c.rec.take(e2e, r.e2eSum, &cs)
	}
	iv.Consumed, iv.ConsumedBytes = cs.acked, cs.ackedBytes
	iv.E2EP99Ms = float64(e2e.ValueAtQuantile(99)) / 1000
	iv.E2EHist, _ = results.EncodeHist(e2e)
	e2e.Reset()

	r.addTotals(&r.totals, ps)
	r.addTotals(&r.consTotals, cs)
	for _, p := range r.producers {
		if rc, ok := p.drv.(drivers.RetryCounter); ok {
			n := rc.Retries()
			iv.Retries += n - p.retriesSeen
			p.retriesSeen = n
		}
	}
	r.faultMu.Lock()
	r.intervals = append(r.intervals, iv)
	r.faultMu.Unlock()

	if r.cfg.Progress != nil {
		phase := "measure"
		switch {
		case warm:
			phase = "warmup"
		case r.produceDone() > 0:
			phase = "drain"
		}
		r.cfg.Progress(Progress{Phase: phase, Elapsed: end, Planned: planned, PlannedMessages: r.w.Messages,
			Acked: r.totals.acked, Consumed: r.consTotals.acked, Interval: iv})
	}
}

func (r *run) addTotals(t *snapshot, s snapshot) {
	t.sent += s.sent
	t.late += s.late
	t.acked += s.acked
	t.ackedBytes += s.ackedBytes
	t.errors += s.errors
	t.measAcked += s.measAcked
	t.measBytes += s.measBytes
	if t.errKinds == nil {
		t.errKinds = map[string]int64{}
	}
	for k, n := range s.errKinds {
		t.errKinds[k] += n
	}
}

// result assembles the run's result document.
func (r *run) result(started time.Time) *results.Run {
	w := r.w
	wl, _ := json.Marshal(w)
	res := &results.Run{
		Schema:       results.Schema,
		Complete:     true,
		Name:         w.Name,
		Kbench:       r.cfg.Version,
		Started:      started.UTC(),
		Ended:        time.Now().UTC(),
		MeasureStart: started.Add(w.Warmup.D()).UTC(),
		Workload:     wl,
		Profiles:     r.cfg.Profiles,
		Driver:       results.Driver{Name: r.cfg.Driver.Name(), Library: r.cfg.Driver.Library()},
		Client:       results.Client{Producer: redact(w.Producer), Consumer: redact(w.Consumer)},
		Cluster:      r.cfg.Target.Describe(),
		Host:         r.cfg.Host,
		Intervals:    r.intervals,
		Notes:        r.notes,
	}
	res.Cluster.TopicConfig = w.TopicConfig
	res.Cluster.ReplicationFactor = w.ReplicationFactor
	if r.cfg.Target.Kind() == results.KindEmbedded {
		res.Notes = append(res.Notes, results.EmbeddedCaveat)
	}
	res.Histograms.Publish, _ = results.EncodeHist(r.pubSum)
	res.Histograms.E2E, _ = results.EncodeHist(r.e2eSum)

	s := &res.Summary
	s.ProducedMessages = r.totals.acked
	s.ProducedBytes = r.totals.ackedBytes
	s.ConsumedMessages = r.consTotals.acked
	s.ConsumedBytes = r.consTotals.ackedBytes
	s.ConsumeErrors = r.consTotals.errors
	s.TargetRate = w.ProducerRate
	// Errors, late sends and retries of the measurement window only, as
	// the latencies and rates are.
	for _, iv := range r.intervals {
		if iv.Warmup {
			continue
		}
		s.Errors += iv.Errors
		s.LateSends += iv.LateSends
		s.Retries += iv.Retries
		for k, n := range iv.ErrorsByKind {
			if s.ErrorsByKind == nil {
				s.ErrorsByKind = map[string]int64{}
			}
			s.ErrorsByKind[k] += n
		}
	}
	// Rates count the messages meant to be sent after the warm-up, over
	// the time from the warm-up's end to the last acknowledgement (the
	// last consumed message for consumers).
	measStart, consEnd := r.warmup.Seconds(), 0.0
	for _, iv := range r.intervals {
		if iv.Consumed > 0 {
			consEnd = iv.End
		}
	}
	prodWindow := r.produceDone().Seconds() - measStart
	s.DurationS = max(prodWindow, 0)
	if prodWindow > 0 {
		s.ProduceRateMsgs = float64(r.totals.measAcked) / prodWindow
		s.ProduceRateMiB = float64(r.totals.measBytes) / prodWindow / (1 << 20)
	}
	if consWindow := min(consEnd, r.consumeEnd.Seconds()) - measStart; consWindow > 0 {
		s.ConsumeRateMsgs = float64(r.consTotals.measAcked) / consWindow
		s.ConsumeRateMiB = float64(r.consTotals.measBytes) / consWindow / (1 << 20)
	}
	s.PublishLatencyMs = results.LatencyOf(r.pubSum)
	s.E2ELatencyMs = results.LatencyOf(r.e2eSum)
	r.verify(res)
	return res
}

// verify fills in the loss/duplication/order check and cross-checks the
// counts with the brokers' end offsets.
func (r *run) verify(res *results.Run) {
	if len(r.verifiers) == 0 {
		return
	}
	acked := make([]bitset, len(r.producers))
	sent := make([]uint64, len(r.producers))
	for i, p := range r.producers {
		p.rec.mu.Lock()
		// A copy: an acknowledgement arriving after a flush timed out
		// must not change the set while it is read.
		acked[i] = slices.Clone(p.acked)
		p.rec.mu.Unlock()
		sent[i] = p.issued.Load()
	}
	ends, endsErr := r.endOffsets(context.Background())
	// Each subscription reads everything, so each is checked on its own
	// and the worst is reported: two subscriptions missing the same
	// message is one message lost, not two.
	var total results.Verify
	for _, v := range r.verifiers {
		one := v.verdict(acked, sent, endsErr == nil && v.reached(ends))
		total.Acked = one.Acked
		total.Consumed += one.Consumed
		total.Lost = max(total.Lost, one.Lost)
		total.Unverified = max(total.Unverified, one.Unverified)
		total.Duplicated = max(total.Duplicated, one.Duplicated)
		total.Reordered = max(total.Reordered, one.Reordered)
		total.Unacked = max(total.Unacked, one.Unacked)
		if len(one.LostSamples) > len(total.LostSamples) {
			total.LostSamples = one.LostSamples
		}
	}
	total.EndOffsets = -1
	if endsErr != nil {
		total.OffsetCheck = "not checked: " + endsErr.Error()
	} else {
		var sum int64
		for _, e := range ends {
			sum += e
		}
		total.EndOffsets = sum
		subs := int64(len(r.verifiers))
		switch {
		case sum < total.Acked:
			total.OffsetCheck = fmt.Sprintf("FAILED: end offsets add up to %d, fewer than the %d messages acknowledged", sum, total.Acked)
		case total.Consumed != sum*subs:
			total.OffsetCheck = fmt.Sprintf("incomplete: end offsets add up to %d, consumers read %d per subscription", sum, total.Consumed/subs)
		case sum != total.Acked:
			total.OffsetCheck = fmt.Sprintf("ok: end offsets %d = records consumed; %d more than acknowledged (written, but the client saw an error)", sum, sum-total.Acked)
		default:
			total.OffsetCheck = fmt.Sprintf("ok: end offsets %d = acknowledged = consumed per subscription", sum)
		}
	}
	res.Verify = &total
	s := &res.Summary
	s.Lost, s.Unverified, s.Duplicated, s.Reordered = total.Lost, total.Unverified, total.Duplicated, total.Reordered
}

// secretKeys are client properties never written to a result or log.
var secretKeys = setOf("sasl.password", "sasl.jaas.config", "ssl.key.password", "ssl.keystore.password",
	"ssl.truststore.password", "sasl.oauthbearer.client.secret", "ssl.key.pem")

func redact(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		if secretKeys[k] {
			v = "(redacted)"
		}
		out[k] = v
	}
	return out
}

// seededRand returns a generator for stream i of the workload's seed.
func seededRand(seed int64, i int) *mrand.Rand {
	return mrand.New(mrand.NewPCG(uint64(seed), uint64(i)+1))
}
