package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/distributed"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/internal/atomicfile"
	"github.com/kbench/kbench/launch"
	"github.com/kbench/kbench/outputs/progress"
	"github.com/kbench/kbench/outputs/prometheus"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
	"github.com/kbench/kbench/workloads"
)

const runExamples = `  # the quick smoke workload on the in-process fake cluster (no Java needed)
  kbench run --cluster embedded --workload smoke
  # 1 KiB acks=all at 5000 msgs/s for 10 s with confluent-kafka-go
  kbench run --workload acks-all-1k --driver confluent --rate 5000 --duration 10s
  # pause the leader of partition 0 for 5 s, 10 s into measurement
  kbench run --profile durable --rate 2000 --duration 30s --fault at=10s,action=pause,target=leader:0/0,duration=5s
  # a user's cluster, overriding client properties and workload fields
  kbench run --bootstrap broker1:9092 --workload my.yaml --set acks=1 --set messageSize=512
`

// runFlags are the flags of 'kbench run' (and of 'kbench sweep').
type runFlags struct {
	workload string
	driver   string
	target   targetFlags
	profiles []string
	hardware string
	sets     []string
	faults   []string
	topics   []string
	rate     float64
	duration string
	messages int64
	output   string
	quiet    bool
	// brokerMetrics are the brokers' Prometheus endpoints, or "off".
	brokerMetrics []string
	// changed reports whether a flag was given (rate and messages have
	// no default of their own: the workload's applies).
	changed func(name string) bool
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	f.changed = fs.Changed
	fs.StringVar(&f.workload, "workload", "smoke", "workload file, or the name of a shipped workload ("+strings.Join(workloads.Names(), ", ")+")")
	fs.StringVar(&f.driver, "driver", "franz", "client driver: "+strings.Join(all.Names(), " or "))
	fs.StringVar(&f.target.kind, "cluster", "", "target: embedded, local or external (default local; external when --bootstrap is given)")
	fs.StringVar(&f.target.bootstrap, "bootstrap", "", "bootstrap addresses of an external cluster, comma-separated")
	fs.StringVar(&f.target.dir, "cluster-dir", "", "local cluster state directory (default: the one 'kbench cluster up' uses)")
	fs.IntVar(&f.target.nodes, "nodes", 3, "nodes of a local or embedded cluster started for the run")
	fs.IntVar(&f.target.heapMB, "heap", 512, "Java heap of each local broker, MiB")
	fs.StringVar(&f.target.network, "network", "", "links of a local cluster started for the run: direct, or proxied through kbench (default proxied when a fault needs it)")
	fs.StringVar(&f.target.clientConfig, "client-config", "", "client properties file (Java format, as --command-config) for producers, consumers and admin; ${NAME} reads the environment")
	fs.StringVar(&f.target.security, "security", "", "secure a local cluster started for the run: sasl_ssl or mtls")
	fs.StringSliceVar(&f.profiles, "profile", nil, "tuning profile name or file (repeatable or comma-separated; later wins): "+strings.Join(profiles.TuningNames(), ", "))
	fs.StringVar(&f.hardware, "hardware", "", "hardware profile describing an external cluster's brokers: "+strings.Join(profiles.HardwareNames(), ", "))
	fs.StringArrayVar(&f.sets, "set", nil, "set a workload field or client property, key=value (repeatable)")
	fs.StringArrayVar(&f.topics, "topic", nil, "an existing topic to produce to or consume from, neither created nor deleted (repeatable); the run is then producer-only or consumer-only")
	fs.StringArrayVar(&f.faults, "fault", nil, "add a fault, e.g. at=20s,action=kill,target=leader:0/0,duration=20s (repeatable)")
	fs.Float64Var(&f.rate, "rate", 0, "target rate in messages/s over all producers; 0 = as fast as possible (default: the workload's producerRate)")
	fs.StringVar(&f.duration, "duration", "", "measurement time, e.g. 30s or 5m")
	fs.Int64Var(&f.messages, "messages", 0, "stop after this many messages (all producers together; default: the workload's messages)")
	fs.StringVarP(&f.output, "output", "o", "", "result file, or a directory to put it in (default ./kbench-results/WORKLOAD-DRIVER-RUNID.json)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar and no summary")
	fs.StringSliceVar(&f.brokerMetrics, "broker-metrics", nil, "Prometheus endpoints the brokers serve (the JMX exporter's, node_exporter's), scraped each interval into the result, URL[,URL...]; off samples none (default: a local cluster's own)")
	completeWith(fs, "workload", true, workloads.Names()...)
	completeWith(fs, "driver", false, all.Names()...)
	completeWith(fs, "cluster", false, string(results.KindEmbedded), string(results.KindLocal), string(results.KindExternal))
	completeWith(fs, "network", false, string(results.NetworkDirect), string(results.NetworkProxied))
	completeWith(fs, "security", false, string(cluster.SecuritySASLSSL), string(cluster.SecurityMTLS))
	completeWith(fs, "profile", true, profiles.TuningNames()...)
	completeWith(fs, "hardware", true, profiles.HardwareNames()...)
}

