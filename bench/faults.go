package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
)

// CheckFaults refuses, before anything runs, a schedule the target cannot
// carry out: an action it cannot perform, a broker it does not have, or a
// leader move admin cannot make.
func CheckFaults(w *Workload, t cluster.Target, admin drivers.Admin) error {
	if len(w.Faults) == 0 {
		return nil
	}
	f, ok := t.(cluster.Faulter)
	var p Problems
	for i, spec := range w.Faults {
		path := "faults[" + strconv.Itoa(i) + "]"
		if !ok {
			p.addf(path+".action", "the %s target cannot inject faults", t.Kind())
			continue
		}
		if err := f.Supports(cluster.Action(spec.Action)); err != nil {
			p.addf(path+".action", "%v", err)
		} else if _, ok := admin.(drivers.LeaderMover); !ok && spec.Action == string(cluster.ActionLeaderMove) {
			p.addf(path+".action", "leader-move needs an admin client that can move partition leaders, and this driver's cannot; use the franz driver")
		}
		tgt, err := ParseTarget(spec.Target)
		if err == nil && tgt.Kind == TargetBroker && !slices.Contains(f.BrokerIDs(), tgt.Broker) {
			p.addf(path+".target", "the cluster has no broker %d; its brokers are %v", tgt.Broker, f.BrokerIDs())
		}
		if err == nil && tgt.Kind == TargetRandom && len(f.BrokerIDs()) == 0 {
			p.addf(path+".target", "random needs the cluster's broker ids, which are not known; name a broker:ID")
		}
	}
	if len(p) > 0 {
		return p
	}
	return nil
}

// pendingUndo is a fault in place, waiting to be undone.
type pendingUndo struct {
	once   sync.Once
	undo   cluster.Undo
	action string
	target string
	broker int32
}

