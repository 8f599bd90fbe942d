package main

import (
	"strings"
	"testing"
)

func TestCLIHelpAndVersion(t *testing.T) {
	if code, stdout, _ := kbench(t, "--version"); code != exitOK || !strings.HasPrefix(stdout, "kbench ") {
		t.Errorf("--version: exit %d, stdout %q", code, stdout)
	}
	// Help asked for goes to stdout, so that it can be paged.
	code, stdout, _ := kbench(t, "help", "run")
	if code != exitOK || !strings.Contains(stdout, "Usage: kbench run") {
		t.Errorf("help run: exit %d, stdout %q", code, stdout)
	}
	// Flags whose default is the workload's show no sentinel.
	if strings.Contains(stdout, "(default -1)") {
		t.Errorf("help run shows a sentinel default:\n%s", stdout)
	}
	for _, args := range [][]string{{"run", "--help"}, {"merge", "-h"}, {"--help"}, {"help"}} {
		if code, stdout, _ := kbench(t, args...); code != exitOK || !strings.Contains(stdout, "Usage: kbench") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
	}
	// Usage after a usage error stays on stderr.
	for _, args := range [][]string{{}, {"nosuch"}, {"cluster"}} {
		if code, stdout, stderr := kbench(t, args...); code != exitUsage || stdout != "" || !strings.Contains(stderr, "Usage: kbench") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	if code, _, _ := kbench(t, "help", "nosuch"); code != exitUsage {
		t.Errorf("help nosuch: exit %d, want %d", code, exitUsage)
	}
}

func TestClusterUsageListsEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"cluster"}, {"cluster", "frob"}} {
		code, _, stderr := kbench(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "up, status, bootstrap, down") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
	// The reason is said once.
	_, _, stderr := kbench(t, "cluster", "status", "--dir", t.TempDir())
	if n := strings.Count(stderr, "no local cluster"); n != 1 {
		t.Errorf("cluster status said 'no local cluster' %d times:\n%s", n, stderr)
	}
}

// Comparing different workloads warns first; --strict refuses.
func TestCompareDifferentWorkloads(t *testing.T) {
	args := append([]string{"compare"}, fixture("base-1", "sweep-franz-10k")...)
	code, stdout, _ := kbench(t, args...)
	if code != exitOK || !strings.HasPrefix(stdout, "WARNING: NOT LIKE FOR LIKE: the sides differ in target local vs embedded; profiles durable vs throughput; workload consumers 2 vs 0, rate 0 vs 10000") {
		t.Errorf("exit %d, stdout %q; want %d and a warning first", code, stdout, exitOK)
	}
	code, _, stderr := kbench(t, append(args, "--strict")...)
	if code != exitUsage || !strings.Contains(stderr, "--strict: the sides differ") {
		t.Errorf("--strict: exit %d, stderr %q; want %d", code, stderr, exitUsage)
	}
}
