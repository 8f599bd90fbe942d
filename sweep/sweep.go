// Package sweep runs many kbench runs as one experiment: every combination
// of varied workload settings, profiles and drivers (a matrix), or a search
// for the highest rate a cluster sustains at each such combination. It
// writes one result file per point and an index (results.SweepIndex)
// beside them. How one point runs is the caller's: Config.RunPoint.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kbench/kbench/results"
)

// Config is a sweep to run: every point of Matrix(Vary, Profiles,
// Drivers), or, with Search, a rate search at every such point.
type Config struct {
	// Workload names the workload, for the index.
	Workload string
	Vary     []results.Vary
	Profiles []string
	Drivers  []string
	Search   *results.RateSearch
	// Dir receives one result file per point and the index,
	// results.SweepIndexFile.
	Dir string
	// RunPoint performs one point. It should return what it measured even
	// when ctx is cancelled mid-run (as bench.Run does), marked incomplete.
	// An error wrapping ErrStop ends the whole sweep (its input or its
	// cluster is unusable), and Run returns it as it is.
	RunPoint func(ctx context.Context, p results.SweepPoint) (*results.Run, error)
	// Progress, if set, is called after each point.
	Progress func(Progress)
}

// Progress reports a finished point.
type Progress struct {
	// N counts the points run so far, from 1; Of is how many the sweep
	// has in all, 0 when a rate search makes that unknown.
	N, Of int
	Entry results.SweepEntry
}

// Run runs every point of the sweep in turn, writing each point's result
// into cfg.Dir and rewriting the index after each one. A point whose run
// fails is recorded with its error and the sweep goes on (a rate search
// ends at such a point); Run then returns an error counting the failed
// points alongside the index. When ctx is cancelled, Run writes the
// current point's result and the index, marked incomplete, and returns
// ctx's error.
func Run(ctx context.Context, cfg Config) (*results.SweepIndex, error) {
	if cfg.RunPoint == nil {
		return nil, errors.New("sweep.Run: Config.RunPoint is required")
	}
	if cfg.Search != nil {
		if err := cfg.Search.Validate(); err != nil {
			return nil, fmt.Errorf("rate search: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sweep directory: %w", err)
	}
	r := &runner{cfg: cfg, index: &results.SweepIndex{
		Workload: cfg.Workload, Started: time.Now().UTC(),
		Vary: cfg.Vary, Profiles: cfg.Profiles, Drivers: cfg.Drivers, Search: cfg.Search,
		Points: []results.SweepEntry{},
	}}
	if err := r.save(); err != nil {
		return nil, err
	}
	matrix := Matrix(cfg.Vary, cfg.Profiles, cfg.Drivers)
	if cfg.Search == nil {
		r.of = len(matrix)
	}
	for _, base := range matrix {
		var err error
		if cfg.Search == nil {
			_, _, err = r.point(ctx, base)
		} else {
			err = r.search(ctx, base)
		}
		if err != nil {
			return r.index, err
		}
	}
	r.index.Complete = true
	if err := r.save(); err != nil {
		return r.index, err
	}
	if r.failed > 0 {
		return r.index, fmt.Errorf("%d of %d sweep points failed (see the outcomes in %s); the first: %w",
			r.failed, len(r.index.Points), filepath.Join(cfg.Dir, results.SweepIndexFile), r.firstErr)
	}
	return r.index, nil
}

// ErrStop is wrapped by a RunPoint error that must end the sweep rather
// than fail one point.
var ErrStop = errors.New("sweep stopped")

// runner is the state of a running sweep.
type runner struct {
	cfg      Config
	index    *results.SweepIndex
	of       int
	failed   int
	firstErr error
}

func (r *runner) save() error {
	r.index.Updated = time.Now().UTC()
	return results.WriteSweepIndex(filepath.Join(r.cfg.Dir, results.SweepIndexFile), r.index)
}

// point runs one point and records it. It returns the point's result
// (nil if the run measured nothing), whether the run failed, and an error
// that must end the sweep: a result or index that could not be written, or
// an interruption.
func (r *runner) point(ctx context.Context, p results.SweepPoint) (*results.Run, bool, error) {
	n := len(r.index.Points) + 1
	e := results.SweepEntry{SweepPoint: p}
	res, runErr := r.cfg.RunPoint(ctx, p)
	if errors.Is(runErr, ErrStop) && res == nil {
		return nil, false, runErr
	}
	if res != nil {
		e.Result = p.FileName(n)
		if err := results.Write(filepath.Join(r.cfg.Dir, e.Result), res); err != nil {
			return nil, false, err
		}
		s := res.Summary
		e.ProduceRate, e.ConsumeRate, e.P99Ms, e.Errors, e.Complete = s.ProduceRateMsgs, s.ConsumeRateMsgs, s.PublishLatencyMs.P99, s.Errors, res.Complete
	}
	failed := false
	switch {
	case runErr != nil:
		e.Outcome = "error: " + runErr.Error()
		failed = true
	case res == nil:
		e.Outcome = "error: the run returned no result"
		failed = true
	case r.cfg.Search != nil && res.Summary.InFlightCapped:
		e.Outcome = notMeasured(res)
	case r.cfg.Search != nil:
		ok, why := sustained(res, r.cfg.Search.P99MaxMs)
		e.Outcome = "sustained"
		if !ok {
			e.Outcome = "not sustained: " + strings.Join(why, "; ")
		}
	case !res.Complete:
		e.Outcome = "incomplete: " + res.Incomplete
		failed = true
	default:
		e.Outcome = "complete"
	}
	if failed && ctx.Err() == nil { // an interruption is not the point's failure
		r.failed++
		if r.firstErr == nil {
			r.firstErr = fmt.Errorf("point %d (%s): %s", n, p.Label(), e.Outcome)
		}
	}
	r.index.Points = append(r.index.Points, e)
	if err := r.save(); err != nil {
		return nil, false, err
	}
	if r.cfg.Progress != nil {
		r.cfg.Progress(Progress{N: n, Of: r.of, Entry: e})
	}
	if ctx.Err() != nil {
		return nil, false, ctx.Err()
	}
	return res, failed, nil
}

// search runs a rate search at the matrix point base and records the
// highest rate it sustained.
func (r *runner) search(ctx context.Context, base results.SweepPoint) error {
	s := newSearcher(*r.cfg.Search)
	found := results.SearchFound{SweepPoint: base}
	for {
		rate, more := s.next()
		if !more {
			break
		}
		p := base
		p.Rate = rate
		res, failed, err := r.point(ctx, p)
		if err != nil {
			return err
		}
		if failed {
			break // the run itself failed: the search cannot tell anything more
		}
		if res.Summary.InFlightCapped {
			// kbench's bound, not the cluster, set this point: it says
			// nothing of the cluster's limit, nor would higher rates.
			found.Stopped = notMeasured(res)
			break
		}
		ok, _ := sustained(res, r.cfg.Search.P99MaxMs)
		s.record(rate, ok)
	}
	found.MaxRate = s.best()
	r.index.Best = append(r.index.Best, found)
	return r.save()
}

// notMeasured is the outcome of a point whose throughput kbench's own
// in-flight bound limited.
func notMeasured(res *results.Run) string {
	return fmt.Sprintf("not measured: kbench's in-flight bound held the producers back %.0f%% of the time, so the point shows kbench's limit, not the cluster's; raise maxInFlight",
		100*res.Summary.InFlightWaitShare)
}
