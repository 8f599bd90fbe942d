package results

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const testWorkload = `{"name":"w","interval":"1s","warmup":"1s"}`

// shardRun is shard index of count of run "r": two 1 s intervals (the
// first warm-up) whose publish latencies are pub[0] and pub[1] (µs), and
// the same as end-to-end latencies for consumers.
func shardRun(t *testing.T, index, count int, pub [2][]int64) *Run {
	t.Helper()
	r := &Run{
		Schema: Schema, Complete: true, Name: "w", Kbench: "test", RunID: "r",
		Started: t0, Ended: t0.Add(3 * time.Second), MeasureStart: t0.Add(time.Second),
		Workload: json.RawMessage(testWorkload), Host: Host{Hostname: "host" + string(rune('a'+index))},
		Shape: Shape{IntervalS: 1},
		Shard: &Shard{Index: index, Count: count},
	}
	sum := NewHist()
	for i, vals := range pub {
		h := NewHist()
		for _, v := range vals {
			_ = h.RecordValue(v)
		}
		if i == 1 {
			sum.Merge(h)
		}
		enc, err := EncodeHist(h)
		if err != nil {
			t.Fatal(err)
		}
		r.Intervals = append(r.Intervals, Interval{
			Start: float64(i), End: float64(i + 1), Warmup: i == 0,
			Sent: int64(len(vals)), Acked: int64(len(vals)), AckedBytes: 100 * int64(len(vals)), PublishHist: enc,
		})
	}
	r.Histograms.Publish, _ = EncodeHist(sum)
	n := int64(len(pub[0]) + len(pub[1]))
	r.Summary = Summary{ProducedMessages: n, ProducedBytes: 100 * n, DurationS: 1,
		ProduceRateMsgs: float64(len(pub[1])), PublishLatencyMs: LatencyOf(sum)}
	return r
}

func randomLatencies(rng *rand.Rand, n int, scale float64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = 1 + int64(rng.ExpFloat64()*scale)
	}
	return out
}

// Three shards: counts add up; the merged percentiles are those of the
// union of every value recorded, never an average; intervals are aligned
// on the common start, a shard whose clock runs 400 ms ahead included.
func TestMergeHistogramsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	union := NewHist()
	var shards []*Run
	for i, scale := range []float64{500, 5000, 50_000} {
		vals := [2][]int64{randomLatencies(rng, 300, scale), randomLatencies(rng, 1000+100*i, scale)}
		for _, v := range vals[1] {
			_ = union.RecordValue(v)
		}
		shards = append(shards, shardRun(t, i, 3, vals))
	}
	shards[2].Started = t0.Add(400 * time.Millisecond)
	shards[2].Shard.ClockOffsetMs = 400

	m, err := Merge([]*Run{shards[2], shards[0], shards[1]})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Complete || m.Incomplete != "" || m.RunID != "r" || m.Schema != Schema {
		t.Errorf("complete %v (%q), run %q, schema %q", m.Complete, m.Incomplete, m.RunID, m.Schema)
	}
	var produced int64
	for _, s := range shards {
		produced += s.Summary.ProducedMessages
	}
	if m.Summary.ProducedMessages != produced || m.Summary.ProducedBytes != 100*produced {
		t.Errorf("produced %d (%d bytes), want %d", m.Summary.ProducedMessages, m.Summary.ProducedBytes, produced)
	}
	if want := LatencyOf(union); m.Summary.PublishLatencyMs != want {
		t.Errorf("publish latency %+v, want that of the union %+v", m.Summary.PublishLatencyMs, want)
	}
	if want := float64(1000 + 1100 + 1200); m.Summary.ProduceRateMsgs != want {
		t.Errorf("produce rate %g, want %g", m.Summary.ProduceRateMsgs, want)
	}
	if len(m.Intervals) != 2 {
		t.Fatalf("%d intervals, want 2 (aligned): %+v", len(m.Intervals), m.Intervals)
	}
	iv := m.Intervals[1]
	h, err := DecodeHist(iv.PublishHist)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Start != 1 || iv.Warmup || iv.Acked != 3300 || !h.Equals(union) ||
		iv.PublishP99Ms != float64(union.ValueAtQuantile(99))/1000 {
		t.Errorf("measurement interval %+v: want start 1, 3300 acked, the union's histogram and p99", iv)
	}
	if len(m.Shards) != 3 || m.Shards[2].Host != "hostc" || m.Shards[2].ClockOffsetMs != 400 ||
		m.Shards[1].Summary.ProducedMessages != shards[1].Summary.ProducedMessages {
		t.Errorf("shards %+v", m.Shards)
	}
	if !m.Started.Equal(t0) {
		t.Errorf("started %s, want %s (shard 2's start by shard 0's clock)", m.Started, t0)
	}
	if !strings.Contains(strings.Join(m.Notes, "\n"), "400.000 ms") {
		t.Errorf("notes %q do not state the clock offset", m.Notes)
	}
}

