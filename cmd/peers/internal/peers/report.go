package peers

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kbench/kbench/results"
)

// Phases of the benchmark, in the order they run.
const (
	PhaseUnthrottled = "unthrottled" // produce as fast as each tool can
	PhaseRate        = "rate"        // produce at one fixed rate every tool holds
	PhaseConsume     = "consume"     // read what was produced
)

// Peer names the Apache Kafka tool in samples and rows; kbench's are
// "kbench-" followed by the driver's name.
const Peer = "perf-test"

// Sample is one run of one tool.
type Sample struct {
	Phase  string `json:"phase"`
	Tool   string `json:"tool"`
	Repeat int    `json:"repeat"`
	// Records the tool produced or consumed, as it counted them.
	Records       int64   `json:"records"`
	RecordsPerSec float64 `json:"records_per_s"`
	MiBPerSec     float64 `json:"mib_per_s"`
	// Latency is the publish latency the tool reported; none when
	// consuming.
	Latency *Latency `json:"publish_latency_ms,omitempty"`
	// CPUSeconds is the user plus system time of the tool's process alone.
	CPUSeconds float64 `json:"cpu_s"`
	// Output is the file holding what the tool printed (and, for kbench,
	// its result beside it).
	Output string `json:"output"`
}

// CPUPerMillion is the client CPU seconds per million records:
// CPUSeconds / Records × 10^6.
func (s Sample) CPUPerMillion() float64 {
	if s.Records == 0 {
		return 0
	}
	return s.CPUSeconds / float64(s.Records) * 1e6
}

// Latency holds publish latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
}

// Stat is a median with the spread (lowest and highest) of the repeats.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// statOf summarizes vs: the median is the middle value, or the mean of the
// two middle values of an even count.
func statOf(vs []float64) Stat {
	if len(vs) == 0 {
		return Stat{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Stat{Median: med, Min: s[0], Max: s[n-1]}
}

// Row is one tool in one phase, over its repeats.
type Row struct {
	Phase         string `json:"phase"`
	Tool          string `json:"tool"`
	Runs          int    `json:"runs"`
	RecordsPerSec Stat   `json:"records_per_s"`
	MiBPerSec     Stat   `json:"mib_per_s"`
	// Latency percentiles in ms; absent when consuming.
	P50  *Stat `json:"publish_p50_ms,omitempty"`
	P99  *Stat `json:"publish_p99_ms,omitempty"`
	P999 *Stat `json:"publish_p99.9_ms,omitempty"`
	// CPUPerMillion is client CPU seconds per million records.
	CPUPerMillion Stat `json:"cpu_s_per_million"`
	// Throughput and CPU are this tool's ratios to the peer (absent for
	// the peer itself): each repeat's kbench figure over the peer's
	// figure of the same repeat, which ran just before it.
	Throughput *Stat `json:"throughput_ratio,omitempty"`
	CPU        *Stat `json:"cpu_ratio,omitempty"`
}

// Report is the outcome of the peers benchmark.
type Report struct {
	Started  time.Time    `json:"started"`
	Kafka    string       `json:"kafka_version"`
	Host     results.Host `json:"host"`
	Settings Settings     `json:"settings"`
	// Rate is the fixed rate of the rate phase, records/s.
	Rate    float64  `json:"rate"`
	Method  []string `json:"method"`
	Rows    []Row    `json:"rows"`
	Samples []Sample `json:"samples"`
}

// summarize builds a row per phase and tool from the samples, in the order
// they first appear, with each kbench tool's paired ratios to the peer.
func summarize(samples []Sample) []Row {
	type key struct{ phase, tool string }
	var order []key
	groups := map[key][]Sample{}
	for _, s := range samples {
		k := key{s.Phase, s.Tool}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], s)
	}
	var rows []Row
	for _, k := range order {
		g := groups[k]
		row := Row{Phase: k.phase, Tool: k.tool, Runs: len(g),
			RecordsPerSec: statOf(pick(g, func(s Sample) float64 { return s.RecordsPerSec })),
			MiBPerSec:     statOf(pick(g, func(s Sample) float64 { return s.MiBPerSec })),
			CPUPerMillion: statOf(pick(g, Sample.CPUPerMillion)),
		}
		if g[0].Latency != nil {
			p50 := statOf(pick(g, func(s Sample) float64 { return s.Latency.P50 }))
			p99 := statOf(pick(g, func(s Sample) float64 { return s.Latency.P99 }))
			p999 := statOf(pick(g, func(s Sample) float64 { return s.Latency.P999 }))
			row.P50, row.P99, row.P999 = &p50, &p99, &p999
		}
		if peer, ok := groups[key{k.phase, Peer}]; ok && k.tool != Peer {
			tput, cpu := pairedRatios(g, peer)
			if len(tput) > 0 {
				t, c := statOf(tput), statOf(cpu)
				row.Throughput, row.CPU = &t, &c
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// pairedRatios divides each of a tool's repeats by the peer's repeat of the
// same number: records/s (higher is better for kbench) and CPU per million
// records (lower is better). Repeats either lacks are left out.
func pairedRatios(tool, peer []Sample) (throughput, cpu []float64) {
	byRepeat := map[int]Sample{}
	for _, p := range peer {
		byRepeat[p.Repeat] = p
	}
	for _, s := range tool {
		p, ok := byRepeat[s.Repeat]
		if !ok || p.RecordsPerSec == 0 || p.CPUPerMillion() == 0 {
			continue
		}
		throughput = append(throughput, s.RecordsPerSec/p.RecordsPerSec)
		cpu = append(cpu, s.CPUPerMillion()/p.CPUPerMillion())
	}
	return throughput, cpu
}

func pick(ss []Sample, f func(Sample) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}

// WriteTable writes the report's rows as a text table: each figure is the
// median with the lowest and highest repeat in brackets.
func WriteTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tTOOL\tRUNS\tRECORDS/S\tMIB/S\tP50 MS\tP99 MS\tP99.9 MS\tCPU S/M REC\tX PEER REC/S\tX PEER CPU")
	for _, r := range rep.Rows {
		cells := []string{r.Phase, r.Tool, fmt.Sprint(r.Runs), stat(r.RecordsPerSec, "%.0f"), stat(r.MiBPerSec, "%.1f"),
			statPtr(r.P50, "%.1f"), statPtr(r.P99, "%.1f"), statPtr(r.P999, "%.1f"), stat(r.CPUPerMillion, "%.2f"),
			statPtr(r.Throughput, "%.2f"), statPtr(r.CPU, "%.2f")}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if rep.Rate > 0 {
		fmt.Fprintf(w, "\nrate phase: %.0f records/s\n", rep.Rate)
	}
	for _, m := range rep.Method {
		fmt.Fprintf(w, "- %s\n", m)
	}
	return nil
}

func stat(s Stat, format string) string {
	return fmt.Sprintf(format+" ["+format+"–"+format+"]", s.Median, s.Min, s.Max)
}

func statPtr(s *Stat, format string) string {
	if s == nil {
		return "-"
	}
	return stat(*s, format)
}
