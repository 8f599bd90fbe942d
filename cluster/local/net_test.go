package local

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
)

// echoServer accepts connections on 127.0.0.1 and echoes what it reads,
// until the test ends; it returns its port.
func echoServer(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// testNet starts the proxies of 3 nodes whose client and controller
// listeners are echo servers.
func testNet(t testing.TB) (*localNet, []localNode) {
	t.Helper()
	var nodes []localNode
	for id := int32(1); id <= 3; id++ {
		nodes = append(nodes, localNode{ID: id, Port: echoServer(t), ControllerPort: echoServer(t)})
	}
	ln, err := startLocalNet(nodes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ln.stop)
	return ln, nodes
}

// roundTrip sends a line through port and returns how long the echo took,
// or an error if none came back within wait.
func roundTrip(c net.Conn, wait time.Duration) (time.Duration, error) {
	start := time.Now()
	c.SetDeadline(start.Add(wait))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return 0, err
	}
	_, err := io.ReadFull(c, make([]byte, 5))
	return time.Since(start), err
}

func dial(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A partition cuts the broker's controller links and not its clients';
// its undo lets new connections through again. Isolate cuts clients too.
func TestNetPartitionAndIsolate(t *testing.T) {
	ln, nodes := testNet(t)
	ctrl := ln.proxy(cluster.LinkController, 2, 1).port // node 2 to controller 1
	undo, err := ln.inject(cluster.Fault{Action: cluster.ActionPartition, Broker: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(dial(t, ctrl), 300*time.Millisecond); err == nil {
		t.Error("partition: a controller link to the broker still carries bytes")
	}
	if _, err := roundTrip(dial(t, nodes[0].ProxyPort), 2*time.Second); err != nil {
		t.Errorf("partition: clients cannot reach the broker: %v", err)
	}
	if err := undo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(dial(t, ctrl), 2*time.Second); err != nil {
		t.Errorf("after the partition's undo: %v", err)
	}

	if _, err := ln.inject(cluster.Fault{Action: cluster.ActionIsolate, Broker: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(dial(t, nodes[0].ProxyPort), 300*time.Millisecond); err == nil {
		t.Error("isolate: clients still reach the broker")
	}
	// Stopping the network undoes what is left in place.
	if err := ln.heal(); err != nil {
		t.Fatal(err)
	}
	if _, err := roundTrip(dial(t, nodes[0].ProxyPort), 2*time.Second); err != nil {
		t.Errorf("after heal: %v", err)
	}
}

// Latency delays what the broker receives, once per round trip; reset
// drops established connections.
func TestNetLatencyAndReset(t *testing.T) {
	ln, nodes := testNet(t)
	c := dial(t, nodes[1].ProxyPort)
	undo, err := ln.inject(cluster.Fault{Action: cluster.ActionLatency, Broker: 2, Delay: 100 * time.Millisecond, Links: []cluster.Link{cluster.LinkClient}})
	if err != nil {
		t.Fatal(err)
	}
	if rtt, err := roundTrip(c, 2*time.Second); err != nil || rtt < 100*time.Millisecond || rtt > 400*time.Millisecond {
		t.Errorf("latency 100ms: round trip %v (%v), want about 100ms", rtt, err)
	}
	undo(context.Background())
	if rtt, err := roundTrip(c, 2*time.Second); err != nil || rtt > 50*time.Millisecond {
		t.Errorf("after undo: round trip %v (%v)", rtt, err)
	}

	undo, err = ln.inject(cluster.Fault{Action: cluster.ActionReset, Broker: 2, Every: time.Hour, Links: []cluster.Link{cluster.LinkClient}})
	if err != nil {
		t.Fatal(err)
	}
	defer undo(context.Background())
	if _, err := roundTrip(c, time.Second); err == nil {
		t.Error("reset: the connection survived")
	}
	if _, err := roundTrip(dial(t, nodes[1].ProxyPort), 2*time.Second); err != nil {
		t.Errorf("reset: a new connection fails: %v", err)
	}
}

// route advertises the proxies: clients reach node 1 through its client
// proxy, node 2 replicates from node 1 through the proxy from 2 to 1, and
// node 1's voters are the proxies from it to the other controllers.
func TestNetRoute(t *testing.T) {
	ln, nodes := testNet(t)
	n := nodes[0]
	props := nodeProps(localDefaultProps(3), n, "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3", "/data")
	ln.route(props, n, nodes)
	has := func(key, want string) {
		t.Helper()
		if !slices.Contains(strings.Split(props[key], ","), want) {
			t.Errorf("%s = %s, want it to hold %s", key, props[key], want)
		}
	}
	has("advertised.listeners", fmt.Sprintf("PLAINTEXT://127.0.0.1:%d", n.ProxyPort))
	has("advertised.listeners", fmt.Sprintf("REPLICATION_FROM_2://127.0.0.1:%d", ln.proxy(cluster.LinkReplication, 2, 1).port))
	has("advertised.listeners", fmt.Sprintf("REPLICATION_FROM_1://127.0.0.1:%d", ln.repl[1][1]))
	has("listeners", fmt.Sprintf("REPLICATION_FROM_3://127.0.0.1:%d", ln.repl[1][3]))
	has("listener.security.protocol.map", "REPLICATION_FROM_3:PLAINTEXT")
	has("controller.quorum.voters", fmt.Sprintf("2@127.0.0.1:%d", ln.proxy(cluster.LinkController, 1, 2).port))
	has("controller.quorum.voters", fmt.Sprintf("1@127.0.0.1:%d", n.ControllerPort))
	if props["inter.broker.listener.name"] != "REPLICATION_FROM_1" {
		t.Errorf("inter.broker.listener.name = %s", props["inter.broker.listener.name"])
	}
}

// The proxies' own cost per round trip of a small message, against the
// same echo server reached directly: go test -bench Proxy ./cluster.
func BenchmarkProxyRoundTrip(b *testing.B) {
	_, nodes := testNet(b)
	for _, bc := range []struct {
		name string
		port int
	}{{"direct", nodes[0].Port}, {"proxied", nodes[0].ProxyPort}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := net.Dial("tcp", addr(bc.port))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			for b.Loop() {
				if _, err := roundTrip(c, time.Second); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
