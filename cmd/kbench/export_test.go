package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExport(t *testing.T) {
	dir := t.TempDir()
	notResult := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notResult, []byte(`{"hello": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := fixture("failover")[0]
	missing := filepath.Join(dir, "nosuch.json")
	for _, c := range []struct {
		args []string
		code int
		// stderr must hold this.
		says string
	}{
		{[]string{"--format", "csv", run}, exitOK, ""},
		{[]string{"--format", "csv", "--summary", run, fixture("base-1")[0]}, exitOK, ""},
		{[]string{run}, exitUsage, "--format"},
		{[]string{"--format", "xlsx", run}, exitUsage, `unknown format "xlsx"`},
		{[]string{"--format", "csv", missing}, exitUsage, missing},
		{[]string{"--format", "omb", notResult}, exitUsage, notResult + ": not a kbench result"},
		{[]string{"--format", "hlog", run, fixture("base-1")[0]}, exitUsage, "takes one result"},
		{[]string{"--format", "prometheus", "--hist", "publish", run}, exitUsage, "--hist goes with --format hlog"},
		{[]string{"--format", "csv", run, "-o", existing}, exitUsage, "--force"},
	} {
		code, _, stderr := kbench(t, append([]string{"export"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("export %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.says)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me\n" {
		t.Fatalf("the file was overwritten without --force: %q", b)
	}
	if code, _, stderr := kbench(t, "export", "--format", "csv-summary", run, "-o", existing, "--force"); code != exitOK {
		t.Fatalf("--force: exit %d, %s", code, stderr)
	}
	f, err := os.Open(existing)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "failover.json" {
		t.Errorf("summary CSV: %v, %q", err, recs)
	}
}
