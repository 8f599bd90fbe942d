// Package confluent drives Kafka through confluent-kafka-go
// (github.com/confluentinc/confluent-kafka-go/v2), which wraps librdkafka.
// It needs cgo.
package confluent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

// Name is the driver's name, as given to --driver.
const Name = "confluent"

const (
	modulePath = "github.com/confluentinc/confluent-kafka-go/v2"
	// moduleVersion is the version go.mod pins, reported when the binary
	// carries no build information (as in some test binaries).
	moduleVersion = "v2.11.1"
	// pollInterval bounds how long Poll waits for records, so a consumer
	// loop gets control back regularly even when nothing arrives.
	pollInterval = time.Second
	// pollStep is how long one librdkafka poll blocks; it bounds how late
	// Poll notices its ctx ended.
	pollStep = 100 * time.Millisecond
	// pollBatch caps the records one Poll hands over once records flow.
	pollBatch = 500
	// queueFullWait is how long Produce waits before retrying when
	// librdkafka's queue is full.
	queueFullWait = time.Millisecond
	// closeGrace bounds how long Close waits for purged records' reports.
	closeGrace = 10 * time.Second
)

var errClosed = errors.New("producer closed")

// Driver makes confluent-kafka-go producers and consumers. The zero value is
// ready to use.
type Driver struct{}

var _ drivers.Driver = Driver{}

// Name returns "confluent".
func (Driver) Name() string { return Name }

// Library returns the module path and version linked into this binary, and
// the librdkafka version it runs.
func (Driver) Library() string {
	version := drivers.ModuleVersion(modulePath, moduleVersion)
	_, rdkafka := kafka.LibraryVersion()
	return fmt.Sprintf("%s %s (librdkafka %s)", modulePath, version, rdkafka)
}

// quietLogLevel keeps librdkafka's own log lines (syslog levels; 2 is
// critical) off kbench's stderr: while a broker is down it logs every
// refused connection, and the errors that matter reach kbench through
// delivery reports. Set log_level to see more.
const quietLogLevel = 2

// fetchQueueBackoff is kbench's fetch.queue.backoff.ms (see NewConsumer).
const fetchQueueBackoff = 10

// NewProducer returns a producer for cfg. librdkafka connects in the
// background; use Ping to check the cluster answers. With a
// transactional.id the producer is a drivers.Transactor, and NewProducer
// waits, until ctx ends, for the coordinator to hand it its producer id.
//
// The producer asks librdkafka for statistics every second (unless
// statistics.interval.ms says otherwise) to count retries.
func (Driver) NewProducer(ctx context.Context, cfg drivers.ProducerConfig) (drivers.Producer, error) {
	base := kafka.ConfigMap{
		"bootstrap.servers":      strings.Join(cfg.Bootstrap, ","),
		"statistics.interval.ms": 1000,
		"log_level":              quietLogLevel,
		// Reports need only partition, offset and the opaque; copying
		// key and value back into Go would cost an allocation each.
		"go.delivery.report.fields": "none",
	}
	if cfg.ClientID != "" {
		base["client.id"] = cfg.ClientID
	}
	if _, set := cfg.Props["delivery.timeout.ms"]; !set {
		base["message.timeout.ms"] = int(drivers.DefaultDeliveryTimeout.Milliseconds())
	}
	cm, err := configMap(base, cfg.Props)
	if err != nil {
		return nil, err
	}
	kp, err := kafka.NewProducer(&cm)
	if err != nil {
		return nil, fmt.Errorf("confluent driver: producer for %s: %w", base["bootstrap.servers"], configError(err, cfg.Props))
	}
	p := &producer{kp: kp, bootstrap: base["bootstrap.servers"].(string), loopDone: make(chan struct{}),
		stats: make(chan string, 1), statsDone: make(chan struct{}), effective: effectiveConfig(cm)}
	p.msgs.New = func() any { return new(kafka.Message) }
	go p.deliveries()
	go p.readStats()
	if cfg.Props["transactional.id"] == "" {
		return p, nil
	}
	// Transactions need the producer id and epoch from the coordinator
	// before the first Begin.
	if err := kp.InitTransactions(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("confluent driver: init transactions at %s: %w", p.bootstrap, wrap(err))
	}
	return txnProducer{p}, nil
}

// producer is a drivers.Producer over one librdkafka producer.
type producer struct {
	kp        *kafka.Producer
	bootstrap string

	// mu is held shared by every call into librdkafka and exclusively by
	// Close, so nothing uses the handle after it is destroyed.
	mu     sync.RWMutex
	closed bool

	inflight atomic.Int64 // enqueued records whose DoneFunc has not run
	retries  atomic.Int64
	msgs     sync.Pool // of *kafka.Message; librdkafka copies them on Produce
	loopDone chan struct{}
	// stats carries statistics reports from the delivery loop to
	// readStats, so parsing them does not delay delivery callbacks.
	stats     chan string
	statsDone chan struct{}
	effective map[string]string
}

