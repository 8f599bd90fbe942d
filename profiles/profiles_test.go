package profiles

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestShippedTuningProfiles(t *testing.T) {
	want := []string{"durable", "fast-failover", "fire-and-forget", "low-latency", "throughput"}
	if got := TuningNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("TuningNames() = %v, want %v", got, want)
	}
	for _, name := range want {
		tu, err := LoadTuning(name)
		if err != nil {
			t.Fatalf("LoadTuning(%q): %v", name, err)
		}
		if tu.Name != name {
			t.Errorf("LoadTuning(%q).Name = %q", name, tu.Name)
		}
	}
	// The properties each profile exists for.
	checks := []struct {
		profile, section, key, want string
	}{
		{"durable", "producer", "acks", "all"},
		{"durable", "producer", "enable.idempotence", "true"},
		{"durable", "producer", "max.in.flight.requests.per.connection", "5"},
		{"durable", "producer", "retries", "2147483647"},
		{"durable", "topic", "min.insync.replicas", "2"},
		{"durable", "broker", "min.insync.replicas", "2"},
		{"durable", "broker", "unclean.leader.election.enable", "false"},
		{"throughput", "producer", "acks", "1"},
		{"throughput", "producer", "compression.type", "lz4"},
		{"throughput", "producer", "linger.ms", "20"},
		{"throughput", "producer", "batch.size", "524288"},
		{"throughput", "consumer", "fetch.min.bytes", "1048576"},
		{"low-latency", "producer", "linger.ms", "0"},
		{"low-latency", "producer", "acks", "1"},
		{"low-latency", "consumer", "fetch.max.wait.ms", "5"},
		{"fire-and-forget", "producer", "acks", "0"},
		{"fire-and-forget", "producer", "enable.idempotence", "false"},
		{"fire-and-forget", "producer", "retries", "0"},
	}
	for _, c := range checks {
		tu, _ := LoadTuning(c.profile)
		got := map[string]map[string]string{"broker": tu.Broker, "topic": tu.Topic, "producer": tu.Producer, "consumer": tu.Consumer}[c.section][c.key]
		if got != c.want {
			t.Errorf("%s: %s.%s = %q, want %q", c.profile, c.section, c.key, got, c.want)
		}
	}
	if d, _ := LoadTuning("durable"); d.ReplicationFactor != 3 {
		t.Errorf("durable replicationFactor = %d, want 3", d.ReplicationFactor)
	}
}

