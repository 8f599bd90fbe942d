package export

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/kbench/kbench/results"
)

// OMBWindow is the length, in seconds, of the windows OpenMessaging
// Benchmark samples its time series over.
const OMBWindow = 10.0

// OMBResult is OpenMessaging Benchmark's result document (its TestResult
// class), field for field. Publish and end-to-end latencies are
// milliseconds, publish delay latencies whole microseconds, rates per
// second over each OMBWindow; the quantile maps are keyed by percentile.
type OMBResult struct {
	Workload          string `json:"workload"`
	Driver            string `json:"driver"`
	MessageSize       int64  `json:"messageSize"`
	Topics            int    `json:"topics"`
	Partitions        int    `json:"partitions"`
	ProducersPerTopic int    `json:"producersPerTopic"`
	ConsumersPerTopic int    `json:"consumersPerTopic"`

	PublishRate      []float64 `json:"publishRate"`
	PublishErrorRate []float64 `json:"publishErrorRate"`
	ConsumeRate      []float64 `json:"consumeRate"`
	Backlog          []int64   `json:"backlog"`

	PublishLatencyAvg     []float64 `json:"publishLatencyAvg"`
	PublishLatency50pct   []float64 `json:"publishLatency50pct"`
	PublishLatency75pct   []float64 `json:"publishLatency75pct"`
	PublishLatency95pct   []float64 `json:"publishLatency95pct"`
	PublishLatency99pct   []float64 `json:"publishLatency99pct"`
	PublishLatency999pct  []float64 `json:"publishLatency999pct"`
	PublishLatency9999pct []float64 `json:"publishLatency9999pct"`
	PublishLatencyMax     []float64 `json:"publishLatencyMax"`

	PublishDelayLatencyAvg     []float64 `json:"publishDelayLatencyAvg"`
	PublishDelayLatency50pct   []int64   `json:"publishDelayLatency50pct"`
	PublishDelayLatency75pct   []int64   `json:"publishDelayLatency75pct"`
	PublishDelayLatency95pct   []int64   `json:"publishDelayLatency95pct"`
	PublishDelayLatency99pct   []int64   `json:"publishDelayLatency99pct"`
	PublishDelayLatency999pct  []int64   `json:"publishDelayLatency999pct"`
	PublishDelayLatency9999pct []int64   `json:"publishDelayLatency9999pct"`
	PublishDelayLatencyMax     []int64   `json:"publishDelayLatencyMax"`

	AggregatedPublishLatencyAvg     float64 `json:"aggregatedPublishLatencyAvg"`
	AggregatedPublishLatency50pct   float64 `json:"aggregatedPublishLatency50pct"`
	AggregatedPublishLatency75pct   float64 `json:"aggregatedPublishLatency75pct"`
	AggregatedPublishLatency95pct   float64 `json:"aggregatedPublishLatency95pct"`
	AggregatedPublishLatency99pct   float64 `json:"aggregatedPublishLatency99pct"`
	AggregatedPublishLatency999pct  float64 `json:"aggregatedPublishLatency999pct"`
	AggregatedPublishLatency9999pct float64 `json:"aggregatedPublishLatency9999pct"`
	AggregatedPublishLatencyMax     float64 `json:"aggregatedPublishLatencyMax"`

	AggregatedPublishDelayLatencyAvg     float64 `json:"aggregatedPublishDelayLatencyAvg"`
	AggregatedPublishDelayLatency50pct   int64   `json:"aggregatedPublishDelayLatency50pct"`
	AggregatedPublishDelayLatency75pct   int64   `json:"aggregatedPublishDelayLatency75pct"`
	AggregatedPublishDelayLatency95pct   int64   `json:"aggregatedPublishDelayLatency95pct"`
	AggregatedPublishDelayLatency99pct   int64   `json:"aggregatedPublishDelayLatency99pct"`
	AggregatedPublishDelayLatency999pct  int64   `json:"aggregatedPublishDelayLatency999pct"`
	AggregatedPublishDelayLatency9999pct int64   `json:"aggregatedPublishDelayLatency9999pct"`
	AggregatedPublishDelayLatencyMax     int64   `json:"aggregatedPublishDelayLatencyMax"`

	AggregatedPublishLatencyQuantiles      map[string]float64 `json:"aggregatedPublishLatencyQuantiles"`
	AggregatedPublishDelayLatencyQuantiles map[string]int64   `json:"aggregatedPublishDelayLatencyQuantiles"`

	EndToEndLatencyAvg     []float64 `json:"endToEndLatencyAvg"`
	EndToEndLatency50pct   []float64 `json:"endToEndLatency50pct"`
	EndToEndLatency75pct   []float64 `json:"endToEndLatency75pct"`
	EndToEndLatency95pct   []float64 `json:"endToEndLatency95pct"`
	EndToEndLatency99pct   []float64 `json:"endToEndLatency99pct"`
	EndToEndLatency999pct  []float64 `json:"endToEndLatency999pct"`
	EndToEndLatency9999pct []float64 `json:"endToEndLatency9999pct"`
	EndToEndLatencyMax     []float64 `json:"endToEndLatencyMax"`

	AggregatedEndToEndLatencyQuantiles map[string]float64 `json:"aggregatedEndToEndLatencyQuantiles"`

	AggregatedEndToEndLatencyAvg     float64 `json:"aggregatedEndToEndLatencyAvg"`
	AggregatedEndToEndLatency50pct   float64 `json:"aggregatedEndToEndLatency50pct"`
	AggregatedEndToEndLatency75pct   float64 `json:"aggregatedEndToEndLatency75pct"`
	AggregatedEndToEndLatency95pct   float64 `json:"aggregatedEndToEndLatency95pct"`
	AggregatedEndToEndLatency99pct   float64 `json:"aggregatedEndToEndLatency99pct"`
	AggregatedEndToEndLatency999pct  float64 `json:"aggregatedEndToEndLatency999pct"`
	AggregatedEndToEndLatency9999pct float64 `json:"aggregatedEndToEndLatency9999pct"`
	AggregatedEndToEndLatencyMax     float64 `json:"aggregatedEndToEndLatencyMax"`
}

