package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/internal/atomicfile"
	"github.com/kbench/kbench/internal/redact"
)

// sweepSchema is the version tag of the sweep index this package writes.
const sweepSchema = "kbench.sweep/v1"

// SweepIndexFile is the name of a sweep's index in its directory.
const SweepIndexFile = "sweep.json"

// SweepIndex lists a sweep's points, their result files and headline
// figures. A sweep rewrites it after every point, so an interrupted sweep
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

// Vary is one dimension of a sweep: a key Workload.Set accepts and the
// values it takes, in order.
type Vary struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// RateSearch are the settings of a search for the highest rate a cluster
// sustains: run at Start, then grow the rate (times Factor, or plus
// Increment) after every sustained point until one is not sustained, then
// bisect between the last sustained and the first failed rate Bisections
// times.
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

// Validate returns every problem with the search's settings.
func (s RateSearch) Validate() error {
	var errs []error
	if !(s.Start >= 1) || math.IsInf(s.Start, 0) {
		errs = append(errs, fmt.Errorf("start rate must be at least 1 msg/s, got %g", s.Start))
	}
	if !(s.Factor > 1) && !(s.Increment > 0) {
		errs = append(errs, errors.New("step must multiply by more than 1 or add more than 0"))
	}
	if s.Bisections < 0 {
		errs = append(errs, fmt.Errorf("bisections must not be negative, got %d", s.Bisections))
	}
	if s.MaxRate < 0 || (s.MaxRate > 0 && s.MaxRate < s.Start) {
		errs = append(errs, fmt.Errorf("max rate %g must be 0 (no limit) or at least the start rate %g", s.MaxRate, s.Start))
	}
	if !(s.P99MaxMs > 0) {
		errs = append(errs, fmt.Errorf("p99 bound must be above 0, got %g ms", s.P99MaxMs))
	}
	return errors.Join(errs...)
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

// NodesParam is the varied key that sets a point's cluster size: each
// value is a number of nodes, and the point runs on a cluster that large.
const NodesParam = "nodes"

// Nodes is the cluster size the point varies (NodesParam), 0 when it
// varies none or its value is not a number.
func (p SweepPoint) Nodes() int {
	for _, kv := range p.Params {
		if kv.Key == NodesParam {
			n, _ := strconv.Atoi(kv.Value)
			return n
		}
	}
	return 0
}

// Label names the point for people: "acks=1 messageSize=100 durable franz".
func (p SweepPoint) Label() string { return strings.Join(p.parts("="), " ") }

// FileName names the result of the sweep's n-th point (from 1) by its
// number, which keeps names unique and in order, and its values:
// "003-acks-1_messageSize-100_franz.json".
func (p SweepPoint) FileName(n int) string {
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
		parts = append(parts, kv.Key+sep+redact.Value(kv.Key, kv.Value))
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
	// Stopped says why the search ended before it found the cluster's
	// limit (kbench's own bound limited a point), "" if it did not.
	Stopped string `json:"stopped,omitempty"`
}

// Param is the parameter a sweep chart puts on its x axis: the first
// varied key, "" when nothing was varied.
func (idx *SweepIndex) Param() string {
	if len(idx.Vary) == 0 {
		return ""
	}
	return idx.Vary[0].Key
}

// resultPaths lists the result files of the points that wrote one, as
// paths joined to dir, the index's directory.
func (idx *SweepIndex) resultPaths(dir string) []string {
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
	return decodeSweepIndex(data, path)
}

// decodeSweepIndex parses a sweep index; name is used in errors.
func decodeSweepIndex(data []byte, name string) (*SweepIndex, error) {
	var idx SweepIndex
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: not a kbench sweep index: %w", name, err)
	}
	if idx.Schema != sweepSchema {
		return nil, fmt.Errorf("%s: not a kbench sweep index (schema %q, want %q)", name, idx.Schema, sweepSchema)
	}
	return &idx, nil
}

// WriteSweepIndex stores idx as indented JSON at path (see
// WriteFileAtomic), so a reader never sees half an index.
func WriteSweepIndex(path string, idx *SweepIndex) error {
	idx.Schema = sweepSchema
	data, err := json.MarshalIndent(idx.redacted(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode sweep index: %w", err)
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}

// redacted returns a copy of idx whose varied secrets show as redact.Placeholder.
func (idx *SweepIndex) redacted() *SweepIndex {
	c := *idx
	c.Vary = slices.Clone(idx.Vary)
	for i, v := range c.Vary {
		c.Vary[i].Values = slices.Clone(v.Values)
		for j, val := range v.Values {
			c.Vary[i].Values[j] = redact.Value(v.Key, val)
		}
	}
	c.Points = slices.Clone(idx.Points)
	for i := range c.Points {
		c.Points[i].Params = c.Points[i].Params.redacted()
	}
	c.Best = slices.Clone(idx.Best)
	for i := range c.Best {
		c.Best[i].Params = c.Best[i].Params.redacted()
	}
	return &c
}

func (p Params) redacted() Params {
	out := slices.Clone(p)
	for i, kv := range out {
		out[i].Value = redact.Value(kv.Key, kv.Value)
	}
	return out
}
