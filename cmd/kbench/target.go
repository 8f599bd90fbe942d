package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/targets"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// targetFlags choose and shape the cluster a run is pointed at.
type targetFlags struct {
	kind      string
	bootstrap string
	dir       string
	nodes     int
	heapMB    int
	network   string
	// clientConfig is a client properties file for every client;
	// security secures a local cluster started for the run.
	clientConfig string
	security     string
}

// spec turns the flags into a cluster.Spec.
func (tf targetFlags) spec() cluster.Spec {
	return cluster.Spec{
		Kind: results.ClusterKind(tf.kind), Bootstrap: splitList(tf.bootstrap), Dir: tf.dir,
		Nodes: tf.nodes, HeapMB: tf.heapMB, Admin: all.ProbeAdmin,
		Network: results.Network(tf.network), Security: cluster.Security(tf.security),
	}
}

// specFlags names the flag behind each cluster.Spec field.
var specFlags = map[string]string{"Kind": "--cluster", "Bootstrap": "--bootstrap", "Dir": "--cluster-dir",
	"Nodes": "--nodes", "HeapMB": "--heap", "Network": "--network", "Security": "--security"}

// connect opens the target the flags describe and an admin client of drv
// (the local target checks its own brokers with all.ProbeAdmin), and
// returns the client properties every client of the run takes (see
// clientProps); release closes both (the target last, as it may stop
// brokers).
func connect(ctx context.Context, tf targetFlags, brokerProps map[string]string, drv drivers.Driver, log io.Writer) (tgt cluster.Target, admin drivers.Admin, props map[string]string, release func(), err error) {
	file, err := readClientConfig(tf.clientConfig)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	spec := tf.spec()
	if len(spec.Bootstrap) == 0 && (tf.kind == "" || tf.kind == string(results.KindExternal)) {
		spec.Bootstrap = splitList(file["bootstrap.servers"])
	}
	spec.BrokerProps, spec.Log = brokerProps, log
	tgt, err = targets.Open(ctx, spec)
	var se *cluster.SpecError
	if errors.As(err, &se) {
		return nil, nil, nil, nil, usageError{fmt.Errorf("%s %w", specFlags[se.Field], se.Err)}
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	props = clientProps(file, tgt)
	admin, err = drv.NewAdmin(ctx, drivers.AdminConfig{Bootstrap: tgt.Bootstrap(), Props: props})
	if err != nil {
		tgt.Close()
		var pe *drivers.PropertyError
		if errors.As(err, &pe) {
			return nil, nil, nil, nil, usageError{fmt.Errorf("client properties: %w", err)}
		}
		return nil, nil, nil, nil, fmt.Errorf("admin client for %v: %w", tgt.Bootstrap(), err)
	}
	return tgt, admin, props, func() { admin.Close(); tgt.Close() }, nil
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

// checkShape refuses, before anything starts, a cluster shape that cannot
// be: fewer than one node, or topics replicated more times than a cluster
// started for the run has nodes. nodesGiven says --nodes was given (a
// running local cluster is used as it is, whatever its size).
func (tf targetFlags) checkShape(w *workload.Workload, nodesGiven bool) error {
	if tf.nodes < 1 {
		return usagef("--nodes %d: a cluster needs at least 1 node", tf.nodes)
	}
	kind := tf.spec().TargetKind()
	if w == nil || w.ReplicationFactor <= tf.nodes || !(kind == results.KindEmbedded || kind == results.KindLocal && nodesGiven) {
		return nil
	}
	return usagef("replicationFactor %d needs at least %d nodes, but --nodes is %d: lower replicationFactor (--set replicationFactor=%d) or raise --nodes",
		w.ReplicationFactor, w.ReplicationFactor, tf.nodes, tf.nodes)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadTuning loads and composes the named tuning profiles.
func loadTuning(names []string) (*profiles.Tuning, error) {
	t, err := workload.LoadTuning(names...)
	if err != nil {
		return nil, flagError(err)
	}
	return t, nil
}
