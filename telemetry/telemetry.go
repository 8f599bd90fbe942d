// Package telemetry reads what Kafka brokers spend while a run goes on:
// a Prometheus endpoint's text (the JMX exporter's Kafka metrics,
// node_exporter's), read into kbench's figures through one table
// (table.go); a process's CPU, memory and I/O from /proc; a directory's
// size. Series turns the cumulative readings taken once per interval into
// the result's per-broker timeline, and Summarize sums that up. Nothing
// here is on the per-message path: a sampler calls it once per interval.
package telemetry

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kbench/kbench/results"
)

// Reading is one broker's figures at one moment: counters as cumulative
// totals, gauges as they stand.
type Reading struct {
	Broker int32
	// Host is the broker's machine, for scraped readings.
	Host string
	At   time.Time
	// Counters holds each counter's series (keyed by their labels),
	// scaled (see table) but not yet turned into rates.
	Counters map[results.Metric]map[string]float64
	Gauges   map[results.Metric]float64
	// Err says what could not be read; the figures read are still here.
	Err error
}

// NewReading returns an empty reading of broker id taken at.
func NewReading(id int32, at time.Time) Reading {
	return Reading{Broker: id, At: at, Counters: map[results.Metric]map[string]float64{}, Gauges: map[results.Metric]float64{}}
}

// SetCounter sets counter m's one series to v.
func (r Reading) SetCounter(m results.Metric, v float64) {
	r.Counters[m] = map[string]float64{"": v}
}

// Parse reads a Prometheus text exposition from in into r, through
// table. Metrics table does not name are ignored.
func (r Reading) Parse(in io.Reader) error {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(in)
	if err != nil {
		return fmt.Errorf("parsing the metrics: %w", err)
	}
	samples, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, mapsValues(fams)...)
	if err != nil {
		return fmt.Errorf("reading the metrics: %w", err)
	}
	// winner is the table row each figure was taken from: the first
	// present wins, and only its series add up.
	winner := map[results.Metric]int{}
	for _, s := range samples {
		name := string(s.Metric[model.MetricNameLabel])
		v := float64(s.Value)
		if math.IsNaN(v) {
			continue
		}
		for i, m := range table {
			if m.name != name || !labelsMatch(s.Metric, m.labels) {
				continue
			}
			if w, ok := winner[m.metric]; ok && w < i {
				continue
			} else if ok && w > i {
				delete(r.Counters, m.metric)
				delete(r.Gauges, m.metric)
			}
			winner[m.metric] = i
			switch {
			case m.kind == counter:
				if r.Counters[m.metric] == nil {
					r.Counters[m.metric] = map[string]float64{}
				}
				r.Counters[m.metric][s.Metric.String()] = v * m.scale
			case m.agg == count:
				r.Gauges[m.metric]++
			case m.agg == most:
				r.Gauges[m.metric] = math.Max(r.Gauges[m.metric], v*m.scale)
			default:
				r.Gauges[m.metric] += v * m.scale
			}
		}
	}
	return nil
}

func mapsValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// labelsMatch reports whether m carries want's labels ("!v": not v).
func labelsMatch(m model.Metric, want map[string]string) bool {
	for k, v := range want {
		got := string(m[model.LabelName(k)])
		if not, ok := strings.CutPrefix(v, "!"); ok {
			if got == not {
				return false
			}
		} else if got != v {
			return false
		}
	}
	return true
}

// aggOf is how a counter's series combine, from table.
func aggOf(m results.Metric) agg {
	for _, row := range table {
		if row.metric == m && row.kind == counter {
			return row.agg
		}
	}
	return sum
}

// Source reads every broker's figures. ReadMetrics is called from one
// goroutine, once per interval, and returns within ctx, with a Reading
// per broker (its Err set when something could not be read).
type Source interface {
	ReadMetrics(ctx context.Context) []Reading
}

// Series turns readings taken at interval boundaries into the result's
// per-broker intervals: a counter's figure is its growth over the time
// between its broker's two readings, per second; a gauge's, the value at
// the interval's end. A counter that went down (the broker restarted)
// has no figure for that interval. Not safe for concurrent use.
type Series struct {
	last map[int32]Reading
	ivs  []results.BrokerInterval
}

// NewSeries returns an empty Series.
func NewSeries() *Series { return &Series{last: map[int32]Reading{}} }

