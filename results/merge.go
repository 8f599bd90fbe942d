package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Merge combines the results of the shards of one distributed run into the
// run's result. It is exact where the shards' results allow:
//
//   - histograms are added, never averaged, for the summary and for each
//     interval; intervals are aligned on the earliest shard's start, by
//     shard 0's clock (each shard's start less its clock offset), to a
//     whole number of intervals;
//
//   - counts are summed; the produce rate is the messages of the
//     measurement window over the longest shard's window (Σ rateᵢ·durationᵢ
//     / max durationᵢ), the consume rates the messages counted over one
//     window (see mergeConsumeRates); records a rebalance had read again
//     on another shard are taken off the consumed messages, bytes and
//     rates (see dropRereads), not off the intervals' counts;
//
//   - the verification is the union over shards: a message acknowledged
//     on one shard and consumed on another is verified, one acknowledged
//     on any and consumed by none is lost (or unverified when the
//     subscription's consumers did not all reach the end offsets); the
//     end offsets are the highest any shard read.
//
//   - the ISR events are those of the shard that carried out the fault
//     schedule (every shard watches the same partitions).
//
// The result lists every shard, missing ones included, and is incomplete
// when one is missing or reported an incomplete result. Failover analysis
// is not merged: it is computed again from the merged timeline and the
// shards' acknowledgements (see distributed.Merge, which every caller
// uses). Merge refuses results of different runs, workloads or shard
// counts.
func Merge(shards []*Run) (*Run, error) {
	present, count, err := checkShards(shards)
	if err != nil {
		return nil, err
	}
	first := present[0]
	iv := first.Shape.Interval()

	// Each shard's start by shard 0's clock, and the shift of its
	// timeline against the earliest, in whole intervals.
	starts := make([]time.Time, len(present))
	ref := time.Time{}
	for i, r := range present {
		starts[i] = r.Started.Add(-ms(r.Shard.ClockOffsetMs))
		if ref.IsZero() || starts[i].Before(ref) {
			ref = starts[i]
		}
	}
	shifts := make([]float64, len(present))
	for i := range present {
		k := math.Round(float64(starts[i].Sub(ref)) / float64(iv))
		shifts[i] = k * iv.Seconds()
	}

	out := &Run{
		Schema:       Schema,
		Complete:     true,
		Name:         first.Name,
		Kbench:       first.Kbench,
		Started:      ref.UTC(),
		MeasureStart: ref.Add(first.MeasureStart.Sub(first.Started)).UTC(),
		Workload:     first.Workload,
		Shape:        first.Shape,
		Profiles:     first.Profiles,
		Driver:       first.Driver,
		Client:       first.Client,
		Cluster:      first.Cluster,
		Host:         first.Host,
		Hardware:     first.Hardware,
		RunID:        first.RunID,
	}
	for _, r := range present {
		if end := r.Ended.Add(-ms(r.Shard.ClockOffsetMs)).UTC(); end.After(out.Ended) {
			out.Ended = end
		}
	}
	var dropped int64
	if out.Intervals, dropped, err = mergeIntervals(present, shifts); err != nil {
		return nil, err
	}
	if err := mergeSummary(out, present); err != nil {
		return nil, err
	}
	if dropped > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d latency values fell outside the merged histograms' range and are not in the percentiles", dropped))
	}
	for i, r := range present {
		for _, f := range r.Faults {
			f.At += shifts[i]
			out.Faults = append(out.Faults, f)
		}
	}
	slices.SortStableFunc(out.Faults, func(a, b Fault) int { return cmpFloat(a.At, b.At) })
	out.ISR = mergeISR(present, shifts)
	// Shard 0 alone reads the brokers; its telemetry is the run's, its
	// client figures its own process's.
	for _, r := range present {
		if r.Shard != nil && r.Shard.Index == 0 && r.Telemetry != nil {
			out.Telemetry = r.Telemetry
			out.Notes = append(out.Notes, "telemetry: the brokers' figures and the client CPU are shard 0's")
		}
	}
	out.Verify = mergeVerify(present)
	if v := out.Verify; v != nil {
		s := &out.Summary
		s.Lost, s.Unverified, s.Duplicated, s.Reordered = v.Lost, v.Unverified, v.Duplicated, v.Reordered
	}
	again := rereads(present)
	if note := dropRereads(&out.Summary, again); note != "" {
		out.Notes = append(out.Notes, note)
	}
	out.Notes = append(mergeNotes(present), out.Notes...)
	out.Shards, out.Incomplete = shardList(present, count, shifts)
	mergeConsumeRates(out, present, again)
	if out.Incomplete != "" {
		out.Complete = false
	}
	var maxOff, maxErr float64
	for _, r := range present {
		maxOff = max(maxOff, math.Abs(r.Shard.ClockOffsetMs))
		maxErr = max(maxErr, r.Shard.ClockErrorMs)
	}
	if maxOff > 0 || maxErr > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("shards' clocks differ from shard 0's by up to %.3f ms, measured to ±%.3f ms; end-to-end latency of a message produced and consumed on different shards is corrected by the offsets, re-measured every 5 s while the run lasted, and so is right to within their errors plus the drift since each was measured", maxOff, maxErr))
	}
	return out, nil
}

