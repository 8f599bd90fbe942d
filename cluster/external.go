package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// External is a cluster kbench did not start, known by its bootstrap
// addresses. Its brokers are failed only through the user's own commands
// (exec: ssh, systemctl, kubectl).
type External struct {
	bootstrap []string
	// addrs maps broker ids to addresses once known, for exec's
	// environment.
	addrs map[int32]string
}

var (
	_ Target        = (*External)(nil)
	_ Faulter       = (*External)(nil)
	_ BrokerLearner = (*External)(nil)
)

// NewExternal checks the bootstrap addresses' form (host:port each) and
// returns the target; a bad address is a *SpecError. brokers maps broker
// ids to addresses, as the cluster's metadata lists them; it may be nil.
func NewExternal(bootstrap []string, brokers map[int32]string) (*External, error) {
	if len(bootstrap) == 0 {
		return nil, badSpec("Bootstrap", "is empty: an external cluster needs host:port[,host:port...]")
	}
	for _, a := range bootstrap {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			return nil, badSpec("Bootstrap", "address %q: want host:port", a)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, badSpec("Bootstrap", "address %q: port must be 1-65535", a)
		}
	}
	return &External{bootstrap: bootstrap, addrs: brokers}, nil
}

// LearnBrokers records the brokers the cluster's metadata lists, so faults
// can target them by id and exec commands get their addresses. It is called
// before a run starts, not while faults run.
func (e *External) LearnBrokers(brokers []drivers.Broker) {
	e.addrs = make(map[int32]string, len(brokers))
	for _, b := range brokers {
		e.addrs[b.ID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
}

// Kind returns results.KindExternal.
func (e *External) Kind() results.ClusterKind { return results.KindExternal }

// Bootstrap returns the addresses given.
func (e *External) Bootstrap() []string { return e.bootstrap }

// Describe records the cluster by address and its brokers as known.
func (e *External) Describe() results.Cluster {
	d := results.Cluster{Kind: results.KindExternal, Bootstrap: e.bootstrap}
	for id, addr := range e.addrs {
		d.Nodes = append(d.Nodes, brokerNode(id, addr))
	}
	return d
}

// Close does nothing: kbench did not start this cluster.
func (e *External) Close() error { return nil }

// Supports: only exec and leader-move; kbench cannot signal processes on
// another machine, so kill, stop and pause must be written as exec commands.
func (e *External) Supports(action Action) error {
	switch action {
	case ActionExec, ActionLeaderMove:
		return nil
	case ActionKill, ActionStop, ActionPause, ActionRollingRestart:
		return fmt.Errorf("an external cluster's brokers can only be failed through exec with your own command (ssh, systemctl, kubectl), not %s", action)
	}
	if action.NeedsProxies() {
		return NeedsProxiesError(action)
	}
	return fmt.Errorf("unknown fault action %q", action)
}

// BrokerIDs lists the brokers known from metadata, sorted.
func (e *External) BrokerIDs() []int32 {
	ids := make([]int32, 0, len(e.addrs))
	for id := range e.addrs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Inject runs exec's command with the broker's id and address in the
// environment; its undo runs the undo command, if any.
func (e *External) Inject(ctx context.Context, f Fault) (Undo, error) {
	if f.Action == ActionLeaderMove {
		return nil, ErrLeaderMove
	}
	if f.Action != ActionExec {
		return nil, e.Supports(f.Action)
	}
	return ExecFault(ctx, f, e.addrs[f.Broker])
}

// ExecFault runs exec fault f against the broker at addr. The undo runs
// f.UndoCommand (nil without one); it is returned, with the error, once
// the command ran, as a failing command may still have acted.
func ExecFault(ctx context.Context, f Fault, addr string) (Undo, error) {
	err := runCommand(ctx, f.Command, f.Broker, addr)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, err
	}
	if len(f.UndoCommand) == 0 {
		return nil, err
	}
	return func(ctx context.Context) error { return runCommand(ctx, f.UndoCommand, f.Broker, addr) }, err
}

// runCommand runs a user's fault command with KBENCH_BROKER_ID and
// KBENCH_BROKER_ADDR set, at most 5 minutes; its output is in the error
// when it fails. The command runs in its own process group, killed whole
// when ctx ends, and a child it leaves in the background (a self-healing
// "sleep 60; undo &") does not hold kbench up past a few seconds.
func runCommand(ctx context.Context, args []string, id int32, addr string) error {
	if len(args) == 0 {
		return fmt.Errorf("exec fault on broker %d: no command given", id)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(),
		"KBENCH_BROKER_ID="+strconv.Itoa(int(id)),
		"KBENCH_BROKER_ADDR="+addr)
	groupKill(cmd)
	cmd.WaitDelay = 3 * time.Second
	out, err := cmd.CombinedOutput()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // it exited; only a background child kept its output open
	}
	if err != nil {
		return fmt.Errorf("exec %s for broker %d: %w: %s", strings.Join(args, " "), id, err, clipOutput(string(out), 500))
	}
	return nil
}

// clipOutput keeps the last n bytes of a command's output.
func clipOutput(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
