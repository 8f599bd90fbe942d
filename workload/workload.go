package workload

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/redact"
)

// Workload describes a run: what is produced, by how many producers, at what
// rate, read by how many consumers, for how long, with which faults.
//
// Where OpenMessaging Benchmark's workload files have a field for a concept,
// Workload uses its name, so an OMB workload file loads as it is; kbench's
// own fields sit beside them.
type Workload struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`

	// OpenMessaging Benchmark fields.
	Topics                    int     `yaml:"topics" json:"topics"`
	PartitionsPerTopic        int     `yaml:"partitionsPerTopic" json:"partitionsPerTopic"`
	MessageSize               int     `yaml:"messageSize" json:"messageSize"`
	PayloadFile               string  `yaml:"payloadFile,omitempty" json:"payloadFile,omitempty"`
	UseRandomizedPayloads     bool    `yaml:"useRandomizedPayloads,omitempty" json:"useRandomizedPayloads,omitempty"`
	RandomBytesRatio          float64 `yaml:"randomBytesRatio,omitempty" json:"randomBytesRatio,omitempty"`
	RandomizedPayloadPoolSize int     `yaml:"randomizedPayloadPoolSize,omitempty" json:"randomizedPayloadPoolSize,omitempty"`
	// KeyDistributor is NO_KEY, KEY_ROUND_ROBIN or RANDOM_NANO.
	KeyDistributor          string `yaml:"keyDistributor" json:"keyDistributor"`
	ProducersPerTopic       int    `yaml:"producersPerTopic" json:"producersPerTopic"`
	SubscriptionsPerTopic   int    `yaml:"subscriptionsPerTopic" json:"subscriptionsPerTopic"`
	ConsumerPerSubscription int    `yaml:"consumerPerSubscription" json:"consumerPerSubscription"`
	// ProducerRate is the total target rate in messages/s over all
	// producers; 0 means as fast as possible (the closed model).
	ProducerRate          float64 `yaml:"producerRate" json:"producerRate"`
	ConsumerBacklogSizeGB float64 `yaml:"consumerBacklogSizeGB,omitempty" json:"consumerBacklogSizeGB,omitempty"`
	TestDurationMinutes   float64 `yaml:"testDurationMinutes,omitempty" json:"testDurationMinutes,omitempty"`
	WarmupDurationMinutes float64 `yaml:"warmupDurationMinutes,omitempty" json:"warmupDurationMinutes,omitempty"`

	// kbench fields.

	// Messages bounds the run by count (all producers together, warm-up
	// included); 0 bounds it by Duration alone.
	Messages int64 `yaml:"messages,omitempty" json:"messages,omitempty"`
	// Duration of measurement; when set it overrides testDurationMinutes.
	// A count-bounded run stops at whichever bound comes first.
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// Warmup before measurement; overrides warmupDurationMinutes.
	Warmup Duration `yaml:"warmup,omitempty" json:"warmup,omitempty"`
	// Drain is how long consumers may take to catch up after the last
	// acknowledgement.
	Drain Duration `yaml:"drain,omitempty" json:"drain,omitempty"`
	// Interval is the length of one slice of the timeline.
	Interval Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	// MessageSizeMax, when set, draws sizes uniformly from
	// [messageSize, messageSizeMax].
	MessageSizeMax int `yaml:"messageSizeMax,omitempty" json:"messageSizeMax,omitempty"`
	// MessageSizes, when set, draws sizes from a weighted list.
	MessageSizes []WeightedSize `yaml:"messageSizes,omitempty" json:"messageSizes,omitempty"`
	// MaxInFlight bounds the messages one producer has awaiting an
	// acknowledgement; a producer that reaches it waits, and in the open
	// model that wait shows as latency and late sends. By default it is
	// MaxInFlightBytes over the largest message size.
	MaxInFlight int `yaml:"maxInFlight,omitempty" json:"maxInFlight,omitempty"`
	// MaxInFlightBytes bounds, like the Java client's buffer.memory, the
	// bytes one producer has awaiting acknowledgement, when MaxInFlight is
	// not given.
	MaxInFlightBytes int `yaml:"maxInFlightBytes,omitempty" json:"maxInFlightBytes,omitempty"`
	// Pacing is how an open-model producer waits for a send's time:
	// "sleep" (the default) sleeps and spins the last few µs; "spin" spins
	// throughout, a core per producer, for the most precise sends a
	// machine allows.
	Pacing            string            `yaml:"pacing,omitempty" json:"pacing,omitempty"`
	ReplicationFactor int               `yaml:"replicationFactor,omitempty" json:"replicationFactor,omitempty"`
	TopicConfig       map[string]string `yaml:"topicConfig,omitempty" json:"topicConfig,omitempty"`
	// Producer and Consumer hold client properties under Kafka's names.
	Producer map[string]string `yaml:"producer,omitempty" json:"producer,omitempty"`
	Consumer map[string]string `yaml:"consumer,omitempty" json:"consumer,omitempty"`
	// TopicPrefix starts the name of every topic the run creates; each run
	// creates fresh topics so its counts can be checked against end offsets.
	TopicPrefix string `yaml:"topicPrefix,omitempty" json:"topicPrefix,omitempty"`
	// ExistingTopics names topics that already exist: the run writes to or
	// reads them instead of creating its own (topics follows their number,
	// partitionsPerTopic their partition count), and leaves them and their
	// data in place. Such a run is producer-only or consumer-only.
	ExistingTopics []string `yaml:"existingTopics,omitempty" json:"existingTopics,omitempty"`
	// KeepTopics leaves the run's topics on the cluster after the run.
	KeepTopics bool `yaml:"keepTopics,omitempty" json:"keepTopics,omitempty"`
	// Seed makes sizes, keys and random payloads reproducible.
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// UseTransactions makes every producer transactional (OMB's field of
	// its Kafka driver file): each writes its messages in transactions of
	// TransactionSize messages, or of TransactionInterval, whichever ends
	// first, with a transactional id of its own, and consumers read with
	// isolation.level=read_committed unless Consumer says otherwise.
	UseTransactions bool `yaml:"useTransactions,omitempty" json:"useTransactions,omitempty"`
	// TransactionSize is the messages per transaction (default 100 when
	// neither it nor TransactionInterval is given).
	TransactionSize int `yaml:"transactionSize,omitempty" json:"transactionSize,omitempty"`
	// TransactionInterval commits a transaction once it has been open
	// this long (checked as each message is sent, and when production
	// ends).
	TransactionInterval Duration `yaml:"transactionInterval,omitempty" json:"transactionInterval,omitempty"`
	// TransformsPerTopic, above 0, adds a consume-transform-produce stage
	// (it needs UseTransactions): each topic gets an output topic, and a
	// consumer group of this many transformers copies every record read
	// to the output topic's same partition, in transactions sized as the
	// producers' that also commit the offsets read. Subscriptions then
	// read the output topics, so verification covers both stages.
	TransformsPerTopic int `yaml:"transformsPerTopic,omitempty" json:"transformsPerTopic,omitempty"`
	// Faults is the fault schedule (see FaultSpec).
	Faults []FaultSpec `yaml:"faults,omitempty" json:"faults,omitempty"`
	// Shards places producers and consumers in a distributed run.
	Shards ShardRoles `yaml:"shards,omitempty" json:"shards,omitzero"`

	// dir is the workload file's directory, for relative payload files.
	dir string
	// given records the fields a file or flag set, so that an explicit 0
	// is refused rather than taken for "use the default".
	given map[string]bool
}

// WeightedSize is one entry of a message size distribution.
type WeightedSize struct {
	Size   int     `yaml:"size" json:"size"`
	Weight float64 `yaml:"weight" json:"weight"`
}

// FaultSpec is one scheduled fault.
type FaultSpec struct {
	// At is the time of the fault from the start of measurement.
	At Duration `yaml:"at" json:"at"`
	// Action is one of cluster.Actions().
	Action cluster.Action `yaml:"action" json:"action"`
	// Target picks the broker: "broker:ID", "leader:TOPIC-INDEX/PARTITION"
	// (the leader of that partition of the run's topic number INDEX, e.g.
	// leader:0/0) , "controller", or "random" (seeded by Seed); "all"
	// (the default) for rolling-restart, which takes every broker.
	Target string `yaml:"target" json:"target"`
	// Duration after which the fault is undone (restart, resume); 0 leaves
	// it in place until the run ends.
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// Command is exec's command and arguments; KBENCH_BROKER_ID and
	// KBENCH_BROKER_ADDR are set in its environment.
	Command []string `yaml:"command,omitempty" json:"command,omitempty"`
	// Undo is exec's command to undo the fault after Duration.
	Undo []string `yaml:"undo,omitempty" json:"undo,omitempty"`

	// Network faults and rolling-restart (see netfaults.go).

	// Links are the links latency, bandwidth and reset act on: client,
	// replication, controller; none means all.
	Links []string `yaml:"links,omitempty" json:"links,omitempty"`
	// Delay is latency's extra time on each round trip over the links,
	// give or take Jitter.
	Delay  Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	Jitter Duration `yaml:"jitter,omitempty" json:"jitter,omitempty"`
	// Rate is bandwidth's cap per connection and direction, e.g. 500KB/s
	// or 2MB/s (decimal units).
	Rate string `yaml:"rate,omitempty" json:"rate,omitempty"`
	// Every is how often reset drops the connections (default 2s).
	Every Duration `yaml:"every,omitempty" json:"every,omitempty"`
	// Pause is rolling-restart's wait after each broker is back in sync.
	Pause Duration `yaml:"pause,omitempty" json:"pause,omitempty"`
}

// Duration is a time.Duration that reads from YAML as a Go duration
// ("90s", "2m") or a number of seconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalYAML writes d as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// ParseDuration reads "90s", "1m30s" or a plain number of seconds.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 30s, 5m or 1h30m, got %q", s)
	}
	return Duration(d), nil
}

// Defaults of the kbench fields.
const (
	defaultInterval = Duration(time.Second)
	defaultDrain    = Duration(30 * time.Second)
	// defaultMaxInFlightBytes is above what the clients buffer by
	// default (the Java client's buffer.memory is 32 MiB, franz-go's
	// 10000 records), so kbench's bound is not the one a fast cluster
	// meets first.
	defaultMaxInFlightBytes = 64 << 20
	// maxInFlightCap bounds the in-flight count: each slot holds a buffer.
	maxInFlightCap = 1_000_000
	// maxPartitions bounds the partitions of a run's topics.
	maxPartitions = 100_000
	// defaultTransactionSize is the messages per transaction when the
	// workload gives neither size nor interval.
	defaultTransactionSize = 100
)

// DefaultTopicPrefix starts the run's topic names when the workload names
// no topicPrefix.
const DefaultTopicPrefix = "kbench"

// StampSize is the size of the header the engine writes at the start of
// every message (producer id, sequence, send time); messages can be no
// smaller.
const StampSize = 24

// SlotOverhead is what one in-flight message costs the engine beside its
// buffer (its slot's bookkeeping, on a 64-bit machine), counted in
// maxInFlightBytes when the default maxInFlight is worked out. The engine's
// tests keep it at least the size of its slot.
const SlotOverhead = 152

// Random payload pools.
const (
	// defaultPoolBytes sizes the pool when the workload does not: large
	// enough that a 1 MiB batch rarely holds the same body twice, which a
	// compressor would find.
	defaultPoolBytes = 32 << 20
	// maxPoolBytes bounds the pool's memory.
	maxPoolBytes = 1 << 30
)

// DefaultPoolSize is the random payload pool's number of bodies for
// messages of at most maxSize bytes: defaultPoolBytes / maxSize, at
// least 1.
func DefaultPoolSize(maxSize int) int { return max(1, defaultPoolBytes/maxSize) }

// MaxMessageSize is the largest message the workload can produce.
func (w *Workload) MaxMessageSize() int {
	m := max(w.MessageSize, w.MessageSizeMax)
	for _, ws := range w.MessageSizes {
		m = max(m, ws.Size)
	}
	return m
}

// PayloadPath is the payload file to read: PayloadFile, taken relative to
// the workload file's directory when it is relative and there.
func (w *Workload) PayloadPath() string {
	path := w.PayloadFile
	if path != "" && !filepath.IsAbs(path) && w.dir != "" {
		if _, err := os.Stat(filepath.Join(w.dir, path)); err == nil {
			return filepath.Join(w.dir, path)
		}
	}
	return path
}

// LoadWorkload reads a workload file. Every problem is reported, one per
// line, each with its field path (the workload decoded so far is returned
// with them); the result is not resolved yet (see Resolve), so flags can still
// change it.
func LoadWorkload(path string) (*Workload, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	w, err := ParseWorkload(data)
	if w == nil {
		return nil, fmt.Errorf("workload %s: %w", path, err)
	}
	w.dir = filepath.Dir(path)
	if w.Name == "" {
		w.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return w, err
}

// ParseWorkload decodes a workload document strictly: an unknown field or
// a value of the wrong type is an error naming its path. With such errors
// it still returns what it could decode, so a caller can go on to list the
// problems Resolve finds too.
func ParseWorkload(data []byte) (*Workload, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	w := &Workload{}
	if doc.Kind == 0 { // empty document
		return w, nil
	}
	var errs Problems
	root := resolve(doc.Content[0])
	if isDriverFile(root) {
		return nil, ErrDriverFile
	}
	decodeNode(root, fieldsOf(w), "", &errs)
	if root.Kind == yaml.MappingNode {
		for i := 0; i < len(root.Content); i += 2 {
			w.markGiven(root.Content[i].Value)
		}
	}
	return w, errs.Err()
}

// isDriverFile says whether a document is an OpenMessaging Benchmark
// driver file, which names its driverClass; no workload has one.
func isDriverFile(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(root.Content); i += 2 {
		if root.Content[i].Value == "driverClass" {
			return true
		}
	}
	return false
}

func (w *Workload) markGiven(field string) {
	if w.given == nil {
		w.given = map[string]bool{}
	}
	w.given[field] = true
}

// Set changes one field from a command line "key=value": key is a workload
// field ("messageSize"), a field path ("producer.linger.ms",
// "topicConfig.retention.ms"), or a bare client property ("acks",
// "fetch.min.bytes"), which goes to the producer or the consumer by name.
func (w *Workload) Set(key, value string) error {
	key = strings.TrimSpace(key)
	if key == "" {
		return fmt.Errorf("%q: want key=value", key+"="+value)
	}
	field, rest, _ := strings.Cut(key, ".")
	if _, ok := fieldsOf(w)[field]; !ok {
		switch {
		case producerProps[key]:
			field, rest = "producer", key
		case consumerProps[key]:
			field, rest = "consumer", key
		default:
			names := slices.Collect(maps.Keys(fieldsOf(w)))
			names = append(append(names, slices.Collect(maps.Keys(producerProps))...), slices.Collect(maps.Keys(consumerProps))...)
			return fmt.Errorf("%s: unknown workload field or client property%s; use a workload field (see docs/workload.md), or producer.<property>, consumer.<property>, topicConfig.<property>", key, drivers.DidYouMean(key, names))
		}
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(value), &node); err != nil || node.Kind == 0 {
		node = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	} else {
		node = *node.Content[0]
	}
	if rest != "" {
		// A path into a map field: wrap the value as a one-key mapping
		// and merge it in.
		node = yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: rest},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: value},
		}}
	}
	var errs Problems
	decodeNode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: field}, &node,
	}}, fieldsOf(w), "", &errs)
	if len(errs) > 0 {
		return fmt.Errorf("%s=%s: %w", key, redact.Value(key, value), errs.Err())
	}
	w.markGiven(field)
	return nil
}

// producerProps and consumerProps let Set take a bare client property.
// They list the properties kbench documents; any other goes through
// producer.<name> or consumer.<name>.
var producerProps = setOf("acks", "retries", "enable.idempotence", "linger.ms", "batch.size",
	"compression.type", "max.in.flight.requests.per.connection", "request.timeout.ms",
	"delivery.timeout.ms", "buffer.memory", "max.request.size", "retry.backoff.ms",
	"partitioner.class", "transactional.id", "max.block.ms")

var consumerProps = setOf("fetch.min.bytes", "fetch.max.wait.ms", "fetch.max.bytes",
	"max.partition.fetch.bytes", "auto.offset.reset", "session.timeout.ms",
	"heartbeat.interval.ms", "enable.auto.commit", "auto.commit.interval.ms",
	"max.poll.records", "isolation.level", "group.instance.id")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