// checkShards returns the shards' results by index and the shard count,
// or why they cannot be merged.
func checkShards(shards []*Run) ([]*Run, int, error) {
	if len(shards) == 0 {
		return nil, 0, errors.New("merge: no shard results")
	}
	byIndex := map[int]*Run{}
	producers := map[int]int{}
	var count int
	var runID string
	var workload []byte
	for i, r := range shards {
		if r.Shard == nil {
			return nil, 0, fmt.Errorf("merge: result %d (%s, started %s) is not a shard's result", i+1, r.Name, r.Started.Format(time.RFC3339))
		}
		s := r.Shard
		var w bytes.Buffer
		if err := json.Compact(&w, r.Workload); err != nil {
			return nil, 0, fmt.Errorf("merge: shard %d: workload: %w", s.Index, err)
		}
		if i == 0 {
			count, runID, workload = s.Count, r.RunID, w.Bytes()
		}
		switch {
		case r.RunID != runID:
			return nil, 0, fmt.Errorf("merge: shard %d is of run %q, shard %d of run %q: merge one run's shards", s.Index, r.RunID, shards[0].Shard.Index, runID)
		case s.Count != count:
			return nil, 0, fmt.Errorf("merge: shard %d says the run has %d shards, shard %d says %d", s.Index, s.Count, shards[0].Shard.Index, count)
		case s.Index < 0 || s.Index >= count:
			return nil, 0, fmt.Errorf("merge: shard index %d outside 0..%d", s.Index, count-1)
		case byIndex[s.Index] != nil:
			return nil, 0, fmt.Errorf("merge: shard %d given twice", s.Index)
		case !bytes.Equal(w.Bytes(), workload):
			return nil, 0, fmt.Errorf("merge: shard %d ran a different workload from shard %d's", s.Index, shards[0].Shard.Index)
		}
		byIndex[s.Index] = r
		for _, p := range s.Produced {
			if other, ok := producers[p.Producer]; ok {
				return nil, 0, fmt.Errorf("merge: producer %d is on shard %d and on shard %d", p.Producer, other, s.Index)
			}
			producers[p.Producer] = s.Index
			if !p.Acked.valid() {
				return nil, 0, fmt.Errorf("merge: shard %d: producer %d's acknowledged sequences are not sorted, disjoint ranges", s.Index, p.Producer)
			}
		}
		for _, sub := range s.Subscriptions {
			for _, c := range sub.Consumed {
				if !c.Seqs.valid() {
					return nil, 0, fmt.Errorf("merge: shard %d: subscription %d's sequences of producer %d are not sorted, disjoint ranges", s.Index, sub.Subscription, c.Producer)
				}
			}
			for p, offs := range sub.Offsets {
				if !offs.valid() {
					return nil, 0, fmt.Errorf("merge: shard %d: subscription %d's offsets of partition %d are not sorted, disjoint ranges", s.Index, sub.Subscription, p)
				}
			}
		}
	}
	present := make([]*Run, 0, len(byIndex))
	for _, i := range slices.Sorted(maps.Keys(byIndex)) {
		present = append(present, byIndex[i])
	}
	return present, count, nil
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mergeIntervals adds up the intervals that start at the same time once
// shifted, their histograms included, and recomputes their percentiles.
func mergeIntervals(shards []*Run, shifts []float64) ([]Interval, int64, error) {
	type acc struct {
		iv       Interval
		pub, e2e *hdrhistogram.Histogram
	}
	byStart := map[int64]*acc{}
	var dropped int64
	for i, r := range shards {
		for _, iv := range r.Intervals {
			start := iv.Start + shifts[i]
			key := int64(math.Round(start * 1e6))
			a := byStart[key]
			if a == nil {
				a = &acc{iv: Interval{Start: start}, pub: NewHist(), e2e: NewHist()}
				byStart[key] = a
			}
			m := &a.iv
			m.End = max(m.End, iv.End+shifts[i])
			m.Warmup = m.Warmup || iv.Warmup
			m.Add(iv)
			// Intervals keep no send-lag histogram: the worst shard's.
			m.SendLagP99Ms = max(m.SendLagP99Ms, iv.SendLagP99Ms)
			for _, f := range iv.Faults {
				if !slices.Contains(m.Faults, f) {
					m.Faults = append(m.Faults, f)
				}
			}
			for _, h := range []struct {
				dst *hdrhistogram.Histogram
				src string
			}{{a.pub, iv.PublishHist}, {a.e2e, iv.E2EHist}} {
				src, err := DecodeHist(h.src)
				if err != nil {
					return nil, 0, fmt.Errorf("merge: shard %d, interval at %gs: %w", r.Shard.Index, iv.Start, err)
				}
				dropped += MergeHist(h.dst, src)
			}
		}
	}
	out := make([]Interval, 0, len(byStart))
	for _, k := range slices.Sorted(maps.Keys(byStart)) {
		a := byStart[k]
		m := a.iv
		m.PublishP50Ms = float64(a.pub.ValueAtQuantile(50)) / 1000
		m.PublishP99Ms = float64(a.pub.ValueAtQuantile(99)) / 1000
		m.PublishMaxMs = float64(a.pub.Max()) / 1000
		m.E2EP99Ms = float64(a.e2e.ValueAtQuantile(99)) / 1000
		var err error
		if m.PublishHist, err = EncodeHist(a.pub); err != nil {
			return nil, 0, err
		}
		if m.E2EHist, err = EncodeHist(a.e2e); err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, dropped, nil
}

func addKinds(dst, src map[string]int64) map[string]int64 {
	for k, n := range src {
		if dst == nil {
			dst = map[string]int64{}
		}
		dst[k] += n
	}
	return dst
}

// mergeSummary sums the shards' summaries into out.Summary and merges
// their summary histograms (into histograms sized to hold them all).
func mergeSummary(out *Run, shards []*Run) error {
	s := &out.Summary
	enc := func(f func(*Run) string) []string {
		var out []string
		for _, r := range shards {
			out = append(out, f(r))
		}
		return out
	}
	// Sized for the widest shard's, so nothing is dropped merging.
	pub, err := MergedHist(enc(func(r *Run) string { return r.Histograms.Publish })...)
	if err != nil {
		return fmt.Errorf("merge: a shard's publish histogram: %w", err)
	}
	e2e, err := MergedHist(enc(func(r *Run) string { return r.Histograms.E2E })...)
	if err != nil {
		return fmt.Errorf("merge: a shard's end-to-end histogram: %w", err)
	}
	lag, err := MergedHist(enc(func(r *Run) string { return r.Histograms.SendLag })...)
	if err != nil {
		return fmt.Errorf("merge: a shard's send-lag histogram: %w", err)
	}
	var prodMsgs, prodMiB float64
	for _, r := range shards {
		x := r.Summary
		s.ProducedMessages += x.ProducedMessages
		s.ProducedBytes += x.ProducedBytes
		s.ConsumedMessages += x.ConsumedMessages
		s.ConsumedBytes += x.ConsumedBytes
		s.Errors += x.Errors
		s.ErrorsByKind = addKinds(s.ErrorsByKind, x.ErrorsByKind)
		s.ConsumeErrors += x.ConsumeErrors
		s.LateSends += x.LateSends
		s.Unsent += x.Unsent
		s.Retries = AddRetries(s.Retries, x.Retries)
		s.DroppedSamples += x.DroppedSamples
		s.E2ENegative += x.E2ENegative
		// A flag and a share: whether kbench's bound held any shard back,
		// and by how much at worst.
		s.InFlightCapped = s.InFlightCapped || x.InFlightCapped
		s.InFlightWaitShare = max(s.InFlightWaitShare, x.InFlightWaitShare)
		// Every shard sees the same topics' logs.
		if x.StoredBytes != nil && (s.StoredBytes == nil || *x.StoredBytes > *s.StoredBytes) {
			s.StoredBytes = x.StoredBytes
		}
		for i, sub := range x.Subscriptions {
			if i >= len(s.Subscriptions) {
				s.Subscriptions = append(s.Subscriptions, Subscription{})
			}
			s.Subscriptions[i].ConsumedMessages += sub.ConsumedMessages
			s.Subscriptions[i].ConsumeRateMsgs += sub.ConsumeRateMsgs
		}
		if out.Client.EffectiveProducer == nil {
			out.Client.EffectiveProducer = r.Client.EffectiveProducer
		}
		s.DurationS = max(s.DurationS, x.DurationS)
		prodMsgs += x.ProduceRateMsgs * x.DurationS
		prodMiB += x.ProduceRateMiB * x.DurationS
		s.ConsumeRateMsgs += x.ConsumeRateMsgs
		s.ConsumeRateMiB += x.ConsumeRateMiB
		s.TargetRate = x.TargetRate
	}
	if s.DurationS > 0 {
		s.ProduceRateMsgs = prodMsgs / s.DurationS
		s.ProduceRateMiB = prodMiB / s.DurationS
	}
	var measured, all Interval
	for _, iv := range out.Intervals {
		all.Add(iv)
		if !iv.Warmup {
			measured.Add(iv)
		}
	}
	if measured.Sent > 0 {
		s.LateShare = float64(s.LateSends) / float64(measured.Sent)
	}
	if s.Unsent > 0 {
		s.UnsentShare = float64(s.Unsent) / float64(s.Unsent+all.Sent)
	}
	s.Backlog = mergeBacklog(shards)
	s.PublishLatencyMs = LatencyOf(pub)
	s.E2ELatencyMs = LatencyOf(e2e)
	s.SendLagMs = LatencyOf(lag)
	if out.Histograms.Publish, err = EncodeHist(pub); err != nil {
		return err
	}
	if lag.TotalCount() > 0 {
		if out.Histograms.SendLag, err = EncodeHist(lag); err != nil {
			return err
		}
	}
	out.Histograms.E2E, err = EncodeHist(e2e)
	return err
}

// mergeISR returns the ISR events, shifted onto the merged timeline, of
// the first shard that carried out faults, or else of the first that
// recorded any: every shard watches the same partitions.
func mergeISR(shards []*Run, shifts []float64) []ISREvent {
	pick := -1
	for i, r := range shards {
		if len(r.Faults) > 0 {
			pick = i
			break
		}
		if pick < 0 && len(r.ISR) > 0 {
			pick = i
		}
	}
	if pick < 0 {
		return nil
	}
	var out []ISREvent
	for _, ev := range shards[pick].ISR {
		ev.At += shifts[pick]
		out = append(out, ev)
	}
	return out
}

// dropRereads takes the records read again on another shard after a
// rebalance (again, per subscription) off s's consumed counts, each was
// consumed once, and their bytes, at the mean size of the records read,
// off its consumed bytes: the results carry the offsets read twice, not
// their sizes, so with sizes drawn from a distribution the bytes are an
// estimate, exact with one size. Nor do they say when a re-read was read
// (it is in the interval of the shard that read it again): it returns a
// note saying the intervals' counts include them, "" if there were none.
func dropRereads(s *Summary, again map[int]int64) string {
	var n int64
	for sub, k := range again {
		n += k
		if sub < len(s.Subscriptions) {
			s.Subscriptions[sub].ConsumedMessages -= k
		}
	}
	if n == 0 {
		return ""
	}
	s.ConsumedBytes -= share(s.ConsumedBytes, s.ConsumedMessages, n)
	s.ConsumedMessages -= n
	return fmt.Sprintf("%d records read again after a rebalance moved their partition between shards count once in the consumed messages, bytes and rates, but are in the intervals' consumed counts where they were read again", n)
}

// share is n records' part of bytes, the bytes of records: n times the
// mean size.
func share(bytes, records, n int64) int64 {
	if records <= 0 {
		return 0
	}
	return int64(math.Round(float64(bytes) / float64(records) * float64(n)))
}

// mergeConsumeRates computes the consume rates over one window, from the
// warm-up's end to the latest shard's last record (on the merged
// timeline): (Σ messagesᵢ − re-reads) / (max endᵢ − warm-up), where the
// shards' own rates are over windows of their own and do not add up, and
// again counts, per subscription, the records read again on another
// shard after a rebalance (their bytes: the mean size of the window's
// records; see dropRereads). A re-read is taken as counted in its shard's
// window: rebalances that move partitions come after the warm-up, as
// consumers hold their partitions before the start. Shards that did not
// report their counts (older kbench) keep the sum of their rates.
func mergeConsumeRates(out *Run, shards []*Run, again map[int]int64) {
	warmup := out.MeasureStart.Sub(out.Started).Seconds()
	shift := map[int]float64{}
	for _, info := range out.Shards {
		shift[info.Index] = info.ShiftS
	}
	rate := func(ws []*ConsumeWindow, shifts []float64, reread int64) (msgs, mib float64, ok bool) {
		var n, b int64
		end := 0.0
		for i, w := range ws {
			if w == nil {
				return 0, 0, false
			}
			n, b = n+w.Messages, b+w.Bytes
			if w.Messages > 0 {
				end = max(end, w.EndS+shifts[i])
			}
		}
		reread = min(reread, n)
		n, b = n-reread, b-share(b, n, reread)
		if window := end - warmup; window > 0 {
			return float64(n) / window, float64(b) / window / (1 << 20), true
		}
		return 0, 0, true
	}
	var all []*ConsumeWindow
	var shifts []float64
	subs := map[int][]*ConsumeWindow{}
	subShifts := map[int][]float64{}
	for _, r := range shards {
		all = append(all, r.Shard.Consumed)
		shifts = append(shifts, shift[r.Shard.Index])
		for _, sub := range r.Shard.Subscriptions {
			subs[sub.Subscription] = append(subs[sub.Subscription], sub.Window)
			subShifts[sub.Subscription] = append(subShifts[sub.Subscription], shift[r.Shard.Index])
		}
	}
	var total int64
	for _, n := range again {
		total += n
	}
	s := &out.Summary
	if msgs, mib, ok := rate(all, shifts, total); ok {
		s.ConsumeRateMsgs, s.ConsumeRateMiB = msgs, mib
	}
	for i := range s.Subscriptions {
		if msgs, _, ok := rate(subs[i], subShifts[i], again[i]); ok && len(subs[i]) > 0 {
			s.Subscriptions[i].ConsumeRateMsgs = msgs
		}
	}
}

// mergeBacklog merges the shards' backlogs; nil when none built one. The
// backlog was built, and caught up with, when the last shard's was (-1 if
// any shard's consumers never caught up); the shards' producers built it
// together and their consumers drained it together, so the bytes built and
// the drain rates add up.
func mergeBacklog(shards []*Run) *Backlog {
	var out *Backlog
	for _, r := range shards {
		b := r.Summary.Backlog
		if b == nil {
			continue
		}
		if out == nil {
			out = &Backlog{}
		}
		out.SizeBytes = max(out.SizeBytes, b.SizeBytes)
		out.BuiltBytes += b.BuiltBytes
		out.BuildS = max(out.BuildS, b.BuildS)
		if b.CatchUpS < 0 || out.CatchUpS < 0 {
			out.CatchUpS = -1
		} else {
			out.CatchUpS = max(out.CatchUpS, b.CatchUpS)
		}
		out.DrainRateMsgs += b.DrainRateMsgs
		out.DrainRateMiB += b.DrainRateMiB
	}
	return out
}

// mergeVerify checks every subscription against the union of what the
// shards' consumers read; nil when no shard ran consumers.
func mergeVerify(shards []*Run) *Verify {
	produced := map[int]ProducerSeqs{}
	subs := map[int][]SubscriptionSeqs{}
	var ends []int64
	for _, r := range shards {
		for _, p := range r.Shard.Produced {
			produced[p.Producer] = p
		}
		for _, s := range r.Shard.Subscriptions {
			subs[s.Subscription] = append(subs[s.Subscription], s)
		}
		for p, e := range r.Shard.EndOffsets {
			if p >= len(ends) {
				ends = append(ends, make([]int64, p+1-len(ends))...)
			}
			ends[p] = max(ends[p], e)
		}
	}
	if len(subs) == 0 {
		return nil
	}
	total := Verify{EndOffsets: -1}
	for _, sub := range slices.Sorted(maps.Keys(subs)) {
		one := verifySubscription(produced, subs[sub], ends)
		total.AddSubscription(one)
	}
	if ends == nil {
		total.OffsetCheck = "not checked: no shard read the end offsets"
		return &total
	}
	var sum int64
	for _, e := range ends {
		sum += e
	}
	total.EndOffsets = sum
	total.OffsetCheck = OffsetCheck(sum, total.Acked, total.Consumed, len(subs))
	return &total
}

// verifySubscription is one subscription's verdict from its shards'
// parts. A sequence read on two shards was stored at two offsets, unless a
// rebalance moved its partition between shards and the second re-read it
// from the last commit: the offsets read on two shards (rereadOffsets)
// tell the two apart, and a re-read is neither a duplicate nor consumed
// twice.
func verifySubscription(produced map[int]ProducerSeqs, parts []SubscriptionSeqs, ends []int64) Verify {
	var one Verify
	consumed := map[int]Seqs{}
	var high []int64
	var twice int64 // sequences read on two shards
	for _, part := range parts {
		one.Consumed += part.Distinct
		one.Duplicated += part.Duplicated
		one.Reordered += part.Reordered
		for _, c := range part.Consumed {
			u := Union(consumed[c.Producer], c.Seqs)
			twice += consumed[c.Producer].Len() + c.Seqs.Len() - u.Len()
			consumed[c.Producer] = u
		}
		for p, h := range part.High {
			for len(high) <= p {
				high = append(high, -1)
			}
			high[p] = max(high[p], h)
		}
	}
	reread := rereadOffsets(parts)
	one.Consumed -= reread
	one.Duplicated += max(twice-reread, 0)
	reached := ends != nil
	for p, e := range ends {
		if e > 0 && (p >= len(high) || high[p] < e-1) {
			reached = false
		}
	}
	for _, id := range slices.Sorted(maps.Keys(produced)) {
		ps := produced[id]
		var cons Seqs
		if ps.Issued > 0 {
			cons = intersect(consumed[id], Seqs{{0, ps.Issued}})
		}
		one.Acked += ps.Acked.Len()
		one.Unacked += minus(cons, ps.Acked).Len()
		missing := minus(ps.Acked, cons)
		if !reached {
			one.Unverified += missing.Len()
			continue
		}
		one.Lost += missing.Len()
		for _, r := range missing {
			for seq := r.From; seq < r.To && len(one.LostSamples) < 10; seq++ {
				one.LostSamples = append(one.LostSamples, fmt.Sprintf("producer %d seq %d", id, seq))
			}
		}
	}
	return one
}

// rereadOffsets counts the offsets of a subscription's partitions read on
// more than one shard: Σ over shards of the offsets each read, less the
// offsets any read, partition by partition.
func rereadOffsets(parts []SubscriptionSeqs) int64 {
	var n int64
	all := map[int]Seqs{}
	for _, part := range parts {
		for p, offs := range part.Offsets {
			u := Union(all[p], offs)
			n += all[p].Len() + offs.Len() - u.Len()
			all[p] = u
		}
	}
	return n
}

// rereads returns, per subscription, the offsets read on more than one
// shard (rereadOffsets); only subscriptions with any.
func rereads(shards []*Run) map[int]int64 {
	subs := map[int][]SubscriptionSeqs{}
	for _, r := range shards {
		for _, s := range r.Shard.Subscriptions {
			subs[s.Subscription] = append(subs[s.Subscription], s)
		}
	}
	out := map[int]int64{}
	for sub, parts := range subs {
		if n := rereadOffsets(parts); n > 0 {
			out[sub] = n
		}
	}
	return out
}

// OffsetCheck compares ends, the sum of the brokers' end offsets of a
// run's topics, with the messages acknowledged and the records consumed
// by subs subscriptions that each read everything, and says whether they
// agree.
func OffsetCheck(ends, acked, consumed int64, subs int) string {
	n := int64(subs)
	switch {
	case ends < acked:
		return fmt.Sprintf("FAILED: end offsets add up to %d, fewer than the %d messages acknowledged", ends, acked)
	case consumed != ends*n:
		return fmt.Sprintf("incomplete: end offsets add up to %d, consumers read %d per subscription", ends, consumed/n)
	case ends != acked:
		return fmt.Sprintf("ok: end offsets %d = records consumed; %d more than acknowledged (written, but the client saw an error)", ends, ends-acked)
	}
	return fmt.Sprintf("ok: end offsets %d = acknowledged = consumed per subscription", ends)
}

// mergeNotes keeps a note every shard made once, and prefixes the others
// with their shard.
func mergeNotes(shards []*Run) []string {
	count := map[string]int{}
	for _, r := range shards {
		for _, n := range slices.Compact(slices.Clone(r.Notes)) {
			count[n]++
		}
	}
	var out []string
	for _, r := range shards {
		for _, n := range r.Notes {
			switch {
			case count[n] < len(shards):
				out = append(out, fmt.Sprintf("shard %d: %s", r.Shard.Index, n))
			case !slices.Contains(out, n):
				out = append(out, n)
			}
		}
	}
	return out
}

// shardList lists shards 0..count-1 and says why the run is incomplete
// ("" if it is not).
func shardList(present []*Run, count int, shifts []float64) ([]ShardInfo, string) {
	byIndex := map[int]*Run{}
	shiftOf := map[int]float64{}
	for i, r := range present {
		byIndex[r.Shard.Index] = r
		shiftOf[r.Shard.Index] = shifts[i]
	}
	var list []ShardInfo
	var why []string
	for i := range count {
		r := byIndex[i]
		if r == nil {
			list = append(list, ShardInfo{Index: i, State: ShardMissing})
			why = append(why, fmt.Sprintf("shard %d never reported (it did not arrive, or died)", i))
			continue
		}
		summary := r.Summary
		info := ShardInfo{
			Index: i, State: ShardComplete, Host: r.Host.Hostname, Kbench: r.Kbench, Started: r.Started,
			ClockOffsetMs: r.Shard.ClockOffsetMs, ClockErrorMs: r.Shard.ClockErrorMs, ShiftS: shiftOf[i],
			ClockDriftPPM: r.Shard.ClockDriftPPM, ClockRoundTrips: r.Shard.ClockRoundTrips, ClockUpdates: r.Shard.ClockUpdates,
			Producers: r.Shard.Producers, Consumers: r.Shard.Consumers, Summary: &summary,
		}
		if !r.Complete {
			info.State, info.Incomplete = ShardIncomplete, r.Incomplete
			why = append(why, fmt.Sprintf("shard %d incomplete: %s", i, r.Incomplete))
		}
		list = append(list, info)
	}
	return list, strings.Join(why, "; ")
}

// AddSubscription folds one subscription's verdict into v, the run's.
// Each subscription reads everything, so the worst is reported: two
// subscriptions missing the same message is one message lost, not two.
func (v *Verify) AddSubscription(one Verify) {
	v.Acked = one.Acked
	v.Consumed += one.Consumed
	v.Lost = max(v.Lost, one.Lost)
	v.Unverified = max(v.Unverified, one.Unverified)
	v.Duplicated = max(v.Duplicated, one.Duplicated)
	v.Reordered = max(v.Reordered, one.Reordered)
	v.Unacked = max(v.Unacked, one.Unacked)
	if len(one.LostSamples) > len(v.LostSamples) {
		v.LostSamples = one.LostSamples
	}
}
