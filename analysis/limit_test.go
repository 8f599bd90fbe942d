package analysis

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

// broker is a broker summary of the given means.
func broker(id int32, means map[results.Metric]float64) results.BrokerSummary {
	b := results.BrokerSummary{Broker: id, Intervals: 10, Stats: map[results.Metric]results.Stat{}}
	for m, v := range means {
		b.Stats[m] = results.Stat{Mean: v, Min: v, Max: v}
	}
	return b
}

// NameLimit on synthetic results whose answer is known.
func TestNameLimit(t *testing.T) {
	idle := func(h, n float64) map[results.Metric]float64 {
		return map[results.Metric]float64{results.RequestHandlerIdle: h, results.NetworkProcessorIdle: n, results.CPUCores: 0.5}
	}
	cases := []struct {
		name string
		run  results.Run
		want string
		also int
	}{
		// An open-model run at its rate is bounded by nothing, whatever
		// else is busy; the busy resource is listed beside.
		{"rate met", results.Run{Host: results.Host{CPUs: 8},
			Summary:   results.Summary{TargetRate: 1000, ProduceRateMsgs: 990},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{broker(1, idle(0.1, 0.9))}}},
			results.LimitNone, 1},
		// The closed model's producers waited on kbench's own bound.
		{"in-flight", results.Run{Host: results.Host{CPUs: 8},
			Summary: results.Summary{InFlightCapped: true, InFlightWaitShare: 0.4}},
			results.LimitInFlight, 0},
		// kbench had 7.5 of 8 cores.
		{"client CPU", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{ClientCPU: &results.Stat{Mean: 7.5}}},
			results.LimitClientCPU, 0},
		// Partitions under min.insync.replicas come before the brokers'
		// threads, which a failover also leaves busy.
		{"replication", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{
				broker(1, idle(0.9, 0.9)),
				{Broker: 2, Stats: map[results.Metric]results.Stat{results.UnderMinISR: {Max: 3}, results.RequestHandlerIdle: {Mean: 0.1}}},
			}}},
			results.LimitReplication, 1},
		{"request handlers", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{broker(1, idle(0.9, 0.9)), broker(2, idle(0.15, 0.6))}}},
			results.LimitRequestHandlers, 0},
		{"network processors", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{broker(1, idle(0.5, 0.05))}}},
			results.LimitNetworkProcessors, 0},
		// An external broker's machine had 3.6 of 4 cores busy.
		{"broker CPU", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{
				broker(1, map[results.Metric]float64{results.HostCPUCores: 3.6, results.HostCPUs: 4, results.RequestHandlerIdle: 0.5})}}},
			results.LimitBrokerCPU, 0},
		// An external broker's process CPU alone says nothing without
		// its machine's cores.
		{"external CPU without cores", results.Run{Host: results.Host{CPUs: 2},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{broker(1, map[results.Metric]float64{results.CPUCores: 3})}}},
			results.LimitUnknown, 0},
		{"disk", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{broker(1, map[results.Metric]float64{results.DiskBusy: 0.97})}}},
			results.LimitDisk, 0},
		// 118 MB/s received on a 125 MB/s (1 Gbit/s) link.
		{"network", results.Run{Host: results.Host{CPUs: 8},
			Telemetry: &results.Telemetry{BrokerSummary: []results.BrokerSummary{
				broker(1, map[results.Metric]float64{results.NetRxBps: 118e6, results.NetTxBps: 40e6, results.NetSpeedBps: 125e6})}}},
			results.LimitNetwork, 0},
		// Three local brokers and kbench on 2 cores, the machine 1.9 busy.
		{"shared CPU", results.Run{Host: results.Host{CPUs: 2},
			Summary: results.Summary{TargetRate: 100000, ProduceRateMsgs: 60000},
			Telemetry: &results.Telemetry{SharedCores: true, ClientCPU: &results.Stat{Mean: 0.5}, HostCPU: &results.Stat{Mean: 1.9},
				BrokerSummary: []results.BrokerSummary{broker(1, idle(0.6, 0.9)), broker(2, idle(0.6, 0.9)), broker(3, idle(0.6, 0.9))}}},
			results.LimitSharedCPU, 0},
		// A rate not met with nothing at its limit: unknown.
		{"unknown", results.Run{Host: results.Host{CPUs: 8},
			Summary: results.Summary{TargetRate: 1000, ProduceRateMsgs: 500}},
			results.LimitUnknown, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := NameLimit(&c.run)
			if got.Resource != c.want || len(got.Also) != c.also {
				t.Errorf("NameLimit = %+v, want %s with %d more", got, c.want, c.also)
			}
			if got.Evidence == "" {
				t.Error("no evidence")
			}
		})
	}
}

