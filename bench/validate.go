package bench

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
	noKey         = "NO_KEY"          // no key; the client's partitioner spreads records
	keyRoundRobin = "KEY_ROUND_ROBIN" // keys taken in turn from a fixed set
	randomNano    = "RANDOM_NANO"     // a random key per message
)

// Pacings: how an open-model producer waits for each send's time.
const (
	pacingSleep = "sleep" // sleep, then spin the last few µs
	pacingSpin  = "spin"  // spin throughout, holding a core
)

// Resolve fills in defaults and checks the workload, returning every
// problem found (nil when it is fine). Run it after files and flags have
// all been applied.
func (w *Workload) Resolve() error {
	var p problems
	if w.Name == "" {
		w.Name = "workload"
	}
	w.defInt(&w.Topics, "topics", 1)
	w.defInt(&w.PartitionsPerTopic, "partitionsPerTopic", 1)
	w.defInt(&w.MessageSize, "messageSize", 1024)
	w.defInt(&w.ProducersPerTopic, "producersPerTopic", 1)
	if w.KeyDistributor == "" {
		w.KeyDistributor = noKey
	}
	if w.Pacing == "" {
		w.Pacing = pacingSleep
	}
	if w.Duration == 0 && w.TestDurationMinutes > 0 {
		w.Duration = Duration(w.TestDurationMinutes * float64(time.Minute))
	}
	if w.Warmup == 0 && w.WarmupDurationMinutes > 0 {
		w.Warmup = Duration(w.WarmupDurationMinutes * float64(time.Minute))
	}
	if w.Interval == 0 {
		w.Interval = defaultInterval
	}
	if w.Drain == 0 {
		w.Drain = defaultDrain
	}
	w.defInt(&w.MaxInFlightBytes, "maxInFlightBytes", defaultMaxInFlightBytes)
	w.defInt(&w.MaxInFlight, "maxInFlight", min(maxInFlightCap, max(1, w.MaxInFlightBytes/(maxSize(w)+slotOverhead))))
	if w.UseRandomizedPayloads && w.RandomizedPayloadPoolSize == 0 {
		w.RandomizedPayloadPoolSize = defaultPoolSize(max(maxSize(w), 1))
	}
	if w.TopicPrefix == "" {
		w.TopicPrefix = defaultTopicPrefix
	}
	if w.SubscriptionsPerTopic > 0 && w.ConsumerPerSubscription == 0 {
		w.ConsumerPerSubscription = 1
	}

	positive := func(path string, v int) {
		if v < 1 {
			p.addf(path, "must be at least 1, got %d", v)
		}
	}
	w.resolveExisting(&p)
	positive("topics", w.Topics)
	positive("partitionsPerTopic", w.PartitionsPerTopic)
	if len(w.ExistingTopics) == 0 {
		positive("producersPerTopic", w.ProducersPerTopic)
	}
	positive("maxInFlight", w.MaxInFlight)
	positive("maxInFlightBytes", w.MaxInFlightBytes)
	if w.MessageSize < stampSize {
		p.addf("messageSize", "must be at least %d bytes (kbench stamps producer id, sequence and send time into each message), got %d", stampSize, w.MessageSize)
	}
	if w.MessageSizeMax != 0 && w.MessageSizeMax < w.MessageSize {
		p.addf("messageSizeMax", "must be at least messageSize (%d), got %d", w.MessageSize, w.MessageSizeMax)
	}
	if m := maxSize(w); m > math.MaxInt32 {
		p.addf("messageSize", "at most %d bytes (Kafka sizes records in 32-bit integers), got %d", math.MaxInt32, m)
	}
	if w.MessageSizeMax != 0 && len(w.MessageSizes) > 0 {
		p.addf("messageSizes", "set either messageSizeMax (uniform sizes) or messageSizes (weighted), not both")
	}
	for i, ws := range w.MessageSizes {
		path := "messageSizes[" + strconv.Itoa(i) + "]"
		if ws.Size < stampSize {
			p.addf(path+".size", "must be at least %d bytes, got %d", stampSize, ws.Size)
		}
		if !(ws.Weight > 0) || math.IsInf(ws.Weight, 0) { // also refuses NaN
			p.addf(path+".weight", "must be a finite number above 0, got %g", ws.Weight)
		}
	}
	switch w.KeyDistributor {
	case noKey, keyRoundRobin, randomNano:
	default:
		p.addf("keyDistributor", "unknown distributor %q; use NO_KEY, KEY_ROUND_ROBIN or RANDOM_NANO", w.KeyDistributor)
	}
	switch w.Pacing {
	case pacingSleep, pacingSpin:
	default:
		p.addf("pacing", "unknown pacing %q; use sleep (the default) or spin (a core per producer)", w.Pacing)
	}
	if w.SubscriptionsPerTopic < 0 {
		p.addf("subscriptionsPerTopic", "must not be negative, got %d", w.SubscriptionsPerTopic)
	}
	if w.ConsumerPerSubscription < 0 {
		p.addf("consumerPerSubscription", "must not be negative, got %d", w.ConsumerPerSubscription)
	}
	for path, f := range map[string]float64{"producerRate": w.ProducerRate, "randomBytesRatio": w.RandomBytesRatio,
		"testDurationMinutes": w.TestDurationMinutes, "warmupDurationMinutes": w.WarmupDurationMinutes,
		"consumerBacklogSizeGB": w.ConsumerBacklogSizeGB} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			p.addf(path, "must be a finite number, got %g", f)
		}
	}
	if w.ProducerRate < 0 {
		p.addf("producerRate", "must not be negative (0 means as fast as possible), got %g", w.ProducerRate)
	}
	if w.MaxInFlight > maxInFlightCap {
		p.addf("maxInFlight", "at most %d (each in-flight message holds a buffer), got %d", maxInFlightCap, w.MaxInFlight)
	}
	if w.RandomizedPayloadPoolSize < 0 {
		p.addf("randomizedPayloadPoolSize", "must not be negative (0 takes a pool of %d MiB), got %d", defaultPoolBytes>>20, w.RandomizedPayloadPoolSize)
	}
	if w.UseRandomizedPayloads && int64(w.RandomizedPayloadPoolSize)*int64(maxSize(w)) > maxPoolBytes {
		p.addf("randomizedPayloadPoolSize", "%d payloads of up to %d bytes need more than %d MiB; use fewer", w.RandomizedPayloadPoolSize, maxSize(w), maxPoolBytes>>20)
	}
	w.checkBacklog(&p)
	if w.Messages < 0 {
		p.addf("messages", "must not be negative, got %d", w.Messages)
	}
	for path, d := range map[string]Duration{"duration": w.Duration, "warmup": w.Warmup, "drain": w.Drain, "interval": w.Interval} {
		if d < 0 {
			p.addf(path, "must not be negative, got %s", d.D())
		}
	}
	if w.Interval > 0 && w.Interval.D() < 10*time.Millisecond {
		p.addf("interval", "must be at least 10ms, got %s", w.Interval.D())
	}
	if w.Duration <= 0 && w.Messages == 0 {
		p.addf("duration", "the run has no end: set duration (or testDurationMinutes), messages, or both")
	}
	if w.ReplicationFactor < 0 || w.ReplicationFactor > 32767 {
		p.addf("replicationFactor", "must be between 1 and 32767 (0 takes the broker's default), got %d", w.ReplicationFactor)
	}
	if w.PayloadFile != "" && (w.MessageSizeMax != 0 || len(w.MessageSizes) > 0) {
		p.addf("payloadFile", "a payload file fixes the message content; use it with a fixed messageSize")
	}
	validateProducerProps(w.Producer, &p)
	validateConsumerProps(w.Consumer, &p)
	for i := range w.Faults {
		defaultNetFault(&w.Faults[i])
		validateFault(w.Faults[i], "faults["+strconv.Itoa(i)+"]", w, &p)
	}
	validateShardRoles(w.Shards, &p)
	return p.err()
}

