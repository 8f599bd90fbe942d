package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/results"
)

// runLocalShards runs 'kbench run' as n shard processes of this
// executable (--shards n, --shard i, the same run id, the other flags as
// given; shard i serves metrics on metricsAddr's port + i), waits for
// them, and writes the run's merged result to output: shard 0's merge,
// or, if shard 0 wrote none, the merge of the shards' own result files.
func runLocalShards(ctx context.Context, fs *pflag.FlagSet, tgt cluster.Target, n int, runID, output, metricsAddr string, quiet bool) error {
	var host string
	var port int
	if metricsAddr != "" {
		h, p, err := net.SplitHostPort(metricsAddr)
		if err == nil {
			port, err = strconv.Atoi(p)
		}
		if err != nil {
			return usagef("--metrics-addr %s: want HOST:PORT", metricsAddr)
		}
		host = h
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--local-shards: cannot find this executable: %w", err)
	}
	// The shards use the cluster this process opened (and, if it
	// started it, stops after them).
	common := []string{"--cluster=external", "--bootstrap=" + strings.Join(tgt.Bootstrap(), ",")}
	if l, ok := tgt.(*local.Cluster); ok {
		common = []string{"--cluster=local", "--cluster-dir=" + l.Dir()}
	}
	fs.Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "local-shards", "output", "run-id", "metrics-addr", "cluster", "bootstrap", "cluster-dir", "nodes", "heap":
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				common = append(common, "--"+f.Name+"="+v)
			}
			return
		}
		common = append(common, "--"+f.Name+"="+f.Value.String())
	})
	stem := strings.TrimSuffix(output, ".json")
	files := make([]string, n)
	errs := make([]error, n)
	var stderr sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		files[i] = stem + "-shard-" + strconv.Itoa(i) + ".json"
		args := append([]string{"run"}, common...)
		args = append(args, "--shards="+strconv.Itoa(n), "--shard="+strconv.Itoa(i), "--run-id="+runID, "--output="+files[i])
		if metricsAddr != "" {
			p := 0 // any free port, when the given one is
			if port > 0 {
				p = port + i
			}
			args = append(args, "--metrics-addr="+net.JoinHostPort(host, strconv.Itoa(p)))
		}
		cmd := exec.CommandContext(ctx, exe, args...)
		// Interrupted, a shard still writes what it measured.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = time.Minute
		cmd.Stdout = io.Discard
		cmd.Stderr = io.Discard
		if !quiet {
			cmd.Stderr = &prefixWriter{prefix: fmt.Sprintf("shard %d: ", i), mu: &stderr, w: os.Stderr}
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start shard %d: %w", i, err)
		}
		if !quiet {
			fmt.Fprintf(os.Stderr, "shard %d: process %d\n", i, cmd.Process.Pid)
		}
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				errs[i] = fmt.Errorf("shard %d: %w", i, err)
			}
		})
	}
	wg.Wait()

	merged, err := results.Read(mergedPath(files[0]))
	if err != nil {
		var shards []*results.Run
		for _, f := range files {
			if r, err := results.Read(f); err == nil {
				shards = append(shards, r)
			}
		}
		if len(shards) == 0 {
			return errors.Join(append(errs, errors.New("no shard wrote a result"))...)
		}
		if merged, err = results.Merge(shards); err != nil {
			return err
		}
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
	return errors.Join(errs...)
}

// prefixWriter writes whole lines to w, each with prefix, under mu.
type prefixWriter struct {
	prefix string
	mu     *sync.Mutex
	w      io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.mu.Lock()
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
	}
}
