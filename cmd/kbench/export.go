package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/export"
	"github.com/kbench/kbench/internal/atomicfile"
)

const exportExamples = `  # the timeline for a spreadsheet: one row per interval and role
  kbench export --format csv run.json -o run.csv
  # one summary row per result, a sweep's points included
  kbench export --format csv-summary base.json new.json kbench-results/sweep-smoke-20260301-120000-3fa9c2/ > runs.csv
  # HdrHistogram interval log for HistogramLogAnalyzer (tags publish, e2e, send-lag)
  kbench export --format hlog run.json -o run.hlog
  # publish latency alone, untagged
  kbench export --format hlog --hist publish run.json -o publish.hlog
  # OpenMessaging Benchmark's result JSON, charted beside OMB's own
  kbench export --format omb run.json -o kbench-franz.json && bin/create_charts.py kbench-franz.json omb-kafka.json
  # Prometheus text format for node_exporter's textfile collector
  kbench export --format prometheus run.json -o /var/lib/node_exporter/textfile/kbench.prom --force
`

func exportCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("export", "export --format FORMAT RESULT... [-o FILE] [flags]", exportExamples)
	var format, output, histKind, runID string
	var summary, force bool
	names := make([]string, 0, len(export.Formats()))
	for _, f := range export.Formats() {
		names = append(names, string(f))
	}
	fs.StringVar(&format, "format", "", "what to write: "+strings.Join(names, ", ")+" (csv, hlog and omb take one result)")
	fs.BoolVar(&summary, "summary", false, "with --format csv: one summary row per result (the same as --format csv-summary)")
	fs.StringVarP(&output, "output", "o", "", "file to write, atomically (default: stdout)")
	fs.BoolVar(&force, "force", false, "overwrite the --output file if it exists")
	fs.StringVar(&histKind, "hist", "", "with --format hlog: write only this histogram, untagged: publish, e2e or send-lag (default: all three, tagged)")
	fs.StringVar(&runID, "run-id", "", "with --format prometheus and one result: the run_id label (default: the result's run id, or its name and start time)")
	completeWith(fs, "format", false, names...)
	completeWith(fs, "hist", false, "publish", "e2e", "send-lag")
	return fs, func(ctx context.Context) error {
		if format == "" {
			return usagef("name the format with --format: %s", strings.Join(names, ", "))
		}
		f, err := export.ParseFormat(format)
		if err != nil {
			return usagef("--format: %v", err)
		}
		if summary {
			if f != export.FormatCSV && f != export.FormatCSVSummary {
				return usagef("--summary goes with --format csv, not %s", f)
			}
			f = export.FormatCSVSummary
		}
		var kind export.HistKind
		if histKind != "" {
			if f != export.FormatHLog {
				return usagef("--hist goes with --format hlog")
			}
			if kind, err = export.ParseHistKind(histKind); err != nil {
				return usagef("--hist: %v", err)
			}
		}
		if runID != "" && f != export.FormatPrometheus {
			return usagef("--run-id goes with --format prometheus")
		}
		if fs.NArg() == 0 {
			return usagef("name the result files to export")
		}
		if atomicfile.IsStdout(output) {
			output = ""
		}
		if output != "" && !force {
			if _, err := os.Stat(output); err == nil {
				return usagef("-o %s exists: give --force to overwrite it", output)
			} else if !errors.Is(err, os.ErrNotExist) {
				return usagef("-o %s: %v", output, err)
			}
		}
		in, err := load(fs.Args())
		if err != nil {
			return err
		}
		if f.OneRun() && len(in.Runs) != 1 {
			return usagef("--format %s takes one result, got %d (%s)", f, len(in.Runs), strings.Join(in.Files, ", "))
		}
		var buf bytes.Buffer
		switch f {
		case export.FormatCSV:
			err = export.Timeline(&buf, in.Runs[0])
		case export.FormatCSVSummary:
			err = export.Summaries(&buf, in.Runs, in.Files)
		case export.FormatHLog:
			var kinds []export.HistKind
			if kind != "" {
				kinds = append(kinds, kind)
			}
			err = export.HLog(&buf, in.Runs[0], kinds...)
		case export.FormatOMB:
			err = export.OMB(&buf, in.Runs[0])
		case export.FormatPrometheus:
			if runID != "" && len(in.Runs) != 1 {
				return usagef("--run-id names one result's run, got %d results", len(in.Runs))
			}
			err = export.Prometheus(&buf, in.Runs, []string{runID})
		}
		if err != nil {
			return usageError{fmt.Errorf("%s: %w", strings.Join(in.Files, ", "), err)}
		}
		if output == "" {
			_, err := os.Stdout.Write(buf.Bytes())
			return err
		}
		if err := atomicfile.Write(output, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("export %s: %w", output, err)
		}
		fmt.Fprintf(os.Stderr, "%s export of %d run(s) written to %s\n", f, len(in.Runs), output)
		return nil
	}
}
