//go:build unix && !linux

package local

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// setPdeathsig does nothing: only Linux can kill a child when its parent
// dies. Close and Down still stop the brokers, and StopLeftover cleans up
// after a crash.
func setPdeathsig(*syscall.SysProcAttr) {}

// isNodeProcess reports whether pid is alive and is the broker started
// with props: without /proc, ps shows its command line, so a pid reused
// after a reboot is not taken for the broker.
func isNodeProcess(pid int, props string) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	out, err := exec.Command("ps", "-o", "command=", "-p", strconv.Itoa(pid)).Output()
	return err == nil && strings.Contains(string(out), props)
}

func isStopped(int) bool { return false }

const canSeeStopped = false
