package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/redact"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// result assembles the run's result document from what the collector
// gathered, and verifies what was consumed.
func (r *run) result(started time.Time, c *collector) *results.Run {
	w := r.w
	wl, _ := json.Marshal(w)
	wl = redact.JSON(wl)
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
		Client:       results.Client{Producer: redact.Props(w.Producer), Consumer: redact.Props(w.Consumer)},
		Cluster:      r.cfg.Target.Describe(),
		Host:         r.cfg.Host,
		Intervals:    c.intervals,
		Notes:        r.notes,
	}
	// What readers of the result need of the workload, typed.
	res.Shape = results.Shape{IntervalS: w.Interval.D().Seconds(), SubscriptionsPerTopic: w.SubscriptionsPerTopic,
		ConsumerOnly: w.ProducersPerTopic == 0}
	if len(r.producers) > 0 {
		if cr, ok := r.producers[0].drv.(drivers.ConfigReporter); ok {
			res.Client.EffectiveProducer = cr.EffectiveConfig()
		}
	}
	res.Cluster.BrokerProps = redact.Props(res.Cluster.BrokerProps)
	res.Cluster.Topics = slices.Clone(r.topics)
	res.Cluster.TopicConfig = w.TopicConfig
	res.Cluster.ReplicationFactor = w.ReplicationFactor
	if r.cfg.Target.Kind() == results.KindEmbedded {
		res.Notes = append(res.Notes, results.EmbeddedCaveat)
	}
	res.Histograms.Publish = c.encodeWhole(c.pubSum, "publish")
	res.Histograms.E2E = c.encodeWhole(c.e2eSum, "end-to-end")
	if w.ProducerRate > 0 {
		res.Histograms.SendLag = c.encodeWhole(c.lagSum, "send-lag")
	}
	if w.UseTransactions {
		res.Histograms.Commit = c.encodeWhole(c.commitSum, "commit")
	}
	if r.xf != nil {
		res.Histograms.TransformCommit = c.encodeWhole(c.xfCommitSum, "transform commit")
	}

	s := &res.Summary
	s.ProducedMessages = c.totals.acked
	s.ProducedBytes = c.totals.ackedBytes
	s.ConsumedMessages = c.consTotals.acked
	s.ConsumedBytes = c.consTotals.ackedBytes
	s.ConsumeErrors = c.consTotals.errors
	s.TargetRate = w.ProducerRate
	// Errors, late sends and retries of the measurement window only, as
	// the latencies and rates are.
	var measured results.Interval
	for _, iv := range c.intervals {
		if !iv.Warmup {
			measured.Add(iv)
		}
	}
	sent, slotWait := measured.Sent, measured.InFlightWaitS
	s.Errors, s.LateSends, s.Retries, s.ErrorsByKind = measured.Errors, measured.LateSends, measured.Retries, measured.ErrorsByKind
	// Rates count the messages meant to be sent after the warm-up, over
	// the time from the warm-up's end to the last acknowledgement (the
	// last consumed message for consumers).
	measStart, consEnd := r.warmup.Seconds(), 0.0
	for _, iv := range c.intervals {
		if iv.Consumed > 0 {
			consEnd = iv.End
		}
	}
	prodWindow := r.produceDone().Seconds() - measStart
	s.DurationS = max(prodWindow, 0)
	if prodWindow > 0 {
		s.ProduceRateMsgs = float64(c.totals.measAcked) / prodWindow
		s.ProduceRateMiB = float64(c.totals.measBytes) / prodWindow / (1 << 20)
		if len(r.producers) > 0 {
			s.InFlightWaitShare = slotWait / (prodWindow * float64(len(r.producers)))
		}
	}
	switch {
	case s.InFlightWaitShare < cappedShare:
	case w.ProducerRate == 0:
		s.InFlightCapped = true
		res.Notes = append(res.Notes, fmt.Sprintf("kbench's own in-flight bound (maxInFlight %d per producer) held the producers back %.0f%% of the time: throughput was limited by kbench, not by the cluster; raise maxInFlight or maxInFlightBytes", w.MaxInFlight, 100*s.InFlightWaitShare))
	default:
		// In the open model a full bound delays sends, and the delay is
		// measured (from the intended time): a stall or a rate the
		// cluster cannot keep up with fills it, so it is no cap on what
		// the cluster showed.
		res.Notes = append(res.Notes, fmt.Sprintf("the in-flight bound (maxInFlight %d per producer) was full %.0f%% of the time: sends waited for acknowledgements, and the wait counts in publish latency and late sends; a stall or a rate the cluster cannot keep up with fills it, and if neither happened, raise maxInFlight or maxInFlightBytes", w.MaxInFlight, 100*s.InFlightWaitShare))
	}
	if n := len(r.producers); w.Pacing == workload.PacingSpin && w.ProducerRate > 0 && n >= runtime.NumCPU() {
		res.Notes = append(res.Notes, fmt.Sprintf("pacing: spin holds a core per producer, and %d producers spun on %d CPUs, leaving none to the clients: their send lag (send_lag_ms) shows what that cost; use pacing: sleep, or fewer producers per process", n, runtime.NumCPU()))
	}
	consEnd = min(consEnd, r.consumeEnd.Seconds())
	r.consumed = &results.ConsumeWindow{Messages: c.consTotals.measAcked, Bytes: c.consTotals.measBytes, EndS: consEnd}
	if consWindow := consEnd - measStart; consWindow > 0 {
		s.ConsumeRateMsgs = float64(c.consTotals.measAcked) / consWindow
		s.ConsumeRateMiB = float64(c.consTotals.measBytes) / consWindow / (1 << 20)
	}
	r.subConsumed = nil
	for _, sub := range c.subs {
		// Over the time from the warm-up's end to its last record.
		one := results.Subscription{ConsumedMessages: sub.acked}
		end := time.Duration(sub.lastAt - r.t0Stamp).Seconds()
		if window := end - measStart; sub.acked > 0 && window > 0 {
			one.ConsumeRateMsgs = float64(sub.measAcked) / window
		}
		s.Subscriptions = append(s.Subscriptions, one)
		r.subConsumed = append(r.subConsumed, results.ConsumeWindow{Messages: sub.measAcked, Bytes: sub.measBytes, EndS: max(end, 0)})
	}
	if sent > 0 {
		s.LateShare = float64(s.LateSends) / float64(sent)
	}
	var issued uint64
	for _, p := range r.producers {
		s.Unsent += int64(p.unsent)
		issued += p.issued
	}
	if s.Unsent > 0 {
		s.UnsentShare = float64(s.Unsent) / float64(uint64(s.Unsent)+issued)
		res.Notes = append(res.Notes, fmt.Sprintf("the target rate (%g msgs/s) was not reached: %d messages (%.3g%%) due by the end were never sent; sending stopped at the time bound, and the producers, client or cluster could not keep up",
			w.ProducerRate, s.Unsent, 100*s.UnsentShare))
	}
	if w.UseTransactions {
		s.Transactions = r.transactions(c, measured, prodWindow)
		for _, p := range r.producers {
			if p.txn.stopped != nil {
				res.Notes = append(res.Notes, p.txn.stopped.Error())
			}
		}
		if r.xf != nil {
			s.Transform = r.transformFigure(c, measured)
			res.Notes = append(res.Notes, r.transformNotes(c)...)
		}
		if l := w.Consumer["isolation.level"]; l != "" && l != "read_committed" {
			res.Notes = append(res.Notes, "consumers read with isolation.level="+l+": they read aborted transactions' messages, so verify's aborted_read counts those, not a fault")
		}
	}
	s.PublishLatencyMs = results.LatencyOf(c.pubSum)
	s.E2ELatencyMs = results.LatencyOf(c.e2eSum)
	s.SendLagMs = results.LatencyOf(c.lagSum)
	s.DroppedSamples = c.totals.dropped + c.consTotals.dropped
	if s.DroppedSamples > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d latency samples fell outside the histograms' range (%s) and were dropped: publish percentiles are of %d of the %d messages acknowledged after the warm-up, end-to-end of %d of %d consumed",
			s.DroppedSamples, r.histTop(), s.PublishLatencyMs.Count, c.totals.measAcked, s.E2ELatencyMs.Count, c.consTotals.measAcked))
	}
	if s.E2ENegative = c.consTotals.negative; s.E2ENegative > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d end-to-end latencies were negative (a consumer's clock behind its producer's: clock skew between shards) and count as 1 µs", s.E2ENegative))
	}
	res.Notes = append(res.Notes, c.encodeErrs...)
	r.verify(res)
	r.storedBytes(res)
	r.consumerOnlyVerify(res)
	r.backlogResult(res)
	return res
}