// defInt gives an unset field its default; a field given as 0 stays 0,
// for the checks below to refuse.
func (w *Workload) defInt(v *int, field string, def int) {
	if *v == 0 && !w.given[field] {
		*v = def
	}
}

// validateProducerProps checks what any client must refuse; each driver
// checks again what its own library cannot do.
func validateProducerProps(props map[string]string, p *problems) {
	path := func(k string) string { return "producer." + k }
	acks, hasAcks := props["acks"]
	if hasAcks {
		switch acks {
		case "0", "1", "all", "-1":
		default:
			p.addf(path("acks"), "must be 0, 1 or all (-1), got %q", acks)
		}
	}
	checkInts(props, "producer", p, "retries", "linger.ms", "request.timeout.ms", "delivery.timeout.ms",
		"retry.backoff.ms", "buffer.memory", "max.block.ms")
	checkPositive(props, "producer", p, "batch.size", "max.in.flight.requests.per.connection", "max.request.size")
	idem, hasIdem := props["enable.idempotence"]
	if hasIdem && idem != "true" && idem != "false" {
		p.addf(path("enable.idempotence"), "must be true or false, got %q", idem)
	}
	if idem == "true" {
		if hasAcks && acks != "all" && acks != "-1" {
			p.addf(path("enable.idempotence"), "idempotence requires acks=all, but acks=%s: set acks=all or enable.idempotence=false", acks)
		}
		if n, err := strconv.Atoi(props["max.in.flight.requests.per.connection"]); err == nil && n > 5 {
			p.addf(path("max.in.flight.requests.per.connection"), "idempotence allows at most 5 requests in flight, got %d", n)
		}
		if props["retries"] == "0" {
			p.addf(path("retries"), "idempotence requires retries above 0")
		}
	}
	if c, ok := props["compression.type"]; ok {
		switch c {
		case "none", "gzip", "snappy", "lz4", "zstd":
		default:
			p.addf(path("compression.type"), "must be none, gzip, snappy, lz4 or zstd, got %q", c)
		}
	}
}

