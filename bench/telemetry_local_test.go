package bench

import (
	"testing"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// The local brokers' telemetry agrees with figures kbench did not compute
// from it: the bytes the brokers say came in from clients are the bytes
// their log directories hold for the run's topics (DescribeLogDirs, one
// replica), what came in from other brokers is twice that (replication
// factor 3), the records appended are the records acknowledged, and each
// broker's log directory holds at least its replica.
func TestLocalTelemetryAgainstTheBrokers(t *testing.T) {
	l := localCluster(t)
	w := durable(&workload.Workload{Topics: 1, PartitionsPerTopic: 3, MessageSize: 1024, ProducersPerTopic: 2,
		SubscriptionsPerTopic: 1, ProducerRate: 5000, KeyDistributor: workload.KeyRoundRobin,
		Duration: workload.Duration(10 * time.Second), Drain: workload.Duration(30 * time.Second)})
	res := runLocal(t, l, "franz", w)
	tel := res.Telemetry
	if tel == nil || tel.Source != "local" || !tel.SharedCores || len(tel.BrokerSummary) != 3 {
		t.Fatalf("telemetry %+v: want the three local brokers', on shared cores", tel)
	}
	if res.Summary.StoredBytes == nil {
		t.Fatal("the brokers' log sizes are unknown")
	}
	stored := float64(*res.Summary.StoredBytes)
	var in, repl, msgs float64
	lastDir := map[int32]float64{}
	for _, iv := range tel.Brokers {
		d := iv.End - iv.Start
		in += iv.Values[results.BytesInPerS] * d
		repl += iv.Values[results.ReplicationBytesInPerS] * d
		msgs += iv.Values[results.MessagesInPerS] * d
		if v, ok := iv.Values[results.LogDirBytes]; ok {
			lastDir[iv.Broker] = v
		}
	}
	t.Logf("bytes in %.0f, replication in %.0f, stored %.0f; records in %.0f, acknowledged %d", in, repl, stored, msgs, res.Summary.ProducedMessages)
	if in < 0.95*stored || in > 1.05*stored {
		t.Errorf("the brokers took in %.0f bytes from clients; their logs hold %.0f", in, stored)
	}
	if repl < 1.9*in || repl > 2.1*in {
		t.Errorf("replication brought in %.0f bytes: want twice the %.0f from clients", repl, in)
	}
	if p := float64(res.Summary.ProducedMessages); msgs < 0.98*p || msgs > 1.02*p {
		t.Errorf("the brokers appended %.0f records; %0.f were acknowledged", msgs, p)
	}
	for id, size := range lastDir {
		if size < stored {
			t.Errorf("broker %d's log directory holds %.0f bytes, less than its replica of the run's topics (%.0f)", id, size, stored)
		}
	}
	for _, b := range tel.BrokerSummary {
		for _, m := range []results.Metric{results.CPUCores, results.RSSMiB, results.RequestHandlerIdle, results.NetworkProcessorIdle,
			results.ProduceTotalP99Ms, results.UnderMinISR, results.GCMsPerS, results.DiskWriteBps} {
			if _, ok := b.Stats[m]; !ok {
				t.Errorf("broker %d has no %s", b.Broker, m)
			}
		}
		if idle := b.Stats[results.RequestHandlerIdle]; idle.Mean < 0 || idle.Mean > 1.05 {
			t.Errorf("broker %d's request handlers idle %.2f of the time: not a share", b.Broker, idle.Mean)
		}
	}
}
