package confluent

import (
	"errors"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

func TestConfigMap(t *testing.T) {
	cases := []struct {
		props  map[string]string
		want   kafka.ConfigMap // settings expected in the result
		badKey string          // "" when the props are valid
	}{
		{map[string]string{"acks": "all", "linger.ms": "5", "compression.type": "lz4"},
			kafka.ConfigMap{"acks": "all", "linger.ms": "5", "compression.type": "lz4"}, ""}, // passed through
		{map[string]string{"fetch.max.wait.ms": "100", "max.request.size": "2097152"},
			kafka.ConfigMap{"fetch.wait.max.ms": "100", "message.max.bytes": "2097152"}, ""}, // renamed
		{map[string]string{"buffer.memory": "33554432"}, kafka.ConfigMap{"queue.buffering.max.kbytes": 32768}, ""},
		{map[string]string{"auto.offset.reset": "none"}, kafka.ConfigMap{"auto.offset.reset": "error"}, ""},
		{map[string]string{"enable.idempotence": "true", "acks": "-1"}, kafka.ConfigMap{"enable.idempotence": "true"}, ""},
		{map[string]string{"acks": "2"}, nil, "acks"},
		{map[string]string{"enable.idempotence": "true", "acks": "1"}, nil, "enable.idempotence"},
		{map[string]string{"enable.idempotence": "true", "retries": "0"}, nil, "enable.idempotence"},
		{map[string]string{"batch.size": "-1"}, nil, "batch.size"},
		{map[string]string{"linger.ms": "soon"}, nil, "linger.ms"},
		{map[string]string{"compression.type": "brotli"}, nil, "compression.type"},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": "x"}, nil, "sasl.jaas.config"},
	}
	for _, c := range cases {
		got, err := configMap(kafka.ConfigMap{}, c.props)
		var pe *drivers.PropertyError
		switch {
		case c.badKey == "" && err != nil:
			t.Errorf("%v: %v", c.props, err)
		case c.badKey != "" && (!errors.As(err, &pe) || pe.Key != c.badKey):
			t.Errorf("%v: error %v, want a PropertyError for %s", c.props, err, c.badKey)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%v: %s = %v, want %v", c.props, k, got[k], v)
			}
		}
	}
}

// A consumer fetches again 10 ms after its prefetch queue was full, not
// librdkafka's 1 s, unless the workload says otherwise.
func TestConsumerFetchQueueBackoff(t *testing.T) {
	for _, c := range []struct {
		props map[string]string
		want  any
	}{
		{nil, fetchQueueBackoff},
		{map[string]string{"fetch.queue.backoff.ms": "1000"}, "1000"},
	} {
		cm, err := consumerConfig(drivers.ConsumerConfig{Bootstrap: []string{"127.0.0.1:9"}, Group: "g", Props: c.props})
		if err != nil {
			t.Fatal(err)
		}
		if got := cm["fetch.queue.backoff.ms"]; got != c.want {
			t.Errorf("props %v: fetch.queue.backoff.ms %v (%T), want %v", c.props, got, got, c.want)
		}
	}
}