// targetSpec is the target the flags describe.
func (f *runFlags) targetSpec() launch.TargetSpec {
	s := f.target.spec()
	s.NodesGiven = f.changed("nodes")
	return s
}

// loadWorkload builds the workload from the flags (workload.Build); every
// problem is a usage error.
func (f *runFlags) loadWorkload() (*workload.Workload, *profiles.Tuning, error) {
	return f.build(f.profiles, f.sets)
}

// build is loadWorkload with the profiles and sets given, as a sweep
// point has its own.
func (f *runFlags) build(profileNames, sets []string) (*workload.Workload, *profiles.Tuning, error) {
	o := workload.Overrides{Duration: f.duration, Faults: f.faults, Topics: f.topics}
	if f.changed("rate") {
		o.Rate = &f.rate
	}
	if f.changed("messages") {
		o.Messages = &f.messages
	}
	w, tuning, err := workload.Build(f.workload, profileNames, sets, o)
	if err != nil {
		return nil, nil, flagError(err)
	}
	return w, tuning, nil
}

// inputFlags names the flag that gives each of workload.Build's inputs.
var inputFlags = map[workload.Input]string{
	workload.InputFile: "workload", workload.InputProfile: "profile", workload.InputSet: "set",
	workload.InputFault: "fault", workload.InputRate: "rate", workload.InputDuration: "duration",
	workload.InputMessages: "messages",
}

// flagError makes a usage error of workload.Build's error, naming the
// flags that gave the inputs at fault.
func flagError(err error) error {
	if errors.Is(err, workload.ErrDriverFile) {
		return usagef("%w: give it with --profile", err)
	}
	var be *workload.BuildError
	if errors.As(err, &be) {
		problems := make([]error, len(be.Problems))
		for i, p := range be.Problems {
			problems[i] = flagText(p)
		}
		return usageError{fmt.Errorf("the workload has problems:\n%w", errors.Join(problems...))}
	}
	return usageError{flagText(err)}
}

// flagText rewrites an input's error as "--flag VALUE: problem", or
// "--flag: problem" where the problem says the value; other errors stay.
func flagText(err error) error {
	var ie *workload.InputError
	if !errors.As(err, &ie) {
		return err
	}
	switch ie.Input {
	case workload.InputRate, workload.InputDuration, workload.InputMessages:
		return fmt.Errorf("--%s: %w", inputFlags[ie.Input], ie.Err)
	}
	return fmt.Errorf("--%s %w", inputFlags[ie.Input], ie.Err)
}

func runCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	var f runFlags
	var sf shardFlags
	var metricsAddr, errorShare string
	var force bool
	var metricsLinger time.Duration
	flags := newFlags("run", "run [flags]", runExamples)
	f.register(flags)
	flags.BoolVar(&force, "force", false, "replace an existing result file")
	flags.StringVar(&errorShare, "max-error-share", fmt.Sprintf("%g%%", 100*analysis.DefaultMaxErrorShare), "fail the run (exit 1) when more than this share of produces fail")
	flags.StringVar(&sf.runID, "run-id", "", "name of the run, part of its topics' names (default: the time and a random suffix)")
	flags.StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run at http://ADDR/metrics, e.g. :9100")
	flags.DurationVar(&metricsLinger, "metrics-linger", 15*time.Second, "after the run, keep serving metrics until one more scrape, for at most this long")
	flags.IntVar(&sf.shards, "shards", 1, "run one shard of a distributed run of this many shards, which meet through the cluster")
	flags.IntVar(&sf.shard, "shard", 0, "this process's shard, 0 to --shards - 1 (default $"+launch.ShardEnv+")")
	flags.IntVar(&sf.local, "local-shards", 0, "run this many shards as processes on this machine and merge their results")
	return flags, func(ctx context.Context) error {
		if flags.NArg() > 0 {
			return usagef("unexpected argument %q; give the workload with --workload", flags.Arg(0))
		}
		spec := f.targetSpec()
		sh, err := sf.resolve(spec, flags.Changed("shard"))
		if err != nil {
			return err
		}
		w, tuning, drv, hw, err := f.prepare(spec)
		if err != nil {
			return err
		}
		maxErrorShare, err := parseShare(errorShare)
		if err != nil {
			return usageError{fmt.Errorf("--max-error-share: %w", err)}
		}
		output, logDir, err := destination(f.output, results.FileName(w.Name, drv.Name(), sf.runID), sh, force)
		if err != nil {
			return err
		}

		log := f.log()
		sess, err := open(ctx, spec.ForRun(w), tuning.Broker, drv, log)
		if err != nil {
			return err
		}
		defer sess.Close()
		if sf.local > 1 {
			return runLocalShards(ctx, flags, sess.Target(), sf.local, sf.runID, output, metricsAddr, f.quiet)
		}
		metrics, stopMetrics, err := serveMetrics(ctx, metricsAddr, sf.runID, sf.shard, metricsLinger, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
		res, path, err := sess.Run(ctx, launch.RunSpec{
			Point: f.point(w, tuning, f.profiles, drv, hw, sf.runID, metrics),
			Shard: sh, Output: output, LogDir: logDir, MaxErrorShare: maxErrorShare, Warn: os.Stderr,
		})
		if res != nil {
			if !f.quiet {
				printRunSummary(summaryTo(path), res)
			}
			fmt.Fprintf(os.Stderr, "result written to %s\n", shown(path))
		}
		return err
	}
}

// shardFlags say which run, and which shard of it, a process runs.
type shardFlags struct {
	runID                string
	shards, shard, local int
}

// resolve checks the flags, makes up a run id when none is given, and
// returns this process's shard (launch.Shards), nil for a run of one.
// given says --shard was given.
func (sf *shardFlags) resolve(spec launch.TargetSpec, given bool) (*distributed.Shard, error) {
	if sf.runID == "" {
		if sf.shards > 1 {
			return nil, usagef("--shards %d: give --run-id, the same on every shard", sf.shards)
		}
		sf.runID = bench.NewRunID()
	} else if err := bench.CheckRunID(sf.runID); err != nil {
		return nil, usagef("--run-id: %w", err)
	}
	switch {
	case sf.local != 0 && (sf.shards != 1 || given):
		return nil, usagef("--local-shards starts the shards itself: drop --shards and --shard")
	case sf.local < 0 || sf.local == 1:
		return nil, usagef("--local-shards %d: want 2 or more", sf.local)
	}
	var index *int
	if given {
		index = &sf.shard
	}
	sh, err := launch.Shards(spec, sf.shards, index)
	var ee *launch.EnvError
	if errors.As(err, &ee) {
		return nil, usagef("--shards %d: give --shard, or set %s (got %q)", sf.shards, ee.Name, ee.Value)
	}
	if err != nil {
		return nil, flagged(err)
	}
	if sh != nil {
		sf.shard = sh.Index
	}
	return sh, nil
}

// prepare builds the run's workload and checks it against spec, the
// hardware profile and the driver, printing the profiles' notes.
func (f *runFlags) prepare(spec launch.TargetSpec) (*workload.Workload, *profiles.Tuning, drivers.Driver, *results.Hardware, error) {
	w, tuning, err := f.loadWorkload()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, n := range tuning.Notes {
		fmt.Fprintln(os.Stderr, "kbench run: note:", n)
	}
	if err := spec.Check(w); err != nil {
		return nil, nil, nil, nil, flagged(err)
	}
	hw, err := loadHardware(f.hardware)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	drv, err := all.Get(f.driver)
	if err != nil {
		return nil, nil, nil, nil, usageError{fmt.Errorf("--driver: %w", err)}
	}
	if err := launch.CheckProps(drv, w, spec); err != nil {
		return nil, nil, nil, nil, flagged(err)
	}
	return w, tuning, drv, hw, nil
}

// destination is where the result of a run named name goes (-o, else
// resultsDir), found before the run so a bad one costs no run; logDir is
// where broker logs go when the result is written in place (a FIFO or
// device), else "" (beside the result).
func destination(flag, name string, sh *distributed.Shard, force bool) (output, logDir string, err error) {
	if sh != nil {
		if atomicfile.IsStdout(flag) {
			// Shard 0 writes two results, its own and the merged one.
			return "", "", usagef("-o %s: a shard writes its result and, on shard 0, the merged one beside it: give a file or a directory", flag)
		}
		name = results.FileName(name, fmt.Sprintf("shard-%d", sh.Index))
	}
	output, inPlace, err := resultDestination(flag, name+".json", force)
	if err != nil {
		return "", "", err
	}
	if inPlace {
		logDir = filepath.Join(resultsDir, name+"-logs")
	}
	return output, logDir, nil
}

