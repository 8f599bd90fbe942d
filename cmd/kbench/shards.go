package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/distributed"
	"github.com/kbench/kbench/results"
)

// runLocalShards runs 'kbench run' as n shard processes of this
// executable (distributed.RunLocal) with the flags given, against the
// cluster this process opened, and writes the run's merged result to
// output.
func runLocalShards(ctx context.Context, fs *pflag.FlagSet, tgt cluster.Target, n int, runID, output, metricsAddr string, quiet bool) error {
	if metricsAddr != "" {
		_, p, err := net.SplitHostPort(metricsAddr)
		if _, perr := strconv.Atoi(p); err != nil || perr != nil {
			return usagef("--metrics-addr %s: want HOST:PORT", metricsAddr)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--local-shards: cannot find this executable: %w", err)
	}
	// The shards use the cluster this process opened (and, if it
	// started it, stops after them).
	args := []string{"run", "--cluster=external", "--bootstrap=" + strings.Join(tgt.Bootstrap(), ",")}
	if l, ok := tgt.(*local.Cluster); ok {
		args = []string{"run", "--cluster=local", "--cluster-dir=" + l.Dir()}
	}
	fs.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "local-shards", "output", "run-id", "metrics-addr", "cluster", "bootstrap", "cluster-dir", "nodes", "heap":
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+f.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+f.Name+"="+f.Value.String())
	})
	var stderr io.Writer
	if !quiet {
		stderr = os.Stderr
	}
	merged, runErr := distributed.RunLocal(ctx, distributed.Local{Exe: exe, Args: args, Count: n, RunID: runID,
		Output: output, MetricsAddr: metricsAddr, Stderr: stderr})
	if merged == nil {
		return runErr
	}
	// The shards reached an embedded cluster as an external one; the
	// result must still say kfake, which no figure about Kafka rests on.
	if d := tgt.Describe(); d.Kind == results.KindEmbedded {
		merged.Cluster.Kind, merged.Cluster.KafkaVersion, merged.Cluster.Nodes = d.Kind, d.KafkaVersion, d.Nodes
	}
	if err := results.Write(output, merged); err != nil {
		return err
	}
	if !quiet {
		printRunSummary(os.Stdout, merged)
	}
	fmt.Fprintf(os.Stderr, "merged result of %d shards written to %s\n", n, output)
	if ctx.Err() != nil {
		return errInterrupted
	}
	if !merged.Complete {
		return errors.New("run incomplete: " + merged.Incomplete)
	}
	return runErr
}
