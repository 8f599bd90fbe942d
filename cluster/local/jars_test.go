package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWritePomListsTheSet(t *testing.T) {
	for _, set := range []jarSet{brokerJars, toolsJars} {
		path := filepath.Join(t.TempDir(), "pom.xml")
		if err := writePom(path, set); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		pom := string(b)
		if strings.Count(pom, "<dependency>") != len(set.artifacts) {
			t.Errorf("%s pom has %d dependencies, want %d:\n%s", set.name, strings.Count(pom, "<dependency>"), len(set.artifacts), pom)
		}
		for _, a := range set.artifacts {
			if !strings.Contains(pom, "<artifactId>"+a.Name+"</artifactId>\n      <version>"+a.Version+"</version>") {
				t.Errorf("%s pom lacks %s %s:\n%s", set.name, a.Name, a.Version, pom)
			}
		}
	}
}

func TestFetchKafkaToolsCachedApart(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("KBENCH_CACHE", cache)
	t.Setenv("PATH", t.TempDir()) // no mvn: a complete cache must not need it
	dir := filepath.Join(cache, "kafka-tools-"+KafkaVersion)
	os.MkdirAll(filepath.Join(dir, "libs"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, completeMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	libs, err := FetchKafkaTools(context.Background(), nil)
	if err != nil || libs != filepath.Join(dir, "libs") {
		t.Fatalf("FetchKafkaTools = %q, %v; want %s", libs, err, filepath.Join(dir, "libs"))
	}
	// The broker's cache is another directory, still to be fetched.
	if _, err := FetchKafka(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "install Maven") {
		t.Fatalf("FetchKafka err = %v, want mvn not found", err)
	}
}
