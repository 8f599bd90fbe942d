//go:build unix

package cluster

import (
	"os/exec"
	"syscall"
)

// groupKill starts cmd in a process group of its own and makes its
// cancellation kill the whole group, so a command's children go with it.
func groupKill(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
