package bench

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
		Producer:     map[string]string{"acks": "2", "enable.idempotence": "true"},
		Consumer:     map[string]string{"group.id": "shared"},
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
		want faultTarget
		ok   bool
	}{
		{"broker:2", faultTarget{Kind: targetBroker, Broker: 2}, true},
		{"leader:0/3", faultTarget{Kind: targetLeader, Topic: 0, Partition: 3}, true},
		{"controller", faultTarget{Kind: targetController}, true},
		{"random", faultTarget{Kind: targetRandom}, true},
		{"leader:0", faultTarget{}, false},  // no partition
		{"broker:-1", faultTarget{}, false}, // negative id
		{"node:1", faultTarget{}, false},    // unknown kind
	} {
		got, err := parseTarget(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseTarget(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestVerifierCountsLossDuplicationReordering(t *testing.T) {
	v := newVerifier(1, []uint64{5})
	// Sequences 0..4 acknowledged. Consumed: 0, 2, 1 (reordered), 2 again
	// at a new offset (duplicated), 4; 3 never (lost). A re-read of offset
	// 1 after a rebalance is neither.
	for off, seq := range []uint64{0, 2, 1, 2, 4} {
		v.observe(0, int64(off), stampOf(seq))
	}
	v.observe(0, 1, stampOf(2))
	var acked bitset
	for i := uint64(0); i < 5; i++ {
		acked.set(i)
	}
	got := v.verdict([]bitset{acked}, []uint64{5}, true)
	if got.Lost != 1 || got.Duplicated != 1 || got.Reordered != 1 || got.Consumed != 5 {
		t.Errorf("verdict %+v: want lost 1, duplicated 1, reordered 1, consumed 5", got)
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

// A subscription that never reached the end offsets cannot call a missing
// message lost; and a duplicate is not also a reordering.
func TestVerifierUnverifiedAndDuplicates(t *testing.T) {
	v := newVerifier(1, []uint64{5})
	for off, seq := range []uint64{0, 1, 2, 1} {
		v.observe(0, int64(off), stampOf(seq))
	}
	var acked bitset
	for i := uint64(0); i < 5; i++ {
		acked.set(i)
	}
	got := v.verdict([]bitset{acked}, []uint64{5}, false)
	if got.Lost != 0 || got.Unverified != 2 || got.Duplicated != 1 || got.Reordered != 0 {
		t.Errorf("verdict %+v: want unverified 2, duplicated 1, nothing lost or reordered", got)
	}
}

// stampOf is the value of producer 0's message seq.
func stampOf(seq uint64) []byte {
	b := make([]byte, stampSize)
	stamp{Producer: 0, Seq: seq}.Put(b)
	return b
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
