// Package analysis turns result files into summaries, plots, reports and
// regression verdicts. It reads only *results.Run values, never a live
// cluster, so any run can be analysed later and elsewhere.
//
// Every function here is safe to call from several goroutines at once: none
// keeps state between calls.
package analysis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kbench/kbench/internal/redact"
	"github.com/kbench/kbench/results"
)

// setting is one named setting of a run, as labels and reports show it.
type setting struct {
	// section groups settings in reports: run, workload, producer,
	// consumer, broker or topic.
	section, key, value string
}

// name is the setting's full name, e.g. "producer.acks".
func (s setting) name() string {
	if s.section == "run" {
		return s.key
	}
	return s.section + "." + s.key
}

// settings lists what a run was configured with, in a fixed order: the
// run's driver, profiles and cluster, then its workload fields, then the
// client, broker and topic properties.
func settings(r *results.Run) []setting {
	var out []setting
	add := func(section, key, value string) {
		if value != "" {
			out = append(out, setting{section, key, redact.Value(key, value)})
		}
	}
	add("run", "driver", r.Driver.Name)
	add("run", "library", r.Driver.Library)
	add("run", "profiles", strings.Join(r.Profiles, "+"))
	add("run", "cluster", string(r.Cluster.Kind))
	add("run", "kafka", r.Cluster.KafkaVersion)
	if r.Cluster.ReplicationFactor > 0 {
		add("run", "replication", strconv.Itoa(r.Cluster.ReplicationFactor))
	}
	add("run", "target_rate", formatFloat(r.Summary.TargetRate))
	add("run", "kbench", r.Kbench)
	for _, kv := range flattenJSON(r.Workload) {
		add("workload", kv[0], kv[1])
	}
	for _, p := range []struct {
		section string
		props   map[string]string
	}{
		{"producer", r.Client.Producer},
		{"consumer", r.Client.Consumer},
		{"broker", r.Cluster.BrokerProps},
		{"topic", r.Cluster.TopicConfig},
	} {
		for _, k := range sortedKeys(p.props) {
			add(p.section, k, p.props[k])
		}
	}
	return out
}

// hostSettings lists a run's host and hardware description for the
// side-by-side table of a report.
func hostSettings(r *results.Run) []setting {
	var out []setting
	host := func(section string, h results.Host) {
		add := func(key, value string) {
			if value != "" && value != "0" {
				out = append(out, setting{section, key, value})
			}
		}
		add("hostname", h.Hostname)
		add("os", h.OS+"/"+h.Arch)
		add("kernel", h.Kernel)
		add("cpu", h.CPUModel)
		add("cpus", strconv.Itoa(h.CPUs))
		add("memory_mib", strconv.FormatInt(h.MemoryMiB, 10))
		var disks []string
		for _, d := range h.Disks {
			kind := "ssd"
			if d.Rotational {
				kind = "hdd"
			}
			disks = append(disks, fmt.Sprintf("%s %d GiB %s", d.Name, d.SizeGiB, kind))
		}
		add("disks", strings.Join(disks, ", "))
		add("go", h.Go)
		add("java", h.Java)
	}
	host("host", r.Host)
	if hw := r.Hardware; hw != nil {
		out = append(out, setting{"hardware", "name", hw.Name})
		if hw.Brokers > 0 {
			out = append(out, setting{"hardware", "brokers", strconv.Itoa(hw.Brokers)})
		}
		if hw.Network != "" {
			out = append(out, setting{"hardware", "network", hw.Network})
		}
		host("hardware", hw.Host)
	}
	return out
}

// flattenJSON lists the leaves of a JSON object as path/value pairs sorted
// by path, nested objects joined with ".", arrays kept as compact JSON.
func flattenJSON(raw json.RawMessage) [][2]string {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep 1048576 from turning into 1.048576e+06
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	var out [][2]string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(v) {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, v[k])
			}
		case nil:
		case string:
			out = append(out, [2]string{prefix, v})
		case json.Number, bool:
			out = append(out, [2]string{prefix, fmt.Sprint(v)})
		default:
			b, _ := json.Marshal(v)
			out = append(out, [2]string{prefix, string(b)})
		}
	}
	walk("", v)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatFloat prints a number without trailing zeros: 1000, 0.5.
func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// lookup returns the value of setting name in s.
func lookup(s []setting, name string) (string, bool) {
	for _, x := range s {
		if x.name() == name {
			return x.value, true
		}
	}
	return "", false
}
