package results

import "time"

// Shard is one shard's part of a distributed run: which slice it ran, and
// what merging the shards' results needs beyond the rest of its result.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// ClockOffsetMs is this shard's clock minus shard 0's, measured by
	// round trips through the control topic; ClockErrorMs bounds the
	// measurement's error (half the shortest round trip).
	ClockOffsetMs float64 `json:"clock_offset_ms"`
	ClockErrorMs  float64 `json:"clock_error_ms"`
	// ClockDriftPPM is how fast this shard's clock gained on shard 0's
	// over the run, in parts per million (from the offsets measured again
	// every few seconds), and ClockRoundTrips how many round trips were
	// measured in all. ClockUpdates counts the shards' offsets measured
	// again during the run that this shard applied to the end-to-end
	// latency of the messages it read from then on.
	ClockDriftPPM   float64 `json:"clock_drift_ppm,omitempty"`
	ClockRoundTrips int     `json:"clock_round_trips,omitempty"`
	ClockUpdates    int     `json:"clock_updates,omitempty"`
	// Producers are the run-wide ids of this shard's producers.
	Producers []int `json:"producers,omitempty"`
	Consumers int   `json:"consumers"`
	// Produced holds, per producer of this shard, what it issued and had
	// acknowledged.
	Produced []ProducerSeqs `json:"produced,omitempty"`
	// Subscriptions holds what this shard's consumers read, per
	// subscription they were members of.
	Subscriptions []SubscriptionSeqs `json:"subscriptions,omitempty"`
	// EndOffsets are the end offsets of the run's partitions (by run-wide
	// partition index) as this shard read them at its end; nil if it
	// could not.
	EndOffsets []int64 `json:"end_offsets,omitempty"`

	// What the merged run's failover figures are computed from again,
	// over every shard's producers (times in seconds from the shard's
	// start):
	//
	// Acks is, per run-wide partition index, this shard's
	// acknowledgement timeline: the ranges of AckBucketS-long buckets
	// (bucket b spans [b·AckBucketS, (b+1)·AckBucketS)) in which an
	// acknowledgement arrived.
	Acks []Seqs `json:"acks,omitempty"`
	// SendEndS is when this shard's producers stopped sending, and
	// ProduceEndS when the run's production ended as this shard saw it.
	SendEndS    float64 `json:"send_end_s,omitempty"`
	ProduceEndS float64 `json:"produce_end_s,omitempty"`
	// Consumed is what this shard's consumers counted towards the consume
	// rate, and Subscriptions' Window each subscription's, so that a
	// merge divides the shards' sums by one window.
	Consumed *ConsumeWindow `json:"consumed,omitempty"`
	// Leaders are the leaders of the run's partitions when the ISR
	// watcher first looked (events of kind leader), on a shard that
	// watched them.
	Leaders []ISREvent `json:"leaders,omitempty"`
}

// ConsumeWindow is what a shard's consumers counted towards a consume
// rate: the records (and bytes) of messages sent after the warm-up, read
// up to EndS, seconds from the shard's start. The rate is
// Messages / (EndS - the warm-up's end).
type ConsumeWindow struct {
	Messages int64   `json:"messages"`
	Bytes    int64   `json:"bytes"`
	EndS     float64 `json:"end_s"`
}

// AckBucketS is the length of one bucket of Shard.Acks, in seconds.
const AckBucketS = 0.01

// ProducerSeqs is what one producer sent: sequences 0..Issued-1, of which
// Acked were acknowledged.
type ProducerSeqs struct {
	Producer int    `json:"producer"`
	Issued   uint64 `json:"issued"`
	Acked    Seqs   `json:"acked"`
}

// SubscriptionSeqs is what one shard's consumers of a subscription read.
type SubscriptionSeqs struct {
	Subscription int `json:"subscription"`
	// Consumed lists, per producer (run-wide id), the sequences read.
	Consumed []ConsumedSeqs `json:"consumed,omitempty"`
	// High is, per partition, the highest offset read (-1 none).
	High []int64 `json:"high"`
	// Distinct counts records at new offsets; Duplicated, Reordered as in
	// Verify, within this shard.
	Distinct   int64 `json:"distinct"`
	Duplicated int64 `json:"duplicated"`
	Reordered  int64 `json:"reordered"`
	// Window is what this shard's consumers of the subscription counted
	// towards its consume rate.
	Window *ConsumeWindow `json:"window,omitempty"`
	// Offsets are, per partition (run-wide index), the offsets this
	// shard's consumers of the subscription read, as ranges. An offset
	// read on two shards is a re-read (a rebalance moved the partition
	// and its new holder read again from the last commit): a merge takes
	// it off the duplicated and consumed counts.
	Offsets []Seqs `json:"offsets,omitempty"`
}

// ConsumedSeqs are the sequences of one producer a subscription read.
type ConsumedSeqs struct {
	Producer int  `json:"producer"`
	Seqs     Seqs `json:"seqs"`
}

// ShardState says how a shard of a merged run ended.
type ShardState string

// The shard states.
const (
	ShardComplete   ShardState = "complete"
	ShardIncomplete ShardState = "incomplete" // it reported a result marked incomplete
	ShardMissing    ShardState = "missing"    // it never reported: it never arrived, or died
)

// ShardInfo is one shard as a merged result lists it.
type ShardInfo struct {
	Index      int        `json:"index"`
	State      ShardState `json:"state"`
	Incomplete string     `json:"incomplete,omitempty"`
	Host       string     `json:"host,omitempty"`
	Kbench     string     `json:"kbench_version,omitempty"`
	// Started is when the shard started, by its own clock.
	Started       time.Time `json:"started,omitzero"`
	ClockOffsetMs float64   `json:"clock_offset_ms"`
	ClockErrorMs  float64   `json:"clock_error_ms"`
	// ClockDriftPPM, ClockRoundTrips and ClockUpdates are as in Shard.
	ClockDriftPPM   float64 `json:"clock_drift_ppm,omitempty"`
	ClockRoundTrips int     `json:"clock_round_trips,omitempty"`
	ClockUpdates    int     `json:"clock_updates,omitempty"`
	// ShiftS is where the shard's timeline starts on the merged run's
	// (its start by shard 0's clock, to a whole number of intervals), in
	// seconds: its intervals, faults and acknowledgements are shifted by
	// it.
	ShiftS    float64 `json:"shift_s"`
	Producers []int   `json:"producers,omitempty"`
	Consumers int     `json:"consumers"`
	// Summary is the shard's own summary; nil when it is missing.
	Summary *Summary `json:"summary,omitempty"`
}
