package results

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
	out := string(RedactJSON(doc))
	if strings.Contains(out, "hunter2") {
		t.Fatalf("secret left in %s", out)
	}
	for _, want := range []string{`"alice"`, `"NO_KEY"`, `1048576`, `"sasl.password":"` + Redacted + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("%s missing from %s", want, out)
		}
	}
}

func TestSweepIndexRedacted(t *testing.T) {
	idx := &SweepIndex{
		Vary:   []Vary{{Key: "producer.sasl.password", Values: []string{"hunter2"}}, {Key: "acks", Values: []string{"1"}}},
		Points: []SweepEntry{{SweepPoint: SweepPoint{Params: Params{{"producer.sasl.password", "hunter2"}, {"acks", "1"}}}}},
	}
	path := t.TempDir() + "/sweep.json"
	if err := WriteSweepIndex(path, idx); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSweepIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if strings.Contains(string(b), "hunter2") || strings.Contains(idx.Points[0].FileName(1), "hunter2") ||
		strings.Contains(idx.Points[0].Label(), "hunter2") {
		t.Fatalf("secret in the index, a file name or a label: %s", b)
	}
	if idx.Points[0].Params[0].Value != "hunter2" {
		t.Error("writing the index changed the sweep's own points")
	}
	if got.Points[0].Params[1].Value != "1" {
		t.Errorf("acks = %q, want 1", got.Points[0].Params[1].Value)
	}
}
