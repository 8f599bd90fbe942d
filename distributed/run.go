// Package distributed runs a workload as N shards, each a process of its
// own, that meet through a control topic in the cluster under test: the
// roll call, the common start, the shards' clock offsets, the end of
// production and, at the end, each shard's result (in chunks). It sits on
// the engine (bench.Run, through bench.Coordinator) and on the driver
// interface; Merge is the one merge of shards' results every caller uses.
package distributed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/internal/poll"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// Shard makes a run one of Count shards of a distributed run.
type Shard struct {
	Index, Count int
	// MeetTimeout bounds the wait for every shard to arrive; the run
	// starts without those still missing (default 2 minutes).
	MeetTimeout time.Duration
	// Silence is how long a shard may go without a heartbeat on the
	// control topic before the others take it for dead (default 10 s).
	Silence time.Duration
}

// Default shard timeouts.
const (
	DefaultMeetTimeout = 2 * time.Minute
	DefaultSilence     = 10 * time.Second
)

// Result is what one shard of a distributed run returns.
type Result struct {
	// Own is this shard's result.
	Own *results.Run
	// Merged is the whole run's result, merged by shard 0; nil elsewhere.
	Merged *results.Run
}

// reachTimeout bounds how long a shard waits for an unreachable cluster.
const reachTimeout = 25 * time.Second

// resultChunk is the largest piece of a result posted to the control
// topic, below a broker's default message.max.bytes of about 1 MiB.
const resultChunk = 512 << 10

// Run runs shard sh of a distributed run of cfg.Workload: the shards
// meet through a control topic in the cluster (any may arrive first; one
// whose workload differs from shard 0's is refused), shard 0 creates the
// run's topics and announces a common start, each shard runs its share of
// the producers and consumers (see bench.ShardProducers) and at the end
// posts its result to the control topic. Shard 0 then waits for the
// others' results (a shard silent for sh.Silence is taken for dead),
// merges them (Merge) and deletes the run's topics and the control topic
// unless the workload keeps them. cfg.RunID must be set, and the same on
// every shard; cfg.Coordinator is Run's to set.
func Run(ctx context.Context, cfg bench.Config, sh Shard) (Result, error) {
	w := cfg.Workload
	if w == nil || cfg.Driver == nil || cfg.Target == nil || cfg.Admin == nil {
		return Result{}, errors.New("distributed.Run: Workload, Driver, Target and Admin are required")
	}
	if sh.MeetTimeout == 0 {
		sh.MeetTimeout = DefaultMeetTimeout
	}
	if sh.Silence == 0 {
		sh.Silence = DefaultSilence
	}
	co := &coordinator{sh: sh, cfg: cfg, hash: workloadHash(w), stopFollow: func() {}}
	cfg.Coordinator = co
	own, err := bench.Run(ctx, cfg)
	co.stopFollow()
	if co.ctl == nil {
		return Result{Own: own}, err // it never reached the control topic
	}
	out := Result{Own: own}
	if own != nil {
		co.describeClock(own.Shard)
		// Posted even when interrupted: the merge keeps what was measured.
		pctx, cancel := context.WithTimeout(context.Background(), reachTimeout)
		perr := co.post(pctx, own)
		cancel()
		err = errors.Join(err, perr)
		if perr == nil && sh.Index == 0 {
			var merr error
			out.Merged, merr = co.collect(ctx, own)
			err = errors.Join(err, merr)
		}
	}
	co.ctl.close()
	if sh.Index == 0 && !w.KeepTopics {
		var topics []string
		if co.created {
			topics = createdTopics(w, cfg.RunID)
		}
		dctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if derr := deleteTopics(dctx, cfg.Admin, append(topics, co.ctl.topic)); derr != nil {
			co.logf("delete the run's topics: %v", derr)
		}
	}
	return out, err
}

