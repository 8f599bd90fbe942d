package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestOpenBadSpec(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		field string // the field the error names
	}{
		// Bootstrap addresses belong to an external cluster.
		{"bootstrap for local", Spec{Kind: results.KindLocal, Bootstrap: []string{"h:9092"}}, "Bootstrap"},
		{"unknown kind", Spec{Kind: "cloud"}, "Kind"},
		// Bootstrap alone means external, whose addresses are checked.
		{"bad address", Spec{Bootstrap: []string{"nohost"}}, "Bootstrap"},
		{"bad port", Spec{Bootstrap: []string{"h:0"}}, "Bootstrap"},
		{"external without addresses", Spec{Kind: results.KindExternal}, "Bootstrap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tgt, err := Open(context.Background(), tc.spec)
			if err == nil {
				tgt.Close()
			}
			var se *SpecError
			if !errors.Is(err, ErrBadSpec) || !errors.As(err, &se) || se.Field != tc.field {
				t.Errorf("Open(%+v) = %v; want a SpecError on %s wrapping ErrBadSpec", tc.spec, err, tc.field)
			}
		})
	}
}

func TestOpenKinds(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want results.ClusterKind
	}{
		{Spec{Kind: results.KindEmbedded, Nodes: 2}, results.KindEmbedded},
		{Spec{Bootstrap: []string{"127.0.0.1:9092"}}, results.KindExternal}, // no connection is made
	} {
		tgt, err := Open(context.Background(), tc.spec)
		if err != nil {
			t.Fatalf("Open(%+v): %v", tc.spec, err)
		}
		if tgt.Kind() != tc.want || tgt.Describe().Kind != tc.want {
			t.Errorf("Open(%+v): kind %s, described as %s; want %s", tc.spec, tgt.Kind(), tgt.Describe().Kind, tc.want)
		}
		for range 2 {
			if err := tgt.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}
}

// An embedded target's kill removes the broker until the undo; it runs no
// commands and leaves leader moves to the admin API.
func TestEmbeddedInject(t *testing.T) {
	e, err := StartEmbedded(2)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	undo, err := e.Inject(ctx, Fault{Action: ActionKill, Broker: 1})
	if err != nil || undo == nil {
		t.Fatalf("kill: undo %v, %v", undo != nil, err)
	}
	if err := undo(ctx); err != nil {
		t.Errorf("undo kill: %v", err)
	}
	for _, f := range []Fault{
		{Action: ActionExec, Broker: 0, Command: []string{"true"}},
		{Action: ActionLeaderMove, Broker: 0},
		{Action: ActionKill, Broker: 7},
	} {
		if undo, err := e.Inject(ctx, f); err == nil || undo != nil {
			t.Errorf("Inject(%+v) = undo %v, %v; want an error and no undo", f, undo != nil, err)
		}
	}
}

// exec's undo runs the undo command; a command that ran and failed still
// returns it, one that never started does not.
func TestExternalExecUndo(t *testing.T) {
	e, err := NewExternal([]string{"127.0.0.1:9092"}, map[int32]string{1: "127.0.0.1:9092"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	undo, err := e.Inject(ctx, Fault{Action: ActionExec, Broker: 1, Command: []string{"false"}, UndoCommand: []string{"true"}})
	if err == nil || undo == nil {
		t.Fatalf("failing command: undo %v, %v; want both", undo != nil, err)
	}
	if err := undo(ctx); err != nil {
		t.Errorf("undo: %v", err)
	}
	undo, err = e.Inject(ctx, Fault{Action: ActionExec, Broker: 1, Command: []string{"/no/such/command"}, UndoCommand: []string{"true"}})
	if err == nil || undo != nil {
		t.Errorf("missing command: undo %v, %v; want an error only", undo != nil, err)
	}
	if undo, err := e.Inject(ctx, Fault{Action: ActionExec, Broker: 1, Command: []string{"true"}}); err != nil || undo != nil {
		t.Errorf("no undo command: undo %v, %v; want neither", undo != nil, err)
	}
}
