package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kbench/kbench/analysis"
	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/distributed"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// Point is one measurement: a built workload (workload.Build) and what
// runs it.
type Point struct {
	Workload *workload.Workload
	// Tuning is the composed tuning profiles that shaped Workload, whose
	// notes go into the result; Profiles names them. nil is none.
	Tuning   *profiles.Tuning
	Profiles []string
	Driver   drivers.Driver
	// Hardware describes brokers kbench did not start, for the result;
	// nil is none.
	Hardware *results.Hardware
	// RunID names the run and its topics; "" makes one up.
	RunID string
	// Version is kbench's version, for the result.
	Version string
	// Notes go into the result: what kbench changed for this point
	// (FitNodes).
	Notes []string
	// BrokerMetrics is bench.Config.BrokerMetrics: where the brokers'
	// figures come from.
	BrokerMetrics []string
	// Outputs, when set, makes the outputs a run of w reports to as it
	// goes; done is called once the engine returns (a progress bar
	// clears itself then).
	Outputs func(w *workload.Workload) (outs []bench.Output, done func())
}

// Measure runs p on s and returns its result, completed with what the
// point knows (hardware, the profiles' notes): the workload takes the
// session's client properties under its own, which the driver must
// accept. With sh it is that shard of a distributed run, and merged is
// the run's merged result on shard 0. A result comes back with an error
// when the run measured something before it failed. A workload the
// target or the driver refuses is an InputError.
func (s *Session) Measure(ctx context.Context, p Point, sh *distributed.Shard) (res, merged *results.Run, err error) {
	if err := applyClientProps(p.Workload, s.props); err != nil {
		return nil, nil, err
	}
	if err := checkProps(p.Driver, p.Workload); err != nil { // the client config's, too
		return nil, nil, err
	}
	s.prepare(ctx)
	var outs []bench.Output
	done := func() {}
	if p.Outputs != nil {
		outs, done = p.Outputs(p.Workload)
	}
	cfg := bench.Config{
		Workload: p.Workload, Driver: p.Driver, Target: s.target, Admin: s.admin, LogSizer: s.sizer,
		Version: p.Version, Host: *s.host, Outputs: outs, Profiles: p.Profiles, RunID: p.RunID,
		BrokerMetrics: p.BrokerMetrics,
	}
	if sh == nil {
		res, err = bench.Run(ctx, cfg)
	} else {
		// The one place a shard of a distributed run starts.
		var out distributed.Result
		out, err = distributed.Run(ctx, cfg, *sh)
		res, merged = out.Own, out.Merged
	}
	done()
	complete(res, p)
	complete(merged, p)
	if errors.Is(err, workload.ErrBadWorkload) {
		err = badInput("", err)
	}
	return res, merged, err
}

// complete adds to res what p knows (hardware, the profiles' notes) and
// names the resource that bounded it.
func complete(res *results.Run, p Point) {
	if res == nil {
		return
	}
	res.Hardware = p.Hardware
	limit := analysis.NameLimit(res)
	res.Limit = &limit
	if p.Tuning != nil {
		res.Notes = append(res.Notes, p.Tuning.Notes...)
	}
	res.Notes = append(res.Notes, p.Notes...)
}

// RunSpec is a run: a point, the shard it is of a distributed run (nil
// for none), where its result goes and how it is judged.
type RunSpec struct {
	Point
	Shard *distributed.Shard
	// Output is the result file (see results.Destination).
	Output string
	// LogDir is where a target that keeps its brokers' logs copies them;
	// "" is beside Output, OUTPUT-logs (a FIFO or device written in place
	// has no directory of its own: give one).
	LogDir string
	// MaxErrorShare fails a run with a larger share of failed produces
	// (analysis.RunFailure).
	MaxErrorShare float64
	// Warn receives problems that do not fail the run (broker logs not
	// kept); nil discards them.
	Warn io.Writer
}

// Run measures spec's point on s, keeps the brokers' logs of a target
// that has them, and writes the result to spec.Output; shard 0 of a
// distributed run also writes the merged result, to distributed.MergedPath(Output).
// It returns the result written last and its path, or nil when nothing
// was written. The error then says how the run ended: the engine's, else
// ErrInterrupted when ctx was cancelled, else a FailedError for a run
// incomplete or with too many failed produces.
func (s *Session) Run(ctx context.Context, spec RunSpec) (*results.Run, string, error) {
	res, merged, runErr := s.Measure(ctx, spec.Point, spec.Shard)
	if res == nil {
		return nil, "", runErr
	}
	if lc, ok := s.target.(cluster.LogCopier); ok {
		dir := spec.LogDir
		if dir == "" {
			dir = strings.TrimSuffix(spec.Output, ".json") + "-logs"
		}
		if err := lc.CopyLogs(dir); err != nil {
			if spec.Warn != nil {
				fmt.Fprintf(spec.Warn, "kbench: keeping broker logs: %v\n", err)
			}
		} else {
			res.Cluster.LogDir = dir
		}
	}
	path := spec.Output
	if err := results.Write(path, res); err != nil {
		return nil, "", err
	}
	if merged != nil {
		res, path = merged, distributed.MergedPath(path)
		if err := results.Write(path, res); err != nil {
			return nil, "", err
		}
	}
	return res, path, judge(ctx, res, runErr, spec.MaxErrorShare)
}

// judge says how a run that wrote res ended.
func judge(ctx context.Context, res *results.Run, runErr error, maxErrorShare float64) error {
	switch {
	case runErr != nil:
		return runErr
	case ctx.Err() != nil:
		return ErrInterrupted
	case !res.Complete:
		return &FailedError{errors.New("run incomplete: " + res.Incomplete)}
	}
	if err := analysis.RunFailure(res, maxErrorShare); err != nil {
		return &FailedError{fmt.Errorf("run failed: %w", err)}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
