package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/results"
)

// SweepSchema is the version tag of the sweep index this package writes.
const SweepSchema = "kbench.sweep/v1"

// IndexFile is the name of a sweep's index in its directory.
const IndexFile = "sweep.json"

// Vary is one dimension of a sweep: a key Workload.Set accepts and the
// values it takes, in order.
type Vary struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// ParseVary reads sweep dimensions written "key=v1,v2,...", one per spec.
// A key may be varied once; every value must be non-empty.
func ParseVary(specs []string) ([]Vary, error) {
	var out []Vary
	seen := map[string]bool{}
	for _, s := range specs {
		key, list, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("--vary %q: want key=value1,value2,..., e.g. acks=1,all", s)
		}
		if seen[key] {
			return nil, fmt.Errorf("--vary %s: the key is varied twice; give all its values in one --vary", key)
		}
		seen[key] = true
		v := Vary{Key: key}
		for _, val := range strings.Split(list, ",") {
			val = strings.TrimSpace(val)
			if val == "" {
				return nil, fmt.Errorf("--vary %q: empty value; list values separated by commas, e.g. %s=1,all", s, key)
			}
			v.Values = append(v.Values, val)
		}
		out = append(out, v)
	}
	return out, nil
}

// ParamValue is the value one varied key takes at a sweep point.
type ParamValue struct {
	Key, Value string
}

// Params are the values of a point's varied keys, in the order of the
// sweep's Vary list. In JSON they are one object, {"acks": "1",
// "messageSize": "100"}, its keys in that order.
type Params []ParamValue

// MarshalJSON writes p as an object, keeping its order.
func (p Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		v, _ := json.Marshal(kv.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of string values in its order.
func (p *Params) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("params: want an object of key to value, got %s", data)
	}
	*p = nil
	for dec.More() {
		var kv ParamValue
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("params: %w", err)
		}
		kv.Key, _ = t.(string)
		if err := dec.Decode(&kv.Value); err != nil {
			return fmt.Errorf("params.%s: %w", kv.Key, err)
		}
		*p = append(*p, kv)
	}
	return nil
}

// SweepPoint is one combination of a sweep: one full run.
type SweepPoint struct {
	Params Params `json:"params,omitempty"`
	// Profile is the point's tuning profile: "" for none, "a+b" for a
	// composed with b.
	Profile string `json:"profile,omitempty"`
	Driver  string `json:"driver"`
	// Rate is the target rate (messages/s) of a rate search's point; 0
	// outside a rate search.
	Rate float64 `json:"rate,omitempty"`
}

// Label names the point for people: "acks=1 messageSize=100 durable franz".
func (p SweepPoint) Label() string { return strings.Join(p.parts("="), " ") }

// fileName names the result of the sweep's n-th point (from 1) by its
// number, which keeps names unique and in order, and its values:
// "003-acks-1_messageSize-100_franz.json".
func (p SweepPoint) fileName(n int) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '+':
			return r
		}
		return '-'
	}, strings.Join(p.parts("-"), "_"))
	return fmt.Sprintf("%03d-%s.json", n, name)
}

// parts lists the point's values, each parameter as key, sep, value, then
// the rate, profile and driver.
func (p SweepPoint) parts(sep string) []string {
	var parts []string
	for _, kv := range p.Params {
		parts = append(parts, kv.Key+sep+kv.Value)
	}
	if p.Rate > 0 {
		parts = append(parts, "rate"+sep+strconv.FormatFloat(p.Rate, 'f', -1, 64))
	}
	for _, s := range []string{p.Profile, p.Driver} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return parts
}

