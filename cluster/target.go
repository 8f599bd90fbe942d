// Package cluster holds the targets a run is pointed at: embedded (kfake in
// process, for tests and demos), local (a real Apache Kafka KRaft cluster of
// broker processes that kbench starts, fails and stops) and external (a
// user's cluster, with faults run through the user's own commands).
package cluster

import (
	"context"

	"github.com/kbench/kbench/results"
)

// Target is a Kafka cluster a run produces to and consumes from.
type Target interface {
	// Kind is "embedded", "local" or "external".
	Kind() string
	// Bootstrap lists the addresses clients connect to.
	Bootstrap() []string
	// Describe records the cluster in a result: version, nodes, broker
	// properties.
	Describe() results.Cluster
	// Close stops whatever the target started for this run; a target
	// that started nothing (an already running local cluster, an
	// external one) leaves it running. Safe to call twice.
	Close() error
}

// Fault actions.
const (
	ActionKill       = "kill"        // SIGKILL, then start again after the duration
	ActionStop       = "stop"        // SIGTERM, then start again after the duration
	ActionPause      = "pause"       // SIGSTOP for the duration, then SIGCONT
	ActionLeaderMove = "leader-move" // move partition leadership away through the admin API
	ActionExec       = "exec"        // run the user's command
)

// Undo reverses an injected fault (restart, resume). It is called once.
type Undo func(ctx context.Context) error

// Faulter is a target that can fail its brokers. kbench finds it by type
// assertion on a Target.
type Faulter interface {
	// Supports returns nil if the target can perform action, else an error
	// saying why not and what to use instead.
	Supports(action string) error
	// BrokerIDs lists the ids of the brokers faults may target.
	BrokerIDs() []int32
	// Inject performs action on broker id and returns how to undo it.
	// Leader moves are done by kbench through the admin API and never
	// reach Inject; exec carries its command in args.
	Inject(ctx context.Context, action string, id int32, args []string) (Undo, error)
}
