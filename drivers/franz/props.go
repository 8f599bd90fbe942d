package franz

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/redact"
)

// defaultBatchMaxBytes is kgo's default ProducerBatchMaxBytes (Kafka's
// max.message.bytes default).
const defaultBatchMaxBytes = 1000012

// Properties each role understands. A producer ignores consumer properties
// and a consumer ignores producer properties, as the Java clients do, so one
// tuning profile can configure both; any other unknown property is refused,
// because kgo has no pass-through.
var (
	commonProps   = set("client.id", "request.timeout.ms")
	producerProps = set("acks", "retries", "enable.idempotence", "linger.ms",
		"batch.size", "compression.type", "max.in.flight.requests.per.connection",
		"delivery.timeout.ms", "buffer.memory", "max.request.size", "message.max.bytes",
		"transactional.id", "transaction.timeout.ms")
	consumerProps = set("fetch.min.bytes", "fetch.max.wait.ms", "fetch.max.bytes",
		"max.partition.fetch.bytes", "auto.offset.reset", "session.timeout.ms",
		"heartbeat.interval.ms", "enable.auto.commit", "auto.commit.interval.ms", "isolation.level")
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// parser turns Kafka client properties into kgo options. It collects every
// problem instead of stopping at the first, so a profile is fixed in one go.
type parser struct {
	props map[string]string
	opts  []kgo.Opt
	errs  []error
}

func (p *parser) fail(key, reason string) {
	p.errs = append(p.errs, &drivers.PropertyError{Driver: Name, Key: key, Value: redact.Value(key, p.props[key]), Reason: reason})
}

// known refuses properties that neither role understands.
func (p *parser) known(own, other map[string]bool) {
	for k := range p.props {
		if !commonProps[k] && !own[k] && !other[k] && !drivers.IsSecurityKey(k) {
			p.fail(k, "franz-go has no such setting"+drivers.DidYouMean(k, knownNames())+"; remove it or use the confluent driver, which passes properties through")
		}
	}
}

// int reads key as an integer in [lo, hi]; ok is false when it is absent or bad.
func (p *parser) int(key string, lo, hi int64) (n int64, ok bool) {
	v, set := p.props[key]
	if !set {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		p.fail(key, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
		return 0, false
	}
	return n, true
}

func (p *parser) ms(key string, lo int64) (time.Duration, bool) {
	n, ok := p.int(key, lo, 1<<31-1)
	return time.Duration(n) * time.Millisecond, ok
}

func (p *parser) bool(key string) (b, ok bool) {
	switch p.props[key] {
	case "true":
		return true, true
	case "false":
		return false, true
	case "":
		if _, set := p.props[key]; !set {
			return false, false
		}
	}
	p.fail(key, "must be true or false")
	return false, false
}

func (p *parser) add(opts ...kgo.Opt) { p.opts = append(p.opts, opts...) }

// common maps the properties producers and consumers share.
func (p *parser) common() {
	if v, ok := p.props["client.id"]; ok {
		p.add(kgo.ClientID(v))
	}
	p.security()
}

// producerOpts maps producer properties onto kgo options.
func producerOpts(props map[string]string) ([]kgo.Opt, error) {
	p := &parser{props: props}
	p.known(producerProps, consumerProps)
	p.common()

	allAcks := true
	switch v, set := props["acks"]; {
	case !set:
	case v == "all" || v == "-1":
		p.add(kgo.RequiredAcks(kgo.AllISRAcks()))
	case v == "1":
		allAcks = false
		p.add(kgo.RequiredAcks(kgo.LeaderAck()))
	case v == "0":
		allAcks = false
		p.add(kgo.RequiredAcks(kgo.NoAck()))
	default:
		p.fail("acks", "must be 0, 1, all or -1")
	}
	retries, retriesSet := p.int("retries", 0, 1<<31-1)
	inflight, inflightSet := p.int("max.in.flight.requests.per.connection", 1, 1<<31-1)

	// Like the Java client, idempotence is on unless turned off, and is
	// quietly dropped when other settings rule it out without it being
	// asked for explicitly.
	idem, idemSet := p.bool("enable.idempotence")
	txnID, transactional := props["transactional.id"]
	switch {
	case transactional && idemSet && !idem:
		p.fail("enable.idempotence", "transactions require idempotence; remove enable.idempotence=false or transactional.id")
	case transactional && !allAcks:
		p.fail("transactional.id", "transactions require acks=all; set acks=all or remove transactional.id")
	case transactional && retriesSet && retries == 0:
		p.fail("transactional.id", "transactions require retries > 0; raise retries or remove transactional.id")
	case transactional && inflightSet && inflight > 5:
		p.fail("max.in.flight.requests.per.connection", "transactions allow at most 5 requests in flight; use 1 to 5 or remove transactional.id")
	case idemSet && idem:
		if !allAcks {
			p.fail("enable.idempotence", "idempotence requires acks=all; set acks=all or enable.idempotence=false")
		}
		if retriesSet && retries == 0 {
			p.fail("enable.idempotence", "idempotence requires retries > 0; raise retries or set enable.idempotence=false")
		}
		// Asked for explicitly (as OMB's exactly-once driver file does
		// with 1), fewer than 5 is accepted: kgo keeps up to 5 requests
		// in flight when idempotent, and keeps order either way.
		// EffectiveConfig reports the 5.
		if inflightSet && inflight > 5 {
			p.fail("max.in.flight.requests.per.connection", "franz-go keeps up to 5 requests in flight when idempotent; use 1 to 5 or set enable.idempotence=false")
		}
	case transactional:
		// Idempotent, as transactions need, whatever else is set.
	case idemSet, !allAcks, retriesSet && retries == 0, inflightSet && inflight != 5:
		p.add(kgo.DisableIdempotentWrite())
		if inflightSet {
			p.add(kgo.MaxProduceRequestsInflightPerBroker(int(inflight)))
		}
	}
	if retriesSet && retries > 0 {
		p.add(kgo.RecordRetries(int(retries)))
	}
	if transactional {
		if txnID == "" {
			p.fail("transactional.id", "must not be empty")
		}
		p.add(kgo.TransactionalID(txnID))
	}
	if d, ok := p.ms("transaction.timeout.ms", 1); ok {
		p.add(kgo.TransactionTimeout(d))
	}

	if d, ok := p.ms("linger.ms", 0); ok {
		p.add(kgo.ProducerLinger(d))
	}
	// kgo's batch cap is both the target batch size and the largest record
	// it accepts (see recordLimit).
	batchSize, batchSet := p.int("batch.size", 512, 1<<30)
	for _, key := range []string{"max.request.size", "message.max.bytes"} {
		n, ok := p.int(key, 1<<10, 1<<30)
		if !ok {
			continue
		}
		if batchSet && n < batchSize {
			p.fail(key, "must be at least batch.size")
			continue
		}
		p.add(kgo.BrokerMaxWriteBytes(int32(n)))
	}
	if lim := recordLimit(props); lim.Bytes != defaultBatchMaxBytes {
		p.add(kgo.ProducerBatchMaxBytes(int32(lim.Bytes)))
	}

	// kgo compresses with snappy unless told otherwise; the Java client
	// and librdkafka do not, so none is the default here too, and
	// drivers send the same bytes.
	if _, ok := props["compression.type"]; !ok {
		p.add(kgo.ProducerBatchCompression(kgo.NoCompression()))
	}
	if v, ok := props["compression.type"]; ok {
		codecs := map[string]kgo.CompressionCodec{
			"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(),
			"snappy": kgo.SnappyCompression(), "lz4": kgo.Lz4Compression(),
			"zstd": kgo.ZstdCompression(),
		}
		if c, ok := codecs[v]; ok {
			p.add(kgo.ProducerBatchCompression(c))
		} else {
			p.fail("compression.type", "must be none, gzip, snappy, lz4 or zstd")
		}
	}
	if d, ok := p.ms("request.timeout.ms", 1); ok {
		p.add(kgo.ProduceRequestTimeout(d))
	}
	if d, ok := p.ms("delivery.timeout.ms", 1); ok {
		p.add(kgo.RecordDeliveryTimeout(d))
	} else if _, set := props["delivery.timeout.ms"]; !set {
		p.add(kgo.RecordDeliveryTimeout(drivers.DefaultDeliveryTimeout))
	}
	if n, ok := p.int("buffer.memory", 1, 1<<62); ok {
		p.add(kgo.MaxBufferedBytes(int(n)))
	}
	return p.opts, joinErrs(p.errs)
}

// consumerOpts maps consumer properties onto kgo options. The consumer
// starts from the earliest offset unless auto.offset.reset says otherwise,
// because the benchmark consumes what it produced.
func consumerOpts(props map[string]string) ([]kgo.Opt, error) {
	p := &parser{props: props}
	p.known(consumerProps, producerProps)
	p.common()

	switch props["auto.offset.reset"] {
	case "", "earliest":
		p.add(kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	case "latest":
		p.add(kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	case "none":
		p.add(kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	default:
		p.fail("auto.offset.reset", "must be earliest, latest or none")
	}
	if n, ok := p.int("fetch.min.bytes", 1, 1<<31-1); ok {
		p.add(kgo.FetchMinBytes(int32(n)))
	}
	if d, ok := p.ms("fetch.max.wait.ms", 1); ok {
		p.add(kgo.FetchMaxWait(d))
	}
	if n, ok := p.int("fetch.max.bytes", 1, 1<<31-1); ok {
		p.add(kgo.FetchMaxBytes(int32(n)))
	}
	if n, ok := p.int("max.partition.fetch.bytes", 1, 1<<31-1); ok {
		p.add(kgo.FetchMaxPartitionBytes(int32(n)))
	}
	if d, ok := p.ms("session.timeout.ms", 1); ok {
		p.add(kgo.SessionTimeout(d))
	}
	if d, ok := p.ms("heartbeat.interval.ms", 1); ok {
		p.add(kgo.HeartbeatInterval(d))
	}
	if d, ok := p.ms("request.timeout.ms", 1); ok {
		p.add(kgo.RequestTimeoutOverhead(d))
	}
	switch props["isolation.level"] {
	case "", "read_uncommitted":
	case "read_committed":
		p.add(kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	default:
		p.fail("isolation.level", "must be read_committed or read_uncommitted")
	}
	if on, ok := p.bool("enable.auto.commit"); ok && !on {
		p.add(kgo.DisableAutoCommit())
	}
	if d, ok := p.ms("auto.commit.interval.ms", 1); ok {
		p.add(kgo.AutoCommitInterval(d))
	}
	return p.opts, joinErrs(p.errs)
}

// adminOpts maps the properties an admin client shares with producers and
// consumers; producer- and consumer-only ones are ignored, so one
// profile's properties can be given to every client.
func adminOpts(props map[string]string) ([]kgo.Opt, error) {
	p := &parser{props: props}
	p.known(producerProps, consumerProps)
	p.common()
	if d, ok := p.ms("request.timeout.ms", 1); ok {
		p.add(kgo.RequestTimeoutOverhead(d))
	}
	return p.opts, joinErrs(p.errs)
}

// joinErrs joins errs sorted by property, so the message is stable.
func joinErrs(errs []error) error {
	sort.SliceStable(errs, func(i, j int) bool {
		return errs[i].(*drivers.PropertyError).Key < errs[j].(*drivers.PropertyError).Key
	})
	return errors.Join(errs...)
}
