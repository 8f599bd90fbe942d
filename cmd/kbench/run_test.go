package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workloads"
)

// A run in which every produce failed is a failed run.
func TestRunFailedExitsOne(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	// kfake refuses batches above its 1 MiB message.max.bytes. kbench
	// refuses such a message size before the run, unless compression
	// might shrink the batch: random bytes do not shrink.
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "-q", "-o", out,
		"--set", "messageSize=1100000", "--set", "useRandomizedPayloads=true", "--set", "compression.type=lz4",
		"--set", "batch.size=2000000", "--set", "maxInFlight=4", "--messages", "5", "--set", "drain=1s")
	if code != exitFailed || !strings.Contains(stderr, "every produce failed") {
		t.Errorf("exit %d, stderr %q; want %d and why", code, stderr, exitFailed)
	}
	if !nonEmpty(out) {
		t.Error("the failed run's result was not written")
	}
}

func TestRunErrorShareFlag(t *testing.T) {
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "-q", "--max-error-share", "120%")
	if code != exitUsage || !strings.Contains(stderr, "--max-error-share") {
		t.Errorf("exit %d, stderr %q; want %d", code, stderr, exitUsage)
	}
}

// smokeRun is a quick embedded run writing to -o out.
func smokeRun(t *testing.T, out string, extra ...string) (int, string) {
	t.Helper()
	args := append([]string{"run", "--cluster", "embedded", "--workload", "smoke", "-q", "--messages", "200", "-o", out}, extra...)
	code, _, stderr := kbench(t, args...)
	return code, stderr
}

func TestRunResultDestinations(t *testing.T) {
	t.Run("FIFO written in place", func(t *testing.T) {
		fifo := filepath.Join(t.TempDir(), "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		read := make(chan []byte)
		go func() {
			b, _ := os.ReadFile(fifo) // until the writer closes
			read <- b
		}()
		if code, _ := smokeRun(t, fifo); code != exitOK {
			t.Fatalf("exit %d", code)
		}
		if b := <-read; !strings.Contains(string(b), `"schema": "kbench.result/v1`) {
			t.Errorf("the reader got %.80q, not a result", b)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced (%v)", err)
		}
	})
	t.Run("directory gets the default name, one file per run", func(t *testing.T) {
		dir := t.TempDir()
		for range 3 {
			if code, _ := smokeRun(t, dir); code != exitOK {
				t.Fatalf("exit %d", code)
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "smoke-franz-*.json"))
		if len(files) != 3 {
			t.Errorf("three runs left %d result files: %v", len(files), files)
		}
	})
	t.Run("existing file kept unless --force", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "r.json")
		os.WriteFile(out, []byte("precious"), 0o644)
		code, stderr := smokeRun(t, out)
		if b, _ := os.ReadFile(out); code != exitUsage || string(b) != "precious" || !strings.Contains(stderr, "--force") {
			t.Errorf("exit %d, file %.20q; want %d and the file kept", code, b, exitUsage)
		}
		if code, _ := smokeRun(t, out, "--force"); code != exitOK {
			t.Errorf("--force: exit %d", code)
		}
		if _, err := results.Read(out); err != nil {
			t.Errorf("--force did not write a result: %v", err)
		}
	})
	t.Run("unwritable found before the run", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o644)
		code, stderr := smokeRun(t, filepath.Join(file, "r.json"))
		if code != exitUsage || strings.Contains(stderr, "result written") {
			t.Errorf("exit %d, stderr %q; want %d before running", code, stderr, exitUsage)
		}
	})
	t.Run("default name sanitised", func(t *testing.T) {
		dir := t.TempDir()
		wl := filepath.Join(dir, "w.yaml")
		os.WriteFile(wl, []byte("name: 1 topic / 16 partitions / 1Kb\nmessages: 100\n"), 0o644)
		code, _, _ := kbench(t, "run", "--cluster", "embedded", "--workload", wl, "-q", "-o", dir+"/")
		files, _ := filepath.Glob(filepath.Join(dir, "1-topic-16-partitions-1Kb-franz-*.json"))
		if code != exitOK || len(files) != 1 {
			entries, _ := os.ReadDir(dir)
			t.Errorf("exit %d, files %v", code, entries)
		}
	})
}

