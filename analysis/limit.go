package analysis

import (
	"fmt"
	"math"
	"strings"

	"github.com/kbench/kbench/results"
)

// Thresholds of NameLimit.
const (
	// rateMet is the share of the rate asked for a run must reach to have
	// met it.
	rateMet = 0.97
	// cpuBusy is the share of its cores a process (or machine) must use
	// for its CPU to be the limit.
	cpuBusy = 0.85
	// idleLow is the idle share under which Kafka's request handler or
	// network threads are the limit (Kafka's own guidance: below 20% the
	// broker is saturated).
	idleLow = 0.20
	// deviceBusy is the share of its capacity a disk (time busy) or a
	// link (bytes over its speed) must reach to be the limit.
	deviceBusy = 0.90
)

// NameLimit names the resource that bounded run r, with its evidence,
// from the result alone (its summary and its telemetry's summaries over
// the measurement window). Each rule below is checked; the first that
// holds is the verdict, and the others that hold are listed in Also:
//
//   - in-flight: kbench's own in-flight bound held the closed model's
//     producers back (Summary.InFlightCapped);
//   - client-cpu: kbench's process used at least 85% of the machine's
//     cores (Telemetry.ClientCPU mean / Host.CPUs);
//   - replication: some partition fell under min.insync.replicas
//     (under_min_isr > 0 on any broker);
//   - request-handlers, network-processors: a broker's request handler
//     or network threads were idle less than 20% of the time on average;
//   - broker-cpu: a broker's process used at least 85% of its machine's
//     cores, or its machine was that busy (node_exporter);
//   - disk: a broker's busiest disk was busy 90% of the time;
//   - network: a broker's links carried 90% of their speed;
//   - shared-cpu: the machine the brokers and kbench shared had at least
//     85% of its cores busy (Telemetry.HostCPU; else the brokers' and
//     kbench's CPU added up).
//
// With none of these, an open-model run that reached 97% of the rate
// asked for is bounded by nothing ("none": the rate was met), and any
// other run by something kbench did not see ("unknown"), its evidence
// then the highest figures it did see. A run that met its rate while a
// rule held is still "none", the rule in Also.
func NameLimit(r *results.Run) results.Limit {
	var hits []string // "resource: evidence"
	add := func(resource, format string, args ...any) {
		hits = append(hits, resource+": "+fmt.Sprintf(format, args...))
	}
	s := r.Summary
	if s.InFlightCapped {
		add(results.LimitInFlight, "producers waited for a free in-flight slot %.0f%% of the time", 100*s.InFlightWaitShare)
	}
	tel := r.Telemetry
	cpus := float64(r.Host.CPUs)
	client := 0.0
	if tel != nil && tel.ClientCPU != nil {
		client = tel.ClientCPU.Mean
		if cpus > 0 && client >= cpuBusy*cpus {
			add(results.LimitClientCPU, "kbench used %.2f of the machine's %.0f cores on average", client, cpus)
		}
	}
	var brokers []results.BrokerSummary
	if tel != nil {
		brokers = tel.BrokerSummary
	}
	type check struct {
		resource string
		holds    func(b results.BrokerSummary) (string, bool)
	}
	stat := func(b results.BrokerSummary, m results.Metric) (results.Stat, bool) {
		st, ok := b.Stats[m]
		return st, ok
	}
	checks := []check{
		{results.LimitReplication, func(b results.BrokerSummary) (string, bool) {
			st, ok := stat(b, results.UnderMinISR)
			return fmt.Sprintf("broker %d had up to %.0f partitions under min.insync.replicas", b.Broker, st.Max), ok && st.Max > 0
		}},
		{results.LimitRequestHandlers, func(b results.BrokerSummary) (string, bool) {
			st, ok := stat(b, results.RequestHandlerIdle)
			return fmt.Sprintf("broker %d's request handlers were idle %.0f%% of the time on average (least %.0f%%)", b.Broker, 100*st.Mean, 100*st.Min), ok && st.Mean < idleLow
		}},
		{results.LimitNetworkProcessors, func(b results.BrokerSummary) (string, bool) {
			st, ok := stat(b, results.NetworkProcessorIdle)
			return fmt.Sprintf("broker %d's network threads were idle %.0f%% of the time on average (least %.0f%%)", b.Broker, 100*st.Mean, 100*st.Min), ok && st.Mean < idleLow
		}},
		{results.LimitBrokerCPU, func(b results.BrokerSummary) (string, bool) {
			if host, ok := stat(b, results.HostCPUCores); ok {
				if n, ok := stat(b, results.HostCPUs); ok && n.Mean > 0 && host.Mean >= cpuBusy*n.Mean {
					return fmt.Sprintf("broker %d's machine had %.2f of its %.0f cores busy on average", b.Broker, host.Mean, n.Mean), true
				}
			}
			n := cpus // a local broker's machine is kbench's
			if st, ok := stat(b, results.HostCPUs); ok {
				n = st.Mean
			} else if !tel.SharedCores {
				return "", false // an external broker's cores are unknown
			}
			st, ok := stat(b, results.CPUCores)
			return fmt.Sprintf("broker %d's process used %.2f of %.0f cores on average", b.Broker, st.Mean, n), ok && n > 0 && st.Mean >= cpuBusy*n
		}},
		{results.LimitDisk, func(b results.BrokerSummary) (string, bool) {
			st, ok := stat(b, results.DiskBusy)
			return fmt.Sprintf("broker %d's busiest disk was busy %.0f%% of the time on average", b.Broker, 100*st.Mean), ok && st.Mean >= deviceBusy
		}},
		{results.LimitNetwork, func(b results.BrokerSummary) (string, bool) {
			speed, ok := stat(b, results.NetSpeedBps)
			if !ok || speed.Mean <= 0 {
				return "", false
			}
			rx, _ := stat(b, results.NetRxBps)
			tx, _ := stat(b, results.NetTxBps)
			most := math.Max(rx.Mean, tx.Mean)
			return fmt.Sprintf("broker %d's links carried %.0f MB/s of their %.0f MB/s", b.Broker, most/1e6, speed.Mean/1e6), most >= deviceBusy*speed.Mean
		}},
	}
	for _, c := range checks {
		for _, b := range brokers {
			if ev, ok := c.holds(b); ok {
				add(c.resource, "%s", ev)
				break // one broker is evidence enough
			}
		}
	}
	brokerCPU := 0.0
	for _, b := range brokers {
		brokerCPU += b.Stats[results.CPUCores].Mean
	}
	if tel != nil && tel.SharedCores && cpus > 0 {
		// The machine's busy cores, other programs' included, when known.
		busy := brokerCPU + client
		if tel.HostCPU != nil {
			busy = math.Max(busy, tel.HostCPU.Mean)
		}
		if busy >= cpuBusy*cpus {
			add(results.LimitSharedCPU, "the machine had %.2f of its %.0f cores busy on average: the brokers %.2f, kbench %.2f, other programs %.2f",
				busy, cpus, brokerCPU, client, math.Max(busy-brokerCPU-client, 0))
		}
	}

	if s.TargetRate > 0 && s.ProduceRateMsgs >= rateMet*s.TargetRate {
		return results.Limit{Resource: results.LimitNone,
			Evidence: fmt.Sprintf("the rate asked for was met: %.0f of %.0f msgs/s", s.ProduceRateMsgs, s.TargetRate), Also: hits}
	}
	if len(hits) == 0 {
		return results.Limit{Resource: results.LimitUnknown, Evidence: unseen(r, client, brokers)}
	}
	resource, evidence, _ := strings.Cut(hits[0], ": ")
	return results.Limit{Resource: resource, Evidence: evidence, Also: hits[1:]}
}

