// Package drivers defines the small interface kbench drives Kafka clients
// through. Each client library lives in its own sub-package (drivers/franz,
// drivers/confluent); nothing outside drivers/ imports a Kafka client.
//
// Client settings are given with Kafka's own property names (acks, linger.ms,
// enable.idempotence, ...). A driver maps each onto its library and refuses,
// with an error naming the property, a setting it cannot honour.
package drivers

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Record is one message to produce. Value and Key must stay unchanged until
// the completion callback for the record has run.
type Record struct {
	Topic string
	// Partition is the partition to write to; -1 lets the client's
	// partitioner choose (by key, or spreading keyless records).
	Partition int32
	Key       []byte
	Value     []byte
}

// DoneFunc is called exactly once per produced record, with the partition
// and offset the broker assigned, or the error that ended the record (then
// offset is -1 and partition is the one written to, or -1 if none was
// chosen). It runs on a client goroutine: it must be quick and must not
// block.
type DoneFunc func(partition int32, offset int64, err error)

// Producer writes records asynchronously. Produce is safe to call from
// several goroutines.
type Producer interface {
	// Produce enqueues rec and returns; done reports the outcome. Produce
	// may block while the client's buffer is full, until ctx is done (then
	// done is called with the context's error). Once a record is queued,
	// ctx's end may or may not fail it, as the client library decides
	// (franz-go fails records not yet sent when not idempotent; librdkafka
	// does not): callers that cancel ctx must expect either.
	Produce(ctx context.Context, rec *Record, done DoneFunc)
	// Flush waits until every record produced so far has completed, or
	// ctx is done.
	Flush(ctx context.Context) error
	// Close releases the client. Records still in flight complete with an
	// error.
	Close() error
}

// Message is one consumed record. Its slices are valid only during the
// callback that receives it.
type Message struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Timestamp time.Time
}

// Consumer reads records of the topics it was created for, as a member of a
// consumer group.
type Consumer interface {
	// Poll waits until records arrive, ctx is done, or the client's own
	// poll interval ends, and calls fn for each record received, in offset
	// order within a partition. It returns ctx's error when ctx ends, and
	// nil when it simply returned records (or none). Poll is called from
	// one goroutine at a time.
	Poll(ctx context.Context, fn func(*Message)) error
	// Close leaves the group and releases the client.
	Close() error
}

// ProducerConfig is what a producer is created with.
type ProducerConfig struct {
	Bootstrap []string
	ClientID  string
	// Props are client properties under Kafka's names, e.g.
	// "acks": "all", "linger.ms": "5".
	Props map[string]string
}

// ConsumerConfig is what a consumer is created with.
type ConsumerConfig struct {
	Bootstrap []string
	ClientID  string
	Group     string
	Topics    []string
	// Props are client properties under Kafka's names, e.g.
	// "fetch.min.bytes": "1", "auto.offset.reset": "earliest".
	Props map[string]string
}

// Driver makes producers, consumers and admin clients of one client library.
type Driver interface {
	// Name is the driver's short name, as given to --driver.
	Name() string
	// Library is the client library's module path and version,
	// e.g. "github.com/twmb/franz-go v1.22.3".
	Library() string
	NewProducer(ctx context.Context, cfg ProducerConfig) (Producer, error)
	NewConsumer(ctx context.Context, cfg ConsumerConfig) (Consumer, error)
	// NewAdmin returns an admin client for the cluster at cfg.Bootstrap.
	NewAdmin(ctx context.Context, cfg AdminConfig) (Admin, error)
}

// DefaultDeliveryTimeout is the delivery timeout (delivery.timeout.ms)
// every driver applies when the workload sets none: a send that cannot
// complete (its leader gone for good) then fails as a timeout instead of
// holding the run. franz-go's own default is no timeout, librdkafka's
// 300 s; a benchmark's runs are shorter.
const DefaultDeliveryTimeout = 30 * time.Second

// Error kinds. Drivers classify client errors into these so that results
// from different clients can be compared.
const (
	KindTimeout           = "timeout"             // request or delivery timeout
	KindNotEnoughReplicas = "not_enough_replicas" // ISR below min.insync.replicas
	KindNotLeader         = "not_leader"          // leadership moved; clients retry
	KindNetwork           = "network"             // connection refused, reset, closed
	KindTooLarge          = "message_too_large"
	KindAuth              = "auth"
	KindCanceled          = "canceled" // the run was stopped
	KindOther             = "other"
)

// Error is a client error with its kind.
type Error struct {
	Kind string
	Err  error
}

func (e *Error) Error() string { return e.Kind + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err: the Kind of a wrapped *Error, canceled for
// context errors, and other otherwise.
func KindOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	if errors.Is(err, context.Canceled) {
		return KindCanceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	return KindOther
}

// PropertyError is a client property a driver cannot honour.
type PropertyError struct {
	Driver string
	Key    string
	Value  string
	Reason string
}

func (e *PropertyError) Error() string {
	return fmt.Sprintf("%s driver: property %s=%q: %s", e.Driver, e.Key, e.Value, e.Reason)
}

// ModuleVersion returns the version of the Go module at path linked into
// this binary (after any replace directive), or fallback when the build
// carries no such information, as in tests.
func ModuleVersion(path, fallback string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fallback
	}
	for _, dep := range info.Deps {
		if dep.Path != path {
			continue
		}
		if dep.Replace != nil {
			dep = dep.Replace
		}
		return dep.Version
	}
	return fallback
}
