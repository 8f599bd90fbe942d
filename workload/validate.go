package workload

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/cluster"
)

// Key distributors, as OpenMessaging Benchmark names them.
const (
	NoKey         = "NO_KEY"          // no key; the client's partitioner spreads records
	KeyRoundRobin = "KEY_ROUND_ROBIN" // keys taken in turn from a fixed set
	RandomNano    = "RANDOM_NANO"     // a random key per message
)

// Pacings: how an open-model producer waits for each send's time.
const (
	PacingSleep = "sleep" // sleep, then spin the last few µs
	PacingSpin  = "spin"  // spin throughout, holding a core
)

// Resolve fills in defaults and checks the workload, returning every
// problem found (nil when it is fine). Run it after files and flags have
// all been applied.
func (w *Workload) Resolve() error {
	var p Problems
	if w.Name == "" {
		w.Name = "workload"
	}
	w.defInt(&w.Topics, "topics", 1)
	w.defInt(&w.PartitionsPerTopic, "partitionsPerTopic", 1)
	w.defInt(&w.MessageSize, "messageSize", 1024)
	w.defInt(&w.ProducersPerTopic, "producersPerTopic", 1)
	if w.KeyDistributor == "" {
		w.KeyDistributor = NoKey
	}
	if w.Pacing == "" {
		w.Pacing = PacingSleep
	}
	if w.Duration == 0 && w.TestDurationMinutes > 0 {
		w.Duration = Duration(w.TestDurationMinutes * float64(time.Minute))
	}
	if w.Warmup == 0 && w.WarmupDurationMinutes > 0 {
		w.Warmup = Duration(w.WarmupDurationMinutes * float64(time.Minute))
	}
	if w.Interval == 0 && !w.given["interval"] {
		w.Interval = defaultInterval
	}
	if w.Drain == 0 {
		w.Drain = defaultDrain
	}
	w.defInt(&w.MaxInFlightBytes, "maxInFlightBytes", defaultMaxInFlightBytes)
	w.defInt(&w.MaxInFlight, "maxInFlight", min(maxInFlightCap, max(1, w.MaxInFlightBytes/(w.MaxMessageSize()+SlotOverhead))))
	if w.UseRandomizedPayloads && w.RandomizedPayloadPoolSize == 0 {
		w.RandomizedPayloadPoolSize = DefaultPoolSize(max(w.MaxMessageSize(), 1))
	}
	if w.TopicPrefix == "" {
		w.TopicPrefix = DefaultTopicPrefix
	}
	if w.SubscriptionsPerTopic > 0 && w.ConsumerPerSubscription == 0 {
		if w.given["consumerPerSubscription"] {
			p.Addf("consumerPerSubscription", "must be at least 1 when subscriptionsPerTopic is %d, got 0; for a run without consumers set subscriptionsPerTopic: 0", w.SubscriptionsPerTopic)
		} else {
			w.ConsumerPerSubscription = 1
		}
	}

	positive := func(path string, v int) {
		if v < 1 {
			p.Addf(path, "must be at least 1, got %d", v)
		}
	}
	w.resolveExisting(&p)
	positive("topics", w.Topics)
	positive("partitionsPerTopic", w.PartitionsPerTopic)
	// kbench keeps state per partition and the brokers must create them
	// all before the run starts; far above what benchmarks need, a typo.
	if n := int64(w.Topics) * int64(w.PartitionsPerTopic); n > maxPartitions {
		p.Addf("partitionsPerTopic", "at most %d partitions over all topics (topics × partitionsPerTopic), got %d", maxPartitions, n)
	}
	if len(w.ExistingTopics) == 0 {
		positive("producersPerTopic", w.ProducersPerTopic)
	}
	positive("maxInFlight", w.MaxInFlight)
	positive("maxInFlightBytes", w.MaxInFlightBytes)
	if w.MessageSize < StampSize {
		p.Addf("messageSize", "must be at least %d bytes (kbench stamps producer id, sequence and send time into each message), got %d", StampSize, w.MessageSize)
	}
	if w.MessageSizeMax != 0 && w.MessageSizeMax < w.MessageSize {
		p.Addf("messageSizeMax", "must be at least messageSize (%d), got %d", w.MessageSize, w.MessageSizeMax)
	}
	if m := w.MaxMessageSize(); m > math.MaxInt32 {
		p.Addf("messageSize", "at most %d bytes (Kafka sizes records in 32-bit integers), got %d", math.MaxInt32, m)
	}
	if w.MessageSizeMax != 0 && len(w.MessageSizes) > 0 {
		p.Addf("messageSizes", "set either messageSizeMax (uniform sizes) or messageSizes (weighted), not both")
	}
	for i, ws := range w.MessageSizes {
		path := "messageSizes[" + strconv.Itoa(i) + "]"
		if ws.Size < StampSize {
			p.Addf(path+".size", "must be at least %d bytes, got %d", StampSize, ws.Size)
		}
		if !(ws.Weight > 0) || math.IsInf(ws.Weight, 0) { // also refuses NaN
			p.Addf(path+".weight", "must be a finite number above 0, got %g", ws.Weight)
		}
	}
	switch w.KeyDistributor {
	case NoKey, KeyRoundRobin, RandomNano:
	default:
		p.Addf("keyDistributor", "unknown distributor %q; use NO_KEY, KEY_ROUND_ROBIN or RANDOM_NANO", w.KeyDistributor)
	}
	switch w.Pacing {
	case PacingSleep, PacingSpin:
	default:
		p.Addf("pacing", "unknown pacing %q; use sleep (the default) or spin (a core per producer)", w.Pacing)
	}
	if w.SubscriptionsPerTopic < 0 {
		p.Addf("subscriptionsPerTopic", "must not be negative, got %d", w.SubscriptionsPerTopic)
	}
	if w.ConsumerPerSubscription < 0 {
		p.Addf("consumerPerSubscription", "must not be negative, got %d", w.ConsumerPerSubscription)
	}
	for path, f := range map[string]float64{"producerRate": w.ProducerRate, "randomBytesRatio": w.RandomBytesRatio,
		"testDurationMinutes": w.TestDurationMinutes, "warmupDurationMinutes": w.WarmupDurationMinutes,
		"consumerBacklogSizeGB": w.ConsumerBacklogSizeGB} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			p.Addf(path, "must be a finite number, got %g", f)
		}
	}
	if w.ProducerRate < 0 {
		p.Addf("producerRate", "must not be negative (0 means as fast as possible), got %g", w.ProducerRate)
	}
	if w.MaxInFlight > maxInFlightCap {
		p.Addf("maxInFlight", "at most %d (each in-flight message holds a buffer), got %d", maxInFlightCap, w.MaxInFlight)
	}
	if w.RandomizedPayloadPoolSize < 0 {
		p.Addf("randomizedPayloadPoolSize", "must not be negative (0 takes a pool of %d MiB), got %d", defaultPoolBytes>>20, w.RandomizedPayloadPoolSize)
	}
	if w.UseRandomizedPayloads && int64(w.RandomizedPayloadPoolSize)*int64(w.MaxMessageSize()) > maxPoolBytes {
		p.Addf("randomizedPayloadPoolSize", "%d payloads of up to %d bytes need more than %d MiB; use fewer", w.RandomizedPayloadPoolSize, w.MaxMessageSize(), maxPoolBytes>>20)
	}
	w.checkBacklog(&p)
	if w.Messages < 0 {
		p.Addf("messages", "must not be negative, got %d", w.Messages)
	}
	for path, d := range map[string]Duration{"duration": w.Duration, "warmup": w.Warmup, "drain": w.Drain, "interval": w.Interval} {
		if d < 0 {
			p.Addf(path, "must not be negative, got %s", d.D())
		}
	}
	if w.Interval >= 0 && w.Interval.D() < 10*time.Millisecond {
		p.Addf("interval", "must be at least 10ms, got %s", w.Interval.D())
	}
	if w.Duration <= 0 && w.Messages == 0 {
		p.Addf("duration", "the run has no end: set duration (or testDurationMinutes), messages, or both")
	}
	if w.ReplicationFactor < 0 || w.ReplicationFactor > 32767 {
		p.Addf("replicationFactor", "must be between 1 and 32767 (0 takes the broker's default), got %d", w.ReplicationFactor)
	}
	if w.PayloadFile != "" && (w.MessageSizeMax != 0 || len(w.MessageSizes) > 0) {
		p.Addf("payloadFile", "a payload file fixes the message content; use it with a fixed messageSize")
	}
	validateProducerProps(w.Producer, &p)
	validateConsumerProps(w.Consumer, &p)
	w.resolveTransactions(&p)
	w.validateTransforms(&p)
	for i := range w.Faults {
		defaultNetFault(&w.Faults[i])
		validateFault(w.Faults[i], "faults["+strconv.Itoa(i)+"]", w, &p)
	}
	validateShardRoles(w.Shards, &p)
	return p.Err()
}