// An explicit --duration wins over the workload's message count.
func TestRunDurationFlagWins(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, _ := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "-q", "--duration", "1500ms", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	r, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.DurationS < 1.4 {
		t.Errorf("measured %.2fs, want the 1.5s asked for", r.Summary.DurationS)
	}
}

// Bad input is refused with exit 2 before a cluster starts: the local
// target would print that it is starting one.
func TestRunRefusesBeforeStarting(t *testing.T) {
	type refusal struct {
		name string
		args []string
		// want is part of the error message.
		want string
	}
	cases := []refusal{
		{"misspelt property", []string{"--set", "producer.lingerms=5"}, "did you mean linger.ms?"},
		{"misspelt bare property", []string{"--set", "lingerms=5"}, "did you mean linger.ms?"},
		{"misspelt field", []string{"--set", "messagesize=512"}, "did you mean messageSize?"},
		{"unknown shipped workload", []string{"--workload", "smok"}, "did you mean smoke?; shipped: " + strings.Join(workloads.Names(), ", ")},
		{"no nodes", []string{"--nodes", "0"}, "--nodes 0: a cluster needs at least 1 node"},
		{"negative nodes", []string{"--nodes", "-5"}, "--nodes -5"},
		{"replication above nodes", []string{"--nodes", "1", "--set", "replicationFactor=3"}, "replicationFactor 3 needs at least 3 nodes"},
	}
	if _, err := all.Get("confluent"); err == nil {
		cases = append(cases, refusal{"misspelt property, confluent", []string{"--driver", "confluent", "--set", "producer.lingerms=5"}, "did you mean linger.ms?"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"run", "--cluster", "local", "--cluster-dir", filepath.Join(dir, "cluster"), "-o", dir + "/"}, tc.args...)
			code, _, stderr := kbench(t, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "starting") {
				t.Errorf("exit %d, stderr %q; want %d and %q before starting", code, stderr, exitUsage, tc.want)
			}
		})
	}
	code, _, stderr := kbench(t, "cluster", "up", "--nodes", "0", "--dir", filepath.Join(t.TempDir(), "c"))
	if code != exitUsage || !strings.Contains(stderr, "at least 1 node") {
		t.Errorf("cluster up --nodes 0: exit %d, stderr %q", code, stderr)
	}
}

// Without a terminal (CI), progress is printed as plain lines.
func TestRunProgressWithoutTerminal(t *testing.T) {
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "--rate", "1000", "--duration", "2500ms",
		"--set", "warmup=1s", "-o", t.TempDir()+"/")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, phase := range []string{"warmup", "measure", "drain"} {
		if !strings.Contains(stderr, phase+" ") || !strings.Contains(stderr, "msgs/s  worst 1s p99") {
			t.Errorf("no %s progress line in:\n%s", phase, stderr)
		}
	}
}

// A run on the embedded target starts no JVM to describe the host.
func TestRunEmbeddedStartsNoJava(t *testing.T) {
	bin := t.TempDir()
	marker := filepath.Join(bin, "java-ran")
	os.WriteFile(filepath.Join(bin, "java"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if code, _ := smokeRun(t, t.TempDir()+"/"); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("java was run for an embedded target")
	}
}

// Messages the machine cannot hold in flight are refused, saying what
// they need. (By default the bound is 64 MiB of them, which fits.)
func TestRunRefusesAbsurdSize(t *testing.T) {
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--workload", "smoke", "-q", "-o", t.TempDir()+"/", "--set", "messageSize=2000000000", "--set", "maxInFlight=1000")
	if code != exitUsage || !strings.Contains(stderr, "would need at least") {
		t.Errorf("exit %d, stderr %q; want %d and the memory needed", code, stderr, exitUsage)
	}
}

// In a sweep too, --duration wins over the workload's message count.
func TestSweepDurationFlagWins(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := kbench(t, "sweep", "--cluster", "embedded", "--workload", "smoke", "-q", "--duration", "800ms",
		"--vary", "acks=0,1", "-o", dir)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	idx, err := results.ReadSweepIndex(filepath.Join(dir, results.SweepIndexFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range idx.Points {
		r, err := results.Read(filepath.Join(dir, e.Result))
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.DurationS < 0.7 {
			t.Errorf("%s measured %.2fs, want the 0.8s asked for", e.Label(), r.Summary.DurationS)
		}
	}
}
