package analysis

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"

	"github.com/kbench/kbench/results"
)

// Report writes a report of runs in format "html" or "markdown".
//
// HTML is one self-contained file: the summary table, the plots as inline
// SVG (latency spectra, the timeline, and p99 against throughput when the
// runs swept the target rate), failover summaries, notes, and the settings
// and host/hardware of every run side by side with differing values
// highlighted. Markdown, for a pull request, has the same tables without
// images and lists only the settings that differ.
func Report(w io.Writer, runs []*results.Run, format string) error {
	if len(runs) == 0 {
		return fmt.Errorf("report: no runs")
	}
	d := newReportData(runs)
	switch format {
	case "html":
		d.plots(runs)
		return htmlReport.Execute(w, d)
	case "markdown", "md":
		return d.markdown(w)
	}
	return fmt.Errorf("unknown report format %q; use html or markdown", format)
}

type reportData struct {
	Labels []string
	// The table headers, shared by both formats.
	SummaryHeader, FailoverHeader []string
	Summary                       [][]string
	Failovers                     [][]string
	Settings                      []compared
	Hosts                         []compared
	Notes                         []string
	Plots                         []reportPlot
}

type reportPlot struct {
	Title string
	SVG   template.HTML
}

// compared is one setting across the runs; Differs when not every run has
// the same value.
type compared struct {
	Name    string
	Values  []string
	Differs bool
}

var summaryHeader = []string{"run", "msgs/s", "MiB/s", "publish p50", "p99", "p99.9", "max", "e2e p50", "p99", "p99.9", "max", "errors", "late", "lost/dup/reord"}

var failoverHeader = []string{"run", "fault", "no acks (s)", "worst partition (s)", "back to 90% (s)", "msgs/s before / during / after", "p99 before / window (ms)", "window (s)", "errors", "retries"}

func newReportData(runs []*results.Run) *reportData {
	labels := runLabels(runs)
	d := &reportData{Labels: labels, SummaryHeader: summaryHeader, FailoverHeader: failoverHeader}
	for i, r := range runs {
		s := r.Summary
		row := []string{labels[i], fmt.Sprintf("%.0f", s.ProduceRateMsgs), fmt.Sprintf("%.2f", s.ProduceRateMiB)}
		row = append(row, latencyCells(s.PublishLatencyMs)...)
		row = append(row, latencyCells(s.E2ELatencyMs)...)
		row = append(row, fmt.Sprint(s.Errors), fmt.Sprint(s.LateSends), verifyCell(r))
		d.Summary = append(d.Summary, row)
		for _, f := range r.Failover {
			recovery := fmt.Sprintf("%.1f", f.RecoveryS)
			switch {
			case f.RecoveryS < 0 && f.Recovery != "":
				recovery = f.Recovery
			case f.RecoveryS < 0:
				recovery = "never"
			}
			window := fmt.Sprintf("%.1f-%.1f", f.WindowStart, f.WindowEnd)
			if f.WindowEnd == 0 {
				window = "none"
			}
			worst := "-"
			if f.WorstPartition != "" {
				worst = fmt.Sprintf("%.2f (%s)", f.WorstPartitionNoAckS, f.WorstPartition)
			}
			d.Failovers = append(d.Failovers, []string{labels[i], faultName(f.Fault), fmt.Sprintf("%.2f", f.MaxNoAckS), worst, recovery,
				fmt.Sprintf("%.0f / %.0f / %.0f", f.RateBefore, f.RateDuring, f.RateAfter),
				fmt.Sprintf("%s / %s", ms(f.LatencyBeforeMs.P99), ms(f.LatencyWindowMs.P99)),
				window, orDash(countsByKind(f.ErrorsByKind)), retriesCell(f.Retries)})
		}
		if !r.Complete {
			d.Notes = append(d.Notes, fmt.Sprintf("%s: INCOMPLETE: %s", labels[i], orDash(r.Incomplete)))
		}
		notes := r.Notes
		if r.Cluster.Kind == results.KindEmbedded && !mentions(notes, "replication") {
			notes = append(notes, results.EmbeddedCaveat)
		}
		for _, n := range notes {
			d.Notes = append(d.Notes, labels[i]+": "+n)
		}
	}
	d.Settings = compare(runs, settings)
	d.Hosts = compare(runs, hostSettings)
	return d
}

func latencyCells(l results.Latency) []string {
	if l.Count == 0 {
		return []string{"-", "-", "-", "-"}
	}
	return []string{ms(l.P50), ms(l.P99), ms(l.P999), ms(l.Max)}
}