// resultDestination checks where a result named name goes (see
// results.Destination), as a usage error that says what to do.
func resultDestination(flag, name string, force bool) (output string, inPlace bool, err error) {
	output, inPlace, err = results.Destination(flag, resultsDir, name, force)
	if errors.Is(err, fs.ErrExist) {
		return "", false, usagef("-o %w: give another name, or --force to replace it", err)
	}
	if err != nil {
		return "", false, usageError{fmt.Errorf("-o: %w", err)}
	}
	return output, inPlace, nil
}

// summaryTo is where a command that writes a result to output prints its
// summary: stderr when the result goes to stdout, so that stdout holds
// the result alone.
func summaryTo(output string) io.Writer {
	if atomicfile.IsStdout(output) {
		return os.Stderr
	}
	return os.Stdout
}

// shown names output for a message: "stdout" rather than "-".
func shown(output string) string {
	if atomicfile.IsStdout(output) {
		return "stdout"
	}
	return output
}

// serveMetrics serves a run's metrics at addr ("" is none) until stop,
// which first waits for one more scrape, for at most linger, so that the
// last scrape gets the final figures; Ctrl-C ends the wait.
func serveMetrics(ctx context.Context, addr, runID string, shard int, linger time.Duration, log io.Writer) (m *prometheus.Metrics, stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, usagef("--metrics-addr: %w", err)
	}
	m = prometheus.New(runID, shard)
	srv, err := prometheus.Serve(ln, m)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(log, "serving metrics at http://%s/metrics\n", ln.Addr())
	return m, func() {
		if linger > 0 && ctx.Err() == nil {
			fmt.Fprintf(log, "serving metrics until the next scrape, at most %s (Ctrl-C ends)\n", linger)
		}
		if err := srv.Close(ctx, linger); err != nil {
			fmt.Fprintf(os.Stderr, "kbench: %v\n", err)
		}
	}, nil
}

// resultsDir is where results go when -o names no directory.
const resultsDir = "kbench-results"

// parseShare reads a share as a percentage ("5%") or a fraction (0.05).
func parseShare(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if pct {
		v /= 100
	}
	if err != nil || !(v >= 0 && v <= 1) {
		return 0, fmt.Errorf("want a share from 0%% to 100%%, such as 5%% or 0.05, got %q", s)
	}
	return v, nil
}

// loadHardware loads the --hardware profile; "" is none.
func loadHardware(name string) (*results.Hardware, error) {
	if name == "" {
		return nil, nil
	}
	hw, err := profiles.LoadHardware(name)
	if err != nil {
		return nil, usageError{fmt.Errorf("--hardware: %w", err)}
	}
	return hw, nil
}

// log is where a run's progress lines go: stderr, unless quiet.
func (f *runFlags) log() io.Writer {
	if f.quiet {
		return io.Discard
	}
	return os.Stderr
}

// point is what runs w: the flags' settings and outputs.
func (f *runFlags) point(w *workload.Workload, tuning *profiles.Tuning, profileNames []string, drv drivers.Driver, hw *results.Hardware, runID string, metrics *prometheus.Metrics) launch.Point {
	return launch.Point{
		Workload: w, Tuning: tuning, Profiles: profileNames, Driver: drv, Hardware: hw,
		RunID: runID, Version: version, Outputs: f.outputs(metrics), BrokerMetrics: f.brokerMetrics,
	}
}

// outputs makes a run's outputs: its progress on stderr (a bar on a
// terminal; elsewhere, as in CI or kubectl logs, plain lines), none when
// quiet, and the served metrics, if any. done ends the bar.
func (f *runFlags) outputs(metrics *prometheus.Metrics) func(w *workload.Workload) (outs []bench.Output, done func()) {
	return func(w *workload.Workload) (outs []bench.Output, done func()) {
		done = func() {}
		switch {
		case f.quiet:
		case term.IsTerminal(int(os.Stderr.Fd())):
			bar := progress.NewBar(os.Stderr, w)
			outs, done = append(outs, bar), bar.Finish
		default:
			outs = append(outs, progress.NewLines(f.log()))
		}
		if metrics != nil {
			outs = append(outs, metrics)
		}
		return outs, done
	}
}
