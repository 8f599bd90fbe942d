package distributed

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

	"github.com/kbench/kbench/results"
)

// Local runs the shards of a distributed run as processes of one
// executable on this machine, for tests and a quick look.
type Local struct {
	// Exe is the executable; Args the arguments every shard is given
	// (the subcommand first), to which each shard's own are added:
	// --shards, --shard, --run-id, --output and, with MetricsAddr,
	// --metrics-addr.
	Exe  string
	Args []string
	// Count is the number of shards, RunID the run's id.
	Count int
	RunID string
	// Output is the merged result's path; shard i writes its own beside
	// it (ShardPath) and shard 0 the merged one (MergedPath).
	Output string
	// MetricsAddr, HOST:PORT, has shard i serve metrics on PORT+i (any
	// free port when PORT is 0); empty serves none.
	MetricsAddr string
	// Stderr receives the shards' standard error, each line prefixed with
	// its shard; nil discards it.
	Stderr io.Writer
}

// ShardPath is where shard i of a local run writes its own result.
func ShardPath(output string, i int) string {
	return strings.TrimSuffix(output, ".json") + "-shard-" + strconv.Itoa(i) + ".json"
}

// MergedPath is where shard 0 writes the merged result of a run whose
// own result goes to output.
func MergedPath(output string) string { return strings.TrimSuffix(output, ".json") + "-merged.json" }

// RunLocal starts l.Count shard processes, waits for them and returns the
// run's merged result: shard 0's merge or, if shard 0 wrote none, the
// Merge of the shards' own result files. Cancelling ctx interrupts the
// shards, which still write what they measured. The error joins the
// shards' failures; the result is nil only when no shard wrote one.
func RunLocal(ctx context.Context, l Local) (*results.Run, error) {
	var host string
	var port int
	if l.MetricsAddr != "" {
		h, p, err := net.SplitHostPort(l.MetricsAddr)
		if err == nil {
			port, err = strconv.Atoi(p)
		}
		if err != nil {
			return nil, fmt.Errorf("metrics address %s: want HOST:PORT", l.MetricsAddr)
		}
		host = h
	}
	files := make([]string, l.Count)
	errs := make([]error, l.Count)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range l.Count {
		files[i] = ShardPath(l.Output, i)
		args := append(append([]string{}, l.Args...), "--shards="+strconv.Itoa(l.Count), "--shard="+strconv.Itoa(i),
			"--run-id="+l.RunID, "--output="+files[i])
		if l.MetricsAddr != "" {
			p := 0 // any free port, when the given one is
			if port > 0 {
				p = port + i
			}
			args = append(args, "--metrics-addr="+net.JoinHostPort(host, strconv.Itoa(p)))
		}
		cmd := exec.CommandContext(ctx, l.Exe, args...)
		// Interrupted, a shard still writes what it measured.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = time.Minute
		cmd.Stdout = io.Discard
		cmd.Stderr = io.Discard
		if l.Stderr != nil {
			cmd.Stderr = &prefixWriter{prefix: fmt.Sprintf("shard %d: ", i), mu: &mu, w: l.Stderr}
		}
		if err := cmd.Start(); err != nil {
			wg.Wait()
			return nil, fmt.Errorf("start shard %d: %w", i, err)
		}
		if l.Stderr != nil {
			mu.Lock()
			fmt.Fprintf(l.Stderr, "shard %d: process %d\n", i, cmd.Process.Pid)
			mu.Unlock()
		}
		wg.Go(func() {
			if err := cmd.Wait(); err != nil {
				errs[i] = fmt.Errorf("shard %d: %w", i, err)
			}
		})
	}
	wg.Wait()

	merged, err := results.Read(MergedPath(files[0]))
	if err != nil {
		var shards []*results.Run
		for _, f := range files {
			if r, err := results.Read(f); err == nil {
				shards = append(shards, r)
			}
		}
		if len(shards) == 0 {
			return nil, errors.Join(append(errs, errors.New("no shard wrote a result"))...)
		}
		if merged, err = Merge(shards); err != nil {
			return nil, errors.Join(append(errs, err)...)
		}
	}
	return merged, errors.Join(errs...)
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
