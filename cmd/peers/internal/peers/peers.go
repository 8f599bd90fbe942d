// Package peers benchmarks kbench against the tools Kafka users already
// have: Apache Kafka's kafka-producer-perf-test (ProducerPerformance) and
// kafka-consumer-perf-test (ConsumerPerformance) of the Kafka version the
// local target runs, against kbench with each driver, on one cluster with
// identical settings.
//
// Every tool runs as a child process, so its CPU time (user plus system,
// from the operating system's accounting of that process alone) is its
// own. Runs alternate between the tools and repeat, and each kbench figure
// is compared with the peer's figure of the same repeat, so drift in a
// shared machine's load falls on both sides of a ratio.
package peers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
)

// Settings are what every tool runs with.
type Settings struct {
	Records           int64  `json:"records"`
	RecordSize        int    `json:"record_size"`
	Partitions        int    `json:"partitions"`
	ReplicationFactor int    `json:"replication_factor"`
	Acks              string `json:"acks"`
	LingerMs          int    `json:"linger_ms"`
	BatchSize         int    `json:"batch_size"`
	Compression       string `json:"compression"`
	// BufferMemory is the client's buffer.memory; kbench's own bound on
	// records awaiting acknowledgement holds the same number of bytes.
	BufferMemory int64 `json:"buffer_memory"`
}

// DefaultSettings are those of the measurement that opened issue 10: 1 KiB
// records to 6 partitions of replication factor 3, acks=all, linger 5 ms,
// 1 MiB batches, no compression, 300,000 records, the Java client's
// default buffer.memory of 32 MiB.
func DefaultSettings() Settings {
	return Settings{Records: 300_000, RecordSize: 1024, Partitions: 6, ReplicationFactor: 3,
		Acks: "all", LingerMs: 5, BatchSize: 1 << 20, Compression: "none", BufferMemory: 32 << 20}
}

// producerProps are the client properties of every producer. Idempotence
// and five requests in flight are the Java client's defaults with
// acks=all, set for all so librdkafka (idempotence off by default) does
// the same work.
func (s Settings) producerProps() map[string]string {
	all := s.Acks == "all" || s.Acks == "-1"
	return map[string]string{
		"acks":                                  s.Acks,
		"enable.idempotence":                    strconv.FormatBool(all),
		"linger.ms":                             strconv.Itoa(s.LingerMs),
		"batch.size":                            strconv.Itoa(s.BatchSize),
		"compression.type":                      s.Compression,
		"buffer.memory":                         strconv.FormatInt(s.BufferMemory, 10),
		"max.in.flight.requests.per.connection": "5",
	}
}

// Config is one peers benchmark.
type Config struct {
	Bootstrap []string
	// Admin creates and deletes the topics the Kafka tools write to.
	Admin drivers.Admin
	// Kbench is the kbench binary, run as a child process.
	Kbench   string
	Drivers  []string
	Settings Settings
	// Rate of the rate phase in records/s; 0 takes half the slowest
	// tool's median unthrottled rate, rounded down to a thousand.
	Rate    float64
	Repeats int
	// Consume adds the consume phase.
	Consume bool
	// Dir receives each run's output and kbench's results.
	Dir string
	// Log gets a line per run; nil discards.
	Log io.Writer
}

// Validate returns every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	s := c.Settings
	if len(c.Bootstrap) == 0 {
		add("bootstrap: no addresses")
	}
	if c.Admin == nil {
		add("admin: required")
	}
	if c.Kbench == "" {
		add("kbench: the path of the kbench binary is required")
	}
	if len(c.Drivers) == 0 {
		add("drivers: name at least one")
	}
	if c.Repeats < 3 {
		add("repeats: at least 3, so a median and a spread mean something; got %d", c.Repeats)
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		add("rate: must be a finite number, 0 or more; got %g", c.Rate)
	}
	if c.Dir == "" {
		add("dir: required")
	}
	if s.Records < 1 {
		add("records: at least 1, got %d", s.Records)
	}
	if s.RecordSize < 24 {
		add("record size: at least 24 bytes (kbench's stamp), got %d", s.RecordSize)
	}
	if s.Partitions < 1 || s.ReplicationFactor < 1 {
		add("topic: partitions and replication factor must be at least 1, got %d and %d", s.Partitions, s.ReplicationFactor)
	}
	if s.BufferMemory < int64(s.RecordSize) {
		add("buffer memory: at least one record (%d bytes), got %d", s.RecordSize, s.BufferMemory)
	}
	return errors.Join(errs...)
}