func TestLoadTuningErrors(t *testing.T) {
	tests := []struct {
		name string
		arg  string
		want []string // substrings of the error
	}{
		// Every problem of a file at once, each with file and field path.
		{"bad file", "testdata/bad-sections.yaml", []string{
			"testdata/bad-sections.yaml: produser: unknown section; use broker, topic, producer or consumer",
			"producer.linger.ms: value is empty",
			"consumer.fetch.min.bytes: value must be a single value",
			`replicationFactor: "three" is not a positive whole number`,
		}},
		// A name that is not shipped lists the shipped ones.
		{"unknown name", "durabel", []string{`"durabel" is not shipped`, "durable, fast-failover, fire-and-forget"}},
		// A missing file says so with its path.
		{"missing file", "testdata/nope.yaml", []string{"testdata/nope.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTuning(tt.arg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestUnknownSectionMessage(t *testing.T) {
	_, err := parseTuning("durable.yaml", "durable", []byte("produser:\n  acks: all\n"))
	want := "durable.yaml: produser: unknown section; use broker, topic, producer or consumer"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want prefix %q", err, want)
	}
}

func TestLoadOMBDriverFile(t *testing.T) {
	tu, err := LoadTuning("testdata/omb-kafka-throughput.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Tuning{
		Name:   "omb-kafka-throughput",
		Broker: map[string]string{},
		Topic:  map[string]string{"min.insync.replicas": "2"},
		// producerConfig wins over commonConfig for request.timeout.ms.
		Producer: map[string]string{"acks": "all", "linger.ms": "10", "batch.size": "1048576", "request.timeout.ms": "30000"},
		Consumer: map[string]string{"auto.offset.reset": "earliest", "enable.auto.commit": "false",
			"max.partition.fetch.bytes": "10485760", "request.timeout.ms": "120000"},
		ReplicationFactor: 3,
		Notes:             []string{"testdata/omb-kafka-throughput.yaml: commonConfig: bootstrap.servers=broker-1:9092,broker-2:9092 dropped; the run's target sets the address"},
	}
	if !reflect.DeepEqual(tu, want) {
		t.Errorf("got  %+v\nwant %+v", tu, want)
	}
}

func TestOMBErrors(t *testing.T) {
	doc := "driverClass: x\nproducerConfig: |\n  acks=all\n  nonsense\nworkers: 3\n"
	_, err := parseTuning("d.yaml", "d", []byte(doc))
	for _, w := range []string{`d.yaml: producerConfig line 2: "nonsense" is not key=value`, "d.yaml: workers: unknown field of an OpenMessaging Benchmark driver file"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestCompose(t *testing.T) {
	durable, _ := LoadTuning("durable")
	mine, err := LoadTuning("testdata/mine.yaml")
	if err != nil {
		t.Fatal(err)
	}
	throughput, _ := LoadTuning("throughput")
	c := Compose(durable, nil, throughput, mine)
	if c.Name != "durable+throughput+mine" {
		t.Errorf("Name = %q", c.Name)
	}
	for k, want := range map[string]string{
		"acks":               "1",    // throughput over durable
		"enable.idempotence": "true", // only durable sets it
		"linger.ms":          "5",    // mine over throughput
		"compression.type":   "zstd",
		"batch.size":         "524288",
	} {
		if got := c.Producer[k]; got != want {
			t.Errorf("producer %s = %q, want %q", k, got, want)
		}
	}
	if c.ReplicationFactor != 3 || c.Partitions != 12 {
		t.Errorf("replicationFactor, partitions = %d, %d; want 3, 12", c.ReplicationFactor, c.Partitions)
	}
	c.Producer["acks"] = "0"
	if durable.Producer["acks"] != "all" || throughput.Producer["acks"] != "1" {
		t.Error("changing the composed profile changed an input")
	}
	if e := Compose(); e.Name != "" || e.Producer == nil {
		t.Errorf("Compose() = %+v, want empty with maps", e)
	}
}

func TestLoadHardware(t *testing.T) {
	if got := HardwareNames(); !reflect.DeepEqual(got, []string{"cloud-3-broker", "laptop"}) {
		t.Errorf("HardwareNames() = %v", got)
	}
	hw, err := LoadHardware("cloud-3-broker")
	if err != nil {
		t.Fatal(err)
	}
	if hw.Name != "cloud-3-broker" || hw.Brokers != 3 || hw.Host.CPUs != 8 || hw.Host.MemoryMiB != 32768 ||
		len(hw.Host.Disks) != 1 || hw.Host.Disks[0].Rotational {
		t.Errorf("cloud-3-broker = %+v", hw)
	}
	_, err = LoadHardware("testdata/bad-hardware.yaml")
	if err == nil || !strings.Contains(err.Error(), "testdata/bad-hardware.yaml") || !strings.Contains(err.Error(), "cpu") {
		t.Errorf("bad hardware file: err = %v, want the file and the unknown field", err)
	}
	// A profile without a name takes its file's.
	dir := t.TempDir()
	p := filepath.Join(dir, "rack-a.yml")
	if err := os.WriteFile(p, []byte("brokers: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if hw, err := LoadHardware(p); err != nil || hw.Name != "rack-a" || hw.Brokers != 5 {
		t.Errorf("LoadHardware(%s) = %+v, %v", p, hw, err)
	}
}

func TestDetectHostFromFakeRoot(t *testing.T) {
	h := detectHost("testdata/host")
	want := results.Host{
		Hostname:  h.Hostname,
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		Kernel:    "6.8.0-test",
		CPUModel:  "Test CPU @ 3.00GHz",
		CPUs:      runtime.NumCPU(),
		MemoryMiB: 16384,
		// loop0 and ram0 are not disks.
		Disks: []results.Disk{
			{Name: "nvme0n1", SizeGiB: 476, Rotational: false},
			{Name: "sda", SizeGiB: 1863, Rotational: true},
		},
		Go: runtime.Version(),
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("got  %+v\nwant %+v", h, want)
	}
}

func TestDetectHostWithNothingToRead(t *testing.T) {
	h := detectHost(t.TempDir())
	if h.CPUs == 0 || h.Go == "" || h.Kernel != "" || h.CPUModel != "" || h.MemoryMiB != 0 || h.Disks != nil {
		t.Errorf("empty root: %+v", h)
	}
}

func TestDetectHostDoesNotFail(t *testing.T) {
	h := DetectHost(true)
	if h.OS != runtime.GOOS || h.CPUs < 1 {
		t.Errorf("DetectHost() = %+v", h)
	}
}

func TestJavaPropertiesContinuation(t *testing.T) {
	props, errs := javaProperties("f.yaml", "commonConfig",
		"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\\n  username=\"u\" password=\"p=q\";\nacks=all\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p=q";`
	if props["sasl.jaas.config"] != want || props["acks"] != "all" || len(props) != 2 {
		t.Errorf("got %q", props)
	}
}

// A hardware profile with a value of the wrong kind is refused naming the
// field and what it wants, not a Go type.
func TestLoadHardwareSaysWhatIsWanted(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		text string
		// want is part of the error.
		want string
	}{
		{"host:\n  - a\n", "host: want a mapping of fields, got a list"},
		{"host:\n  cpus: many\n", `host.cpus: want a whole number, got "many"`},
		{"brokers: [1]\n", "brokers: want a whole number, got a list"},
		{"host:\n  disks:\n    - rotational: maybe\n", `host.disks[0].rotational: want true or false, got "maybe"`},
		{"host:\n  cpu: 8\n", "host.cpu: unknown field (host has hostname, os, arch, kernel, cpuModel, cpus, memoryMiB, disks, java)"},
	} {
		p := filepath.Join(dir, "hw.yaml")
		if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadHardware(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "struct") {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.want)
		}
	}
}

// In a container the memory is its cgroup's limit when that is below the
// machine's: cgroup v2's memory.max on the process's cgroup or an
// ancestor, v1's memory.limit_in_bytes.
func TestDetectHostCgroupMemory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"v2 limit", map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "2147483648\n"}, 2048},
		{"v2 no limit", map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "max\n"}, 16384},
		{"v2 ancestor's limit is smaller", map[string]string{"proc/self/cgroup": "0::/kubepods/pod1/c1\n",
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": "max\n", "sys/fs/cgroup/kubepods/pod1/memory.max": "1073741824\n"}, 1024},
		{"v2 limit above the machine's memory", map[string]string{"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "1099511627776\n"}, 16384},
		{"v1 limit", map[string]string{"proc/self/cgroup": "12:cpu,cpuacct:/\n5:memory:/docker/abc\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912\n"}, 512},
		{"v1 no limit", map[string]string{"proc/self/cgroup": "5:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 16384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tc.files["proc/meminfo"] = "MemTotal:       16777216 kB\n"
			for name, text := range tc.files {
				p := filepath.Join(root, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := detectHost(root).MemoryMiB; got != tc.want {
				t.Errorf("MemoryMiB = %d, want %d", got, tc.want)
			}
		})
	}
}

// OMB's useTransactions makes the run transactional, its batchSize the
// messages per transaction.
func TestOMBTransactions(t *testing.T) {
	tu, err := LoadTuning("testdata/omb/transactions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !tu.UseTransactions || tu.TransactionSize != 2500 {
		t.Errorf("useTransactions %v, transaction size %d; want true and 2500", tu.UseTransactions, tu.TransactionSize)
	}
	if !strings.Contains(strings.Join(tu.Notes, "\n"), "maxConcurrentTransactions=10 not applicable") {
		t.Errorf("notes %q do not mention maxConcurrentTransactions", tu.Notes)
	}
}
