package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/results"
)

// sizeRun runs a few messages of the smoke workload with driver against
// target and returns the exit code, stderr and whether a result was
// written.
func sizeRun(t *testing.T, driver string, target []string, sets ...string) (code int, stderr string, wrote bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	args := append([]string{"run", "--workload", "smoke", "--driver", driver, "-q", "-o", out,
		"--messages", "4", "--set", "maxInFlight=2", "--set", "drain=20s"}, target...)
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	code, _, stderr = kbench(t, args...)
	return code, stderr, nonEmpty(out)
}

// A message the brokers or the client would refuse is refused before any
// load starts, naming the field, the limit, where it comes from and what
// to do, with each driver, on the embedded cluster and on a real one when
// KBENCH_BOOTSTRAP names it. A message just within the limit runs.
func TestRunRefusesMessageTooLarge(t *testing.T) {
	targets := map[string][]string{"embedded": {"--cluster", "embedded"}}
	if env := os.Getenv("KBENCH_BOOTSTRAP"); env != "" {
		targets["kafka"] = []string{"--bootstrap", env}
	}
	for _, name := range all.Names() {
		drv, err := all.Get(name)
		if err != nil {
			continue // not built in (confluent needs cgo)
		}
		for tname, target := range targets {
			t.Run(name+"/"+tname, func(t *testing.T) {
				code, stderr, wrote := sizeRun(t, name, target, "messageSize=2000000")
				for _, want := range []string{
					"messageSize: the largest message, 2000000 bytes, makes a record batch of 2000074 bytes, above the brokers' message.max.bytes of ", "set topicConfig.max.message.bytes to at least 2000074, or lower messageSize",
					"the " + name + " driver's producer takes", "set producer.",
				} {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q", want)
					}
				}
				if code != exitUsage || wrote || strings.Contains(stderr, "every produce failed") {
					t.Errorf("exit %d, result written %v; want %d before any load", code, wrote, exitUsage)
				}

				// The client's own bound: the largest value it takes runs,
				// a byte more is refused.
				lim := drv.(drivers.RecordLimiter).RecordLimit(nil)
				v := int(lim.Bytes)
				for !lim.Fits(0, v) {
					v--
				}
				if code, stderr, _ := sizeRun(t, name, target, "messageSize="+strconv.Itoa(v)); code != exitOK {
					t.Errorf("messageSize=%d, at the %s driver's limit: exit %d, want 0\n%s", v, name, code, stderr)
				}
				code, stderr, _ = sizeRun(t, name, target, "messageSize="+strconv.Itoa(v+1))
				if want := "set producer." + lim.Property + " to at least"; code != exitUsage || !strings.Contains(stderr, want) {
					t.Errorf("messageSize=%d: exit %d; want %d and %q", v+1, code, exitUsage, want)
				}
				if tname == "kafka" {
					testBrokerLimit(t, drv, target)
				}
			})
		}
	}
}

// testBrokerLimit runs, with the client's bound raised out of the way,
// the largest message whose batch the brokers' message.max.bytes takes,
// which must be acknowledged, and one a byte larger, which is refused.
// One message in flight keeps each batch to one record.
func testBrokerLimit(t *testing.T, drv drivers.Driver, target []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := drv.NewAdmin(ctx, drivers.AdminConfig{Bootstrap: strings.Split(target[1], ",")})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	cfgs, err := admin.(drivers.ConfigDescriber).BrokerConfigs(ctx, "message.max.bytes")
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(math.MaxInt64)
	for _, cs := range cfgs {
		n, err := strconv.ParseInt(cs["message.max.bytes"], 10, 64)
		if err != nil {
			t.Fatalf("message.max.bytes: %v", err)
		}
		limit = min(limit, n)
	}
	v := int(limit)
	for drivers.BatchSize(0, v) > limit {
		v--
	}
	// Raise the client's record bound past the brokers' limit, unless it
	// is also its batch cap (franz-go's), which may not pass that limit:
	// then exactly to it.
	lim := drv.(drivers.RecordLimiter).RecordLimit(nil)
	raised := 4 * limit
	if bl, ok := drv.(drivers.BatchLimiter); ok && bl.BatchLimit(map[string]string{lim.Property: strconv.FormatInt(raised, 10)}).Bytes > limit {
		raised = limit + lim.Value - lim.Bytes
	}
	raise := "producer." + lim.Property + "=" + strconv.FormatInt(raised, 10)
	out := filepath.Join(t.TempDir(), "r.json")
	args := append([]string{"run", "--workload", "smoke", "--driver", drv.Name(), "-q", "-o", out, "--messages", "4",
		"--set", "maxInFlight=1", "--set", raise, "--set", "messageSize=" + strconv.Itoa(v)}, target...)
	if code, _, stderr := kbench(t, args...); code != exitOK {
		t.Fatalf("messageSize=%d, a batch of exactly message.max.bytes=%d: exit %d\n%s", v, limit, code, stderr)
	}
	if r, err := results.Read(out); err != nil || r.Summary.ProducedMessages != 4 || r.Summary.Errors != 0 {
		t.Errorf("at the brokers' limit: result %v; want 4 messages acknowledged", err)
	}
	code, stderr, _ := sizeRun(t, drv.Name(), target, raise, "messageSize="+strconv.Itoa(v+1))
	if code != exitUsage || !strings.Contains(stderr, "message.max.bytes") || !strings.Contains(stderr, "topicConfig.max.message.bytes") {
		t.Errorf("messageSize=%d, a byte over the brokers' limit: exit %d; want %d naming message.max.bytes", v+1, code, exitUsage)
	}
}

