package bench

import (
	"fmt"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// collector closes the run's intervals: it takes each producer's and
// consumer's figures once per interval and keeps the timeline and the
// summary histograms. Its state is owned by the loop goroutine and read
// only after the loop returns.
type collector struct {
	t0            time.Time
	warmup, every time.Duration
	producers     []*producer
	consumers     []*consumer
	produceEnd    *atomic.Int64 // the run's; 0 while producers run
	out           fanout
	phase         Phase // of the last interval; "" before the first

	intervals []results.Interval
	// pubSum, e2eSum, lagSum and commitSum are the measurement window's
	// histograms.
	pubSum, e2eSum, lagSum, commitSum *hdrhistogram.Histogram
	// pubIv, e2eIv, lagIv and commitIv hold the interval being closed;
	// reset after.
	pubIv, e2eIv, lagIv, commitIv *hdrhistogram.Histogram
	lastTick                      time.Duration
	totals, consTotals            snapshot
	retriesSeen                   []int64 // per producer: its client's retry count so far
	// encodeErrs are histograms that could not be encoded.
	encodeErrs []string
	// subs holds each subscription's totals.
	subs []snapshot
	// The transform stage's: its members, its commit latencies (interval
	// and measurement window) and totals.
	transformers            []*transformer
	xfCommitIv, xfCommitSum *hdrhistogram.Histogram
	xfTotals                snapshot
}

func newCollector(r *run) *collector {
	top := r.histTop()
	c := &collector{
		t0: r.t0, warmup: r.warmup, every: r.w.Interval.D(),
		producers: r.producers, consumers: r.consumers,
		produceEnd: &r.produceEnd, out: r.cfg.Outputs,
		pubSum: results.NewHistUpTo(top), e2eSum: results.NewHistUpTo(top), lagSum: results.NewHistUpTo(top),
		pubIv: results.NewHistUpTo(top), e2eIv: results.NewHistUpTo(top), lagIv: results.NewHistUpTo(top),
		commitSum: results.NewHistUpTo(top), commitIv: results.NewHistUpTo(top),
		retriesSeen: make([]int64, len(r.producers)),
		subs:        make([]snapshot, r.w.SubscriptionsPerTopic),
		xfCommitIv:  results.NewHistUpTo(top), xfCommitSum: results.NewHistUpTo(top),
	}
	if r.xf != nil {
		c.transformers = r.xf.members
	}
	return c
}

// loop closes an interval at every multiple of the interval from the
// run's start (computed, not accumulated, so boundaries do not drift) and
// once more when stopped.
func (c *collector) loop(stop <-chan struct{}) {
	for k := 1; ; {
		next := time.Duration(k) * c.every
		if c.warmup > c.lastTick && c.warmup < next {
			// An extra boundary at the warm-up's end, so that no interval
			// is part warm-up and part measurement.
			next = c.warmup
		} else {
			k++
		}
		timer := time.NewTimer(time.Until(c.t0.Add(next)))
		select {
		case <-timer.C:
			c.collect(next)
		case <-stop:
			timer.Stop()
			c.collect(time.Since(c.t0))
			return
		}
	}
}

// collect closes the interval ending at end.
func (c *collector) collect(end time.Duration) {
	if end <= c.lastTick {
		return
	}
	warm := c.lastTick < c.warmup
	iv := results.Interval{
		Start:  c.lastTick.Seconds(),
		End:    end.Seconds(),
		Warmup: warm,
	}
	c.lastTick = end

	var ps snapshot
	ps.errKinds = map[string]int64{}
	pub, e2e, lag, commit := c.pubIv, c.e2eIv, c.lagIv, c.commitIv
	defer pub.Reset()
	defer e2e.Reset()
	defer lag.Reset()
	defer commit.Reset()
	for _, p := range c.producers {
		p.rec.take(intervalHists{lat: pub, latSum: c.pubSum, lag: lag, lagSum: c.lagSum, commit: commit, commitSum: c.commitSum}, &ps)
	}
	iv.Commits, iv.Aborts = ps.commits, ps.aborts
	iv.CommitP99Ms = float64(commit.ValueAtQuantile(99)) / 1000
	iv.Sent, iv.Acked, iv.AckedBytes, iv.Errors, iv.LateSends = ps.sent, ps.acked, ps.ackedBytes, ps.errors, ps.late
	iv.InFlightWaitS = ps.slotWait.Seconds()
	if len(ps.errKinds) > 0 {
		iv.ErrorsByKind = ps.errKinds
	}
	iv.PublishP50Ms = float64(pub.ValueAtQuantile(50)) / 1000
	iv.PublishP99Ms = float64(pub.ValueAtQuantile(99)) / 1000
	iv.PublishMaxMs = float64(pub.Max()) / 1000
	iv.SendLagP99Ms = float64(lag.ValueAtQuantile(99)) / 1000
	iv.PublishHist = c.encode(pub, "publish", iv.Start)

	var cs snapshot
	cs.errKinds = map[string]int64{}
	for _, cons := range c.consumers {
		one := snapshot{errKinds: map[string]int64{}}
		cons.rec.take(intervalHists{lat: e2e, latSum: c.e2eSum}, &one)
		cs.add(one)
		c.subs[cons.sub].add(one)
	}
	iv.Consumed, iv.ConsumedBytes = cs.acked, cs.ackedBytes
	iv.E2EP99Ms = float64(e2e.ValueAtQuantile(99)) / 1000
	iv.E2EHist = c.encode(e2e, "end-to-end", iv.Start)

	xs := snapshot{errKinds: map[string]int64{}}
	for _, x := range c.transformers {
		// A transformer's recorder holds its commit latencies as latency.
		x.rec.take(intervalHists{lat: c.xfCommitIv, latSum: c.xfCommitSum}, &xs)
	}
	c.xfCommitIv.Reset()
	iv.Transformed, iv.TransformCommits = xs.acked, xs.commits

	c.totals.add(ps)
	c.consTotals.add(cs)
	c.xfTotals.add(xs)
	for i, p := range c.producers {
		if rc, ok := p.drv.(drivers.RetryCounter); ok {
			n := rc.Retries()
			iv.Retries = results.AddRetries(iv.Retries, ptr(n-c.retriesSeen[i]))
			c.retriesSeen[i] = n
		}
	}
	c.intervals = append(c.intervals, iv)

	phase := PhaseMeasure
	switch {
	case warm:
		phase = PhaseWarmup
	case c.produceEnd.Load() > 0:
		phase = PhaseDrain
	}
	if phase != c.phase {
		c.phase = phase
		c.out.Phase(phase)
	}
	c.out.Interval(&Interval{Interval: iv, Elapsed: end, TotalAcked: c.totals.acked, TotalConsumed: c.consTotals.acked,
		Publish: pub, E2E: e2e, SendLag: lag})
}

// encode returns h encoded, or "" with the failure kept for the result's
// notes.
func (c *collector) encode(h *hdrhistogram.Histogram, what string, at float64) string {
	enc, err := results.EncodeHist(h)
	if err != nil {
		c.encodeErrs = append(c.encodeErrs, fmt.Sprintf("the %s histogram of the interval at %.0fs is missing: %v", what, at, err))
	}
	return enc
}

// encodeWhole is encode for the measurement window's histograms.
func (c *collector) encodeWhole(h *hdrhistogram.Histogram, what string) string {
	enc, err := results.EncodeHist(h)
	if err != nil {
		c.encodeErrs = append(c.encodeErrs, fmt.Sprintf("the run's %s histogram is missing: %v", what, err))
	}
	return enc
}

// add adds an interval's figures to the running totals t.
func (t *snapshot) add(s snapshot) {
	t.sent += s.sent
	t.late += s.late
	t.slotWait += s.slotWait
	t.acked += s.acked
	t.ackedBytes += s.ackedBytes
	t.errors += s.errors
	t.measAcked += s.measAcked
	t.measBytes += s.measBytes
	t.dropped += s.dropped
	t.negative += s.negative
	t.lastAt = max(t.lastAt, s.lastAt)
	t.commits += s.commits
	t.aborts += s.aborts
	t.inDoubt += s.inDoubt
	t.abortedMsg += s.abortedMsg
	for k, n := range s.abortKinds {
		if t.abortKinds == nil {
			t.abortKinds = map[string]int64{}
		}
		t.abortKinds[k] += n
	}
	if t.errKinds == nil {
		t.errKinds = map[string]int64{}
	}
	for k, n := range s.errKinds {
		t.errKinds[k] += n
	}
}

func ptr[T any](v T) *T { return &v }
