package cluster

import (
	"context"
	"testing"
)

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
