// Package export writes kbench results in the formats other tools read:
// CSV for spreadsheets (Timeline, Summaries), HdrHistogram interval logs
// (HLog), OpenMessaging Benchmark's result JSON (OMB) and the Prometheus
// text exposition format (Prometheus). It reads results only; the engine
// never imports it. Each exporter writes to an io.Writer and changes
// nothing in the runs it is given.
package export

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// Format names an export format.
type Format string

// The formats.
const (
	// FormatCSV is the timeline (Timeline): one row per interval and role.
	FormatCSV Format = "csv"
	// FormatCSVSummary is one row of headline figures per result
	// (Summaries).
	FormatCSVSummary Format = "csv-summary"
	// FormatHLog is an HdrHistogram interval log (HLog).
	FormatHLog Format = "hlog"
	// FormatOMB is OpenMessaging Benchmark's result JSON (OMB).
	FormatOMB Format = "omb"
	// FormatPrometheus is the Prometheus text exposition format
	// (Prometheus).
	FormatPrometheus Format = "prometheus"
)

// Formats lists every format, in the order help shows them.
func Formats() []Format {
	return []Format{FormatCSV, FormatCSVSummary, FormatHLog, FormatOMB, FormatPrometheus}
}

// ParseFormat returns the format named s, or an error listing the formats.
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(Formats(), f) {
		return f, nil
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("unknown format %q: use %s", s, strings.Join(names, ", "))
}

// OneRun reports whether format f describes one result (the timeline,
// an interval log, an OMB result) rather than any number of them.
func (f Format) OneRun() bool { return f == FormatCSV || f == FormatHLog || f == FormatOMB }

// workload holds the fields of a result's resolved workload the exports
// use, under OpenMessaging Benchmark's names, which kbench's workload
// shares.
type workload struct {
	Name                    string  `json:"name"`
	Topics                  int     `json:"topics"`
	PartitionsPerTopic      int     `json:"partitionsPerTopic"`
	MessageSize             int     `json:"messageSize"`
	ProducersPerTopic       int     `json:"producersPerTopic"`
	SubscriptionsPerTopic   int     `json:"subscriptionsPerTopic"`
	ConsumerPerSubscription int     `json:"consumerPerSubscription"`
	ProducerRate            float64 `json:"producerRate"`
}

// workloadOf decodes run's workload; a result without one gives zeros.
func workloadOf(run *results.Run) (workload, error) {
	var w workload
	if len(run.Workload) == 0 || string(run.Workload) == "null" {
		return w, nil
	}
	if err := json.Unmarshal(run.Workload, &w); err != nil {
		return w, fmt.Errorf("result %s: workload: %w", run.Name, err)
	}
	return w, nil
}

// hist decodes one of run's encoded histograms; what names it in errors.
func hist(run *results.Run, enc, what string) (*hdrhistogram.Histogram, error) {
	h, err := results.DecodeHist(enc)
	if err != nil {
		return nil, fmt.Errorf("result %s: %s: %w", run.Name, what, err)
	}
	return h, nil
}

// ms converts microseconds to milliseconds.
func ms(us int64) float64 { return float64(us) / 1000 }

// mean is h's mean, 0 for an empty histogram.
func mean(h *hdrhistogram.Histogram) float64 {
	if h.TotalCount() == 0 {
		return 0
	}
	return h.Mean()
}

// mib is 2^20 bytes, the unit of kbench's byte rates.
const mib = 1 << 20
