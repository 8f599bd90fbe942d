package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// ShardResult is what one shard of a distributed run returns.
type ShardResult struct {
	// Own is this shard's result.
	Own *results.Run
	// Merged is the whole run's result, merged by shard 0; nil elsewhere.
	Merged *results.Run
}

// resultChunk is the largest piece of a result posted to the control
// topic, below a broker's default message.max.bytes of about 1 MiB.
const resultChunk = 512 << 10

// pings is how many round trips to shard 0 measure a shard's clock.
const pings = 5

// shardRun is a run's part in a distributed run.
type shardRun struct {
	Shard
	ctl     *control
	hash    string
	present []int // the shards taking part, as shard 0 announced them
	// offset is this shard's clock minus shard 0's, offErr its bound.
	offset, offErr time.Duration
}

// RunShard runs shard sh of a distributed run of cfg.Workload: the shards
// meet through a control topic in the cluster (any may arrive first; one
// whose workload differs from shard 0's is refused), shard 0 creates the
// run's topics and announces a common start, each shard runs its share of
// the producers and consumers (see ShardRoles), and at the end posts its
// result to the control topic. Shard 0 then waits for the others' results
// (a shard silent for sh.Silence is taken for dead), merges them
// (results.Merge) and deletes the run's topics and the control topic.
// cfg.RunID must be set, and the same on every shard.
func RunShard(ctx context.Context, cfg Config, sh Shard) (ShardResult, error) {
	w := cfg.Workload
	if w == nil || cfg.Driver == nil || cfg.Target == nil || cfg.Admin == nil {
		return ShardResult{}, errors.New("bench.RunShard: Workload, Driver, Target and Admin are required")
	}
	if err := CheckRunID(cfg.RunID); err != nil {
		return ShardResult{}, fmt.Errorf("a distributed run needs the same run id on every shard: %w", err)
	}
	if err := w.CheckShard(sh.Index, sh.Count); err != nil {
		return ShardResult{}, workload.Bad(err)
	}
	if sh.MeetTimeout == 0 {
		sh.MeetTimeout = DefaultMeetTimeout
	}
	if sh.Silence == 0 {
		sh.Silence = DefaultSilence
	}
	s := &shardRun{Shard: sh, hash: workloadHash(w)}
	r := &run{cfg: cfg, w: w, id: cfg.RunID, slice: sliceOf(w, sh.Index, sh.Count), shard: s}
	r.logf("run %s, shard %d of %d: %s with %s against %v; here %s", r.id, sh.Index, sh.Count, w.Name, cfg.Driver.Name(), cfg.Target.Bootstrap(), r.slice)
	if err := discover(ctx, cfg.Target, cfg.Admin); err != nil {
		return ShardResult{}, err
	}
	if err := r.checkMessageSize(ctx); err != nil {
		return ShardResult{}, err
	}
	ctl, err := openControl(ctx, r, sh.Index)
	if err != nil {
		return ShardResult{}, err
	}
	s.ctl = ctl
	out, err := s.run(ctx, r)
	ctl.close()
	if sh.Index == 0 && !w.KeepTopics {
		dctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if derr := cfg.Admin.DeleteTopic(dctx, ctl.topic); derr != nil {
			r.logf("delete topic %s: %v", ctl.topic, derr)
		}
	}
	return out, err
}

// run is the shard's part between opening and closing the control topic.
func (s *shardRun) run(ctx context.Context, r *run) (ShardResult, error) {
	defer r.teardown()
	if err := s.meet(ctx, r); err != nil {
		return ShardResult{}, err
	}
	if err := r.startClients(ctx); err != nil {
		return ShardResult{}, err
	}
	res, err := r.execute(ctx)
	if res == nil {
		return ShardResult{}, err
	}
	s.describe(res, r)
	out := ShardResult{Own: res}
	// Posted even when interrupted: the merge keeps what was measured.
	pctx, cancel := context.WithTimeout(context.Background(), reachTimeout)
	defer cancel()
	if perr := s.post(pctx, res); perr != nil {
		return out, errors.Join(err, perr)
	}
	if s.Index == 0 {
		var merr error
		out.Merged, merr = s.collect(ctx, r, res)
		err = errors.Join(err, merr)
	}
	return out, err
}

