package local

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/kbench/kbench/cluster"
)

// localNet is a proxied local cluster's network: toxiproxy proxies in this
// process, one on each node's client listener and one for each ordered
// pair of nodes on the replication and controller listeners, so a fault
// can act on one broker's links alone. Nodes advertise the proxies' ports;
// each node replicates through a listener of its own on every other node
// (replicationListener), which is how a proxy knows which node is talking.
// Its methods are safe to call from several goroutines.
type localNet struct {
	server  *toxiproxy.ApiServer
	proxies []*linkProxy
	// repl[to][from] is node to's replication listener for node from.
	repl map[int32]map[int32]int

	mu     sync.Mutex
	seq    int
	active map[int]cluster.Undo // faults in place, by sequence number
	closed bool
}

// linkProxy is one proxy, listening on port: the link from node from (0
// for clients) to node to.
type linkProxy struct {
	*toxiproxy.Proxy
	port     int
	link     cluster.Link
	from, to int32
}

// replicationListener names node from's replication listener on every
// node; a node replicates through its own name (inter.broker.listener.name).
func replicationListener(from int32) string { return "REPLICATION_FROM_" + strconv.Itoa(int(from)) }

// startLocalNet starts the proxies of nodes, setting each node's
// ProxyPort. Its ports are picked as the brokers' are.
func startLocalNet(nodes []localNode) (*localNet, error) {
	n := len(nodes)
	// The nodes' ports were free when picked, but are no longer held:
	// draw spares and skip theirs.
	drawn, err := pickPorts(0, n*n+n+2*n*(n-1)+2*n)
	if err != nil {
		return nil, err
	}
	ports := slices.DeleteFunc(drawn, func(p int) bool {
		return slices.ContainsFunc(nodes, func(n localNode) bool { return p == n.Port || p == n.ControllerPort })
	})
	next := func() int { p := ports[0]; ports = ports[1:]; return p }
	logger := zerolog.Nop()
	ln := &localNet{
		server: toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), logger),
		repl:   map[int32]map[int32]int{},
		active: map[int]cluster.Undo{},
	}
	add := func(link cluster.Link, from, to int32, upstream int) (int, error) {
		listen := next()
		name := fmt.Sprintf("%s-%d-%d", link, from, to)
		p := toxiproxy.NewProxy(ln.server, name, addr(listen), addr(upstream))
		p.Logger = &logger
		if err := p.Start(); err != nil {
			return 0, fmt.Errorf("starting proxy %s on %s: %w", name, addr(listen), err)
		}
		ln.proxies = append(ln.proxies, &linkProxy{Proxy: p, port: listen, link: link, from: from, to: to})
		return listen, nil
	}
	for i := range nodes {
		to := &nodes[i]
		ln.repl[to.ID] = map[int32]int{}
		if to.ProxyPort, err = add(cluster.LinkClient, 0, to.ID, to.Port); err != nil {
			ln.stop()
			return nil, err
		}
		for _, from := range nodes {
			ln.repl[to.ID][from.ID] = next()
			if from.ID == to.ID {
				continue // a node's own listener is never dialled
			}
			_, err1 := add(cluster.LinkReplication, from.ID, to.ID, ln.repl[to.ID][from.ID])
			_, err2 := add(cluster.LinkController, from.ID, to.ID, to.ControllerPort)
			if err := errors.Join(err1, err2); err != nil {
				ln.stop()
				return nil, err
			}
		}
	}
	return ln, nil
}