// Matrix returns every combination of the drivers, the profiles and the
// varied values, drivers outermost and the last Vary changing fastest. An
// empty profiles or drivers list counts as the single value "".
func Matrix(vary []Vary, profiles, drivers []string) []SweepPoint {
	if len(profiles) == 0 {
		profiles = []string{""}
	}
	if len(drivers) == 0 {
		drivers = []string{""}
	}
	var out []SweepPoint
	for _, d := range drivers {
		for _, prof := range profiles {
			params := []Params{nil}
			for _, v := range vary {
				var next []Params
				for _, prefix := range params {
					for _, val := range v.Values {
						kv := append(append(Params(nil), prefix...), ParamValue{v.Key, val})
						next = append(next, kv)
					}
				}
				params = next
			}
			for _, kv := range params {
				out = append(out, SweepPoint{Params: kv, Profile: prof, Driver: d})
			}
		}
	}
	return out
}

// RateSearch finds the highest rate a cluster sustains: it runs at Start,
// then grows the rate (times Factor, or plus Increment) after every
// sustained point until one is not sustained, then bisects between the last
// sustained and the first failed rate Bisections times.
type RateSearch struct {
	// Start is the first rate tried, messages/s.
	Start float64 `json:"start"`
	// Factor > 1 multiplies the rate at each step up; when it is 0,
	// Increment is added instead.
	Factor    float64 `json:"factor,omitempty"`
	Increment float64 `json:"increment,omitempty"`
	// Bisections is how many points are spent narrowing the gap between
	// the last sustained and the first failed rate.
	Bisections int `json:"bisections"`
	// MaxRate, if above 0, is a rate the search never goes past; reaching
	// it sustained ends the search.
	MaxRate float64 `json:"max_rate,omitempty"`
	// P99MaxMs is the publish p99 bound a sustained point stays within.
	P99MaxMs float64 `json:"p99_max_ms"`
}

// ParseStep reads a rate search's step: "x2" (or "*2") multiplies, "+1000"
// adds.
func ParseStep(s string) (factor, increment float64, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, errors.New("empty step; use x2 to double or +1000 to add 1000 msgs/s")
	}
	v, perr := strconv.ParseFloat(s[1:], 64)
	switch {
	case (s[0] == 'x' || s[0] == '*') && perr == nil && v > 1 && !math.IsInf(v, 0):
		return v, 0, nil
	case s[0] == '+' && perr == nil && v > 0 && !math.IsInf(v, 0):
		return 0, v, nil
	}
	return 0, 0, fmt.Errorf("step %q: use xF with F above 1 (x2 doubles) or +N with N above 0 (+1000 adds 1000 msgs/s)", s)
}

// Validate returns every problem with the search's settings.
func (s RateSearch) Validate() error {
	var p Problems
	if !(s.Start >= 1) || math.IsInf(s.Start, 0) {
		p = append(p, fmt.Errorf("start rate must be at least 1 msg/s, got %g", s.Start))
	}
	if !(s.Factor > 1) && !(s.Increment > 0) {
		p = append(p, errors.New("step must multiply by more than 1 or add more than 0"))
	}
	if s.Bisections < 0 {
		p = append(p, fmt.Errorf("bisections must not be negative, got %d", s.Bisections))
	}
	if s.MaxRate < 0 || (s.MaxRate > 0 && s.MaxRate < s.Start) {
		p = append(p, fmt.Errorf("max rate %g must be 0 (no limit) or at least the start rate %g", s.MaxRate, s.Start))
	}
	if !(s.P99MaxMs > 0) {
		p = append(p, fmt.Errorf("p99 bound must be above 0, got %g ms", s.P99MaxMs))
	}
	if len(p) > 0 {
		return p
	}
	return nil
}

// Searcher is the state of one rate search. Call Next for the rate to try,
// run it, Record the outcome, and repeat until Next says done; Best is then
// the answer. A Searcher is not safe for use from several goroutines.
type Searcher struct {
	spec    RateSearch
	started bool
	// good is the highest sustained rate, bad the lowest failed one (0:
	// none yet); bisected counts the points tried since bad was found.
	good, bad float64
	bisected  int
}

