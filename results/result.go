// Package results defines kbench's result file: one versioned JSON document
// per run, holding everything needed to reproduce, re-plot or compare the run
// later without the cluster. The names in Summary are a public contract
// (see docs/results.md): add fields, never rename or remove them within a
// schema version. A sweep's index (SweepIndex) lists the result files of
// its points; Load reads results and indexes alike.
package results

import (
	"encoding/json"
	"time"
)

// Schema is the version tag of the result format this package writes:
// v1.1 adds distributed runs (RunID, Shard, Shards) to v1, v1.2 the
// workload's Shape, v1.3 Telemetry and Limit; it reads every v1.x result.
const Schema = schemaV1 + ".3"

const schemaV1 = "kbench.result/v1"

// Run is one run's result.
type Run struct {
	Schema string `json:"schema"`
	// Complete is false when the run was interrupted (Ctrl-C, an error
	// mid-run); what was measured up to then is still here.
	Complete bool `json:"complete"`
	// Incomplete says why the run did not complete.
	Incomplete string    `json:"incomplete,omitempty"`
	Name       string    `json:"name"`
	Kbench     string    `json:"kbench_version"`
	Started    time.Time `json:"started"`
	Ended      time.Time `json:"ended"`
	// MeasureStart is when the warm-up ended and measurement began.
	MeasureStart time.Time `json:"measure_start"`

	// Workload is the resolved workload, every default filled in.
	Workload json.RawMessage `json:"workload"`
	// Shape is what readers of the result need of the workload, typed.
	Shape Shape `json:"shape"`
	// Profiles names the tuning profiles applied, in order.
	Profiles []string `json:"profiles,omitempty"`
	Driver   Driver   `json:"driver"`
	Client   Client   `json:"client"`
	Cluster  Cluster  `json:"cluster"`
	Host     Host     `json:"host"`
	// Hardware describes the brokers' machines when kbench did not start
	// them (a named hardware profile), else it is empty.
	Hardware *Hardware `json:"hardware,omitempty"`

	Summary   Summary    `json:"summary"`
	Intervals []Interval `json:"intervals"`
	// Histograms of the measurement window (warm-up excluded), merged over
	// every producer and consumer.
	Histograms Histograms `json:"histograms"`
	Faults     []Fault    `json:"faults,omitempty"`
	Failover   []Failover `json:"failover,omitempty"`
	// ISR are the leader and ISR changes of the run's partitions seen
	// while a fault schedule ran.
	ISR []ISREvent `json:"isr,omitempty"`
	// Verify is the loss/duplication/order check, when consumers ran.
	Verify *Verify `json:"verify,omitempty"`
	// Telemetry is what kbench's process and the brokers spent, per
	// interval; absent in results written before it existed.
	Telemetry *Telemetry `json:"telemetry,omitempty"`
	// Limit names the resource that bounded the run (analysis.NameLimit).
	Limit *Limit `json:"limit,omitempty"`
	// Notes are caveats a reader must see, e.g. that the embedded target
	// has no replication.
	Notes []string `json:"notes,omitempty"`

	// RunID names a distributed run; its shards' results and the merged
	// one carry it.
	RunID string `json:"run_id,omitempty"`
	// Shard is set in the result of one shard of a distributed run.
	Shard *Shard `json:"shard,omitempty"`
	// Shards lists every shard of a merged result, those that failed or
	// never reported included.
	Shards []ShardInfo `json:"shards,omitempty"`
}

// Driver names the client driver and library of a run.
type Driver struct {
	Name    string `json:"name"`
	Library string `json:"library"`
}

// Client holds the client properties the run used, secrets removed.
type Client struct {
	Producer map[string]string `json:"producer"`
	Consumer map[string]string `json:"consumer"`
	// EffectiveProducer holds the settings that matter when drivers are
	// compared (acks, enable.idempotence, linger.ms, batch.size,
	// compression.type, max.in.flight.requests.per.connection, retries,
	// the client's buffer bound), as the driver applied them, defaults
	// included; absent when the driver cannot tell.
	EffectiveProducer map[string]string `json:"effective_producer,omitempty"`
}