// defInt gives an unset field its default; a field given as 0 stays 0,
// for the checks below to refuse.
func (w *Workload) defInt(v *int, field string, def int) {
	if *v == 0 && !w.given[field] {
		*v = def
	}
}

// resolveTransactions gives a transactional workload its default
// transaction size and refuses settings transactions cannot run with.
func (w *Workload) resolveTransactions(p *Problems) {
	if !w.UseTransactions {
		for field, given := range map[string]bool{"transactionSize": w.TransactionSize != 0 || w.given["transactionSize"],
			"transactionInterval": w.TransactionInterval != 0} {
			if given {
				p.Addf(field, "sizes transactions, but the workload does not use them: set useTransactions: true, or remove %s", field)
			}
		}
		return
	}
	if w.TransactionInterval == 0 {
		w.defInt(&w.TransactionSize, "transactionSize", defaultTransactionSize)
	}
	if w.TransactionSize < 0 || w.TransactionSize == 0 && w.given["transactionSize"] {
		p.Addf("transactionSize", "must be at least 1 message, got %d", w.TransactionSize)
	}
	if w.TransactionInterval < 0 {
		p.Addf("transactionInterval", "must not be negative, got %s", w.TransactionInterval.D())
	}
	if w.ProducersPerTopic == 0 {
		p.Addf("useTransactions", "transactions need producers, and the workload has none (producersPerTopic: 0)")
	}
	if a, ok := w.Producer["acks"]; ok && a != "all" && a != "-1" {
		p.Addf("producer.acks", "transactions require acks=all, got acks=%s: set acks=all or useTransactions: false", a)
	}
	if w.Producer["enable.idempotence"] == "false" {
		p.Addf("producer.enable.idempotence", "transactions require idempotence: remove enable.idempotence=false or set useTransactions: false")
	}
	if w.Producer["retries"] == "0" {
		p.Addf("producer.retries", "transactions require retries above 0")
	}
	if l, ok := w.Consumer["isolation.level"]; ok && l != "read_committed" && l != "read_uncommitted" {
		p.Addf("consumer.isolation.level", "must be read_committed (the default with transactions) or read_uncommitted, got %q", l)
	}
}

