package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/launch"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/sweep"
	"github.com/kbench/kbench/workload"
)

const sweepExamples = `  # acks against message size: 6 runs, one result each, plus sweep.json
  kbench sweep --workload acks-all-1k --set enable.idempotence=false --rate 5000 --duration 30s \
    --vary acks=1,all --vary messageSize=100,1024,10240
  # two profiles and two drivers at one setting: 4 runs
  kbench sweep --profile throughput,low-latency --driver franz,confluent --duration 30s
  # capacity planning: a rate search on local clusters of 1, 3 and 5 nodes (nodes first,
  # so each cluster starts once), then the brokers a target needs
  kbench sweep --workload capacity --vary nodes=1,3,5 --find-max-rate --p99-max 50ms --start 2000
  kbench plan kbench-results/sweep-capacity-*/ --target-mbps 100 --p99 50ms
  # the highest rate with publish p99 under 50 ms and consumers keeping up
  kbench sweep --find-max-rate --p99-max 50ms --start 1000 --step x2 --duration 10s
  # plot and report what a sweep wrote
  kbench plot kbench-results/sweep-smoke-20260301-120000-3fa9c2/ -o sweep.png
`

// sweepFlags are the flags of 'kbench sweep': those of 'kbench run', read
// as lists where a sweep compares alternatives, and the sweep's own.
type sweepFlags struct {
	run     runFlags
	vary    []string
	findMax bool
	p99Max  string
	start   float64
	step    string
	bisect  int
	maxRate float64
}

// searchFlags may only be given with --find-max-rate.
var searchFlags = []string{"p99-max", "start", "step", "bisect", "max-rate"}

// runFlagOf names the run flag that sets a workload field after --set (and
// so after --vary) would.
var runFlagOf = map[string]string{"producerRate": "rate", "duration": "duration", "messages": "messages"}

func sweepCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	var f sweepFlags
	flags := newFlags("sweep", "sweep [flags]", sweepExamples)
	f.run.register(flags)
	flags.Lookup("driver").Usage = "client drivers to compare, comma-separated: " + strings.Join(all.Names(), ", ")
	flags.Lookup("profile").Usage = "tuning profiles to compare, comma-separated or repeated; each is one alternative (a+b composes a and b): " + strings.Join(profiles.TuningNames(), ", ")
	flags.Lookup("output").Usage = "directory for the results and " + results.SweepIndexFile + " (default ./kbench-results/sweep-WORKLOAD-RUNID/)"
	flags.StringArrayVar(&f.vary, "vary", nil, "a parameter and its values, key=v1,v2,...; key is anything --set takes, or nodes: a local or embedded cluster of each size (repeatable: every combination runs)")
	flags.BoolVar(&f.findMax, "find-max-rate", false, "search for the highest rate sustained: step the rate up until a point fails, then bisect")
	flags.StringVar(&f.p99Max, "p99-max", "", "rate search: the publish p99 a sustained point stays within, e.g. 50ms (required)")
	flags.Float64Var(&f.start, "start", 1000, "rate search: the first rate, msgs/s")
	flags.StringVar(&f.step, "step", "x2", "rate search: the step up, xF multiplies (x2 doubles), +N adds N msgs/s")
	flags.IntVar(&f.bisect, "bisect", 3, "rate search: points spent narrowing between the last sustained and the first failed rate")
	flags.Float64Var(&f.maxRate, "max-rate", 0, "rate search: never go past this rate, msgs/s (0: no limit)")
	return flags, func(ctx context.Context) error {
		if flags.NArg() > 0 {
			return usagef("unexpected argument %q; give the workload with --workload", flags.Arg(0))
		}
		cfg, first, broker, err := f.plan(flags)
		if err != nil {
			return err
		}
		hw, err := loadHardware(f.run.hardware)
		if err != nil {
			return err
		}
		if cfg.Dir == "" {
			cfg.Dir = filepath.Join(resultsDir, results.FileName("sweep", first.Name, bench.NewRunID()))
		}
		if _, _, err := results.Destination(cfg.Dir+string(filepath.Separator), "", results.SweepIndexFile, false); errors.Is(err, fs.ErrExist) {
			return usagef("-o %s already holds a sweep; give another directory", cfg.Dir)
		} else if err != nil {
			return usageError{fmt.Errorf("-o: %w", err)}
		}

		// The admin client is the first driver's.
		drv, err := all.Get(cfg.Drivers[0])
		if err != nil {
			return usageError{fmt.Errorf("--driver: %w", err)}
		}
		build := func(p results.SweepPoint) (launch.Point, error) { return f.prepare(p, hw) }
		if f.variesNodes() {
			// A cluster per size, started as the points reach it.
			ns := &launch.NodeSweep{Spec: f.run.targetSpec(), BrokerProps: broker, Driver: drv, Log: f.run.log(), Dir: cfg.Dir}
			defer ns.Close()
			cfg.RunPoint = ns.RunPoint(build)
		} else {
			// One target for the whole sweep: every point runs on the same brokers.
			sess, err := open(ctx, f.run.targetSpec(), broker, drv, f.run.log())
			if err != nil {
				return err
			}
			defer sess.Close()
			cfg.RunPoint = sess.SweepPoint(build)
		}
		if !f.run.quiet {
			cfg.Progress = printSweepProgress
		}
		idx, err := sweep.Run(ctx, cfg)
		if idx != nil && !f.run.quiet {
			printSweep(os.Stdout, idx)
		}
		if idx != nil {
			fmt.Fprintf(os.Stderr, "sweep index written to %s\n", filepath.Join(cfg.Dir, results.SweepIndexFile))
		}
		if err != nil && ctx.Err() != nil {
			return launch.ErrInterrupted
		}
		return err
	}
}

