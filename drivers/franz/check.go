package franz

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/kbench/kbench/drivers"
)

var (
	_ drivers.PropertyChecker = Driver{}
	_ drivers.RecordLimiter   = Driver{}
	_ drivers.BatchLimiter    = Driver{}
)

// batchFraming is what kgo counts with a batch against its cap beside
// the batch itself: the produce request's 4-byte length of its records.
const batchFraming = 4

// RecordLimit is kgo's batch cap as producerOpts sets it (recordLimit),
// which a batch holding one record must fit in too, with its framing.
func (Driver) RecordLimit(props map[string]string) drivers.RecordLimit {
	lim := recordLimit(props)
	lim.Bytes -= batchFraming
	return lim
}

// BatchLimit is kgo's batch cap, less the framing kgo counts with a batch;
// kgo does not split a batch the brokers refuse.
func (d Driver) BatchLimit(props map[string]string) drivers.RecordLimit { return d.RecordLimit(props) }

// recordLimit is kgo's batch cap: batch.size when given, else kgo's
// default, lowered by max.request.size or message.max.bytes (a request
// holds at least the record). Only batch.size raises it: the cap bounds
// every batch, which brokers refuse above the topic's max.message.bytes,
// and kgo does not split a refused batch as the Java client does.
func recordLimit(props map[string]string) drivers.RecordLimit {
	if n, err := strconv.ParseInt(props["batch.size"], 10, 64); err == nil {
		return drivers.RecordLimit{Bytes: n, Batch: true, Property: "batch.size", Value: n,
			Setting: fmt.Sprintf("batch.size=%d (franz-go's batch cap, which bounds a record too)", n)}
	}
	lim := drivers.RecordLimit{Bytes: defaultBatchMaxBytes, Batch: true, Property: "batch.size", Value: defaultBatchMaxBytes,
		Setting: fmt.Sprintf("franz-go's default batch cap of %d bytes, which bounds a record too", defaultBatchMaxBytes)}
	for _, key := range []string{"max.request.size", "message.max.bytes"} {
		if n, err := strconv.ParseInt(props[key], 10, 64); err == nil && n < lim.Bytes {
			lim = drivers.RecordLimit{Bytes: n, Batch: true, Property: key, Value: n, Setting: fmt.Sprintf("%s=%d", key, n)}
		}
	}
	return lim
}

// CheckProperties maps the properties as NewProducer and NewConsumer
// would, without making a client; a problem of a property both roles
// share is reported once.
func (Driver) CheckProperties(producer, consumer map[string]string) error {
	_, perr := producerOpts(producer)
	_, cerr := consumerOpts(consumer)
	seen := map[string]bool{}
	var errs []error
	for _, err := range []error{perr, cerr} {
		for _, e := range unjoin(err) {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				errs = append(errs, e)
			}
		}
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// knownNames lists every property the driver understands, for
// suggestions.
func knownNames() []string {
	all := maps.Clone(commonProps)
	maps.Copy(all, producerProps)
	maps.Copy(all, consumerProps)
	return slices.Sorted(maps.Keys(all))
}
