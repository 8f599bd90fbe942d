package franz

import (
	"errors"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
)

func TestProducerProps(t *testing.T) {
	cases := []struct {
		props  map[string]string
		badKey string // "" when the props are valid
	}{
		{map[string]string{}, ""}, // library defaults
		{map[string]string{"acks": "all", "enable.idempotence": "true", "retries": "3", "linger.ms": "5",
			"batch.size": "65536", "compression.type": "zstd", "request.timeout.ms": "30000",
			"delivery.timeout.ms": "120000", "buffer.memory": "33554432", "max.request.size": "1048576",
			"client.id": "x"}, ""}, // a typical tuned producer
		{map[string]string{"acks": "1"}, ""},                                                // quietly drops default idempotence
		{map[string]string{"acks": "0", "max.in.flight.requests.per.connection": "3"}, ""},  // no idempotence, 3 in flight
		{map[string]string{"fetch.min.bytes": "1"}, ""},                                     // consumer property: ignored
		{map[string]string{"acks": "-1", "max.in.flight.requests.per.connection": "5"}, ""}, // idempotent with kgo's 5
		{map[string]string{"max.request.size": "2048"}, ""},                                 // lowers the batch cap too
		{map[string]string{"acks": "2"}, "acks"},
		{map[string]string{"acks": "1", "enable.idempotence": "true"}, "enable.idempotence"},
		{map[string]string{"retries": "0", "enable.idempotence": "true"}, "enable.idempotence"},
		{map[string]string{"max.in.flight.requests.per.connection": "1", "enable.idempotence": "true"}, ""}, // OMB's exactly-once file: kgo keeps up to 5
		{map[string]string{"max.in.flight.requests.per.connection": "6", "enable.idempotence": "true"}, "max.in.flight.requests.per.connection"},
		{map[string]string{"transactional.id": "t", "transaction.timeout.ms": "10000", "max.in.flight.requests.per.connection": "1"}, ""},
		{map[string]string{"transactional.id": "t", "acks": "1"}, "transactional.id"},
		{map[string]string{"transactional.id": "t", "enable.idempotence": "false"}, "enable.idempotence"},
		{map[string]string{"retries": "-1"}, "retries"},
		{map[string]string{"enable.idempotence": "yes"}, "enable.idempotence"},
		{map[string]string{"batch.size": "100000", "max.request.size": "50000"}, "max.request.size"},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": "x"}, "sasl.jaas.config"},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI", "sasl.username": "u"}, "sasl.mechanism"},
		{map[string]string{"security.protocol": "SSL", "ssl.ca.location": "/nonexistent"}, "ssl.ca.location"}, // no such file
		{map[string]string{"key.serializer": "x"}, "key.serializer"},
	}
	for _, c := range cases {
		opts, err := producerOpts(c.props)
		checkProps(t, c.props, err, c.badKey)
		if err == nil {
			// kgo's own validation must agree with ours.
			cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers("127.0.0.1:1"))...)
			if err != nil {
				t.Errorf("%v: kgo refused the options: %v", c.props, err)
				continue
			}
			cl.Close()
		}
	}
}

func TestConsumerProps(t *testing.T) {
	cases := []struct {
		props  map[string]string
		badKey string
	}{
		{map[string]string{"fetch.min.bytes": "1", "fetch.max.wait.ms": "500", "fetch.max.bytes": "52428800",
			"max.partition.fetch.bytes": "1048576", "auto.offset.reset": "latest", "session.timeout.ms": "45000",
			"heartbeat.interval.ms": "3000", "enable.auto.commit": "false"}, ""},
		{map[string]string{"acks": "all", "linger.ms": "5"}, ""}, // producer properties: ignored
		{map[string]string{"auto.offset.reset": "smallest"}, "auto.offset.reset"},
		{map[string]string{"fetch.max.wait.ms": "-1"}, "fetch.max.wait.ms"},
	}
	for _, c := range cases {
		_, err := consumerOpts(c.props)
		checkProps(t, c.props, err, c.badKey)
	}
}

func checkProps(t *testing.T, props map[string]string, err error, badKey string) {
	t.Helper()
	var pe *drivers.PropertyError
	switch {
	case badKey == "" && err != nil:
		t.Errorf("%v: %v", props, err)
	case badKey != "" && !errors.As(err, &pe):
		t.Errorf("%v: error %v, want a PropertyError for %s", props, err, badKey)
	case badKey != "" && pe.Key != badKey:
		t.Errorf("%v: error names %s, want %s", props, pe.Key, badKey)
	}
}

func TestPropertyErrorHidesSecrets(t *testing.T) {
	_, err := producerOpts(map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": `... password="hunter2";`})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %v shows the secret", err)
	}
}