// A shard that started a whole interval later has its timeline shifted by
// one interval.
func TestMergeShiftsLateShard(t *testing.T) {
	a := shardRun(t, 0, 2, [2][]int64{{100}, {200}})
	b := shardRun(t, 1, 2, [2][]int64{{300}, {400}})
	b.Started = t0.Add(time.Second + 30*time.Millisecond)
	m, err := Merge([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	var starts []float64
	for _, iv := range m.Intervals {
		starts = append(starts, iv.Start)
	}
	if len(starts) != 3 || starts[0] != 0 || starts[1] != 1 || starts[2] != 2 || m.Intervals[1].Acked != 2 {
		t.Errorf("interval starts %v (middle acked %d), want [0 1 2] with 2 in the middle", starts, m.Intervals[1].Acked)
	}
}

// A missing shard and an incomplete one make the merged run incomplete,
// and each is named.
func TestMergeIncomplete(t *testing.T) {
	a := shardRun(t, 0, 3, [2][]int64{{100}, {200}})
	c := shardRun(t, 2, 3, [2][]int64{{100}, {200}})
	c.Complete, c.Incomplete = false, "interrupted: signal"
	m, err := Merge([]*Run{a, c})
	if err != nil {
		t.Fatal(err)
	}
	if m.Complete {
		t.Error("complete with a shard missing")
	}
	for _, want := range []string{"shard 1 never reported", "shard 2 incomplete: interrupted: signal"} {
		if !strings.Contains(m.Incomplete, want) {
			t.Errorf("incomplete %q lacks %q", m.Incomplete, want)
		}
	}
	states := [3]ShardState{m.Shards[0].State, m.Shards[1].State, m.Shards[2].State}
	if states != [3]ShardState{ShardComplete, ShardMissing, ShardIncomplete} {
		t.Errorf("states %v", states)
	}
	if m.Shards[1].Summary != nil {
		t.Error("a missing shard has a summary")
	}
}

// withSeqs gives r producers and subscriptions' reads.
func withSeqs(r *Run, produced []ProducerSeqs, subs []SubscriptionSeqs, ends []int64) *Run {
	r.Shard.Produced, r.Shard.Subscriptions, r.Shard.EndOffsets = produced, subs, ends
	for _, p := range produced {
		r.Shard.Producers = append(r.Shard.Producers, p.Producer)
	}
	return r
}

// The verification is the union over shards: producers on shards 0 and
// 1, consumers of one group split over shards 1 and 2.
func TestMergeVerifyUnion(t *testing.T) {
	hist := [2][]int64{{100}, {200}}
	ends := []int64{100, 100}
	cases := []struct {
		name string
		// what shards 1 and 2 read, per producer (0 and 1), and the
		// highest offsets they reached per partition (0 and 1)
		read1, read2 [2]Seqs
		high1, high2 []int64
		want         Verify
	}{
		{
			// Shard 1 reads partition 0 (producer 0), shard 2 partition 1
			// (producer 1): everything acknowledged is read once; seq 50
			// of producer 1 failed yet was stored.
			name:  "all read",
			read1: [2]Seqs{{{0, 100}}, nil}, read2: [2]Seqs{nil, {{0, 100}}},
			high1: []int64{99, -1}, high2: []int64{-1, 99},
			want: Verify{Acked: 199, Consumed: 200, Unacked: 1, EndOffsets: 200},
		},
		{
			// Seqs 10..19 of producer 0 read by no one, though both
			// partitions were read to the end: lost.
			name:  "lost",
			read1: [2]Seqs{{{0, 10}, {20, 100}}, nil}, read2: [2]Seqs{nil, {{0, 100}}},
			high1: []int64{99, -1}, high2: []int64{-1, 99},
			want: Verify{Acked: 199, Consumed: 190, Lost: 10, Unacked: 1, EndOffsets: 200},
		},
		{
			// Shard 2 stopped short of partition 1's end: the 40
			// acknowledged it did not read are unverified, not lost.
			name:  "not reached",
			read1: [2]Seqs{{{0, 100}}, nil}, read2: [2]Seqs{nil, {{0, 60}}},
			high1: []int64{99, -1}, high2: []int64{-1, 59},
			want: Verify{Acked: 199, Consumed: 160, Unverified: 40, Unacked: 1, EndOffsets: 200},
		},
		{
			// Both shards read producer 0's seqs 0..9: stored twice (or
			// re-read after a rebalance), counted as duplicated; each
			// shard counts the records it read.
			name:  "read on two shards",
			read1: [2]Seqs{{{0, 100}}, nil}, read2: [2]Seqs{{{0, 10}}, {{0, 100}}},
			high1: []int64{99, -1}, high2: []int64{-1, 99},
			want: Verify{Acked: 199, Consumed: 210, Duplicated: 10, Unacked: 1, EndOffsets: 200},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub := func(read [2]Seqs, high []int64) SubscriptionSeqs {
				s := SubscriptionSeqs{High: high}
				for p, seqs := range read {
					if seqs != nil {
						s.Consumed = append(s.Consumed, ConsumedSeqs{Producer: p, Seqs: seqs})
						s.Distinct += seqs.Len()
					}
				}
				return s
			}
			s0 := withSeqs(shardRun(t, 0, 3, hist), []ProducerSeqs{{Producer: 0, Issued: 100, Acked: Seqs{{0, 100}}}}, nil, ends)
			s1 := withSeqs(shardRun(t, 1, 3, hist), []ProducerSeqs{{Producer: 1, Issued: 100, Acked: Seqs{{0, 50}, {51, 100}}}},
				[]SubscriptionSeqs{sub(c.read1, c.high1)}, ends)
			s2 := withSeqs(shardRun(t, 2, 3, hist), nil, []SubscriptionSeqs{sub(c.read2, c.high2)}, nil)
			m, err := Merge([]*Run{s0, s1, s2})
			if err != nil {
				t.Fatal(err)
			}
			got := *m.Verify
			got.OffsetCheck, got.LostSamples = "", nil
			if got.EndOffsets != c.want.EndOffsets || got.Acked != c.want.Acked || got.Consumed != c.want.Consumed ||
				got.Lost != c.want.Lost || got.Unverified != c.want.Unverified || got.Duplicated != c.want.Duplicated ||
				got.Unacked != c.want.Unacked || got.Reordered != 0 {
				t.Errorf("verify %+v, want %+v", got, c.want)
			}
			if m.Summary.Lost != c.want.Lost || m.Summary.Duplicated != c.want.Duplicated {
				t.Errorf("summary lost %d duplicated %d", m.Summary.Lost, m.Summary.Duplicated)
			}
			if c.want.Lost > 0 && (len(m.Verify.LostSamples) != 10 || m.Verify.LostSamples[0] != "producer 0 seq 10") {
				t.Errorf("lost samples %q", m.Verify.LostSamples)
			}
		})
	}
}

// A rebalance moved partition 0 of the one subscription from shard 1 to
// shard 2, which read again from the last commit (offset 40): the offsets
// read on both are re-reads, neither duplicated nor consumed twice.
func TestMergeRebalanceRereads(t *testing.T) {
	hist := [2][]int64{{100}, {200}}
	cases := []struct {
		name string
		// what shard 2 read of producer 0 and at which offsets; the
		// partition's end offset
		read2, offs2 Seqs
		end          int64
		want         Verify
	}{
		{
			// Offsets 40..59 read on both shards.
			name: "overlap", read2: Seqs{{40, 100}}, offs2: Seqs{{40, 100}}, end: 100,
			want: Verify{Acked: 100, Consumed: 100, EndOffsets: 100},
		},
		{
			// As above, and seq 10 stored again at offset 100: one true
			// duplicate among the re-reads.
			name: "overlap and a duplicate", read2: Seqs{{10, 11}, {40, 100}}, offs2: Seqs{{40, 101}}, end: 101,
			want: Verify{Acked: 100, Consumed: 101, Duplicated: 1, Unacked: 0, EndOffsets: 101},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ends := []int64{c.end}
			s0 := withSeqs(shardRun(t, 0, 3, hist), []ProducerSeqs{{Producer: 0, Issued: 100, Acked: Seqs{{0, 100}}}}, nil, ends)
			s1 := withSeqs(shardRun(t, 1, 3, hist), nil, []SubscriptionSeqs{{
				Consumed: []ConsumedSeqs{{Producer: 0, Seqs: Seqs{{0, 60}}}}, High: []int64{59}, Distinct: 60,
				Offsets: []Seqs{{{0, 60}}},
			}}, ends)
			n2 := c.offs2.Len()
			s2 := withSeqs(shardRun(t, 2, 3, hist), nil, []SubscriptionSeqs{{
				Consumed: []ConsumedSeqs{{Producer: 0, Seqs: c.read2}}, High: []int64{c.end - 1}, Distinct: n2,
				Offsets: []Seqs{c.offs2},
			}}, ends)
			s1.Summary.ConsumedMessages, s1.Summary.Subscriptions = 60, []Subscription{{ConsumedMessages: 60}}
			s2.Summary.ConsumedMessages, s2.Summary.Subscriptions = n2, []Subscription{{ConsumedMessages: n2}}
			m, err := Merge([]*Run{s0, s1, s2})
			if err != nil {
				t.Fatal(err)
			}
			got := *m.Verify
			if got.Consumed != c.want.Consumed || got.Duplicated != c.want.Duplicated || got.Lost != 0 || got.Unverified != 0 ||
				got.EndOffsets != c.want.EndOffsets || got.Acked != c.want.Acked {
				t.Errorf("verify %+v, want %+v", got, c.want)
			}
			if !strings.HasPrefix(got.OffsetCheck, "ok") {
				t.Errorf("offset check %q", got.OffsetCheck)
			}
			if m.Summary.Duplicated != c.want.Duplicated || m.Summary.ConsumedMessages != c.want.Consumed ||
				m.Summary.Subscriptions[0].ConsumedMessages != c.want.Consumed {
				t.Errorf("summary duplicated %d consumed %d (subscription %d), want %d and %d", m.Summary.Duplicated,
					m.Summary.ConsumedMessages, m.Summary.Subscriptions[0].ConsumedMessages, c.want.Duplicated, c.want.Consumed)
			}
		})
	}
}

