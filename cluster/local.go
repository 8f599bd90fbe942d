package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/atomicfile"
	"github.com/kbench/kbench/results"
)

// Defaults of LocalConfig.
const (
	DefaultLocalNodes        = 3
	DefaultLocalHeapMB       = 512
	DefaultLocalReadyTimeout = 90 * time.Second
)

// stopGrace is how long a broker gets to shut down after SIGTERM before it
// is killed.
const stopGrace = 20 * time.Second

//go:embed kafka/log4j2.xml
var log4jConfig []byte

// LocalConfig describes a local cluster to start.
type LocalConfig struct {
	// Dir holds the cluster's state: cluster.json, log4j2.xml and one
	// node-<id> directory per node (server.properties, data/, logs/,
	// kafka.pid). Required; DefaultLocalDir suggests one.
	Dir string
	// Nodes is the number of nodes, each broker and controller
	// (default 3).
	Nodes int
	// HeapMB is each broker's Java heap in MiB (default 512).
	HeapMB int
	// BasePort fixes the ports: node i (0-based) listens for clients on
	// BasePort+i and as controller on BasePort+Nodes+i. 0 picks free
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
	Security Security
	// Detached leaves the brokers running when kbench exits, for
	// `kbench cluster up`; Close then leaves the cluster running and Down
	// stops it. When false, the brokers belong to this process: Close
	// stops them, and on Linux the kernel kills them if kbench dies.
	Detached bool
}

