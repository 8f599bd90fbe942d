package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/analysis"
)

const compareExamples = `  # repeats a side, default bounds (` + analysis.DefaultBounds + `), 95% confidence
  kbench compare base-1.json base-2.json base-3.json -- new-1.json new-2.json new-3.json
  # one run a side judges counts (errors, lost) but says NO EVIDENCE for throughput and latency
  kbench compare base.json new.json
  # the same with flags, tighter bounds, and only a PASS exits 0
  kbench compare --base base-1.json,base-2.json --new new-1.json,new-2.json --max-regression throughput=3%,p99=5%,lost=0 --require-evidence
  # Go benchmark lines for benchstat (the verdict goes to stderr)
  kbench compare --format gobench base.json new.json > bench.txt && benchstat -col /side bench.txt
`

func compareCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("compare", "compare BASE NEW | BASE... -- NEW... | --base FILES --new FILES [flags]", compareExamples)
	var base, next []string
	var bounds, format string
	fs.StringSliceVar(&base, "base", nil, "base result files (comma-separated or repeated)")
	fs.StringSliceVar(&next, "new", nil, "new result files to judge against the base")
	fs.StringVar(&bounds, "max-regression", analysis.DefaultBounds, "change for the worse allowed per metric, metric=percent,...; metrics: "+strings.Join(analysis.MetricNames(), ", "))
	var confidence float64
	var minRuns int
	var strict, requireEvidence bool
	fs.Float64Var(&confidence, "confidence", analysis.DefaultConfidence, "confidence, in percent, of the interval of each change that decides")
	fs.IntVar(&minRuns, "min-runs", analysis.DefaultMinRuns, "runs each side needs before throughput and latency are judged (2 or more)")
	fs.BoolVar(&requireEvidence, "require-evidence", false, "exit 1 on NO EVIDENCE too: only a PASS exits 0")
	fs.BoolVar(&strict, "strict", false, "refuse (exit 2) to compare sides whose workloads, targets, drivers or profiles differ")
	fs.StringVar(&format, "format", "text", "text (the verdict table), or gobench (Go benchmark lines on stdout for benchstat, the verdict on stderr)")
	completeWith(fs, "format", false, "text", "gobench")
	return fs, func(ctx context.Context) error {
		switch dash := fs.ArgsLenAtDash(); {
		case len(base) > 0 || len(next) > 0:
			if len(base) == 0 || len(next) == 0 || fs.NArg() > 0 {
				return usagef("with --base and --new, give both and no other files")
			}
		case dash >= 0:
			base, next = fs.Args()[:dash], fs.Args()[dash:]
			if len(base) == 0 || len(next) == 0 {
				return usagef("give base results before -- and new results after it")
			}
		case fs.NArg() == 2:
			base, next = fs.Args()[:1], fs.Args()[1:]
		default:
			return usagef("give one base and one new result, or several separated by --: BASE... -- NEW...")
		}
		b, err := analysis.ParseBounds(bounds)
		if err != nil {
			return usageError{fmt.Errorf("--max-regression: %w", err)}
		}
		rule := analysis.Rule{Bounds: b, Confidence: confidence, MinRuns: minRuns}
		if err := rule.Validate(); err != nil {
			return usagef("--confidence, --min-runs: %v", err)
		}
		if format != "text" && format != "gobench" {
			return usagef("--format %q: use text or gobench", format)
		}
		baseIn, err := load(base)
		if err != nil {
			return err
		}
		nextIn, err := load(next)
		if err != nil {
			return err
		}
		verdict := analysis.Compare(baseIn.Runs, nextIn.Runs, rule)
		if strict && len(verdict.Mismatches) > 0 {
			return usagef("--strict: the sides differ: %s", strings.Join(verdict.Mismatches, "; "))
		}
		out := os.Stdout
		if format == "gobench" {
			analysis.WriteGoBench(os.Stdout, baseIn.Runs, "side=base")
			analysis.WriteGoBench(os.Stdout, nextIn.Runs, "side=new")
			out = os.Stderr
		}
		verdict.Write(out)
		if verdict.Failed {
			return fmt.Errorf("the new results fail the bounds %s", bounds)
		}
		if requireEvidence && verdict.Outcome != analysis.Pass {
			return fmt.Errorf("--require-evidence: no evidence that the new results hold the bounds %s", bounds)
		}
		return nil
	}
}
