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
	completeWith(fs, "workload", true, workloads.Names()...)
	completeWith(fs, "driver", false, all.Names()...)
	completeWith(fs, "cluster", false, string(results.KindEmbedded), string(results.KindLocal), string(results.KindExternal))
	completeWith(fs, "network", false, string(results.NetworkDirect), string(results.NetworkProxied))
	completeWith(fs, "security", false, string(cluster.SecuritySASLSSL), string(cluster.SecurityMTLS))
	completeWith(fs, "profile", true, profiles.TuningNames()...)
	completeWith(fs, "hardware", true, profiles.HardwareNames()...)
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

// checkProps refuses, before anything starts, client properties drv
// cannot take.
func checkProps(drv drivers.Driver, w *workload.Workload) error {
	pc, ok := drv.(drivers.PropertyChecker)
	if !ok {
		return nil
	}
	if err := pc.CheckProperties(w.Producer, w.Consumer); err != nil {
		return usageError{fmt.Errorf("client properties the %s driver cannot take:\n%w", drv.Name(), err)}
	}
	return nil
}

func runCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	var f runFlags
	var runID, metricsAddr, errorShare string
	var force bool
	var shards, shard, localShards int
	var metricsLinger time.Duration
	flags := newFlags("run", "run [flags]", runExamples)
	f.register(flags)
	flags.BoolVar(&force, "force", false, "replace an existing result file")
	flags.StringVar(&errorShare, "max-error-share", fmt.Sprintf("%g%%", 100*analysis.DefaultMaxErrorShare), "fail the run (exit 1) when more than this share of produces fail")
	flags.StringVar(&runID, "run-id", "", "name of the run, part of its topics' names (default: the time and a random suffix)")
	flags.StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run at http://ADDR/metrics, e.g. :9100")
	flags.DurationVar(&metricsLinger, "metrics-linger", 30*time.Second, "after the run, keep serving metrics until one more scrape, for at most this long")
	flags.IntVar(&shards, "shards", 1, "run one shard of a distributed run of this many shards, which meet through the cluster")
	flags.IntVar(&shard, "shard", 0, "this process's shard, 0 to --shards - 1 (default $JOB_COMPLETION_INDEX)")
	flags.IntVar(&localShards, "local-shards", 0, "run this many shards as processes on this machine and merge their results")
	return flags, func(ctx context.Context) error {
		if flags.NArg() > 0 {
			return usagef("unexpected argument %q; give the workload with --workload", flags.Arg(0))
		}
		if runID == "" {
			if shards > 1 {
				return usagef("--shards %d: give --run-id, the same on every shard", shards)
			}
			runID = bench.NewRunID()
		} else if err := bench.CheckRunID(runID); err != nil {
			return usagef("--run-id: %w", err)
		}
		var sh *distributed.Shard
		switch {
		case shards > 1 && f.target.spec().TargetKind() == results.KindEmbedded:
			return usagef("--cluster embedded lives in this process, so other shards cannot reach it: use local or external (or --local-shards, whose shards use this process's)")
		case localShards != 0 && (shards != 1 || flags.Changed("shard")):
			return usagef("--local-shards starts the shards itself: drop --shards and --shard")
		case localShards < 0 || localShards == 1:
			return usagef("--local-shards %d: want 2 or more", localShards)
		case shards < 1:
			return usagef("--shards %d: want 1 or more", shards)
		case shards > 1:
			if !flags.Changed("shard") {
				env := os.Getenv("JOB_COMPLETION_INDEX")
				n, err := strconv.Atoi(env)
				if err != nil {
					return usagef("--shards %d: give --shard, or set JOB_COMPLETION_INDEX (got %q)", shards, env)
				}
				shard = n
			}
			if shard < 0 || shard >= shards {
				return usagef("--shard %d: want 0 to %d", shard, shards-1)
			}
			sh = &distributed.Shard{Index: shard, Count: shards}
		}
		w, tuning, err := f.loadWorkload()
		if err != nil {
			return err
		}
		for _, n := range tuning.Notes {
			fmt.Fprintln(os.Stderr, "kbench run: note:", n)
		}
		if err := f.target.checkShape(w, flags.Changed("nodes")); err != nil {
			return err
		}
		var hw *results.Hardware
		if f.hardware != "" {
			if hw, err = profiles.LoadHardware(f.hardware); err != nil {
				return usageError{fmt.Errorf("--hardware: %w", err)}
			}
		}
		drv, err := all.Get(f.driver)
		if err != nil {
			return usageError{fmt.Errorf("--driver: %w", err)}
		}
		if err := checkProps(drv, w); err != nil {
			return err
		}
		maxErrorShare, err := parseShare(errorShare)
		if err != nil {
			return usageError{fmt.Errorf("--max-error-share: %w", err)}
		}
		name := results.FileName(w.Name, drv.Name(), runID)
		if sh != nil {
			name = results.FileName(name, fmt.Sprintf("shard-%d", sh.Index))
		}
		output, inPlace, err := results.Destination(f.output, resultsDir, name+".json", force)
		if errors.Is(err, fs.ErrExist) {
			return usagef("-o %w: give another name, or --force to replace it", err)
		}
		if err != nil {
			return usageError{fmt.Errorf("-o: %w", err)}
		}

		var log io.Writer = os.Stderr
		if f.quiet {
			log = io.Discard
		}
		if f.target.network == "" && f.target.bootstrap == "" && (f.target.kind == "" || f.target.kind == string(results.KindLocal)) {
			f.target.network = string(w.Network()) // a local cluster is proxied when a fault needs it
		}
		tgt, admin, props, release, err := connect(ctx, f.target, tuning.Broker, drv, log)
		if err != nil {
			return err
		}
		defer release()
		if localShards > 1 {
			return runLocalShards(ctx, flags, tgt, localShards, runID, output, metricsAddr, f.quiet)
		}

		ls, closeSizer := logSizer(ctx, admin, tgt.Bootstrap(), props)
		defer closeSizer()
		m := measurement{target: tgt, admin: admin, logSizer: ls, props: props, host: profiles.DetectHost(tgt.Kind() == results.KindLocal), hw: hw, log: log, quiet: f.quiet, runID: runID}
		if metricsAddr != "" {
			ln, err := net.Listen("tcp", metricsAddr)
			if err != nil {
				return usagef("--metrics-addr: %w", err)
			}
			m.metrics = prometheus.New(runID, shard)
			srv, err := prometheus.Serve(ln, m.metrics)
			if err != nil {
				return err
			}
			defer func() {
				// A last scrape gets the final figures; Ctrl-C ends the wait.
				if metricsLinger > 0 && ctx.Err() == nil {
					fmt.Fprintf(log, "serving metrics until the next scrape, at most %s (Ctrl-C ends)\n", metricsLinger)
				}
				if err := srv.Close(ctx, metricsLinger); err != nil {
					fmt.Fprintf(os.Stderr, "kbench: %v\n", err)
				}
			}()
			fmt.Fprintf(log, "serving metrics at http://%s/metrics\n", ln.Addr())
		}
		var res, merged *results.Run
		var runErr error
		if sh != nil {
			var out distributed.Result
			out, runErr = m.runShard(ctx, w, tuning, drv, f.profiles, *sh)
			res, merged = out.Own, out.Merged
		} else {
			res, runErr = m.run(ctx, w, tuning, drv, f.profiles)
		}
		if res == nil {
			return runErr
		}
		if lc, ok := tgt.(cluster.LogCopier); ok {
			logDir := strings.TrimSuffix(output, ".json") + "-logs"
			if inPlace { // a FIFO or device has no directory of its own
				logDir = filepath.Join(resultsDir, name+"-logs")
			}
			if err := lc.CopyLogs(logDir); err != nil {
				fmt.Fprintf(os.Stderr, "kbench: keeping broker logs: %v\n", err)
			} else {
				res.Cluster.LogDir = logDir
			}
		}
		if err := results.Write(output, res); err != nil {
			return err
		}
		if merged != nil {
			// Shard 0 writes the run's merged result beside its own.
			res, output = merged, mergedPath(output)
			if err := results.Write(output, res); err != nil {
				return err
			}
		}
		if !f.quiet {
			printRunSummary(os.Stdout, res)
		}
		fmt.Fprintf(os.Stderr, "result written to %s\n", output)
		if runErr != nil {
			return runErr
		}
		if ctx.Err() != nil {
			return errInterrupted
		}
		if !res.Complete {
			return errors.New("run incomplete: " + res.Incomplete)
		}
		if err := analysis.RunFailure(res, maxErrorShare); err != nil {
			return fmt.Errorf("run failed: %w", err)
		}
		return nil
	}
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

