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
