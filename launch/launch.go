// Package launch carries a built workload to a written result: it opens
// the target and the clients' properties (Connect), runs a measurement on
// it with the engine, completes and writes the result, and judges the run
// (Session.Run); a sweep's points run through the same flow
// (Session.SweepPoint). It is what 'kbench run' and 'kbench sweep' do
// once their flags are read, for any Go program to do the same.
//
// Its errors are typed for a caller to act on: bad input (InputError,
// wrapping ErrBadInput; nothing ran), a run that ran and failed
// (FailedError), an interrupted run (ErrInterrupted); anything else is a
// failure to run. An error names the field at fault, never a flag.
package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/targets"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/internal/javaprops"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// TargetSpec is the cluster to connect to and how its clients connect.
// Its fields are cluster.Spec's (see there), and ClientConfig.
type TargetSpec struct {
	Kind      results.ClusterKind
	Bootstrap []string
	Dir       string
	Nodes     int
	// NodesGiven says Nodes was asked for: a running local cluster is
	// used whatever its size otherwise, so Check holds a local target's
	// replication to Nodes only then.
	NodesGiven bool
	HeapMB     int
	Network    results.Network
	Security   cluster.Security
	// ClientConfig is a client properties file (Java format) for every
	// client; "" is none. Its bootstrap.servers is an external cluster's
	// address when Bootstrap is empty; ${NAME} in it reads the
	// environment.
	ClientConfig string
}

// TargetKind is the kind of target s opens (cluster.Spec.TargetKind).
func (s TargetSpec) TargetKind() results.ClusterKind { return s.cluster().TargetKind() }

func (s TargetSpec) cluster() cluster.Spec {
	return cluster.Spec{
		Kind: s.Kind, Bootstrap: s.Bootstrap, Dir: s.Dir, Nodes: s.Nodes, HeapMB: s.HeapMB,
		Network: s.Network, Security: s.Security, Admin: all.ProbeAdmin,
	}
}

// ForRun returns s for a run of w: a local cluster whose network s leaves
// open gets the one w's faults need (workload.Workload.Network), proxied
// when one acts on links.
func (s TargetSpec) ForRun(w *workload.Workload) TargetSpec {
	if s.Network == "" && len(s.Bootstrap) == 0 && (s.Kind == "" || s.Kind == results.KindLocal) {
		s.Network = w.Network()
	}
	return s
}

// Check refuses, before anything starts, a cluster shape that cannot be:
// fewer than one node, or w's topics replicated more times than a cluster
// started for the run has nodes (a ReplicasError). Its errors are
// InputErrors on Nodes. w may be nil.
func (s TargetSpec) Check(w *workload.Workload) error {
	if s.Nodes < 1 {
		return badInput("Nodes", fmt.Errorf("%d: a cluster needs at least 1 node", s.Nodes))
	}
	kind := s.TargetKind()
	if w == nil || w.ReplicationFactor <= s.Nodes || !(kind == results.KindEmbedded || kind == results.KindLocal && s.NodesGiven) {
		return nil
	}
	return badInput("Nodes", &ReplicasError{ReplicationFactor: w.ReplicationFactor, Nodes: s.Nodes})
}

// Session is an open target with an admin client and the client
// properties every client of a run on it takes. Its runs go one at a
// time: a Session is not for use from several goroutines at once.
type Session struct {
	target cluster.Target
	admin  drivers.Admin
	props  map[string]string
	// sizer, closeSizer and host are made by the first run (prepare):
	// connecting alone (to merge, to start shard processes) needs none.
	sizer      drivers.LogSizer
	closeSizer func()
	host       *results.Host
}

// Connect opens the target spec describes (a local cluster started for
// it takes brokerProps; log receives its progress, nil discards it) and
// an admin client of drv. Bad input is an InputError on a TargetSpec
// field (ClientConfig, or cluster.Spec's), or on none for client
// properties the driver refuses. Close the Session when done.
func Connect(ctx context.Context, spec TargetSpec, brokerProps map[string]string, drv drivers.Driver, log io.Writer) (*Session, error) {
	var file map[string]string
	if spec.ClientConfig != "" {
		var err error
		if file, err = drivers.ReadClientConfig(spec.ClientConfig); err != nil {
			return nil, badInput("ClientConfig", err)
		}
	}
	cs := spec.cluster()
	if len(cs.Bootstrap) == 0 && (spec.Kind == "" || spec.Kind == results.KindExternal) {
		cs.Bootstrap = splitList(file["bootstrap.servers"])
	}
	cs.BrokerProps, cs.Log = brokerProps, log
	tgt, err := targets.Open(ctx, cs)
	var se *cluster.SpecError
	if errors.As(err, &se) {
		return nil, badInput(se.Field, se.Err)
	}
	if err != nil {
		return nil, err
	}
	props := clientProps(file, tgt)
	admin, err := drv.NewAdmin(ctx, drivers.AdminConfig{Bootstrap: tgt.Bootstrap(), Props: props})
	if err != nil {
		tgt.Close()
		var pe *drivers.PropertyError
		if errors.As(err, &pe) {
			return nil, badInput("", fmt.Errorf("client properties: %w", err))
		}
		return nil, fmt.Errorf("admin client for %v: %w", tgt.Bootstrap(), err)
	}
	return &Session{target: tgt, admin: admin, props: props}, nil
}