// DefaultLocalDir returns the directory `kbench cluster up` keeps its
// cluster in: $XDG_STATE_HOME/kbench/local, else ~/.local/state/kbench/local.
func DefaultLocalDir() (string, error) {
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
func (c LocalConfig) withDefaults() LocalConfig {
	if c.Nodes == 0 {
		c.Nodes = DefaultLocalNodes
	}
	if c.HeapMB == 0 {
		c.HeapMB = DefaultLocalHeapMB
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultLocalReadyTimeout
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}

// Validate returns every problem of c at once, each naming its field; zero
// fields count as their defaults.
func (c LocalConfig) Validate() error {
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
	if c.BasePort != 0 && (c.BasePort < 1024 || c.BasePort+2*c.Nodes-1 > 65535) {
		errs = append(errs, fmt.Errorf("local cluster: base port %d: want 0 (free ports) or 1024..%d for %d nodes",
			c.BasePort, 65535-2*c.Nodes+1, c.Nodes))
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
	if err := c.Security.validate(); err != nil {
		errs = append(errs, fmt.Errorf("local cluster: security %w", err))
	}
	return errors.Join(errs...)
}

// localState is the cluster.json file: what OpenLocal, `cluster status`
// and `cluster down` need to find and restart the nodes.
type localState struct {
	ClusterID    string `json:"cluster_id"`
	KafkaVersion string `json:"kafka_version"`
	// Java and Libs are the java binary and jar directory the nodes run
	// with, so a restart uses the same ones.
	Java     string   `json:"java"`
	Libs     string   `json:"libs"`
	HeapMB   int      `json:"heap_mb"`
	Detached bool     `json:"detached"`
	Security Security `json:"security,omitempty"`
	// Network is proxied when the nodes advertise the proxies of the
	// kbench that started them.
	Network results.Network `json:"network,omitempty"`
	// BrokerProps are the tuning profile's properties as given; Props are
	// the ones every node runs with (defaults included).
	BrokerProps map[string]string `json:"broker_props,omitempty"`
	Props       map[string]string `json:"props"`
	Nodes       []localNode       `json:"nodes"`
	Started     time.Time         `json:"started"`
}

// localNode is one node in cluster.json.
type localNode struct {
	ID             int32 `json:"id"`
	Port           int   `json:"port"`
	ControllerPort int   `json:"controller_port"`
	// ProxyPort is the client listener's proxy, when proxied.
	ProxyPort int `json:"proxy_port,omitempty"`
	// PID is the pid at the last start this file saw; the node's
	// kafka.pid file is the authority.
	PID int `json:"pid"`
}

// Local is a real Apache Kafka KRaft cluster of broker processes on
// 127.0.0.1. It implements Target and Faulter. Its methods are safe to call
// from several goroutines.
type Local struct {
	dir          string
	log          io.Writer
	readyTimeout time.Duration
	// owned: this process started the cluster (StartLocal), rather than
	// attaching to it (OpenLocal).
	owned bool
	// runDir: Open made dir for this cluster alone; Close removes it,
	// or only the brokers' data when their logs were not copied.
	runDir   bool
	newAdmin drivers.AdminFactory
	// security is fixed at start, so connect reads it without mu.
	security Security

	mu     sync.Mutex
	st     localState
	procs  map[int32]*nodeProc // nodes this process started
	admin  drivers.Admin
	net    *localNet // the proxies, when this process started them
	closed bool
	copied bool // CopyLogs succeeded
}

var (
	_ Target    = (*Local)(nil)
	_ Faulter   = (*Local)(nil)
	_ LogCopier = (*Local)(nil)
)

// StartLocal starts a fresh cluster in cfg.Dir and waits until every broker
// is registered. It fetches the jars on first use (see FetchKafka). A
// previous cluster's data in Dir is removed; a cluster still running there
// is an error. If the cluster does not become ready, every node is stopped
// and the error carries the tail of the failing nodes' logs.
func StartLocal(ctx context.Context, cfg LocalConfig) (*Local, error) {
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
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	ports, err := pickPorts(cfg.BasePort, 2*cfg.Nodes)
	if err != nil {
		return nil, err
	}
	id, err := newClusterID()
	if err != nil {
		return nil, err
	}
	l := &Local{
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
	if cfg.Security != SecurityNone {
		var secProps map[string]string
		if secProps, secrets, err = setUpSecurity(dir, cfg.Security); err != nil {
			return nil, err
		}
		maps.Copy(l.st.Props, secProps)
	}
	var voters []string
	for i := range cfg.Nodes {
		n := localNode{ID: int32(i + 1), Port: ports[i], ControllerPort: ports[cfg.Nodes+i]}
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
	if err := os.WriteFile(filepath.Join(dir, "log4j2.xml"), log4jConfig, 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", filepath.Join(dir, "log4j2.xml"), err)
	}
	for _, n := range l.st.Nodes {
		for _, d := range []string{l.dataDir(n.ID), l.logsDir(n.ID)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, fmt.Errorf("creating %s: %w", d, err)
			}
		}
		props := nodeProps(l.st.Props, n, strings.Join(voters, ","), l.dataDir(n.ID))
		if cfg.Security != SecurityNone {
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
	if cfg.Security != SecurityNone {
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

// OpenLocal attaches to the cluster whose state is in dir, as left by
// StartLocal, checking it with admin clients of admin (without one,
// Status cannot tell which brokers are registered, and waits fail). Close
// on it leaves the cluster running; Down stops it.
func OpenLocal(dir string, admin drivers.AdminFactory) (*Local, error) {
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
	return &Local{
		dir:          dir,
		log:          io.Discard,
		readyTimeout: DefaultLocalReadyTimeout,
		newAdmin:     admin,
		security:     st.Security,
		procs:        map[int32]*nodeProc{},
		st:           st,
	}, nil
}

func readState(dir string) (localState, error) {
	var st localState
	path := filepath.Join(dir, "cluster.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("%w in %s (%s is missing)", ErrNoLocalCluster, dir, path)
	}
	if err != nil {
		return st, fmt.Errorf("reading local cluster state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("local cluster state %s is corrupt: %w; tear the cluster down to stop leftovers and clear it", path, err)
	}
	if len(st.Nodes) == 0 || st.Java == "" || st.Libs == "" {
		return st, fmt.Errorf("local cluster state %s is incomplete; tear the cluster down to stop leftovers and clear it", path)
	}
	return st, nil
}

// ErrNoLocalCluster is returned by OpenLocal for a directory that holds no
// local cluster's state.
var ErrNoLocalCluster = errors.New("no local cluster")

// saveState writes cluster.json atomically. Callers hold l.mu.
func (l *Local) saveState() error {
	b, err := json.MarshalIndent(l.st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(l.dir, "cluster.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing local cluster state: %w", err)
	}
	return nil
}

// prepareDir makes dir ready for a fresh cluster: it refuses a running
// one, and removes what an old one left.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating local cluster dir %s: %w", dir, err)
	}
	running, err := runningNodes(dir)
	if err != nil {
		return err
	}
	if len(running) > 0 {
		return fmt.Errorf("a local cluster is already running in %s (pid %d, ...): tear it down first, or use it as it is",
			dir, running[0].pid)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "node-*"))
	for _, d := range old {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("removing the previous cluster's %s: %w", d, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "cluster.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the previous cluster's state: %w", err)
	}
	return nil
}

// pickPorts returns n ports on 127.0.0.1: base, base+1, ... if base is set
// (checking each is free), else free ports below the kernel's ephemeral
// range. Ports in that range would be handed out as source ports of
// outgoing connections, and a broker killed for a fault could find its
// port so taken when it restarts. All are held open together so they
// differ; they are released before the brokers bind them.
func pickPorts(base, n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	if base != 0 {
		for i := range n {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i))
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return nil, fmt.Errorf("port %s is in use: pick another base port or stop what holds it: %w", addr, err)
			}
			lns = append(lns, ln)
			ports = append(ports, base+i)
		}
		return ports, nil
	}
	lo, hi := 10000, ephemeralLow()-1
	if hi-lo < 1000 {
		lo, hi = 0, 0 // no room below the range: let the kernel choose
	}
	for tries := 0; len(ports) < n; tries++ {
		port := 0
		if hi > lo {
			port = lo + mrand.IntN(hi-lo+1)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			if port != 0 && tries < 1000 {
				continue // taken: draw another
			}
			return nil, fmt.Errorf("picking a free port on 127.0.0.1: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read).
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

// newClusterID makes a KRaft cluster id: 16 random bytes, base64url
// without padding, as `kafka-storage random-uuid` prints. Like Kafka, it
// never starts with '-', which the storage tool would read as an option.
func newClusterID() (string, error) {
	b := make([]byte, 16)
	for {
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("making a cluster id: %w", err)
		}
		if id := base64.RawURLEncoding.EncodeToString(b); id[0] != '-' {
			return id, nil
		}
	}
}

func (l *Local) nodeDir(id int32) string   { return filepath.Join(l.dir, fmt.Sprintf("node-%d", id)) }
func (l *Local) dataDir(id int32) string   { return filepath.Join(l.nodeDir(id), "data") }
func (l *Local) logsDir(id int32) string   { return filepath.Join(l.nodeDir(id), "logs") }
func (l *Local) propsPath(id int32) string { return filepath.Join(l.nodeDir(id), "server.properties") }
func (l *Local) pidPath(id int32) string   { return filepath.Join(l.nodeDir(id), "kafka.pid") }
func (l *Local) serverLog(id int32) string { return filepath.Join(l.logsDir(id), "server.log") }

// brokerHeap is the heap flags of a broker: fixed size, as the scripts do.
func brokerHeap(mb int) []string {
	return []string{fmt.Sprintf("-Xmx%dM", mb), fmt.Sprintf("-Xms%dM", mb)}
}

// toolHeap is the heap flag the scripts give Kafka's command line tools.
const toolHeap = "-Xmx256M"

// jvmArgs are the java arguments kafka-run-class.sh would use, with our
// own heap, log directory and log4j2 config.
func (l *Local) jvmArgs(heap []string, id int32, main string, args ...string) []string {
	a := slices.Clone(heap)
	a = append(a,
		"-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
		"-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent",
		"-XX:MaxInlineLevel=15", "-Djava.awt.headless=true",
		"-Dkafka.logs.dir="+l.logsDir(id),
		"-Dlog4j2.configurationFile="+filepath.Join(l.dir, "log4j2.xml"),
		"-cp", filepath.Join(l.st.Libs, "*"),
		main,
	)
	return append(a, args...)
}

// formatAll formats every node's log directory with the cluster id, in
// parallel (each is a JVM start).
func (l *Local) formatAll(ctx context.Context, extra []string) error {
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
func (l *Local) Kind() results.ClusterKind { return results.KindLocal }

// Dir returns the cluster's state directory.
func (l *Local) Dir() string { return l.dir }

// Bootstrap lists every node's client listener.
func (l *Local) Bootstrap() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var addrs []string
	for _, n := range l.st.Nodes {
		addrs = append(addrs, addr(n.advertisedPort()))
	}
	return addrs
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// advertisedPort is the port n's clients connect to: its proxy's, when
// proxied.
func (n localNode) advertisedPort() int { return cmp.Or(n.ProxyPort, n.Port) }

// Describe records the cluster: Kafka version, nodes, the broker
// properties every node runs with (kbench's defaults and the profile's),
// and the state directory holding the logs.
func (l *Local) Describe() results.Cluster {
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
func (l *Local) BrokerIDs() []int32 {
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
func (l *Local) Status(ctx context.Context) []NodeStatus {
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

// CopyLogs copies every node's logs (server.log and its rolled files, and
// stdout.log with the JVM's own output) to dst/node-<id>/.
func (l *Local) CopyLogs(dst string) error {
	err := l.copyLogs(dst)
	l.mu.Lock()
	l.copied = err == nil
	l.mu.Unlock()
	return err
}

func (l *Local) copyLogs(dst string) error {
	var errs []error
	for _, id := range l.BrokerIDs() {
		files, _ := filepath.Glob(filepath.Join(l.logsDir(id), "*"))
		to := filepath.Join(dst, fmt.Sprintf("node-%d", id))
		if err := os.MkdirAll(to, 0o755); err != nil {
			return fmt.Errorf("copying broker logs: %w", err)
		}
		for _, f := range files {
			if err := copyFile(f, filepath.Join(to, filepath.Base(f))); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copying broker log: %w", err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("copying broker log: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying broker log %s: %w", from, err)
	}
	return out.Close()
}

// Close releases the admin client and, for a cluster this process started
// and did not detach, stops every node as Down does. A cluster attached
// with OpenLocal, or started Detached, keeps running. A cluster Open
// started in a directory of its own has the directory removed, or, if its
// logs were not copied (the run failed before), only its data, keeping
// the logs. Safe to call twice.
func (l *Local) Close() error {
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
func (l *Local) Down(ctx context.Context) error {
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

func (l *Local) closeAdmin() {
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
func (l *Local) adminClient(ctx context.Context) (drivers.Admin, error) {
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
func (l *Local) connect(ctx context.Context, bootstrap []string) (drivers.Admin, error) {
	if l.newAdmin == nil {
		return nil, errors.New("local cluster: no admin client factory to check the brokers with")
	}
	adm, err := l.newAdmin(ctx, drivers.AdminConfig{Bootstrap: bootstrap, Props: l.ClientProps()})
	if err != nil {
		return nil, fmt.Errorf("connecting an admin client to %s: %w", strings.Join(bootstrap, ","), err)
	}
	return adm, nil
}
