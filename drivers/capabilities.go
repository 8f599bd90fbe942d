package drivers

import "context"

// Optional capabilities. A driver's producer or consumer may implement these;
// callers find them by type assertion, e.g.
//
//	if rc, ok := p.(drivers.RetryCounter); ok { retries = rc.Retries() }

// RetryCounter is a producer that can tell how many produce retries its
// client made since it was created. What one retry counts (a batch or a
// request) follows the client library; the driver's doc says which.
type RetryCounter interface {
	Retries() int64
}

// Pinger is a producer that can check that the cluster answers. Ping fails,
// with an error naming the bootstrap addresses, when no broker answers before
// ctx ends.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Assigned is a consumer that can tell how many partitions its group has
// given it. kbench waits until a subscription's consumers hold every
// partition before it starts producing, so that the group's join does not
// show as end-to-end latency. Safe to call while Poll runs.
type Assigned interface {
	AssignedPartitions() int
}
