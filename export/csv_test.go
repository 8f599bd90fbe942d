package export

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strconv"
	"testing"

	"github.com/kbench/kbench/results"
)

// readCSV parses out as CSV into maps from header to cell.
func readCSV(t *testing.T, out []byte, header []string) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if !slices.Equal(recs[0], header) {
		t.Fatalf("header %v, want %v", recs[0], header)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// float reads a numeric cell.
func float(t *testing.T, row map[string]string, col string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(row[col], 64)
	if err != nil {
		t.Fatalf("column %s: %v", col, err)
	}
	return v
}

func TestTimelineReadsBack(t *testing.T) {
	run, _ := fixtureRun(t)
	var buf bytes.Buffer
	if err := Timeline(&buf, run); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes(), TimelineHeader)
	if len(rows) != 2*len(run.Intervals) {
		t.Fatalf("%d rows, want a producer and a consumer row for each of %d intervals", len(rows), len(run.Intervals))
	}
	for i, iv := range run.Intervals {
		prod, cons := rows[2*i], rows[2*i+1]
		if prod["role"] != RoleProducer || cons["role"] != RoleConsumer {
			t.Fatalf("interval %d: roles %q, %q", i, prod["role"], cons["role"])
		}
		if float(t, prod, "start_s") != iv.Start || prod["warmup"] != strconv.FormatBool(iv.Warmup) {
			t.Errorf("interval %d: start %s warmup %s", i, prod["start_s"], prod["warmup"])
		}
		checks := []struct {
			row  map[string]string
			col  string
			want float64
		}{
			{prod, "acked_msgs", float64(iv.Acked)},
			{prod, "acked_msgs_per_s", float64(iv.Acked) / (iv.End - iv.Start)},
			{prod, "acked_mib_per_s", float64(iv.AckedBytes) / mib},
			{prod, "errors", float64(iv.Errors)},
			{prod, "publish_p50_ms", iv.PublishP50Ms},
			{prod, "publish_p99_ms", iv.PublishP99Ms},
			{prod, "publish_max_ms", iv.PublishMaxMs},
			{prod, "send_lag_p99_ms", iv.SendLagP99Ms},
			{cons, "consumed_msgs_per_s", float64(iv.Consumed)},
			{cons, "e2e_p99_ms", iv.E2EP99Ms},
		}
		for _, c := range checks {
			if got := float(t, c.row, c.col); got != c.want {
				t.Errorf("interval %d %s %s = %v, want %v", i, c.row["role"], c.col, got, c.want)
			}
		}
		// A role's row leaves the other role's columns empty.
		if prod["consumed_msgs"] != "" || cons["acked_msgs"] != "" {
			t.Errorf("interval %d: producer row consumed %q, consumer row acked %q", i, prod["consumed_msgs"], cons["acked_msgs"])
		}
		if len(iv.Faults) > 0 && prod["faults"] != iv.Faults[0] {
			t.Errorf("interval %d: faults %q, want %q", i, prod["faults"], iv.Faults[0])
		}
	}
}

func TestSummariesReadBack(t *testing.T) {
	run, path := fixtureRun(t)
	other := *run
	other.Name, other.Failover = "other", nil
	var buf bytes.Buffer
	if err := Summaries(&buf, []*results.Run{run, &other}, []string{path, "elsewhere/other.json"}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes(), SummaryHeader)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	row, s := rows[0], run.Summary
	for col, want := range map[string]string{
		"file": "fixture.json", "name": "fixture", "driver": "franz", "acks": "all",
		"partitions_per_topic": "6", "message_size_bytes": "1024", "retries": "7",
		"stored_bytes": "", "faults": "1", "max_no_ack_s": "2.4", "recovery_s": "6.5",
	} {
		if row[col] != want {
			t.Errorf("%s = %q, want %q", col, row[col], want)
		}
	}
	for col, want := range map[string]float64{
		"produced_msgs":      float64(s.ProducedMessages),
		"produce_msgs_per_s": s.ProduceRateMsgs,
		"consume_mib_per_s":  s.ConsumeRateMiB,
		"publish_p99_ms":     s.PublishLatencyMs.P99,
		"publish_p999_ms":    s.PublishLatencyMs.P999,
		"publish_mean_ms":    s.PublishLatencyMs.Mean,
		"e2e_p50_ms":         s.E2ELatencyMs.P50,
		"send_lag_max_ms":    s.SendLagMs.Max,
		"errors":             float64(s.Errors),
	} {
		if got := float(t, row, col); got != want {
			t.Errorf("%s = %v, want %v", col, got, want)
		}
	}
	if rows[1]["file"] != "other.json" || rows[1]["max_no_ack_s"] != "" {
		t.Errorf("second row: file %q, max_no_ack_s %q", rows[1]["file"], rows[1]["max_no_ack_s"])
	}
}
