package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
)

// testAdmin makes the tests' admin clients.
var testAdmin = franz.Driver{}.NewAdmin

// The integration tests run against one local cluster shared by the whole
// package, and are skipped without one:
//   - KBENCH_LOCAL_DIR names the state directory of a running cluster
//     (`kbench cluster up`), which the tests leave running;
//   - KBENCH_LOCAL_START=1 makes TestMain start a cluster and stop it at
//     the end.
var sharedLocal *Cluster

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	switch {
	case os.Getenv("KBENCH_LOCAL_DIR") != "":
		l, err := Open(os.Getenv("KBENCH_LOCAL_DIR"), testAdmin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "KBENCH_LOCAL_DIR:", err)
			return 1
		}
		defer l.Close()
		sharedLocal = l
	case os.Getenv("KBENCH_LOCAL_START") == "1":
		dir, err := os.MkdirTemp("", "kbench-local-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		l, err := Start(context.Background(), Config{Dir: dir, Log: os.Stderr, Admin: testAdmin})
		if err != nil {
			fmt.Fprintln(os.Stderr, "KBENCH_LOCAL_START:", err)
			return 1
		}
		sharedLocal = l
		code := m.Run()
		if err := l.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test cluster:", err)
			code = 1
		}
		if code == 0 {
			os.RemoveAll(dir)
		} else {
			fmt.Fprintln(os.Stderr, "test cluster logs kept in", dir)
		}
		return code
	}
	return m.Run()
}

// localCluster returns the shared cluster, skipping the test without one,
// and makes sure every node is up again when the test ends, pass or fail.
func localCluster(t *testing.T) *Cluster {
	t.Helper()
	if sharedLocal == nil {
		t.Skip("no local cluster: set KBENCH_LOCAL_DIR to a running cluster's directory or KBENCH_LOCAL_START=1")
	}
	l := sharedLocal
	if len(l.BrokerIDs()) < 3 {
		t.Skipf("the local cluster has %d nodes; the tests need 3", len(l.BrokerIDs()))
	}
	t.Cleanup(func() { healLocal(t, l) })
	return l
}

// healLocal resumes paused nodes and restarts stopped ones, then waits
// until the cluster is ready again.
func healLocal(t *testing.T, l *Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, s := range l.Status(ctx) {
		switch {
		case s.Paused:
			if err := l.Resume(s.ID); err != nil {
				t.Errorf("cleanup: resuming broker %d: %v", s.ID, err)
			}
		case !s.Up:
			if err := l.Start(ctx, s.ID); err != nil {
				t.Errorf("cleanup: restarting broker %d: %v", s.ID, err)
			}
		}
	}
	if err := l.WaitReady(ctx); err != nil {
		t.Errorf("cleanup: cluster not ready again: %v", err)
	}
}

func TestLocalReady(t *testing.T) {
	l := localCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Status(ctx) {
		if !s.Up || s.Paused || !s.Registered {
			t.Errorf("node %d: %+v, want up, running and registered", s.ID, s)
		}
	}

	d := l.Describe()
	if d.Kind != "local" || d.KafkaVersion != KafkaVersion {
		t.Errorf("Describe: kind %q version %q, want local %s", d.Kind, d.KafkaVersion, KafkaVersion)
	}
	if !slices.Equal(d.Bootstrap, l.Bootstrap()) || len(d.Nodes) != len(l.BrokerIDs()) {
		t.Errorf("Describe: bootstrap %v, %d nodes; Bootstrap() is %v", d.Bootstrap, len(d.Nodes), l.Bootstrap())
	}
	for i, n := range d.Nodes {
		if n.ID != int32(i+1) || n.Address != l.Bootstrap()[i] || n.Controller == "" || n.LogDirs == "" ||
			!slices.Equal(n.Roles, []string{"broker", "controller"}) {
			t.Errorf("Describe: node %d is %+v", i, n)
		}
	}
	for k, want := range map[string]string{
		"min.insync.replicas":            "2",
		"default.replication.factor":     "3",
		"unclean.leader.election.enable": "false",
		"process.roles":                  "broker,controller",
	} {
		if got := d.BrokerProps[k]; got != want {
			t.Errorf("Describe: broker property %s = %q, want %q", k, got, want)
		}
	}
	if d.LogDir != l.Dir() {
		t.Errorf("Describe: log dir %q, want %q", d.LogDir, l.Dir())
	}

	dst := t.TempDir()
	if err := l.CopyLogs(dst); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dst, "node-1", "server.log")); err != nil || fi.Size() == 0 {
		t.Errorf("CopyLogs: node-1/server.log missing or empty: %v", err)
	}
}