// unseen is the evidence of a run no rule explains: its highest figures.
func unseen(r *results.Run, client float64, brokers []results.BrokerSummary) string {
	parts := []string{"no resource kbench measured reached its limit"}
	if r.Summary.TargetRate > 0 {
		parts[0] += fmt.Sprintf(", yet the rate asked for was not met (%.0f of %.0f msgs/s)", r.Summary.ProduceRateMsgs, r.Summary.TargetRate)
	}
	if r.Telemetry != nil && r.Telemetry.ClientCPU != nil {
		parts = append(parts, fmt.Sprintf("kbench %.2f of %d cores", client, r.Host.CPUs))
	}
	busiest, idle := -1.0, math.Inf(1)
	for _, b := range brokers {
		if st, ok := b.Stats[results.CPUCores]; ok {
			busiest = math.Max(busiest, st.Mean)
		}
		if st, ok := b.Stats[results.RequestHandlerIdle]; ok {
			idle = math.Min(idle, st.Mean)
		}
	}
	if busiest >= 0 {
		parts = append(parts, fmt.Sprintf("busiest broker %.2f cores", busiest))
	}
	if !math.IsInf(idle, 1) {
		parts = append(parts, fmt.Sprintf("least request-handler idle %.0f%%", 100*idle))
	}
	if len(brokers) == 0 {
		parts = append(parts, "no broker figures")
	}
	return strings.Join(parts, "; ")
}

// limitLine is the summary's line for r's limit.
func limitLine(l results.Limit) string {
	line := "limit: " + l.Resource + " (" + l.Evidence + ")"
	if len(l.Also) > 0 {
		line += "; also " + strings.Join(l.Also, "; ")
	}
	return line
}