// validateTransforms refuses a transform stage the run cannot build.
func (w *Workload) validateTransforms(p *Problems) {
	switch {
	case w.TransformsPerTopic < 0:
		p.Addf("transformsPerTopic", "must not be negative, got %d", w.TransformsPerTopic)
	case w.TransformsPerTopic == 0:
	case !w.UseTransactions:
		p.Addf("transformsPerTopic", "transformers commit what they read in transactions: set useTransactions: true, or remove transformsPerTopic")
	case len(w.ExistingTopics) > 0:
		p.Addf("transformsPerTopic", "transformers write to output topics the run creates beside its own: remove existingTopics, or transformsPerTopic")
	case w.ConsumerBacklogSizeGB > 0:
		p.Addf("transformsPerTopic", "a backlog run does not transform yet: remove consumerBacklogSizeGB, or transformsPerTopic")
	}
}

// validateProducerProps checks what any client must refuse; each driver
// checks again what its own library cannot do.
func validateProducerProps(props map[string]string, p *Problems) {
	path := func(k string) string { return "producer." + k }
	acks, hasAcks := props["acks"]
	if hasAcks {
		switch acks {
		case "0", "1", "all", "-1":
		default:
			p.Addf(path("acks"), "must be 0, 1 or all (-1), got %q", acks)
		}
	}
	checkInts(props, "producer", p, "retries", "linger.ms", "request.timeout.ms", "delivery.timeout.ms",
		"retry.backoff.ms", "buffer.memory", "max.block.ms")
	checkPositive(props, "producer", p, "batch.size", "max.in.flight.requests.per.connection", "max.request.size")
	idem, hasIdem := props["enable.idempotence"]
	if hasIdem && idem != "true" && idem != "false" {
		p.Addf(path("enable.idempotence"), "must be true or false, got %q", idem)
	}
	if idem == "true" {
		if hasAcks && acks != "all" && acks != "-1" {
			p.Addf(path("enable.idempotence"), "idempotence requires acks=all, but acks=%s: set acks=all or enable.idempotence=false", acks)
		}
		if n, err := strconv.Atoi(props["max.in.flight.requests.per.connection"]); err == nil && n > 5 {
			p.Addf(path("max.in.flight.requests.per.connection"), "idempotence allows at most 5 requests in flight, got %d", n)
		}
		if props["retries"] == "0" {
			p.Addf(path("retries"), "idempotence requires retries above 0")
		}
	}
	if c, ok := props["compression.type"]; ok {
		switch c {
		case "none", "gzip", "snappy", "lz4", "zstd":
		default:
			p.Addf(path("compression.type"), "must be none, gzip, snappy, lz4 or zstd, got %q", c)
		}
	}
}