// plan checks every flag and the workload of every point before anything
// runs, and returns the sweep, the first point's workload, and the broker
// settings to start a local cluster with.
func (f *sweepFlags) plan(fs interface{ Changed(string) bool }) (sweep.Config, *workload.Workload, map[string]string, error) {
	var cfg sweep.Config
	vary, err := sweep.ParseVary(f.vary)
	if err != nil {
		return cfg, nil, nil, usageError{fmt.Errorf("--vary %w", err)} // err starts with the spec at fault
	}
	for _, v := range vary {
		if flag := runFlagOf[v.Key]; flag != "" && fs.Changed(flag) {
			return cfg, nil, nil, usagef("--vary %s and --%s both set %s; drop one", v.Key, flag, v.Key)
		}
		if f.findMax && v.Key == "producerRate" {
			return cfg, nil, nil, usagef("--vary producerRate and --find-max-rate both set the rate; drop one")
		}
		if v.Key == results.NodesParam {
			if err := f.checkNodes(fs, v); err != nil {
				return cfg, nil, nil, err
			}
		}
	}
	if f.findMax {
		if cfg.Search, err = f.search(fs); err != nil {
			return cfg, nil, nil, err
		}
	} else {
		for _, name := range searchFlags {
			if fs.Changed(name) {
				return cfg, nil, nil, usagef("--%s is for a rate search; add --find-max-rate", name)
			}
		}
	}
	drvs := splitList(f.run.driver)
	if len(drvs) == 0 {
		return cfg, nil, nil, usagef("--driver: name at least one of %s", strings.Join(all.Names(), ", "))
	}
	for _, d := range drvs {
		if _, err := all.Get(d); err != nil {
			return cfg, nil, nil, usageError{fmt.Errorf("--driver: %w", err)}
		}
	}
	broker, err := f.brokerSettings()
	if err != nil {
		return cfg, nil, nil, err
	}
	cfg.Vary, cfg.Profiles, cfg.Drivers, cfg.Dir = vary, f.run.profiles, drvs, f.run.output

	// Every point's workload must load, so no sweep stops half way on a
	// bad value; each distinct problem is reported once.
	var problems []error
	seen := map[string]bool{}
	var first *workload.Workload
	for i, p := range sweep.Matrix(vary, cfg.Profiles, drvs) {
		if cfg.Search != nil {
			p.Rate = cfg.Search.Start
		}
		pt, err := f.prepare(p, nil)
		if err == nil {
			spec := f.run.targetSpec()
			if n := p.Nodes(); n > 0 {
				spec.Nodes, spec.NodesGiven = n, true
			}
			err = flagged(spec.Check(pt.Workload))
		}
		if err != nil {
			if !seen[err.Error()] {
				seen[err.Error()] = true
				problems = append(problems, fmt.Errorf("point %d (%s): %w", i+1, p.Label(), err))
			}
			continue
		}
		if first == nil {
			first = pt.Workload
		}
	}
	if len(problems) > 0 {
		return cfg, nil, nil, usageError{errors.Join(problems...)}
	}
	cfg.Workload = first.Name
	return cfg, first, broker, nil
}

// variesNodes reports whether the sweep varies the cluster size.
func (f *sweepFlags) variesNodes() bool {
	for _, s := range f.vary {
		if key, _, _ := strings.Cut(s, "="); strings.TrimSpace(key) == results.NodesParam {
			return true
		}
	}
	return false
}

// checkNodes refuses a cluster-size dimension that cannot run: sizes
// that are not whole numbers of at least 1, a size set twice, or a target
// kbench does not start.
func (f *sweepFlags) checkNodes(fs interface{ Changed(string) bool }, v results.Vary) error {
	for _, val := range v.Values {
		if n, err := strconv.Atoi(val); err != nil || n < 1 {
			return usagef("--vary nodes=%s: %q is not a node count; give whole numbers of at least 1, e.g. nodes=1,3,5", strings.Join(v.Values, ","), val)
		}
	}
	for _, name := range []string{"nodes", "cluster-dir", "bootstrap"} {
		if fs.Changed(name) {
			return usagef("--vary nodes and --%s: a sweep over cluster sizes starts a cluster of each size itself; drop --%s", name, name)
		}
	}
	ns := launch.NodeSweep{Spec: f.run.targetSpec()}
	return flagged(ns.CheckNodes())
}

