package launch

import (
	"errors"
	"slices"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestSweepBrokerProps(t *testing.T) {
	// durable has broker settings; throughput has none.
	alts := []string{"durable", "throughput"}
	_, _, err := SweepBrokerProps(results.KindLocal, alts)
	var c *ProfileConflict
	if !errors.As(err, &c) || !errors.Is(err, ErrBadInput) || c.First != "durable" || c.Other != "throughput" {
		t.Errorf("local: %v, want a ProfileConflict as bad input", err)
	}
	broker, conflict, err := SweepBrokerProps(results.KindExternal, alts)
	if err != nil || conflict == nil || broker["min.insync.replicas"] != "2" {
		t.Errorf("external: %v, %v, %v; want the first's settings and a conflict to warn of", broker, conflict, err)
	}
	// Alternatives that agree on the brokers are no conflict.
	if _, conflict, err := SweepBrokerProps(results.KindLocal, []string{"durable", "durable+throughput"}); err != nil || conflict != nil {
		t.Errorf("agreeing: %v, %v", conflict, err)
	}
	if _, _, err := SweepBrokerProps(results.KindLocal, []string{"nonesuch"}); err == nil {
		t.Error("an unknown profile loaded")
	}
}

func TestPointInputs(t *testing.T) {
	p := results.SweepPoint{Params: results.Params{{Key: "acks", Value: "1"}}, Profile: "durable+throughput", Rate: 1500}
	base := make([]string, 1, 4)
	base[0] = "acks=all"
	profs, sets := PointInputs(base, p)
	if !slices.Equal(profs, []string{"durable", "throughput"}) {
		t.Errorf("profiles %v", profs)
	}
	// The point's values come after the sweep's, so they win.
	if !slices.Equal(sets, []string{"acks=all", "acks=1", "producerRate=1500"}) {
		t.Errorf("sets %v", sets)
	}
	if next := append(base, "x=1"); next[1] != "x=1" || sets[1] != "acks=1" {
		t.Error("the point's sets share the sweep's array")
	}
	if profs, _ := PointInputs(nil, results.SweepPoint{}); profs != nil {
		t.Errorf("no profile: %v", profs)
	}
}
