package analysis

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

var update = flag.Bool("update", false, "rewrite the result fixtures and golden files in testdata")

// TestMain rewrites the fixtures first when -update is given, so the tests
// that follow read the new ones.
func TestMain(m *testing.M) {
	flag.Parse()
	if *update {
		if err := writeFixtures(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// spec describes a synthetic run. Latencies are log-normal around p50Us,
// drawn from a generator seeded by seed, so fixtures are reproducible.
type spec struct {
	driver, library string
	profiles        []string
	cluster         results.ClusterKind
	rate            float64 // target msgs/s, 0 for closed
	throughput      float64 // achieved msgs/s
	msgSize         int
	acks            string
	p50Us, sigma    float64
	seconds         int
	consumers       bool
	failover        bool
	seed            int64
}

func fixtureSpecs() map[string]spec {
	base := spec{driver: "franz", library: "franz-go v1.22.3", profiles: []string{"durable"}, cluster: "local",
		throughput: 100000, msgSize: 1024, acks: "all", p50Us: 2000, sigma: 0.5, seconds: 10, consumers: true}
	out := map[string]spec{}
	with := func(name string, seed int64, f func(*spec)) {
		s := base
		s.seed = seed
		f(&s)
		out[name] = s
	}
	// Three repeats of a baseline, of a change within bounds, of a clear
	// regression, and of a noisy set whose mean is worse but whose spread
	// swamps the difference.
	for i, tp := range []float64{100000, 100500, 99500} {
		with(fmt.Sprintf("base-%d", i+1), int64(10+i), func(s *spec) { s.throughput = tp })
	}
	for i, tp := range []float64{99000, 99400, 98600} {
		with(fmt.Sprintf("ok-%d", i+1), int64(20+i), func(s *spec) { s.throughput, s.p50Us = tp, 2040 })
	}
	for i, tp := range []float64{80000, 80500, 79500} {
		with(fmt.Sprintf("slow-%d", i+1), int64(30+i), func(s *spec) { s.throughput, s.p50Us = tp, 3000 })
	}
	for i, tp := range []float64{70000, 100000, 100000} {
		with(fmt.Sprintf("noisy-%d", i+1), int64(40+i), func(s *spec) { s.throughput = tp })
	}
	with("failover", 50, func(s *spec) { s.rate, s.throughput, s.seconds, s.failover = 50000, 48000, 60, true })
	// A rate sweep of two drivers on the embedded target.
	for _, d := range []struct {
		driver, library string
		capacity        float64
	}{{"franz", "franz-go v1.22.3", 70000}, {"confluent", "confluent-kafka-go v2.11.1", 60000}} {
		for _, rate := range []float64{10000, 20000, 40000, 80000} {
			with(fmt.Sprintf("sweep-%s-%.0fk", d.driver, rate/1000), int64(rate)+int64(len(d.driver)), func(s *spec) {
				s.driver, s.library, s.cluster, s.profiles, s.consumers = d.driver, d.library, "embedded", []string{"throughput"}, false
				s.acks = "1"
				s.rate, s.throughput = rate, math.Min(rate, d.capacity)
				load := s.throughput / d.capacity
				s.p50Us = 1500 * (1 + 8*math.Pow(load, 4))
			})
		}
	}
	return out
}

func writeFixtures() error {
	for name, s := range fixtureSpecs() {
		if err := results.Write(filepath.Join("testdata", name+".json"), s.run(name)); err != nil {
			return err
		}
	}
	return nil
}

func (s spec) run(name string) *results.Run {
	rng := rand.New(rand.NewSource(s.seed))
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pub, e2e := results.NewHist(), results.NewHist()
	for range 20000 {
		v := s.p50Us * math.Exp(s.sigma*rng.NormFloat64())
		pub.RecordValue(int64(v))
		e2e.RecordValue(int64(v*1.4 + 300))
	}
	if s.failover {
		// Sends stuck behind the dead leader.
		for range 40 {
			pub.RecordValue(int64(1e6 + 2e6*rng.Float64()))
		}
	}
	workload, _ := json.Marshal(map[string]any{
		"name": "fixture", "topics": 1, "partitions": 6, "messageSize": s.msgSize,
		"producers": 4, "consumers": map[bool]int{true: 2, false: 0}[s.consumers],
		"rate": s.rate, "durationS": s.seconds, "warmupS": 2,
	})
	msgs := int64(s.throughput * float64(s.seconds))
	r := &results.Run{
		Schema: results.Schema, Complete: true, Name: name, Kbench: "v0.1.0",
		Started: start, Ended: start.Add(time.Duration(s.seconds) * time.Second), MeasureStart: start.Add(2 * time.Second),
		Workload: workload,
		Profiles: s.profiles,
		Driver:   results.Driver{Name: s.driver, Library: s.library},
		Client: results.Client{
			Producer: map[string]string{"acks": s.acks, "linger.ms": "5"},
			Consumer: map[string]string{"fetch.min.bytes": "1"},
		},
		Cluster: results.Cluster{Kind: s.cluster, Bootstrap: []string{"127.0.0.1:9092"}, KafkaVersion: "4.1.0", ReplicationFactor: 3,
			BrokerProps: map[string]string{"min.insync.replicas": "2"}},
		Host: results.Host{Hostname: "bench-1", OS: "linux", Arch: "amd64", Kernel: "6.8.0", CPUModel: "Test CPU", CPUs: 8, MemoryMiB: 32768, Go: "go1.26.8", Java: "openjdk 17"},
		Summary: results.Summary{
			DurationS: float64(s.seconds - 2), ProducedMessages: msgs, ProducedBytes: msgs * int64(s.msgSize),
			ProduceRateMsgs: s.throughput, ProduceRateMiB: s.throughput * float64(s.msgSize) / (1 << 20),
			TargetRate: s.rate, PublishLatencyMs: results.LatencyOf(pub),
		},
	}
	if s.driver == "franz" {
		r.Client.EffectiveProducer = map[string]string{"acks": s.acks, "enable.idempotence": fmt.Sprint(s.acks == "all"), "linger.ms": "5",
			"batch.size": "1000012", "compression.type": "none", "max.in.flight.requests.per.connection": map[bool]string{true: "5", false: "1"}[s.acks == "all"], "retries": "unbounded"}
	}
	if s.rate > 0 {
		r.Summary.SendLagMs = results.Latency{P50: 0.002, P95: 0.008, P99: 0.021, P999: 0.35, Max: 1.2, Mean: 0.004, Count: msgs}
	}
	if s.cluster == results.KindEmbedded {
		r.Cluster.ReplicationFactor, r.Cluster.KafkaVersion = 1, ""
		r.Notes = []string{"embedded target: kfake has no replication; numbers say nothing about Kafka"}
	}
	r.Histograms.Publish, _ = results.EncodeHist(pub)
	if s.consumers {
		r.Summary.ConsumedMessages, r.Summary.ConsumedBytes = msgs, msgs*int64(s.msgSize)
		r.Summary.ConsumeRateMsgs, r.Summary.ConsumeRateMiB = r.Summary.ProduceRateMsgs, r.Summary.ProduceRateMiB
		r.Summary.E2ELatencyMs = results.LatencyOf(e2e)
		r.Histograms.E2E, _ = results.EncodeHist(e2e)
		r.Verify = &results.Verify{Acked: msgs, Consumed: msgs, EndOffsets: msgs, OffsetCheck: "ok"}
	}
	p99 := r.Summary.PublishLatencyMs.P99
	for i := range s.seconds {
		iv := results.Interval{Start: float64(i), End: float64(i + 1), Warmup: i < 2}
		level, lat := 1+0.02*rng.NormFloat64(), p99*(1+0.05*rng.NormFloat64())
		if s.failover {
			switch {
			case i >= 20 && i < 23: // leader dead, elections under way
				level, lat = 0.05*float64(i-20), 1500+500*rng.Float64()
			case i >= 23 && i < 27: // catching up
				level, lat = 0.6+0.1*float64(i-23), p99*4
			}
		}
		iv.Acked = int64(s.throughput * level)
		iv.Sent, iv.AckedBytes = iv.Acked, iv.Acked*int64(s.msgSize)
		iv.PublishP50Ms, iv.PublishP99Ms, iv.PublishMaxMs = lat/3, lat, lat*1.5
		r.Intervals = append(r.Intervals, iv)
	}
	if s.failover {
		kill := results.Fault{At: 20, Action: "kill", Target: "leader:orders-0", Broker: 2, Phase: "inject"}
		back := results.Fault{At: 35, Action: "kill", Target: "leader:orders-0", Broker: 2, Phase: "recover"}
		r.Faults = []results.Fault{kill, back}
		r.Intervals[20].Faults = []string{"kill broker 2"}
		r.Failover = []results.Failover{{
			Fault: kill, RecoveredAt: 35, MaxNoAckS: 2.4, WorstPartition: "orders-0", WorstPartitionNoAckS: 3.1,
			RecoveryS: 6.5, RateBefore: 48000, RateDuring: 21000, RateAfter: 47500, WindowStart: 20, WindowEnd: 27,
			LatencyBeforeMs: results.Latency{P50: 2, P99: 6.1, Count: 900000}, LatencyWindowMs: results.Latency{P50: 800, P99: 1980, Count: 150000},
			ErrorsByKind: map[string]int64{"NOT_LEADER_OR_FOLLOWER": 12}, Retries: ptr(int64(340)),
		}}
		r.Summary.Errors, r.Summary.ErrorsByKind = 12, map[string]int64{"NOT_LEADER_OR_FOLLOWER": 12}
		r.Summary.LateSends = 1500
		r.Summary.LateShare = 1500 / float64(msgs)
		stored := msgs * int64(s.msgSize) * 97 / 100
		r.Summary.StoredBytes = &stored
	}
	return r
}

// load reads fixtures by name from testdata.
func load(t testing.TB, names ...string) []*results.Run {
	t.Helper()
	var runs []*results.Run
	for _, n := range names {
		r, err := results.Read(filepath.Join("testdata", n+".json"))
		if err != nil {
			t.Fatalf("fixture %s: %v (run go test -update to create it)", n, err)
		}
		runs = append(runs, r)
	}
	return runs
}

func ptr[T any](v T) *T { return &v }
