package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/internal/atomicfile"
)

const planExamples = `  # brokers for 200 MB/s at publish p99 under 50 ms, one broker down
  kbench plan kbench-results/sweep-capacity-20260301-120000-3fa9c2/ --target-mbps 200 --p99 50ms
  # the same, with the plan as JSON and a chart of the fit
  kbench plan sweep-dir/ --target-mbps 200 --p99 50ms -o plan.json --chart plan.png
  # external runs tagged with hardware profiles, one sweep per cluster size
  kbench plan sweeps/3-brokers/ sweeps/6-brokers/ sweeps/9-brokers/ --target-mbps 500 --p99 100ms
`

func planCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("plan", "plan SWEEP|RESULT... --target-mbps MB/s --p99 DURATION [flags]", planExamples)
	var output, chart, p99 string
	var q analysis.CapacityQuestion
	fs.Float64Var(&q.TargetMBps, "target-mbps", 0, "produce throughput to carry, MB/s (10^6 bytes/s) (required)")
	fs.StringVar(&p99, "p99", "", "publish p99 bound, e.g. 50ms (required)")
	fs.StringVarP(&output, "output", "o", "", "also write the plan as JSON to this file")
	fs.StringVar(&chart, "chart", "", "also draw the fit to this image, .png or .svg")
	fs.BoolVar(&q.AllowExtrapolation, "allow-extrapolation", false, fmt.Sprintf("answer even past %g times the largest broker count measured", analysis.ExtrapolationLimit))
	return fs, func(ctx context.Context) error {
		if fs.NArg() == 0 {
			return usagef("name the sweeps or results to plan from")
		}
		if p99 == "" || q.TargetMBps == 0 {
			return usagef("--target-mbps and --p99 are required, e.g. --target-mbps 200 --p99 50ms")
		}
		d, err := time.ParseDuration(p99)
		if err != nil || d <= 0 {
			return usagef("--p99 %q: want a positive duration with its unit, such as 50ms", p99)
		}
		q.P99Ms = float64(d) / float64(time.Millisecond)
		format := strings.TrimPrefix(strings.ToLower(filepath.Ext(chart)), ".")
		if chart != "" && format != "png" && format != "svg" {
			return usagef("--chart %s: the extension picks the image format; end the name in .png or .svg", chart)
		}
		in, err := load(fs.Args())
		if err != nil {
			return err
		}
		plan, err := analysis.PlanCapacity(in.Runs, in.Files, q)
		if err != nil {
			return usageError{err}
		}
		if err := analysis.WriteCapacityPlan(os.Stdout, plan); err != nil {
			return err
		}
		if output != "" {
			var buf bytes.Buffer
			if err := analysis.WriteCapacityJSON(&buf, plan); err != nil {
				return err
			}
			if err := atomicfile.Write(output, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("-o %s: %w", output, err)
			}
			fmt.Fprintf(os.Stderr, "plan written to %s\n", output)
		}
		if chart != "" {
			var buf bytes.Buffer
			if err := analysis.WriteCapacityChart(&buf, plan, format); err != nil {
				return err
			}
			if err := atomicfile.Write(chart, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("--chart %s: %w", chart, err)
			}
			fmt.Fprintf(os.Stderr, "chart written to %s\n", chart)
		}
		return nil
	}
}