// meet announces this shard and waits for the roll call: shard 0 refuses
// shards with another workload, creates the run's topics once every shard
// arrived (or the meet timeout passed) and names those taking part; the
// others measure their clock against shard 0's meanwhile.
func (s *shardRun) meet(ctx context.Context, r *run) error {
	c := s.ctl
	hello := controlMsg{Kind: msgHello, Host: r.cfg.Host.Hostname, Version: r.cfg.Version, Workload: s.hash}
	if err := c.send(ctx, hello); err != nil {
		return err
	}
	r.topicNames()
	if s.Index == 0 {
		return s.rollCall(ctx, r)
	}
	if err := c.wait(ctx, s.MeetTimeout, func(st *controlState) bool {
		_, ok := st.hellos[0]
		return ok || st.refused[s.Index] != ""
	}); err != nil {
		return fmt.Errorf("shard 0 of run %s did not arrive within %s: %w", r.id, s.MeetTimeout, err)
	}
	if err := s.measureClock(ctx); err != nil {
		return err
	}
	var topics *controlMsg
	var refused string
	err := c.wait(ctx, s.MeetTimeout, func(st *controlState) bool {
		topics, refused = st.topics, st.refused[s.Index]
		return topics != nil || refused != "" || !st.alive(0, s.Silence)
	})
	switch {
	case refused != "":
		return workload.Bad(fmt.Errorf("shard %d refused by shard 0: %s", s.Index, refused))
	case err != nil || topics == nil:
		return fmt.Errorf("shard 0 of run %s did not create the run's topics within %s (or fell silent)", r.id, s.MeetTimeout)
	case !slices.Contains(topics.Present, s.Index):
		return fmt.Errorf("shard 0 of run %s started without shard %d: it arrived too late", r.id, s.Index)
	}
	s.present = topics.Present
	return nil
}

// rollCall is shard 0's side of the meeting.
func (s *shardRun) rollCall(ctx context.Context, r *run) error {
	c := s.ctl
	deadline := time.Now().Add(s.MeetTimeout)
	judged := map[int]bool{}
	for {
		var refuse []controlMsg
		var arrived []int
		inRange := 0 // shards 0..Count-1 heard from, refused or not
		c.mu.Lock()
		for i, h := range c.st.hellos {
			if i < s.Count {
				inRange++
			}
			if !judged[i] {
				judged[i] = true
				if h.Workload != s.hash || i >= s.Count {
					refuse = append(refuse, h)
				}
			}
			if h.Workload == s.hash && i < s.Count {
				arrived = append(arrived, i)
			}
		}
		changed := len(c.st.hellos)
		c.mu.Unlock()
		for _, h := range refuse {
			reason := fmt.Sprintf("its workload (hash %s, kbench %s on %s) differs from shard 0's (hash %s)", h.Workload, h.Version, h.Host, s.hash)
			if h.Shard >= s.Count {
				reason = fmt.Sprintf("the run has %d shards", s.Count)
			}
			r.logf("refusing shard %d: %s", h.Shard, reason)
			if err := c.send(ctx, controlMsg{Kind: msgRefuse, To: h.Shard, Reason: reason}); err != nil {
				return err
			}
		}
		if inRange == s.Count {
			s.present = arrived
			break
		}
		err := c.wait(ctx, time.Until(deadline), func(st *controlState) bool { return len(st.hellos) > changed })
		if errors.Is(err, errControlTimeout) {
			s.present = arrived
			r.logf("meeting: %d of %d shards arrived within %s; starting without the others", len(arrived), s.Count, s.MeetTimeout)
			break
		}
		if err != nil {
			return err
		}
	}
	slices.Sort(s.present)
	if err := checkFaults(r.w, r.cfg.Target, r.cfg.Admin); err != nil {
		return workload.Bad(fmt.Errorf("the fault schedule has problems:\n%w", err))
	}
	if err := r.createTopics(ctx); err != nil {
		return err
	}
	return c.send(ctx, controlMsg{Kind: msgTopics, Present: s.present})
}

