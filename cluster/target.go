// Package cluster holds the targets a run is pointed at: embedded (kfake in
// process, for tests and demos), local (a real Apache Kafka KRaft cluster of
// broker processes that kbench starts, fails and stops) and external (a
// user's cluster, with faults run through the user's own commands). Open
// picks and opens one from a Spec.
package cluster

import (
	"context"
	"errors"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
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
)

// Actions lists every fault action.
func Actions() []Action {
	return []Action{ActionKill, ActionStop, ActionPause, ActionLeaderMove, ActionExec}
}

// Fault is one fault to inject into one broker.
type Fault struct {
	Action Action
	Broker int32
	// Command is exec's command and its arguments.
	Command []string
	// UndoCommand, for exec, is run by the undo; it may be empty.
	UndoCommand []string
}

// Undo reverses an injected fault (restart, resume). It is called once.
type Undo func(ctx context.Context) error

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

// errLeaderMove is Inject's answer to a leader move.
var errLeaderMove = errors.New("leader moves go through the admin API (drivers.LeaderMover), not Inject")