var (
	_ drivers.Producer       = (*producer)(nil)
	_ drivers.Pinger         = (*producer)(nil)
	_ drivers.RetryCounter   = (*producer)(nil)
	_ drivers.ConfigReporter = (*producer)(nil)
)

// EffectiveConfig returns the settings the producer was created with, and
// librdkafka's defaults for those it was not given.
func (p *producer) EffectiveConfig() map[string]string { return maps.Clone(p.effective) }

// Produce enqueues rec; librdkafka copies key and value. While librdkafka's
// queue is full it waits and retries until ctx ends. Once enqueued, a
// record runs to completion whatever happens to ctx.
func (p *producer) Produce(ctx context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	m := p.msgs.Get().(*kafka.Message)
	defer func() {
		*m = kafka.Message{}
		p.msgs.Put(m)
	}()
	m.TopicPartition = kafka.TopicPartition{Topic: &rec.Topic, Partition: rec.Partition}
	m.Key, m.Value, m.Opaque = rec.Key, rec.Value, done

	var timer *time.Timer
	for {
		if err := ctx.Err(); err != nil {
			done(rec.Partition, -1, wrap(err))
			return
		}
		err := p.enqueue(m)
		if err == nil {
			return
		}
		var kerr kafka.Error
		if !errors.As(err, &kerr) || kerr.Code() != kafka.ErrQueueFull {
			done(rec.Partition, -1, wrap(err))
			return
		}
		if timer == nil {
			timer = time.NewTimer(queueFullWait)
			defer timer.Stop()
		} else {
			timer.Reset(queueFullWait)
		}
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
	}
}

func (p *producer) enqueue(m *kafka.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errClosed
	}
	p.inflight.Add(1)
	if err := p.kp.Produce(m, nil); err != nil {
		p.inflight.Add(-1)
		return err
	}
	return nil
}

// deliveries is the one goroutine reading librdkafka's events: delivery
// reports, which it passes to each record's DoneFunc, and statistics,
// which it hands to readStats. It ends when Close closes the events
// channel.
func (p *producer) deliveries() {
	defer close(p.loopDone)
	defer close(p.stats)
	for ev := range p.kp.Events() {
		switch e := ev.(type) {
		case *kafka.Message:
			done, ok := e.Opaque.(drivers.DoneFunc)
			if !ok {
				continue
			}
			offset, err := int64(e.TopicPartition.Offset), e.TopicPartition.Error
			if err != nil {
				offset, err = -1, wrap(err)
			}
			done(e.TopicPartition.Partition, offset, err)
			p.inflight.Add(-1)
		case *kafka.Stats:
			select {
			case p.stats <- e.String():
			default: // readStats is still busy; a later report supersedes this one
			}
		}
	}
}

// readStats parses the statistics reports deliveries hands over, until it
// closes the channel.
func (p *producer) readStats() {
	defer close(p.statsDone)
	for s := range p.stats {
		p.countRetries(s)
	}
}

// countRetries reads librdkafka's statistics: txretries is, per broker, the
// number of requests it sent again.
func (p *producer) countRetries(stats string) {
	var s struct {
		Brokers map[string]struct {
			TxRetries int64 `json:"txretries"`
		} `json:"brokers"`
	}
	if json.Unmarshal([]byte(stats), &s) != nil {
		return
	}
	var n int64
	for _, b := range s.Brokers {
		n += b.TxRetries
	}
	p.retries.Store(n)
}

// Retries returns how many produce requests librdkafka retried, as of its
// last statistics report (statistics.interval.ms, 1s by default here).
func (p *producer) Retries() int64 { return p.retries.Load() }

