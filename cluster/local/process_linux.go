package local

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// setPdeathsig makes the kernel SIGKILL a broker when kbench dies, so a
// crashed run leaves no broker behind. The signal fires when the OS thread
// that forked the child exits; the Go runtime does not retire threads of
// unlocked goroutines, so in practice that is when the process exits.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// isNodeProcess reports whether pid is alive and is the broker started with
// the properties file propsPath, so a pid the kernel has since reused for
// another process is not mistaken for a broker. A zombie has an empty
// command line, so it counts as dead.
func isNodeProcess(pid int, propsPath string) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	for arg := range bytes.SplitSeq(b, []byte{0}) {
		if string(arg) == propsPath {
			return true
		}
	}
	return false
}

// isStopped reports whether pid is stopped by SIGSTOP.
func isStopped(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses, which may itself
	// hold spaces or parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	return b[i+2] == 'T' || b[i+2] == 't'
}

// canSeeStopped: isStopped works here.
const canSeeStopped = true
