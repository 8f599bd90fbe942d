package peers

import (
	"math"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/workload"
)

func TestParseProducerPerf(t *testing.T) {
	// Kafka 4.1.1's output: a line every 5 s, then the total with
	// percentiles; only the total counts.
	out := `SLF4J: some warning
150000 records sent, 29988.0 records/sec (29.29 MB/sec), 800.12 ms avg latency, 1500.00 ms max latency.
300000 records sent, 63120.5 records/sec (61.64 MB/sec), 409.16 ms avg latency, 915.00 ms max latency, 384 ms 50th, 726 ms 95th, 735 ms 99th, 747 ms 99.9th.
`
	s, err := parseProducerPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	want := Sample{Records: 300000, RecordsPerSec: 63120.5, MiBPerSec: 61.64, Latency: &Latency{P50: 384, P99: 735, P999: 747}}
	if s.Records != want.Records || s.RecordsPerSec != want.RecordsPerSec || s.MiBPerSec != want.MiBPerSec || *s.Latency != *want.Latency {
		t.Errorf("got %+v %+v, want %+v %+v", s, *s.Latency, want, *want.Latency)
	}
	if _, err := parseProducerPerf("150000 records sent, 29988.0 records/sec (29.29 MB/sec), 800.12 ms avg latency, 1500.00 ms max latency.\n"); err == nil {
		t.Error("an output without the total line parsed")
	}
}

