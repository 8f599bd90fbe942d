package all

import (
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	for _, name := range Names() {
		d, err := Get(name)
		if err != nil || d.Name() != name {
			t.Errorf("Get(%q) = %v, %v", name, d, err)
		}
	}
	_, err := Get("sarama")
	if err == nil || !strings.Contains(err.Error(), "franz") {
		t.Errorf("Get(sarama) error = %v, want one listing the valid names", err)
	}
}
