//go:build unix

package local

import (
	"errors"
	"syscall"
)

// nodeProcAttr puts a broker in its own process group, so a Ctrl-C at the
// terminal reaches kbench (which stops brokers in order) and not the
// brokers directly, and a detached cluster outlives the CLI.
func nodeProcAttr(dieWithParent bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if dieWithParent {
		setPdeathsig(a)
	}
	return a
}

func signalPID(pid int, s sig) error {
	var ss syscall.Signal
	switch s {
	case sigKill:
		ss = syscall.SIGKILL
	case sigTerm:
		ss = syscall.SIGTERM
	case sigStop:
		ss = syscall.SIGSTOP
	case sigCont:
		ss = syscall.SIGCONT
	}
	err := syscall.Kill(pid, ss)
	if errors.Is(err, syscall.ESRCH) {
		return nil // already gone: what the caller wanted, or moot
	}
	return err
}

// localSupported: unix systems can run and signal broker processes.
func localSupported() error { return nil }
