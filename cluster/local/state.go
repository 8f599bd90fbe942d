package local

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/internal/atomicfile"
	"github.com/kbench/kbench/results"
)

// localState is the cluster.json file: what Open, `cluster status`
// and `cluster down` need to find and restart the nodes.
type localState struct {
	ClusterID    string `json:"cluster_id"`
	KafkaVersion string `json:"kafka_version"`
	// Java and Libs are the java binary and jar directory the nodes run
	// with, so a restart uses the same ones.
	Java string `json:"java"`
	Libs string `json:"libs"`
	// JMXAgent is the JMX exporter agent's jar the brokers run with;
	// "" when it could not be fetched (no telemetry from Kafka's MBeans).
	JMXAgent string           `json:"jmx_agent,omitempty"`
	HeapMB   int              `json:"heap_mb"`
	Detached bool             `json:"detached"`
	Security cluster.Security `json:"security,omitempty"`
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
	// JMXPort serves the broker's metrics (the JMX exporter agent).
	JMXPort int `json:"jmx_port,omitempty"`
	// PID is the pid at the last start this file saw; the node's
	// kafka.pid file is the authority.
	PID int `json:"pid"`
}

func readState(dir string) (localState, error) {
	var st localState
	path := filepath.Join(dir, "cluster.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("%w in %s (%s is missing)", ErrNoCluster, dir, path)
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

// ErrNoCluster is returned by Open for a directory that holds no
// local cluster's state.
var ErrNoCluster = errors.New("no local cluster")

// saveState writes cluster.json atomically. Callers hold l.mu.
func (l *Cluster) saveState() error {
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

func (l *Cluster) nodeDir(id int32) string { return filepath.Join(l.dir, fmt.Sprintf("node-%d", id)) }
func (l *Cluster) dataDir(id int32) string { return filepath.Join(l.nodeDir(id), "data") }
func (l *Cluster) logsDir(id int32) string { return filepath.Join(l.nodeDir(id), "logs") }
func (l *Cluster) propsPath(id int32) string {
	return filepath.Join(l.nodeDir(id), "server.properties")
}
func (l *Cluster) pidPath(id int32) string   { return filepath.Join(l.nodeDir(id), "kafka.pid") }
func (l *Cluster) serverLog(id int32) string { return filepath.Join(l.logsDir(id), "server.log") }

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// advertisedPort is the port n's clients connect to: its proxy's, when
// proxied.
func (n localNode) advertisedPort() int { return cmp.Or(n.ProxyPort, n.Port) }