// AddRetries returns the sum of a and b, each nil when unknown: nil only
// when both are.
func AddRetries(a, b *int64) *int64 {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	n := *a + *b
	return &n
}

// Cluster describes the target of a run.
type Cluster struct {
	Kind      ClusterKind `json:"kind"`
	Bootstrap []string    `json:"bootstrap"`
	// Network is proxied when every link passed through kbench's proxies
	// (a local cluster started so); direct or empty otherwise.
	Network      Network `json:"network,omitempty"`
	KafkaVersion string  `json:"kafka_version,omitempty"`
	Nodes        []Node  `json:"nodes,omitempty"`
	// BrokerProps are the broker properties common to every node.
	BrokerProps map[string]string `json:"broker_props,omitempty"`
	// Topics are the topics the run wrote or read (kept after the run
	// with keepTopics, or existing ones).
	Topics []string `json:"topics,omitempty"`
	// TopicConfig are the topic-level configs the run's topics were
	// created with.
	TopicConfig       map[string]string `json:"topic_config,omitempty"`
	ReplicationFactor int               `json:"replication_factor,omitempty"`
	// LogDir is where the brokers' logs were kept, beside the result.
	LogDir string `json:"log_dir,omitempty"`
}

// Node is one broker or controller process of a cluster.
type Node struct {
	ID      int32    `json:"id"`
	Roles   []string `json:"roles,omitempty"`
	Address string   `json:"address"`
	// Controller is the node's controller listener, if any.
	Controller string `json:"controller,omitempty"`
	LogDirs    string `json:"log_dirs,omitempty"`
}

// Host describes the machine kbench ran on, as detected.
type Host struct {
	Hostname  string `json:"hostname"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel,omitempty"`
	CPUModel  string `json:"cpu_model,omitempty"`
	CPUs      int    `json:"cpus"`
	MemoryMiB int64  `json:"memory_mib,omitempty"`
	Disks     []Disk `json:"disks,omitempty"`
	Go        string `json:"go"`
	Java      string `json:"java,omitempty"`
}

// Disk is one block device of a host.
type Disk struct {
	Name       string `json:"name"`
	SizeGiB    int64  `json:"size_gib,omitempty"`
	Rotational bool   `json:"rotational"`
}

// Hardware is a named hardware profile describing machines kbench did not
// detect itself.
type Hardware struct {
	Name    string `json:"name"`
	Brokers int    `json:"brokers,omitempty"`
	Host    Host   `json:"host"`
	Network string `json:"network,omitempty"`
	Notes   string `json:"notes,omitempty"`
}

