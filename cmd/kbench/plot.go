package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/internal/atomicfile"
	"github.com/kbench/kbench/results"
)

const plotExamples = `  # latency by percentile of two runs, one line each
  kbench plot base.json new.json -o spectrum.svg
  # throughput and p99 per second, with fault events marked
  kbench plot failover.json --kind timeline -o timeline.png
  # a sweep: throughput and p99 against the first varied parameter
  kbench plot kbench-results/sweep-smoke-20260301-120000-3fa9c2/sweep.json -o sweep.png
  # the same runs against another parameter
  kbench plot runs/*.json --kind sweep --param messageSize -o by-size.svg
  # p99 against throughput from a rate search
  kbench plot sweep-dir/ --kind latency-throughput -o knee.png
`

// plotKinds are the values --kind takes.
var plotKinds = []string{analysis.KindSpectrum, analysis.KindE2ESpectrum, analysis.KindTimeline, analysis.KindSweep, analysis.KindLatencyThroughput}

func plotCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("plot", "plot RESULT|SWEEP... -o FILE.png|FILE.svg [flags]", plotExamples)
	var output, kind, param, format string
	fs.StringVarP(&output, "output", "o", "", "image to write; its extension, .png or .svg, picks the format; - is stdout (required)")
	fs.StringVar(&format, "format", "", "png or svg (default: from -o's extension; svg on stdout)")
	fs.StringVar(&kind, "kind", "", "chart: "+strings.Join(plotKinds, ", ")+" (default: sweep or latency-throughput for a sweep index, else spectrum)")
	fs.StringVar(&param, "param", "", "sweep chart: the varied parameter on the x axis, e.g. messageSize or linger.ms (default: a sweep index's first --vary key)")
	completeWith(fs, "kind", false, plotKinds...)
	completeWith(fs, "format", false, "png", "svg")
	return fs, func(ctx context.Context) error {
		if fs.NArg() == 0 {
			return usagef("name the result files or sweep indexes to plot")
		}
		if output == "" {
			return usagef("-o is required: the image file to write, ending in .png or .svg")
		}
		switch {
		case format == "png" || format == "svg":
		case format != "":
			return usagef("--format %q: use png or svg", format)
		case atomicfile.IsStdout(output):
			format = "svg"
		default:
			format = strings.TrimPrefix(strings.ToLower(filepath.Ext(output)), ".")
			if format != "png" && format != "svg" {
				return usagef("-o %s: the extension picks the image format; end the name in .png or .svg, or give --format", output)
			}
		}
		if k, p, ok := strings.Cut(kind, ":"); ok { // "sweep:messageSize", as analysis names it
			if param != "" && param != p {
				return usagef("--kind %s and --param %s name two parameters; give it once, with --param", kind, param)
			}
			kind, param = k, p
		}
		if kind != "" && !slices.Contains(plotKinds, kind) {
			return usagef("--kind %q: use one of %s", kind, strings.Join(plotKinds, ", "))
		}
		in, err := load(fs.Args())
		if err != nil {
			return err
		}
		if kind == "" {
			kind = analysis.KindSpectrum
			if in.Index != nil && in.Index.Search != nil {
				kind = analysis.KindLatencyThroughput
			} else if in.Index != nil && in.Index.Param() != "" {
				kind = analysis.KindSweep
			}
		}
		switch kind {
		case analysis.KindSweep:
			if param == "" && in.Index != nil {
				param = in.Index.Param()
			}
			if param == "" {
				return usagef("--kind sweep: name the varied parameter with --param, e.g. --param messageSize")
			}
			for i, r := range in.Runs {
				if _, ok := analysis.Param(r, param); !ok {
					return usagef("--param %s: %s has no such setting; name a workload field or a Kafka property", param, in.Files[i])
				}
			}
			kind += ":" + param
		default:
			if param != "" {
				return usagef("--param is for --kind sweep only")
			}
		}
		var buf bytes.Buffer
		var opts []analysis.Option
		if in.Index != nil && in.Index.Search != nil {
			opts = append(opts, analysis.P99Bound(in.Index.Search.P99MaxMs))
		}
		if err := analysis.WritePlot(&buf, kind, in.Runs, format, opts...); err != nil {
			return fmt.Errorf("plot %s: %w", output, err)
		}
		if err := atomicfile.Write(output, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("plot %s: %w", output, err)
		}
		fmt.Fprintf(os.Stderr, "%s chart of %d run(s) written to %s\n", kind, len(in.Runs), shown(output))
		return nil
	}
}

// load reads the runs paths name (see results.Load); any problem is a
// usage error.
func load(paths []string) (*results.Loaded, error) {
	in, err := results.Load(paths...)
	if err != nil {
		return nil, usageError{err}
	}
	return in, nil
}