func validateConsumerProps(props map[string]string, p *Problems) {
	checkInts(props, "consumer", p, "fetch.min.bytes", "fetch.max.wait.ms", "fetch.max.bytes",
		"max.partition.fetch.bytes", "session.timeout.ms", "heartbeat.interval.ms")
	if r, ok := props["auto.offset.reset"]; ok && r != "earliest" && r != "latest" {
		p.Addf("consumer.auto.offset.reset", "must be earliest or latest, got %q", r)
	}
	if _, ok := props["group.id"]; ok {
		p.Addf("consumer.group.id", "kbench names each subscription's consumer group (after topicPrefix and the run id), so subscriptions stay apart; remove group.id")
	}
}

func checkInts(props map[string]string, section string, p *Problems, keys ...string) {
	for _, k := range keys {
		if v, ok := props[k]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				p.Addf(section+"."+k, "must be a whole number, 0 or more, got %q", v)
			}
		}
	}
}

func checkPositive(props map[string]string, section string, p *Problems, keys ...string) {
	for _, k := range keys {
		if v, ok := props[k]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 1 {
				p.Addf(section+"."+k, "must be a whole number, 1 or more, got %q", v)
			}
		}
	}
}

func validateFault(f FaultSpec, path string, w *Workload, p *Problems) {
	if !slices.Contains(cluster.Actions(), f.Action) {
		p.Addf(path+".action", "unknown action %q; use one of %v", f.Action, cluster.Actions())
	}
	if f.At < 0 {
		p.Addf(path+".at", "must not be negative, got %s", f.At.D())
	}
	if w.Duration > 0 && f.At >= w.Duration {
		p.Addf(path+".at", "%s is not before the end of measurement (%s)", f.At.D(), w.Duration.D())
	}
	if f.Duration < 0 {
		p.Addf(path+".duration", "must not be negative, got %s", f.Duration.D())
	}
	if f.Action == cluster.ActionPause && f.Duration == 0 {
		p.Addf(path+".duration", "pause needs a duration, after which the broker is resumed")
	}
	if f.Action == cluster.ActionLeaderMove && f.Duration != 0 {
		// Moving leadership back is not the move's undo: the replica
		// order it changed makes another broker preferred.
		p.Addf(path+".duration", "leader-move is not undone; leave duration out, or schedule a second leader-move")
	}
	if f.Action == cluster.ActionExec && len(f.Command) == 0 {
		p.Addf(path+".command", "exec needs a command to run")
	}
	if f.Action != cluster.ActionExec && (len(f.Command) > 0 || len(f.Undo) > 0) {
		p.Addf(path+".command", "only exec runs a command")
	}
	validateNetFault(f, path, p)
	if f.Action == cluster.ActionRollingRestart {
		return // it takes every broker: validateNetFault checks its target
	}
	if _, err := ParseTarget(f.Target); err != nil {
		p.Addf(path+".target", "%v", err)
	} else if t, _ := ParseTarget(f.Target); t.Kind == TargetLeader && t.Topic >= w.Topics {
		p.Addf(path+".target", "topic index %d is out of range: the workload has %d topic(s), numbered from 0", t.Topic, w.Topics)
	} else if t.Kind == TargetLeader && t.Partition >= int32(w.PartitionsPerTopic) {
		p.Addf(path+".target", "partition %d is out of range: topics have %d partition(s)", t.Partition, w.PartitionsPerTopic)
	}
}

