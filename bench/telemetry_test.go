package bench

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/telemetry"
	"github.com/kbench/kbench/workload"
)

// metered is an embedded cluster whose two brokers report a steady
// 1000 bytes in per second and half their request handlers' time idle.
type metered struct {
	*cluster.Embedded
	reads atomic.Int64
}

func (m *metered) ReadMetrics(context.Context) []telemetry.Reading {
	m.reads.Add(1)
	now := time.Now()
	secs := float64(now.UnixNano()) / 1e9
	var rs []telemetry.Reading
	for _, id := range []int32{1, 2} {
		r := telemetry.NewReading(id, now)
		r.SetCounter(results.BytesInPerS, 1000*secs)
		r.Gauges[results.RequestHandlerIdle] = 0.5
		rs = append(rs, r)
	}
	return rs
}

var _ cluster.MetricsSource = (*metered)(nil)

func runTelemetry(t *testing.T, target cluster.Target, brokerMetrics []string) *results.Run {
	t.Helper()
	admin, err := franz.Driver{}.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: target.Bootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	w := &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 100, ProducersPerTopic: 1,
		SubscriptionsPerTopic: 1, ProducerRate: 500, Duration: workload.Duration(3 * time.Second), MaxInFlight: 100,
		Interval: workload.Duration(500 * time.Millisecond)}
	res, err := Run(context.Background(), Config{Workload: mustResolve(t, w), Driver: franz.Driver{}, Target: target, Admin: admin,
		BrokerMetrics: brokerMetrics})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A target with telemetry is sampled once per interval, per broker, into
// the result, with kbench's own CPU beside; "off" samples no broker.
func TestSamplerRecordsBrokers(t *testing.T) {
	c, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := &metered{Embedded: c}
	res := runTelemetry(t, m, nil)
	tel := res.Telemetry
	if tel == nil || tel.Source != string(results.KindEmbedded) {
		t.Fatalf("telemetry %+v: want the target's own", tel)
	}
	if len(tel.Client) < 6 || tel.ClientCPU == nil {
		t.Errorf("%d client intervals, summary %v: want one per interval", len(tel.Client), tel.ClientCPU)
	}
	if n := len(tel.Brokers); n < 12 || n != 2*len(tel.Client) {
		t.Errorf("%d broker intervals for %d client ones: want two brokers in each", n, len(tel.Client))
	}
	if len(tel.BrokerSummary) != 2 {
		t.Fatalf("summary %+v: want two brokers", tel.BrokerSummary)
	}
	if st := tel.BrokerSummary[0].Stats[results.BytesInPerS]; st.Mean < 900 || st.Mean > 1100 {
		t.Errorf("bytes in %+v: want about 1000 a second", st)
	}
	if res.Limit != nil {
		t.Error("bench named the limit: analysis does")
	}

	reads := m.reads.Load()
	res = runTelemetry(t, m, []string{BrokerMetricsOff})
	if res.Telemetry.Source != "off" || len(res.Telemetry.Brokers) != 0 || m.reads.Load() != reads {
		t.Errorf("off: telemetry %+v, %d reads: want none", res.Telemetry, m.reads.Load()-reads)
	}
	if len(res.Telemetry.Client) == 0 {
		t.Error("off: kbench's own CPU is not recorded")
	}
}

// An endpoint nobody serves is a note, not a failed run; a bad URL is
// refused before the run.
func TestSamplerDeadEndpoint(t *testing.T) {
	c, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res := runTelemetry(t, c, []string{"http://127.0.0.1:1/metrics"})
	if res.Telemetry.Source != "scrape" || len(res.Notes) == 0 {
		t.Fatalf("telemetry %+v, notes %q: want a note on the dead endpoint", res.Telemetry, res.Notes)
	}
	found := false
	for _, n := range res.Notes {
		found = found || strings.Contains(n, "figures were incomplete")
	}
	if !found {
		t.Errorf("notes %q lack the dead endpoint", res.Notes)
	}
	if err := checkBrokerMetrics([]string{"ftp://x"}); err == nil {
		t.Error("a bad endpoint was taken")
	}
}
