// Package local is the local target: a real Apache Kafka KRaft cluster of
// broker processes on 127.0.0.1 that kbench fetches, configures, starts,
// fails and stops (see Start, Open and OpenOrStart).
package local

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

//go:embed kafka/log4j2.xml
var log4jConfig []byte

// jmxRules is the JMX exporter's config: the Kafka MBeans kbench records,
// under the names telemetry's table reads.
//
//go:embed kafka/jmx-exporter.yaml
var jmxRules []byte

// Cluster is a real Apache Kafka KRaft cluster of broker processes on
// 127.0.0.1. It implements cluster.Target and cluster.Faulter. Its methods
// are safe to call from several goroutines.
type Cluster struct {
	dir          string
	log          io.Writer
	readyTimeout time.Duration
	// owned: this process started the cluster (Start), rather than
	// attaching to it (Open).
	owned bool
	// runDir: OpenOrStart made dir for this cluster alone; Close removes it,
	// or only the brokers' data when their logs were not copied.
	runDir   bool
	newAdmin drivers.AdminFactory
	// security is fixed at start, so connect reads it without mu.
	security cluster.Security

	mu     sync.Mutex
	st     localState
	procs  map[int32]*nodeProc // nodes this process started
	admin  drivers.Admin
	net    *localNet // the proxies, when this process started them
	closed bool
	copied bool // CopyLogs succeeded
}

var (
	_ cluster.Target           = (*Cluster)(nil)
	_ cluster.Faulter          = (*Cluster)(nil)
	_ cluster.LogCopier        = (*Cluster)(nil)
	_ cluster.ClientConfigurer = (*Cluster)(nil)
	_ cluster.MetricsSource    = (*Cluster)(nil)
)

// Start starts a fresh cluster in cfg.Dir and waits until every broker
// is registered. It fetches the jars on first use (see FetchKafka). A
// previous cluster's data in Dir is removed; a cluster still running there
// is an error. If the cluster does not become ready, every node is stopped
// and the error carries the tail of the failing nodes' logs.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if err := localSupported(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("local cluster dir %s: %w", cfg.Dir, err)
	}
	java, err := FindJava(ctx)
	if err != nil {
		return nil, err
	}
	libs, err := FetchKafka(ctx, cfg.Log)
	if err != nil {
		return nil, err
	}
	// Telemetry is worth no failed start: without the agent, the brokers
	// run and only Kafka's own figures are missing.
	agent, err := FetchJMXExporter(ctx, cfg.Log)
	if err != nil {
		fmt.Fprintf(cfg.Log, "kbench: brokers start without the JMX exporter (no Kafka metrics in results): %v\n", err)
		agent = ""
	}
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	ports, err := pickPorts(cfg.BasePort, 3*cfg.Nodes)
	if err != nil {
		return nil, err
	}
	id, err := newClusterID()
	if err != nil {
		return nil, err
	}
	l := &Cluster{
		dir:          dir,
		log:          cfg.Log,
		readyTimeout: cfg.ReadyTimeout,
		owned:        true,
		newAdmin:     cfg.Admin,
		security:     cfg.Security,
		procs:        map[int32]*nodeProc{},
		st: localState{
			ClusterID:    id,
			KafkaVersion: KafkaVersion,
			Java:         java,
			Libs:         libs,
			JMXAgent:     agent,
			HeapMB:       cfg.HeapMB,
			Detached:     cfg.Detached,
			Network:      cfg.Network,
			Security:     cfg.Security,
			BrokerProps:  maps.Clone(cfg.BrokerProps),
			Props:        commonProps(cfg.Nodes, cfg.BrokerProps),
			Started:      time.Now().UTC(),
		},
	}
	var secrets localSecrets
	if cfg.Security != cluster.SecurityNone {
		var secProps map[string]string
		if secProps, secrets, err = setUpSecurity(dir, cfg.Security); err != nil {
			return nil, err
		}
		maps.Copy(l.st.Props, secProps)
	}
	var voters []string
	for i := range cfg.Nodes {
		n := localNode{ID: int32(i + 1), Port: ports[i], ControllerPort: ports[cfg.Nodes+i], JMXPort: ports[2*cfg.Nodes+i]}
		l.st.Nodes = append(l.st.Nodes, n)
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", n.ID, n.ControllerPort))
	}
	ready := false
	if cfg.Network == results.NetworkProxied {
		if l.net, err = startLocalNet(l.st.Nodes); err != nil {
			return nil, err
		}
		defer func() {
			if !ready {
				l.net.stop()
			}
		}()
	}
	for name, b := range map[string][]byte{"log4j2.xml": log4jConfig, jmxRulesFile: jmxRules} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
		}
	}
	for _, n := range l.st.Nodes {
		for _, d := range []string{l.dataDir(n.ID), l.logsDir(n.ID)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("creating %s: %w", d, err)
			}
		}
		props := nodeProps(l.st.Props, n, strings.Join(voters, ","), l.dataDir(n.ID))
		if cfg.Security != cluster.SecurityNone {
			secureListeners(props)
		}
		if l.net != nil {
			l.net.route(props, n, l.st.Nodes)
		}
		if err := writeProperties(l.propsPath(n.ID), props); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(l.log, "kbench: formatting %d Kafka %s nodes in %s (cluster id %s)\n", cfg.Nodes, KafkaVersion, dir, id)
	if cfg.Security != cluster.SecurityNone {
		if err := writeClientConfig(dir, cfg.Security, secrets, l.Bootstrap()); err != nil {
			return nil, err
		}
	}
	if err := l.formatAll(ctx, secrets.scramArgs()); err != nil {
		return nil, err
	}
	start := time.Now()
	for _, n := range l.st.Nodes {
		if err := l.startProcess(n.ID); err != nil {
			l.Down(context.Background())
			return nil, err
		}
	}
	rctx, cancel := context.WithTimeout(ctx, cfg.ReadyTimeout)
	defer cancel()
	if err := l.WaitReady(rctx); err != nil {
		l.Down(context.Background())
		return nil, fmt.Errorf("local cluster in %s did not become ready (nodes stopped; logs kept in %s/node-*/logs): %w",
			dir, dir, err)
	}
	fmt.Fprintf(l.log, "kbench: local cluster ready in %.1fs: %s\n", time.Since(start).Seconds(), strings.Join(l.Bootstrap(), ","))
	ready = true
	return l, nil
}

