package local

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// Defaults of Config.
const (
	DefaultNodes        = 3
	DefaultHeapMB       = 512
	DefaultReadyTimeout = 90 * time.Second
)

// Config describes a local cluster to start.
type Config struct {
	// Dir holds the cluster's state: cluster.json, log4j2.xml and one
	// node-<id> directory per node (server.properties, data/, logs/,
	// kafka.pid). Required; DefaultDir suggests one.
	Dir string
	// Nodes is the number of nodes, each broker and controller
	// (default 3).
	Nodes int
	// HeapMB is each broker's Java heap in MiB (default 512).
	HeapMB int
	// BasePort fixes the ports: node i (0-based) listens for clients on
	// BasePort+i, as controller on BasePort+Nodes+i, and serves its
	// metrics (the JMX exporter agent) on BasePort+2*Nodes+i. 0 picks free
	// ports.
	BasePort int
	// BrokerProps are broker properties (the tuning profile's broker
	// section) laid over kbench's defaults. Per-node and topology
	// properties (node.id, listeners, log.dirs, ...) are kbench's and are
	// refused.
	BrokerProps map[string]string
	// Log receives progress lines (fetching jars, starting nodes); nil
	// discards them.
	Log io.Writer
	// ReadyTimeout bounds the wait for every broker to register (default
	// 90 s).
	ReadyTimeout time.Duration
	// Admin makes the admin clients the cluster's readiness and in-sync
	// checks use. Required.
	Admin drivers.AdminFactory
	// Network proxied passes every client, replication and controller
	// link through proxies in this process, for network faults; the
	// cluster then lives no longer than the process. "" is direct.
	Network results.Network
	// Security secures the client listener (see Security); none leaves
	// it plaintext.
	Security cluster.Security
	// Detached leaves the brokers running when kbench exits, for
	// `kbench cluster up`; Close then leaves the cluster running and Down
	// stops it. When false, the brokers belong to this process: Close
	// stops them, and on Linux the kernel kills them if kbench dies.
	Detached bool
}

// DefaultDir returns the directory `kbench cluster up` keeps its
// cluster in: $XDG_STATE_HOME/kbench/local, else ~/.local/state/kbench/local.
func DefaultDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding a directory for the local cluster: %w; name one explicitly", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "kbench", "local"), nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = DefaultNodes
	}
	if c.HeapMB == 0 {
		c.HeapMB = DefaultHeapMB
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// Validate returns every problem of c at once, each naming its field; zero
// fields count as their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("local cluster: Dir is empty: name a directory for the cluster's state and logs"))
	}
	if c.Admin == nil {
		errs = append(errs, errors.New("local cluster: Admin is nil: give a driver's NewAdmin, to check the brokers with"))
	}
	if c.Nodes < 1 || c.Nodes > 16 {
		errs = append(errs, fmt.Errorf("local cluster: nodes %d: want 1 to 16 (each node is a JVM)", c.Nodes))
	}
	if c.HeapMB < 128 {
		errs = append(errs, fmt.Errorf("local cluster: heap %d MiB: a broker needs at least 128 MiB", c.HeapMB))
	}
	if c.BasePort != 0 && (c.BasePort < 1024 || c.BasePort+3*c.Nodes-1 > 65535) {
		errs = append(errs, fmt.Errorf("local cluster: base port %d: want 0 (free ports) or 1024..%d for %d nodes",
			c.BasePort, 65535-3*c.Nodes+1, c.Nodes))
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("local cluster: ready timeout %v is negative", c.ReadyTimeout))
	}
	switch c.Network {
	case "", results.NetworkDirect:
	case results.NetworkProxied:
		if c.Detached {
			errs = append(errs, errors.New("local cluster: a proxied cluster cannot be detached: its proxies live in the process that starts it"))
		}
	default:
		errs = append(errs, fmt.Errorf("local cluster: network %q: want %s or %s", c.Network, results.NetworkDirect, results.NetworkProxied))
	}
	errs = append(errs, validateBrokerProps(c.BrokerProps)...)
	if err := c.Security.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("local cluster: security %w", err))
	}
	return errors.Join(errs...)
}
