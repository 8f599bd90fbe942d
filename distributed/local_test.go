package distributed

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kbench/kbench/results"
)

// When shard 0 wrote no merged result, RunLocal merges the shards' own
// files, failover figures and ISR events included. The shard processes
// are a script that writes a prepared result where it is told.
func TestRunLocalFallbackMerge(t *testing.T) {
	dir := t.TempDir()
	for i, r := range shardResults(t) {
		if err := results.Write(filepath.Join(dir, "src-"+strconv.Itoa(i)+".json"), r); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "shard.sh")
	script := "#!/bin/sh\nfor a in \"$@\"; do case $a in --shard=*) i=${a#--shard=};; --output=*) o=${a#--output=};; esac; done\n" +
		"cp \"" + dir + "/src-$i.json\" \"$o\"\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := RunLocal(context.Background(), Local{Exe: exe, Args: []string{"run"}, Count: 2, RunID: "merge-1", Output: filepath.Join(dir, "out.json")})
	if err != nil {
		t.Fatal(err)
	}
	checkFailover(t, m)
}

func TestMergedPath(t *testing.T) {
	if got := MergedPath("out/run-shard-0.json"); got != "out/run-shard-0-merged.json" {
		t.Errorf("MergedPath: %q", got)
	}
}
