package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/distributed"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/results"
)

const mergeExamples = `  # the shards' results of a distributed run, copied out of a Kubernetes volume
  kbench merge kbench-results/RUN_ID/shard-*.json -o merged.json
  # the results the shards posted to the run's control topic (shard 0 died, or
  # the workload kept its topics); then delete the run's topics
  kbench merge --run-id RUN_ID --bootstrap broker1:9092 -o merged.json
  # the same on a secured cluster, with the client properties the shards used
  kbench merge --run-id RUN_ID --client-config client.properties -o merged.json
`

func mergeCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("merge", "merge SHARD_RESULT... | --run-id ID [-o FILE] [flags]", mergeExamples)
	var output, runID, prefix, driver string
	var tf targetFlags
	var quiet, keep, force bool
	fs.StringVarP(&output, "output", "o", "", "merged result file (default ./kbench-results/RUN_ID-merged.json)")
	fs.StringVar(&runID, "run-id", "", "read the shards' results from this run's control topic in the cluster")
	fs.StringVar(&prefix, "topic-prefix", "kbench", "the run's workload's topicPrefix, with --run-id")
	fs.BoolVar(&keep, "keep-topics", false, "with --run-id, leave the run's topics and control topic in place")
	fs.StringVar(&driver, "driver", "franz", "client driver to read the control topic with: "+strings.Join(all.Names(), " or "))
	fs.StringVar(&tf.kind, "cluster", "", "with --run-id: local or external (default local; external when --bootstrap is given)")
	fs.StringVar(&tf.bootstrap, "bootstrap", "", "bootstrap addresses of an external cluster, comma-separated")
	fs.StringVar(&tf.dir, "cluster-dir", "", "local cluster state directory (default: the one 'kbench cluster up' uses)")
	fs.StringVar(&tf.clientConfig, "client-config", "", "with --run-id: client properties file (TLS, SASL; as Kafka's --command-config) for the admin client and the control topic's reader")
	fs.BoolVarP(&quiet, "quiet", "q", false, "no summary")
	fs.BoolVar(&force, "force", false, "replace an existing result file")
	completeWith(fs, "driver", false, all.Names()...)
	completeWith(fs, "cluster", false, string(results.KindLocal), string(results.KindExternal))
	return fs, func(ctx context.Context) error {
		if (fs.NArg() == 0) == (runID == "") {
			return usagef("name the shards' result files, or give --run-id to read them from the cluster")
		}
		var shards []*results.Run
		var cleanup func(*results.Run) error
		if runID != "" {
			drv, err := all.Get(driver)
			if err != nil {
				return usageError{fmt.Errorf("--driver: %w", err)}
			}
			tgt, admin, props, release, err := connect(ctx, tf, nil, drv, os.Stderr)
			if err != nil {
				return err
			}
			defer release()
			if shards, err = distributed.CollectShards(ctx, drv, admin, tgt.Bootstrap(), props, prefix, runID); err != nil {
				return err
			}
			if !keep {
				cleanup = func(merged *results.Run) error {
					dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					return distributed.DeleteRunTopics(dctx, admin, merged)
				}
			}
		}
		for _, path := range fs.Args() {
			r, err := results.Read(path)
			if err != nil {
				return usageError{fmt.Errorf("result %s: %w", path, err)}
			}
			shards = append(shards, r)
		}
		merged, err := distributed.Merge(shards)
		if err != nil {
			return usageError{err}
		}
		if output, _, err = resultDestination(output, merged.RunID+"-merged.json", force); err != nil {
			return err
		}
		if err := results.Write(output, merged); err != nil {
			return err
		}
		if !quiet {
			printRunSummary(summaryTo(output), merged)
		}
		fmt.Fprintf(os.Stderr, "merged result of %d shard(s) written to %s\n", len(shards), shown(output))
		if cleanup != nil {
			if err := cleanup(merged); err != nil {
				return fmt.Errorf("delete the run's topics: %w", err)
			}
		}
		if !merged.Complete {
			return errors.New("run incomplete: " + merged.Incomplete)
		}
		return nil
	}
}