// Run runs every phase and returns the report. On an error it returns the
// report of what had run by then, with the error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	java, err := local.FindJava(ctx)
	if err != nil {
		return nil, err
	}
	libs, err := local.FetchKafkaTools(ctx, cfg.Log)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	logConf := filepath.Join(cfg.Dir, "tools-log4j2.properties")
	if err := os.WriteFile(logConf, []byte(toolsLog4j), 0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", logConf, err)
	}
	b := &bencher{cfg: cfg, java: java, libs: libs, logConf: logConf}
	rep := &Report{Started: time.Now().UTC(), Kafka: local.KafkaVersion, Host: profiles.DetectHost(true),
		Settings: cfg.Settings, Method: method(cfg)}
	err = b.phases(ctx, rep)
	rep.Rows = summarize(rep.Samples)
	return rep, err
}

// bencher runs the tools.
type bencher struct {
	cfg     Config
	java    string
	libs    string
	logConf string
}

func (b *bencher) phases(ctx context.Context, rep *Report) error {
	tools := []string{Peer}
	for _, d := range b.cfg.Drivers {
		tools = append(tools, "kbench-"+d)
	}
	for _, phase := range []string{PhaseUnthrottled, PhaseRate, PhaseConsume} {
		rate := 0.0
		switch phase {
		case PhaseRate:
			rep.Rate = b.cfg.Rate
			if rep.Rate == 0 {
				rep.Rate = autoRate(rep.Samples)
			}
			rate = rep.Rate
		case PhaseConsume:
			if !b.cfg.Consume {
				continue
			}
		}
		for i := 1; i <= b.cfg.Repeats; i++ {
			for _, tool := range tools {
				s, err := b.one(ctx, phase, tool, i, rate)
				if err != nil {
					return fmt.Errorf("%s %s run %d: %w", phase, tool, i, err)
				}
				fmt.Fprintf(b.cfg.Log, "%-11s %-16s run %d: %8.0f records/s, %.2f CPU s per million records\n",
					phase, tool, i, s.RecordsPerSec, s.CPUPerMillion())
				rep.Samples = append(rep.Samples, s)
			}
		}
	}
	return nil
}

// autoRate is half the slowest tool's median unthrottled rate, rounded
// down to a thousand records/s (at least 1000).
func autoRate(samples []Sample) float64 {
	slowest := math.Inf(1)
	for _, r := range summarize(samples) {
		if r.Phase == PhaseUnthrottled {
			slowest = min(slowest, r.RecordsPerSec.Median)
		}
	}
	return max(1000, math.Floor(slowest/2/1000)*1000)
}

// one runs tool once in phase.
func (b *bencher) one(ctx context.Context, phase, tool string, repeat int, rate float64) (Sample, error) {
	name := fmt.Sprintf("%s-%s-%d", phase, tool, repeat)
	out := filepath.Join(b.cfg.Dir, name)
	var s Sample
	var err error
	switch {
	case tool == Peer && phase == PhaseConsume:
		s, err = b.consumePeer(ctx, out)
	case tool == Peer:
		s, err = b.producePeer(ctx, out, rate)
	default:
		s, err = b.kbench(ctx, out, strings.TrimPrefix(tool, "kbench-"), phase, rate)
	}
	s.Phase, s.Tool, s.Repeat = phase, tool, repeat
	return s, err
}

// producePeer runs kafka-producer-perf-test against a fresh topic; rate 0
// is unthrottled.
func (b *bencher) producePeer(ctx context.Context, out string, rate float64) (Sample, error) {
	topic, drop, err := b.topic(ctx, filepath.Base(out))
	if err != nil {
		return Sample{}, err
	}
	defer drop()
	return b.producerPerf(ctx, out, topic, rate)
}

func (b *bencher) producerPerf(ctx context.Context, out, topic string, rate float64) (Sample, error) {
	s := b.cfg.Settings
	throughput := "-1"
	if rate > 0 {
		throughput = strconv.FormatFloat(rate, 'f', -1, 64)
	}
	args := []string{"org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
		"--num-records", strconv.FormatInt(s.Records, 10), "--record-size", strconv.Itoa(s.RecordSize),
		"--throughput", throughput, "--producer-props", "bootstrap.servers=" + strings.Join(b.cfg.Bootstrap, ",")}
	args = append(args, keyValues(s.producerProps())...)
	cpu, text, err := runChild(ctx, out+".log", b.java, b.javaArgs(args)...)
	if err != nil {
		return Sample{}, err
	}
	sample, err := parseProducerPerf(text)
	if err != nil {
		return Sample{}, fmt.Errorf("%w (see %s.log)", err, out)
	}
	sample.CPUSeconds, sample.Output = cpu, out+".log"
	return sample, nil
}