// route rewrites node n's properties so that every link it has passes
// through the proxies: the client listener is advertised on its proxy, n
// gets a replication listener per node (advertised on that node's proxy
// to n) and replicates through its own, and its quorum voters are the
// proxies from n to each other controller.
func (ln *localNet) route(props map[string]string, n localNode, nodes []localNode) {
	protos := map[string]string{}
	for _, kv := range strings.Split(props["listener.security.protocol.map"], ",") {
		if k, v, ok := strings.Cut(kv, ":"); ok {
			protos[k] = v
		}
	}
	proto := cmp.Or(protos[props["inter.broker.listener.name"]], "PLAINTEXT")
	client := ":" + strconv.Itoa(n.Port)
	var adv []string
	for _, l := range strings.Split(props["advertised.listeners"], ",") {
		if strings.HasSuffix(l, client) {
			l = strings.TrimSuffix(l, client) + ":" + strconv.Itoa(n.ProxyPort)
		}
		adv = append(adv, l)
	}
	listeners := []string{props["listeners"]}
	protoMap := []string{props["listener.security.protocol.map"]}
	var voters []string
	for _, other := range nodes {
		name := replicationListener(other.ID)
		listen := ln.repl[n.ID][other.ID]
		listeners = append(listeners, fmt.Sprintf("%s://127.0.0.1:%d", name, listen))
		protoMap = append(protoMap, name+":"+proto)
		// Other nodes reach n, and n reaches their controllers, through
		// proxies; n's own entries are never dialled.
		replAdv, ctrl := listen, n.ControllerPort
		if other.ID != n.ID {
			replAdv = ln.proxy(cluster.LinkReplication, other.ID, n.ID).port
			ctrl = ln.proxy(cluster.LinkController, n.ID, other.ID).port
		}
		adv = append(adv, fmt.Sprintf("%s://127.0.0.1:%d", name, replAdv))
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", other.ID, ctrl))
	}
	props["listeners"] = strings.Join(listeners, ",")
	props["advertised.listeners"] = strings.Join(adv, ",")
	props["listener.security.protocol.map"] = strings.Join(protoMap, ",")
	props["inter.broker.listener.name"] = replicationListener(n.ID)
	props["controller.quorum.voters"] = strings.Join(voters, ",")
}

// proxy returns the proxy of link from node from to node to.
func (ln *localNet) proxy(link cluster.Link, from, to int32) *linkProxy {
	for _, p := range ln.proxies {
		if p.link == link && p.from == from && p.to == to {
			return p
		}
	}
	panic(fmt.Sprintf("no %s proxy from %d to %d", link, from, to))
}

// toward is the toxiproxy stream carrying the bytes that broker id
// receives over p.
func (p *linkProxy) toward(id int32) string {
	if p.to == id {
		return "upstream"
	}
	return "downstream"
}

// links returns the proxies of broker id's links of the given kinds.
func (ln *localNet) links(id int32, kinds []cluster.Link) []*linkProxy {
	var out []*linkProxy
	for _, p := range ln.proxies {
		if slices.Contains(kinds, p.link) && (p.to == id || p.from == id) {
			out = append(out, p)
		}
	}
	return out
}

// toxic is one toxic to add to one proxy's stream.
type toxic struct {
	proxy  *linkProxy
	stream string
	kind   string
	attrs  map[string]int64
}

