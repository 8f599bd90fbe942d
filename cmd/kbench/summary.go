package main

import (
	"fmt"
	"io"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/results"
)

// printRunSummary prints the summary table and the one-line summary in
// kafka-producer-perf-test's format, which existing parsers read.
func printRunSummary(w io.Writer, res *results.Run) {
	analysis.Summarize(w, res)
	fmt.Fprintln(w, analysis.PerfTestLine(res))
}
