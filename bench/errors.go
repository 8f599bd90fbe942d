package bench

import "errors"

// ErrBadWorkload is wrapped by Run's errors about a workload that cannot
// run as given on its target, such as a fault schedule the target cannot
// carry out.
var ErrBadWorkload = errors.New("bad workload")