// Flush waits until every record produced so far has completed.
func (p *producer) Flush(ctx context.Context) error {
	for p.inflight.Load() > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("confluent driver: flush with %d records in flight: %w", p.inflight.Load(), err)
		}
		p.mu.RLock()
		left := 0
		if !p.closed {
			// librdkafka's Flush also sends lingering batches at once.
			left = p.kp.Flush(int(pollStep.Milliseconds()))
		}
		p.mu.RUnlock()
		if left == 0 {
			// librdkafka is done; our loop is still running DoneFuncs.
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// Close purges records not yet delivered, so each completes with a
// canceled error, and destroys the client. It is safe to call more than once.
func (p *producer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	purgeErr := p.kp.Purge(kafka.PurgeQueue | kafka.PurgeInFlight)
	deadline := time.Now().Add(closeGrace)
	for p.inflight.Load() > 0 && time.Now().Before(deadline) {
		if p.kp.Flush(int(pollStep.Milliseconds())) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	p.kp.Close()
	<-p.loopDone
	<-p.statsDone
	if purgeErr != nil {
		return fmt.Errorf("confluent driver: close: purge: %w", purgeErr)
	}
	return nil
}

// Ping asks the bootstrap brokers for metadata, waiting until ctx's deadline
// (or ten seconds without one).
func (p *producer) Ping(ctx context.Context) error {
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return fmt.Errorf("confluent driver: ping %s: %w", p.bootstrap, errClosed)
	}
	if _, err := p.kp.GetMetadata(nil, false, int(timeout.Milliseconds())); err != nil {
		return fmt.Errorf("confluent driver: no broker at %s answered: %w", p.bootstrap, err)
	}
	return nil
}

// NewConsumer returns a group consumer for cfg, subscribed to its topics.
func (Driver) NewConsumer(_ context.Context, cfg drivers.ConsumerConfig) (drivers.Consumer, error) {
	cm, err := consumerConfig(cfg)
	if err != nil {
		return nil, err
	}
	kc, err := kafka.NewConsumer(&cm)
	if err != nil {
		return nil, fmt.Errorf("confluent driver: consumer for %s: %w", cm["bootstrap.servers"], configError(err, cfg.Props))
	}
	if err := kc.SubscribeTopics(cfg.Topics, nil); err != nil {
		kc.Close()
		return nil, fmt.Errorf("confluent driver: subscribe to %v: %w", cfg.Topics, err)
	}
	return &consumer{kc: kc}, nil
}

// consumerConfig is librdkafka's configuration of a consumer for cfg:
// kbench's defaults, then cfg's properties mapped onto librdkafka's names.
func consumerConfig(cfg drivers.ConsumerConfig) (kafka.ConfigMap, error) {
	if cfg.Group == "" {
		return nil, errors.New("confluent driver: a consumer needs a group")
	}
	base := kafka.ConfigMap{
		"bootstrap.servers": strings.Join(cfg.Bootstrap, ","),
		"group.id":          cfg.Group,
		"auto.offset.reset": "earliest", // the benchmark consumes what it produced
		"log_level":         quietLogLevel,
		// librdkafka stops fetching a partition for this long once its
		// prefetch queue is over queued.max.messages.kbytes (64 MiB), 1 s
		// by default: a consumer reading a backlog then idles most of the
		// time (80k against 330k records/s here, where the Java consumer
		// fetches again as soon as it has drained its buffer).
		"fetch.queue.backoff.ms": fetchQueueBackoff,
	}
	if cfg.ClientID != "" {
		base["client.id"] = cfg.ClientID
	}
	cm, err := configMap(base, cfg.Props)
	if err != nil {
		return nil, err
	}
	// The caller's group wins over a group.id property: subscriptions
	// must not share a group.
	cm["group.id"] = cfg.Group
	return cm, nil
}

// consumer is a drivers.Consumer over one librdkafka consumer.
type consumer struct {
	kc        *kafka.Consumer
	msg       drivers.Message // reused: fn may not keep it
	closeOnce sync.Once
	closeErr  error
}

var (
	_ drivers.Consumer = (*consumer)(nil)
	_ drivers.Assigned = (*consumer)(nil)
)

// AssignedPartitions counts the partitions librdkafka has assigned to this
// consumer (0 before it joined, or on error).
func (c *consumer) AssignedPartitions() int {
	parts, err := c.kc.Assignment()
	if err != nil {
		return 0
	}
	return len(parts)
}

// Poll waits up to a second for records, then hands over those that are
// ready, up to a batch. Non-fatal client errors are left to librdkafka,
// which retries them; a fatal one is returned.
func (c *consumer) Poll(ctx context.Context, fn func(*drivers.Message)) error {
	deadline := time.Now().Add(pollInterval)
	wait := pollStep
	for got := 0; got < pollBatch; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if got == 0 && !time.Now().Before(deadline) {
			return nil
		}
		switch e := c.kc.Poll(int(wait.Milliseconds())).(type) {
		case nil:
			if got > 0 {
				return nil // drained what was ready
			}
		case *kafka.Message:
			if e.TopicPartition.Error != nil {
				return fmt.Errorf("confluent driver: consume: %w", wrap(e.TopicPartition.Error))
			}
			c.msg = drivers.Message{Topic: *e.TopicPartition.Topic, Partition: e.TopicPartition.Partition,
				Offset: int64(e.TopicPartition.Offset), Key: e.Key, Value: e.Value, Timestamp: e.Timestamp}
			fn(&c.msg)
			got++
			wait = 0 // take what is ready without waiting
		case kafka.Error:
			if e.IsFatal() {
				return fmt.Errorf("confluent driver: consume: %w", wrap(e))
			}
		}
	}
	return nil
}

// Close commits offsets (with auto-commit on), leaves the group and
// destroys the client. It is safe to call more than once.
func (c *consumer) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.kc.Close() })
	return c.closeErr
}
