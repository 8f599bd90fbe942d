package launch

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/sweep"
	"github.com/kbench/kbench/workload"
)

// FitNodes lowers w's replication to what a cluster of nodes can hold:
// replicationFactor to at most nodes, and the min.insync.replicas topic
// config to at most that. It returns a note saying what it changed, ""
// when nothing. A sweep over cluster sizes uses it, so one workload runs
// on 1 node as on 5, and the result says how it differed.
func FitNodes(w *workload.Workload, nodes int) string {
	if w.ReplicationFactor <= nodes {
		return ""
	}
	note := fmt.Sprintf("replicationFactor lowered from %d to %d for a cluster of %d node(s)", w.ReplicationFactor, nodes, nodes)
	w.ReplicationFactor = nodes
	if isr, err := strconv.Atoi(w.TopicConfig["min.insync.replicas"]); err == nil && isr > nodes {
		w.TopicConfig["min.insync.replicas"] = strconv.Itoa(nodes)
		note += fmt.Sprintf(", min.insync.replicas from %d to %d", isr, nodes)
	}
	return note
}

// NodeSweep runs the points of a sweep that varies the cluster size
// (results.NodesParam) each on a cluster kbench starts with that many
// nodes: the first point opens one, and a point of another size closes it
// and opens the next, so varying nodes outermost starts each size once.
// Clusters start under Dir/clusters, never reusing one running elsewhere.
// It is for local and embedded targets; not safe for use from several
// goroutines. Close the NodeSweep when the sweep ends.
type NodeSweep struct {
	// Spec is the target; its Nodes is each point's.
	Spec TargetSpec
	// BrokerProps, Driver and Log are Connect's.
	BrokerProps map[string]string
	Driver      drivers.Driver
	Log         io.Writer
	// Dir is the sweep's directory.
	Dir string

	sess  *Session
	nodes int
}

// CheckNodes refuses a cluster-size sweep on a target kbench does not
// start (an InputError on Kind).
func (n *NodeSweep) CheckNodes() error {
	if k := n.Spec.TargetKind(); k != results.KindLocal && k != results.KindEmbedded {
		return badInput("Kind", fmt.Errorf("%s: kbench cannot change an %s cluster's size; vary %s on a local or embedded target, or tag each external run with a hardware profile giving its broker count", k, k, results.NodesParam))
	}
	return nil
}

// RunPoint returns a sweep.Config.RunPoint measuring each point on a
// cluster of its size (see Session.SweepPoint for build and errors). A
// cluster that does not start ends the sweep (sweep.ErrStop).
func (n *NodeSweep) RunPoint(build func(p results.SweepPoint) (Point, error)) func(ctx context.Context, p results.SweepPoint) (*results.Run, error) {
	return func(ctx context.Context, sp results.SweepPoint) (*results.Run, error) {
		nodes := sp.Nodes()
		if n.sess == nil || nodes != n.nodes {
			n.Close()
			spec := n.Spec
			spec.Nodes, spec.NodesGiven = nodes, true
			if spec.TargetKind() == results.KindLocal {
				spec.Dir = filepath.Join(n.Dir, "clusters", "state")
			}
			s, err := Connect(ctx, spec, n.BrokerProps, n.Driver, n.Log)
			if err != nil {
				return nil, fmt.Errorf("%w: a cluster of %d node(s): %w", sweep.ErrStop, nodes, err)
			}
			n.sess, n.nodes = s, nodes
		}
		return n.sess.SweepPoint(build)(ctx, sp)
	}
}

// Close closes the open cluster, if any, stopping its brokers.
func (n *NodeSweep) Close() {
	if n.sess != nil {
		n.sess.Close()
		n.sess = nil
	}
}
