package confluent

import (
	"strings"
	"testing"
)

func TestCheckProperties(t *testing.T) {
	err := Driver{}.CheckProperties(map[string]string{"lingerms": "5"}, nil)
	if err == nil || !strings.Contains(err.Error(), "did you mean linger.ms?") {
		t.Errorf("got %v, want a refusal suggesting linger.ms", err)
	}
	if err := (Driver{}).CheckProperties(map[string]string{"acks": "all", "linger.ms": "5"}, map[string]string{"fetch.min.bytes": "1"}); err != nil {
		t.Errorf("valid properties refused: %v", err)
	}
}

// The record bound is message.max.bytes (or its Java name) less a
// record's widest framing.
func TestRecordLimit(t *testing.T) {
	cases := []struct {
		props    map[string]string
		bytes    int64
		property string
	}{
		{nil, 1000000 - 36, "message.max.bytes"}, // librdkafka's default
		{map[string]string{"max.request.size": "4194304"}, 4194304 - 36, "max.request.size"},
		{map[string]string{"max.request.size": "4194304", "message.max.bytes": "2097152"}, 2097152 - 36, "message.max.bytes"},
	}
	for _, c := range cases {
		lim := (Driver{}).RecordLimit(c.props)
		if lim.Bytes != c.bytes || lim.Value != c.bytes+36 || lim.Property != c.property || lim.Batch {
			t.Errorf("RecordLimit(%v) = %+v, want %d bytes of key and value set by %s", c.props, lim, c.bytes, c.property)
		}
	}
}

// A property both roles take is refused once, not once per role.
func TestCheckPropertiesOnce(t *testing.T) {
	jks := map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/nonexistent/truststore.jks"}
	err := Driver{}.CheckProperties(jks, jks)
	if err == nil || strings.Count(err.Error(), "ssl.truststore.location") != 1 {
		t.Errorf("got %v, want ssl.truststore.location refused once", err)
	}
}