// OMB writes run as OpenMessaging Benchmark's result JSON (see ToOMB).
func OMB(w io.Writer, run *results.Run) error {
	r, err := ToOMB(run)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ToOMB converts run into OpenMessaging Benchmark's result, so OMB's
// bin/create_charts.py draws it beside OMB's own results.
//
// The time series cover the measurement window, as OMB's do: the warm-up
// and the drain after production are left out, and the intervals are
// grouped into OMBWindow-second windows (the last one may be shorter).
// Rates are a window's counts over its length: acknowledged sends for
// publishRate, failed ones for publishErrorRate. backlog is, at each
// window's end, subscriptionsPerTopic × acknowledged − consumed, counted
// from the run's start (OMB's formula). Latencies come from the intervals'
// histograms merged per window, and the aggregated figures and quantile
// maps (HdrHistogram's percentile iteration, 100 ticks per half distance,
// as OMB's) from the measurement window's histograms, so they are exact.
//
// Approximated: the result keeps send lag (OMB's publish delay) per
// interval as a p99 only, so publishDelayLatency99pct is the largest
// interval p99 of each window, an upper bound of the window's p99, and the
// other per-window delay series are empty; the aggregated delay figures
// are exact. driver is "kbench-" and kbench's driver name, so charts tell
// the tools apart; consumersPerTopic is consumerPerSubscription, as OMB
// sets it.
func ToOMB(run *results.Run) (*OMBResult, error) {
	wl, err := workloadOf(run)
	if err != nil {
		return nil, err
	}
	name := wl.Name
	if name == "" {
		name = run.Name
	}
	r := &OMBResult{
		Workload:          name,
		Driver:            "kbench-" + run.Driver.Name,
		MessageSize:       int64(wl.MessageSize),
		Topics:            wl.Topics,
		Partitions:        wl.PartitionsPerTopic,
		ProducersPerTopic: wl.ProducersPerTopic,
		ConsumersPerTopic: wl.ConsumerPerSubscription,
	}
	if err := r.addWindows(run, wl); err != nil {
		return nil, err
	}
	pub, err := hist(run, run.Histograms.Publish, "publish histogram")
	if err != nil {
		return nil, err
	}
	e2e, err := hist(run, run.Histograms.E2E, "end-to-end histogram")
	if err != nil {
		return nil, err
	}
	lag, err := hist(run, run.Histograms.SendLag, "send-lag histogram")
	if err != nil {
		return nil, err
	}
	p := msFigures(pub)
	r.AggregatedPublishLatencyAvg, r.AggregatedPublishLatency50pct, r.AggregatedPublishLatency75pct,
		r.AggregatedPublishLatency95pct, r.AggregatedPublishLatency99pct, r.AggregatedPublishLatency999pct,
		r.AggregatedPublishLatency9999pct, r.AggregatedPublishLatencyMax = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
	e := msFigures(e2e)
	r.AggregatedEndToEndLatencyAvg, r.AggregatedEndToEndLatency50pct, r.AggregatedEndToEndLatency75pct,
		r.AggregatedEndToEndLatency95pct, r.AggregatedEndToEndLatency99pct, r.AggregatedEndToEndLatency999pct,
		r.AggregatedEndToEndLatency9999pct, r.AggregatedEndToEndLatencyMax = e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7]
	r.AggregatedPublishDelayLatencyAvg = mean(lag)
	d := usFigures(lag)
	r.AggregatedPublishDelayLatency50pct, r.AggregatedPublishDelayLatency75pct, r.AggregatedPublishDelayLatency95pct,
		r.AggregatedPublishDelayLatency99pct, r.AggregatedPublishDelayLatency999pct, r.AggregatedPublishDelayLatency9999pct,
		r.AggregatedPublishDelayLatencyMax = d[0], d[1], d[2], d[3], d[4], d[5], d[6]
	r.AggregatedPublishLatencyQuantiles = map[string]float64{}
	r.AggregatedEndToEndLatencyQuantiles = map[string]float64{}
	r.AggregatedPublishDelayLatencyQuantiles = map[string]int64{}
	for _, b := range quantiles(pub) {
		r.AggregatedPublishLatencyQuantiles[num(b.Quantile)] = ms(b.ValueAt)
	}
	for _, b := range quantiles(e2e) {
		r.AggregatedEndToEndLatencyQuantiles[num(b.Quantile)] = ms(b.ValueAt)
	}
	for _, b := range quantiles(lag) {
		r.AggregatedPublishDelayLatencyQuantiles[num(b.Quantile)] = b.ValueAt
	}
	return r, nil
}