func validateConsumerProps(props map[string]string, p *problems) {
	checkInts(props, "consumer", p, "fetch.min.bytes", "fetch.max.wait.ms", "fetch.max.bytes",
		"max.partition.fetch.bytes", "session.timeout.ms", "heartbeat.interval.ms")
	if r, ok := props["auto.offset.reset"]; ok && r != "earliest" && r != "latest" {
		p.addf("consumer.auto.offset.reset", "must be earliest or latest, got %q", r)
	}
	if _, ok := props["group.id"]; ok {
		p.addf("consumer.group.id", "kbench names each subscription's consumer group (after topicPrefix and the run id), so subscriptions stay apart; remove group.id")
	}
}

func checkInts(props map[string]string, section string, p *problems, keys ...string) {
	for _, k := range keys {
		if v, ok := props[k]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				p.addf(section+"."+k, "must be a whole number, 0 or more, got %q", v)
			}
		}
	}
}

func checkPositive(props map[string]string, section string, p *problems, keys ...string) {
	for _, k := range keys {
		if v, ok := props[k]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 1 {
				p.addf(section+"."+k, "must be a whole number, 1 or more, got %q", v)
			}
		}
	}
}

func validateFault(f FaultSpec, path string, w *Workload, p *problems) {
	if !slices.Contains(cluster.Actions(), f.Action) {
		p.addf(path+".action", "unknown action %q; use one of %v", f.Action, cluster.Actions())
	}
	if f.At < 0 {
		p.addf(path+".at", "must not be negative, got %s", f.At.D())
	}
	if w.Duration > 0 && f.At >= w.Duration {
		p.addf(path+".at", "%s is not before the end of measurement (%s)", f.At.D(), w.Duration.D())
	}
	if f.Duration < 0 {
		p.addf(path+".duration", "must not be negative, got %s", f.Duration.D())
	}
	if f.Action == cluster.ActionPause && f.Duration == 0 {
		p.addf(path+".duration", "pause needs a duration, after which the broker is resumed")
	}
	if f.Action == cluster.ActionLeaderMove && f.Duration != 0 {
		// Moving leadership back is not the move's undo: the replica
		// order it changed makes another broker preferred.
		p.addf(path+".duration", "leader-move is not undone; leave duration out, or schedule a second leader-move")
	}
	if f.Action == cluster.ActionExec && len(f.Command) == 0 {
		p.addf(path+".command", "exec needs a command to run")
	}
	if f.Action != cluster.ActionExec && (len(f.Command) > 0 || len(f.Undo) > 0) {
		p.addf(path+".command", "only exec runs a command")
	}
	validateNetFault(f, path, p)
	if f.Action == cluster.ActionRollingRestart {
		return // it takes every broker: validateNetFault checks its target
	}
	if _, err := parseTarget(f.Target); err != nil {
		p.addf(path+".target", "%v", err)
	} else if t, _ := parseTarget(f.Target); t.Kind == targetLeader && t.Topic >= w.Topics {
		p.addf(path+".target", "topic index %d is out of range: the workload has %d topic(s), numbered from 0", t.Topic, w.Topics)
	} else if t.Kind == targetLeader && t.Partition >= int32(w.PartitionsPerTopic) {
		p.addf(path+".target", "partition %d is out of range: topics have %d partition(s)", t.Partition, w.PartitionsPerTopic)
	}
}

// Target kinds of a fault.
const (
	targetBroker     = "broker"
	targetLeader     = "leader"
	targetController = "controller"
	targetRandom     = "random"
)

// faultTarget is a parsed fault target.
type faultTarget struct {
	Kind      string
	Broker    int32 // for broker
	Topic     int   // for leader: the run's topic index
	Partition int32 // for leader
}

// parseTarget reads "broker:ID", "leader:TOPIC/PARTITION", "controller" or
// "random".
func parseTarget(s string) (faultTarget, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch kind {
	case targetController, targetRandom:
		if arg != "" {
			return faultTarget{}, errTarget(s)
		}
		return faultTarget{Kind: kind}, nil
	case targetBroker:
		id, err := strconv.ParseInt(arg, 10, 32)
		if err != nil || id < 0 {
			return faultTarget{}, errTarget(s)
		}
		return faultTarget{Kind: kind, Broker: int32(id)}, nil
	case targetLeader:
		ts, ps, ok := strings.Cut(arg, "/")
		t, err1 := strconv.Atoi(ts)
		pn, err2 := strconv.ParseInt(ps, 10, 32)
		if !ok || err1 != nil || err2 != nil || t < 0 || pn < 0 {
			return faultTarget{}, errTarget(s)
		}
		return faultTarget{Kind: kind, Topic: t, Partition: int32(pn)}, nil
	}
	return faultTarget{}, errTarget(s)
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
	return f, nil
}