// Summary holds the headline figures of the measurement window. Message and
// byte counts cover the whole run (warm-up included), so they can be checked
// against the brokers' end offsets; rates and latencies cover the
// measurement window only.
type Summary struct {
	DurationS        float64 `json:"duration_s"`
	ProducedMessages int64   `json:"produced_messages"`
	ProducedBytes    int64   `json:"produced_bytes"`
	ConsumedMessages int64   `json:"consumed_messages"`
	ConsumedBytes    int64   `json:"consumed_bytes"`
	// StoredBytes is what the brokers hold for the run's topics on disk
	// after it (one replica of each partition: batched, compressed, with
	// record overhead, keys and stamps), beside ProducedBytes (values as
	// produced), so compression shows; absent when the admin client
	// cannot tell.
	StoredBytes *int64 `json:"stored_bytes,omitempty"`
	// Rates: messages (or MiB, 2^20 bytes) per second over the
	// measurement window.
	ProduceRateMsgs float64 `json:"produce_rate_msgs"`
	ProduceRateMiB  float64 `json:"produce_rate_mib"`
	ConsumeRateMsgs float64 `json:"consume_rate_msgs"`
	ConsumeRateMiB  float64 `json:"consume_rate_mib"`
	// Subscriptions holds each subscription's own consumption: every
	// subscription reads everything, so each must keep up on its own (the
	// consume figures above are their sums).
	Subscriptions []Subscription `json:"subscriptions,omitempty"`
	// TargetRate is the open model's rate (messages/s), 0 for closed.
	TargetRate float64 `json:"target_rate"`
	// Errors counts failed produces; ErrorsByKind splits them by kind.
	Errors       int64            `json:"errors"`
	ErrorsByKind map[string]int64 `json:"errors_by_kind,omitempty"`
	// ConsumeErrors counts errors consumers' polls returned (the client
	// retries them; a broker failing over causes some).
	ConsumeErrors int64 `json:"consume_errors"`
	// LateSends counts sends issued more than the pacing tolerance (1 ms)
	// after their intended time (open model only); LateShare is their
	// share of the sends issued.
	LateSends int64   `json:"late_sends"`
	LateShare float64 `json:"late_share"`
	// Unsent counts the messages due by the end of a time-bounded open-model
	// run that were never sent: the target rate was not reached (a note
	// says so). UnsentShare is their share of the messages due, sent or
	// not (warm-up included).
	Unsent      int64   `json:"unsent"`
	UnsentShare float64 `json:"unsent_share"`
	// SendLagMs is the open model's send lag: the time a send was issued
	// minus its intended time, kbench's own delay (its pacer, a full
	// in-flight bound, a client blocking in Produce); empty when closed.
	SendLagMs Latency `json:"send_lag_ms"`
	// InFlightWaitShare is the share of the producers' time, over the
	// measurement window, spent waiting for a free in-flight slot
	// (maxInFlight); InFlightCapped is set when it is material (5% or
	// more) in the closed model: kbench's own bound, not the cluster,
	// limited throughput. (In the open model the wait is measured as
	// latency, and a note says so.)
	InFlightWaitShare float64 `json:"in_flight_wait_share"`
	InFlightCapped    bool    `json:"in_flight_capped,omitempty"`
	// DroppedSamples counts latencies no histogram could hold (outside
	// its range); the percentiles leave them out, and a note says so.
	DroppedSamples int64 `json:"dropped_samples"`
	// E2ENegative counts end-to-end latencies below zero, which count as
	// 1 µs in the percentiles: they show clock skew between the producing
	// and the consuming process.
	E2ENegative int64 `json:"e2e_negative,omitempty"`
	// Retries made by the clients; absent where the driver cannot count
	// them (unknown, not 0).
	Retries *int64 `json:"retries,omitempty"`
	// Publish latency: intended send time to acknowledgement.
	PublishLatencyMs Latency `json:"publish_latency_ms"`
	// End-to-end latency: the send time carried in the message to its
	// receipt by a consumer.
	E2ELatencyMs Latency `json:"e2e_latency_ms"`
	// Verification counts (see Verify); zero when no consumer ran.
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
	// Unverified: acknowledged, not consumed, by consumers that did not
	// reach the end offsets (the drain ran out, or the run was
	// interrupted), so neither lost nor known to be kept.
	Unverified int64 `json:"unverified"`
	// Backlog is a backlog run's build and drain (consumerBacklogSizeGB).
	Backlog *Backlog `json:"backlog,omitempty"`
	// Transactions are a transactional run's (useTransactions). In such a
	// run a message counts as produced, and its publish latency ends,
	// when its transaction commits, not when the broker acknowledges it.
	Transactions *Transactions `json:"transactions,omitempty"`
	// Transform are the transformers' transactions, in a run with a
	// consume-transform-produce stage (transformsPerTopic): each commits
	// the records it wrote with the offsets it read.
	Transform *Transactions `json:"transform,omitempty"`
}

