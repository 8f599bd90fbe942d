package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
)

const plotExamples = `  # latency by percentile of two runs, one line each
  kbench plot base.json new.json -o spectrum.svg
  # throughput and p99 per second, with fault events marked
  kbench plot failover.json --kind timeline -o timeline.png
  # a sweep: throughput and p99 against the first varied parameter
  kbench plot kbench-results/sweep-smoke-20260301-120000/sweep.json -o sweep.png
  # the same runs against another parameter
  kbench plot runs/*.json --kind sweep --param messageSize -o by-size.svg
  # p99 against throughput from a rate search
  kbench plot sweep-dir/ --kind latency-throughput -o knee.png
`

// plotKinds are the values --kind takes.
var plotKinds = []string{analysis.KindSpectrum, analysis.KindE2ESpectrum, analysis.KindTimeline, analysis.KindSweep, analysis.KindLatencyThroughput}

func plotCmd(ctx context.Context, args []string) error {
	fs := newFlags("plot", "plot RESULT|SWEEP... -o FILE.png|FILE.svg [flags]", plotExamples)
	var output, kind, param string
	fs.StringVarP(&output, "output", "o", "", "image to write; its extension, .png or .svg, picks the format (required)")
	fs.StringVar(&kind, "kind", "", "chart: "+strings.Join(plotKinds, ", ")+" (default: sweep or latency-throughput for a sweep index, else spectrum)")
	fs.StringVar(&param, "param", "", "sweep chart: the varied parameter on the x axis, e.g. messageSize or linger.ms (default: a sweep index's first --vary key)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name the result files or sweep indexes to plot")
	}
	if output == "" {
		return usagef("-o is required: the image file to write, ending in .png or .svg")
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(output)), ".")
	if format != "png" && format != "svg" {
		return usagef("-o %s: the extension picks the image format; end the name in .png or .svg", output)
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
	in, err := readInputs(fs.Args())
	if err != nil {
		return err
	}
	if kind == "" {
		kind = analysis.KindSpectrum
		if in.index != nil && in.index.Search != nil {
			kind = analysis.KindLatencyThroughput
		} else if in.index != nil && in.index.Param() != "" {
			kind = analysis.KindSweep
		}
	}
	switch kind {
	case analysis.KindSweep:
		if param == "" && in.index != nil {
			param = in.index.Param()
		}
		if param == "" {
			return usagef("--kind sweep: name the varied parameter with --param, e.g. --param messageSize")
		}
		for i, r := range in.runs {
			if _, ok := analysis.Param(r, param); !ok {
				return usagef("--param %s: %s has no such setting; name a workload field or a Kafka property", param, in.files[i])
			}
		}
		kind += ":" + param
	default:
		if param != "" {
			return usagef("--param is for --kind sweep only")
		}
	}
	var buf bytes.Buffer
	if err := analysis.WritePlot(&buf, kind, in.runs, format); err != nil {
		return fmt.Errorf("plot %s: %w", output, err)
	}
	if err := results.WriteFileAtomic(output, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("plot %s: %w", output, err)
	}
	fmt.Fprintf(os.Stderr, "%s chart of %d run(s) written to %s\n", kind, len(in.runs), output)
	return nil
}

// inputs are the runs a command line names: result files as they are,
// and sweep indexes (or sweep directories) expanded to their points'
// results.
type inputs struct {
	runs []*results.Run
	// files[i] is the file runs[i] was read from.
	files []string
	// index is the first sweep index named, nil if none.
	index *bench.SweepIndex
}

// readInputs reads the runs of paths; a file that cannot be read is a
// usage error naming it. A result named twice (say, by a shell glob that
// matched both a sweep index and its results) is read once.
func readInputs(paths []string) (*inputs, error) {
	in := &inputs{}
	seen := map[string]bool{}
	add := func(path string) error {
		if abs, err := filepath.Abs(path); err == nil {
			if seen[abs] {
				return nil
			}
			seen[abs] = true
		}
		r, err := results.Read(path)
		if err != nil {
			return usageError{fmt.Errorf("result %s: %w", path, err)}
		}
		in.runs = append(in.runs, r)
		in.files = append(in.files, path)
		return nil
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			p = filepath.Join(p, bench.IndexFile)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, usageError{err}
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if json.Unmarshal(data, &head) != nil || head.Schema != bench.SweepSchema {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		idx, err := bench.DecodeSweepIndex(data, p)
		if err != nil {
			return nil, usageError{err}
		}
		files := idx.ResultPaths(filepath.Dir(p))
		if len(files) == 0 {
			return nil, usagef("sweep index %s lists no results yet", p)
		}
		for _, f := range files {
			if err := add(f); err != nil {
				return nil, err
			}
		}
		if in.index == nil {
			in.index = idx
		}
	}
	return in, nil
}
