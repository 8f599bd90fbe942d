package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
)

const ombFiles = "../../profiles/testdata/omb/"

// Every driver file in OMB's shapes loads with both drivers, or is refused
// for a stated reason; a semantic property is never dropped.
func TestOMBDriverFilesWithEveryDriver(t *testing.T) {
	refused := map[string]string{
		"jms.yaml":  "is not OMB's Kafka driver",
		"sync.yaml": "sync: true (a producer that waits for each send) is not supported in a profile: it is the workload's maxInFlight: 1",
	}
	// Properties a driver refuses, by file/driver; none today.
	driverRefuses := map[string]string{}
	files, _ := filepath.Glob(ombFiles + "*.yaml")
	for _, file := range files {
		base := filepath.Base(file)
		tu, err := profiles.LoadTuning(file)
		if want := refused[base]; want != "" {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err %v, want a refusal saying %q", base, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", base, err)
			continue
		}
		// OMB's driver names each subscription's group, whatever
		// group.id says; so does kbench.
		if _, ok := tu.Consumer["group.id"]; ok || base == "group-id.yaml" && !strings.Contains(strings.Join(tu.Notes, "\n"), "group.id=benchGroup not applicable") {
			t.Errorf("%s: group.id kept (%v) or not noted (%q)", base, tu.Consumer, tu.Notes)
		}
		for _, name := range all.Names() {
			d, _ := all.Get(name)
			err := d.(drivers.PropertyChecker).CheckProperties(tu.Producer, tu.Consumer)
			var pe *drivers.PropertyError
			switch want := driverRefuses[base+"/"+name]; {
			case want == "" && err != nil:
				t.Errorf("%s with %s: %v", base, name, err)
			case want != "" && (!errors.As(err, &pe) || pe.Key != want || pe.Reason == ""):
				t.Errorf("%s with %s: err %v, want %s refused with a reason", base, name, err, want)
			}
		}
	}
}

// OMB's own kafka-throughput.yaml runs: default.api.timeout.ms is listed
// in the result as not applicable, with a warning.
func TestRunOMBThroughputFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := kbench(t, "run", "--cluster", "embedded", "--nodes", "1", "--workload", "smoke", "--messages", "200", "-q",
		"--profile", ombFiles+"throughput.yaml", "-o", out)
	if code != exitOK || !strings.Contains(stderr, "default.api.timeout.ms=600000 not applicable") {
		t.Fatalf("exit %d, stderr %q; want 0 and a warning", code, stderr)
	}
	r, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(r.Notes, "\n"), "default.api.timeout.ms") {
		t.Errorf("the result's notes do not list default.api.timeout.ms: %q", r.Notes)
	}
	if r.Client.Producer["batch.size"] != "1048576" || r.Client.Producer["acks"] != "all" {
		t.Errorf("producer settings %v, want the file's acks and batch.size", r.Client.Producer)
	}
}
