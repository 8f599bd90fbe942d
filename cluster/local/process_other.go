//go:build !unix

package local

import (
	"errors"
	"syscall"
)

var errLocalUnsupported = errors.New("the local target runs brokers on Linux or macOS only; use the external target")

func nodeProcAttr(bool) *syscall.SysProcAttr { return nil }
func signalPID(int, sig) error               { return errLocalUnsupported }
func isNodeProcess(int, string) bool         { return false }
func isStopped(int) bool                     { return false }

const canSeeStopped = false

// localSupported refuses the local target where kbench cannot manage
// processes, before anything is fetched or started.
func localSupported() error { return errLocalUnsupported }
