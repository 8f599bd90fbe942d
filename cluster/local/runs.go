package local

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
)

// OpenOrStart returns the cluster running in cfg.Dir ("" is DefaultDir)
// when it fits the run (every node up, secured as cfg asks, and cfg asks
// for no proxies); otherwise it starts one with cfg in a new directory
// beside cfg.Dir, which Close stops and removes (keeping the brokers' logs
// unless CopyLogs copied them).
func OpenOrStart(ctx context.Context, cfg Config) (*Cluster, error) {
	log := cfg.Log
	if log == nil {
		log = io.Discard
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if l, err := Open(dir, cfg.Admin); err == nil {
		if cfg.Network == results.NetworkProxied {
			fmt.Fprintf(log, "not using the running local cluster in %s: its links do not pass through proxies\n", dir)
		} else if (cfg.Security == cluster.SecurityNone || cfg.Security == l.security) && AllUp(l.Status(ctx)) {
			if len(cfg.BrokerProps) > 0 {
				fmt.Fprintf(log, "using the running local cluster in %s; its broker settings stay as they were started (profile broker settings apply to a fresh cluster)\n", dir)
			} else {
				fmt.Fprintf(log, "using the running local cluster in %s\n", dir)
			}
			return l, nil
		}
		l.Close()
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("local cluster directory: %w", err)
	}
	runDir, err := os.MkdirTemp(filepath.Dir(dir), runDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("local cluster directory: %w", err)
	}
	fmt.Fprintf(log, "starting a local Apache Kafka %s cluster of %d nodes in %s (network %s)\n",
		KafkaVersion, cmp.Or(cfg.Nodes, DefaultNodes), runDir, cmp.Or(cfg.Network, results.NetworkDirect))
	cfg.Dir, cfg.Log = runDir, log
	l, err := Start(ctx, cfg)
	if err != nil {
		removeData(runDir) // the logs the error points to stay
		return nil, err
	}
	l.runDir = true
	return l, nil
}

// runDirPrefix starts the names of the directories of clusters started
// for one run, beside the state directory.
const runDirPrefix = "run-"

// AllUp reports whether every node in st is up.
func AllUp(st []NodeStatus) bool {
	for _, n := range st {
		if !n.Up {
			return false
		}
	}
	return len(st) > 0
}

// removeData deletes the brokers' data of a cluster directory, keeping
// their logs.
func removeData(dir string) {
	data, _ := filepath.Glob(filepath.Join(dir, "node-*", "data"))
	for _, d := range data {
		os.RemoveAll(d)
	}
}

// CleanRuns removes the data of clusters that runs started for themselves
// beside dir and that a killed kbench left behind; their logs stay. On
// Linux the kernel already killed those brokers with kbench; a directory
// with a broker still up belongs to a run in progress and is left alone.
// It returns the directories it cleaned.
func CleanRuns(ctx context.Context, dir string) []string {
	runs, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), runDirPrefix+"*"))
	var cleaned []string
	for _, d := range runs {
		if l, err := Open(d, nil); err == nil {
			live := false
			for _, n := range l.Status(ctx) {
				live = live || n.Up
			}
			l.Close()
			if live {
				continue
			}
		}
		data, _ := filepath.Glob(filepath.Join(d, "node-*", "data"))
		if len(data) == 0 {
			continue
		}
		removeData(d)
		cleaned = append(cleaned, d)
	}
	return cleaned
}
