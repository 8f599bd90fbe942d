package sweep

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestParseVary(t *testing.T) {
	for _, tc := range []struct {
		specs   []string
		want    []results.Vary
		wantErr string
	}{
		// Two keys, values trimmed.
		{specs: []string{"acks=0, 1,all", "messageSize=100"}, want: []results.Vary{{Key: "acks", Values: []string{"0", "1", "all"}}, {Key: "messageSize", Values: []string{"100"}}}},
		// A dotted property path is a key like any other.
		{specs: []string{"producer.linger.ms=0,5"}, want: []results.Vary{{Key: "producer.linger.ms", Values: []string{"0", "5"}}}},
		// No "=".
		{specs: []string{"acks"}, wantErr: "want key=value1,value2"},
		// An empty value between commas.
		{specs: []string{"acks=1,,all"}, wantErr: "empty value"},
		// The same key twice.
		{specs: []string{"acks=1", "acks=all"}, wantErr: "varied twice"},
	} {
		got, err := ParseVary(tc.specs)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseVary(%q) error = %v, want %q", tc.specs, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseVary(%q) = %v, %v; want %v", tc.specs, got, err, tc.want)
		}
	}
}

func TestMatrix(t *testing.T) {
	vary := []results.Vary{{Key: "acks", Values: []string{"0", "1"}}, {Key: "messageSize", Values: []string{"100", "200"}}}
	got := Matrix(vary, nil, []string{"franz"})
	var labels []string
	for _, p := range got {
		labels = append(labels, p.Label())
	}
	want := []string{
		"acks=0 messageSize=100 franz",
		"acks=0 messageSize=200 franz",
		"acks=1 messageSize=100 franz",
		"acks=1 messageSize=200 franz",
	}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("Matrix labels = %q, want %q", labels, want)
	}
	// Profiles and drivers are dimensions too: 2 x 2 x 2 x 2.
	if n := len(Matrix(vary, []string{"durable", "throughput"}, []string{"franz", "confluent"})); n != 16 {
		t.Errorf("Matrix with two profiles and two drivers has %d points, want 16", n)
	}
	// Nothing varied: one point per driver.
	if got := Matrix(nil, nil, []string{"franz"}); len(got) != 1 || got[0].Driver != "franz" {
		t.Errorf("Matrix(nil, nil, [franz]) = %v, want one franz point", got)
	}
}
