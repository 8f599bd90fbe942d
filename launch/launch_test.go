package launch

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

func TestTargetCheck(t *testing.T) {
	rf3 := &workload.Workload{ReplicationFactor: 3}
	cases := []struct {
		name string
		spec TargetSpec
		w    *workload.Workload
		// replicas says a ReplicasError is wanted; bad, any InputError.
		bad, replicas bool
	}{
		// No node at all is refused whatever the target.
		{"no nodes", TargetSpec{Kind: results.KindExternal, Nodes: 0}, nil, true, false},
		// An embedded cluster is started with Nodes nodes.
		{"embedded too small", TargetSpec{Kind: results.KindEmbedded, Nodes: 1}, rf3, true, true},
		{"embedded large enough", TargetSpec{Kind: results.KindEmbedded, Nodes: 3}, rf3, false, false},
		// A running local cluster is used as it is unless Nodes was asked for.
		{"local, default nodes", TargetSpec{Nodes: 1}, rf3, false, false},
		{"local, nodes given", TargetSpec{Nodes: 1, NodesGiven: true}, rf3, true, true},
		// An external cluster's size is its own.
		{"external", TargetSpec{Bootstrap: []string{"h:9092"}, Nodes: 1, NodesGiven: true}, rf3, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Check(tc.w)
			var ie *InputError
			if bad := errors.As(err, &ie); bad != tc.bad || bad && ie.Field != "Nodes" {
				t.Fatalf("Check: %v; want an InputError on Nodes: %v", err, tc.bad)
			}
			var re *ReplicasError
			if errors.As(err, &re) != tc.replicas {
				t.Errorf("Check: %v; want a ReplicasError: %v", err, tc.replicas)
			}
		})
	}
}

