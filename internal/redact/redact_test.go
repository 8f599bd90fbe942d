package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIsSecret(t *testing.T) {
	for _, tc := range []struct {
		key    string
		secret bool
	}{
		{"sasl.password", true},
		{"sasl.jaas.config", true},               // holds username and password
		{"producer.sasl.password", true},         // a workload path
		{"ssl.key.password", true},               //
		{"ssl.keystore.key", true},               // an inline PEM key
		{"ssl.key.pem", true},                    // librdkafka's inline key
		{"sasl.oauthbearer.client.secret", true}, //
		{"sasl.oauthbearer.token", true},         //
		{"aws.secret.access.key", true},          //
		{"KAFKA_PASSWORD", true},                 // an environment variable
		{"clientSecret", true},                   // camel case
		{"apiKey", true},                         //
		{"sasl.aws.credentials", true},           //
		{"ssl.keystore.location", false},         // a file name
		{"ssl.key.location", false},              // a file name
		{"ssl.truststore.type", false},           //
		{"sasl.mechanism", false},                //
		{"sasl.username", false},                 //
		{"keyDistributor", false},                // a workload field
		{"key.serializer", false},                //
		{"acks", false},                          //
		{"ssl.certificate.pem", false},           // a public certificate
		{"ssl.endpoint.identification.algorithm", false},
	} {
		if got := IsSecret(tc.key); got != tc.secret {
			t.Errorf("IsSecret(%q) = %v, want %v", tc.key, got, tc.secret)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	doc := json.RawMessage(`{"name":"w","keyDistributor":"NO_KEY","messageSize":1048576,` +
		`"producer":{"acks":"all","sasl.password":"hunter2","sasl.username":"alice"},"consumer":{"sasl.jaas.config":"x password=\"hunter2\";"}}`)
	out := string(JSON(doc))
	if strings.Contains(out, "hunter2") {
		t.Fatalf("secret left in %s", out)
	}
	for _, want := range []string{`"alice"`, `"NO_KEY"`, `1048576`, `"sasl.password":"` + Placeholder + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("%s missing from %s", want, out)
		}
	}
}
