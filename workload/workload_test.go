package workload

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/workloads"
)

func TestOMBWorkloadLoads(t *testing.T) {
	w, err := LoadWorkload("testdata/omb-1-topic-16-partitions-1kb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Resolve(); err != nil {
		t.Fatal(err)
	}
	if w.PartitionsPerTopic != 16 || w.ProducerRate != 50000 || w.Duration.D() != 15*time.Minute || w.Warmup.D() != time.Minute {
		t.Errorf("OMB fields not read: %+v", w)
	}
}

func TestShippedWorkloadsResolve(t *testing.T) {
	for _, name := range workloads.Names() {
		data, _ := workloads.Lookup(name)
		w, err := ParseWorkload(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := w.Resolve(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		// An unknown field, with a hint for a case slip.
		{"messagesize: 10\nmessages: 1", []string{"messagesize: unknown field; did you mean messageSize?"}},
		// Wrong types, each reported.
		{"topics: two\nproducerRate: fast\nmessages: 1", []string{"topics: want an integer", "producerRate: want a number"}},
		// Nested paths.
		{"producer: [1]\nfaults:\n  - at: soon", []string{"producer: want a mapping", "faults[0].at: want a duration"}},
	} {
		_, err := ParseWorkload([]byte(tc.doc))
		if err == nil {
			t.Errorf("%q: no error", tc.doc)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %q lacks %q", tc.doc, err, want)
			}
		}
	}
}

func TestResolveListsEveryProblem(t *testing.T) {
	w := &Workload{
		MessageSize:  -1,
		ProducerRate: -5,
		Messages:     10,
		Pacing:       "busy",
		// A typo, not a benchmark: refused before any topic is made.
		PartitionsPerTopic: 10_000_000,
		Producer:           map[string]string{"acks": "2", "enable.idempotence": "true"},
		Consumer:           map[string]string{"group.id": "shared"},
		Faults: []FaultSpec{{Action: "explode", Target: "broker:x"},
			{Action: "leader-move", Target: "broker:1", Duration: Duration(time.Second)}},
	}
	err := w.Resolve()
	if _, ok := err.(interface{ Unwrap() []error }); !ok {
		t.Fatalf("error %v does not list its problems", err)
	}
	for _, want := range []string{
		"messageSize: must be at least 24",
		"producerRate: must not be negative",
		"pacing: unknown pacing \"busy\"; use sleep",
		"partitionsPerTopic: at most 100000 partitions over all topics",
		"producer.acks: must be 0, 1 or all",
		"producer.enable.idempotence: idempotence requires acks=all",
		"consumer.group.id: kbench names each subscription's consumer group",
		"faults[0].action: unknown action",
		"faults[0].target: unknown target",
		"faults[1].duration: leader-move is not undone",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems lack %q:\n%v", want, err)
		}
	}
}