func mentions(notes []string, word string) bool {
	for _, n := range notes {
		if strings.Contains(strings.ToLower(n), word) {
			return true
		}
	}
	return false
}

// compare lines up the settings of every run by name, in first-seen order.
func compare(runs []*results.Run, of func(*results.Run) []setting) []compared {
	var out []compared
	index := map[string]int{}
	for i, r := range runs {
		for _, s := range of(r) {
			j, ok := index[s.name()]
			if !ok {
				j = len(out)
				index[s.name()] = j
				out = append(out, compared{Name: s.name(), Values: make([]string, len(runs))})
			}
			out[j].Values[i] = s.value
		}
	}
	for j := range out {
		out[j].Differs = !allEqual(out[j].Values)
	}
	return out
}

// plots renders the report's charts; a chart the runs have no data for is
// left out with a note rather than failing the report.
func (d *reportData) plots(runs []*results.Run) {
	want := []struct{ kind, title string }{
		{KindSpectrum, "Publish latency by percentile"},
		{KindE2ESpectrum, "End-to-end latency by percentile"},
		{KindTimeline, "Throughput and publish p99 over time"},
	}
	var rates []float64
	for _, r := range runs {
		rates = append(rates, r.Summary.TargetRate)
	}
	if len(sortedFloats(rates)) >= 3 {
		want = append(want, struct{ kind, title string }{KindLatencyThroughput, "Publish p99 against throughput"})
	}
	for _, p := range want {
		var buf bytes.Buffer
		if err := WritePlot(&buf, p.kind, runs, "svg"); err != nil {
			d.Notes = append(d.Notes, fmt.Sprintf("plot %q left out: %v", p.title, err))
			continue
		}
		d.Plots = append(d.Plots, reportPlot{Title: p.title, SVG: template.HTML(svgProlog.ReplaceAllString(buf.String(), ""))})
	}
}

// svgProlog matches the XML declaration and comment an SVG file starts
// with, which do not belong inside HTML.
var svgProlog = regexp.MustCompile(`^<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>kbench report: {{range $i, $l := .Labels}}{{if $i}}, {{end}}{{$l}}{{end}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.diff td { background: #fff3c4; }
tr.diff td:first-child { font-weight: bold; }
.notes li { color: #a33; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>kbench report</h1>
{{if .Notes}}<h2>Notes</h2>
<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Summary</h2>
<p>Latencies in milliseconds, over the measurement window (warm-up excluded).</p>
<table>
<tr>{{range .SummaryHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .Summary}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Plots}}<h2>{{.Title}}</h2>
<figure>{{.SVG}}</figure>
{{end}}{{if .Failovers}}<h2>Failover</h2>
<table>
<tr>{{range .FailoverHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .Failovers}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{end}}
<h2>Settings</h2>
<p>Rows in yellow differ between runs.</p>
<table>
<tr><th>setting</th>{{range .Labels}}<th>{{.}}</th>{{end}}</tr>
{{range .Settings}}<tr{{if .Differs}} class="diff"{{end}}><td>{{.Name}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<h2>Host and hardware</h2>
<table>
<tr><th></th>{{range .Labels}}<th>{{.}}</th>{{end}}</tr>
{{range .Hosts}}<tr{{if .Differs}} class="diff"{{end}}><td>{{.Name}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
</body>
</html>
`))

func (d *reportData) markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("## kbench results\n\n")
	mdTable(&b, summaryHeader, d.Summary)
	b.WriteString("\nLatencies in ms over the measurement window.\n")
	if len(d.Failovers) > 0 {
		b.WriteString("\n### Failover\n\n")
		mdTable(&b, failoverHeader, d.Failovers)
	}
	for _, sec := range []struct {
		title string
		rows  []compared
	}{{"Settings that differ", d.Settings}, {"Host and hardware that differ", d.Hosts}} {
		var rows [][]string
		for _, c := range sec.rows {
			if c.Differs {
				rows = append(rows, append([]string{c.Name}, c.Values...))
			}
		}
		if len(rows) > 0 && len(d.Labels) > 1 {
			fmt.Fprintf(&b, "\n### %s\n\n", sec.title)
			mdTable(&b, append([]string{"setting"}, d.Labels...), rows)
		}
	}
	if len(d.Notes) > 0 {
		b.WriteString("\n### Notes\n\n")
		for _, n := range d.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdTable(b *strings.Builder, header []string, rows [][]string) {
	cell := func(s string) string {
		if s == "" {
			s = "-"
		}
		return strings.ReplaceAll(s, "|", `\|`)
	}
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + cell(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		line(r)
	}
}
