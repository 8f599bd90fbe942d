package local

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kbench/kbench/cluster"
)

// Supports reports whether the local target can perform action: every
// action is, the network faults only on a cluster this process started
// proxied.
func (l *Cluster) Supports(action cluster.Action) error {
	if action.NeedsProxies() && l.net == nil {
		return cluster.NeedsProxiesError(action)
	}
	if !slices.Contains(cluster.Actions(), action) {
		return fmt.Errorf("the local target cannot %q: it supports %v", action, cluster.Actions())
	}
	return nil
}

// Inject performs f on its broker:
//   - kill: SIGKILL; undo starts the broker again with its id and data.
//   - stop: SIGTERM and wait for a clean exit; undo starts it again.
//   - pause: SIGSTOP; undo sends SIGCONT.
//   - partition, isolate, latency, bandwidth, reset: through the proxies
//     (see localNet.inject); undo takes the toxics away.
//   - rolling-restart: see rollingRestart.
//   - exec: runs the command, with KBENCH_BROKER_ID and KBENCH_BROKER_ADDR
//     set, and waits for it; undo runs the undo command, or does nothing.
//
// An undo that restarts a broker returns once it listens; WaitInSync waits
// for it to catch up.
func (l *Cluster) Inject(ctx context.Context, f cluster.Fault) (cluster.Undo, error) {
	if err := l.Supports(f.Action); err != nil {
		return nil, err
	}
	if f.Action == cluster.ActionLeaderMove {
		return nil, cluster.ErrLeaderMove
	}
	if f.Action == cluster.ActionRollingRestart {
		return l.rollingRestart(ctx, f)
	}
	id := f.Broker
	port, err := l.clientPort(id)
	if err != nil {
		return nil, err
	}
	if f.Action.NeedsProxies() {
		return l.net.inject(f)
	}
	restart := func(ctx context.Context) error { return l.Start(ctx, id) }
	switch f.Action {
	case cluster.ActionKill, cluster.ActionStop:
		stop := l.Kill
		if f.Action == cluster.ActionStop {
			stop = l.Stop
		}
		err := stop(ctx, id)
		if errors.Is(err, errNotRunning) {
			return nil, err
		}
		return restart, err // the signal went out: the broker may be down
	case cluster.ActionPause:
		if err := l.Pause(id); err != nil {
			return nil, err
		}
		return func(context.Context) error { return l.Resume(id) }, nil
	}
	undo, err := cluster.ExecFault(ctx, f, addr(port))
	if undo == nil && err == nil {
		// As before: a local exec's recovery is recorded at the end of
		// its duration even without an undo command.
		undo = func(context.Context) error { return nil }
	}
	return undo, err
}
