package profiles

import (
	"fmt"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/internal/javaprops"
)

// ombFields are the fields of an OpenMessaging Benchmark Kafka driver file
// (driver-kafka/*.yaml in the openmessaging/benchmark repository).
var ombFields = []string{"name", "driverClass", "replicationFactor", "reset", "skipCreateTopic",
	"useTransactions", "batchSize", "maxConcurrentTransactions", "sync",
	"topicConfig", "commonConfig", "producerConfig", "consumerConfig"}

// ombDriverClass is the driverClass of OMB's Kafka driver; files of its
// other drivers (JMS, Pulsar, ...) configure something else.
const ombDriverClass = "io.openmessaging.benchmark.driver.kafka.KafkaBenchmarkDriver"

// notMeasured are Java client properties with no equivalent in kbench's
// drivers that do not change what is measured: timeouts of admin and
// connection set-up calls, and serializers (kbench sends bytes). They are
// dropped with a note. A property that changes semantics (acks,
// idempotence, compression, batching, in-flight, retries) is never here:
// it goes to the driver, which applies it or refuses the run.
var notMeasured = map[string]string{
	"default.api.timeout.ms":                 "times the Java client's blocking API calls, not produce or fetch",
	"socket.connection.setup.timeout.ms":     "times connection set-up, not produce or fetch",
	"socket.connection.setup.timeout.max.ms": "times connection set-up, not produce or fetch",
	"reconnect.backoff.ms":                   "paces reconnection attempts of the Java client",
	"reconnect.backoff.max.ms":               "paces reconnection attempts of the Java client",
	"connections.max.idle.ms":                "closes idle connections; a benchmark's connections are busy",
	"metadata.max.age.ms":                    "refreshes metadata; clients refresh on errors anyway",
	"key.serializer":                         "kbench sends bytes",
	"value.serializer":                       "kbench sends bytes",
	"key.deserializer":                       "kbench reads bytes",
	"value.deserializer":                     "kbench reads bytes",
	"group.id":                               "OMB's driver names each subscription's group itself, as kbench does",
}

// parseOMB reads an OpenMessaging Benchmark driver file into t. Its config
// fields are blocks of Java properties lines. commonConfig goes to both
// clients, under producerConfig and consumerConfig whatever the order in the
// file, as OMB's driver applies it. bootstrap.servers is dropped (the run's
// target decides where to connect) and noted, so a reader sees the address
// the file pointed at; so are the properties in notMeasured.
// useTransactions: true makes the run transactional, batchSize its
// messages per transaction. A file of another OMB driver is refused:
// kbench would measure something else.
func parseOMB(file string, top *yaml.Node, t *Tuning) []error {
	var errs []error
	blocks := map[string]map[string]string{}
	var batchSize *yaml.Node // messages per transaction, read once useTransactions is known
	note := func(format string, args ...any) { t.Notes = append(t.Notes, fmt.Sprintf(file+": "+format, args...)) }
	for i := 0; i < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, top.Content[i+1]
		switch key {
		case "name", "reset":
			// OMB's own bookkeeping; nothing for Kafka.
		case "driverClass":
			if val.Value != ombDriverClass {
				errs = append(errs, fmt.Errorf("%s: driverClass: %s is not OMB's Kafka driver (%s); kbench reads Kafka driver files only", file, oneLine(val.Value), ombDriverClass))
			}
		case "skipCreateTopic":
			if val.Value == "true" {
				errs = append(errs, fmt.Errorf("%s: skipCreateTopic: true is not supported: kbench creates fresh topics for each run, to check its counts against their end offsets", file))
			}
		case "useTransactions":
			switch val.Value {
			case "true":
				t.UseTransactions = true
			case "false":
			default:
				errs = append(errs, fmt.Errorf("%s: useTransactions: must be true or false, got %s", file, oneLine(val.Value)))
			}
		case "sync":
			// A field of a fork's Kafka driver: each send waits for its
			// acknowledgement.
			if val.Value == "true" {
				errs = append(errs, fmt.Errorf("%s: sync: true (a producer that waits for each send) is not supported in a profile: it is the workload's maxInFlight: 1", file))
			}
		case "batchSize":
			batchSize = val
		case "maxConcurrentTransactions":
			note("%s=%s not applicable: each kbench producer keeps one transaction open at a time", key, val.Value)
		case "replicationFactor":
			errs = appendErr(errs, positiveInt(file, key, val, &t.ReplicationFactor))
		case "topicConfig", "commonConfig", "producerConfig", "consumerConfig":
			if val.Kind != yaml.ScalarNode {
				errs = append(errs, fmt.Errorf("%s: %s: must be a block of key=value lines", file, oneLine(key)))
				continue
			}
			props, perrs := javaProperties(file, key, val.Value)
			errs = append(errs, perrs...)
			if v, ok := props["bootstrap.servers"]; ok {
				delete(props, "bootstrap.servers")
				note("%s: bootstrap.servers=%s dropped; the run's target sets the address", key, v)
			}
			if key != "topicConfig" {
				for _, k := range slices.Sorted(maps.Keys(props)) {
					if why, ok := notMeasured[k]; ok {
						note("%s: %s=%s not applicable to kbench's drivers (%s); dropped", key, k, props[k], why)
						delete(props, k)
					}
				}
			}
			blocks[key] = props
		default:
			errs = append(errs, fmt.Errorf("%s: %s: unknown field of an OpenMessaging Benchmark driver file; use %s", file, oneLine(key), oneOf(ombFields)))
		}
	}
	switch {
	case batchSize == nil:
	case t.UseTransactions:
		errs = appendErr(errs, positiveInt(file, "batchSize", batchSize, &t.TransactionSize))
	default:
		note("batchSize=%s not applicable: it sizes OMB's transactions, and useTransactions is not true", batchSize.Value)
	}
	maps.Copy(t.Topic, blocks["topicConfig"])
	maps.Copy(t.Producer, blocks["commonConfig"])
	maps.Copy(t.Producer, blocks["producerConfig"])
	maps.Copy(t.Consumer, blocks["commonConfig"])
	maps.Copy(t.Consumer, blocks["consumerConfig"])
	return errs
}

// javaProperties parses a config block (see javaprops.Parse), each
// problem prefixed with the file and the block's name.
func javaProperties(file, field, text string) (map[string]string, []error) {
	props, errs := javaprops.Parse(text)
	for i, err := range errs {
		errs[i] = fmt.Errorf("%s: %s %w", file, field, err)
	}
	return props, errs
}
