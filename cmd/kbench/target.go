package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/launch"
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

// spec turns the flags into a launch.TargetSpec.
func (tf targetFlags) spec() launch.TargetSpec {
	return launch.TargetSpec{
		Kind: results.ClusterKind(tf.kind), Bootstrap: splitList(tf.bootstrap), Dir: tf.dir,
		Nodes: tf.nodes, HeapMB: tf.heapMB,
		Network: results.Network(tf.network), Security: cluster.Security(tf.security),
		ClientConfig: tf.clientConfig,
	}
}

// targetFlagOf names the flag behind each launch.TargetSpec field (and
// the shard arguments of launch.Shards), as it leads an error.
var targetFlagOf = map[string]string{"Kind": "--cluster", "Bootstrap": "--bootstrap", "Dir": "--cluster-dir",
	"Nodes": "--nodes", "HeapMB": "--heap", "Network": "--network", "Security": "--security",
	"ClientConfig": "--client-config:", "count": "--shards", "index": "--shard"}

// flagged makes a usage error of launch's bad input, naming the flag that
// gave the field at fault; other errors stay as they are.
func flagged(err error) error {
	var re *launch.ReplicasError
	if errors.As(err, &re) {
		return usagef("replicationFactor %d needs at least %d nodes, but --nodes is %d: lower replicationFactor (--set replicationFactor=%d) or raise --nodes",
			re.ReplicationFactor, re.ReplicationFactor, re.Nodes, re.Nodes)
	}
	if errors.Is(err, launch.ErrInProcess) {
		return usagef("--cluster %w (or --local-shards, whose shards use this process's)", launch.ErrInProcess)
	}
	var ie *launch.InputError
	if errors.As(err, &ie) && targetFlagOf[ie.Field] != "" {
		return usageError{fmt.Errorf("%s %w", targetFlagOf[ie.Field], ie.Err)}
	}
	return err
}

// open connects to the target spec describes (launch.Connect).
func open(ctx context.Context, spec launch.TargetSpec, brokerProps map[string]string, drv drivers.Driver, log io.Writer) (*launch.Session, error) {
	s, err := launch.Connect(ctx, spec, brokerProps, drv, log)
	return s, flagged(err)
}

// connect opens the target the flags describe, for a command that takes
// the session's parts: the target, the admin client, the client
// properties, and release, which closes them.
func connect(ctx context.Context, tf targetFlags, brokerProps map[string]string, drv drivers.Driver, log io.Writer) (tgt cluster.Target, admin drivers.Admin, props map[string]string, release func(), err error) {
	s, err := open(ctx, tf.spec(), brokerProps, drv, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return s.Target(), s.Admin(), s.ClientProps(), s.Close, nil
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