// Transactions are the transactions of a run's producers.
type Transactions struct {
	// Committed, Aborted and InDoubt count transactions over the whole
	// run: InDoubt are those whose commit ended without telling its
	// outcome (a lost answer, a fatal client error).
	Committed int64 `json:"committed"`
	Aborted   int64 `json:"aborted"`
	InDoubt   int64 `json:"in_doubt"`
	// AbortedByKind says why transactions were aborted: the error kind
	// of what failed (a record, the commit), or "stopped" for those the
	// run aborted as it was interrupted.
	AbortedByKind map[string]int64 `json:"aborted_by_kind,omitempty"`
	// AbortedMessages counts the messages sent in aborted transactions.
	AbortedMessages int64 `json:"aborted_messages"`
	// CommittedMessages counts the messages written in committed
	// transactions by transformers (the producers' are
	// Summary.ProducedMessages).
	CommittedMessages int64 `json:"committed_messages,omitempty"`
	// RatePerS is the transactions committed per second over the
	// measurement window (those begun after the warm-up).
	RatePerS float64 `json:"rate_per_s"`
	// CommitLatencyMs is the time the commit call took: flushing the
	// transaction's records, then committing with the coordinator.
	CommitLatencyMs Latency `json:"commit_latency_ms"`
}

// Subscription is one subscription's (consumer group's) consumption.
type Subscription struct {
	ConsumedMessages int64 `json:"consumed_messages"`
	// ConsumeRateMsgs counts the messages meant for the measurement
	// window it consumed, per second from the warm-up's end to its last
	// consumed message.
	ConsumeRateMsgs float64 `json:"consume_rate_msgs"`
}

// Latency is a latency distribution in milliseconds.
type Latency struct {
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99.9"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	Count int64   `json:"count"`
}

// Interval is one slice (default 1 s) of the run's timeline.
type Interval struct {
	// Start and End are offsets from the run's start, in seconds.
	Start  float64 `json:"start_s"`
	End    float64 `json:"end_s"`
	Warmup bool    `json:"warmup,omitempty"`

	Sent          int64            `json:"sent"`
	Acked         int64            `json:"acked"`
	AckedBytes    int64            `json:"acked_bytes"`
	Consumed      int64            `json:"consumed"`
	ConsumedBytes int64            `json:"consumed_bytes"`
	Errors        int64            `json:"errors"`
	ErrorsByKind  map[string]int64 `json:"errors_by_kind,omitempty"`
	LateSends     int64            `json:"late_sends"`
	// InFlightWaitS is the producers' time, summed, spent waiting for a
	// free in-flight slot.
	InFlightWaitS float64 `json:"in_flight_wait_s"`
	// Retries made by the clients; absent where the driver cannot count
	// them.
	Retries      *int64  `json:"retries,omitempty"`
	PublishP50Ms float64 `json:"publish_p50_ms"`
	PublishP99Ms float64 `json:"publish_p99_ms"`
	PublishMaxMs float64 `json:"publish_max_ms"`
	E2EP99Ms     float64 `json:"e2e_p99_ms"`
	SendLagP99Ms float64 `json:"send_lag_p99_ms"`
	// Commits and Aborts count the transactions that ended in the
	// interval; CommitP99Ms is their commit latency.
	Commits     int64    `json:"commits,omitempty"`
	Aborts      int64    `json:"aborts,omitempty"`
	CommitP99Ms float64  `json:"commit_p99_ms,omitempty"`
	PublishHist string   `json:"publish_hist,omitempty"`
	E2EHist     string   `json:"e2e_hist,omitempty"`
	Faults      []string `json:"faults,omitempty"`

	// Transformed counts the records written by the transformers'
	// transactions that committed in the interval, TransformCommits
	// those transactions.
	Transformed      int64 `json:"transformed,omitempty"`
	TransformCommits int64 `json:"transform_commits,omitempty"`
}

