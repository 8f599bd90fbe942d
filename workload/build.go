package workload

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/profiles"
	"github.com/kbench/kbench/workloads"
)

// Overrides are the settings a caller gives beside the workload file,
// the profiles and the sets, each replacing the file's value. A zero
// Overrides changes nothing.
type Overrides struct {
	// Rate, when not nil, is the producer rate in messages/s (0 is as fast
	// as possible).
	Rate *float64
	// Duration, when not "", is the measurement time: a Go duration such
	// as "30s" or a number of seconds.
	Duration string
	// Messages, when not nil, bounds the run by count.
	Messages *int64
	// Faults are added to the schedule, each in ParseFaultFlag's form.
	Faults []string
	// Topics are added to existingTopics.
	Topics []string
}

// Build makes a run's workload from its inputs, in this order of
// precedence, later winning:
//
//  1. the workload file: a path, or the name of a workload shipped with
//     kbench when no such file exists;
//  2. the tuning profiles, composed in order (see ApplyTuning);
//  3. sets, each "key=value" as Set takes it;
//  4. overrides.
//
// A run's end given by sets or overrides replaces the file's end of the
// other kind: a duration given alone drops the file's messages, messages
// given alone drop the file's duration; given together, the run ends at
// whichever comes first.
//
// The workload is then resolved and checked against this machine's
// memory. Build returns the composed tuning too (its broker settings are
// the target's business). A problem with the file's name or a profile is
// returned alone, as an *InputError; otherwise every problem found is
// listed in a *BuildError.
func Build(file string, profileNames []string, sets []string, o Overrides) (*Workload, *profiles.Tuning, error) {
	w, err := load(file)
	if w == nil {
		return nil, nil, err
	}
	var problems []error
	if err != nil {
		problems = append(problems, err)
	}
	tuning, err := LoadTuning(profileNames...)
	if err != nil {
		return nil, nil, err
	}
	w.ApplyTuning(tuning)

	byTime := o.Duration != "" || setsAny(sets, "duration", "testDurationMinutes")
	byCount := o.Messages != nil || setsAny(sets, "messages")
	switch {
	case byTime && !byCount:
		w.Messages = 0
	case byCount && !byTime:
		w.Duration, w.TestDurationMinutes = 0, 0
	}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			problems = append(problems, &InputError{InputSet, fmt.Errorf("%q: want key=value", kv)})
			continue
		}
		if err := w.Set(k, v); err != nil {
			problems = append(problems, &InputError{InputSet, err})
		}
	}
	if o.Rate != nil {
		if r := *o.Rate; math.IsNaN(r) || math.IsInf(r, 0) {
			problems = append(problems, &InputError{InputRate, fmt.Errorf("must be a number of messages/s, got %g", r)})
		} else if r < 0 {
			problems = append(problems, &InputError{InputRate, fmt.Errorf("must not be negative (0 means as fast as possible), got %g", r)})
		}
		w.ProducerRate = *o.Rate
	}
	if o.Duration != "" {
		d, err := ParseDuration(o.Duration)
		if err != nil || d <= 0 {
			problems = append(problems, &InputError{InputDuration, fmt.Errorf("want a positive duration such as 30s, got %q", o.Duration)})
		} else {
			w.Duration = d
		}
	}
	if o.Messages != nil {
		if *o.Messages < 0 {
			problems = append(problems, &InputError{InputMessages, fmt.Errorf("must not be negative, got %d", *o.Messages)})
		}
		w.Messages = *o.Messages
	}
	for _, spec := range o.Faults {
		fault, err := ParseFaultFlag(spec)
		if err != nil {
			problems = append(problems, &InputError{InputFault, err})
			continue
		}
		w.Faults = append(w.Faults, fault)
	}
	w.ExistingTopics = append(w.ExistingTopics, o.Topics...)
	if err := w.Resolve(); err != nil {
		problems = append(problems, err)
	} else if err := CheckMemory(w, profiles.DetectHost(false).MemoryMiB<<20); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, nil, &BuildError{problems}
	}
	return w, tuning, nil
}

// load reads the workload file, or the shipped workload of that name when
// there is no such file. A workload decoded with problems comes with them.
func load(file string) (*Workload, error) {
	exists := fileExists(file)
	if data, ok := workloads.Lookup(file); ok && !exists {
		w, err := ParseWorkload(data)
		if w != nil && w.Name == "" {
			w.Name = file
		}
		return w, err
	}
	if !exists && !strings.ContainsAny(file, `/\`) && filepath.Ext(file) == "" {
		// A bare name: the user meant a shipped workload.
		return nil, &InputError{InputFile, fmt.Errorf("%s: no such file, and no shipped workload of that name%s; shipped: %s",
			file, drivers.DidYouMean(file, workloads.Names()), strings.Join(workloads.Names(), ", "))}
	}
	return LoadWorkload(file)
}

// LoadTuning loads the named tuning profiles (names or files) and composes
// them in order, later winning; no names give an empty tuning. A profile
// that does not load is an *InputError.
func LoadTuning(names ...string) (*profiles.Tuning, error) {
	if len(names) == 0 {
		return &profiles.Tuning{}, nil
	}
	var ts []*profiles.Tuning
	for _, n := range names {
		t, err := profiles.LoadTuning(n)
		if err != nil {
			return nil, &InputError{InputProfile, fmt.Errorf("%s: %w", n, err)}
		}
		ts = append(ts, t)
	}
	return profiles.Compose(ts...), nil
}

// setsAny reports whether sets give one of the keys.
func setsAny(sets []string, keys ...string) bool {
	for _, kv := range sets {
		k, _, _ := strings.Cut(kv, "=")
		if slices.Contains(keys, strings.TrimSpace(k)) {
			return true
		}
	}
	return false
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Input names one of Build's inputs besides the workload's own fields.
type Input string

// Build's inputs.
const (
	InputFile     Input = "file"     // the workload file or shipped name
	InputProfile  Input = "profile"  // a tuning profile
	InputSet      Input = "set"      // one of the sets
	InputRate     Input = "rate"     // Overrides.Rate
	InputDuration Input = "duration" // Overrides.Duration
	InputMessages Input = "messages" // Overrides.Messages
	InputFault    Input = "fault"    // one of Overrides.Faults
)

// InputError is a problem with one of Build's inputs, which a caller may
// name in its own terms (a command line names its flag). For the file,
// a profile, a set and a fault, Err starts with the value given (a set's
// value redacted when it may be a secret); for the others it says what
// is wrong with the value.
type InputError struct {
	Input Input
	Err   error
}

func (e *InputError) Error() string { return string(e.Input) + ": " + e.Err.Error() }

func (e *InputError) Unwrap() error { return e.Err }

// BuildError lists every problem Build found: *InputError for its
// inputs, and errors naming a workload field path for the file's content
// and the resolved workload.
type BuildError struct {
	Problems []error
}

func (e *BuildError) Error() string {
	return "the workload has problems:\n" + errors.Join(e.Problems...).Error()
}

// Unwrap returns the problems, so errors.Is finds ErrBadWorkload among
// them.
func (e *BuildError) Unwrap() []error { return e.Problems }