// inject carries out a network fault on broker id and returns its undo,
// which also runs when the network is stopped. Every undo of a cut drops
// the connections it cut, since the bytes it swallowed leave their
// streams unreadable.
func (ln *localNet) inject(f cluster.Fault) (cluster.Undo, error) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.closed {
		return nil, errors.New("the cluster's proxies are stopped")
	}
	kinds := f.Links
	if len(kinds) == 0 {
		kinds = cluster.Links()
	}
	var toxics []toxic
	drop := false
	switch f.Action {
	case cluster.ActionPartition, cluster.ActionIsolate:
		kinds = []cluster.Link{cluster.LinkReplication, cluster.LinkController}
		if f.Action == cluster.ActionIsolate {
			kinds = cluster.Links()
		}
		drop = true
		for _, p := range ln.links(f.Broker, kinds) {
			for _, s := range []string{"upstream", "downstream"} {
				toxics = append(toxics, toxic{p, s, "timeout", map[string]int64{"timeout": 0}})
			}
		}
	case cluster.ActionLatency:
		for _, p := range ln.links(f.Broker, kinds) {
			toxics = append(toxics, toxic{p, p.toward(f.Broker), "latency",
				map[string]int64{"latency": f.Delay.Milliseconds(), "jitter": f.Jitter.Milliseconds()}})
		}
	case cluster.ActionBandwidth:
		for _, p := range ln.links(f.Broker, kinds) {
			for _, s := range []string{"upstream", "downstream"} {
				toxics = append(toxics, toxic{p, s, "bandwidth", map[string]int64{"rate": f.RateKBps}})
			}
		}
	case cluster.ActionReset:
		if f.Every <= 0 {
			return nil, fmt.Errorf("reset needs a period, got %v", f.Every)
		}
		return ln.resetEvery(f.Every, ln.links(f.Broker, kinds))
	default:
		return nil, fmt.Errorf("%s is not a network fault", f.Action)
	}
	ln.seq++
	seq := ln.seq
	name := "kbench-" + strconv.Itoa(seq)
	var added []toxic
	var err error
	for _, t := range toxics {
		body, _ := json.Marshal(map[string]any{"name": name + "-" + t.stream, "type": t.kind, "stream": t.stream, "attributes": t.attrs})
		if _, err = t.proxy.Toxics.AddToxicJson(strings.NewReader(string(body))); err != nil {
			err = fmt.Errorf("%s on proxy %s: %w", f.Action, t.proxy.Name, err)
			break
		}
		added = append(added, t)
	}
	var once sync.Once
	undo := func(context.Context) error {
		var errs []error
		once.Do(func() {
			dropped := map[*linkProxy]bool{}
			for _, t := range added {
				if err := t.proxy.Toxics.RemoveToxic(context.Background(), name+"-"+t.stream); err != nil {
					errs = append(errs, fmt.Errorf("undoing %s on proxy %s: %w", f.Action, t.proxy.Name, err))
				}
				if drop && !dropped[t.proxy] {
					dropped[t.proxy] = true
					errs = append(errs, t.proxy.dropConnections())
				}
			}
			ln.mu.Lock()
			delete(ln.active, seq)
			ln.mu.Unlock()
		})
		return errors.Join(errs...)
	}
	ln.active[seq] = undo
	if len(added) == 0 {
		delete(ln.active, seq)
		return nil, err
	}
	return undo, err
}

// dropConnections closes every connection through p by restarting it on
// the same port.
func (p *linkProxy) dropConnections() error {
	p.Stop()
	if err := p.Start(); err != nil {
		return fmt.Errorf("restarting proxy %s: %w", p.Name, err)
	}
	return nil
}

// resetEvery drops the connections of proxies now and every period after,
// until the returned undo is called. Callers hold ln.mu.
func (ln *localNet) resetEvery(period time.Duration, proxies []*linkProxy) (cluster.Undo, error) {
	var errs []error
	dropAll := func() {
		for _, p := range proxies {
			if err := p.dropConnections(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	dropAll()
	first := errors.Join(errs...)
	ln.seq++
	seq := ln.seq
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				dropAll()
			}
		}
	}()
	var once sync.Once
	undo := func(context.Context) error {
		once.Do(func() {
			close(stop)
			<-done
			ln.mu.Lock()
			delete(ln.active, seq)
			ln.mu.Unlock()
		})
		<-done
		return errors.Join(errs...)
	}
	ln.active[seq] = undo
	return undo, first
}

// heal undoes every network fault still in place.
func (ln *localNet) heal() error {
	ln.mu.Lock()
	undos := make([]cluster.Undo, 0, len(ln.active))
	for _, u := range ln.active {
		undos = append(undos, u)
	}
	ln.mu.Unlock()
	var errs []error
	for _, u := range undos {
		errs = append(errs, u(context.Background()))
	}
	return errors.Join(errs...)
}

// stop heals the network and stops every proxy. Call it once the brokers
// are down: they need the proxies to shut down cleanly.
func (ln *localNet) stop() {
	ln.heal()
	ln.mu.Lock()
	ln.closed = true
	ln.mu.Unlock()
	for _, p := range ln.proxies {
		p.Stop()
	}
}
