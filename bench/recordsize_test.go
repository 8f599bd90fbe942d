package bench

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

func TestCheckRecordSize(t *testing.T) {
	// The brokers' default, on the batch; librdkafka's default, on key
	// and value.
	broker := sizeLimit{RecordLimit: drivers.RecordLimit{Bytes: 1048588, Value: 1048588, Batch: true},
		what: "the brokers' message.max.bytes of 1048588", broker: true,
		fix: func(n int64) string { return fmt.Sprintf("set topicConfig.max.message.bytes to at least %d", n) }}
	client := sizeLimit{RecordLimit: drivers.RecordLimit{Bytes: 1000000 - 36, Value: 1000000, Property: "message.max.bytes"},
		what: "the 999964 bytes of key and value the producer takes",
		fix:  func(n int64) string { return fmt.Sprintf("set producer.message.max.bytes to at least %d", n) }}
	cases := []struct {
		name   string
		w      workload.Workload
		limits []sizeLimit
		want   []string // in the error, in order; none: no error
		note   string   // in a note
	}{
		{"2 MB against the brokers' default: a 2000074-byte batch (61 header, 4-byte varints)",
			workload.Workload{MessageSize: 2000000}, []sizeLimit{broker},
			[]string{"messageSize: the largest message, 2000000 bytes, makes a record batch of 2000074 bytes, above the brokers' message.max.bytes of 1048588: set topicConfig.max.message.bytes to at least 2000074, or lower messageSize"}, ""},
		{"a value whose batch is exactly the limit: 72 bytes of framing",
			workload.Workload{MessageSize: 1048516}, []sizeLimit{broker}, nil, ""},
		{"a byte more",
			workload.Workload{MessageSize: 1048517}, []sizeLimit{broker}, []string{"batch of 1048589 bytes"}, ""},
		{"a round-robin key of up to 8 bytes counts too",
			workload.Workload{MessageSize: 1048509, KeyDistributor: workload.KeyRoundRobin}, []sizeLimit{broker},
			[]string{"with a key of up to 8, makes a record batch of 1048589 bytes"}, ""},
		{"the client's bound is on key and value: exactly at it",
			workload.Workload{MessageSize: 999964}, []sizeLimit{broker, client}, nil, ""},
		{"one over the client's bound, which says what to set",
			workload.Workload{MessageSize: 999965}, []sizeLimit{broker, client},
			[]string{"is above the 999964 bytes of key and value the producer takes: set producer.message.max.bytes to at least 1000001"}, ""},
		{"over both bounds: both are named",
			workload.Workload{MessageSize: 2000000}, []sizeLimit{broker, client},
			[]string{"topicConfig.max.message.bytes to at least 2000074", "producer.message.max.bytes to at least 2000036"}, ""},
		{"compressed, the brokers' bound may hold: a note, not a refusal; the client's still holds",
			workload.Workload{MessageSize: 2000000, Producer: map[string]string{"compression.type": "lz4"}}, []sizeLimit{broker, client},
			[]string{"producer.message.max.bytes"}, "compression.type=lz4 must shrink it"},
		{"uniform sizes: the field of the largest",
			workload.Workload{MessageSize: 100, MessageSizeMax: 2000000}, []sizeLimit{broker}, []string{"messageSizeMax: the largest message, 2000000 bytes"}, ""},
		{"weighted sizes: the entry of the largest",
			workload.Workload{MessageSize: 100, MessageSizes: []workload.WeightedSize{{Size: 100, Weight: 1}, {Size: 3000000, Weight: 1}}}, []sizeLimit{broker},
			[]string{"messageSizes[1].size: the largest message, 3000000 bytes", "or lower messageSizes[1].size"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.w.KeyDistributor == "" {
				c.w.KeyDistributor = workload.NoKey
			}
			notes, err := checkRecordSize(&c.w, c.limits)
			if len(c.want) == 0 && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(c.want) > 0 && !errors.Is(err, workload.ErrBadWorkload) {
				t.Fatalf("got %v, want an ErrBadWorkload", err)
			}
			at := 0
			for _, w := range c.want {
				i := strings.Index(err.Error()[at:], w)
				if i < 0 {
					t.Fatalf("error lacks %q (in order):\n%v", w, err)
				}
				at += i + len(w)
			}
			if c.note != "" && !strings.Contains(strings.Join(notes, "\n"), c.note) {
				t.Errorf("notes %q lack %q", notes, c.note)
			}
			if c.note == "" && len(notes) > 0 {
				t.Errorf("unexpected notes %q", notes)
			}
		})
	}
}

