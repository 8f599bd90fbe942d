package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kbench/kbench/results"
)

const mergeExamples = `  # the shards' results of a distributed run, copied out of a Kubernetes volume
  kbench merge kbench-results/RUN_ID/shard-*.json -o merged.json
`

func mergeCmd(ctx context.Context, args []string) error {
	fs := newFlags("merge", "merge SHARD_RESULT... [-o FILE] [flags]", mergeExamples)
	var output string
	var quiet bool
	fs.StringVarP(&output, "output", "o", "", "merged result file (default ./kbench-results/RUN_ID-merged.json)")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("name the shards' result files to merge")
	}
	var shards []*results.Run
	for _, path := range fs.Args() {
		r, err := results.Read(path)
		if err != nil {
			return usageError{fmt.Errorf("result %s: %w", path, err)}
		}
		shards = append(shards, r)
	}
	merged, err := results.Merge(shards)
	if err != nil {
		return usageError{err}
	}
	if output == "" {
		output = filepath.Join("kbench-results", merged.RunID+"-merged.json")
	}
	if err := results.Write(output, merged); err != nil {
		return err
	}
	if !quiet {
		printRunSummary(os.Stdout, merged)
	}
	fmt.Fprintf(os.Stderr, "merged result of %d shard(s) written to %s\n", len(shards), output)
	if !merged.Complete {
		return errors.New("run incomplete: " + merged.Incomplete)
	}
	return nil
}