// measureClock takes this shard's clock offset from shard 0's from the
// shortest of a few round trips: offset = (t1 + t3)/2 - t2, where t1 and
// t3 are when the ping left and the answer came (this shard's clock) and
// t2 when shard 0 answered (its clock); the error is at most half the
// round trip.
func (s *shardRun) measureClock(ctx context.Context) error {
	c := s.ctl
	best := time.Duration(-1)
	for range pings {
		t1 := time.Now().UnixNano()
		if err := c.send(ctx, controlMsg{Kind: msgPing, T1: t1}); err != nil {
			return err
		}
		var pong controlMsg
		err := c.wait(ctx, 5*time.Second, func(st *controlState) bool {
			for _, p := range st.pongs {
				if p.T1 == t1 {
					pong = p
					return true
				}
			}
			return false
		})
		if err != nil {
			continue
		}
		t3 := pong.received.UnixNano()
		if rtt := time.Duration(t3 - t1); best < 0 || rtt < best {
			best = rtt
			s.offset, s.offErr = time.Duration((t1+t3)/2-pong.T2), rtt/2
		}
	}
	if best < 0 {
		return fmt.Errorf("shard 0 answered none of %d clock pings within 5 s each", pings)
	}
	return nil
}

// begin is called once this shard's clients are up: it reports ready
// with its clock offset; shard 0 waits for every shard taking part to be
// ready and announces the start, 1 s ahead. It returns the start by this
// shard's clock, having waited for it.
func (s *shardRun) begin(ctx context.Context, r *run) (time.Time, error) {
	c := s.ctl
	if err := c.send(ctx, controlMsg{Kind: msgReady, OffsetNs: int64(s.offset), ErrorNs: int64(s.offErr)}); err != nil {
		return time.Time{}, err
	}
	if s.Index == 0 {
		err := c.wait(ctx, s.MeetTimeout, func(st *controlState) bool {
			for _, i := range s.present {
				if _, ok := st.ready[i]; !ok && st.alive(i, s.Silence) {
					return false
				}
			}
			return true
		})
		if err != nil && !errors.Is(err, errControlTimeout) {
			return time.Time{}, err
		}
		if err := c.send(ctx, controlMsg{Kind: msgStart, Start: time.Now().Add(time.Second).UnixNano()}); err != nil {
			return time.Time{}, err
		}
	}
	var start controlMsg
	err := c.wait(ctx, s.MeetTimeout, func(st *controlState) bool {
		if st.start == nil {
			return !st.alive(0, s.Silence)
		}
		start = *st.start
		s.e2eShifts(r, st)
		return true
	})
	if err != nil || start.Kind == "" {
		return time.Time{}, fmt.Errorf("shard 0 of run %s did not announce the start within %s (or fell silent)", r.id, s.MeetTimeout)
	}
	at := time.Unix(0, start.Start).Add(s.offset)
	sleepCtx(ctx, time.Until(at))
	return at, ctx.Err()
}

// e2eShifts sets, per producer of the run, how much this shard's clock is
// ahead of the clock of the shard the producer is on, from the offsets
// the shards reported when ready; consumers take it off end-to-end
// latency. An offset within its error bound is taken as 0: it is not
// known to differ from 0 (shards on one machine share a clock). Called
// under the control state's lock.
func (s *shardRun) e2eShifts(r *run, st *controlState) {
	significant := func(offset, bound int64) int64 {
		if offset <= bound && offset >= -bound {
			return 0
		}
		return offset
	}
	own := significant(int64(s.offset), int64(s.offErr))
	shift := make([]int64, r.w.Topics*r.w.ProducersPerTopic)
	for _, j := range s.present {
		ready, ok := st.ready[j]
		if !ok {
			continue
		}
		for _, id := range sliceOf(r.w, j, s.Count).producers {
			shift[id] = own - significant(ready.OffsetNs, ready.ErrorNs)
		}
	}
	r.e2eShift.Store(&shift)
}

