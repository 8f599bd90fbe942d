package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFileNamesAreSafeAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for i, p := range []SweepPoint{
		{Params: Params{{"compression.type", "lz4"}, {"key", "a/b"}}, Profile: "durable+mine", Driver: "franz"},
		{Params: Params{{"compression.type", "lz4"}, {"key", "a b"}}, Profile: "durable+mine", Driver: "franz"},
		{Params: Params{{"compression.type", "zstd"}, {"key", "a/b"}}, Profile: "durable+mine", Driver: "franz"},
		{Params: Params{{"compression.type", "zstd"}, {"key", "a b"}}, Profile: "durable+mine", Driver: "franz"},
	} {
		name := p.FileName(i + 1)
		if seen[name] || strings.ContainsAny(name, "/ ") || !strings.HasSuffix(name, ".json") {
			t.Errorf("file name %q of point %d is repeated or unsafe", name, i+1)
		}
		seen[name] = true
	}
	if got := (SweepPoint{Params: Params{{"acks", "all"}}, Driver: "franz", Rate: 4000}).FileName(3); got != "003-acks-all_rate-4000_franz.json" {
		t.Errorf("FileName = %q", got)
	}
}

func TestSweepIndexRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	idx := &SweepIndex{
		Workload: "smoke", Started: at, Updated: at.Add(time.Minute), Complete: true,
		Vary:    []Vary{{"acks", []string{"1", "all"}}},
		Drivers: []string{"franz"},
		Search:  &RateSearch{Start: 1000, Factor: 2, Bisections: 3, P99MaxMs: 50},
		Points: []SweepEntry{{
			SweepPoint: SweepPoint{Params: Params{{"acks", "1"}}, Driver: "franz", Rate: 1000},
			Result:     "001-acks-1_rate-1000_franz.json", ProduceRate: 999.5, ConsumeRate: 998, P99Ms: 3.5, Complete: true, Outcome: "sustained",
		}},
		Best: []SearchFound{{SweepPoint: SweepPoint{Params: Params{{"acks", "1"}}, Driver: "franz"}, MaxRate: 1000}},
	}
	path := filepath.Join(t.TempDir(), SweepIndexFile)
	if err := WriteSweepIndex(path, idx); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"params": {
        "acks": "1"
      }`) {
		t.Errorf("params are not written as an object:\n%s", data)
	}
	got, err := ReadSweepIndex(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, idx) {
		t.Errorf("round trip changed the index:\n got %+v\nwant %+v", got, idx)
	}
	if got.Param() != "acks" {
		t.Errorf("Param() = %q, want acks", got.Param())
	}
	if _, err := decodeSweepIndex([]byte(`{"schema":"kbench.result/v1"}`), "r.json"); err == nil || !strings.Contains(err.Error(), "r.json: not a kbench sweep index") {
		t.Errorf("decoding a result as an index: %v", err)
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
