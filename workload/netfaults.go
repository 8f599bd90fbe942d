package workload

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
)

// TargetAll is rolling-restart's target: every broker in turn.
const TargetAll = "all"

// defaultResetEvery is how often reset drops connections by default.
const defaultResetEvery = Duration(2 * time.Second)

// Network returns the network the workload's faults need: proxied when one
// of them acts on links, else direct.
func (w *Workload) Network() results.Network {
	for _, f := range w.Faults {
		if f.Action.NeedsProxies() {
			return results.NetworkProxied
		}
	}
	return results.NetworkDirect
}

// defaultNetFault fills in the defaults of the network faults' and
// rolling-restart's settings.
func defaultNetFault(f *FaultSpec) {
	if f.Action == cluster.ActionRollingRestart && f.Target == "" {
		f.Target = TargetAll
	}
	if f.Action == cluster.ActionReset && f.Every == 0 {
		f.Every = defaultResetEvery
	}
}

// validateNetFault checks the settings of network faults and
// rolling-restart, and that no other action has them.
func validateNetFault(f FaultSpec, path string, p *Problems) {
	a := f.Action
	only := func(field string, set bool, actions ...cluster.Action) {
		if set && !slices.Contains(actions, a) {
			p.Addf(path+"."+field, "only %s take %s", joinActions(actions), field)
		}
	}
	only("links", len(f.Links) > 0, cluster.ActionLatency, cluster.ActionBandwidth, cluster.ActionReset)
	only("delay", f.Delay != 0, cluster.ActionLatency)
	only("jitter", f.Jitter != 0, cluster.ActionLatency)
	only("rate", f.Rate != "", cluster.ActionBandwidth)
	only("every", f.Every != 0, cluster.ActionReset)
	only("pause", f.Pause != 0, cluster.ActionRollingRestart)
	if _, err := ParseLinks(f.Links); err != nil {
		p.Addf(path+".links", "%v", err)
	}
	for field, d := range map[string]Duration{"delay": f.Delay, "jitter": f.Jitter, "every": f.Every, "pause": f.Pause} {
		if d < 0 {
			p.Addf(path+"."+field, "must not be negative, got %s", d.D())
		}
	}
	switch a {
	case cluster.ActionLatency:
		if f.Delay < Duration(time.Millisecond) {
			p.Addf(path+".delay", "latency needs a delay of 1ms or more, e.g. 50ms")
		}
		if f.Jitter > f.Delay {
			p.Addf(path+".jitter", "must not exceed the delay (%s), got %s", f.Delay.D(), f.Jitter.D())
		}
	case cluster.ActionBandwidth:
		if _, err := ParseRate(f.Rate); err != nil {
			p.Addf(path+".rate", "%v", err)
		}
	case cluster.ActionReset:
		if f.Every > 0 && f.Every < Duration(100*time.Millisecond) {
			p.Addf(path+".every", "must be at least 100ms, got %s", f.Every.D())
		}
	case cluster.ActionRollingRestart:
		if f.Target != TargetAll {
			p.Addf(path+".target", "rolling-restart takes every broker in turn: leave target out or write all, got %q", f.Target)
		}
	}
}

func joinActions(as []cluster.Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// ParseLinks reads a fault's link names, each item possibly a
// comma-separated list.
func ParseLinks(items []string) ([]cluster.Link, error) {
	var links []cluster.Link
	for _, item := range items {
		for _, name := range strings.Split(item, ",") {
			l := cluster.Link(strings.TrimSpace(name))
			if !slices.Contains(cluster.Links(), l) {
				return nil, fmt.Errorf("unknown link %q; use client, replication or controller", name)
			}
			links = append(links, l)
		}
	}
	return links, nil
}

// ParseRate reads a byte rate such as "500KB/s", "2MB/s" or "750000" (bytes
// per second; KB and MB are 1000 and 1000000 bytes) into whole KB/s, the
// proxies' unit.
func ParseRate(s string) (int64, error) {
	v := strings.TrimSuffix(strings.TrimSpace(s), "/s")
	mult := 1.0
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	kbps := int64(n * mult / 1000)
	if err != nil || kbps < 1 {
		return 0, fmt.Errorf("want a rate of at least 1KB/s such as 500KB/s or 2MB/s, got %q", s)
	}
	return kbps, nil
}