// coordinator is one shard's bench.Coordinator: its part of the control
// topic's protocol.
type coordinator struct {
	sh      Shard
	cfg     bench.Config
	ctl     *control
	hash    string
	present []int // the shards taking part, as shard 0 announced them
	created bool  // this shard created the run's topics

	// mu guards what follows, which the clock's follower adds to during
	// the run. offset is this shard's clock minus shard 0's as measured
	// before the start, offErr its bound; rounds are the best sample of
	// each round of pings, trips how many round trips were answered;
	// updates how many offsets measured again (any shard's) changed the
	// shifts taken off end-to-end latency.
	mu             sync.Mutex
	offset, offErr time.Duration
	rounds         []clockSample
	trips          int
	updates        int
	// stopFollow stops the clock's follower and the shifts' updater and
	// waits for them.
	stopFollow func()
}

var _ bench.Coordinator = (*coordinator)(nil)

func (s *coordinator) logf(format string, args ...any) {
	for _, o := range s.cfg.Outputs {
		o.Log(fmt.Sprintf(format, args...))
	}
}

// Shard implements bench.Coordinator.
func (s *coordinator) Shard() (index, count int) { return s.sh.Index, s.sh.Count }

// Meet announces this shard and waits for the roll call: shard 0 refuses
// shards with another workload, creates the run's topics once every shard
// arrived (or the meet timeout passed) and names those taking part; the
// others measure their clock against shard 0's meanwhile. Shard 0 carries
// out the fault schedule.
func (s *coordinator) Meet(ctx context.Context, create func(context.Context) error) (bool, error) {
	w := s.cfg.Workload
	replication := int16(-1)
	if w.ReplicationFactor != 0 {
		replication = int16(w.ReplicationFactor)
	}
	cl := clients{drv: s.cfg.Driver, admin: s.cfg.Admin, bootstrap: s.cfg.Target.Bootstrap(),
		producer: connectionProps(w.Producer), consumer: connectionProps(w.Consumer)}
	c, err := openControl(ctx, cl, controlTopic(w.TopicPrefix, s.cfg.RunID), s.cfg.RunID, replication, s.sh.Index)
	if err != nil {
		return false, err
	}
	s.ctl = c
	hello := controlMsg{Kind: msgHello, Host: s.cfg.Host.Hostname, Version: s.cfg.Version, Workload: s.hash}
	if err := c.send(ctx, hello); err != nil {
		return false, err
	}
	if s.sh.Index == 0 {
		return true, s.rollCall(ctx, create)
	}
	if err := c.wait(ctx, s.sh.MeetTimeout, func(st *controlState) bool {
		_, ok := st.hellos[0]
		return ok || st.refused[s.sh.Index] != ""
	}); err != nil {
		return false, fmt.Errorf("shard 0 of run %s did not arrive within %s: %w", s.cfg.RunID, s.sh.MeetTimeout, err)
	}
	if err := s.measureClock(ctx); err != nil {
		return false, err
	}
	var topics *controlMsg
	var refused string
	err = c.wait(ctx, s.sh.MeetTimeout, func(st *controlState) bool {
		topics, refused = st.topics, st.refused[s.sh.Index]
		return topics != nil || refused != "" || !st.alive(0, s.sh.Silence)
	})
	switch {
	case refused != "":
		return false, workload.Bad(fmt.Errorf("shard %d refused by shard 0: %s", s.sh.Index, refused))
	case err != nil || topics == nil:
		return false, fmt.Errorf("shard 0 of run %s did not create the run's topics within %s (or fell silent)", s.cfg.RunID, s.sh.MeetTimeout)
	case !slices.Contains(topics.Present, s.sh.Index):
		return false, fmt.Errorf("shard 0 of run %s started without shard %d: it arrived too late", s.cfg.RunID, s.sh.Index)
	}
	s.present = topics.Present
	return false, nil
}

