package bench

import (
	"errors"
	"fmt"
)

// ErrBadWorkload marks an error caused by the workload itself (a fault
// schedule the target cannot carry out), as opposed to the cluster or the
// run: errors.Is(err, ErrBadWorkload) tells a caller to fix its input.
var ErrBadWorkload = errors.New("bad workload")

// ErrUnreachable marks a run that could not start because no broker of the
// cluster answered.
var ErrUnreachable = errors.New("cluster unreachable")

// badWorkload marks err as ErrBadWorkload, keeping err's text.
func badWorkload(err error) error { return workloadError{err} }

type workloadError struct{ err error }

func (e workloadError) Error() string   { return e.err.Error() }
func (e workloadError) Unwrap() []error { return []error{ErrBadWorkload, e.err} }

// problems collects every problem found in a workload, each naming its
// field path; err joins them, one per line.
type problems []error

func (p *problems) addf(path, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

func (p problems) err() error { return errors.Join(p...) }