// measurement is an open target and what every run on it shares: the
// one flow of 'kbench run' and of each sweep point.
type measurement struct {
	target cluster.Target
	admin  drivers.Admin
	// logSizer reads the brokers' log sizes (logSizer's).
	logSizer drivers.LogSizer
	// props are the client properties of every client (connect's).
	props map[string]string
	host  results.Host
	hw    *results.Hardware
	log   io.Writer
	quiet bool
	// runID and metrics are those of a single run; a sweep leaves them
	// empty.
	runID   string
	metrics *prometheus.Metrics
}

// run performs w with drv, showing progress, and completes the result with
// what the command knows (hardware, the profiles' notes).
func (m measurement) run(ctx context.Context, w *workload.Workload, tuning *profiles.Tuning, drv drivers.Driver, profileNames []string) (*results.Run, error) {
	if err := applyClientProps(w, m.props); err != nil {
		return nil, err
	}
	if err := checkProps(drv, w); err != nil { // the client config's, too
		return nil, err
	}
	outs, finish := m.outputs(w)
	cfg := bench.Config{
		Workload: w, Driver: drv, Target: m.target, Admin: m.admin, LogSizer: m.logSizer,
		Version: version, Host: m.host, Outputs: outs, Profiles: profileNames, RunID: m.runID,
	}
	res, err := bench.Run(ctx, cfg)
	finish()
	m.complete(res, tuning)
	return res, err
}