// rollCall is shard 0's side of the meeting.
func (s *coordinator) rollCall(ctx context.Context, create func(context.Context) error) error {
	c := s.ctl
	deadline := time.Now().Add(s.sh.MeetTimeout)
	judged := map[int]bool{}
	for {
		var refuse []controlMsg
		var arrived []int
		inRange := 0 // shards 0..Count-1 heard from, refused or not
		c.mu.Lock()
		for i, h := range c.st.hellos {
			if i < s.sh.Count {
				inRange++
			}
			if !judged[i] {
				judged[i] = true
				if h.Workload != s.hash || i >= s.sh.Count {
					refuse = append(refuse, h)
				}
			}
			if h.Workload == s.hash && i < s.sh.Count {
				arrived = append(arrived, i)
			}
		}
		changed := len(c.st.hellos)
		c.mu.Unlock()
		for _, h := range refuse {
			reason := fmt.Sprintf("its workload (hash %s, kbench %s on %s) differs from shard 0's (hash %s)", h.Workload, h.Version, h.Host, s.hash)
			if h.Shard >= s.sh.Count {
				reason = fmt.Sprintf("the run has %d shards", s.sh.Count)
			}
			s.logf("refusing shard %d: %s", h.Shard, reason)
			if err := c.send(ctx, controlMsg{Kind: msgRefuse, To: h.Shard, Reason: reason}); err != nil {
				return err
			}
		}
		if inRange == s.sh.Count {
			s.present = arrived
			break
		}
		err := c.wait(ctx, time.Until(deadline), func(st *controlState) bool { return len(st.hellos) > changed })
		if errors.Is(err, errControlTimeout) {
			s.present = arrived
			s.logf("meeting: %d of %d shards arrived within %s; starting without the others", len(arrived), s.sh.Count, s.sh.MeetTimeout)
			break
		}
		if err != nil {
			return err
		}
	}
	slices.Sort(s.present)
	if err := create(ctx); err != nil {
		return err
	}
	s.created = true
	return c.send(ctx, controlMsg{Kind: msgTopics, Present: s.present})
}

// Start reports this shard ready with its clock offset; shard 0 waits for
// every shard taking part to be ready and announces the start, 1 s ahead.
// It returns the start by this shard's clock, having waited for it. From
// there until stopFollow, every shard but 0 measures its clock again
// (followClock), and every shard hands setAhead new shifts as the shards'
// new offsets arrive (updateAhead).
func (s *coordinator) Start(ctx context.Context, setAhead func([]time.Duration)) (time.Time, error) {
	c := s.ctl
	s.mu.Lock()
	ready := controlMsg{Kind: msgReady, OffsetNs: int64(s.offset), ErrorNs: int64(s.offErr)}
	s.mu.Unlock()
	if err := c.send(ctx, ready); err != nil {
		return time.Time{}, err
	}
	if s.sh.Index == 0 {
		err := c.wait(ctx, s.sh.MeetTimeout, func(st *controlState) bool {
			for _, i := range s.present {
				if _, ok := st.ready[i]; !ok && st.alive(i, s.sh.Silence) {
					return false
				}
			}
			return true
		})
		if err != nil && !errors.Is(err, errControlTimeout) {
			return time.Time{}, err
		}
		if err := c.send(ctx, controlMsg{Kind: msgStart, Start: c.clock.Now() + int64(time.Second)}); err != nil {
			return time.Time{}, err
		}
	}
	var start controlMsg
	var ahead []time.Duration
	var seen int
	err := c.wait(ctx, s.sh.MeetTimeout, func(st *controlState) bool {
		if st.start == nil {
			return !st.alive(0, s.sh.Silence)
		}
		start = *st.start
		ahead, seen = s.ahead(st), st.clocks
		return true
	})
	if err != nil || start.Kind == "" {
		return time.Time{}, fmt.Errorf("shard 0 of run %s did not announce the start within %s (or fell silent)", s.cfg.RunID, s.sh.MeetTimeout)
	}
	setAhead(ahead)
	at := s.localStart(start.Start)
	fctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.updateAhead(fctx, seen, setAhead) }()
	if s.sh.Index != 0 {
		wg.Add(1)
		go func() { defer wg.Done(); s.followClock(fctx) }()
	}
	s.stopFollow = func() { cancel(); wg.Wait() }
	poll.Sleep(ctx, time.Until(at))
	return at, ctx.Err()
}

