package cluster

import (
	"context"
	"errors"
	"fmt"
)

// Supports reports whether the local target can perform action: kill,
// stop, pause, leader-move and exec all are.
func (l *Local) Supports(action Action) error {
	switch action {
	case ActionKill, ActionStop, ActionPause, ActionLeaderMove, ActionExec:
		return nil
	}
	return fmt.Errorf("the local target cannot %q: it supports %s, %s, %s, %s and %s",
		action, ActionKill, ActionStop, ActionPause, ActionLeaderMove, ActionExec)
}

// Inject performs f on its broker:
//   - kill: SIGKILL; undo starts the broker again with its id and data.
//   - stop: SIGTERM and wait for a clean exit; undo starts it again.
//   - pause: SIGSTOP; undo sends SIGCONT.
//   - exec: runs the command, with KBENCH_BROKER_ID and KBENCH_BROKER_ADDR
//     set, and waits for it; undo runs the undo command, or does nothing.
//
// An undo that restarts a broker returns once it listens; WaitInSync waits
// for it to catch up.
func (l *Local) Inject(ctx context.Context, f Fault) (Undo, error) {
	if err := l.Supports(f.Action); err != nil {
		return nil, err
	}
	if f.Action == ActionLeaderMove {
		return nil, errLeaderMove
	}
	id := f.Broker
	port, err := l.clientPort(id)
	if err != nil {
		return nil, err
	}
	restart := func(ctx context.Context) error { return l.Start(ctx, id) }
	switch f.Action {
	case ActionKill, ActionStop:
		stop := l.Kill
		if f.Action == ActionStop {
			stop = l.Stop
		}
		err := stop(ctx, id)
		if errors.Is(err, errNotRunning) {
			return nil, err
		}
		return restart, err // the signal went out: the broker may be down
	case ActionPause:
		if err := l.Pause(id); err != nil {
			return nil, err
		}
		return func(context.Context) error { return l.Resume(id) }, nil
	}
	undo, err := execFault(ctx, f, addr(port))
	if undo == nil && err == nil {
		// As before: a local exec's recovery is recorded at the end of
		// its duration even without an undo command.
		undo = func(context.Context) error { return nil }
	}
	return undo, err
}
