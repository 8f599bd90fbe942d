// Package clustertest starts a local Apache Kafka cluster of a test
// package's own, for tests that need one unlike the shared plaintext test
// cluster (a secured listener, for instance).
package clustertest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers/all"
)

// Main runs m's tests with a cluster started from cfg (its Dir, Log, Admin
// and ReadyTimeout are filled in here) when KBENCH_LOCAL_DIR says Apache
// Kafka can run on this machine; otherwise the tests run with no cluster,
// and should skip. set is given the cluster before the tests run. name
// says which cluster in messages. Main returns the exit code; the
// cluster's logs are kept when a test failed.
func Main(m *testing.M, name string, cfg local.Config, set func(*local.Cluster)) int {
	if os.Getenv("KBENCH_LOCAL_DIR") == "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "kbench-"+name+"-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg.Dir, cfg.Log, cfg.Admin = dir, os.Stderr, all.ProbeAdmin
	// A shared CI machine can be slow to start three JVMs.
	cfg.ReadyTimeout = 4 * time.Minute
	l, err := local.Start(context.Background(), cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the %s test cluster: %v\n", name, err)
		return 1
	}
	set(l)
	code := m.Run()
	if err := l.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the %s test cluster: %v\n", name, err)
		code = 1
	}
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "%s test cluster logs kept in %s\n", name, dir)
	}
	return code
}