func TestForRun(t *testing.T) {
	cut := &workload.Workload{Faults: []workload.FaultSpec{{Action: cluster.ActionPartition}}}
	cases := []struct {
		name string
		spec TargetSpec
		w    *workload.Workload
		want results.Network
	}{
		// A local cluster started for the run is proxied when a fault cuts links...
		{"local, link fault", TargetSpec{}, cut, results.NetworkProxied},
		// ...and direct otherwise.
		{"local, no fault", TargetSpec{Kind: results.KindLocal}, &workload.Workload{}, results.NetworkDirect},
		// A network asked for is kept.
		{"local, asked direct", TargetSpec{Network: results.NetworkDirect}, cut, results.NetworkDirect},
		// Other targets have no network to choose.
		{"external", TargetSpec{Bootstrap: []string{"h:9092"}}, cut, ""},
		{"embedded", TargetSpec{Kind: results.KindEmbedded}, cut, ""},
	}
	for _, tc := range cases {
		if got := tc.spec.ForRun(tc.w).Network; got != tc.want {
			t.Errorf("%s: network %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestApplyClientProps(t *testing.T) {
	t.Setenv("KB_LAUNCH_SECRET", "hunter2")
	w := &workload.Workload{Producer: map[string]string{"acks": "1"}}
	props := map[string]string{"acks": "all", "sasl.password": "${KB_LAUNCH_SECRET}"}
	if err := applyClientProps(w, props); err != nil {
		t.Fatal(err)
	}
	// The workload's own properties win; the rest are laid under them
	// and the environment is read.
	if want := map[string]string{"acks": "1", "sasl.password": "hunter2"}; !maps.Equal(w.Producer, want) {
		t.Errorf("producer %v, want %v", w.Producer, want)
	}
	if want := map[string]string{"acks": "all", "sasl.password": "hunter2"}; !maps.Equal(w.Consumer, want) {
		t.Errorf("consumer %v, want %v", w.Consumer, want)
	}
	if props["sasl.password"] != "${KB_LAUNCH_SECRET}" {
		t.Error("the session's properties were changed")
	}

	w = &workload.Workload{Producer: map[string]string{"sasl.password": "${KB_LAUNCH_UNSET}"}}
	if err := applyClientProps(w, nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("unset variable: %v, want bad input", err)
	}
}

// configurer is a target with client properties of its own.
type configurer struct {
	cluster.Target
	props map[string]string
}

func (c configurer) ClientProps() map[string]string { return maps.Clone(c.props) }

func TestClientProps(t *testing.T) {
	tgt := configurer{props: map[string]string{"security.protocol": "SSL", "bootstrap.servers": "a:1"}}
	// The target's own, when no file is given, without bootstrap.servers.
	if got := clientProps(nil, tgt); !maps.Equal(got, map[string]string{"security.protocol": "SSL"}) {
		t.Errorf("no file: %v", got)
	}
	// A file replaces them.
	file := map[string]string{"sasl.mechanism": "PLAIN", "bootstrap.servers": "b:1"}
	if got := clientProps(file, tgt); !maps.Equal(got, map[string]string{"sasl.mechanism": "PLAIN"}) {
		t.Errorf("file: %v", got)
	}
	if file["bootstrap.servers"] == "" {
		t.Error("the file's properties were changed")
	}
}

// Connect's bad input names the TargetSpec field at fault, and starts
// nothing.
func TestConnectBadInput(t *testing.T) {
	drv, err := all.Get("franz")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := []struct {
		name  string
		spec  TargetSpec
		field string
	}{
		{"unknown kind", TargetSpec{Kind: "cloud"}, "Kind"},
		{"bootstrap for local", TargetSpec{Kind: results.KindLocal, Bootstrap: []string{"h:9092"}, Dir: dir}, "Bootstrap"},
		{"missing client config", TargetSpec{Kind: results.KindEmbedded, ClientConfig: filepath.Join(dir, "none.properties")}, "ClientConfig"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Connect(context.Background(), tc.spec, nil, drv, nil)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field || !errors.Is(err, ErrBadInput) {
				if s != nil {
					s.Close()
				}
				t.Errorf("Connect: %v; want an InputError on %s", err, tc.field)
			}
		})
	}
}

// A run on the embedded target writes its result and passes judgement;
// the client config file's bootstrap.servers is no client property.
func TestSessionRun(t *testing.T) {
	drv, err := all.Get("franz")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "client.properties")
	if err := os.WriteFile(cfgFile, []byte("client.id=launch-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Connect(ctx, TargetSpec{Kind: results.KindEmbedded, Nodes: 1, ClientConfig: cfgFile}, nil, drv, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.ClientProps(); !maps.Equal(got, map[string]string{"client.id": "launch-test"}) {
		t.Errorf("client properties %v", got)
	}
	n := int64(200)
	w, tuning, err := workload.Build("smoke", nil, nil, workload.Overrides{Messages: &n})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.json")
	hw := &results.Hardware{Name: "test"}
	res, path, err := s.Run(ctx, RunSpec{
		Point:  Point{Workload: w, Tuning: tuning, Driver: drv, Hardware: hw, Version: "test"},
		Output: out, MaxErrorShare: 0.05,
	})
	if err != nil || path != out || res == nil {
		t.Fatalf("Run: %v, %q; want a result in %s", err, path, out)
	}
	read, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if read.Hardware == nil || read.Hardware.Name != "test" || read.Summary.ProducedMessages != n {
		t.Errorf("result: hardware %v, %d produced; want the point's hardware and %d", read.Hardware, read.Summary.ProducedMessages, n)
	}
	if w.Producer["client.id"] != "launch-test" {
		t.Errorf("producer properties %v lack the session's", w.Producer)
	}
}

// A workload's sasl.* properties are checked with the client config
// file's security.protocol under them, as a run lays them: refused alone,
// taken with a file that says SASL_SSL.
func TestCheckPropsWithClientConfig(t *testing.T) {
	drv, err := all.Get("franz")
	if err != nil {
		t.Fatal(err)
	}
	w := &workload.Workload{Producer: map[string]string{"sasl.password": "p"}, Consumer: map[string]string{"sasl.password": "p"}}
	if err := CheckProps(drv, w, TargetSpec{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("sasl.password without a SASL protocol: %v, want bad input", err)
	}
	file := filepath.Join(t.TempDir(), "client.properties")
	text := "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=u\n"
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckProps(drv, w, TargetSpec{ClientConfig: file}); err != nil {
		t.Errorf("with the file's SASL_SSL: %v", err)
	}
	if _, ok := w.Producer["security.protocol"]; ok {
		t.Error("CheckProps changed the workload")
	}
}