// A topic whose max.message.bytes is below the client's batch cap: left to
// the driver's default, the cap is lowered to fit and every message of a
// closed-model run that fills its batches is acknowledged by real brokers;
// a batch.size given above it is refused before any load, naming the
// property.
func TestRunFitsBatchesToTopic(t *testing.T) {
	eachDriverOnKafka(t, func(t *testing.T, name, bootstrap string) {
		dir := t.TempDir()
		out := filepath.Join(dir, "r.json")
		args := []string{"run", "--workload", "smoke", "--driver", name, "-q", "--bootstrap", bootstrap,
			"--messages", "20000", "--set", "producerRate=0", "--set", "linger.ms=50", "--set", "topicConfig.max.message.bytes=65536"}
		if code, _, stderr := kbench(t, append(args, "-o", out)...); code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		r, err := results.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		if s := r.Summary; s.ProducedMessages != 20000 || s.Errors != 0 {
			t.Errorf("produced %d with %d errors (%v); want 20000 acknowledged", s.ProducedMessages, s.Errors, s.ErrorsByKind)
		}
		if !strings.Contains(strings.Join(r.Notes, "\n"), "producer.batch.size set to") {
			t.Errorf("notes %q: want one saying batch.size was lowered", r.Notes)
		}
		refused := filepath.Join(dir, "refused.json")
		code, _, stderr := kbench(t, append(args, "-o", refused, "--set", "batch.size=1000000")...)
		if code != exitUsage || !strings.Contains(stderr, "producer.batch.size: the "+name+" driver's producer builds record batches of up to") {
			t.Errorf("batch.size=1000000: exit %d; want %d naming producer.batch.size\n%s", code, exitUsage, stderr)
		}
		if nonEmpty(refused) {
			t.Errorf("a refused run wrote %s", refused)
		}
	})
}

// eachDriverOnKafka runs f as a subtest per built-in driver against the
// real cluster KBENCH_BOOTSTRAP names; without one it skips.
func eachDriverOnKafka(t *testing.T, f func(t *testing.T, driver, bootstrap string)) {
	bootstrap := os.Getenv("KBENCH_BOOTSTRAP")
	if bootstrap == "" {
		t.Skip("needs a real cluster: KBENCH_BOOTSTRAP")
	}
	for _, name := range all.Names() {
		if _, err := all.Get(name); err != nil {
			continue // not built in (confluent needs cgo)
		}
		t.Run(name, func(t *testing.T) { f(t, name, bootstrap) })
	}
}

// The bytes the brokers stored are known whatever the driver: confluent's
// admin cannot describe log directories, so another driver's reads them.
// Uncompressed, they are what was produced plus batch and record framing.
func TestRunStoredBytesEveryDriver(t *testing.T) {
	eachDriverOnKafka(t, func(t *testing.T, name, bootstrap string) {
		out := filepath.Join(t.TempDir(), "r.json")
		if code, _, stderr := kbench(t, "run", "--workload", "smoke", "--driver", name, "-q", "-o", out, "--bootstrap", bootstrap,
			"--messages", "2000", "--set", "producerRate=0"); code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		r, err := results.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		s := r.Summary
		if s.StoredBytes == nil {
			t.Fatalf("stored bytes unknown: %q", r.Notes)
		}
		if share := float64(*s.StoredBytes) / float64(s.ProducedBytes); share < 1 || share > 1.5 {
			t.Errorf("stored %d bytes for %d produced (%.3f); want a little more than produced", *s.StoredBytes, s.ProducedBytes, share)
		}
	})
}