// Target kinds of a fault.
const (
	TargetBroker     = "broker"
	TargetLeader     = "leader"
	TargetController = "controller"
	TargetRandom     = "random"
)

// FaultTarget is a parsed fault target (FaultSpec.Target).
type FaultTarget struct {
	Kind      string // TargetBroker, TargetLeader, TargetController or TargetRandom
	Broker    int32  // for broker
	Topic     int    // for leader: the run's topic index
	Partition int32  // for leader
}

// ParseTarget reads a fault target: "broker:ID", "leader:TOPIC/PARTITION",
// "controller" or "random".
func ParseTarget(s string) (FaultTarget, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case TargetController, TargetRandom:
		if arg != "" {
			return FaultTarget{}, errTarget(s)
		}
		return FaultTarget{Kind: kind}, nil
	case TargetBroker:
		id, err := strconv.ParseInt(arg, 10, 32)
		if err != nil || id < 0 {
			return FaultTarget{}, errTarget(s)
		}
		return FaultTarget{Kind: kind, Broker: int32(id)}, nil
	case TargetLeader:
		ts, ps, ok := strings.Cut(arg, "/")
		t, err1 := strconv.Atoi(ts)
		pn, err2 := strconv.ParseInt(ps, 10, 32)
		if !ok || err1 != nil || err2 != nil || t < 0 || pn < 0 {
			return FaultTarget{}, errTarget(s)
		}
		return FaultTarget{Kind: kind, Topic: t, Partition: int32(pn)}, nil
	}
	return FaultTarget{}, errTarget(s)
}

func errTarget(s string) error {
	return &targetError{s}
}

type targetError struct{ s string }

func (e *targetError) Error() string {
	return "unknown target " + strconv.Quote(e.s) + "; use broker:ID, leader:TOPIC/PARTITION (e.g. leader:0/0), controller or random"
}

