package cluster

import (
	"context"
	"fmt"
)

// Supports reports whether the local target can perform action: kill,
// stop, pause, leader-move and exec all are.
func (l *Local) Supports(action string) error {
	switch action {
	case ActionKill, ActionStop, ActionPause, ActionLeaderMove, ActionExec:
		return nil
	}
	return fmt.Errorf("the local target cannot %q: it supports %s, %s, %s, %s and %s",
		action, ActionKill, ActionStop, ActionPause, ActionLeaderMove, ActionExec)
}

// Inject performs action on broker id:
//   - kill: SIGKILL; undo starts the broker again with its id and data.
//   - stop: SIGTERM and wait for a clean exit; undo starts it again.
//   - pause: SIGSTOP; undo sends SIGCONT.
//   - exec: runs args[0] with args[1:], with KBENCH_BROKER_ID and
//     KBENCH_BROKER_ADDR set, and waits for it; undo does nothing.
//
// An undo that restarts a broker returns once it listens; WaitInSync waits
// for it to catch up.
func (l *Local) Inject(ctx context.Context, action string, id int32, args []string) (Undo, error) {
	restart := func(ctx context.Context) error { return l.Start(ctx, id) }
	switch action {
	case ActionKill:
		return restart, l.Kill(ctx, id)
	case ActionStop:
		return restart, l.Stop(ctx, id)
	case ActionPause:
		if err := l.Pause(id); err != nil {
			return nil, err
		}
		return func(context.Context) error { return l.Resume(id) }, nil
	case ActionExec:
		return func(context.Context) error { return nil }, l.exec(ctx, id, args)
	case ActionLeaderMove:
		return nil, errLeaderMove
	}
	return nil, l.Supports(action)
}

// exec runs the user's fault command for broker id.
func (l *Local) exec(ctx context.Context, id int32, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("exec fault on broker %d: no command given", id)
	}
	port, err := l.clientPort(id)
	if err != nil {
		return err
	}
	return RunCommand(ctx, args, id, addr(port))
}