// Add records the readings taken at the end of the interval [start, end)
// (seconds from the run's start); the first readings of a broker only
// set its baseline, when start is negative (taken before the run).
func (s *Series) Add(start, end float64, warmup bool, rs []Reading) {
	for _, r := range rs {
		prev, seen := s.last[r.Broker]
		s.last[r.Broker] = r
		if start < 0 {
			continue
		}
		iv := results.BrokerInterval{Broker: r.Broker, Host: r.Host, Start: start, End: end, Warmup: warmup, Values: map[results.Metric]float64{}}
		if r.Err != nil {
			iv.Error = r.Err.Error()
		}
		if dt := r.At.Sub(prev.At).Seconds(); seen && dt > 0 {
			for m, series := range r.Counters {
				rate, ok := counterRate(prev.Counters[m], series, dt, aggOf(m))
				if ok {
					iv.Values[m] = rate
				}
			}
		}
		for m, v := range r.Gauges {
			if _, ok := iv.Values[m]; !ok { // a counter's figure wins
				iv.Values[m] = v
			}
		}
		if len(iv.Values) == 0 {
			iv.Values = nil
		}
		s.ivs = append(s.ivs, iv)
	}
}

// counterRate is the growth per second of the series now over the same
// series before, combined by a; false when no series can tell.
func counterRate(before, now map[string]float64, dt float64, a agg) (float64, bool) {
	out, ok := 0.0, false
	for k, v := range now {
		b, seen := before[k]
		if !seen || v < b {
			continue // new, or reset by a restart
		}
		rate := (v - b) / dt
		if a == most {
			out = math.Max(out, rate)
		} else {
			out += rate
		}
		ok = true
	}
	return out, ok
}

// Intervals returns what Add recorded.
func (s *Series) Intervals() []results.BrokerInterval { return s.ivs }

// IsRate reports whether m is a rate, whose Stat has a Total.
func IsRate(m results.Metric) bool {
	n := string(m)
	return strings.HasSuffix(n, "_per_s") || strings.HasSuffix(n, "_bps") || m == results.CPUCores
}

// Summarize returns each broker's Stats over its intervals that are not
// warm-up and start before until (seconds from the run's start; the
// drain after production is left out), brokers in the order first seen.
func Summarize(ivs []results.BrokerInterval, until float64) []results.BrokerSummary {
	var order []int32
	byBroker := map[int32]*results.BrokerSummary{}
	n := map[int32]map[results.Metric]int{} // values in each Stat's running sum
	for _, iv := range ivs {
		if iv.Warmup || iv.Start >= until {
			continue
		}
		bs := byBroker[iv.Broker]
		if bs == nil {
			bs = &results.BrokerSummary{Broker: iv.Broker, Host: iv.Host, Stats: map[results.Metric]results.Stat{}}
			byBroker[iv.Broker], n[iv.Broker] = bs, map[results.Metric]int{}
			order = append(order, iv.Broker)
		}
		if len(iv.Values) > 0 {
			bs.Intervals++
		}
		for m, v := range iv.Values {
			st, ok := bs.Stats[m]
			if !ok {
				st = results.Stat{Min: v, Max: v}
			}
			st.Mean += v // a sum until the end
			st.Min, st.Max = math.Min(st.Min, v), math.Max(st.Max, v)
			if IsRate(m) {
				st.Total += v * (iv.End - iv.Start)
			}
			bs.Stats[m] = st
			n[iv.Broker][m]++
		}
	}
	out := make([]results.BrokerSummary, 0, len(order))
	for _, id := range order {
		bs := byBroker[id]
		for m, st := range bs.Stats {
			st.Mean /= float64(n[id][m])
			bs.Stats[m] = st
		}
		out = append(out, *bs)
	}
	return out
}

// SummarizeValues returns the Stat of vs, each the figure of an interval
// of the given length (nil lengths: no Total).
func SummarizeValues(vs, lengths []float64) *results.Stat {
	if len(vs) == 0 {
		return nil
	}
	st := results.Stat{Min: vs[0], Max: vs[0]}
	for i, v := range vs {
		st.Mean += v
		st.Min, st.Max = math.Min(st.Min, v), math.Max(st.Max, v)
		if lengths != nil {
			st.Total += v * lengths[i]
		}
	}
	st.Mean /= float64(len(vs))
	return &st
}
