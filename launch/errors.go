package launch

import (
	"errors"
	"fmt"
)

// ErrBadInput is wrapped by every error about input that cannot run (a
// target spec, a shard, client properties, a workload the target or the
// driver refuses): nothing ran, and the input must change.
var ErrBadInput = errors.New("bad input")

// InputError is bad input. It wraps ErrBadInput and Err.
type InputError struct {
	// Field names the TargetSpec field, or the Shards argument, at fault
	// (each function says which it uses); "" when no one field is (the
	// client properties as a whole).
	Field string
	// Err says what is wrong. Where Field is set it starts with the
	// field's value, or reads on from the field's name.
	Err error
}

// Error is Err, after Field when it is set.
func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + " " + e.Err.Error()
}

// Unwrap returns ErrBadInput and Err.
func (e *InputError) Unwrap() []error { return []error{ErrBadInput, e.Err} }

func badInput(field string, err error) error { return &InputError{Field: field, Err: err} }

// ReplicasError is a workload replicated more times than the cluster
// started for it has nodes; TargetSpec.Check returns it as the Err of an
// InputError on Nodes.
type ReplicasError struct {
	ReplicationFactor int
	Nodes             int
}

// Error reads on from the field Nodes, as InputError writes it.
func (e *ReplicasError) Error() string {
	return fmt.Sprintf("%d: replicationFactor %d needs at least %d nodes: lower replicationFactor or raise the nodes",
		e.Nodes, e.ReplicationFactor, e.ReplicationFactor)
}

// ErrInProcess is the Err of an InputError on Kind from Shards: an
// embedded cluster lives in this process, so other shards cannot reach it.
var ErrInProcess = errors.New("embedded lives in this process, so other shards cannot reach it: use local or external")

// ErrInterrupted is returned by Run when its context was cancelled after
// it wrote what the run measured until then.
var ErrInterrupted = errors.New("interrupted")

// FailedError is a run that ended and wrote its result but failed: it did
// not complete, or too many of its produces failed (analysis.RunFailure).
type FailedError struct{ Err error }

// Error is Err's.
func (e *FailedError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *FailedError) Unwrap() error { return e.Err }