// The shared-CPU evidence names who used the cores.
func TestNameLimitSharedEvidence(t *testing.T) {
	r := results.Run{Host: results.Host{CPUs: 2},
		Telemetry: &results.Telemetry{SharedCores: true, ClientCPU: &results.Stat{Mean: 0.5}, HostCPU: &results.Stat{Mean: 1.9},
			BrokerSummary: []results.BrokerSummary{broker(1, map[results.Metric]float64{results.CPUCores: 1})}}}
	got := NameLimit(&r)
	want := "the machine had 1.90 of its 2 cores busy on average: the brokers 1.00, kbench 0.50, other programs 0.40"
	if got.Evidence != want {
		t.Errorf("evidence %q, want %q", got.Evidence, want)
	}
}

// The summary prints the limit on one line.
func TestSummaryLimitLine(t *testing.T) {
	r := &results.Run{Name: "r", Complete: true,
		Limit: &results.Limit{Resource: results.LimitDisk, Evidence: "broker 1's busiest disk was busy 97% of the time on average"}}
	var b bytes.Buffer
	Summarize(&b, r)
	if !strings.Contains(b.String(), "limit: disk (broker 1's busiest disk was busy 97% of the time on average)") {
		t.Errorf("no limit line:\n%s", b.String())
	}
}

// withTelemetry returns r with brokers' and kbench's figures on each of
// its intervals, for the resources panel.
func withTelemetry(r *results.Run) *results.Run {
	c := *r
	c.Host.CPUs = 4
	c.Telemetry = &results.Telemetry{Source: "local", SharedCores: true}
	for _, iv := range r.Intervals {
		c.Telemetry.Client = append(c.Telemetry.Client, results.ClientInterval{Start: iv.Start, End: iv.End, CPUCores: 1})
		for id := int32(1); id <= 3; id++ {
			c.Telemetry.Brokers = append(c.Telemetry.Brokers, results.BrokerInterval{Broker: id, Start: iv.Start, End: iv.End,
				Values: map[results.Metric]float64{results.CPUCores: 0.3 * float64(id), results.RequestHandlerIdle: 0.7, results.NetworkProcessorIdle: 0.9}})
		}
	}
	return &c
}

// A run with telemetry gets the resources panel, the busiest broker's
// figures in it.
func TestTimelineResourcesPanel(t *testing.T) {
	r := withTelemetry(load(t, "failover")[0])
	fig, err := timeline([]*results.Run{r})
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.panels) != 3 {
		t.Fatalf("%d panels, want 3 (throughput, p99, resources)", len(fig.panels))
	}
	xy := busiest(r, 0, resourceSeries[0].value)
	if len(xy) != len(r.Intervals) || math.Abs(xy[0].Y-0.9/4) > 1e-9 {
		t.Errorf("busiest broker CPU %v: want one point per interval at 0.9 of 4 cores", xy)
	}
	if fig, err := timeline(load(t, "failover")); err != nil || len(fig.panels) != 2 {
		t.Errorf("a run without telemetry: %v panels, err %v; want 2", len(fig.panels), err)
	}
}
