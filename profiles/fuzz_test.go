package profiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addFiles(f *testing.F, patterns ...string) {
	for _, pattern := range patterns {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// A tuning profile or OMB driver file of any content never panics, and
// every problem starts with the file's name and names its field.
func FuzzParseTuning(f *testing.F) {
	addFiles(f, "tuning/*.yaml", "testdata/*.yaml", "testdata/omb/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseTuning("f.yaml", "f", data)
		if err == nil {
			return
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !strings.HasPrefix(line, "f.yaml: ") {
				t.Fatalf("a problem does not name the file: %q", line)
			}
		}
	})
}

// The Java properties parser never panics; each problem names its block
// and line.
func FuzzJavaProperties(f *testing.F) {
	for _, s := range []string{"a=b\n# c\n! d\nkey: value", "sasl.jaas.config=x \\\n  y;", "a\\", "=x", " \n\t\n", "k=v\\\\\nz=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		props, errs := javaProperties("f.yaml", "commonConfig", text)
		for _, err := range errs {
			if !strings.HasPrefix(err.Error(), "f.yaml: commonConfig line ") {
				t.Fatalf("a problem names no line: %v", err)
			}
		}
		for k := range props {
			if k == "" || strings.TrimSpace(k) != k {
				t.Fatalf("key %q from %q", k, text)
			}
		}
	})
}
