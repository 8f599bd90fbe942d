package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

// shardFiles writes the two shards of a run made from a fixture.
func shardFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for i := range 2 {
		r, err := results.Read(fixture("ok-1")[0])
		if err != nil {
			t.Fatal(err)
		}
		r.RunID, r.Shard = "run-1", &results.Shard{Index: i, Count: 2}
		f := filepath.Join(dir, "shard-"+string(rune('0'+i))+".json")
		if err := results.Write(f, r); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// kbench merge, like run, never replaces an existing file unless --force.
func TestMergeKeepsExistingFile(t *testing.T) {
	dir := t.TempDir()
	files := shardFiles(t, dir)
	out := filepath.Join(dir, "precious.json")
	os.WriteFile(out, []byte("precious"), 0o644)
	code, _, stderr := kbench(t, append([]string{"merge", "-q", "-o", out}, files...)...)
	if b, _ := os.ReadFile(out); code != exitUsage || string(b) != "precious" || !strings.Contains(stderr, "--force") {
		t.Errorf("exit %d, file %.20q, stderr %q; want %d, the file kept and a hint of --force", code, b, stderr, exitUsage)
	}
	if code, _, _ := kbench(t, append([]string{"merge", "-q", "--force", "-o", out}, files...)...); code != exitOK {
		t.Errorf("--force: exit %d", code)
	}
	if _, err := results.Read(out); err != nil {
		t.Errorf("--force did not write the merged result: %v", err)
	}
}

// isResult says whether s is one result document, nothing else.
func isResult(s string) bool {
	var r results.Run
	return json.Unmarshal([]byte(s), &r) == nil && strings.HasPrefix(r.Schema, "kbench.result/")
}

// "-o -" is standard output for every command that writes a file.
func TestOutputDashIsStdout(t *testing.T) {
	dir := t.TempDir()
	files := shardFiles(t, dir)
	base, err := filepath.Abs(fixture("base-1")[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, stdout, stderr := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "--messages", "200", "-o", "-")
	if code != exitOK || !isResult(stdout) || !strings.Contains(stderr, "msgs/s") {
		t.Errorf("run -o -: exit %d; want the result alone on stdout and the summary on stderr", code)
	}
	if code, stdout, _ := kbench(t, append([]string{"merge", "-o", "-"}, files...)...); code != exitOK || !isResult(stdout) {
		t.Errorf("merge -o -: exit %d; want the merged result alone on stdout", code)
	}
	if code, stdout, _ := kbench(t, "report", "-o", "-", base); code != exitOK || !strings.Contains(stdout, "| run | msgs/s |") {
		t.Errorf("report -o -: exit %d", code)
	}
	if code, stdout, _ := kbench(t, "export", "--format", "csv", "-o", "-", base); code != exitOK || !strings.Contains(stdout, ",") {
		t.Errorf("export -o -: exit %d", code)
	}
	if code, stdout, _ := kbench(t, "plot", "-o", "-", base); code != exitOK || !strings.Contains(stdout, "<svg") {
		t.Errorf("plot -o -: exit %d; want SVG on stdout", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "-")); err == nil {
		t.Error("a file named - was written")
	}
}

// A device that refuses writes is refused before the run (exit 2).
func TestRunRefusesDeviceFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "-q", "--messages", "200", "-o", "/dev/full")
	if code != exitUsage || strings.Contains(stderr, "result written") {
		t.Errorf("exit %d, stderr %q; want %d before the run", code, stderr, exitUsage)
	}
}

// Bad input is refused with a short message that says what is wrong
// (exit 2, nothing run).
func TestRefusalsSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	binary := writeFile(t, dir, "client.bin", "\x7fELF\x02\x01\x01\x00"+strings.Repeat("\x00\x01garbage\n", 1500))
	for _, tc := range []struct {
		name string
		args []string
		// want is part of the error.
		want string
	}{
		{"binary client config", []string{"--client-config", binary}, "client.bin: line 1: byte 1 is 0x7f: not text"},
		{"rate NaN", []string{"--rate", "NaN"}, "--rate: must be a number of messages/s, got NaN"},
		{"OMB driver file as the workload", []string{"--workload", "../../profiles/testdata/omb/throughput.yaml"}, "this is an OpenMessaging Benchmark driver file (it has driverClass), not a workload: give it with --profile"},
		{"secured embedded target", []string{"--security", "sasl_ssl"}, "the embedded target cannot be secured"},
		{"fault without at", []string{"--fault", "action=kill,target=broker:0"}, "at: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--cluster", "embedded", "--workload", "smoke", "-q", "--messages", "200", "-o", dir + "/"}, tc.args...)
			code, _, stderr := kbench(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || len(stderr) > 400 {
				t.Errorf("exit %d, stderr %q; want %d and a short message holding %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// A shard writes two results (shard 0 its own and the merged one), so
// standard output cannot take them; refused before anything connects.
func TestShardRefusesStdout(t *testing.T) {
	code, _, stderr := kbench(t, "run", "--shards", "2", "--shard", "0", "--run-id", "stdout-1",
		"--bootstrap", "127.0.0.1:1", "-q", "-o", "-")
	if code != exitUsage || !strings.Contains(stderr, "give a file or a directory") {
		t.Errorf("exit %d, stderr %q; want %d and the reason", code, stderr, exitUsage)
	}
}
