package launch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/sweep"
	"github.com/kbench/kbench/workload"
)

// ProfileConflict is two profile alternatives of a sweep that set
// different broker properties, First (the first alternative) and Other.
type ProfileConflict struct {
	First, Other string
	// Kind is the sweep's target kind: on a local cluster the conflict is
	// an error; elsewhere only worth a warning.
	Kind results.ClusterKind
}

// Error says what the conflict means on the Kind of target.
func (c *ProfileConflict) Error() string {
	if c.Kind == results.KindLocal {
		return fmt.Sprintf("profiles %s and %s set different broker properties, but a sweep runs every point on one cluster started with one set of them", c.First, c.Other)
	}
	return fmt.Sprintf("profiles %s and %s differ in broker settings; the %s target does not take broker settings from profiles, so only their topic and client settings differ between points", c.First, c.Other, c.Kind)
}

// SweepBrokerProps returns the broker properties the cluster of a sweep
// comparing the profile alternatives alts (each "a+b", see PointInputs)
// starts with: the first's. Brokers cannot change settings between
// points, so on a local cluster, where kbench applies a profile's broker
// section, alternatives whose broker sections differ are refused (an
// InputError on "profiles" wrapping a ProfileConflict): the sweep would
// compare settings it never applied. Embedded and external targets never
// take broker settings from a profile, so there a conflict is only
// returned beside the properties, for a warning. A profile that does not
// load is workload.LoadTuning's error.
func SweepBrokerProps(kind results.ClusterKind, alts []string) (map[string]string, *ProfileConflict, error) {
	var broker map[string]string
	for i, alt := range alts {
		t, err := workload.LoadTuning(profileList(alt)...)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			broker = t.Broker
			continue
		}
		if maps.Equal(broker, t.Broker) {
			continue
		}
		c := &ProfileConflict{First: alts[0], Other: alt, Kind: kind}
		if kind == results.KindLocal {
			return nil, nil, badInput("profiles", c)
		}
		return broker, c, nil
	}
	return broker, nil, nil
}

// PointInputs returns what workload.Build takes for sweep point p on top
// of the sweep's own sets: the profiles p's alternative composes, and
// sets with p's varied values and rate after them, so they win. A varied
// node count (results.NodesParam) is the cluster's: NodeSweep takes it.
func PointInputs(sets []string, p results.SweepPoint) (profiles, pointSets []string) {
	pointSets = slices.Clip(sets)
	for _, kv := range p.Params {
		if kv.Key == results.NodesParam { // the cluster's, not the workload's
			continue
		}
		pointSets = append(pointSets, kv.Key+"="+kv.Value)
	}
	if p.Rate > 0 {
		pointSets = append(pointSets, "producerRate="+strconv.FormatFloat(p.Rate, 'f', -1, 64))
	}
	return profileList(p.Profile), pointSets
}

// profileList splits a sweep's profile alternative "a+b" into the profiles
// it composes; "" is no profile.
func profileList(alt string) []string {
	if alt == "" {
		return nil
	}
	return strings.Split(alt, "+")
}

// SweepPoint returns a sweep.Config.RunPoint that measures each point on
// s: build makes the point's Point (its error fails that point alone). A
// workload the target refuses, or a cluster that does not answer, fails
// every point alike, so it ends the sweep (sweep.ErrStop). The sweep
// writes each result itself.
func (s *Session) SweepPoint(build func(p results.SweepPoint) (Point, error)) func(ctx context.Context, p results.SweepPoint) (*results.Run, error) {
	return func(ctx context.Context, sp results.SweepPoint) (*results.Run, error) {
		p, err := build(sp)
		if err != nil {
			return nil, err
		}
		res, _, err := s.Measure(ctx, p, nil)
		if errors.Is(err, workload.ErrBadWorkload) || errors.Is(err, bench.ErrUnreachable) {
			err = fmt.Errorf("%w: %w", sweep.ErrStop, err)
		}
		return res, err
	}
}