// addWindows fills r's time series from run's intervals.
func (r *OMBResult) addWindows(run *results.Run, wl workload) error {
	r.PublishRate, r.PublishErrorRate, r.ConsumeRate, r.Backlog = []float64{}, []float64{}, []float64{}, []int64{}
	r.PublishLatencyAvg, r.PublishLatency50pct, r.PublishLatency75pct, r.PublishLatency95pct = []float64{}, []float64{}, []float64{}, []float64{}
	r.PublishLatency99pct, r.PublishLatency999pct, r.PublishLatency9999pct, r.PublishLatencyMax = []float64{}, []float64{}, []float64{}, []float64{}
	r.EndToEndLatencyAvg, r.EndToEndLatency50pct, r.EndToEndLatency75pct, r.EndToEndLatency95pct = []float64{}, []float64{}, []float64{}, []float64{}
	r.EndToEndLatency99pct, r.EndToEndLatency999pct, r.EndToEndLatency9999pct, r.EndToEndLatencyMax = []float64{}, []float64{}, []float64{}, []float64{}
	r.PublishDelayLatencyAvg, r.PublishDelayLatency99pct = []float64{}, []int64{}
	r.PublishDelayLatency50pct, r.PublishDelayLatency75pct, r.PublishDelayLatency95pct = []int64{}, []int64{}, []int64{}
	r.PublishDelayLatency999pct, r.PublishDelayLatency9999pct, r.PublishDelayLatencyMax = []int64{}, []int64{}, []int64{}

	// The measurement window ends where production did.
	measEnd := math.Inf(1)
	if run.Summary.DurationS > 0 {
		measEnd = run.MeasureStart.Sub(run.Started).Seconds() + run.Summary.DurationS
	}
	var acked, consumed int64 // since the run's start
	var w omWindow
	flush := func() error {
		if w.end > w.start {
			if err := r.add(run, &w, max(0, int64(wl.SubscriptionsPerTopic)*acked-consumed)); err != nil {
				return err
			}
		}
		w = omWindow{}
		return nil
	}
	for _, iv := range run.Intervals {
		if !iv.Warmup && iv.Start >= measEnd-1e-6 {
			break
		}
		acked += iv.Acked
		consumed += iv.Consumed
		if iv.Warmup {
			continue
		}
		w.add(iv)
		if w.end-w.start >= OMBWindow-1e-6 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// omWindow accumulates the intervals of one OMB window.
type omWindow struct {
	start, end              float64
	acked, errors, consumed int64
	pub, e2e                []string // the intervals' encoded histograms
	lagP99Ms                float64
}

// add adds interval iv to w.
func (w *omWindow) add(iv results.Interval) {
	if len(w.pub) == 0 {
		w.start = iv.Start
	}
	w.end = iv.End
	w.acked += iv.Acked
	w.errors += iv.Errors
	w.consumed += iv.Consumed
	w.lagP99Ms = max(w.lagP99Ms, iv.SendLagP99Ms)
	w.pub = append(w.pub, iv.PublishHist)
	w.e2e = append(w.e2e, iv.E2EHist)
}

// add appends window w of run, with the backlog at its end, to r's
// series.
func (r *OMBResult) add(run *results.Run, w *omWindow, backlog int64) error {
	pub, err := results.MergedHist(w.pub...)
	if err != nil {
		return fmt.Errorf("result %s: the publish histograms from %gs: %w", run.Name, w.start, err)
	}
	e2e, err := results.MergedHist(w.e2e...)
	if err != nil {
		return fmt.Errorf("result %s: the end-to-end histograms from %gs: %w", run.Name, w.start, err)
	}
	span := w.end - w.start
	r.PublishRate = append(r.PublishRate, float64(w.acked)/span)
	r.PublishErrorRate = append(r.PublishErrorRate, float64(w.errors)/span)
	r.ConsumeRate = append(r.ConsumeRate, float64(w.consumed)/span)
	r.Backlog = append(r.Backlog, backlog)
	p := msFigures(pub)
	r.PublishLatencyAvg = append(r.PublishLatencyAvg, p[0])
	r.PublishLatency50pct = append(r.PublishLatency50pct, p[1])
	r.PublishLatency75pct = append(r.PublishLatency75pct, p[2])
	r.PublishLatency95pct = append(r.PublishLatency95pct, p[3])
	r.PublishLatency99pct = append(r.PublishLatency99pct, p[4])
	r.PublishLatency999pct = append(r.PublishLatency999pct, p[5])
	r.PublishLatency9999pct = append(r.PublishLatency9999pct, p[6])
	r.PublishLatencyMax = append(r.PublishLatencyMax, p[7])
	e := msFigures(e2e)
	r.EndToEndLatencyAvg = append(r.EndToEndLatencyAvg, e[0])
	r.EndToEndLatency50pct = append(r.EndToEndLatency50pct, e[1])
	r.EndToEndLatency75pct = append(r.EndToEndLatency75pct, e[2])
	r.EndToEndLatency95pct = append(r.EndToEndLatency95pct, e[3])
	r.EndToEndLatency99pct = append(r.EndToEndLatency99pct, e[4])
	r.EndToEndLatency999pct = append(r.EndToEndLatency999pct, e[5])
	r.EndToEndLatency9999pct = append(r.EndToEndLatency9999pct, e[6])
	r.EndToEndLatencyMax = append(r.EndToEndLatencyMax, e[7])
	r.PublishDelayLatency99pct = append(r.PublishDelayLatency99pct, int64(math.Round(w.lagP99Ms*1000)))
	return nil
}

// ombPercentiles are the percentiles OMB reports, before its maximum.
var ombPercentiles = []float64{50, 75, 95, 99, 99.9, 99.99}

// msFigures are h's mean, ombPercentiles and max in milliseconds.
func msFigures(h *hdrhistogram.Histogram) [8]float64 {
	out := [8]float64{mean(h) / 1000}
	for i, p := range ombPercentiles {
		out[i+1] = ms(h.ValueAtQuantile(p))
	}
	out[7] = ms(h.Max())
	return out
}

// usFigures are h's ombPercentiles and max in microseconds.
func usFigures(h *hdrhistogram.Histogram) [7]int64 {
	var out [7]int64
	for i, p := range ombPercentiles {
		out[i] = h.ValueAtQuantile(p)
	}
	out[6] = h.Max()
	return out
}

// quantiles is h's percentile distribution as OMB iterates it, none for
// an empty histogram.
func quantiles(h *hdrhistogram.Histogram) []hdrhistogram.Bracket {
	if h.TotalCount() == 0 {
		return nil
	}
	return h.CumulativeDistributionWithTicks(100)
}
