// Package franz drives Kafka through franz-go (github.com/twmb/franz-go).
package franz

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
)

// Name is the driver's name, as given to --driver.
const Name = "franz"

const (
	modulePath = "github.com/twmb/franz-go"
	// moduleVersion is the version go.mod pins, reported when the binary
	// carries no build information (as in some test binaries).
	moduleVersion = "v1.22.3"
	// pollInterval bounds how long Poll waits for records, so a consumer
	// loop gets control back regularly even when nothing arrives.
	pollInterval = time.Second
)

// Driver makes franz-go producers and consumers. The zero value is ready to use.
type Driver struct{}

var _ drivers.Driver = Driver{}

// Name returns "franz".
func (Driver) Name() string { return Name }

// Library returns franz-go's module path and the version linked into this binary.
func (Driver) Library() string {
	version := drivers.ModuleVersion(modulePath, moduleVersion)
	return modulePath + " " + version
}

// NewProducer returns a producer for cfg. It does not contact the cluster;
// use Ping for that. With a transactional.id the producer is a
// drivers.Transactor.
func (Driver) NewProducer(_ context.Context, cfg drivers.ProducerConfig) (drivers.Producer, error) {
	opts, err := producerOpts(cfg.Props)
	if err != nil {
		return nil, err
	}
	// Records with a partition go there; the others go to kgo's default
	// partitioner, so keyed records hash like the Java client's.
	opts = append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.RecordPartitioner(explicitPartitioner{kgo.UniformBytesPartitioner(64<<10, true, true, nil)}),
	}, opts...)
	if cfg.ClientID != "" && cfg.Props["client.id"] == "" {
		opts = append(opts, kgo.ClientID(cfg.ClientID))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz driver: producer for %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	p := newProducerOn(cl, cfg.Bootstrap)
	if cfg.Props["transactional.id"] != "" {
		return &txnProducer{producer: p}, nil
	}
	return p, nil
}

// newProducerOn returns a producer writing through cl.
func newProducerOn(cl *kgo.Client, bootstrap []string) *producer {
	p := &producer{cl: cl, bootstrap: bootstrap}
	p.pool.New = func() any {
		r := new(pending)
		r.owner = p
		r.promise = r.finish // one method value per pooled record, not per Produce
		return r
	}
	return p
}

// producer is a drivers.Producer over one kgo client.
type producer struct {
	cl        *kgo.Client
	bootstrap []string
	pool      sync.Pool // of *pending
	closeOnce sync.Once
	// failed is the first error a record met in the open transaction
	// (transactional producers only).
	failed atomic.Pointer[error]
}

var (
	_ drivers.Producer       = (*producer)(nil)
	_ drivers.Pinger         = (*producer)(nil)
	_ drivers.ConfigReporter = (*producer)(nil)
)

