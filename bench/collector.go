package bench

import (
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/bench/live"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// collector closes the run's intervals: it takes each producer's and
// consumer's figures once per interval and keeps the timeline and the
// summary histograms. Its state is owned by the loop goroutine and read
// only after the loop returns.
type collector struct {
	t0              time.Time
	warmup, every   time.Duration
	planned         time.Duration // warm-up plus measurement; 0 if count-bounded only
	plannedMessages int64
	producers       []*producer
	consumers       []*consumer
	produceEnd      *atomic.Int64 // the run's; 0 while producers run
	progress        func(Progress)
	metrics         *live.Metrics

	intervals      []results.Interval
	pubSum, e2eSum *hdrhistogram.Histogram
	// pubIv and e2eIv hold the interval being closed; reset after.
	pubIv, e2eIv       *hdrhistogram.Histogram
	lastTick           time.Duration
	totals, consTotals snapshot
	retriesSeen        []int64 // per producer: its client's retry count so far
}

func newCollector(r *run, planned time.Duration) *collector {
	return &collector{
		t0: r.t0, warmup: r.warmup, every: r.w.Interval.D(),
		planned: planned, plannedMessages: r.w.Messages,
		producers: r.producers, consumers: r.consumers,
		produceEnd: &r.produceEnd, progress: r.cfg.Progress, metrics: r.cfg.Metrics,
		pubSum: results.NewHist(), e2eSum: results.NewHist(), pubIv: results.NewHist(), e2eIv: results.NewHist(),
		retriesSeen: make([]int64, len(r.producers)),
	}
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
	pub, e2e := c.pubIv, c.e2eIv
	defer pub.Reset()
	defer e2e.Reset()
	for _, p := range c.producers {
		p.rec.take(pub, c.pubSum, &ps)
	}
	iv.Sent, iv.Acked, iv.AckedBytes, iv.Errors, iv.LateSends = ps.sent, ps.acked, ps.ackedBytes, ps.errors, ps.late
	if len(ps.errKinds) > 0 {
		iv.ErrorsByKind = ps.errKinds
	}
	iv.PublishP50Ms = float64(pub.ValueAtQuantile(50)) / 1000
	iv.PublishP99Ms = float64(pub.ValueAtQuantile(99)) / 1000
	iv.PublishMaxMs = float64(pub.Max()) / 1000
	iv.PublishHist, _ = results.EncodeHist(pub)

	var cs snapshot
	cs.errKinds = map[string]int64{}
	for _, cons := range c.consumers {
		cons.rec.take(e2e, c.e2eSum, &cs)
	}
	iv.Consumed, iv.ConsumedBytes = cs.acked, cs.ackedBytes
	iv.E2EP99Ms = float64(e2e.ValueAtQuantile(99)) / 1000
	iv.E2EHist, _ = results.EncodeHist(e2e)

	c.totals.add(ps)
	c.consTotals.add(cs)
	for i, p := range c.producers {
		if rc, ok := p.drv.(drivers.RetryCounter); ok {
			n := rc.Retries()
			iv.Retries += n - c.retriesSeen[i]
			c.retriesSeen[i] = n
		}
	}
	c.intervals = append(c.intervals, iv)

	phase := live.PhaseMeasure
	switch {
	case warm:
		phase = live.PhaseWarmup
	case c.produceEnd.Load() > 0:
		phase = live.PhaseDrain
	}
	if c.metrics != nil {
		c.metrics.Add(live.Interval{Phase: phase, Sent: iv.Sent, Acked: iv.Acked, AckedBytes: iv.AckedBytes,
			Failed: iv.ErrorsByKind, Consumed: iv.Consumed, ConsumedBytes: iv.ConsumedBytes, LateSends: iv.LateSends,
			Publish: pub, E2E: e2e})
	}
	if c.progress != nil {
		c.progress(Progress{Phase: string(phase), Elapsed: end, Planned: c.planned, PlannedMessages: c.plannedMessages,
			Acked: c.totals.acked, Consumed: c.consTotals.acked, Interval: iv})
	}
}

// add adds an interval's figures to the running totals t.
func (t *snapshot) add(s snapshot) {
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