// testTopic creates an RF=3 topic and deletes it when the test ends.
func testTopic(t *testing.T, l *Cluster) string {
	t.Helper()
	adm, err := l.adminClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("kbench-local-%s-%d", strings.NewReplacer("/", ".").Replace(strings.ToLower(t.Name())), time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = adm.CreateTopic(ctx, drivers.TopicSpec{Name: name, Partitions: 6, ReplicationFactor: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := adm.DeleteTopic(ctx, name); err != nil {
			t.Logf("deleting %s: %v", name, err)
		}
	})
	if err := l.WaitInSync(ctx, name); err != nil {
		t.Fatal(err)
	}
	return name
}

// A broker killed or stopped and started again rejoins, and every
// partition of an RF=3 topic gets its full ISR back.
func TestLocalRestart(t *testing.T) {
	for _, action := range []cluster.Action{cluster.ActionKill, cluster.ActionStop} {
		t.Run(string(action), func(t *testing.T) {
			l := localCluster(t)
			topic := testTopic(t, l)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			const id = 2
			before, _, _ := l.pid(id)
			undo, err := l.Inject(ctx, cluster.Fault{Action: action, Broker: id})
			if err != nil {
				t.Fatal(err)
			}
			if s := l.Status(ctx)[id-1]; s.Up {
				t.Fatalf("after %s broker %d is still up: %+v", action, id, s)
			}
			start := time.Now()
			if err := undo(ctx); err != nil {
				t.Fatal(err)
			}
			if err := l.WaitInSync(ctx, topic); err != nil {
				t.Fatal(err)
			}
			t.Logf("broker %d back in sync %.1fs after restart", id, time.Since(start).Seconds())
			if after, up, _ := l.pid(id); !up || after == before {
				t.Errorf("broker %d: pid %d up %v, want a new running process (was %d)", id, after, up, before)
			}
		})
	}
}

func TestLocalPause(t *testing.T) {
	l := localCluster(t)
	topic := testTopic(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const id = 3
	undo, err := l.Inject(ctx, cluster.Fault{Action: cluster.ActionPause, Broker: id})
	if err != nil {
		t.Fatal(err)
	}
	if s := l.Status(ctx)[id-1]; !s.Up || !s.Paused {
		t.Errorf("paused broker %d: %+v, want up and paused", id, s)
	}
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	if s := l.Status(ctx)[id-1]; s.Paused {
		t.Errorf("resumed broker %d still paused: %+v", id, s)
	}
	if err := l.WaitInSync(ctx, topic); err != nil {
		t.Fatal(err)
	}
}

func TestLocalExec(t *testing.T) {
	l := localCluster(t)
	out := filepath.Join(t.TempDir(), "env")
	undo, err := l.Inject(context.Background(), cluster.Fault{Action: cluster.ActionExec, Broker: 1,
		Command: []string{"sh", "-c", `echo "$KBENCH_BROKER_ID $KBENCH_BROKER_ADDR" > ` + out}})
	if err != nil {
		t.Fatal(err)
	}
	if err := undo(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if want := "1 " + l.Bootstrap()[0] + "\n"; string(b) != want {
		t.Errorf("exec saw %q, want %q", b, want)
	}
}

// The tests below need no cluster and run always.

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		// Zero values take the defaults.
		{"defaults", Config{Dir: "x", Admin: testAdmin}, nil},
		// Everything wrong is reported at once.
		{"all wrong", Config{Nodes: -1, HeapMB: 64, BasePort: 80, ReadyTimeout: -time.Second},
			[]string{"Dir is empty", "Admin is nil", "nodes -1", "heap 64", "base port 80", "ready timeout"}},
		// Ports past 65535.
		{"base port too high", Config{Dir: "x", Admin: testAdmin, BasePort: 65532}, []string{"base port 65532"}},
		// Per-node and topology properties belong to kbench.
		{"per-node props", Config{Dir: "x", Admin: testAdmin, BrokerProps: map[string]string{
			"node.id": "1", "listeners": "x", "log.dirs": "/x", "controller.quorum.voters": "x",
			"advertised.listeners": "x", "num.io.threads": "4"}},
			[]string{`"node.id"`, `"listeners"`, `"log.dirs"`, `"controller.quorum.voters"`, `"advertised.listeners"`, "tuning profile"}},
		// A tuning profile may set the rest.
		{"tuning props", Config{Dir: "x", Admin: testAdmin, BrokerProps: map[string]string{
			"num.io.threads": "4", "message.max.bytes": "2097152", "min.insync.replicas": "1"}}, nil},
		// A name that cannot be written to a properties file.
		{"bad name", Config{Dir: "x", Admin: testAdmin, BrokerProps: map[string]string{"a b": "1"}}, []string{`"a b"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "num.io.threads") {
				t.Errorf("error %q refuses num.io.threads, which a profile may set", err)
			}
		})
	}
}

func TestLocalDefaultProps(t *testing.T) {
	for _, tc := range []struct {
		nodes             int
		rf, minISR, uncln string
	}{
		{1, "1", "1", "false"}, // single node: nothing to replicate to
		{3, "3", "2", "false"}, // the HA scenario
		{5, "3", "2", "false"}, // more nodes keep RF 3
	} {
		p := commonProps(tc.nodes, map[string]string{"num.io.threads": "8"})
		if p["default.replication.factor"] != tc.rf || p["offsets.topic.replication.factor"] != tc.rf ||
			p["min.insync.replicas"] != tc.minISR || p["unclean.leader.election.enable"] != tc.uncln {
			t.Errorf("%d nodes: %v", tc.nodes, p)
		}
		if p["num.io.threads"] != "8" {
			t.Errorf("%d nodes: the profile's num.io.threads=8 did not win: %s", tc.nodes, p["num.io.threads"])
		}
	}
}

func TestWriteProperties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "server.properties")
	n := localNode{ID: 2, Port: 9093, ControllerPort: 9096}
	props := nodeProps(map[string]string{"a": `C:\x`, "b": " lead"}, n, "1@127.0.0.1:9095", "/d")
	if err := writeProperties(path, props); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{
		"node.id=2\n",
		"listeners=PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:9096\n",
		"advertised.listeners=PLAINTEXT://127.0.0.1:9093\n",
		"controller.quorum.voters=1@127.0.0.1:9095\n",
		"log.dirs=/d\n",
		`a=C:\\x` + "\n",
		`b=\ lead` + "\n",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("server.properties lacks %q:\n%s", want, b)
		}
	}
}

func TestJavaMajor(t *testing.T) {
	for out, want := range map[string]int{
		`openjdk version "17.0.15" 2025-04-15`: 17,
		`java version "1.8.0_392"`:             8, // the old 1.x scheme
		`openjdk version "21" 2023-09-19`:      21,
	} {
		if got, err := javaMajor(out); err != nil || got != want {
			t.Errorf("javaMajor(%q) = %d, %v; want %d", out, got, err, want)
		}
	}
	if _, err := javaMajor("garbage"); err == nil {
		t.Error("javaMajor(garbage): no error")
	}
}

func TestFindJavaMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("JAVA_HOME", "")
	_, err := FindJava(context.Background())
	if err == nil || !strings.Contains(err.Error(), "java not found") || !strings.Contains(err.Error(), "Java 17") {
		t.Fatalf("err = %v, want java not found, install Java 17", err)
	}
}

func TestFindJavaTooOld(t *testing.T) {
	bin := t.TempDir()
	fake := "#!/bin/sh\necho 'java version \"1.8.0_392\"' >&2\n"
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("JAVA_HOME", "")
	_, err := FindJava(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is Java 8") {
		t.Fatalf("err = %v, want Java 8 refused", err)
	}
}

func TestFetchKafkaNoMaven(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("KBENCH_CACHE", t.TempDir())
	_, err := FetchKafka(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "install Maven") {
		t.Fatalf("err = %v, want mvn not found, install Maven", err)
	}
}

func TestFetchKafkaCached(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("KBENCH_CACHE", cache)
	t.Setenv("PATH", t.TempDir()) // no mvn: a complete cache must not need it
	dir := filepath.Join(cache, "kafka-"+KafkaVersion)
	os.MkdirAll(filepath.Join(dir, "libs"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, completeMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	libs, err := FetchKafka(context.Background(), nil)
	if err != nil || libs != filepath.Join(dir, "libs") {
		t.Fatalf("FetchKafka = %q, %v; want %s", libs, err, filepath.Join(dir, "libs"))
	}
}

func TestClusterID(t *testing.T) {
	// One id in 64 would start with '-' if drawn naively; 1000 draws
	// would all but surely hit one.
	for range 1000 {
		id, err := newClusterID()
		if err != nil || len(id) != 22 || strings.ContainsAny(id, "+/=") || id[0] == '-' {
			t.Fatalf("cluster id %q, %v: want 22 base64url characters, no leading '-'", id, err)
		}
	}
}

func TestPickPorts(t *testing.T) {
	ports, err := pickPorts(0, 6)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(ports); len(slices.Compact(ports)) != 6 {
		t.Errorf("free ports not distinct: %v", ports)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port
	if _, err := pickPorts(busy, 2); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("base port %d in use: err = %v", busy, err)
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := Open(t.TempDir(), testAdmin)
	if !errors.Is(err, ErrNoCluster) {
		t.Fatalf("err = %v, want ErrNoCluster", err)
	}
}

// A direct cluster supports every action but the network faults; a
// proxied one every action.
func TestLocalSupports(t *testing.T) {
	var l Cluster
	proxied := Cluster{net: &localNet{}}
	for _, a := range cluster.Actions() {
		if err := proxied.Supports(a); err != nil {
			t.Errorf("proxied: Supports(%s): %v", a, err)
		}
		if err := l.Supports(a); (err != nil) != a.NeedsProxies() {
			t.Errorf("direct: Supports(%s): %v", a, err)
		}
	}
	if err := l.Supports("netsplit"); err == nil {
		t.Error("Supports(netsplit): no error")
	}
}

// StopLeftover kills a process whose command line names a node's
// properties file, as a crashed kbench would leave one, and nothing else.
func TestStopLeftover(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc")
	}
	dir := t.TempDir()
	node := filepath.Join(dir, "node-1")
	os.MkdirAll(node, 0o755)
	props := filepath.Join(node, "server.properties")
	// "; :" keeps sh from exec'ing sleep, so props stays in its argv.
	cmd := exec.Command("sh", "-c", "sleep 30; :", props)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	os.WriteFile(filepath.Join(node, "kafka.pid"), fmt.Appendf(nil, "%d\n", cmd.Process.Pid), 0o644)
	// A pid file naming a process that is not ours is left alone.
	other := filepath.Join(dir, "node-2")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "kafka.pid"), fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644)

	pids, err := StopLeftover(dir)
	if err != nil || !slices.Equal(pids, []int{cmd.Process.Pid}) {
		t.Fatalf("StopLeftover = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("leftover process still running")
	}
}

// A broker that cannot start fails Start at once, and the error
// carries its log.
func TestStartBrokerFails(t *testing.T) {
	if sharedLocal == nil {
		t.Skip("integration test: set KBENCH_LOCAL_START=1 or KBENCH_LOCAL_DIR")
	}
	dir := t.TempDir()
	start := time.Now()
	l, err := Start(context.Background(), Config{
		Dir: dir, Nodes: 1, HeapMB: 256, Admin: testAdmin,
		// Parsed fine (so the storage tool formats), loaded at start.
		BrokerProps: map[string]string{"authorizer.class.name": "org.example.NoSuchAuthorizer"},
	})
	if err == nil {
		l.Close()
		t.Fatal("Start with a missing authorizer class succeeded")
	}
	if !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "NoSuchAuthorizer") {
		t.Errorf("error does not say the broker exited and why:\n%v", err)
	}
	if time.Since(start) > 60*time.Second {
		t.Errorf("took %v to notice the broker died", time.Since(start))
	}
	if pids, _ := runningNodes(dir); len(pids) > 0 {
		t.Errorf("brokers left running: %v", pids)
	}
}

func TestLinePrefixer(t *testing.T) {
	var b strings.Builder
	p := &linePrefixer{w: &b, prefix: "mvn: "}
	p.Write([]byte("[INFO] one\r\n\x1b[0m\x1b[0m\n[INFO] t"))
	p.Write([]byte("wo"))
	p.Flush()
	if want := "mvn: [INFO] one\nmvn: [INFO] two\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