// runFaults carries out the fault schedule: each fault at its time from
// the start of measurement, undone after its duration. It returns when the
// schedule is done or ctx ends; faults still in place are undone by
// undoFaults.
func (r *run) runFaults(ctx context.Context) {
	if len(r.w.Faults) == 0 {
		return
	}
	f, _ := r.cfg.Target.(cluster.Faulter)
	rng := seededRand(r.w.Seed, 1<<20)
	var wg sync.WaitGroup
	for _, spec := range r.w.Faults {
		var pick int32 = -1
		if t, _ := ParseTarget(spec.Target); t.Kind == TargetRandom && f != nil {
			if ids := f.BrokerIDs(); len(ids) > 0 {
				pick = ids[rng.IntN(len(ids))]
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := r.warmup + spec.At.D()
			if !sleepCtx(ctx, time.Until(r.t0.Add(at))) {
				return
			}
			p := r.inject(ctx, f, spec, pick)
			if p == nil || spec.Duration == 0 {
				return
			}
			if sleepCtx(ctx, spec.Duration.D()) {
				r.recover(p)
			}
		}()
	}
	wg.Wait()
}

// inject performs one fault and records the event.
func (r *run) inject(ctx context.Context, f cluster.Faulter, spec FaultSpec, pick int32) *pendingUndo {
	ev := results.Fault{At: time.Since(r.t0).Seconds(), Action: spec.Action, Target: spec.Target, Broker: -1, Phase: "inject"}
	p, err := r.doInject(ctx, f, spec, pick, &ev)
	if err != nil {
		ev.Error = err.Error()
		r.logf("fault %s %s: %v", spec.Action, spec.Target, err)
	} else {
		r.logf("fault at %.1fs: %s broker %d (%s)", ev.At, spec.Action, ev.Broker, spec.Target)
	}
	r.faultMu.Lock()
	r.faults = append(r.faults, ev)
	if p != nil {
		r.pending = append(r.pending, p)
	}
	r.faultMu.Unlock()
	return p
}

func (r *run) doInject(ctx context.Context, f cluster.Faulter, spec FaultSpec, pick int32, ev *results.Fault) (*pendingUndo, error) {
	id, err := r.resolveTarget(ctx, f, spec.Target, pick)
	if err != nil {
		return nil, err
	}
	ev.Broker = id
	if spec.Action == string(cluster.ActionLeaderMove) {
		return nil, r.moveLeaders(ctx, spec.Target, id)
	}
	if f == nil {
		return nil, fmt.Errorf("the %s target cannot inject faults", r.cfg.Target.Kind())
	}
	undo, err := f.Inject(ctx, cluster.Fault{Action: cluster.Action(spec.Action), Broker: id, Command: spec.Command, UndoCommand: spec.Undo})
	if undo == nil {
		return nil, err
	}
	// An undo comes with an error when the fault may have acted anyway.
	return &pendingUndo{undo: undo, action: spec.Action, target: spec.Target, broker: id}, err
}

// resolveTarget turns a fault target into a broker id, at the time of the
// fault: the leader and the controller are whoever they are then.
func (r *run) resolveTarget(ctx context.Context, f cluster.Faulter, target string, pick int32) (int32, error) {
	t, err := ParseTarget(target)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch t.Kind {
	case TargetBroker:
		return t.Broker, nil
	case TargetRandom:
		if pick < 0 {
			return -1, errors.New("random needs a target that lists its brokers")
		}
		return pick, nil
	case TargetController:
		return r.cfg.Admin.Controller(ctx)
	case TargetLeader:
		parts, err := r.cfg.Admin.Partitions(ctx, r.topics[t.Topic])
		if err != nil {
			return -1, fmt.Errorf("find leader of %s/%d: %w", r.topics[t.Topic], t.Partition, err)
		}
		for _, p := range parts {
			if p.Partition == t.Partition {
				if p.Leader < 0 {
					return -1, fmt.Errorf("%s/%d has no leader now", p.Topic, p.Partition)
				}
				return p.Leader, nil
			}
		}
		return -1, fmt.Errorf("%s has no partition %d", r.topics[t.Topic], t.Partition)
	}
	return -1, fmt.Errorf("unknown target %q", target)
}

// moveLeaders moves leadership away from broker id: of the one partition a
// leader:T/P target names, or of every partition of the run's topics that
// id leads.
func (r *run) moveLeaders(ctx context.Context, target string, id int32) error {
	t, _ := ParseTarget(target)
	lm, ok := r.cfg.Admin.(drivers.LeaderMover)
	if !ok {
		return errors.New("the admin client cannot move partition leaders")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if t.Kind == TargetLeader {
		_, err := lm.MoveLeader(ctx, r.topics[t.Topic], t.Partition, id)
		return err
	}
	var errs []error
	for _, topic := range r.topics {
		parts, err := r.cfg.Admin.Partitions(ctx, topic)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.Leader == id {
				if _, err := lm.MoveLeader(ctx, topic, p.Partition, id); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// recover undoes a fault once and records the event.
func (r *run) recover(p *pendingUndo) {
	p.once.Do(func() {
		ev := results.Fault{At: time.Since(r.t0).Seconds(), Action: p.action, Target: p.target, Broker: p.broker, Phase: "recover"}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.undo(ctx); err != nil {
			ev.Error = err.Error()
			r.logf("undo %s of broker %d: %v", p.action, p.broker, err)
		} else {
			r.logf("fault undone at %.1fs: %s broker %d", ev.At, p.action, p.broker)
		}
		r.faultMu.Lock()
		r.faults = append(r.faults, ev)
		r.faultMu.Unlock()
	})
}

// undoFaults reverses faults still in place at the end of the run, so a
// run never leaves a broker down or frozen.
func (r *run) undoFaults() {
	r.faultMu.Lock()
	pending := slices.Clone(r.pending)
	r.faultMu.Unlock()
	for _, p := range pending {
		r.recover(p)
	}
}

// injected counts the faults that were carried out (or tried).
func (r *run) injected() int {
	r.faultMu.Lock()
	defer r.faultMu.Unlock()
	n := 0
	for _, f := range r.faults {
		if f.Phase == "inject" {
			n++
		}
	}
	return n
}

func (r *run) faultEvents() []results.Fault {
	r.faultMu.Lock()
	defer r.faultMu.Unlock()
	ev := slices.Clone(r.faults)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At < ev[j].At })
	return ev
}

// Failover analysis constants.
const (
	// baselineSpan is how much time before a fault sets the level it is
	// measured against.
	baselineSpan = 10 * time.Second
	// recoveredShare is the share of the pre-fault throughput that counts
	// as recovered.
	recoveredShare = 0.9
)

// analyseFaults computes the failover metrics of each injected fault and
// marks the events on the timeline.
//
// For a fault at time F, with intervals of length I:
//   - before: intervals in [F-10s, F) after the warm-up; rate = acked/time.
//   - recovery: if some interval from F on falls below 90% of that rate,
//     the end of the first interval of the first later run of 3 intervals
//     all back at 90% or more, minus F; 0 if throughput never fell that low, -1 if it never
//     came back.
//   - window: from the start of the interval F falls in to the later of
//     the recovery point and the end of the longest stretch without
//     acknowledgements; at least one interval.
//   - after: the window's end to the next fault or the end of production,
//     at most 10 s.
func (r *run) analyseFaults(res *results.Run) {
	ivs := res.Intervals
	for _, ev := range res.Faults {
		for i := range ivs {
			if ev.At >= ivs[i].Start && ev.At < ivs[i].End {
				ivs[i].Faults = append(ivs[i].Faults, string(ev.Phase)+" "+ev.Action+" broker "+strconv.Itoa(int(ev.Broker)))
			}
		}
	}
	acks := r.mergedAckTimes()
	prodEnd := r.produceDone().Seconds()
	var injects []results.Fault
	for _, ev := range res.Faults {
		if ev.Phase == "inject" && ev.Error == "" {
			injects = append(injects, ev)
		}
	}
	for k, ev := range injects {
		fo := results.Failover{Fault: ev, RecoveryS: -1}
		for _, rec := range res.Faults {
			if rec.Phase == "recover" && rec.Broker == ev.Broker && rec.Action == ev.Action && rec.At > ev.At {
				fo.RecoveredAt = rec.At
				break
			}
		}
		limit := prodEnd
		if k+1 < len(injects) {
			limit = min(limit, injects[k+1].At)
		}
		base := max(ev.At-baselineSpan.Seconds(), r.warmup.Seconds())
		before := sliceIntervals(ivs, base, ev.At)
		fo.RateBefore = rateOf(before)
		fo.LatencyBeforeMs = latencyOf(before)

		gapStart, gap := acks.longestGap(-1, ev.At, limit)
		fo.MaxNoAckS = gap
		fo.WorstPartition, fo.WorstPartitionNoAckS = r.worstPartition(acks, ev.At, limit)

		// The disturbed window starts with the interval the fault fell in.
		from := ev.At
		var after []results.Interval
		for _, iv := range ivs {
			if iv.End > ev.At+1e-9 && iv.Start < limit && !iv.Warmup {
				if len(after) == 0 {
					from = iv.Start
				}
				after = append(after, iv)
			}
		}
		recovered, rec := recovery(after, recoveredShare*fo.RateBefore)
		fo.RecoveryS = rec
		if rec > 0 {
			fo.RecoveryS = recovered - ev.At
		}
		end := max(recovered, gapStart+gap, from+r.w.Interval.D().Seconds())
		if rec < 0 {
			end = limit
		}
		during := sliceIntervals(ivs, from, end)
		if len(during) > 0 {
			fo.WindowStart, fo.WindowEnd = during[0].Start, during[len(during)-1].End
		}
		fo.RateDuring = rateOf(during)
		fo.LatencyWindowMs = latencyOf(during)
		for _, iv := range during {
			fo.Retries += iv.Retries
			for kind, n := range iv.ErrorsByKind {
				if fo.ErrorsByKind == nil {
					fo.ErrorsByKind = map[string]int64{}
				}
				fo.ErrorsByKind[kind] += n
			}
		}
		fo.RateAfter = rateOf(sliceIntervals(ivs, fo.WindowEnd, min(limit, fo.WindowEnd+baselineSpan.Seconds())))
		res.Failover = append(res.Failover, fo)
	}
}

// stableIntervals is how many intervals in a row must hold the level for
// throughput to count as recovered, so a catch-up burst between two stalls
// is not taken for recovery.
const stableIntervals = 3

// recovery looks at the intervals from a fault on: if none falls below
// level, it returns (0, 0); otherwise the end of the first interval of the
// first run of stableIntervals intervals (or all that remain) at level or
// above after the first dip, and 1; or (0, -1) if throughput never got
// back.
func recovery(ivs []results.Interval, level float64) (at float64, state float64) {
	dip := -1
	for i, iv := range ivs {
		if float64(iv.Acked)/(iv.End-iv.Start) < level {
			dip = i
			break
		}
	}
	if dip < 0 {
		return 0, 0
	}
	for j := dip + 1; j < len(ivs); j++ {
		ok := true
		for k := j; k < min(j+stableIntervals, len(ivs)); k++ {
			if float64(ivs[k].Acked)/(ivs[k].End-ivs[k].Start) < level {
				ok = false
				break
			}
		}
		if ok {
			return ivs[j].End, 1
		}
	}
	return 0, -1
}

// sliceIntervals returns the intervals lying within [from, to), allowing
// for the boundaries' rounding.
func sliceIntervals(ivs []results.Interval, from, to float64) []results.Interval {
	var out []results.Interval
	for _, iv := range ivs {
		if iv.Start >= from-1e-6 && iv.End <= to+1e-6 && !iv.Warmup {
			out = append(out, iv)
		}
	}
	return out
}

func rateOf(ivs []results.Interval) float64 {
	var n int64
	var secs float64
	for _, iv := range ivs {
		n += iv.Acked
		secs += iv.End - iv.Start
	}
	if secs == 0 {
		return 0
	}
	return float64(n) / secs
}

// latencyOf merges the intervals' publish histograms: percentiles are
// computed from the merged counts, never averaged.
func latencyOf(ivs []results.Interval) results.Latency {
	h := results.NewHist()
	for _, iv := range ivs {
		if one, err := results.DecodeHist(iv.PublishHist); err == nil {
			h.Merge(one)
		}
	}
	return results.LatencyOf(h)
}

// mergedAckTimes combines every producer's acknowledgement timeline.
func (r *run) mergedAckTimes() ackTimeline {
	var all ackTimeline
	for _, p := range r.producers {
		p.rec.mu.Lock()
		for part, row := range p.rec.ackTimes {
			for len(all) <= part {
				all = append(all, nil)
			}
			for len(all[part]) < len(row) {
				all[part] = append(all[part], 0)
			}
			for i, bits := range row {
				all[part][i] |= bits
			}
		}
		p.rec.mu.Unlock()
	}
	return all
}

// longestGap finds the longest run of 10 ms buckets without an
// acknowledgement in [from, to) seconds, for one partition or (part -1)
// for any. It returns the gap's start and length in seconds.
func (t ackTimeline) longestGap(part int, from, to float64) (start, length float64) {
	b0, b1 := max(int(from*1e9/ackResolution), 0), int(to*1e9/ackResolution)
	best, bestStart, run := 0, b0, 0
	for b := b0; b < b1; b++ {
		hit := false
		if part >= 0 {
			hit = t.has(part, b)
		} else {
			for p := range t {
				if t.has(p, b) {
					hit = true
					break
				}
			}
		}
		if hit {
			run = 0
			continue
		}
		run++
		if run > best {
			best, bestStart = run, b-run+1
		}
	}
	res := float64(ackResolution) / 1e9
	return float64(bestStart) * res, float64(best) * res
}

// worstPartition is the partition with the longest gap among those that
// had acknowledgements in the second before the fault (others may simply
// not have been written to, e.g. by a sticky partitioner).
func (r *run) worstPartition(t ackTimeline, from, to float64) (string, float64) {
	name, worst := "", 0.0
	for part := range t {
		if _, active := t.longestGap(part, from-1, from); active >= 1 {
			continue
		}
		if _, g := t.longestGap(part, from, to); g > worst {
			ti, pi := part/r.w.PartitionsPerTopic, part%r.w.PartitionsPerTopic
			name, worst = r.topics[ti]+"/"+strconv.Itoa(pi), g
		}
	}
	return name, worst
}