// consumePeer fills a fresh topic with kafka-producer-perf-test, unmeasured,
// then reads it with kafka-consumer-perf-test.
func (b *bencher) consumePeer(ctx context.Context, out string) (Sample, error) {
	topic, drop, err := b.topic(ctx, filepath.Base(out))
	if err != nil {
		return Sample{}, err
	}
	defer drop()
	if _, err := b.producerPerf(ctx, out+"-fill", topic, 0); err != nil {
		return Sample{}, fmt.Errorf("filling %s: %w", topic, err)
	}
	args := []string{"org.apache.kafka.tools.ConsumerPerformance",
		"--bootstrap-server", strings.Join(b.cfg.Bootstrap, ","), "--topic", topic,
		"--messages", strconv.FormatInt(b.cfg.Settings.Records, 10), "--group", topic, "--timeout", "60000"}
	cpu, text, err := runChild(ctx, out+".log", b.java, b.javaArgs(args)...)
	if err != nil {
		return Sample{}, err
	}
	sample, err := parseConsumerPerf(text)
	if err != nil {
		return Sample{}, fmt.Errorf("%w (see %s.log)", err, out)
	}
	sample.CPUSeconds, sample.Output = cpu, out+".log"
	return sample, nil
}

// javaArgs are the JVM settings kafka-run-class.sh gives the perf tools.
func (b *bencher) javaArgs(toolArgs []string) []string {
	return append([]string{"-Xmx512M", "-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
		"-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent", "-XX:MaxInlineLevel=15",
		"-Djava.awt.headless=true", "-Dlog4j2.configurationFile=" + b.logConf,
		"-cp", filepath.Join(b.libs, "*")}, toolArgs...)
}

// topic creates a topic of the settings' shape for a Kafka tool; drop
// deletes it.
func (b *bencher) topic(ctx context.Context, name string) (topic string, drop func(), err error) {
	s := b.cfg.Settings
	topic = "kbench-peers-" + name + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	spec := drivers.TopicSpec{Name: topic, Partitions: int32(s.Partitions), ReplicationFactor: int16(s.ReplicationFactor)}
	if err := b.cfg.Admin.CreateTopic(ctx, spec); err != nil {
		return "", nil, fmt.Errorf("create topic %s: %w", topic, err)
	}
	return topic, func() {
		dctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := b.cfg.Admin.DeleteTopic(dctx, topic); err != nil {
			fmt.Fprintf(b.cfg.Log, "delete topic %s: %v\n", topic, err)
		}
	}, nil
}

// kbench runs 'kbench run' with driver against the cluster: producers
// alone on a fresh topic in the producing phases; in the consume phase a
// consumer-only run reading a topic kafka-producer-perf-test filled
// beforehand, unmeasured, as the peer's consume run reads one.
func (b *bencher) kbench(ctx context.Context, out, driver, phase string, rate float64) (Sample, error) {
	topic := ""
	if phase == PhaseConsume {
		t, drop, err := b.topic(ctx, filepath.Base(out))
		if err != nil {
			return Sample{}, err
		}
		defer drop()
		if _, err := b.producerPerf(ctx, out+"-fill", t, 0); err != nil {
			return Sample{}, fmt.Errorf("filling %s: %w", t, err)
		}
		topic = t
	}
	wl, err := yaml.Marshal(kbenchWorkload(b.cfg.Settings, phase, rate, topic))
	if err != nil {
		return Sample{}, err
	}
	if err := os.WriteFile(out+".yaml", wl, 0o644); err != nil {
		return Sample{}, fmt.Errorf("writing the workload: %w", err)
	}
	cpu, _, err := runChild(ctx, out+".log", b.cfg.Kbench, kbenchArgs(b.cfg.Bootstrap, driver, out)...)
	if err != nil {
		return Sample{}, err
	}
	res, err := results.Read(out + ".json")
	if err != nil {
		return Sample{}, err
	}
	if !res.Complete {
		return Sample{}, fmt.Errorf("kbench's run was incomplete: %s (see %s.json)", res.Incomplete, out)
	}
	sum := res.Summary
	if phase == PhaseConsume {
		return Sample{Records: sum.ConsumedMessages, RecordsPerSec: sum.ConsumeRateMsgs, MiBPerSec: sum.ConsumeRateMiB,
			CPUSeconds: cpu, Output: out + ".json"}, nil
	}
	return Sample{Records: sum.ProducedMessages, RecordsPerSec: sum.ProduceRateMsgs, MiBPerSec: sum.ProduceRateMiB,
		Latency:    &Latency{P50: sum.PublishLatencyMs.P50, P99: sum.PublishLatencyMs.P99, P999: sum.PublishLatencyMs.P999},
		CPUSeconds: cpu, Output: out + ".json"}, nil
}