// Results that are not one run's shards are refused, with the reason.
func TestMergeRefuses(t *testing.T) {
	hist := [2][]int64{{100}, {200}}
	for _, c := range []struct {
		name   string
		change func(a, b *Run)
		want   string
	}{
		{"not a shard", func(a, b *Run) { b.Shard = nil }, "not a shard's result"},
		{"other run", func(a, b *Run) { b.RunID = "other" }, `of run "other"`},
		{"other count", func(a, b *Run) { b.Shard.Count = 3 }, "has 3 shards"},
		{"same index", func(a, b *Run) { b.Shard.Index = 0 }, "shard 0 given twice"},
		{"index out of range", func(a, b *Run) { b.Shard.Index = 2 }, "outside 0..1"},
		{"other workload", func(a, b *Run) { b.Workload = json.RawMessage(`{"name":"x"}`) }, "different workload"},
		{"producer twice", func(a, b *Run) {
			a.Shard.Produced = []ProducerSeqs{{Producer: 4, Issued: 1, Acked: Seqs{{0, 1}}}}
			b.Shard.Produced = a.Shard.Produced
		}, "producer 4 is on shard 0 and on shard 1"},
		{"unsorted seqs", func(a, b *Run) {
			a.Shard.Produced = []ProducerSeqs{{Producer: 0, Issued: 9, Acked: Seqs{{5, 9}, {0, 2}}}}
		}, "not sorted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := shardRun(t, 0, 2, hist), shardRun(t, 1, 2, hist)
			c.change(a, b)
			if _, err := Merge([]*Run{a, b}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
	if _, err := Merge(nil); err == nil {
		t.Error("merged nothing")
	}
}

// The same workload indented differently, as read back from a file, is
// the same workload.
func TestMergeWorkloadFromFile(t *testing.T) {
	a, b := shardRun(t, 0, 2, [2][]int64{{1}, {2}}), shardRun(t, 1, 2, [2][]int64{{1}, {2}})
	b.Workload = json.RawMessage("{\n  \"name\": \"w\",\n  \"interval\": \"1s\",\n  \"warmup\": \"1s\"\n}")
	if _, err := Merge([]*Run{a, b}); err != nil {
		t.Fatal(err)
	}
}

// The truth figures merge as their meaning asks: send lag from the merged
// histograms, the late share over all sends, subscriptions index by index,
// retries unknown only when no shard counted them, the in-flight cap when
// any shard hit it, and stored bytes as the cluster reported them.
func TestMergeTruthFigures(t *testing.T) {
	a := shardRun(t, 0, 2, [2][]int64{{1000}, {1000, 2000}})
	b := shardRun(t, 1, 2, [2][]int64{{1000}, {3000, 4000}})
	lagA, lagB := NewHist(), NewHist()
	for _, v := range []int64{5, 10} {
		_ = lagA.RecordValue(v)
	}
	_ = lagB.RecordValue(900)
	a.Histograms.SendLag, _ = EncodeHist(lagA)
	b.Histograms.SendLag, _ = EncodeHist(lagB)
	a.Summary.LateSends, b.Summary.LateSends = 1, 0
	stored := int64(777)
	a.Summary.StoredBytes, b.Summary.StoredBytes = &stored, &stored
	a.Summary.Subscriptions = []Subscription{{ConsumedMessages: 2, ConsumeRateMsgs: 2}, {ConsumedMessages: 0}}
	b.Summary.Subscriptions = []Subscription{{ConsumedMessages: 1, ConsumeRateMsgs: 1}, {ConsumedMessages: 3, ConsumeRateMsgs: 3}}
	retries := int64(4)
	b.Summary.Retries = &retries
	b.Summary.InFlightCapped, b.Summary.InFlightWaitShare = true, 0.3

	m, err := Merge([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary
	if s.SendLagMs.Count != 3 || s.SendLagMs.Max < 0.899 || s.SendLagMs.Max > 0.901 {
		t.Errorf("send lag %+v: want 3 values up to 0.9 ms", s.SendLagMs)
	}
	if s.LateShare != 0.25 { // 1 late of the 4 sends after the warm-up
		t.Errorf("late share %g, want 0.25", s.LateShare)
	}
	if len(s.Subscriptions) != 2 || s.Subscriptions[0].ConsumedMessages != 3 || s.Subscriptions[1].ConsumeRateMsgs != 3 {
		t.Errorf("subscriptions %+v: want 3 and 3 msgs/s", s.Subscriptions)
	}
	if s.Retries == nil || *s.Retries != 4 || !s.InFlightCapped || s.InFlightWaitShare != 0.3 {
		t.Errorf("retries %v, capped %v at %g: want 4, true, 0.3", s.Retries, s.InFlightCapped, s.InFlightWaitShare)
	}
	if s.StoredBytes == nil || *s.StoredBytes != 777 {
		t.Errorf("stored bytes %v, want 777", s.StoredBytes)
	}
	a.Summary.Retries, b.Summary.Retries = nil, nil
	if m, _ := Merge([]*Run{a, b}); m.Summary.Retries != nil {
		t.Errorf("retries %d when no shard counted any, want unknown", *m.Summary.Retries)
	}
}

// A backlog run's figures merge over the shards that built one: the
// latest build and catch-up, the bytes built and the drain rates summed.
func TestMergeBacklog(t *testing.T) {
	a := &Backlog{SizeBytes: 1000, BuiltBytes: 600, BuildS: 4, CatchUpS: 2, DrainRateMsgs: 100, DrainRateMiB: 1}
	b := &Backlog{SizeBytes: 1000, BuiltBytes: 500, BuildS: 5, CatchUpS: 3, DrainRateMsgs: 50, DrainRateMiB: 0.5}
	never := &Backlog{SizeBytes: 1000, BuiltBytes: 500, BuildS: 5, CatchUpS: -1, DrainRateMsgs: 20, DrainRateMiB: 0.2}
	for _, tc := range []struct {
		name string
		in   []*Backlog
		want *Backlog
	}{
		// No shard built a backlog: the run was not a backlog run.
		{"none", []*Backlog{nil, nil}, nil},
		// One shard's figures are the run's.
		{"one", []*Backlog{a}, a},
		// Built and caught up with when the last shard was; rates add up.
		{"two", []*Backlog{a, b}, &Backlog{SizeBytes: 1000, BuiltBytes: 1100, BuildS: 5, CatchUpS: 3, DrainRateMsgs: 150, DrainRateMiB: 1.5}},
		// A shard whose consumers never caught up: the run never did,
		// whichever shard comes first.
		{"never first", []*Backlog{never, a}, &Backlog{SizeBytes: 1000, BuiltBytes: 1100, BuildS: 5, CatchUpS: -1, DrainRateMsgs: 120, DrainRateMiB: 1.2}},
		{"never last", []*Backlog{a, never}, &Backlog{SizeBytes: 1000, BuiltBytes: 1100, BuildS: 5, CatchUpS: -1, DrainRateMsgs: 120, DrainRateMiB: 1.2}},
		// A shard with no backlog (consumers only, say) adds nothing.
		{"with a shard without", []*Backlog{nil, b}, b},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shards []*Run
			for i, bl := range tc.in {
				r := shardRun(t, i, len(tc.in), [2][]int64{{100}, {200}})
				r.Summary.Backlog = bl
				shards = append(shards, r)
			}
			m, err := Merge(shards)
			if err != nil {
				t.Fatal(err)
			}
			got := m.Summary.Backlog
			if (got == nil) != (tc.want == nil) || got != nil && !backlogNear(*got, *tc.want) {
				t.Errorf("merged backlog %+v, want %+v", got, tc.want)
			}
		})
	}
}

// backlogNear compares backlogs, the rates within rounding.
func backlogNear(a, b Backlog) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.SizeBytes == b.SizeBytes && a.BuiltBytes == b.BuiltBytes && a.BuildS == b.BuildS && a.CatchUpS == b.CatchUpS &&
		near(a.DrainRateMsgs, b.DrainRateMsgs) && near(a.DrainRateMiB, b.DrainRateMiB)
}

// Consume rates merge as counts over one window: two shards of one
// subscription (warm-up 1 s), one reading until 11 s and the other, whose
// partitions ran dry earlier, until 7.1 s. Their own rates (10000 over
// 10 s and 6100 over 6.1 s, 1000 each) add up to 2000, more than the run
// read; 16100 messages over the run's 10 s window are 1610 msgs/s.
func TestMergeConsumeRatesOneWindow(t *testing.T) {
	a, b := shardRun(t, 0, 2, [2][]int64{{100}, {100}}), shardRun(t, 1, 2, [2][]int64{{100}, {100}})
	a.Shard.Consumed = &ConsumeWindow{Messages: 10000, Bytes: 10000 << 10, EndS: 11}
	b.Shard.Consumed = &ConsumeWindow{Messages: 6100, Bytes: 6100 << 10, EndS: 7.1}
	a.Shard.Subscriptions = []SubscriptionSeqs{{Subscription: 0, Window: a.Shard.Consumed}}
	b.Shard.Subscriptions = []SubscriptionSeqs{{Subscription: 0, Window: b.Shard.Consumed}}
	a.Summary.ConsumeRateMsgs, b.Summary.ConsumeRateMsgs = 1000, 6100/6.1
	a.Summary.Subscriptions = []Subscription{{ConsumedMessages: 10000, ConsumeRateMsgs: 1000}}
	b.Summary.Subscriptions = []Subscription{{ConsumedMessages: 6100, ConsumeRateMsgs: 6100 / 6.1}}
	m, err := Merge([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary
	if math.Abs(s.ConsumeRateMsgs-1610) > 1e-9 || math.Abs(s.Subscriptions[0].ConsumeRateMsgs-1610) > 1e-9 || math.Abs(s.ConsumeRateMiB-1610.0/1024) > 1e-9 {
		t.Errorf("merged consume rate %g msgs/s (%g MiB/s), subscription %g; want 16100 over 10 s = 1610", s.ConsumeRateMsgs, s.ConsumeRateMiB, s.Subscriptions[0].ConsumeRateMsgs)
	}
}

// Shard 0 alone reads the brokers, so the merged run's telemetry is its.
func TestMergeKeepsShard0Telemetry(t *testing.T) {
	a := shardRun(t, 0, 2, [2][]int64{{100}, {200}})
	b := shardRun(t, 1, 2, [2][]int64{{300}, {400}})
	a.Telemetry = &Telemetry{Source: "local"}
	b.Telemetry = &Telemetry{Source: "off"}
	m, err := Merge([]*Run{b, a})
	if err != nil {
		t.Fatal(err)
	}
	if m.Telemetry == nil || m.Telemetry.Source != "local" {
		t.Errorf("merged telemetry %+v, want shard 0's", m.Telemetry)
	}
}

// A rebalance moved partition 1 from shard 0, which had read offsets
// 0..1199 of it, to shard 1, which read again from the last commit (900)
// to the end: offsets 900..1199 were read on both. Partition 0 stayed on
// shard 0. Messages are 1000 bytes, all sent after the 1 s warm-up.
// Merged consumed messages, bytes and rates are those of the distinct
// offsets, counted here from the ranges each shard read: 6000 records,
// 6 MB, over the window from 1 s to shard 0's last record at 11 s.
func TestMergeRereadsBytesAndRates(t *testing.T) {
	const size = 1000
	read := [2][]Seqs{
		{{{0, 3000}}, {{0, 1200}}}, // shard 0: partitions 0 and 1
		{nil, {{900, 3000}}},       // shard 1: partition 1 from the commit
	}
	ends := [2]float64{11, 10.5}
	distinct := map[[2]uint64]bool{}
	var shards []*Run
	for i, parts := range read {
		var n int64
		for p, offs := range parts {
			for _, r := range offs {
				n += int64(r.To - r.From)
				for o := r.From; o < r.To; o++ {
					distinct[[2]uint64{uint64(p), o}] = true
				}
			}
		}
		r := shardRun(t, i, 2, [2][]int64{{100}, {100}})
		win := &ConsumeWindow{Messages: n, Bytes: n * size, EndS: ends[i]}
		r.Shard.Consumed = win
		r.Shard.Subscriptions = []SubscriptionSeqs{{Subscription: 0, Window: win, Offsets: parts, Distinct: n}}
		r.Summary.ConsumedMessages, r.Summary.ConsumedBytes = n, n*size
		r.Summary.ConsumeRateMsgs = float64(n) / (ends[i] - 1)
		r.Summary.Subscriptions = []Subscription{{ConsumedMessages: n, ConsumeRateMsgs: r.Summary.ConsumeRateMsgs}}
		shards = append(shards, r)
	}
	m, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(distinct))
	rate := float64(n) / (11 - 1)
	s := m.Summary
	if s.ConsumedMessages != n || s.Subscriptions[0].ConsumedMessages != n || s.ConsumedBytes != n*size {
		t.Errorf("consumed %d messages (subscription %d), %d bytes; want %d and %d", s.ConsumedMessages, s.Subscriptions[0].ConsumedMessages, s.ConsumedBytes, n, n*size)
	}
	if math.Abs(s.ConsumeRateMsgs-rate) > 1e-9 || math.Abs(s.Subscriptions[0].ConsumeRateMsgs-rate) > 1e-9 ||
		math.Abs(s.ConsumeRateMiB-rate*size/(1<<20)) > 1e-9 {
		t.Errorf("consume rate %g msgs/s (subscription %g, %g MiB/s), want %g", s.ConsumeRateMsgs, s.Subscriptions[0].ConsumeRateMsgs, s.ConsumeRateMiB, rate)
	}
	if !slices.ContainsFunc(m.Notes, func(n string) bool { return strings.HasPrefix(n, "300 records read again") }) {
		t.Errorf("notes %q: want one on the 300 re-reads in the intervals", m.Notes)
	}
}