func TestParseConsumerPerf(t *testing.T) {
	out := `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-25 22:05:25:061, 2026-11-25 22:05:28:361, 19.5313, 5.9186, 20000, 6060.6061, 1831, 1469, 13.2956, 13614.7039
`
	s, err := parseConsumerPerf(out)
	if err != nil {
		t.Fatal(err)
	}
	// The fetch rates, which leave out the 1831 ms group join.
	if s.Records != 20000 || s.RecordsPerSec != 13614.7039 || s.MiBPerSec != 13.2956 || s.Latency != nil {
		t.Errorf("got %+v", s)
	}
	for _, bad := range []string{
		"nothing here\n",
		"start.time, end.time, data.consumed.in.nMsg\n2026-11-25 22:05:25:061, 20000\n",
	} {
		if _, err := parseConsumerPerf(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestStatOf(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want Stat
	}{
		{[]float64{3, 1, 2}, Stat{Median: 2, Min: 1, Max: 3}},      // odd count: the middle value
		{[]float64{4, 1, 3, 2}, Stat{Median: 2.5, Min: 1, Max: 4}}, // even count: mean of the middle two
		{[]float64{7}, Stat{Median: 7, Min: 7, Max: 7}},            // one value
		{nil, Stat{}}, // none
	} {
		if got := statOf(c.in); got != c.want {
			t.Errorf("statOf(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestSummarizeRatios(t *testing.T) {
	lat := &Latency{P50: 10, P99: 20, P999: 30}
	samples := []Sample{
		// Repeat 1: peer 60,000 records/s at 12 CPU s for 1M records;
		// kbench 120,000 at 3 s: ratios 2.0 and 0.25.
		{Phase: PhaseUnthrottled, Tool: Peer, Repeat: 1, Records: 1e6, RecordsPerSec: 60000, CPUSeconds: 12, Latency: lat},
		{Phase: PhaseUnthrottled, Tool: "kbench-franz", Repeat: 1, Records: 1e6, RecordsPerSec: 120000, CPUSeconds: 3, Latency: lat},
		// Repeat 2: 80,000 vs 100,000 (1.25); CPU 10 s for 500,000
		// records (20 s/M) vs 2 s for 500,000 (4 s/M): 0.2.
		{Phase: PhaseUnthrottled, Tool: Peer, Repeat: 2, Records: 5e5, RecordsPerSec: 80000, CPUSeconds: 10, Latency: lat},
		{Phase: PhaseUnthrottled, Tool: "kbench-franz", Repeat: 2, Records: 5e5, RecordsPerSec: 100000, CPUSeconds: 2, Latency: lat},
		// Repeat 3: 50,000 vs 75,000 (1.5); 10 s/M vs 5 s/M (0.5).
		{Phase: PhaseUnthrottled, Tool: Peer, Repeat: 3, Records: 1e6, RecordsPerSec: 50000, CPUSeconds: 10, Latency: lat},
		{Phase: PhaseUnthrottled, Tool: "kbench-franz", Repeat: 3, Records: 1e6, RecordsPerSec: 75000, CPUSeconds: 5, Latency: lat},
		// A consume phase without latencies.
		{Phase: PhaseConsume, Tool: Peer, Repeat: 1, Records: 1e6, RecordsPerSec: 100000, CPUSeconds: 8},
		{Phase: PhaseConsume, Tool: "kbench-franz", Repeat: 1, Records: 1e6, RecordsPerSec: 150000, CPUSeconds: 2},
	}
	rows := summarize(samples)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(rows), rows)
	}
	peer, franz, consFranz := rows[0], rows[1], rows[3]
	if peer.Tool != Peer || peer.Throughput != nil || peer.RecordsPerSec != (Stat{Median: 60000, Min: 50000, Max: 80000}) {
		t.Errorf("peer row %+v", peer)
	}
	if peer.CPUPerMillion != (Stat{Median: 12, Min: 10, Max: 20}) {
		t.Errorf("peer CPU per million %+v, want 12 [10-20]", peer.CPUPerMillion)
	}
	near := func(got, want Stat) bool {
		return math.Abs(got.Median-want.Median) < 1e-9 && math.Abs(got.Min-want.Min) < 1e-9 && math.Abs(got.Max-want.Max) < 1e-9
	}
	if franz.Throughput == nil || !near(*franz.Throughput, Stat{Median: 1.5, Min: 1.25, Max: 2}) {
		t.Errorf("franz throughput ratio %+v, want 1.5 [1.25-2]", franz.Throughput)
	}
	if franz.CPU == nil || !near(*franz.CPU, Stat{Median: 0.25, Min: 0.2, Max: 0.5}) {
		t.Errorf("franz CPU ratio %+v, want 0.25 [0.2-0.5]", franz.CPU)
	}
	if franz.P99 == nil || franz.P99.Median != 20 {
		t.Errorf("franz p99 %+v, want 20", franz.P99)
	}
	if consFranz.P50 != nil || consFranz.Throughput == nil || !near(*consFranz.Throughput, Stat{Median: 1.5, Min: 1.5, Max: 1.5}) {
		t.Errorf("consume row %+v", consFranz)
	}
	// Half the slowest median unthrottled rate (the peer's 60,000),
	// rounded down to a thousand.
	if got := autoRate(samples); got != 30000 {
		t.Errorf("autoRate = %g, want 30000", got)
	}

	var b strings.Builder
	if err := WriteTable(&b, &Report{Rows: rows, Rate: 30000, Method: []string{"a note"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1.50 [1.25–2.00]", "0.25 [0.20–0.50]", "60000 [50000–80000]", "rate phase: 30000 records/s", "- a note"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestKbenchWorkload(t *testing.T) {
	s := DefaultSettings()
	for _, c := range []struct {
		phase string
		rate  float64
		topic string
		check func(w *workload.Workload) string
	}{
		// Unthrottled: one producer alone, bounded by buffer.memory's bytes.
		{PhaseUnthrottled, 0, "", func(w *workload.Workload) string {
			if w.ProducersPerTopic != 1 || w.SubscriptionsPerTopic != 0 || w.ProducerRate != 0 || w.MaxInFlightBytes != 32<<20 ||
				w.Messages != 300_000 || w.PartitionsPerTopic != 6 || w.Producer["compression.type"] != "none" {
				return "not one unthrottled producer of the settings"
			}
			return ""
		}},
		// At a rate: the same producer, paced.
		{PhaseRate, 20000, "", func(w *workload.Workload) string {
			if w.ProducerRate != 20000 || w.SubscriptionsPerTopic != 0 {
				return "not paced at 20000 records/s"
			}
			return ""
		}},
		// Consume: a consumer-only run of the filled topic, from its start.
		{PhaseConsume, 0, "filled", func(w *workload.Workload) string {
			if w.ProducersPerTopic != 0 || w.SubscriptionsPerTopic != 1 || len(w.ExistingTopics) != 1 || w.ExistingTopics[0] != "filled" ||
				w.Messages != 300_000 || w.Consumer["auto.offset.reset"] != "earliest" {
				return "not one consumer alone reading 300000 records of topic filled from the earliest offset"
			}
			return ""
		}},
	} {
		data, err := yaml.Marshal(kbenchWorkload(s, c.phase, c.rate, c.topic))
		if err != nil {
			t.Fatal(err)
		}
		w, err := workload.ParseWorkload(data)
		if err == nil {
			err = w.Resolve()
		}
		if err != nil {
			t.Errorf("%s: kbench rejects the workload: %v\n%s", c.phase, err, data)
			continue
		}
		if msg := c.check(w); msg != "" {
			t.Errorf("%s: %s:\n%s", c.phase, msg, data)
		}
	}
}

func TestKbenchArgs(t *testing.T) {
	got := strings.Join(kbenchArgs([]string{"a:9092", "b:9092"}, "franz", "/d/consume-kbench-franz-1"), " ")
	want := "run --quiet --cluster external --bootstrap a:9092,b:9092 --driver franz --workload /d/consume-kbench-franz-1.yaml -o /d/consume-kbench-franz-1.json"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
