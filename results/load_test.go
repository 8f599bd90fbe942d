package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	sweepDir := filepath.Join(dir, "sweep")
	for _, name := range []string{"one.json", "sweep/001-a.json", "sweep/002-b.json"} {
		if err := Write(filepath.Join(dir, name), &Run{Complete: true, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	idx := &SweepIndex{Vary: []Vary{{Key: "acks", Values: []string{"1", "all"}}}, Points: []SweepEntry{
		{Result: "001-a.json"}, {Outcome: "error: measured nothing"}, {Result: "002-b.json"},
	}}
	if err := WriteSweepIndex(filepath.Join(sweepDir, SweepIndexFile), idx); err != nil {
		t.Fatal(err)
	}

	// A result, a sweep directory, and one of its results again.
	got, err := Load(filepath.Join(dir, "one.json"), sweepDir, filepath.Join(sweepDir, "002-b.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got.Runs {
		names = append(names, r.Name)
	}
	if strings.Join(names, " ") != "one.json sweep/001-a.json sweep/002-b.json" || len(got.Files) != 3 {
		t.Errorf("loaded %q from %q, want each result once", names, got.Files)
	}
	if got.Index == nil || got.Index.Param() != "acks" {
		t.Errorf("index = %+v, want the sweep's", got.Index)
	}

	// Problems name the file.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := WriteSweepIndex(filepath.Join(empty, SweepIndexFile), &SweepIndex{}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, empty, filepath.Join(dir, "missing.json")} {
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Load(%s) error = %v, want one naming it", path, err)
		}
	}
}