// kbenchWorkload is kbench's workload for phase: one producer writing the
// settings' records to a fresh topic (at rate, 0 unthrottled), or, in the
// consume phase, one consumer reading that many records of the existing
// topic from its start.
func kbenchWorkload(s Settings, phase string, rate float64, topic string) map[string]any {
	if phase == PhaseConsume {
		return map[string]any{
			"name": "peers-" + phase, "existingTopics": []string{topic}, "messageSize": s.RecordSize,
			"producersPerTopic": 0, "subscriptionsPerTopic": 1, "messages": s.Records,
			"consumer": map[string]string{"auto.offset.reset": "earliest"},
		}
	}
	return map[string]any{
		"name": "peers-" + phase, "topics": 1, "partitionsPerTopic": s.Partitions,
		"replicationFactor": s.ReplicationFactor, "messageSize": s.RecordSize, "producersPerTopic": 1,
		"subscriptionsPerTopic": 0, "producerRate": rate, "messages": s.Records,
		"maxInFlightBytes": s.BufferMemory, "producer": s.producerProps(),
	}
}

// kbenchArgs is the command line of a kbench run whose workload is
// out.yaml and whose result goes to out.json.
func kbenchArgs(bootstrap []string, driver, out string) []string {
	return []string{"run", "--quiet", "--cluster", "external", "--bootstrap", strings.Join(bootstrap, ","),
		"--driver", driver, "--workload", out + ".yaml", "-o", out + ".json"}
}

// runChild runs a command with its output written to logPath, and returns
// the user plus system CPU time of its process, in seconds, and the output.
func runChild(ctx context.Context, logPath, name string, args ...string) (cpu float64, output string, err error) {
	f, err := os.Create(logPath)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	var buf bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = io.MultiWriter(f, &buf)
	cmd.Stderr = cmd.Stdout
	err = cmd.Run()
	if err != nil {
		return 0, buf.String(), fmt.Errorf("%s: %w (its output is in %s)", filepath.Base(name), err, logPath)
	}
	st := cmd.ProcessState
	return (st.UserTime() + st.SystemTime()).Seconds(), buf.String(), nil
}

// toolsLog4j makes the Kafka tools log warnings and errors to stderr only,
// as kafka-run-class.sh's tools configuration does.
const toolsLog4j = `rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = STDERR
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
`

// method states how each figure was taken, for the report.
func method(cfg Config) []string {
	s := cfg.Settings
	m := []string{
		fmt.Sprintf("every tool: %d records of %d bytes to a fresh topic of %d partitions, replication factor %d; producer properties %s; kbench keeps at most buffer.memory (maxInFlightBytes %d) awaiting acknowledgement",
			s.Records, s.RecordSize, s.Partitions, s.ReplicationFactor, strings.Join(keyValues(s.producerProps()), " "), s.BufferMemory),
		"publish latency: perf-test measures from its send() call to the callback, in whole ms (every record up to 500,000 per run, an even sample beyond); " +
			"kbench over every record in µs, from the send in the unthrottled (closed) phase and from the intended send time in the rate (open) phase, " +
			"so at a fixed rate a stall counts as latency for kbench and as a lower rate for perf-test, whose throttle waits from the actual send",
		"client CPU: user + system time of the tool's own process as the OS accounts it at exit (JVM start-up and JIT included for perf-test; " +
			"connecting, topic set-up and writing the result included for kbench), in seconds per million records",
		"ratios: each kbench repeat's figure over the perf-test figure of the same repeat, which ran just before it; median [lowest–highest] of the repeats",
	}
	if cfg.Consume {
		m = append(m, "consume: every tool reads, with one consumer from the earliest offset, a fresh topic kafka-producer-perf-test filled beforehand, unmeasured; "+
			"perf-test's rate is fetch.nMsg.sec (the group join left out), kbench's runs from the start of measurement, after its consumer holds every partition, to its last record")
	}
	return m
}

// keyValues lists props as sorted key=value strings.
func keyValues(props map[string]string) []string {
	var kv []string
	for k, v := range props {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return kv
}
