package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/internal/atomicfile"
)

const reportExamples = `  # one self-contained HTML page: summary, plots, settings side by side
  kbench report base.json new.json -o report.html
  # every point of a sweep
  kbench report kbench-results/sweep-smoke-20260301-120000-3fa9c2/ -o sweep.html
  # markdown tables for a pull request, to stdout
  kbench report base.json new.json
`

func reportCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("report", "report RESULT|SWEEP... [-o FILE] [flags]", reportExamples)
	var output, format string
	fs.StringVarP(&output, "output", "o", "", "report file (default: markdown to stdout)")
	fs.StringVar(&format, "format", "", "html or markdown (default: markdown for a .md file or stdout, else html)")
	completeWith(fs, "format", false, "html", "markdown")
	return fs, func(ctx context.Context) error {
		if fs.NArg() == 0 {
			return usagef("name the result files or sweep indexes to report on")
		}
		if atomicfile.IsStdout(output) {
			output = ""
		}
		switch format {
		case "html", "markdown":
		case "md":
			format = "markdown"
		case "":
			format = "html"
			if ext := strings.ToLower(filepath.Ext(output)); output == "" || ext == ".md" || ext == ".markdown" {
				format = "markdown"
			}
		default:
			return usagef("--format %q: use html or markdown", format)
		}
		in, err := load(fs.Args())
		if err != nil {
			return err
		}
		if output == "" {
			return analysis.Report(os.Stdout, in.Runs, format)
		}
		var buf bytes.Buffer
		if err := analysis.Report(&buf, in.Runs, format); err != nil {
			return fmt.Errorf("report %s: %w", output, err)
		}
		if err := atomicfile.Write(output, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("report %s: %w", output, err)
		}
		fmt.Fprintf(os.Stderr, "%s report of %d run(s) written to %s\n", format, len(in.Runs), output)
		return nil
	}
}
