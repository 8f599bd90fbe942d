package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/clustertest"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/internal/redact"
	"github.com/kbench/kbench/results"
)

// secured is a SASL_SSL local cluster this package's integration tests
// share, started by TestMain when KBENCH_LOCAL_DIR says Apache Kafka can
// run here (the shared test cluster is plaintext); nil otherwise.
var secured *local.Cluster

// TestMain also lets the test binary stand in for kbench when a test
// starts shard processes (--local-shards runs this executable).
func TestMain(m *testing.M) {
	if os.Getenv("KBENCH_AS_MAIN") == "1" {
		os.Exit(realMain(os.Args[1:]))
	}
	os.Exit(clustertest.Main(m, "secured", local.Config{Security: cluster.SecuritySASLSSL},
		func(l *local.Cluster) { secured = l }))
}

func needSecured(t *testing.T) {
	t.Helper()
	if secured == nil {
		t.Skip("no Apache Kafka here: set KBENCH_LOCAL_DIR (make test does)")
	}
}

// clientConfig returns the secured cluster's client properties file, and
// its SCRAM password.
func clientConfig(t *testing.T) (text, password string) {
	t.Helper()
	data, err := os.ReadFile(secured.ClientConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`password="([^"]+)"`).FindStringSubmatch(string(data))
	if m == nil {
		t.Fatalf("no password in %s", secured.ClientConfigPath())
	}
	return string(data), m[1]
}

// writeFile writes text to a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readResult(t *testing.T, path string) *results.Run {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r results.Run
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestSecuredRunBothDrivers(t *testing.T) {
	needSecured(t)
	for _, drv := range all.Names() {
		t.Run(drv, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			code, _, _ := kbench(t, "run", "--client-config", secured.ClientConfigPath(), "--driver", drv,
				"--workload", "smoke", "--messages", "3000", "-q", "-o", out)
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			r := readResult(t, out)
			if r.Summary.ConsumedMessages != 3000 || r.Verify == nil || r.Verify.Lost != 0 {
				t.Errorf("consumed %d of 3000, verify %+v", r.Summary.ConsumedMessages, r.Verify)
			}
			if r.Client.Producer["sasl.jaas.config"] != redact.Placeholder {
				t.Errorf("the result does not record that the login was set: %q", r.Client.Producer["sasl.jaas.config"])
			}
		})
	}
}

func TestSecuredWrongPasswordAndMissingCA(t *testing.T) {
	needSecured(t)
	text, password := clientConfig(t)
	dir := t.TempDir()
	wrong := writeFile(t, dir, "wrong.properties", strings.ReplaceAll(text, password, "not-"+password))
	var noCA []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "ssl.truststore.") {
			noCA = append(noCA, line)
		}
	}
	missingCA := writeFile(t, dir, "noca.properties", strings.Join(noCA, "\n"))
	for _, drv := range all.Names() {
		for _, tc := range []struct {
			name, file string
			want       *regexp.Regexp
		}{
			{"wrong password", wrong, regexp.MustCompile(`(?i)authentication failed`)},
			{"missing CA", missingCA, regexp.MustCompile(`TLS|tls:`)},
		} {
			t.Run(drv+"/"+tc.name, func(t *testing.T) {
				start := time.Now()
				code, _, stderr := kbench(t, "run", "--client-config", tc.file, "--driver", drv,
					"--workload", "smoke", "-q", "-o", filepath.Join(t.TempDir(), "r.json"))
				if took := time.Since(start); took > 30*time.Second {
					t.Errorf("took %v, want under 30s", took.Round(time.Second))
				}
				if code != exitFailed || !tc.want.MatchString(stderr) {
					t.Errorf("exit %d, stderr does not match %s:\n%s", code, tc.want, stderr)
				}
				if strings.Contains(stderr, password) {
					t.Error("stderr shows the password")
				}
			})
		}
	}
}