// runShard is run for one shard of a distributed run.
func (m measurement) runShard(ctx context.Context, w *workload.Workload, tuning *profiles.Tuning, drv drivers.Driver, profileNames []string, sh distributed.Shard) (distributed.Result, error) {
	if err := applyClientProps(w, m.props); err != nil {
		return distributed.Result{}, err
	}
	if err := checkProps(drv, w); err != nil {
		return distributed.Result{}, err
	}
	outs, finish := m.outputs(w)
	cfg := bench.Config{
		Workload: w, Driver: drv, Target: m.target, Admin: m.admin, LogSizer: m.logSizer, Outputs: outs,
		Version: version, Host: m.host, Profiles: profileNames, RunID: m.runID,
	}
	out, err := distributed.Run(ctx, cfg, sh)
	finish()
	m.complete(out.Own, tuning)
	m.complete(out.Merged, tuning)
	return out, err
}

// outputs are where a run of w reports as it goes: its progress on
// stderr (a bar on a terminal; elsewhere, as in CI or kubectl logs, plain
// lines), none when quiet, and the served metrics. finish ends the bar.
func (m measurement) outputs(w *workload.Workload) (outs []bench.Output, finish func()) {
	finish = func() {}
	switch {
	case m.quiet:
	case term.IsTerminal(int(os.Stderr.Fd())):
		bar := progress.NewBar(os.Stderr, w)
		outs, finish = append(outs, bar), bar.Finish
	default:
		outs = append(outs, progress.NewLines(m.log))
	}
	if m.metrics != nil {
		outs = append(outs, m.metrics)
	}
	return outs, finish
}

// complete adds to res what the command knows: hardware, the profiles'
// notes.
func (m measurement) complete(res *results.Run, tuning *profiles.Tuning) {
	if res != nil {
		res.Hardware = m.hw
		res.Notes = append(res.Notes, tuning.Notes...)
	}
}

// mergedPath is where shard 0 writes the merged result of a run whose
// own result goes to output.
func mergedPath(output string) string { return strings.TrimSuffix(output, ".json") + "-merged.json" }
