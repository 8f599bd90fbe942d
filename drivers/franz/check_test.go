package franz

import (
	"strings"
	"testing"
)

func TestCheckProperties(t *testing.T) {
	err := Driver{}.CheckProperties(map[string]string{"lingerms": "5", "client.id": "x", "request.timeout.ms": "-1"},
		map[string]string{"fetch.min.bytes": "1", "request.timeout.ms": "-1"})
	if err == nil {
		t.Fatal("a misspelt property passed")
	}
	msg := err.Error()
	if !strings.Contains(msg, "did you mean linger.ms?") {
		t.Errorf("no suggestion in %q", msg)
	}
	// A shared property's problem is reported once.
	if n := strings.Count(msg, "request.timeout.ms"); n != 1 {
		t.Errorf("request.timeout.ms reported %d times in %q", n, msg)
	}
	if err := (Driver{}).CheckProperties(map[string]string{"acks": "all"}, map[string]string{"fetch.min.bytes": "1"}); err != nil {
		t.Errorf("valid properties refused: %v", err)
	}
}

// The record bound follows kgo's batch cap, less the request's framing.
func TestRecordLimit(t *testing.T) {
	cases := []struct {
		props    map[string]string
		bytes    int64
		property string
	}{
		{nil, 1000012 - 4, "batch.size"},                                                                                  // kgo's default cap, which batch.size raises
		{map[string]string{"max.request.size": "4194304"}, 1000012 - 4, "batch.size"},                                     // not raised by it: batches would outgrow the brokers' limit
		{map[string]string{"max.request.size": "524288", "message.max.bytes": "262144"}, 262144 - 4, "message.max.bytes"}, // lowered: the smaller of the two
		{map[string]string{"batch.size": "16384", "max.request.size": "4194304"}, 16384 - 4, "batch.size"},                // the batch cap bounds a record
	}
	for _, c := range cases {
		lim := (Driver{}).RecordLimit(c.props)
		if lim.Bytes != c.bytes || lim.Value != c.bytes+4 || lim.Property != c.property || !lim.Batch {
			t.Errorf("RecordLimit(%v) = %+v, want %d bytes of batch set by %s", c.props, lim, c.bytes, c.property)
		}
	}
}