func TestSet(t *testing.T) {
	w := &Workload{}
	for _, kv := range [][2]string{
		{"messageSize", "512"},
		{"acks", "all"},             // a bare producer property
		{"fetch.min.bytes", "1024"}, // a bare consumer property
		{"producer.linger.ms", "5"}, // a path into a map
		{"topicConfig.retention.ms", "60000"},
		{"duration", "90s"},
	} {
		if err := w.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%s): %v", kv[0], err)
		}
	}
	if w.MessageSize != 512 || w.Producer["acks"] != "all" || w.Consumer["fetch.min.bytes"] != "1024" ||
		w.Producer["linger.ms"] != "5" || w.TopicConfig["retention.ms"] != "60000" || w.Duration.D() != 90*time.Second {
		t.Errorf("Set gave %+v", w)
	}
	if err := w.Set("messageSize", "big"); err == nil || !strings.Contains(err.Error(), "messageSize: want an integer") {
		t.Errorf("bad value: %v", err)
	}
	if err := w.Set("nonsense.key", "1"); err == nil || !strings.Contains(err.Error(), "unknown workload field or client property") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want FaultTarget
		ok   bool
	}{
		{"broker:2", FaultTarget{Kind: TargetBroker, Broker: 2}, true},
		{"leader:0/3", FaultTarget{Kind: TargetLeader, Topic: 0, Partition: 3}, true},
		{"controller", FaultTarget{Kind: TargetController}, true},
		{"random", FaultTarget{Kind: TargetRandom}, true},
		{"leader:0", FaultTarget{}, false},  // no partition
		{"broker:-1", FaultTarget{}, false}, // negative id
		{"node:1", FaultTarget{}, false},    // unknown kind
	} {
		got, err := ParseTarget(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestParseFaultFlag(t *testing.T) {
	f, err := ParseFaultFlag("at=20s,action=exec,target=broker:1,duration=5s,command=ssh b1 systemctl stop kafka")
	if err != nil {
		t.Fatal(err)
	}
	if f.At.D() != 20*time.Second || f.Action != "exec" || f.Target != "broker:1" || f.Duration.D() != 5*time.Second ||
		strings.Join(f.Command, " ") != "ssh b1 systemctl stop kafka" {
		t.Errorf("got %+v", f)
	}
	for _, bad := range []string{"at=soon", "action", "when=1s"} {
		if _, err := ParseFaultFlag(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestCheckMemory(t *testing.T) {
	w := &Workload{MessageSize: 2_000_000_000, Messages: 1, MaxInFlight: 1000}
	if err := w.Resolve(); err != nil {
		t.Fatal(err)
	}
	// 1 producer × 1001 buffers × 2 GB, on a 16 GiB machine.
	err := CheckMemory(w, 16<<30)
	if !errors.Is(err, ErrBadWorkload) || !strings.Contains(err.Error(), "at least 1864.5 GiB") {
		t.Errorf("CheckMemory = %v, want a refusal saying what it needs", err)
	}
	w.MessageSize = 1024
	if err := CheckMemory(w, 16<<30); err != nil {
		t.Errorf("a 1 KiB workload refused: %v", err)
	}
	// By default the in-flight bound is by bytes, so 500 MB messages get
	// one slot: 2 buffers, and a random pool's one body.
	w = &Workload{MessageSize: 500_000_000, Messages: 1, UseRandomizedPayloads: true}
	if err := w.Resolve(); err != nil {
		t.Fatal(err)
	}
	if got, want := MemoryEstimate(w), int64(3*500_000_000); got != want {
		t.Errorf("estimate %d, want %d", got, want)
	}
}

// The default in-flight bound is by bytes, as a client's buffer is: as
// many slots (buffer and bookkeeping) as fit in maxInFlightBytes; a count
// given is kept.
func TestDefaultInFlightBoundByBytes(t *testing.T) {
	for _, size := range []int{24, 1024, 100 << 10} {
		w := mustResolve(t, &Workload{MessageSize: size, Duration: Duration(time.Second)})
		per := size + SlotOverhead
		if n := w.MaxInFlight; n*per > defaultMaxInFlightBytes || (n+1)*per <= defaultMaxInFlightBytes {
			t.Errorf("%d-byte messages: maxInFlight %d holds %d bytes, want the most that fit in %d", size, n, n*per, defaultMaxInFlightBytes)
		}
	}
	w := mustResolve(t, &Workload{MessageSize: 1024, MaxInFlight: 7, Duration: Duration(time.Second)})
	if w.MaxInFlight != 7 {
		t.Errorf("maxInFlight 7 given, resolved to %d", w.MaxInFlight)
	}
}

func mustResolve(t *testing.T, w *Workload) *Workload {
	t.Helper()
	if err := w.Resolve(); err != nil {
		t.Fatal(err)
	}
	return w
}

// A key given twice, at any depth, is refused: YAML keeps the last one,
// which hides the first from whoever reads the file.
func TestParseRefusesDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
	}{
		{"messages: 1\nmessageSize: 100\nmessageSize: 200\n", "messageSize: given twice (lines 2 and 3)"},
		{"messages: 1\nproducer:\n  acks: 1\n  acks: all\n", "producer.acks: given twice (lines 3 and 4)"},
		{"messages: 1\nfaults:\n  - at: 1s\n    at: 2s\n", "faults[0].at: given twice (lines 3 and 4)"},
	} {
		_, err := ParseWorkload([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.doc, err, tc.want)
		}
	}
}

// A 0 given for a field whose 0 would mean its default is refused, not
// taken as the default.
func TestResolveRefusesExplicitZero(t *testing.T) {
	for _, tc := range []struct {
		doc, want string
	}{
		{"messages: 1\nsubscriptionsPerTopic: 1\nconsumerPerSubscription: 0\n", "consumerPerSubscription: must be at least 1 when subscriptionsPerTopic is 1"},
		{"messages: 1\ninterval: 0s\n", "interval: must be at least 10ms, got 0s"},
	} {
		w, err := ParseWorkload([]byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Resolve(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.doc, err, tc.want)
		}
	}
	// A run without consumers may say so with zeros.
	w, err := ParseWorkload([]byte("messages: 1\nsubscriptionsPerTopic: 0\nconsumerPerSubscription: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Resolve(); err != nil {
		t.Errorf("no consumers: %v", err)
	}
	// So may a flag.
	w = &Workload{Messages: 1, SubscriptionsPerTopic: 1}
	if err := w.Set("interval", "0s"); err != nil {
		t.Fatal(err)
	}
	if err := w.Resolve(); err == nil || !strings.Contains(err.Error(), "interval: must be at least 10ms") {
		t.Errorf("--set interval=0s: err = %v", err)
	}
}

// A fault flag needs its time, once.
func TestParseFaultFlagNeedsAtOnce(t *testing.T) {
	for bad, want := range map[string]string{
		"action=kill,target=broker:1":             "at: missing; say when the fault starts, e.g. at=20s",
		"at=1s,action=kill,target=broker:1,at=2s": "at: given twice",
	} {
		if _, err := ParseFaultFlag(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", bad, err, want)
		}
	}
}

// An OMB driver file is named as one, not listed field by field.
func TestParseNamesDriverFile(t *testing.T) {
	w, err := ParseWorkload([]byte("name: Kafka\ndriverClass: io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver\nreset: true\n"))
	if w != nil || !errors.Is(err, ErrDriverFile) {
		t.Errorf("got %v, %v; want ErrDriverFile alone", w, err)
	}
}
