// Package cluster holds what a run asks of its target (Target and the
// optional Faulter, LogCopier, ...), the fault types, and two targets:
// embedded (kfake in process, for tests and demos) and external (a user's
// cluster, with faults run through the user's own commands). The local
// target, a real Apache Kafka KRaft cluster of broker processes that kbench
// starts, fails and stops, is package cluster/local; package
// cluster/targets opens any of them from a Spec.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/telemetry"
)

// Target is a Kafka cluster a run produces to and consumes from.
type Target interface {
	// Kind is embedded, local or external.
	Kind() results.ClusterKind
	// Bootstrap lists the addresses clients connect to.
	Bootstrap() []string
	// Describe records the cluster in a result: version, nodes, broker
	// properties.
	Describe() results.Cluster
	// Close stops whatever the target started for this run, and removes
	// a directory it made for it; a target that started nothing (an
	// already running local cluster, an external one) leaves it running.
	// Safe to call twice.
	Close() error
}

// Action is what a fault does to a broker.
type Action string

// Fault actions.
const (
	ActionKill       Action = "kill"        // SIGKILL, then start again after the duration
	ActionStop       Action = "stop"        // SIGTERM, then start again after the duration
	ActionPause      Action = "pause"       // SIGSTOP for the duration, then SIGCONT
	ActionLeaderMove Action = "leader-move" // move partition leadership away through the admin API
	ActionExec       Action = "exec"        // run the user's command

	// Network faults act on the broker's links through a proxied local
	// cluster's proxies (see Link).
	ActionPartition Action = "partition" // cut replication and controller links, both ways; clients still reach it
	ActionIsolate   Action = "isolate"   // cut every link, clients' too
	ActionLatency   Action = "latency"   // delay the links (Fault.Delay, Fault.Jitter)
	ActionBandwidth Action = "bandwidth" // cap the links' rate (Fault.RateKBps)
	ActionReset     Action = "reset"     // drop the links' connections every Fault.Every

	// ActionRollingRestart restarts every broker in turn with a controlled
	// shutdown, waiting for full in-sync replicas before the next: the
	// upgrade path.
	ActionRollingRestart Action = "rolling-restart"
)

// Actions lists every fault action.
func Actions() []Action {
	return []Action{ActionKill, ActionStop, ActionPause, ActionLeaderMove, ActionExec,
		ActionPartition, ActionIsolate, ActionLatency, ActionBandwidth, ActionReset, ActionRollingRestart}
}

// NeedsProxies reports whether a is a network fault, which only a local
// cluster whose links pass through kbench's proxies can carry out.
func (a Action) NeedsProxies() bool {
	switch a {
	case ActionPartition, ActionIsolate, ActionLatency, ActionBandwidth, ActionReset:
		return true
	}
	return false
}

// Link is one kind of a broker's network links.
type Link string

// Link kinds.
const (
	LinkClient      Link = "client"      // clients to the broker
	LinkReplication Link = "replication" // the broker to and from the other brokers
	LinkController  Link = "controller"  // the node to and from the other controllers
)

// Links lists every link kind.
func Links() []Link { return []Link{LinkClient, LinkReplication, LinkController} }

// Fault is one fault to inject into one broker.
type Fault struct {
	Action Action
	Broker int32
	// Command is exec's command and its arguments.
	Command []string
	// UndoCommand, for exec, is run by the undo; it may be empty.
	UndoCommand []string

	// Links are the links latency, bandwidth and reset act on; none
	// means all. Partition and isolate choose their own.
	Links []Link
	// Delay is latency's extra time on each round trip over the links:
	// it is added to the bytes the broker receives, as a delay on its
	// ingress would be, give or take Jitter.
	Delay, Jitter time.Duration
	// RateKBps is bandwidth's cap, in KB (1000 bytes) per second, on each
	// connection in each direction.
	RateKBps int64
	// Every is how often reset drops the connections.
	Every time.Duration
	// Pause is rolling-restart's wait after each broker is back in sync.
	Pause time.Duration
	// Topics are the topics whose partitions rolling-restart waits to
	// see fully in sync before it restarts the next broker.
	Topics []string
}

// Undo reverses an injected fault (restart, resume). It is called once.
type Undo func(ctx context.Context) error

// BrokerAll is Fault.Broker for a fault on every broker
// (rolling-restart).
const BrokerAll int32 = -1

// Faulter is a target that can fail its brokers. kbench finds it by type
// assertion on a Target.
type Faulter interface {
	// Supports returns nil if the target can perform action, else an error
	// saying why not and what to use instead.
	Supports(action Action) error
	// BrokerIDs lists the ids of the brokers faults may target.
	BrokerIDs() []int32
	// Inject performs f and returns how to undo it (nil when there is
	// nothing to undo). It returns the undo even when it also returns an
	// error, whenever the fault may have acted (a SIGKILL sent whose
	// process did not exit in time), so no broker is left down. Leader
	// moves are done through the admin API (drivers.LeaderMover) and
	// never reach Inject.
	Inject(ctx context.Context, f Fault) (Undo, error)
}

// BrokerLearner is a target that learns its brokers from the cluster's
// metadata (an external cluster), so faults can name them.
type BrokerLearner interface {
	LearnBrokers(brokers []drivers.Broker)
}

// LogCopier is a target that can copy its brokers' logs to dst (a local
// cluster), to keep them beside a result.
type LogCopier interface {
	CopyLogs(dst string) error
}

// ClientConfigurer is a target whose clients need properties of its own:
// a secured local cluster's TLS and SASL settings.
type ClientConfigurer interface {
	// ClientProps returns the properties, under Kafka's names; nil when
	// clients need none.
	ClientProps() map[string]string
}

// MetricsSource is a target that can read what its brokers spend (a
// local cluster: each broker's JMX exporter agent and /proc). A run
// samples it once per interval, off the per-message path.
type MetricsSource interface {
	telemetry.Source
}

// ErrLeaderMove is Inject's answer to a leader move.
var ErrLeaderMove = errors.New("leader moves go through the admin API (drivers.LeaderMover), not Inject")

// NeedsProxiesError is a target's answer to network fault action when it
// has no proxies.
func NeedsProxiesError(action Action) error {
	return fmt.Errorf("%s is a network fault: it needs a local cluster whose links pass through kbench's proxies, started proxied by this kbench for the run", action)
}