// search reads the rate search's flags.
func (f *sweepFlags) search(fs interface{ Changed(string) bool }) (*results.RateSearch, error) {
	if fs.Changed("rate") {
		return nil, usagef("--rate and --find-max-rate: the search sets the rate; give the first with --start")
	}
	if f.p99Max == "" {
		return nil, usagef("--find-max-rate needs --p99-max, the publish p99 a sustained rate stays within, e.g. --p99-max 50ms")
	}
	// A unit is required: a bare "50" would read as 50 seconds.
	p99, err := time.ParseDuration(f.p99Max)
	if err != nil || p99 <= 0 {
		return nil, usagef("--p99-max %q: want a positive duration with its unit, such as 50ms", f.p99Max)
	}
	factor, inc, err := sweep.ParseStep(f.step)
	if err != nil {
		return nil, usageError{fmt.Errorf("--step: %w", err)}
	}
	s := &results.RateSearch{Start: f.start, Factor: factor, Increment: inc, Bisections: f.bisect,
		MaxRate: f.maxRate, P99MaxMs: float64(p99) / float64(time.Millisecond)}
	if err := s.Validate(); err != nil {
		return nil, usageError{fmt.Errorf("--find-max-rate: %w", err)}
	}
	return s, nil
}

// brokerSettings returns the broker properties the sweep's cluster starts
// with (launch.SweepBrokerProps), warning of profiles whose broker
// settings differ where the target does not take them.
func (f *sweepFlags) brokerSettings() (map[string]string, error) {
	broker, conflict, err := launch.SweepBrokerProps(f.run.targetSpec().TargetKind(), f.run.profiles)
	var c *launch.ProfileConflict
	switch {
	case errors.As(err, &c):
		return nil, usagef("--profile %s and %s set different broker properties, but a sweep runs every point on one cluster started with one set of them; run one sweep per profile, or compare profiles that differ only in topic and client settings", c.First, c.Other)
	case err != nil:
		return nil, flagError(err)
	case conflict != nil:
		fmt.Fprintf(os.Stderr, "kbench sweep: --profile %s and %s differ in broker settings; the %s target does not take broker settings from profiles, so only their topic and client settings differ between points\n", conflict.First, conflict.Other, conflict.Kind)
	}
	return broker, nil
}

// prepare makes one point's run: its workload from the run flags, then
// the point's profile, its varied values (after --set, so they win), and
// its rate; its driver; hw.
func (f *sweepFlags) prepare(p results.SweepPoint, hw *results.Hardware) (launch.Point, error) {
	profileNames, sets := launch.PointInputs(f.run.sets, p)
	w, tuning, err := f.run.build(profileNames, sets)
	if err != nil {
		return launch.Point{}, err
	}
	drv, err := all.Get(p.Driver)
	if err != nil {
		return launch.Point{}, usageError{fmt.Errorf("--driver: %w", err)}
	}
	if err := launch.CheckProps(drv, w, f.run.targetSpec()); err != nil {
		return launch.Point{}, flagged(err)
	}
	pt := f.run.point(w, tuning, profileNames, drv, hw, "", nil)
	if n := p.Nodes(); n > 0 {
		if note := launch.FitNodes(w, n); note != "" {
			pt.Notes = append(pt.Notes, note)
		}
	}
	return pt, nil
}

// printSweepProgress prints one line per finished point on stderr.
func printSweepProgress(p sweep.Progress) {
	e := p.Entry
	n := fmt.Sprint(p.N)
	if p.Of > 0 {
		n += fmt.Sprintf("/%d", p.Of)
	}
	fmt.Fprintf(os.Stderr, "[%s] %s: %.0f msgs/s, p99 %.2f ms, %d errors, %s\n", n, e.Label(), e.ProduceRate, e.P99Ms, e.Errors, e.Outcome)
}

// printSweep prints the sweep's points and, for a rate search, the
// highest rate each search sustained.
func printSweep(w io.Writer, idx *results.SweepIndex) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tpoint\tmsgs/s\tconsumed/s\tp99 ms\terrors\toutcome")
	for i, e := range idx.Points {
		outcome, _, _ := strings.Cut(e.Outcome, ":")
		fmt.Fprintf(tw, "%d\t%s\t%.0f\t%.0f\t%.2f\t%d\t%s\n", i+1, e.Label(), e.ProduceRate, e.ConsumeRate, e.P99Ms, e.Errors, outcome)
	}
	tw.Flush()
	for _, b := range idx.Best {
		label := b.Label()
		if b.Stopped != "" {
			fmt.Fprintf(w, "%s: search stopped at a point kbench's in-flight bound limited (%s); the highest rate sustained before it: %.0f msgs/s\n", label, b.Stopped, b.MaxRate)
			continue
		}
		if b.MaxRate == 0 {
			fmt.Fprintf(w, "%s: no rate tried was sustained; lower --start\n", label)
			continue
		}
		fmt.Fprintf(w, "%s: highest sustained rate %.0f msgs/s (publish p99 within %g ms, consumers keeping up, no errors)\n", label, b.MaxRate, idx.Search.P99MaxMs)
	}
	if !idx.Complete {
		fmt.Fprintln(w, "the sweep did not finish; the points above are what it measured")
	}
}
