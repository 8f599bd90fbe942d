package workload

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64 // KB/s; 0 for an error
	}{
		{"500KB/s", 500},     // the usual form
		{"2MB/s", 2000},      // megabytes
		{"1.5MB", 1500},      // no "/s"
		{"750000", 750},      // bare bytes per second
		{"64000B/s", 64},     // explicit bytes
		{"999B/s", 0},        // below the proxies' 1 KB/s unit
		{"fast", 0},          // not a number
		{"", 0},              // missing
		{"-5KB/s", 0},        // negative
		{" 250 KB/s ", 250},  // spaces
		{"1e3KB/s", 1000},    // a float form
		{"0.5KB/s", 0},       // rounds below 1
		{"100MB/s", 100_000}, // large
	} {
		got, err := ParseRate(tc.in)
		if got != tc.want || (err != nil) != (tc.want == 0) {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// links=client,replication keeps its list through the flag's commas.
func TestParseFaultFlagNetwork(t *testing.T) {
	f, err := ParseFaultFlag("at=5s,action=latency,links=client,replication,target=broker:2,delay=50ms,jitter=5ms,duration=10s")
	if err != nil {
		t.Fatal(err)
	}
	links, err := ParseLinks(f.Links)
	if err != nil || !slices.Equal(links, []cluster.Link{cluster.LinkClient, cluster.LinkReplication}) {
		t.Errorf("links %v (%v)", links, err)
	}
	if f.Target != "broker:2" || f.Delay.D() != 50*time.Millisecond || f.Jitter.D() != 5*time.Millisecond || f.Duration.D() != 10*time.Second {
		t.Errorf("parsed %+v", f)
	}
	f, err = ParseFaultFlag("at=5s,action=rolling-restart,pause=3s")
	if err != nil || f.Pause.D() != 3*time.Second {
		t.Errorf("rolling-restart: %+v, %v", f, err)
	}
}

func TestValidateNetFault(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    FaultSpec
		want string // a fragment of the error; "" for none
	}{
		{"latency", FaultSpec{Action: cluster.ActionLatency, Target: "broker:1", Delay: Duration(50 * time.Millisecond)}, ""},
		{"latency without delay", FaultSpec{Action: cluster.ActionLatency, Target: "broker:1"}, "needs a delay"},
		{"jitter over delay", FaultSpec{Action: cluster.ActionLatency, Target: "broker:1", Delay: Duration(time.Millisecond), Jitter: Duration(time.Second)}, "must not exceed"},
		{"unknown link", FaultSpec{Action: cluster.ActionReset, Target: "broker:1", Links: []string{"disk"}}, `unknown link "disk"`},
		{"links on partition", FaultSpec{Action: cluster.ActionPartition, Target: "broker:1", Links: []string{"client"}}, "only latency, bandwidth, reset take links"},
		{"bad rate", FaultSpec{Action: cluster.ActionBandwidth, Target: "broker:1", Rate: "lots"}, "want a rate"},
		{"rate on kill", FaultSpec{Action: cluster.ActionKill, Target: "broker:1", Rate: "1MB/s"}, "only bandwidth take rate"},
		{"reset too often", FaultSpec{Action: cluster.ActionReset, Target: "broker:1", Every: Duration(time.Millisecond)}, "at least 100ms"},
		{"reset default period", FaultSpec{Action: cluster.ActionReset, Target: "broker:1"}, ""},
		{"rolling-restart on every broker", FaultSpec{Action: cluster.ActionRollingRestart, Pause: Duration(time.Second)}, ""},
		{"rolling-restart on one", FaultSpec{Action: cluster.ActionRollingRestart, Target: "broker:1"}, "takes every broker"},
		{"all for a kill", FaultSpec{Action: cluster.ActionKill, Target: "all"}, "unknown target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &Workload{Messages: 10, Faults: []FaultSpec{tc.f}}
			err := w.Resolve()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Resolve: %v, want %q", err, tc.want)
			}
		})
	}
}

func TestWorkloadNetwork(t *testing.T) {
	w := &Workload{Faults: []FaultSpec{{Action: cluster.ActionKill}, {Action: cluster.ActionRollingRestart}}}
	if w.Network() != results.NetworkDirect {
		t.Errorf("kill and rolling-restart: %s, want direct", w.Network())
	}
	w.Faults = append(w.Faults, FaultSpec{Action: cluster.ActionPartition})
	if w.Network() != results.NetworkProxied {
		t.Errorf("with a partition: %s, want proxied", w.Network())
	}
}
