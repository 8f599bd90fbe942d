package confluent

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/redact"
)

// Java property names librdkafka spells differently. Other properties pass
// through unchanged: librdkafka accepts most Java names.
var renames = map[string]string{
	"fetch.max.wait.ms": "fetch.wait.max.ms",
	"max.request.size":  "message.max.bytes",
}

// Properties that must be whole numbers of at least the given minimum.
var minimums = map[string]int64{
	"retries": 0, "linger.ms": 0, "batch.size": 1, "max.in.flight.requests.per.connection": 1,
	"request.timeout.ms": 1, "delivery.timeout.ms": 1, "buffer.memory": 1, "max.request.size": 1,
	"message.max.bytes": 1, "fetch.min.bytes": 1, "fetch.max.wait.ms": 0, "fetch.max.bytes": 1,
	"max.partition.fetch.bytes": 1, "session.timeout.ms": 1, "heartbeat.interval.ms": 1,
	"auto.commit.interval.ms": 0, "statistics.interval.ms": 0,
}

// configMap checks props and turns them into librdkafka settings on top of
// base. It refuses what librdkafka would accept but Kafka's Java client
// would not (acks=2, idempotence without acks=all, negative sizes) and
// Java-only settings with no librdkafka meaning.
func configMap(base kafka.ConfigMap, props map[string]string) (kafka.ConfigMap, error) {
	var errs []error
	fail := func(key, reason string) {
		errs = append(errs, &drivers.PropertyError{Driver: Name, Key: key, Value: redact.Value(key, props[key]), Reason: reason})
	}
	cm := base
	for k, v := range props {
		if lo, ok := minimums[k]; ok {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < lo {
				fail(k, fmt.Sprintf("must be an integer of at least %d", lo))
				continue
			}
		}
		switch k {
		case "acks":
			if v != "0" && v != "1" && v != "-1" && v != "all" {
				fail(k, "must be 0, 1, all or -1")
				continue
			}
		case "enable.idempotence", "enable.auto.commit":
			if v != "true" && v != "false" {
				fail(k, "must be true or false")
				continue
			}
		case "compression.type":
			if !strings.Contains(" none gzip snappy lz4 zstd ", " "+v+" ") {
				fail(k, "must be none, gzip, snappy, lz4 or zstd")
				continue
			}
		case "auto.offset.reset":
			switch v {
			case "earliest", "latest":
			case "none":
				v = "error" // librdkafka's name for failing on a missing offset
			default:
				fail(k, "must be earliest, latest or none")
				continue
			}
		case "buffer.memory":
			// librdkafka bounds its queue in kilobytes.
			n, _ := strconv.ParseInt(v, 10, 64)
			cm["queue.buffering.max.kbytes"] = int((n + 1023) / 1024)
			continue
		}
		if drivers.IsSecurityKey(k) {
			continue // see securityConfig
		}
		if to, ok := renames[k]; ok {
			k = to
		}
		cm[k] = v
	}
	errs = append(errs, securityConfig(cm, props)...)
	if props["enable.idempotence"] == "true" {
		if a, ok := props["acks"]; ok && a != "all" && a != "-1" {
			fail("enable.idempotence", "idempotence requires acks=all; set acks=all or enable.idempotence=false")
		}
		if props["retries"] == "0" {
			fail("enable.idempotence", "idempotence requires retries > 0; raise retries or set enable.idempotence=false")
		}
		if n, err := strconv.Atoi(props["max.in.flight.requests.per.connection"]); err == nil && n > 5 {
			fail("max.in.flight.requests.per.connection", "idempotence allows at most 5 in-flight requests")
		}
	}
	sort.SliceStable(errs, func(i, j int) bool {
		return errs[i].(*drivers.PropertyError).Key < errs[j].(*drivers.PropertyError).Key
	})
	return cm, errors.Join(errs...)
}

// configError turns librdkafka's refusal of a setting into a PropertyError
// naming the property, when the message lets us tell which one it was.
func configError(err error, props map[string]string) error {
	var kerr kafka.Error
	if !errors.As(err, &kerr) || kerr.Code() != kafka.ErrInvalidArg {
		return err
	}
	msg := kerr.Error()
	for k, v := range props {
		if v != "" && redact.IsSecret(k) {
			msg = strings.ReplaceAll(msg, v, redact.Placeholder) // librdkafka may quote the value
		}
	}
	for k := range props {
		name := k
		if to, ok := renames[k]; ok {
			name = to
		}
		if strings.Contains(msg, `"`+name+`"`) {
			return &drivers.PropertyError{Driver: Name, Key: k, Value: redact.Value(k, props[k]), Reason: "librdkafka refused it: " + msg}
		}
	}
	return &drivers.PropertyError{Driver: Name, Key: "(client properties)", Reason: "librdkafka refused them: " + msg}
}

// reported are the settings EffectiveConfig reports: each under Kafka's
// name, with librdkafka's own name for it and librdkafka's default (its
// CONFIGURATION.md, 2.x). The buffer bounds keep librdkafka's names.
var reported = []struct{ name, alias, def string }{
	{"acks", "request.required.acks", "all"},
	{"enable.idempotence", "", "false"},
	{"linger.ms", "queue.buffering.max.ms", "5"},
	{"batch.size", "", "1000000"},
	{"compression.type", "compression.codec", "none"},
	{"max.in.flight.requests.per.connection", "max.in.flight", "1000000"},
	{"retries", "message.send.max.retries", "2147483647"},
	{"delivery.timeout.ms", "message.timeout.ms", "300000"},
	{"queue.buffering.max.messages", "", "100000"},
	{"queue.buffering.max.kbytes", "", "1048576"},
}

// effectiveConfig is what librdkafka applies given cm: the values set,
// librdkafka's defaults for the others, and idempotence's own rules (it
// takes acks=all and at most 5 requests in flight).
func effectiveConfig(cm kafka.ConfigMap) map[string]string {
	out := map[string]string{}
	for _, r := range reported {
		out[r.name] = r.def
		for _, k := range []string{r.alias, r.name} {
			if v, ok := cm[k]; ok {
				out[r.name] = fmt.Sprint(v)
			}
		}
	}
	if out["acks"] == "-1" {
		out["acks"] = "all"
	}
	if out["enable.idempotence"] == "true" {
		out["acks"] = "all"
		if n, err := strconv.Atoi(out["max.in.flight.requests.per.connection"]); err != nil || n > 5 {
			out["max.in.flight.requests.per.connection"] = "5"
		}
	}
	return out
}