// ParseFaultFlag reads a fault from the command line's compact form:
// "at=20s,action=kill,target=leader:0/0,duration=20s". For exec,
// "command=" comes last and takes the rest of the text, split on spaces.
func ParseFaultFlag(s string) (FaultSpec, error) {
	var f FaultSpec
	seen := map[string]bool{}
	rest := s
	for rest != "" {
		var item string
		if strings.HasPrefix(rest, "command=") {
			item, rest = rest, ""
		} else {
			item, rest, _ = strings.Cut(rest, ",")
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return f, fmt.Errorf("%q: %q is not key=value; want at=20s,action=kill,target=broker:1,duration=10s", s, item)
		}
		if seen[k] {
			return f, fmt.Errorf("%q: %s: given twice; give each key once", s, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "at":
			f.At, err = ParseDuration(v)
		case "duration":
			f.Duration, err = ParseDuration(v)
		case "action":
			f.Action = cluster.Action(v)
		case "target":
			f.Target = v
		case "command":
			f.Command = strings.Fields(v)
		case "links":
			// links=client,replication: the items after it without a key
			// are links too.
			f.Links = append(f.Links, v)
			for rest != "" && !strings.Contains(strings.SplitN(rest, ",", 2)[0], "=") {
				var link string
				link, rest, _ = strings.Cut(rest, ",")
				f.Links = append(f.Links, link)
			}
		case "delay":
			f.Delay, err = ParseDuration(v)
		case "jitter":
			f.Jitter, err = ParseDuration(v)
		case "rate":
			f.Rate = v
		case "every":
			f.Every, err = ParseDuration(v)
		case "pause":
			f.Pause, err = ParseDuration(v)
		default:
			return f, fmt.Errorf("%q: unknown key %q; use at, action, target, duration, command, links, delay, jitter, rate, every, pause", s, k)
		}
		if err != nil {
			return f, fmt.Errorf("%q: %s: %w", s, k, err)
		}
	}
	if !seen["at"] {
		return f, fmt.Errorf("%q: at: missing; say when the fault starts, e.g. at=20s", s)
	}
	return f, nil
}

// checkBacklog checks a backlog run's shape: it needs producers to build
// the backlog and consumers to drain it.
func (w *Workload) checkBacklog(p *Problems) {
	switch {
	case w.ConsumerBacklogSizeGB < 0:
		p.Addf("consumerBacklogSizeGB", "must not be negative, got %g", w.ConsumerBacklogSizeGB)
	case w.ConsumerBacklogSizeGB > 0 && (w.SubscriptionsPerTopic == 0 || w.ProducersPerTopic == 0):
		p.Addf("consumerBacklogSizeGB", "a backlog is built by producers and drained by consumers: set producersPerTopic and subscriptionsPerTopic")
	}
}

// resolveExisting shapes a workload on existing topics: their number is
// the workload's topics, and a run may be one-sided (producers only, or
// consumers only). Their partition count is read from the cluster at
// setup.
func (w *Workload) resolveExisting(p *Problems) {
	if len(w.ExistingTopics) == 0 {
		return
	}
	for i, t := range w.ExistingTopics {
		if t == "" || slices.Contains(w.ExistingTopics[:i], t) {
			p.Addf("existingTopics["+strconv.Itoa(i)+"]", "empty or repeated topic name %q", t)
		}
	}
	if w.given["topics"] && w.Topics != len(w.ExistingTopics) {
		p.Addf("topics", "%d, but %d existing topics are named; drop topics", w.Topics, len(w.ExistingTopics))
	}
	w.Topics = len(w.ExistingTopics)
	if w.ProducersPerTopic > 0 && w.SubscriptionsPerTopic > 0 {
		p.Addf("existingTopics", "a run on existing topics produces or consumes, not both: its consumers would take the topics' earlier records for its own; set subscriptionsPerTopic: 0 (producer-only) or producersPerTopic: 0 (consumer-only)")
	}
	if w.ProducersPerTopic == 0 && w.SubscriptionsPerTopic == 0 {
		p.Addf("producersPerTopic", "a run needs producers or consumers")
	}
}
