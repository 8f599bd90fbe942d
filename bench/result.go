package bench

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/kbench/kbench/results"
)

// result assembles the run's result document from what the collector
// gathered, and verifies what was consumed.
func (r *run) result(started time.Time, c *collector) *results.Run {
	w := r.w
	wl, _ := json.Marshal(w)
	wl = results.RedactJSON(wl)
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
		Client:       results.Client{Producer: results.RedactProps(w.Producer), Consumer: results.RedactProps(w.Consumer)},
		Cluster:      r.cfg.Target.Describe(),
		Host:         r.cfg.Host,
		Intervals:    c.intervals,
		Notes:        r.notes,
	}
	res.Cluster.BrokerProps = results.RedactProps(res.Cluster.BrokerProps)
	res.Cluster.TopicConfig = w.TopicConfig
	res.Cluster.ReplicationFactor = w.ReplicationFactor
	if r.cfg.Target.Kind() == results.KindEmbedded {
		res.Notes = append(res.Notes, results.EmbeddedCaveat)
	}
	res.Histograms.Publish, _ = results.EncodeHist(c.pubSum)
	res.Histograms.E2E, _ = results.EncodeHist(c.e2eSum)

	s := &res.Summary
	s.ProducedMessages = c.totals.acked
	s.ProducedBytes = c.totals.ackedBytes
	s.ConsumedMessages = c.consTotals.acked
	s.ConsumedBytes = c.consTotals.ackedBytes
	s.ConsumeErrors = c.consTotals.errors
	s.TargetRate = w.ProducerRate
	// Errors, late sends and retries of the measurement window only, as
	// the latencies and rates are.
	for _, iv := range c.intervals {
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
	}
	if consWindow := min(consEnd, r.consumeEnd.Seconds()) - measStart; consWindow > 0 {
		s.ConsumeRateMsgs = float64(c.consTotals.measAcked) / consWindow
		s.ConsumeRateMiB = float64(c.consTotals.measBytes) / consWindow / (1 << 20)
	}
	s.PublishLatencyMs = results.LatencyOf(c.pubSum)
	s.E2ELatencyMs = results.LatencyOf(c.e2eSum)
	r.verify(res)
	r.consumerOnlyVerify(res)
	r.backlogResult(res)
	return res
}

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
