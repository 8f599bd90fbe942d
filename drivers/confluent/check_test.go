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