// EffectiveConfig reads back from kgo the settings it applied. kgo counts
// no retries, so franz has no drivers.RetryCounter.
func (p *producer) EffectiveConfig() map[string]string {
	opt := func(o any) any { return p.cl.OptValue(o) }
	out := map[string]string{}
	acks, _ := opt(kgo.RequiredAcks).(kgo.Acks)
	out["acks"] = map[kgo.Acks]string{kgo.AllISRAcks(): "all", kgo.LeaderAck(): "1", kgo.NoAck(): "0"}[acks]
	disabled, _ := opt(kgo.DisableIdempotentWrite).(bool)
	out["enable.idempotence"] = strconv.FormatBool(!disabled)
	linger, _ := opt(kgo.ProducerLinger).(time.Duration)
	out["linger.ms"] = strconv.FormatFloat(float64(linger)/float64(time.Millisecond), 'f', -1, 64)
	batch, _ := opt(kgo.ProducerBatchMaxBytes).(int32)
	out["batch.size"] = strconv.Itoa(int(batch))
	out["compression.type"] = "unknown"
	if codecs, _ := opt(kgo.ProducerBatchCompression).([]kgo.CompressionCodec); len(codecs) > 0 {
		names := map[kgo.CompressionCodec]string{kgo.NoCompression(): "none", kgo.GzipCompression(): "gzip",
			kgo.SnappyCompression(): "snappy", kgo.Lz4Compression(): "lz4", kgo.ZstdCompression(): "zstd"}
		if n, ok := names[codecs[0]]; ok {
			out["compression.type"] = n
		}
	}
	// Idempotent, kgo keeps 5 requests in flight per broker (Kafka 1.0
	// on), whatever the option says.
	inflight, _ := opt(kgo.MaxProduceRequestsInflightPerBroker).(int)
	if !disabled {
		inflight = 5
	}
	out["max.in.flight.requests.per.connection"] = strconv.Itoa(inflight)
	if retries, _ := opt(kgo.RecordRetries).(int64); retries == math.MaxInt64 {
		out["retries"] = "unbounded"
	} else {
		out["retries"] = strconv.FormatInt(retries, 10)
	}
	if d, _ := opt(kgo.RecordDeliveryTimeout).(time.Duration); d > 0 {
		out["delivery.timeout.ms"] = strconv.FormatInt(d.Milliseconds(), 10)
	}
	records, _ := opt(kgo.MaxBufferedRecords).(int64)
	out["max.buffered.records"] = strconv.FormatInt(records, 10)
	if bytes, _ := opt(kgo.MaxBufferedBytes).(int64); bytes > 0 {
		out["buffer.memory"] = strconv.FormatInt(bytes, 10)
	}
	return out
}

// pending is a record handed to kgo with the callback it completes.
type pending struct {
	rec     kgo.Record
	done    drivers.DoneFunc
	owner   *producer
	promise func(*kgo.Record, error)
}

// finish runs on kgo's promise goroutine.
func (r *pending) finish(rec *kgo.Record, err error) {
	done, partition, offset := r.done, rec.Partition, rec.Offset
	if err != nil {
		offset = -1
		err = wrap(err)
		r.owner.failed.CompareAndSwap(nil, &err)
	}
	r.rec, r.done = kgo.Record{}, nil // drop the caller's slices before reuse
	r.owner.pool.Put(r)
	done(partition, offset, err)
}

// Produce enqueues rec. It blocks while kgo holds its maximum of buffered
// records or bytes. ctx bounds that wait, and, as kgo does, may also fail
// the record while it is buffered and not yet sent.
func (p *producer) Produce(ctx context.Context, rec *drivers.Record, done drivers.DoneFunc) {
	if err := ctx.Err(); err != nil {
		done(rec.Partition, -1, wrap(err))
		return
	}
	r := p.pool.Get().(*pending)
	r.done = done
	r.rec.Topic, r.rec.Partition, r.rec.Key, r.rec.Value = rec.Topic, rec.Partition, rec.Key, rec.Value
	p.cl.Produce(ctx, &r.rec, r.promise)
}

// Flush waits until every record produced so far has completed.
func (p *producer) Flush(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("franz driver: flush: %w", err)
	}
	return nil
}

// Close fails records still buffered with a canceled error and closes the
// client. It is safe to call more than once.
func (p *producer) Close() error {
	p.closeOnce.Do(p.cl.Close)
	return nil
}

// Ping asks the bootstrap brokers for metadata until one answers.
func (p *producer) Ping(ctx context.Context) error {
	if err := p.cl.Ping(ctx); err != nil {
		return fmt.Errorf("franz driver: no broker at %s answered: %w", strings.Join(p.bootstrap, ","), err)
	}
	return nil
}

// explicitPartitioner sends records with a partition (>= 0) there and
// leaves the others to the wrapped partitioner.
type explicitPartitioner struct{ auto kgo.Partitioner }

func (e explicitPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	return explicitTopicPartitioner{e.auto.ForTopic(topic).(kgo.TopicBackupPartitioner)}
}