// NewSearcher starts a search; spec must be valid (RateSearch.Validate).
func NewSearcher(spec RateSearch) *Searcher { return &Searcher{spec: spec} }

// Next returns the next rate to try, or false when the search is over.
// Rates are whole messages per second.
func (s *Searcher) Next() (float64, bool) {
	if !s.started {
		return s.spec.Start, true
	}
	if s.bad == 0 {
		if s.spec.MaxRate > 0 && s.good >= s.spec.MaxRate {
			return 0, false
		}
		next := s.good + s.spec.Increment
		if s.spec.Factor > 1 {
			next = s.good * s.spec.Factor
		}
		// At least one message per second more, or a small step rounds
		// back to the same rate forever.
		next = max(math.Round(next), s.good+1)
		if s.spec.MaxRate > 0 {
			next = min(next, s.spec.MaxRate)
		}
		return next, true
	}
	if s.bisected >= s.spec.Bisections {
		return 0, false
	}
	mid := math.Round((s.good + s.bad) / 2)
	if mid <= s.good || mid >= s.bad {
		return 0, false // the gap is below one message per second
	}
	return mid, true
}

// Record notes whether the rate was sustained.
func (s *Searcher) Record(rate float64, sustained bool) {
	s.started = true
	if s.bad != 0 {
		s.bisected++
	}
	switch {
	case sustained && rate > s.good:
		s.good = rate
	case !sustained && (s.bad == 0 || rate < s.bad):
		s.bad = rate
	}
}

// Best returns the highest sustained rate so far, 0 if none.
func (s *Searcher) Best() float64 { return s.good }

// Sustained judges a rate search's point. A run sustains its target rate
// when it completed without errors, achieved at least 95% of the target,
// kept publish p99 within p99MaxMs, and, if consumers ran, they read at
// least 95% of the produce rate. Otherwise the reasons say what failed.
func Sustained(res *results.Run, p99MaxMs float64) (bool, []string) {
	s := res.Summary
	var why []string
	if !res.Complete {
		why = append(why, "incomplete: "+res.Incomplete)
	}
	if s.Errors > 0 {
		why = append(why, fmt.Sprintf("%d errors", s.Errors))
	}
	if s.TargetRate > 0 && s.ProduceRateMsgs < 0.95*s.TargetRate {
		why = append(why, fmt.Sprintf("achieved %.0f msgs/s, below 95%% of the target %.0f", s.ProduceRateMsgs, s.TargetRate))
	}
	if s.PublishLatencyMs.P99 > p99MaxMs {
		why = append(why, fmt.Sprintf("publish p99 %.1f ms over the bound %g ms", s.PublishLatencyMs.P99, p99MaxMs))
	}
	if (res.Verify != nil || s.ConsumedMessages > 0) && s.ConsumeRateMsgs < 0.95*s.ProduceRateMsgs {
		why = append(why, fmt.Sprintf("consumers read %.0f msgs/s, below 95%% of the %.0f produced", s.ConsumeRateMsgs, s.ProduceRateMsgs))
	}
	return len(why) == 0, why
}

// SweepIndex lists a sweep's points, their result files and headline
// figures. Sweep rewrites it after every point, so an interrupted sweep
// still describes what it measured.
type SweepIndex struct {
	Schema   string    `json:"schema"`
	Workload string    `json:"workload"`
	Started  time.Time `json:"started"`
	Updated  time.Time `json:"updated"`
	// Complete is true once the sweep ran to its end, uninterrupted.
	Complete bool     `json:"complete"`
	Vary     []Vary   `json:"vary,omitempty"`
	Profiles []string `json:"profiles,omitempty"`
	Drivers  []string `json:"drivers"`
	// Search is the rate search each matrix point ran, nil for none.
	Search *RateSearch   `json:"rate_search,omitempty"`
	Points []SweepEntry  `json:"points"`
	Best   []SearchFound `json:"max_rates,omitempty"`
}

