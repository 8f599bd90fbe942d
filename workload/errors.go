package workload

import (
	"errors"
	"fmt"
)

// ErrBadWorkload marks an error caused by the workload itself (a fault
// schedule the target cannot carry out), as opposed to the cluster or the
// run: errors.Is(err, ErrBadWorkload) tells a caller to fix its input.
var ErrBadWorkload = errors.New("bad workload")

// ErrDriverFile is ParseWorkload's error for an OpenMessaging Benchmark
// driver file, which is a tuning profile, not a workload.
var ErrDriverFile = errors.New("this is an OpenMessaging Benchmark driver file (it has driverClass), not a workload")

// Bad marks err as ErrBadWorkload, keeping err's text.
func Bad(err error) error { return workloadError{err} }

type workloadError struct{ err error }

func (e workloadError) Error() string   { return e.err.Error() }
func (e workloadError) Unwrap() []error { return []error{ErrBadWorkload, e.err} }

// Problems collects every problem found in a workload, each naming its
// field path; Err joins them, one per line.
type Problems []error

// Addf adds a problem at the field path.
func (p *Problems) Addf(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// Err returns the Problems joined, one per line, or nil when there are
// none.
func (p Problems) Err() error { return errors.Join(p...) }
