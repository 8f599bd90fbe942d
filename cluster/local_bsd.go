//go:build unix && !linux

package cluster

import "syscall"

// setPdeathsig does nothing: only Linux can kill a child when its parent
// dies. Close and Down still stop the brokers, and StopLeftover cleans up
// after a crash.
func setPdeathsig(*syscall.SysProcAttr) {}

// isNodeProcess reports whether pid is alive; without /proc it cannot check
// the process is really the broker.
func isNodeProcess(pid int, _ string) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

func isStopped(int) bool { return false }

const canSeeStopped = false
