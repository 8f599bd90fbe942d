package local

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
)

// kbenchOwnedProp says why a broker property cannot come from a tuning
// profile: kbench sets it per node, or it defines the 127.0.0.1 topology
// kbench builds. It returns "" for a property the profile may set.
func kbenchOwnedProp(key string) string {
	switch key {
	case "node.id", "broker.id":
		return "kbench numbers the nodes 1..n"
	case "listeners", "advertised.listeners", "listener.security.protocol.map",
		"controller.listener.names", "inter.broker.listener.name":
		return "kbench gives each node its own ports on 127.0.0.1"
	case "log.dirs", "log.dir":
		return "kbench gives each node its own log directory in the cluster's directory"
	case "controller.quorum.voters", "controller.quorum.bootstrap.servers", "process.roles":
		return "kbench runs every node as broker and controller of one static quorum"
	}
	return ""
}

// validateBrokerProps returns one error per property a tuning profile may
// not set or that cannot be written to a properties file.
func validateBrokerProps(props map[string]string) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(props)) {
		switch {
		case k == "" || strings.ContainsAny(k, " \t\r\n=:#!"):
			errs = append(errs, fmt.Errorf("broker property %q: not a valid property name", k))
		case kbenchOwnedProp(k) != "":
			errs = append(errs, fmt.Errorf("broker property %q is set by kbench for the local target (%s): remove it from the tuning profile's broker section",
				k, kbenchOwnedProp(k)))
		}
	}
	return errs
}

// localDefaultProps are the properties every node shares before the tuning
// profile's: sized for a small (2-core) machine, and for the failover
// scenarios (replication 3, min.insync.replicas 2, no unclean election)
// when there are enough nodes.
func localDefaultProps(nodes int) map[string]string {
	rf := min(3, nodes)
	minISR := 1
	if nodes >= 3 {
		minISR = 2
	}
	return map[string]string{
		"process.roles":                  "broker,controller",
		"controller.listener.names":      "CONTROLLER",
		"inter.broker.listener.name":     "PLAINTEXT",
		"listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",

		// Kafka's defaults (3, 8, 10, 4 threads; 50 partitions per
		// internal topic) assume a server; on two cores they only add
		// contention and start-up time.
		"num.network.threads":                          "2",
		"num.io.threads":                               "2",
		"background.threads":                           "2",
		"group.coordinator.threads":                    "1",
		"num.recovery.threads.per.data.dir":            "1",
		"offsets.topic.num.partitions":                 "6",
		"transaction.state.log.num.partitions":         "6",
		"share.coordinator.state.topic.num.partitions": "6",
		// Allocated on the heap at start (128 MiB by default); keep the
		// cleaner on, since __consumer_offsets is compacted.
		"log.cleaner.dedupe.buffer.size":   "16777216",
		"group.initial.rebalance.delay.ms": "0",

		"default.replication.factor":                       strconv.Itoa(rf),
		"min.insync.replicas":                              strconv.Itoa(minISR),
		"offsets.topic.replication.factor":                 strconv.Itoa(rf),
		"transaction.state.log.replication.factor":         strconv.Itoa(rf),
		"transaction.state.log.min.isr":                    strconv.Itoa(minISR),
		"share.coordinator.state.topic.replication.factor": strconv.Itoa(rf),
		"share.coordinator.state.topic.min.isr":            strconv.Itoa(minISR),
		"unclean.leader.election.enable":                   "false",
	}
}

// commonProps merges the tuning profile's broker properties over kbench's
// defaults.
func commonProps(nodes int, user map[string]string) map[string]string {
	p := localDefaultProps(nodes)
	maps.Copy(p, user)
	return p
}

// nodeProps adds one node's own properties to the common ones.
func nodeProps(common map[string]string, n localNode, voters, dataDir string) map[string]string {
	p := maps.Clone(common)
	p["node.id"] = strconv.Itoa(int(n.ID))
	p["listeners"] = fmt.Sprintf("PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", n.Port, n.ControllerPort)
	p["advertised.listeners"] = fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", n.Port)
	p["controller.quorum.voters"] = voters
	p["log.dirs"] = dataDir
	return p
}

// writeProperties writes props as a Java properties file, keys sorted.
func writeProperties(path string, props map[string]string) error {
	var b strings.Builder
	b.WriteString("# Written by kbench for its local target; rewritten at each start.\n")
	for _, k := range slices.Sorted(maps.Keys(props)) {
		b.WriteString(escapeProp(k, true))
		b.WriteByte('=')
		b.WriteString(escapeProp(props[k], false))
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing broker properties %s: %w", path, err)
	}
	return nil
}

// escapeProp escapes s as java.util.Properties reads it back: backslashes
// and line breaks always, separators in keys, and leading blanks in values.
func escapeProp(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '=', ':', '#', '!':
			if key {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case ' ':
			if key || i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