// TestSecretsNeverLeak gives a secret through every route (profile,
// workload file, --set, client config file, environment) and looks for it
// in what kbench writes: the result, both reports, a sweep's index and
// file names, and the stderr of a failed run.
func TestSecretsNeverLeak(t *testing.T) {
	needSecured(t)
	text, password := clientConfig(t)
	dir := t.TempDir()
	secrets := map[string]string{
		"profile":  "profile-secret-4f1a",
		"workload": "workload-secret-9c2e",
		"set":      "set-secret-77d0",
		"env":      password,
	}
	t.Setenv("KB_TEST_SCRAM_PASSWORD", password)
	cc := writeFile(t, dir, "client.properties", strings.ReplaceAll(text, password, "${KB_TEST_SCRAM_PASSWORD}"))
	profile := writeFile(t, dir, "secret-profile.yaml", "producer:\n  ssl.keystore.password: "+secrets["profile"]+"\n")
	workload := writeFile(t, dir, "secret-workload.yaml", "name: secret\ntopics: 1\npartitionsPerTopic: 1\nmessageSize: 100\n"+
		"producersPerTopic: 1\nsubscriptionsPerTopic: 1\nconsumerPerSubscription: 1\nproducerRate: 0\nmessages: 500\n"+
		"consumer:\n  ssl.truststore.password: "+secrets["workload"]+"\n")
	args := []string{"--client-config", cc, "--profile", profile, "--workload", workload,
		"--set", "producer.ssl.key.password=" + secrets["set"], "-q"}

	leaks := func(what, text string) {
		t.Helper()
		for route, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret given through the %s", what, route)
			}
		}
	}
	out := filepath.Join(dir, "run.json")
	code, stdout, stderr := kbench(t, append([]string{"run", "-o", out}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	leaks("run output", stdout+stderr)
	data, _ := os.ReadFile(out)
	leaks("the result", string(data))
	r := readResult(t, out)
	if r.Client.Producer["ssl.key.password"] != redact.Placeholder || r.Client.Producer["ssl.keystore.password"] != redact.Placeholder {
		t.Errorf("the result does not record that the secrets were set: %v", r.Client.Producer)
	}

	html := filepath.Join(dir, "report.html")
	if code, _, _ := kbench(t, "report", "-o", html, out); code != exitOK {
		t.Fatalf("html report: exit %d", code)
	}
	data, _ = os.ReadFile(html)
	leaks("the HTML report", string(data))
	_, md, _ := kbench(t, "report", out)
	leaks("the markdown report", md)

	sweepDir := filepath.Join(dir, "sweep")
	code, stdout, stderr = kbench(t, append([]string{"sweep", "-o", sweepDir, "--vary", "producer.sasl.password=" + password + ",x" + password}, args...)...)
	leaks("sweep output", stdout+stderr)
	if code == exitUsage {
		t.Fatalf("sweep refused: exit %d", code)
	}
	entries, _ := os.ReadDir(sweepDir)
	for _, e := range entries {
		leaks("a sweep file name", e.Name())
	}
	data, err := os.ReadFile(filepath.Join(sweepDir, results.SweepIndexFile))
	if err != nil {
		t.Fatal(err)
	}
	leaks("the sweep index", string(data))

	t.Setenv("KB_TEST_SCRAM_PASSWORD", "wrong-"+password)
	code, _, stderr = kbench(t, append([]string{"run", "-o", filepath.Join(dir, "failed.json")}, args...)...)
	if code != exitFailed {
		t.Errorf("a wrong password: exit %d, want %d", code, exitFailed)
	}
	leaks("the failed run's stderr", stderr)
}

// TestExistingTopicOneSided writes an existing topic with a producer-only
// run and reads it back with a consumer-only run; the topic and its data
// stay.
func TestExistingTopicOneSided(t *testing.T) {
	needSecured(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	adm, err := all.ProbeAdmin(ctx, drivers.AdminConfig{Bootstrap: secured.Bootstrap(), Props: secured.ClientProps()})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	topic := fmt.Sprintf("existing-%d", time.Now().UnixNano())
	if err := adm.CreateTopic(ctx, drivers.TopicSpec{Name: topic, Partitions: 3, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	defer adm.DeleteTopic(context.Background(), topic)
	stored := func() int64 {
		t.Helper()
		ends, err := adm.EndOffsets(ctx, topic)
		if err != nil {
			t.Fatalf("the existing topic is gone: %v", err)
		}
		var n int64
		for _, e := range ends {
			n += e
		}
		return n
	}
	dir := t.TempDir()
	run := func(name string, args ...string) (int, *results.Run) {
		out := filepath.Join(dir, name+".json")
		code, _, _ := kbench(t, append([]string{"run", "--client-config", secured.ClientConfigPath(), "--workload", "smoke", "--topic", topic, "-q", "-o", out}, args...)...)
		if code != exitOK {
			return code, nil
		}
		return code, readResult(t, out)
	}

	if code, r := run("produce", "--messages", "3000", "--set", "subscriptionsPerTopic=0"); code != exitOK || r.Summary.ProducedMessages != 3000 {
		t.Fatalf("producer-only run: exit %d", code)
	}
	if n := stored(); n != 3000 {
		t.Fatalf("after the producer-only run the topic holds %d records, want 3000", n)
	}
	code, r := run("consume", "--messages", "3000", "--set", "producersPerTopic=0", "--duration", "2m")
	if code != exitOK {
		t.Fatalf("consumer-only run: exit %d", code)
	}
	if r.Summary.ConsumedMessages != 3000 || r.Summary.E2ELatencyMs.Count == 0 || !strings.Contains(r.Verify.OffsetCheck, "consumer-only") {
		t.Errorf("consumer-only run read %d of 3000 records (e2e count %d); offset check %q",
			r.Summary.ConsumedMessages, r.Summary.E2ELatencyMs.Count, r.Verify.OffsetCheck)
	}
	if n := stored(); n != 3000 {
		t.Errorf("after the consumer-only run the topic holds %d records, want 3000", n)
	}
	if code, _ := run("both"); code != exitUsage {
		t.Errorf("producing and consuming an existing topic: exit %d, want %d", code, exitUsage)
	}
	if code, _ := run("missing", "--topic", topic+"-missing", "--set", "subscriptionsPerTopic=0"); code != exitUsage {
		t.Errorf("a missing topic: exit %d, want %d", code, exitUsage)
	}
}

func TestBacklogRun(t *testing.T) {
	needSecured(t)
	out := filepath.Join(t.TempDir(), "backlog.json")
	// 4 MiB of 1 KiB messages at 2000/s: built in about 2 s, drained while
	// production goes on for 12 s.
	code, _, _ := kbench(t, "run", "--client-config", secured.ClientConfigPath(), "--workload", "smoke",
		"--set", "messageSize=1024", "--set", "consumerBacklogSizeGB=0.00390625", "--rate", "2000", "--duration", "12s", "-q", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	r := readResult(t, out)
	b := r.Summary.Backlog
	if b == nil {
		t.Fatal("no backlog in the result")
	}
	t.Logf("backlog: %+v", *b)
	if b.BuiltBytes < 4<<20 || b.BuildS <= 0 || b.CatchUpS <= 0 || b.DrainRateMsgs <= 0 || b.DrainRateMiB <= 0 {
		t.Errorf("backlog figures missing: %+v", *b)
	}
	// Draining while producing, the consumers read faster than the 2000
	// msgs/s produced.
	if b.DrainRateMsgs <= 2000 {
		t.Errorf("drain rate %.0f msgs/s, want above the production rate", b.DrainRateMsgs)
	}
	if r.Verify == nil || r.Verify.Lost != 0 || r.Summary.ConsumedMessages != r.Summary.ProducedMessages {
		t.Errorf("consumed %d of %d, verify %+v", r.Summary.ConsumedMessages, r.Summary.ProducedMessages, r.Verify)
	}
}
