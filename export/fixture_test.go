package export

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// Shape of the fixture run: warm-up, measurement and drain intervals of
// 1 s each.
const (
	fixWarmup  = 2
	fixMeasure = 25
	fixDrain   = 3
	fixSubs    = 2
)

// fixtureRun writes a result like the engine's, with seeded random
// latencies in every interval's histograms, and returns it as read back
// from its file and the file's path. The run's histograms merge the
// measurement intervals', so every figure can be checked exactly.
func fixtureRun(t *testing.T) (*results.Run, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	started := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	wl, _ := json.Marshal(map[string]any{
		"name": "fixture-1k", "topics": 1, "partitionsPerTopic": 6, "messageSize": 1024,
		"producersPerTopic": 2, "subscriptionsPerTopic": fixSubs, "consumerPerSubscription": 3, "producerRate": 1000,
	})
	run := &results.Run{
		Schema: results.Schema, Complete: true, Name: "fixture", Kbench: "test",
		Started: started, MeasureStart: started.Add(fixWarmup * time.Second),
		Ended:    started.Add((fixWarmup + fixMeasure + fixDrain) * time.Second),
		Workload: wl,
		Driver:   results.Driver{Name: "franz", Library: "franz-go test"},
		Client:   results.Client{EffectiveProducer: map[string]string{"acks": "all", "compression.type": "none"}},
		Cluster:  results.Cluster{Kind: results.KindLocal, KafkaVersion: "4.1.0"},
	}
	pubAll, e2eAll, lagAll := results.NewHist(), results.NewHist(), results.NewHist()
	record := func(h *hdrhistogram.Histogram, n int, scale float64) {
		for range n {
			if err := h.RecordValue(int64(1 + rng.ExpFloat64()*scale)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range fixWarmup + fixMeasure + fixDrain {
		warm, drain := i < fixWarmup, i >= fixWarmup+fixMeasure
		iv := results.Interval{Start: float64(i), End: float64(i + 1), Warmup: warm}
		pub, e2e, lag := results.NewHist(), results.NewHist(), results.NewHist()
		if !drain {
			iv.Sent = int64(900 + rng.IntN(200))
			iv.Errors = int64(rng.IntN(3))
			iv.Acked = iv.Sent - iv.Errors
			iv.AckedBytes = iv.Acked * 1024
			iv.LateSends = int64(rng.IntN(5))
			record(pub, int(iv.Acked), 2000)
			record(lag, int(iv.Sent), 20)
		}
		if i > 0 {
			iv.Consumed = int64(fixSubs * (800 + rng.IntN(400)))
			iv.ConsumedBytes = iv.Consumed * 1024
			record(e2e, int(iv.Consumed), 3000)
		}
		if i == 12 {
			iv.Faults = []string{"kill leader:orders-0 (broker 2)"}
		}
		iv.PublishP50Ms = ms(pub.ValueAtQuantile(50))
		iv.PublishP99Ms = ms(pub.ValueAtQuantile(99))
		iv.PublishMaxMs = ms(pub.Max())
		iv.E2EP99Ms = ms(e2e.ValueAtQuantile(99))
		iv.SendLagP99Ms = ms(lag.ValueAtQuantile(99))
		var err error
		if iv.PublishHist, err = results.EncodeHist(pub); err != nil {
			t.Fatal(err)
		}
		if iv.E2EHist, err = results.EncodeHist(e2e); err != nil {
			t.Fatal(err)
		}
		if !warm {
			pubAll.Merge(pub)
			e2eAll.Merge(e2e)
			lagAll.Merge(lag)
		}
		run.Intervals = append(run.Intervals, iv)
		s := &run.Summary
		s.ProducedMessages += iv.Acked
		s.ProducedBytes += iv.AckedBytes
		s.ConsumedMessages += iv.Consumed
		s.ConsumedBytes += iv.ConsumedBytes
		if !warm {
			s.Errors += iv.Errors
			s.LateSends += iv.LateSends
		}
	}
	s := &run.Summary
	s.DurationS = fixMeasure
	s.TargetRate = 1000
	s.ProduceRateMsgs = float64(pubAll.TotalCount()) / fixMeasure
	s.ProduceRateMiB = s.ProduceRateMsgs * 1024 / mib
	s.ConsumeRateMsgs = float64(e2eAll.TotalCount()) / fixMeasure
	s.ConsumeRateMiB = s.ConsumeRateMsgs * 1024 / mib
	s.ErrorsByKind = map[string]int64{"NOT_LEADER_OR_FOLLOWER": s.Errors}
	s.PublishLatencyMs = results.LatencyOf(pubAll)
	s.E2ELatencyMs = results.LatencyOf(e2eAll)
	s.SendLagMs = results.LatencyOf(lagAll)
	s.Subscriptions = []results.Subscription{{ConsumeRateMsgs: s.ConsumeRateMsgs / 2}, {ConsumeRateMsgs: s.ConsumeRateMsgs / 2}}
	retries := int64(7)
	s.Retries = &retries
	run.Verify = &results.Verify{}
	run.Faults = []results.Fault{
		{At: 12.1, Action: "kill", Target: "leader:orders-0", Broker: 2, Phase: results.PhaseInject},
		{At: 18, Action: "kill", Target: "leader:orders-0", Broker: 2, Phase: results.PhaseRecover},
	}
	run.Failover = []results.Failover{{Fault: run.Faults[0], MaxNoAckS: 2.4, RecoveryS: 6.5}}
	var err error
	for _, x := range []struct {
		dst *string
		h   *hdrhistogram.Histogram
	}{{&run.Histograms.Publish, pubAll}, {&run.Histograms.E2E, e2eAll}, {&run.Histograms.SendLag, lagAll}} {
		if *x.dst, err = results.EncodeHist(x.h); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "fixture.json")
	if err := results.Write(path, run); err != nil {
		t.Fatal(err)
	}
	back, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return back, path
}

// decoded decodes an encoded histogram of the fixture.
func decoded(t *testing.T, enc string) *hdrhistogram.Histogram {
	t.Helper()
	h, err := results.DecodeHist(enc)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
