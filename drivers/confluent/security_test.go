package confluent

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

func TestSecurityConfig(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("junk\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	cm, err := configMap(kafka.ConfigMap{}, map[string]string{
		"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "ssl.truststore.type": "PEM", "ssl.truststore.location": ca,
		"sasl.jaas.config": `org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.ConfigMap{"security.protocol": "sasl_ssl", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u", "sasl.password": "p",
		"ssl.ca.pem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "ssl.endpoint.identification.algorithm": "https"}
	for k, v := range want {
		if cm[k] != v {
			t.Errorf("%s = %v, want %v", k, cm[k], v)
		}
	}
	for _, k := range []string{"sasl.jaas.config", "ssl.truststore.location", "ssl.truststore.type", "sasl.mechanism"} {
		if _, ok := cm[k]; ok {
			t.Errorf("%s passed on to librdkafka, which does not know it", k)
		}
	}

	for _, tc := range []struct {
		props map[string]string
		key   string
	}{
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM"}, "sasl.mechanism"},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.token": "t"}, "sasl.oauthbearer.token"},
	} {
		_, err := configMap(kafka.ConfigMap{}, tc.props)
		var pe *drivers.PropertyError
		if !errors.As(err, &pe) || pe.Key != tc.key {
			t.Errorf("%v: err = %v, want one naming %s", tc.props, err, tc.key)
		}
	}
	cm, err = configMap(kafka.ConfigMap{}, map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
		"sasl.oauthbearer.token.endpoint.url": "https://idp/token", "sasl.oauthbearer.client.id": "id", "sasl.oauthbearer.client.secret": "s"})
	if err != nil || cm["sasl.oauthbearer.method"] != "oidc" || cm["sasl.oauthbearer.client.secret"] != "s" {
		t.Errorf("OIDC: %v %v", cm, err)
	}
}
