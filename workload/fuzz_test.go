package workload

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFiles seeds f with the files matching pattern.
func addFiles(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// Decoding and resolving any document never panics, and every problem
// names its field path (or says the YAML itself is broken).
func FuzzParseWorkload(f *testing.F) {
	addFiles(f, "../workloads/*.yaml")
	addFiles(f, "testdata/*.yaml")
	addFiles(f, "testdata/fuzz-seeds/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWorkload(data)
		if w == nil {
			if err == nil || !strings.HasPrefix(err.Error(), "not valid YAML") {
				t.Fatalf("no workload and error %v", err)
			}
			return
		}
		checkNamed(t, err)
		checkNamed(t, w.Resolve())
	})
}

// checkNamed fails unless every line of err starts with "path: ".
func checkNamed(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		path, _, ok := strings.Cut(line, ": ")
		if !ok || path == "" {
			t.Fatalf("a problem names no field: %q", line)
		}
	}
}

// Set takes any key and value without panicking; a refusal starts with
// the key.
func FuzzSet(f *testing.F) {
	for _, kv := range [][2]string{{"messageSize", "512"}, {"producer.linger.ms", "5"}, {"acks", "all"},
		{"faults", "[{at: 1s}]"}, {"topicConfig", "{a: b}"}, {"messageSizes", "[{size: 100, weight: 1}]"},
		{"duration", "1h"}, {"lingerms", "5"}, {"", "x"}, {"topics", "&a [*a]"}} {
		f.Add(kv[0], kv[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		w := &Workload{}
		err := w.Set(key, value)
		if err != nil && !strings.HasPrefix(err.Error(), strings.TrimSpace(key)) && !strings.HasPrefix(err.Error(), `"`) {
			t.Fatalf("Set(%q, %q): error does not start with the key: %v", key, value, err)
		}
		checkNamed(t, w.Resolve())
	})
}

// ParseFaultFlag never panics; a refusal quotes the flag's value.
func FuzzParseFaultFlag(f *testing.F) {
	for _, s := range []string{"at=20s,action=kill,target=leader:0/0,duration=20s", "at=1s,action=exec,target=broker:1,command=ssh h sudo systemctl stop kafka",
		"at=,action=pause", "target=random", "at=1e308", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := ParseFaultFlag(s); err != nil && !strings.HasPrefix(err.Error(), fmt.Sprintf("%q", s)) {
			t.Fatalf("ParseFaultFlag(%q): error does not quote the flag: %v", s, err)
		}
	})
}