// produced reports this shard's producers done and waits until every
// producing shard taking part is done, or silent.
func (s *shardRun) produced(ctx context.Context, r *run) {
	c := s.ctl
	if err := c.send(ctx, controlMsg{Kind: msgProduced}); err != nil {
		r.logf("control: %v", err)
	}
	// No time limit of its own: a producing shard is waited for while it
	// sends heartbeats, and its producers end by the workload's bounds and
	// the flush grace.
	_ = c.wait(ctx, 24*time.Hour, func(st *controlState) bool {
		for _, j := range s.present {
			if producing(r.w, j, s.Count) && !st.produced[j] && st.alive(j, s.Silence) {
				return false
			}
		}
		return true
	})
}

// describe adds to res what the merge needs of this shard.
func (s *shardRun) describe(res *results.Run, r *run) {
	res.RunID = r.id
	sh := &results.Shard{
		Index: s.Index, Count: s.Count,
		ClockOffsetMs: float64(s.offset) / 1e6, ClockErrorMs: float64(s.offErr) / 1e6,
		Producers: r.slice.producers, Consumers: len(r.consumers),
	}
	acked, sent := r.producedSets()
	for _, p := range r.producers {
		sh.Produced = append(sh.Produced, results.ProducerSeqs{Producer: int(p.id), Issued: sent[p.id], Acked: seqsOf(acked[p.id], sent[p.id])})
	}
	for _, v := range r.verifiers {
		sh.Subscriptions = append(sh.Subscriptions, v.seqs())
	}
	if ends, err := r.endOffsets(context.Background()); err == nil {
		sh.EndOffsets = ends
	}
	res.Shard = sh
}

// post writes res to the control topic in chunks.
func (s *shardRun) post(ctx context.Context, res *results.Run) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	n := (len(b) + resultChunk - 1) / resultChunk
	for i := range n {
		chunk := b[i*resultChunk : min((i+1)*resultChunk, len(b))]
		if err := s.ctl.send(ctx, controlMsg{Kind: msgResult, Chunk: i, Chunks: n, Data: chunk}); err != nil {
			return err
		}
	}
	return nil
}

// collect is shard 0's end: it waits until every shard taking part has
// posted its result or fell silent, and merges them with its own, whose
// end offsets it reads again now that every shard is done.
func (s *shardRun) collect(ctx context.Context, r *run, own *results.Run) (*results.Run, error) {
	c := s.ctl
	limit := r.w.Drain.D() + 2*time.Minute
	err := c.wait(ctx, limit, func(st *controlState) bool {
		for _, j := range s.present {
			if j != 0 && st.result(j) == nil && st.alive(j, s.Silence) {
				return false
			}
		}
		return true
	})
	if err != nil && !errors.Is(err, errControlTimeout) {
		r.logf("collecting results: %v", err)
	}
	if ends, err := r.endOffsets(context.Background()); err == nil {
		own.Shard.EndOffsets = ends
	}
	all := []*results.Run{own}
	c.mu.Lock()
	refused := maps.Clone(c.st.refused)
	for _, j := range s.present {
		if b := c.st.result(j); j != 0 && b != nil {
			var res results.Run
			if err := json.Unmarshal(b, &res); err != nil {
				r.logf("shard %d's result: %v", j, err)
				continue
			}
			all = append(all, &res)
		}
	}
	c.mu.Unlock()
	merged, err := results.Merge(all)
	if err != nil {
		return nil, err
	}
	for i := range merged.Shards {
		if why := refused[merged.Shards[i].Index]; why != "" {
			merged.Shards[i].Incomplete = "refused: " + why
		}
	}
	// Faults are carried out by shard 0, and judged against its
	// producers' acknowledgements.
	merged.Failover = own.Failover
	if len(own.Failover) > 0 {
		merged.Notes = append(merged.Notes, "failover figures are shard 0's: the fault schedule ran there, against its producers' acknowledgements")
	}
	return merged, nil
}