// storedBytes records what the brokers store for the run's topics, when
// Config.LogSizer or the admin client can tell (drivers.LogSizer).
func (r *run) storedBytes(res *results.Run) {
	ls := r.cfg.LogSizer
	if a, ok := r.cfg.Admin.(drivers.LogSizer); ls == nil && ok {
		ls = a
	}
	if ls == nil {
		res.Notes = append(res.Notes, "the bytes the brokers stored are unknown: no admin client at hand can describe log directories")
		return
	}
	ctx, cancel := context.WithTimeout(r.tail, 30*time.Second)
	defer cancel()
	var sum int64
	for _, t := range r.topics {
		sizes, err := ls.LogBytes(ctx, t)
		if err != nil {
			res.Notes = append(res.Notes, "the bytes the brokers stored are unknown: "+err.Error())
			return
		}
		for _, n := range sizes {
			sum += n
		}
	}
	res.Summary.StoredBytes = &sum
}

// cappedShare is the share of the producers' time waiting for an in-flight
// slot from which kbench's bound, not the cluster, is taken to have
// limited the run.
const cappedShare = 0.05

// markFaults marks each fault event on the interval it fell in.
func markFaults(ivs []results.Interval, events []results.Fault) {
	for _, ev := range events {
		for i := range ivs {
			if ev.At >= ivs[i].Start && ev.At < ivs[i].End {
				ivs[i].Faults = append(ivs[i].Faults, string(ev.Phase)+" "+ev.Action+" broker "+strconv.Itoa(int(ev.Broker)))
			}
		}
	}
}