// Add adds o's counters (messages, bytes, errors by kind, late sends,
// in-flight wait, retries, transactions) to iv; times, latencies, histograms and faults
// are left alone.
func (iv *Interval) Add(o Interval) {
	iv.Sent += o.Sent
	iv.Acked += o.Acked
	iv.AckedBytes += o.AckedBytes
	iv.Consumed += o.Consumed
	iv.ConsumedBytes += o.ConsumedBytes
	iv.Errors += o.Errors
	iv.LateSends += o.LateSends
	iv.InFlightWaitS += o.InFlightWaitS
	iv.Retries = AddRetries(iv.Retries, o.Retries)
	iv.Commits += o.Commits
	iv.Aborts += o.Aborts
	iv.Transformed += o.Transformed
	iv.TransformCommits += o.TransformCommits
	iv.ErrorsByKind = addKinds(iv.ErrorsByKind, o.ErrorsByKind)
}

// Histograms are HdrHistograms (microseconds, 3 significant digits) in
// HdrHistogram's compressed, base64 encoding, which any HdrHistogram library
// decodes; merge them to combine runs, never average their percentiles.
type Histograms struct {
	Publish string `json:"publish_us"`
	E2E     string `json:"e2e_us"`
	SendLag string `json:"send_lag_us,omitempty"`
	// Commit is a transactional run's commit latency.
	Commit string `json:"commit_us,omitempty"`
	// TransformCommit is the transformers' commit latency.
	TransformCommit string `json:"transform_commit_us,omitempty"`
}

// Fault is one fault event of a run.
type Fault struct {
	// At is when the action took effect, from the run's start in seconds:
	// an injection once its target was found and the action returned (a
	// killed broker exited), a recovery once the undo returned (a
	// restarted broker serves again). RequestedAt is when kbench began
	// it, as scheduled.
	At          float64 `json:"at_s"`
	RequestedAt float64 `json:"requested_at_s,omitempty"`
	Action      string  `json:"action"`
	// Target is what the schedule asked for (e.g. "leader:topic-0");
	// Broker is the broker it resolved to.
	Target string     `json:"target"`
	Broker int32      `json:"broker"`
	Phase  FaultPhase `json:"phase"`
	Error  string     `json:"error,omitempty"`
}

// Began is when kbench began the fault's action: RequestedAt, or At in a
// result written before requested_at_s existed. Failover is measured from
// it, since an action can act before it returns (a controlled stop moves
// leaders away first).
func (f Fault) Began() float64 {
	if f.RequestedAt > 0 {
		return f.RequestedAt
	}
	return f.At
}

