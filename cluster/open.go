package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// Spec says which target to open and how to shape one kbench starts.
type Spec struct {
	// Kind is the target's kind; "" means local, or external when
	// Bootstrap is set.
	Kind results.ClusterKind
	// Bootstrap is an external cluster's addresses, host:port each.
	Bootstrap []string
	// Dir is the state directory of a local cluster ("" is
	// DefaultLocalDir): a cluster running there is used as it is.
	Dir string
	// Nodes is the number of brokers of a cluster started for the run
	// (0 is the kind's default).
	Nodes int
	// HeapMB is a local broker's Java heap (0 is the default).
	HeapMB int
	// Network proxied asks for a local cluster whose links pass through
	// kbench's proxies, as network faults need: a fresh one is started
	// for the run even when one is running in Dir. "" is direct.
	Network results.Network
	// BrokerProps are broker properties for a local cluster started for
	// the run.
	BrokerProps map[string]string
	// Security secures a local cluster's client listener; a running
	// cluster in Dir is used only if it is secured alike.
	Security Security
	// Admin makes the admin clients a local cluster checks its brokers
	// with.
	Admin drivers.AdminFactory
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// ErrBadSpec is wrapped by Open's errors about a Spec that cannot be
// opened as given.
var ErrBadSpec = errors.New("bad cluster spec")

// SpecError is a bad Spec field. It wraps ErrBadSpec.
type SpecError struct {
	Field string // the Spec field, e.g. "Bootstrap"
	Err   error  // what is wrong with its value
}

func (e *SpecError) Error() string   { return "cluster spec: " + e.Field + " " + e.Err.Error() }
func (e *SpecError) Unwrap() []error { return []error{ErrBadSpec, e.Err} }

func badSpec(field, format string, args ...any) error {
	return &SpecError{Field: field, Err: fmt.Errorf(format, args...)}
}

// TargetKind is the kind of target spec opens: Kind, or when it is empty,
// external if Bootstrap is set and local otherwise.
func (s Spec) TargetKind() results.ClusterKind {
	switch {
	case s.Kind != "":
		return s.Kind
	case len(s.Bootstrap) > 0:
		return results.KindExternal
	}
	return results.KindLocal
}

// Open opens the target spec describes. For local, a cluster already
// running in Dir with every node up is used as it is; otherwise a fresh
// one is started in a new directory beside Dir, which Close stops and
// removes (keeping the brokers' logs unless CopyLogs copied them).
func Open(ctx context.Context, spec Spec) (Target, error) {
	kind := spec.TargetKind()
	if len(spec.Bootstrap) > 0 && kind != results.KindExternal {
		return nil, badSpec("Bootstrap", "is for an external cluster; drop it, or ask for an external cluster")
	}
	switch spec.Network {
	case "", results.NetworkDirect, results.NetworkProxied:
	default:
		return nil, badSpec("Network", "%q: use %s or %s", spec.Network, results.NetworkDirect, results.NetworkProxied)
	}
	if spec.Network == results.NetworkProxied && kind != results.KindLocal {
		return nil, badSpec("Network", "%s is for a local cluster kbench starts, not an %s one", spec.Network, kind)
	}
	if err := spec.Security.validate(); err != nil {
		return nil, &SpecError{Field: "Security", Err: err}
	}
	if spec.Security != SecurityNone && kind != results.KindLocal {
		return nil, badSpec("Security", "is for a local cluster kbench starts; an external cluster's security comes with its client properties")
	}
	if spec.Security != SecurityNone && spec.Network == results.NetworkProxied {
		// The proxied replication listeners copy the inter-broker
		// protocol but not a secured listener's own settings.
		return nil, badSpec("Network", "%s is not available on a secured local cluster yet; use a plaintext one for network faults", spec.Network)
	}
	switch kind {
	case results.KindEmbedded:
		return StartEmbedded(max(spec.Nodes, 1))
	case results.KindExternal:
		return NewExternal(spec.Bootstrap, nil)
	case results.KindLocal:
		return openLocal(ctx, spec)
	}
	return nil, badSpec("Kind", "%q: use %s, %s or %s", kind, results.KindEmbedded, results.KindLocal, results.KindExternal)
}

// openLocal uses the cluster running in spec.Dir, or starts one for the
// run beside it.
func openLocal(ctx context.Context, spec Spec) (Target, error) {
	log := spec.Log
	if log == nil {
		log = io.Discard
	}
	dir := spec.Dir
	if dir == "" {
		d, err := DefaultLocalDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	if l, err := OpenLocal(dir, spec.Admin); err == nil {
		if spec.Network == results.NetworkProxied {
			fmt.Fprintf(log, "not using the running local cluster in %s: its links do not pass through proxies\n", dir)
		} else if (spec.Security == SecurityNone || spec.Security == l.security) && AllUp(l.Status(ctx)) {
			if len(spec.BrokerProps) > 0 {
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
		KafkaVersion, cmp.Or(spec.Nodes, DefaultLocalNodes), runDir, cmp.Or(spec.Network, results.NetworkDirect))
	l, err := StartLocal(ctx, LocalConfig{
		Dir: runDir, Nodes: spec.Nodes, HeapMB: spec.HeapMB, BrokerProps: spec.BrokerProps, Log: log, Admin: spec.Admin,
		Network:  spec.Network,
		Security: spec.Security,
	})
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
		if l, err := OpenLocal(d, nil); err == nil {
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
