package export

import (
	"fmt"
	"io"
	"slices"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// HistKind names one of a result's latency histograms; in an interval log
// it is the histogram's tag.
type HistKind string

// The histogram kinds.
const (
	// HistPublish is publish latency: intended send time to
	// acknowledgement.
	HistPublish HistKind = "publish"
	// HistE2E is end-to-end latency: send time to receipt by a consumer.
	HistE2E HistKind = "e2e"
	// HistSendLag is the open model's send lag, kbench's own delay.
	HistSendLag HistKind = "send-lag"
)

// HistKinds lists the kinds in the order HLog writes them.
func HistKinds() []HistKind { return []HistKind{HistPublish, HistE2E, HistSendLag} }

// ParseHistKind returns the kind named s.
func ParseHistKind(s string) (HistKind, error) {
	if k := HistKind(s); slices.Contains(HistKinds(), k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown histogram %q: use publish, e2e or send-lag", s)
}

// HLog writes run's histograms as an HdrHistogram interval log (format
// 1.3, written by hdrhistogram-go's HistogramLogWriter), which
// HistogramLogAnalyzer, HistogramLogProcessor and every HdrHistogram
// library's log reader read.
//
// Values are microseconds, as kbench records them. Timestamps are seconds
// from the log's BaseTime, the run's start (whole seconds, the precision
// the header keeps). Publish and end-to-end latency have one histogram per
// interval after the warm-up (the drain's included), as the summary
// leaves the warm-up out; the result keeps send lag for the measurement
// window as a whole only, so it is one histogram spanning those intervals. With no kinds HLog writes all three,
// each histogram tagged with its kind; with one kind it writes that kind
// untagged, for tools that read untagged histograms only. An empty
// histogram is still written, so intervals keep their places.
func HLog(w io.Writer, run *results.Run, kinds ...HistKind) error {
	tagged := len(kinds) != 1
	if len(kinds) == 0 {
		kinds = HistKinds()
	}
	base := run.Started.Unix() * 1000
	lw := hdrhistogram.NewHistogramLogWriter(w)
	lw.SetBaseTime(base)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return err
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	comments := []string{
		fmt.Sprintf("[kbench result %q, driver %s, started %s]", run.Name, run.Driver.Name, run.Started.UTC().Format("2006-01-02T15:04:05.000Z07:00")),
		"[values in microseconds; histograms: " + strings.Join(names, ", ") + "; warm-up left out]",
	}
	for _, c := range comments {
		if err := lw.OutputComment(c); err != nil {
			return err
		}
	}
	if err := lw.OutputStartTime(base); err != nil {
		return err
	}
	if err := lw.OutputBaseTime(base); err != nil {
		return err
	}
	if err := lw.OutputLegend(); err != nil {
		return err
	}
	// offset turns seconds from the run's start into the log's
	// milliseconds since the epoch.
	offset := func(s float64) int64 { return run.Started.UnixMilli() + int64(s*1000+0.5) }
	emit := func(h *hdrhistogram.Histogram, kind HistKind, from, to float64) error {
		h.SetStartTimeMs(offset(from))
		h.SetEndTimeMs(offset(to))
		if tagged {
			h.SetTag(string(kind))
		}
		return lw.OutputIntervalHistogram(h)
	}
	want := func(k HistKind) bool { return slices.Contains(kinds, k) }
	measStart, measEnd := -1.0, 0.0
	for i, iv := range run.Intervals {
		if iv.Warmup {
			continue
		}
		if measStart < 0 {
			measStart = iv.Start
		}
		measEnd = iv.End
		for _, k := range []HistKind{HistPublish, HistE2E} {
			if !want(k) {
				continue
			}
			enc := iv.PublishHist
			if k == HistE2E {
				enc = iv.E2EHist
			}
			h, err := hist(run, enc, fmt.Sprintf("interval %d's %s histogram", i, k))
			if err != nil {
				return err
			}
			if err := emit(h, k, iv.Start, iv.End); err != nil {
				return err
			}
		}
	}
	if want(HistSendLag) && run.Histograms.SendLag != "" && measStart >= 0 {
		h, err := hist(run, run.Histograms.SendLag, "send-lag histogram")
		if err != nil {
			return err
		}
		if err := emit(h, HistSendLag, measStart, measEnd); err != nil {
			return err
		}
	}
	return nil
}
