package cluster

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kbench/kbench/results"
)

// Embedded is an in-process kfake cluster. It has no replication and one
// request loop, so its figures say nothing about Apache Kafka: it exists for
// tests and a demo that needs no Java.
type Embedded struct {
	mu     sync.Mutex
	c      *kfake.Cluster
	ports  map[int32]int
	closed bool
}

var (
	_ Target  = (*Embedded)(nil)
	_ Faulter = (*Embedded)(nil)
)

// StartEmbedded starts a kfake cluster of n brokers on 127.0.0.1.
func StartEmbedded(n int) (*Embedded, error) {
	if n < 1 {
		return nil, fmt.Errorf("embedded cluster: need at least 1 broker, got %d", n)
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(n))
	if err != nil {
		return nil, fmt.Errorf("start embedded cluster: %w", err)
	}
	e := &Embedded{c: c, ports: map[int32]int{}}
	for i, addr := range c.ListenAddrs() {
		_, port, _ := net.SplitHostPort(addr)
		e.ports[int32(i)], _ = strconv.Atoi(port)
	}
	return e, nil
}

// Kind returns results.KindEmbedded.
func (e *Embedded) Kind() results.ClusterKind { return results.KindEmbedded }

// Bootstrap lists the brokers' addresses.
func (e *Embedded) Bootstrap() []string { return e.c.ListenAddrs() }

// Describe records the cluster.
func (e *Embedded) Describe() results.Cluster {
	d := results.Cluster{Kind: results.KindEmbedded, Bootstrap: e.Bootstrap(), KafkaVersion: "kfake (no replication)"}
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := int32(0); int(id) < len(e.ports); id++ {
		d.Nodes = append(d.Nodes, brokerNode(id, "127.0.0.1:"+strconv.Itoa(e.ports[id])))
	}
	return d
}

// brokerNode describes one broker node.
func brokerNode(id int32, addr string) results.Node {
	return results.Node{ID: id, Roles: []string{"broker"}, Address: addr}
}

// Close stops the cluster. Safe to call twice.
func (e *Embedded) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		e.c.Close()
	}
	return nil
}

// Supports: kfake can drop a node and bring it back (kill, stop), stall
// the requests a node receives (pause) and move leaders; it runs no
// commands.
func (e *Embedded) Supports(action Action) error {
	switch action {
	case ActionKill, ActionStop, ActionPause, ActionLeaderMove:
		return nil
	case ActionExec:
		return fmt.Errorf("the embedded target runs no commands; exec is for external clusters")
	case ActionRollingRestart:
		return fmt.Errorf("the embedded target has no controlled shutdown to roll; rolling-restart is for a local cluster")
	}
	if action.NeedsProxies() {
		return NeedsProxiesError(action)
	}
	return fmt.Errorf("unknown fault action %q", action)
}

// BrokerIDs lists the node ids.
func (e *Embedded) BrokerIDs() []int32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]int32, 0, len(e.ports))
	for id := int32(0); int(id) < len(e.ports); id++ {
		ids = append(ids, id)
	}
	return ids
}

// Inject removes the broker from the cluster (kill and stop alike: kfake
// keeps no per-node data, so there is nothing to lose or flush) and returns
// how to add it back on its old port; or, for pause, holds every request
// the broker receives until the undo.
func (e *Embedded) Inject(ctx context.Context, f Fault) (Undo, error) {
	if err := e.Supports(f.Action); err != nil {
		return nil, err
	}
	if f.Action == ActionLeaderMove {
		return nil, ErrLeaderMove
	}
	id := f.Broker
	e.mu.Lock()
	port, ok := e.ports[id]
	e.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("embedded cluster has no broker %d; brokers are %v", id, e.BrokerIDs())
	}
	if f.Action == ActionPause {
		return e.pause(id), nil
	}
	if err := e.c.RemoveNode(id); err != nil {
		return nil, fmt.Errorf("remove embedded broker %d: %w", id, err)
	}
	return func(context.Context) error {
		if _, _, err := e.c.AddNode(id, port); err != nil {
			return fmt.Errorf("add embedded broker %d back: %w", id, err)
		}
		return nil
	}, nil
}

// pause stalls node id: a control function sleeps each request the node
// receives until resumed, then lets kfake handle it as usual. Sleeping
// yields kfake's request loop, so the other nodes keep serving.
func (e *Embedded) pause(id int32) Undo {
	resumed := make(chan struct{})
	e.c.Control(func(kmsg.Request) (kmsg.Response, error, bool) {
		select {
		case <-resumed:
			e.c.DropControl()
			return nil, nil, false
		default:
		}
		if e.c.CurrentNode() == id {
			e.c.SleepControl(func() { <-resumed })
		}
		return nil, nil, false
	})
	var once sync.Once
	return func(context.Context) error {
		once.Do(func() { close(resumed) })
		return nil
	}
}