// localStart converts the common start, announced by shard 0's clock, into
// an instant on this process's monotonic clock, once: from there the run's
// timing and its stamps do not see the wall clock.
func (s *coordinator) localStart(announced int64) time.Time {
	return s.ctl.clock.Instant(announced + int64(s.offset))
}

// describeClock records in sh how this shard's clock was measured against
// shard 0's.
func (s *coordinator) describeClock(sh *results.Shard) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh.ClockOffsetMs, sh.ClockErrorMs = float64(s.offset)/1e6, float64(s.offErr)/1e6
	sh.ClockDriftPPM, sh.ClockRoundTrips, sh.ClockUpdates = driftPPM(s.rounds), s.trips, s.updates
}

// ahead returns, per producer of the run, how much this shard's clock is
// ahead of the clock of the shard the producer is on, from the shards'
// latest offsets (reported when ready, then measured again). An offset
// within its error bound is used as measured: the best estimate there
// is, its bound recorded beside it. Called under the control state's
// lock.
func (s *coordinator) ahead(st *controlState) []time.Duration {
	w := s.cfg.Workload
	own, ok := st.offsets[s.sh.Index]
	if !ok {
		// Shard 0 started without waiting for this shard's ready message
		// to be read: the offset it carried.
		s.mu.Lock()
		own.OffsetNs = int64(s.offset)
		s.mu.Unlock()
	}
	shift := make([]time.Duration, w.Topics*w.ProducersPerTopic)
	for _, j := range s.present {
		off, ok := st.offsets[j]
		if !ok {
			continue
		}
		for _, id := range bench.ShardProducers(w, j, s.sh.Count) {
			shift[id] = time.Duration(own.OffsetNs - off.OffsetNs)
		}
	}
	return shift
}

// Produced reports this shard's producers done and waits until every
// producing shard taking part is done, or silent.
func (s *coordinator) Produced(ctx context.Context) {
	c := s.ctl
	if err := c.send(ctx, controlMsg{Kind: msgProduced}); err != nil {
		s.logf("control: %v", err)
	}
	w := s.cfg.Workload
	// No time limit of its own: a producing shard is waited for while it
	// sends heartbeats, and its producers end by the workload's bounds and
	// the flush grace.
	_ = c.wait(ctx, 24*time.Hour, func(st *controlState) bool {
		for _, j := range s.present {
			if len(bench.ShardProducers(w, j, s.sh.Count)) > 0 && !st.produced[j] && st.alive(j, s.sh.Silence) {
				return false
			}
		}
		return true
	})
}

// post writes res to the control topic in chunks.
func (s *coordinator) post(ctx context.Context, res *results.Run) error {
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
func (s *coordinator) collect(ctx context.Context, own *results.Run) (*results.Run, error) {
	c := s.ctl
	w := s.cfg.Workload
	limit := w.Drain.D() + 2*time.Minute
	err := c.wait(ctx, limit, func(st *controlState) bool {
		for _, j := range s.present {
			if j != 0 && st.result(j) == nil && st.alive(j, s.sh.Silence) {
				return false
			}
		}
		return true
	})
	if err != nil && !errors.Is(err, errControlTimeout) {
		s.logf("collecting results: %v", err)
	}
	if ends, err := bench.EndOffsets(context.Background(), s.cfg.Admin, w, s.cfg.RunID); err == nil {
		own.Shard.EndOffsets = ends
	}
	all := []*results.Run{own}
	c.mu.Lock()
	refused := maps.Clone(c.st.refused)
	for _, j := range s.present {
		if b := c.st.result(j); j != 0 && b != nil {
			res, err := results.Decode(b, fmt.Sprintf("shard %d's result", j))
			if err != nil {
				s.logf("%v", err)
				continue
			}
			all = append(all, res)
		}
	}
	c.mu.Unlock()
	merged, err := Merge(all)
	if err != nil {
		return nil, err
	}
	for i := range merged.Shards {
		if why := refused[merged.Shards[i].Index]; why != "" {
			merged.Shards[i].Incomplete = "refused: " + why
		}
	}
	return merged, nil
}