// A client that does not split a refused batch fails every record of one
// above the topic's max.message.bytes. franz-go's cap (batch.size, of which
// 4 bytes are request framing) stands for the driver's bound here.
func TestFitBatches(t *testing.T) {
	topic := sizeLimit{RecordLimit: drivers.RecordLimit{Bytes: 65536, Value: 65536, Batch: true},
		what: "topic t's max.message.bytes of 65536", broker: true,
		fix: func(n int64) string { return fmt.Sprintf("raise topic t's max.message.bytes to at least %d", n) }}
	franz := func(batchSize int64, given bool) drivers.RecordLimit {
		setting := fmt.Sprintf("franz-go's default batch cap of %d bytes", batchSize)
		if given {
			setting = fmt.Sprintf("batch.size=%d", batchSize)
		}
		return drivers.RecordLimit{Bytes: batchSize - 4, Value: batchSize, Batch: true, Property: "batch.size", Setting: setting}
	}
	cases := []struct {
		name      string
		producer  map[string]string
		bl        drivers.RecordLimit
		limits    []sizeLimit
		batchSize string // the workload's producer.batch.size afterwards
		err, note string
	}{
		{"the default cap fits the brokers' default: nothing to do", nil, franz(1000012, false),
			[]sizeLimit{{RecordLimit: drivers.RecordLimit{Bytes: 1048588, Value: 1048588, Batch: true}, broker: true}}, "", "", ""},
		{"no topic bound known: nothing to check", nil, franz(1000012, false), nil, "", "", ""},
		{"the default cap above the topic's: lowered so batches are at most 65536 bytes",
			nil, franz(1000012, false), []sizeLimit{topic}, "65540", "",
			"producer.batch.size set to 65540: the franz driver's producer builds record batches of up to 1000008 bytes (franz-go's default batch cap of 1000012 bytes), above topic t's max.message.bytes of 65536"},
		{"exactly at the topic's bound", map[string]string{"batch.size": "65540"}, franz(65540, true), []sizeLimit{topic}, "65540", "", ""},
		{"a given batch.size above it is refused, naming the field and the fix",
			map[string]string{"batch.size": "100000"}, franz(100000, true), []sizeLimit{topic}, "100000",
			"producer.batch.size: the franz driver's producer builds record batches of up to 99996 bytes (batch.size=100000), above topic t's max.message.bytes of 65536: the brokers refuse such a batch and the client does not split it, so all its records fail; set producer.batch.size to at most 65540, or raise topic t's max.message.bytes to at least 99996", ""},
		{"compressed batches may fit: a note, and the default stays",
			map[string]string{"compression.type": "zstd"}, franz(1000012, false), []sizeLimit{topic}, "", "",
			"compression.type=zstd must shrink each below that"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &workload.Workload{Producer: c.producer}
			notes, err := fitBatches(w, "franz", c.bl, c.limits)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.err != "" && (!errors.Is(err, workload.ErrBadWorkload) || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v; want an ErrBadWorkload with %q", err, c.err)
			}
			if got := w.Producer["batch.size"]; got != c.batchSize {
				t.Errorf("producer.batch.size = %q, want %q", got, c.batchSize)
			}
			if all := strings.Join(notes, "\n"); (c.note == "") != (all == "") || !strings.Contains(all, c.note) {
				t.Errorf("notes %q; want %q", notes, c.note)
			}
		})
	}
}
