// Package bench is kbench's engine: it runs a workload.Workload against a
// cluster.Target through a drivers.Driver and returns a results.Run.
//
// A run creates fresh topics, starts producers (each with its own client)
// and consumer groups, closes an interval of figures at every tick, carries
// out the fault schedule, drains the consumers, verifies what they read
// and, unless told to keep them, deletes the topics. Run is the one entry
// point; its Config says what to run against, and which Outputs (progress,
// metrics) see the run as it goes: the engine imports none of them.
//
// The engine keeps these measurement rules:
//   - Open model (a target rate): message n of a producer is due at n/rate
//     from the start (plus the producer's phase, so producers interleave),
//     computed, never accumulated, and its latency is measured from that
//     intended time, so a stalled client or broker shows as latency, not
//     as lost throughput (no coordinated omission). The pacer sleeps, then
//     spins for the last stretch (or, with pacing: spin, spins throughout),
//     so it issues sends within microseconds;
//     the send lag is recorded as its own histogram, and a send issued more
//     than a millisecond late is counted as late.
//   - Closed model (rate 0): as fast as the client takes messages, with at
//     most maxInFlight awaiting acknowledgement each.
//   - Interval boundaries are multiples of the interval from the start,
//     plus one at the warm-up's end, so no interval mixes the two. The
//     warm-up shows in the timeline and stays out of the summary.
//   - End-to-end latency is the stamp's send time to receipt, both read on
//     the monotonic clock anchored at the process's start, so a step of
//     the wall clock does not move it.
//   - Percentiles come from merged histograms, never from averaged
//     percentiles. Rates count the messages meant for after the warm-up,
//     over the time from the warm-up's end to the last acknowledgement.
//   - Every message carries its producer and sequence number, so loss,
//     duplication and reordering are counted per subscription (the worst
//     reported) and cross-checked with the brokers' end offsets. A message
//     the consumers may not have reached is unverified, not lost.
//   - Faults are undone before consumers drain, so verification reads a
//     whole cluster; failover figures are computed afterwards from the
//     intervals, the fault events and the acknowledgement timeline.
package bench