// Open attaches to the cluster whose state is in dir, as left by
// Start, checking it with admin clients of admin (without one,
// Status cannot tell which brokers are registered, and waits fail). Close
// on it leaves the cluster running; Down stops it.
func Open(dir string, admin drivers.AdminFactory) (*Cluster, error) {
	if err := localSupported(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local cluster dir %s: %w", dir, err)
	}
	st, err := readState(dir)
	if err != nil {
		return nil, err
	}
	return &Cluster{
		dir:          dir,
		log:          io.Discard,
		readyTimeout: DefaultReadyTimeout,
		newAdmin:     admin,
		security:     st.Security,
		procs:        map[int32]*nodeProc{},
		st:           st,
	}, nil
}

// formatAll formats every node's log directory with the cluster id, in
// parallel (each is a JVM start).
func (l *Cluster) formatAll(ctx context.Context, extra []string) error {
	errs := make([]error, len(l.st.Nodes))
	var wg sync.WaitGroup
	for i, n := range l.st.Nodes {
		wg.Go(func() {
			args := l.jvmArgs([]string{toolHeap}, n.ID, "kafka.tools.StorageTool",
				append([]string{"format", "-t", l.st.ClusterID, "-c", l.propsPath(n.ID)}, extra...)...)
			out, err := exec.CommandContext(ctx, l.st.Java, args...).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("formatting node %d (%s): %w\n%s", n.ID, l.dataDir(n.ID), err, strings.TrimSpace(string(out)))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Kind returns results.KindLocal.
func (l *Cluster) Kind() results.ClusterKind { return results.KindLocal }

// Dir returns the cluster's state directory.
func (l *Cluster) Dir() string { return l.dir }

// Bootstrap lists every node's client listener.
func (l *Cluster) Bootstrap() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var addrs []string
	for _, n := range l.st.Nodes {
		addrs = append(addrs, addr(n.advertisedPort()))
	}
	return addrs
}

// Describe records the cluster: Kafka version, nodes, the broker
// properties every node runs with (kbench's defaults and the profile's),
// and the state directory holding the logs.
func (l *Cluster) Describe() results.Cluster {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := results.Cluster{
		Kind:         results.KindLocal,
		KafkaVersion: l.st.KafkaVersion,
		BrokerProps:  maps.Clone(l.st.Props),
		LogDir:       l.dir,
		Network:      l.st.Network,
	}
	for _, n := range l.st.Nodes {
		c.Bootstrap = append(c.Bootstrap, addr(n.advertisedPort()))
		c.Nodes = append(c.Nodes, results.Node{
			ID:         n.ID,
			Roles:      []string{"broker", "controller"},
			Address:    addr(n.advertisedPort()),
			Controller: addr(n.ControllerPort),
			LogDirs:    l.dataDir(n.ID),
		})
	}
	return c
}

// BrokerIDs lists the node ids, 1..n.
func (l *Cluster) BrokerIDs() []int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []int32
	for _, n := range l.st.Nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

// NodeStatus is one node as Status sees it.
type NodeStatus struct {
	ID         int32
	Address    string // client listener
	Controller string // controller listener
	PID        int
	// Up: the pid is alive and is this node's broker.
	Up bool
	// Paused: stopped by SIGSTOP.
	Paused bool
	// Registered: listed in the cluster's metadata (false when no broker
	// answered within a few seconds).
	Registered bool
}

// Status reports each node's process and whether the cluster's metadata
// lists it.
func (l *Cluster) Status(ctx context.Context) []NodeStatus {
	l.mu.Lock()
	nodes := slices.Clone(l.st.Nodes)
	l.mu.Unlock()
	registered := map[int32]bool{}
	if adm, err := l.adminClient(ctx); err == nil {
		mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if bs, err := adm.Brokers(mctx); err == nil {
			for _, b := range bs {
				registered[b.ID] = true
			}
		}
		cancel()
	}
	var out []NodeStatus
	for _, n := range nodes {
		pid, up, _ := l.pid(n.ID)
		out = append(out, NodeStatus{
			ID:         n.ID,
			Address:    addr(n.Port),
			Controller: addr(n.ControllerPort),
			PID:        pid,
			Up:         up,
			Paused:     up && isStopped(pid),
			Registered: registered[n.ID],
		})
	}
	return out
}

// Close releases the admin client and, for a cluster this process started
// and did not detach, stops every node as Down does. A cluster attached
// with Open, or started Detached, keeps running. A cluster OpenOrStart
// started in a directory of its own has the directory removed, or, if its
// logs were not copied (the run failed before), only its data, keeping
// the logs. Safe to call twice.
func (l *Cluster) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	stop := l.owned && !l.st.Detached
	copied := l.copied
	l.mu.Unlock()
	var err error
	if stop {
		err = l.Down(context.Background())
	} else {
		l.closeAdmin()
	}
	switch {
	case !l.runDir:
	case copied:
		if rmErr := os.RemoveAll(l.dir); err == nil {
			err = rmErr
		}
	default:
		removeData(l.dir)
		fmt.Fprintf(l.log, "the brokers' logs are kept in %s\n", l.dir)
	}
	return err
}

// Down stops every node (SIGTERM, then SIGKILL after a grace period) and
// removes the cluster's data and state, keeping each node's logs in
// Dir/node-<id>/logs; remove Dir to drop those too.
func (l *Cluster) Down(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true // no restart from a fault may race the stop
	l.mu.Unlock()
	if l.net != nil {
		l.net.heal() // so the brokers can shut down in order
	}
	err := l.stopAll(ctx)
	if l.net != nil {
		l.net.stop()
	}
	l.closeAdmin()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, id := range l.BrokerIDs() {
		for _, p := range []string{l.dataDir(id), l.pidPath(id)} {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, fmt.Errorf("removing %s: %w", p, err))
			}
		}
	}
	if err := os.Remove(filepath.Join(l.dir, "cluster.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("removing local cluster state: %w", err))
	}
	return errors.Join(errs...)
}

func (l *Cluster) closeAdmin() {
	l.mu.Lock()
	adm := l.admin
	l.admin = nil
	l.mu.Unlock()
	if adm != nil {
		adm.Close()
	}
}

// adminClient returns the cluster's admin client, connecting it on first
// use.
func (l *Cluster) adminClient(ctx context.Context) (drivers.Admin, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.admin != nil {
		return l.admin, nil
	}
	var bootstrap []string
	for _, n := range l.st.Nodes {
		bootstrap = append(bootstrap, addr(n.Port))
	}
	adm, err := l.connect(ctx, bootstrap)
	if err != nil {
		return nil, err
	}
	l.admin = adm
	return adm, nil
}

// connect makes an admin client for bootstrap.
func (l *Cluster) connect(ctx context.Context, bootstrap []string) (drivers.Admin, error) {
	if l.newAdmin == nil {
		return nil, errors.New("local cluster: no admin client factory to check the brokers with")
	}
	adm, err := l.newAdmin(ctx, drivers.AdminConfig{Bootstrap: bootstrap, Props: l.ClientProps()})
	if err != nil {
		return nil, fmt.Errorf("connecting an admin client to %s: %w", strings.Join(bootstrap, ","), err)
	}
	return adm, nil
}
