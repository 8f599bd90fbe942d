package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "r.json")
	h := NewHist()
	for v := int64(1); v <= 1000; v++ {
		_ = h.RecordValue(v * 1000) // 1..1000 ms
	}
	enc, err := EncodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	in := &Run{Complete: true, Name: "x", Summary: Summary{ProducedMessages: 7, PublishLatencyMs: LatencyOf(h)},
		Histograms: Histograms{Publish: enc}}
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the result (no temporary left)", len(entries))
	}
	out, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Schema != Schema || out.Summary.ProducedMessages != 7 {
		t.Errorf("read back %+v", out)
	}
	back, err := DecodeHist(out.Histograms.Publish)
	if err != nil {
		t.Fatal(err)
	}
	if back.TotalCount() != 1000 || back.ValueAtQuantile(50) != h.ValueAtQuantile(50) {
		t.Errorf("histogram round trip: %d values, p50 %d", back.TotalCount(), back.ValueAtQuantile(50))
	}
	l := out.Summary.PublishLatencyMs
	if l.P50 < 499 || l.P50 > 501 || l.Max < 999 || l.Max > 1001 || !(l.P50 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency summary %+v", l)
	}
}

func TestDecodeRefusesOtherSchemas(t *testing.T) {
	for _, doc := range []string{`{"schema":"kbench.result/v9"}`, `{"schema":"kbench.result/v10"}`, `{"schema":"other"}`, `not json`} {
		_, err := Decode([]byte(doc), "f.json")
		if err == nil || !strings.Contains(err.Error(), "f.json") {
			t.Errorf("%s: error %v, want one naming the file", doc, err)
		}
	}
}

// Every v1.x is read: a minor version only adds fields.
func TestDecodeReadsEveryV1(t *testing.T) {
	for _, schema := range []string{"kbench.result/v1", "kbench.result/v1.1", "kbench.result/v1.7"} {
		if _, err := Decode([]byte(`{"schema":"`+schema+`"}`), "f.json"); err != nil {
			t.Errorf("%s: %v", schema, err)
		}
	}
}
