package confluent

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

var (
	_ drivers.PropertyChecker = Driver{}
	_ drivers.RecordLimiter   = Driver{}
	_ drivers.BatchLimiter    = Driver{}
)

// defaultBatchSize is librdkafka's batch.size: the most bytes of one
// partition's batch, framing included.
const defaultBatchSize = 1000000

// BatchLimit is librdkafka's batch.size, or message.max.bytes (which bounds
// the request holding the batch) where that is smaller. librdkafka does
// not split a batch the brokers refuse.
func (Driver) BatchLimit(props map[string]string) drivers.RecordLimit {
	lim := drivers.RecordLimit{Bytes: defaultBatchSize, Batch: true, Property: "batch.size", Value: defaultBatchSize,
		Setting: fmt.Sprintf("librdkafka's default batch.size of %d", defaultBatchSize)}
	for _, key := range []string{"batch.size", "message.max.bytes", "max.request.size"} {
		if n, err := strconv.ParseInt(props[key], 10, 64); err == nil && (key == "batch.size" || n < lim.Bytes) {
			lim = drivers.RecordLimit{Bytes: n, Batch: true, Property: key, Value: n, Setting: fmt.Sprintf("%s=%d", key, n)}
		}
	}
	return lim
}

// Bounds of librdkafka's record check: it refuses a message whose key and
// value, with the most framing a record can take, exceed message.max.bytes.
const (
	defaultMessageMaxBytes = 1000000
	maxRecordOverhead      = 36 // length, attributes, timestamp and offset deltas, key and value lengths, header count, as varints at their widest
)

// RecordLimit is librdkafka's message.max.bytes (max.request.size is the
// Java name kbench passes as it), less a record's framing: the smaller of
// the two when both are given.
func (Driver) RecordLimit(props map[string]string) drivers.RecordLimit {
	lim := drivers.RecordLimit{Bytes: defaultMessageMaxBytes - maxRecordOverhead, Property: "message.max.bytes", Value: defaultMessageMaxBytes,
		Setting: fmt.Sprintf("message.max.bytes=%d (librdkafka's default)", defaultMessageMaxBytes)}
	set := false
	for _, key := range []string{"message.max.bytes", "max.request.size"} {
		if n, err := strconv.ParseInt(props[key], 10, 64); err == nil && (!set || n-maxRecordOverhead < lim.Bytes) {
			lim = drivers.RecordLimit{Bytes: n - maxRecordOverhead, Property: key, Value: n, Setting: fmt.Sprintf("%s=%d", key, n)}
			set = true
		}
	}
	return lim
}

// CheckProperties checks the properties as NewProducer and NewConsumer
// would: kbench's own checks, then librdkafka's, by making a producer
// and a consumer that connect to nothing and closing them at once. A
// problem of a property both roles share is reported once.
func (Driver) CheckProperties(producer, consumer map[string]string) error {
	var errs []error
	if cm, err := configMap(kafka.ConfigMap{"log_level": quietLogLevel}, producer); err != nil {
		errs = append(errs, err)
	} else if p, err := kafka.NewProducer(&cm); err != nil {
		errs = append(errs, suggest(configError(err, producer)))
	} else {
		p.Close()
	}
	base := kafka.ConfigMap{"log_level": quietLogLevel, "group.id": "kbench-check"}
	if cm, err := configMap(base, consumer); err != nil {
		errs = append(errs, err)
	} else if c, err := kafka.NewConsumer(&cm); err != nil {
		errs = append(errs, suggest(configError(err, consumer)))
	} else {
		c.Close()
	}
	seen := map[string]bool{}
	var unique []error
	for _, err := range errs {
		each := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			each = j.Unwrap()
		}
		for _, e := range each {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				unique = append(unique, e)
			}
		}
	}
	return errors.Join(unique...)
}

// suggest adds the nearest Java property name to librdkafka's refusal.
func suggest(err error) error {
	var pe *drivers.PropertyError
	if errors.As(err, &pe) {
		pe.Reason += drivers.DidYouMean(pe.Key, javaNames())
	}
	return err
}

// javaNames are the Java client properties kbench documents, for
// suggestions.
func javaNames() []string {
	names := slices.Collect(maps.Keys(minimums))
	return append(names, "acks", "enable.idempotence", "compression.type", "auto.offset.reset",
		"enable.auto.commit", "client.id", "isolation.level")
}