// Failover summarises the disturbance around one fault.
type Failover struct {
	Fault Fault `json:"fault"`
	// RecoveredAt is when the fault was undone (seconds from start), 0 if
	// never.
	RecoveredAt float64 `json:"recovered_at_s,omitempty"`
	// MaxNoAckS is the longest stretch without any acknowledgement that
	// began within the fault's reach (from its request to a few intervals
	// after it took effect or was undone), followed through the flush to
	// its end; WorstPartitionNoAckS the longest for one partition.
	MaxNoAckS float64 `json:"max_no_ack_s"`
	// WorstPartition is the partition whose stretch without
	// acknowledgements after the fault most exceeded its longest in as
	// long a time before (WorstPartitionUsualNoAckS), so the natural gaps
	// of a partition written to now and then are not taken for the
	// fault's; "" when no partition's grew.
	WorstPartition            string  `json:"worst_partition,omitempty"`
	WorstPartitionNoAckS      float64 `json:"worst_partition_no_ack_s"`
	WorstPartitionUsualNoAckS float64 `json:"worst_partition_usual_no_ack_s,omitempty"`
	// RecoveryS is the time from the fault until throughput is back to 90%
	// of its level before the fault, 0 if it never fell below; -1 if the
	// run did not show it, and Recovery then says why in words (the run
	// ended or the next fault came first, or there was no level before
	// the fault to recover to).
	RecoveryS  float64 `json:"recovery_s"`
	Recovery   string  `json:"recovery,omitempty"`
	RateBefore float64 `json:"rate_before_msgs"`
	RateDuring float64 `json:"rate_during_msgs"`
	RateAfter  float64 `json:"rate_after_msgs"`
	// WindowStart and WindowEnd bound the disturbed window, whole
	// intervals; both 0 when the fault disturbed nothing. Its rate,
	// latency, failed sends, errors and retries are of these intervals.
	WindowStart float64 `json:"window_start_s"`
	WindowEnd   float64 `json:"window_end_s"`
	// WindowOpenAtEnd is set when a stall was still running where the
	// fault's analysis stopped (the producers' end, or the next fault):
	// MaxNoAckS or WorstPartitionNoAckS, and WindowEnd, are then lower
	// bounds.
	WindowOpenAtEnd bool    `json:"window_open_at_end,omitempty"`
	LatencyBeforeMs Latency `json:"latency_before_ms"`
	LatencyWindowMs Latency `json:"latency_window_ms"`
	// FailedWindow counts the sends that failed (timed out, refused) in
	// the window, which no latency includes; FailedWindowShare is their
	// share of the sends that had an outcome in it (failed + acknowledged).
	FailedWindow      int64            `json:"failed_window,omitempty"`
	FailedWindowShare float64          `json:"failed_window_share,omitempty"`
	ErrorsByKind      map[string]int64 `json:"errors_by_kind,omitempty"`
	Retries           *int64           `json:"retries,omitempty"`
	// LeaderReplacedS is the time from the fault's request until every
	// partition of the run's topics that the faulted broker led then had
	// another leader in the cluster's metadata; -1 if some never did
	// before the next fault or the end of production; 0 (omitted) when it
	// led none.
	LeaderReplacedS float64 `json:"leader_replaced_s,omitempty"`
	// ISRShrinks and ISRExpands count the ISR events (see Run.ISR) from
	// the fault's request to the next fault's or the end of production.
	ISRShrinks int `json:"isr_shrinks,omitempty"`
	ISRExpands int `json:"isr_expands,omitempty"`
}

// ISREvent is a change of a partition's leader or in-sync replicas, as
// the run's admin client saw it when polling the cluster's metadata.
type ISREvent struct {
	// At is the offset from the run's start, in seconds.
	At        float64 `json:"at_s"`
	Topic     string  `json:"topic"`
	Partition int32   `json:"partition"`
	// Kind is shrink, expand or leader (a new leader, -1 for none).
	Kind   string  `json:"kind"`
	Leader int32   `json:"leader"`
	ISR    []int32 `json:"isr"`
}

// Verify is the check that every acknowledged message was consumed once
// and in order.
type Verify struct {
	Acked    int64 `json:"acked"`
	Consumed int64 `json:"consumed"`
	// Lost: acknowledged, never consumed although consumers read to the
	// end offsets. Unverified: acknowledged, not consumed, by consumers
	// that did not get to the end. Duplicated: stored at two offsets.
	// Reordered: consumed after a later message of the same producer on
	// the same partition. Each is the worst over the subscriptions.
	Lost       int64 `json:"lost"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
	Unverified int64 `json:"unverified"`
	// Unacked are messages consumed whose produce reported an error (the
	// broker kept a write the client gave up on); not a loss.
	Unacked int64 `json:"unacked_consumed"`
	// EndOffsets is the sum of the brokers' end offsets of the run's
	// topics (-1 when unknown), cross-checked against acknowledgements.
	EndOffsets  int64  `json:"end_offsets"`
	OffsetCheck string `json:"offset_check"`
	// LostSamples lists a few lost messages as producer/sequence.
	LostSamples []string `json:"lost_samples,omitempty"`
	// In a transactional run, Acked counts the messages of committed
	// transactions. AbortedRead counts messages of aborted transactions
	// that were read, which a read_committed consumer never does (the
	// worst over subscriptions); InDoubt the messages of transactions
	// whose outcome is unknown, neither lost if missing nor wrong if read.
	AbortedRead int64 `json:"aborted_read,omitempty"`
	InDoubt     int64 `json:"in_doubt,omitempty"`
	// AbortedSamples lists a few aborted messages read.
	AbortedSamples []string `json:"aborted_samples,omitempty"`
}