// explicitTopicPartitioner wraps a backup partitioner, kgo's default kind;
// kgo then never calls Partition.
type explicitTopicPartitioner struct{ kgo.TopicBackupPartitioner }

// RequiresConsistency makes kgo index by partition number for explicit
// partitions, rather than by the list of writable partitions.
func (e explicitTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || e.TopicBackupPartitioner.RequiresConsistency(r)
}

func (e explicitTopicPartitioner) PartitionByBackup(r *kgo.Record, n int, it kgo.TopicBackupIter) int {
	if r.Partition >= 0 {
		return int(r.Partition) // kgo fails the record if out of range
	}
	return e.TopicBackupPartitioner.PartitionByBackup(r, n, it)
}

// NewConsumer returns a group consumer for cfg. It joins the group in the
// background; the first Poll waits for it.
func (Driver) NewConsumer(_ context.Context, cfg drivers.ConsumerConfig) (drivers.Consumer, error) {
	opts, err := consumerOpts(cfg.Props)
	if err != nil {
		return nil, err
	}
	if cfg.Group == "" {
		return nil, errors.New("franz driver: a consumer needs a group")
	}
	c := &consumer{}
	opts = append(append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.ConsumerGroup(cfg.Group),
		kgo.ConsumeTopics(cfg.Topics...),
	}, c.counting()...), opts...)
	if cfg.ClientID != "" && cfg.Props["client.id"] == "" {
		opts = append(opts, kgo.ClientID(cfg.ClientID))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz driver: consumer for %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	c.cl = cl
	return c, nil
}

// consumer is a drivers.Consumer over one kgo group client.
type consumer struct {
	cl        *kgo.Client
	msg       drivers.Message // reused: fn may not keep it
	closeOnce sync.Once
	// assigned counts the partitions the group gave this member.
	assigned atomic.Int64
}

var (
	_ drivers.Consumer = (*consumer)(nil)
	_ drivers.Assigned = (*consumer)(nil)
)

// counting returns the options that keep assigned up to date.
func (c *consumer) counting() []kgo.Opt {
	count := func(sign int64) func(context.Context, *kgo.Client, map[string][]int32) {
		return func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
			for _, ps := range parts {
				c.assigned.Add(sign * int64(len(ps)))
			}
		}
	}
	return []kgo.Opt{
		kgo.OnPartitionsAssigned(count(1)),
		kgo.OnPartitionsRevoked(count(-1)),
		kgo.OnPartitionsLost(count(-1)),
	}
}

// AssignedPartitions counts the partitions the group has given this
// consumer.
func (c *consumer) AssignedPartitions() int { return int(c.assigned.Load()) }

// Poll waits up to a second for records and hands them to fn.
func (c *consumer) Poll(ctx context.Context, fn func(*drivers.Message)) error {
	pctx, cancel := context.WithTimeout(ctx, pollInterval)
	defer cancel()
	fetches := c.cl.PollFetches(pctx)
	if fetches.IsClientClosed() {
		return errors.New("franz driver: poll on a closed consumer")
	}
	// Records are handed over even when ctx has ended: kgo counts them as
	// polled, so dropping them would commit offsets nobody saw.
	fetches.EachRecord(func(r *kgo.Record) {
		c.msg = drivers.Message{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
			Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
		fn(&c.msg)
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	fetches.EachError(func(topic string, partition int32, ferr error) {
		if err == nil && !errors.Is(ferr, context.DeadlineExceeded) && !errors.Is(ferr, context.Canceled) {
			err = fmt.Errorf("franz driver: fetch %s[%d]: %w", topic, partition, wrap(ferr))
		}
	})
	return err
}

// Close commits what was polled (with auto-commit on), leaves the group and
// closes the client. It is safe to call more than once.
func (c *consumer) Close() error {
	c.closeOnce.Do(c.cl.Close)
	return nil
}