// Target is the open target.
func (s *Session) Target() cluster.Target { return s.target }

// Admin is the admin client of Connect's driver.
func (s *Session) Admin() drivers.Admin { return s.admin }

// ClientProps are the client properties every client of a run takes:
// the client config file's, else the target's own (a secured local
// cluster's), without bootstrap.servers. The caller must not change them.
func (s *Session) ClientProps() map[string]string { return s.props }

// Close closes the admin clients and then the target, which may stop the
// brokers it started.
func (s *Session) Close() {
	if s.closeSizer != nil {
		s.closeSizer()
	}
	s.admin.Close()
	s.target.Close()
}

// prepare makes, once, what every run on s shares: the log sizer and the
// host's description.
func (s *Session) prepare(ctx context.Context) {
	if s.host != nil {
		return
	}
	s.sizer, s.closeSizer = logSizer(ctx, s.admin, s.target.Bootstrap(), s.props)
	host := profiles.DetectHost(s.target.Kind() == results.KindLocal)
	s.host = &host
}

// logSizer returns what reads the brokers' log sizes for a result's
// stored bytes: admin itself when it can, else the admin client of another
// built-in driver that can (librdkafka has no DescribeLogDirs), made with
// the same properties, as a log size is the cluster's figure whichever
// client reads it; nil when none can. close closes what it made.
func logSizer(ctx context.Context, admin drivers.Admin, bootstrap []string, props map[string]string) (ls drivers.LogSizer, close func()) {
	if ls, ok := admin.(drivers.LogSizer); ok {
		return ls, func() {}
	}
	for _, name := range all.Names() {
		drv, err := all.Get(name)
		if err != nil {
			continue
		}
		other, err := drv.NewAdmin(ctx, drivers.AdminConfig{Bootstrap: bootstrap, Props: props})
		if err != nil {
			continue
		}
		if ls, ok := other.(drivers.LogSizer); ok {
			return ls, func() { other.Close() }
		}
		other.Close()
	}
	return nil, func() {}
}

// clientProps are the client properties every client of a run gets: the
// client config file's, else the target's own (a secured local
// cluster's), without bootstrap.servers.
func clientProps(file map[string]string, tgt cluster.Target) map[string]string {
	props := maps.Clone(file)
	if props == nil {
		if cc, ok := tgt.(cluster.ClientConfigurer); ok {
			props = cc.ClientProps()
		}
	}
	delete(props, "bootstrap.servers")
	return props
}

// applyClientProps lays props under w's producer and consumer properties,
// so the workload's own still win per role, and expands ${NAME} from the
// environment in them, so a workload file or a set value can name a
// secret without holding it.
func applyClientProps(w *workload.Workload, props map[string]string) error {
	for _, role := range []*map[string]string{&w.Producer, &w.Consumer} {
		if *role == nil && len(props) > 0 {
			*role = map[string]string{}
		}
		for k, v := range props {
			if _, set := (*role)[k]; !set {
				(*role)[k] = v
			}
		}
		if err := javaprops.ExpandEnv(*role, os.LookupEnv); err != nil {
			return badInput("", fmt.Errorf("client properties: %w", err))
		}
	}
	return nil
}

// CheckProps refuses, before anything starts, client properties of w
// that drv cannot take (an InputError), with the properties of the client
// config file spec names laid under w's as a run will lay them: a
// property of w may only make sense with the file's (sasl.* with its
// security.protocol).
func CheckProps(drv drivers.Driver, w *workload.Workload, spec TargetSpec) error {
	if spec.ClientConfig != "" {
		file, err := drivers.ReadClientConfig(spec.ClientConfig)
		if err != nil {
			return badInput("ClientConfig", err)
		}
		delete(file, "bootstrap.servers")
		c := *w
		c.Producer, c.Consumer = maps.Clone(w.Producer), maps.Clone(w.Consumer)
		if err := applyClientProps(&c, file); err != nil {
			return err
		}
		w = &c
	}
	return checkProps(drv, w)
}

// checkProps is CheckProps of w's properties alone.
func checkProps(drv drivers.Driver, w *workload.Workload) error {
	pc, ok := drv.(drivers.PropertyChecker)
	if !ok {
		return nil
	}
	if err := pc.CheckProperties(w.Producer, w.Consumer); err != nil {
		return badInput("", fmt.Errorf("client properties the %s driver cannot take:\n%w", drv.Name(), err))
	}
	return nil
}