// SweepEntry is one point of a sweep index.
type SweepEntry struct {
	SweepPoint
	// Result is the point's result file, relative to the index's
	// directory; empty if the run ended before it measured anything.
	Result      string  `json:"result,omitempty"`
	ProduceRate float64 `json:"produce_rate_msgs"`
	ConsumeRate float64 `json:"consume_rate_msgs"`
	P99Ms       float64 `json:"publish_p99_ms"`
	Errors      int64   `json:"errors"`
	Complete    bool    `json:"complete"`
	// Outcome is "complete", "incomplete: why" or "error: what" for a
	// matrix point; "sustained" or "not sustained: why" in a rate search.
	Outcome string `json:"outcome"`
}

// SearchFound is the outcome of one rate search of a sweep.
type SearchFound struct {
	SweepPoint
	// MaxRate is the highest target rate sustained, 0 if none was.
	MaxRate float64 `json:"max_rate_msgs"`
}

// Param is the parameter a sweep chart puts on its x axis: the first
// varied key, "" when nothing was varied.
func (idx *SweepIndex) Param() string {
	if len(idx.Vary) == 0 {
		return ""
	}
	return idx.Vary[0].Key
}

// ResultPaths lists the result files of the points that wrote one, as
// paths joined to dir, the index's directory.
func (idx *SweepIndex) ResultPaths(dir string) []string {
	var out []string
	for _, e := range idx.Points {
		if e.Result != "" {
			out = append(out, filepath.Join(dir, e.Result))
		}
	}
	return out
}

// ReadSweepIndex loads a sweep index, refusing one of another schema.
func ReadSweepIndex(path string) (*SweepIndex, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeSweepIndex(data, path)
}

// DecodeSweepIndex parses a sweep index; name is used in errors.
func DecodeSweepIndex(data []byte, name string) (*SweepIndex, error) {
	var idx SweepIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: not a kbench sweep index: %w", name, err)
	}
	if idx.Schema != SweepSchema {
		return nil, fmt.Errorf("%s: not a kbench sweep index (schema %q, want %q)", name, idx.Schema, SweepSchema)
	}
	return &idx, nil
}

// WriteSweepIndex stores idx as indented JSON at path atomically (a
// temporary file renamed over it), so a reader never sees half an index.
func WriteSweepIndex(path string, idx *SweepIndex) error {
	idx.Schema = SweepSchema
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sweep index: %w", err)
	}
	return results.WriteFileAtomic(path, append(data, '\n'), 0o644)
}

// SweepConfig is a sweep to run: every point of Matrix(Vary, Profiles,
// Drivers), or, with Search, a rate search at every such point.
type SweepConfig struct {
	// Workload names the workload, for the index.
	Workload string
	Vary     []Vary
	Profiles []string
	Drivers  []string
	Search   *RateSearch
	// Dir receives one result file per point and the index, IndexFile.
	Dir string
	// Run performs one point. It should return what it measured even
	// when ctx is cancelled mid-run (as Run does), marked incomplete.
	Run func(ctx context.Context, p SweepPoint) (*results.Run, error)
	// Progress, if set, is called after each point.
	Progress func(SweepProgress)
}

// SweepProgress reports a finished point.
type SweepProgress struct {
	// N counts the points run so far, from 1; Of is how many the sweep
	// has in all, 0 when a rate search makes that unknown.
	N, Of int
	Entry SweepEntry
}

