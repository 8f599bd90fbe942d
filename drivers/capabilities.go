package drivers

import (
	"context"
	"errors"
)

// Optional capabilities. A driver's producer, consumer or admin may
// implement these; callers find them by type assertion, e.g.
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

// LeaderMover is an admin that can move partition leadership, for the
// leader-move fault. Moving a leader needs a partition reassignment
// (AlterPartitionReassignments), which not every client library offers.
type LeaderMover interface {
	// MoveLeader makes a replica other than away the leader of
	// topic-partition, by reordering the replica list so another in-sync
	// replica is preferred and electing the preferred leader. If away
	// does not lead the partition, nothing changes. It returns the leader.
	MoveLeader(ctx context.Context, topic string, partition int32, away int32) (newLeader int32, err error)
	// ElectPreferred runs a preferred-leader election for all partitions
	// of topic.
	ElectPreferred(ctx context.Context, topic string) error
}

// LogSizer is an admin that can tell how many bytes the brokers store for
// a topic (DescribeLogDirs), so a result can set what reached the disks,
// compressed and batched, beside the bytes produced.
type LogSizer interface {
	// LogBytes returns, per partition of topic, the size of its log
	// segments on disk: the largest over its replicas, so one copy is
	// counted, not one per replica.
	LogBytes(ctx context.Context, topic string) (map[int32]int64, error)
}

// ConfigReporter is a producer that can tell the settings that matter when
// drivers are compared, as its client applied them, defaults included,
// under Kafka's property names: acks, enable.idempotence, linger.ms,
// batch.size, compression.type, max.in.flight.requests.per.connection,
// retries, and the client's own buffer bound under its library's name. A
// value the driver cannot tell is "unknown".
type ConfigReporter interface {
	EffectiveConfig() map[string]string
}

// ConfigDescriber is an admin that can read the configuration brokers and
// topics run with (DescribeConfigs): effective values, defaults included,
// so a run can be checked against the cluster's limits before it starts.
type ConfigDescriber interface {
	// BrokerConfigs returns, per broker id of the cluster's metadata, the
	// values of the named broker configs; a name a broker does not report
	// is left out of its map.
	BrokerConfigs(ctx context.Context, names ...string) (map[int32]map[string]string, error)
	// TopicConfigs returns the values of the named configs of topic: its
	// own where it sets them, else the broker default it takes. It fails
	// for a topic that does not exist.
	TopicConfigs(ctx context.Context, topic string, names ...string) (map[string]string, error)
}

// RecordLimiter is a Driver whose producers refuse, before sending, a
// record above a bound of their client library's own.
type RecordLimiter interface {
	// RecordLimit returns that bound for a producer made with props.
	RecordLimit(producer map[string]string) RecordLimit
}

// BatchLimiter is a Driver whose producers build record batches up to a
// bound of their client library's own and, unlike the Java client, do not
// split a batch the brokers refuse as above a topic's max.message.bytes:
// every record in it fails.
type BatchLimiter interface {
	// BatchLimit returns that bound for a producer made with props: Bytes
	// is the largest record batch, before compression, as brokers measure
	// max.message.bytes; Property sets it, and Value - Bytes is what
	// Property counts beside the batch.
	BatchLimit(producer map[string]string) RecordLimit
}

// RecordLimit is a client's bound on the size of one record.
type RecordLimit struct {
	// Bytes bounds, when Batch, the size of a record batch holding the
	// record alone (BatchSize), as brokers measure max.message.bytes;
	// otherwise the record's key and value bytes together.
	Bytes int64
	Batch bool
	// Property is the client property that sets the bound, Value its
	// value (of which Bytes is what a record may take), and Setting says
	// so, e.g. "message.max.bytes=1000000 (librdkafka's default)".
	Property string
	Value    int64
	Setting  string
}

// Transactor is a producer made with a transactional id (the producer
// property transactional.id): the records it produces belong to the
// transaction open at the time, and a read_committed consumer reads them
// only once it commits, never if it aborts. The driver sets the producer
// up for transactions (InitTransactions) before the first Begin.
//
// One transaction is open at a time: Begin, Produce records, then Commit
// or Abort, from one goroutine. Produce is refused (done gets an error)
// outside a transaction.
type Transactor interface {
	// Begin opens a transaction. It fails when the producer can run no
	// more transactions (fenced by another producer with its id, or a
	// fatal client error).
	Begin(ctx context.Context) error
	// Commit waits until every record produced since Begin has
	// completed, then commits the transaction; every record's DoneFunc
	// has run when it returns. nil means it committed:
	// every record of it is stored and visible to read_committed readers.
	// An error wrapping ErrTxnAborted means it was aborted instead (a
	// record failed, or the coordinator refused the commit): none of its
	// records will ever be visible to read_committed readers. Any other
	// error leaves its outcome unknown (a commit request whose answer was
	// lost, a fatal client error): it may have committed or not. A new
	// transaction may Begin after either error; Begin says if it cannot.
	Commit(ctx context.Context) error
	// Abort fails the records not yet sent and aborts the transaction;
	// every record's DoneFunc has run when it returns nil, which means
	// it was aborted.
	Abort(ctx context.Context) error
}

// ErrTxnAborted marks a Transactor's Commit that aborted the transaction.
var ErrTxnAborted = errors.New("transaction aborted")
