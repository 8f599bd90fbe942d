package bench

import "errors"

// ErrUnreachable marks a run that could not start because no broker of the
// cluster answered.
var ErrUnreachable = errors.New("cluster unreachable")