// Sweep runs every point of the sweep in turn, writing each point's result
// into cfg.Dir and rewriting the index after each one. A point whose run
// fails is recorded with its error and the sweep goes on (a rate search
// ends at such a point); Sweep then returns an error counting the failed
// points alongside the index. When ctx is cancelled, Sweep writes the
// current point's result and the index, marked incomplete, and returns
// ctx's error.
func Sweep(ctx context.Context, cfg SweepConfig) (*SweepIndex, error) {
	if cfg.Run == nil {
		return nil, errors.New("bench.Sweep: Run is required")
	}
	if cfg.Search != nil {
		if err := cfg.Search.Validate(); err != nil {
			return nil, fmt.Errorf("rate search: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sweep directory: %w", err)
	}
	sw := &sweep{cfg: cfg, index: &SweepIndex{
		Workload: cfg.Workload, Started: time.Now().UTC(),
		Vary: cfg.Vary, Profiles: cfg.Profiles, Drivers: cfg.Drivers, Search: cfg.Search,
		Points: []SweepEntry{},
	}}
	if err := sw.save(); err != nil {
		return nil, err
	}
	matrix := Matrix(cfg.Vary, cfg.Profiles, cfg.Drivers)
	if cfg.Search == nil {
		sw.of = len(matrix)
	}
	for _, base := range matrix {
		var err error
		if cfg.Search == nil {
			_, _, err = sw.point(ctx, base)
		} else {
			err = sw.search(ctx, base)
		}
		if err != nil {
			return sw.index, err
		}
	}
	sw.index.Complete = true
	if err := sw.save(); err != nil {
		return sw.index, err
	}
	if sw.failed > 0 {
		return sw.index, fmt.Errorf("%d of %d sweep points failed (see the outcomes in %s); the first: %w",
			sw.failed, len(sw.index.Points), filepath.Join(cfg.Dir, IndexFile), sw.firstErr)
	}
	return sw.index, nil
}

// sweep is the state of a running Sweep.
type sweep struct {
	cfg      SweepConfig
	index    *SweepIndex
	of       int
	failed   int
	firstErr error
}

func (sw *sweep) save() error {
	sw.index.Updated = time.Now().UTC()
	return WriteSweepIndex(filepath.Join(sw.cfg.Dir, IndexFile), sw.index)
}

// point runs one point and records it. It returns the point's result
// (nil if the run measured nothing), whether the run failed, and an error
// that must end the sweep: a result or index that could not be written, or
// an interruption.
func (sw *sweep) point(ctx context.Context, p SweepPoint) (*results.Run, bool, error) {
	n := len(sw.index.Points) + 1
	e := SweepEntry{SweepPoint: p}
	res, runErr := sw.cfg.Run(ctx, p)
	if res != nil {
		e.Result = p.fileName(n)
		if err := results.Write(filepath.Join(sw.cfg.Dir, e.Result), res); err != nil {
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
	case sw.cfg.Search != nil:
		ok, why := Sustained(res, sw.cfg.Search.P99MaxMs)
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
		sw.failed++
		if sw.firstErr == nil {
			sw.firstErr = fmt.Errorf("point %d (%s): %s", n, p.Label(), e.Outcome)
		}
	}
	sw.index.Points = append(sw.index.Points, e)
	if err := sw.save(); err != nil {
		return nil, false, err
	}
	if sw.cfg.Progress != nil {
		sw.cfg.Progress(SweepProgress{N: n, Of: sw.of, Entry: e})
	}
	if ctx.Err() != nil {
		return nil, false, ctx.Err()
	}
	return res, failed, nil
}

// search runs a rate search at the matrix point base and records the
// highest rate it sustained.
func (sw *sweep) search(ctx context.Context, base SweepPoint) error {
	s := NewSearcher(*sw.cfg.Search)
	for {
		rate, more := s.Next()
		if !more {
			break
		}
		p := base
		p.Rate = rate
		res, failed, err := sw.point(ctx, p)
		if err != nil {
			return err
		}
		if failed {
			break // the run itself failed: the search cannot tell anything more
		}
		ok, _ := Sustained(res, sw.cfg.Search.P99MaxMs)
		s.Record(rate, ok)
	}
	sw.index.Best = append(sw.index.Best, SearchFound{SweepPoint: base, MaxRate: s.Best()})
	return sw.save()
}
