package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/profiles"
)

// targetFlags choose and shape the cluster a run is pointed at.
type targetFlags struct {
	kind      string
	bootstrap string
	dir       string
	nodes     int
	heapMB    int
}

// openTarget returns the run's target. For local, a cluster already
// running in dir (started by 'kbench cluster up') is used as it is;
// otherwise a fresh one is started for this run and stopped by Close.
func openTarget(ctx context.Context, tf targetFlags, brokerProps map[string]string, log io.Writer) (cluster.Target, error) {
	kind := tf.kind
	if kind == "" {
		kind = "local"
		if tf.bootstrap != "" {
			kind = "external"
		}
	}
	if tf.bootstrap != "" && kind != "external" {
		return nil, usagef("--bootstrap is for an external cluster; drop it, or use --cluster external")
	}
	switch kind {
	case "embedded":
		return cluster.StartEmbedded(max(tf.nodes, 1))
	case "external":
		t, err := cluster.NewExternal(splitList(tf.bootstrap), nil)
		if err != nil {
			return nil, usageError{err}
		}
		return t, nil
	case "local":
		dir := tf.dir
		if dir == "" {
			d, err := cluster.DefaultLocalDir()
			if err != nil {
				return nil, err
			}
			dir = d
		}
		if l, err := cluster.OpenLocal(dir); err == nil && allUp(ctx, l) {
			if len(brokerProps) > 0 {
				fmt.Fprintf(log, "using the running local cluster in %s; its broker settings stay as they were started (profile broker settings apply to a fresh cluster)\n", dir)
			} else {
				fmt.Fprintf(log, "using the running local cluster in %s\n", dir)
			}
			return l, nil
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return nil, fmt.Errorf("local cluster directory: %w", err)
		}
		runDir, err := os.MkdirTemp(filepath.Dir(dir), "run-")
		if err != nil {
			return nil, fmt.Errorf("local cluster directory: %w", err)
		}
		fmt.Fprintf(log, "starting a local Apache Kafka %s cluster of %d nodes in %s\n", cluster.KafkaVersion, tf.nodes, runDir)
		l, err := cluster.StartLocal(ctx, cluster.LocalConfig{
			Dir: runDir, Nodes: tf.nodes, HeapMB: tf.heapMB, BrokerProps: brokerProps, Log: log,
		})
		if err != nil {
			removeData(runDir) // the logs the error points to stay
			return nil, err
		}
		return &ownedLocal{Local: l, dir: runDir, log: log}, nil
	}
	return nil, usagef("--cluster %q: use embedded, local or external", kind)
}

// connect opens the target and its admin client; release closes both (the
// target last, as it may stop brokers). bench.Run checks the cluster
// answers and can carry out the fault schedule.
func connect(ctx context.Context, tf targetFlags, brokerProps map[string]string, log io.Writer) (tgt cluster.Target, admin drivers.Admin, release func(), err error) {
	tgt, err = openTarget(ctx, tf, brokerProps, log)
	if err != nil {
		return nil, nil, nil, err
	}
	admin, err = franz.NewAdmin(tgt.Bootstrap())
	if err != nil {
		tgt.Close()
		return nil, nil, nil, fmt.Errorf("admin client for %v: %w", tgt.Bootstrap(), err)
	}
	release = func() { admin.Close(); tgt.Close() }
	return tgt, admin, release, nil
}

// ownedLocal is a local cluster started for one run: Close stops it and
// removes its directory, or, if its logs were not copied beside a result
// (the run failed before), only its data, keeping the logs.
type ownedLocal struct {
	*cluster.Local
	dir    string
	log    io.Writer
	copied bool
}

// CopyLogs copies the brokers' logs and remembers that it did.
func (o *ownedLocal) CopyLogs(dst string) error {
	err := o.Local.CopyLogs(dst)
	o.copied = err == nil
	return err
}

func (o *ownedLocal) Close() error {
	err := o.Local.Close()
	if o.copied {
		if rmErr := os.RemoveAll(o.dir); err == nil {
			err = rmErr
		}
		return err
	}
	removeData(o.dir)
	fmt.Fprintf(o.log, "the brokers' logs are kept in %s\n", o.dir)
	return err
}

// removeData deletes the brokers' data of a cluster directory, keeping
// their logs.
func removeData(dir string) {
	data, _ := filepath.Glob(filepath.Join(dir, "node-*", "data"))
	for _, d := range data {
		os.RemoveAll(d)
	}
}

func allUp(ctx context.Context, l *cluster.Local) bool {
	st := l.Status(ctx)
	for _, n := range st {
		if !n.Up {
			return false
		}
	}
	return len(st) > 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// applyProfiles lays the tuning profiles over the workload: a profile's
// settings win over the workload file's, and --set (applied after) wins
// over both.
func applyProfiles(w *bench.Workload, names []string) (*profiles.Tuning, error) {
	t, err := loadTuning(names)
	if err != nil {
		return nil, err
	}
	w.Producer = overlay(w.Producer, t.Producer)
	w.Consumer = overlay(w.Consumer, t.Consumer)
	w.TopicConfig = overlay(w.TopicConfig, t.Topic)
	if t.ReplicationFactor != 0 {
		w.ReplicationFactor = t.ReplicationFactor
	}
	if t.Partitions != 0 {
		w.PartitionsPerTopic = t.Partitions
	}
	return t, nil
}

// loadTuning loads and composes the named tuning profiles.
func loadTuning(names []string) (*profiles.Tuning, error) {
	if len(names) == 0 {
		return &profiles.Tuning{}, nil
	}
	var ts []*profiles.Tuning
	for _, n := range names {
		t, err := profiles.LoadTuning(n)
		if err != nil {
			return nil, usageError{fmt.Errorf("--profile %s: %w", n, err)}
		}
		ts = append(ts, t)
	}
	return profiles.Compose(ts...), nil
}

func overlay(base, top map[string]string) map[string]string {
	if len(top) == 0 {
		return base
	}
	out := make(map[string]string, len(base)+len(top))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range top {
		out[k] = v
	}
	return out
}
