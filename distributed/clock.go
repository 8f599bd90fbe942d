package distributed

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// How a shard measures its clock against shard 0's: clockPings round
// trips before the start, then clockRoundPings every clockEvery while the
// run lasts, at most clockRounds times.
const (
	clockPings      = 32
	clockRoundPings = 8
	clockEvery      = 5 * time.Second
	clockRounds     = 720
	// pingTimeout bounds the wait for one pong.
	pingTimeout = 2 * time.Second
)

// clockSample is one round trip of a ping: at is its midpoint by this
// shard's clock, offset this shard's clock minus shard 0's, delay the
// round trip.
type clockSample struct {
	at     int64
	offset time.Duration
	delay  time.Duration
}

// bound is the sample's error bound: shard 0 answered somewhere within
// the round trip, so the offset is right to within half of it.
func (c clockSample) bound() time.Duration { return c.delay / 2 }

// sampleOf is the sample of a round trip that left at t1 and came back at
// t3 (this shard's clock), answered at t2 (shard 0's): offset =
// (t1 + t3)/2 − t2.
func sampleOf(t1, t2, t3 int64) clockSample {
	mid := t1 + (t3-t1)/2
	return clockSample{at: mid, offset: time.Duration(mid - t2), delay: time.Duration(t3 - t1)}
}

// best is NTP's minimum-delay filter: of samples, the one whose round trip
// was shortest, the least disturbed by queues on the way.
func best(samples []clockSample) clockSample {
	return slices.MinFunc(samples, func(a, b clockSample) int { return cmp.Compare(a.delay, b.delay) })
}

// driftPPM is how fast this shard's clock gains on shard 0's, in parts per
// million: the least-squares slope of the rounds' best offsets over their
// times. 0 with fewer than two rounds.
func driftPPM(rounds []clockSample) float64 {
	if len(rounds) < 2 {
		return 0
	}
	var mx, my float64
	for _, r := range rounds {
		mx += float64(r.at)
		my += float64(r.offset)
	}
	n := float64(len(rounds))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for _, r := range rounds {
		dx := float64(r.at) - mx
		sxy += dx * (float64(r.offset) - my)
		sxx += dx * dx
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx * 1e6
}

// clockRound sends n pings to shard 0 one after another and returns the
// samples of those answered within pingTimeout.
func (c *control) clockRound(ctx context.Context, n int) ([]clockSample, error) {
	var out []clockSample
	for range n {
		t1 := c.clock.Now()
		if err := c.send(ctx, controlMsg{Kind: msgPing, T1: t1}); err != nil {
			return out, err
		}
		var pong controlMsg
		err := c.wait(ctx, pingTimeout, func(st *controlState) bool {
			for _, p := range st.pongs {
				if p.T1 == t1 {
					pong = p
					return true
				}
			}
			return false
		})
		// Answered or not, this ping's pong (and any older) is done with.
		c.mu.Lock()
		c.st.pongs = slices.DeleteFunc(c.st.pongs, func(p controlMsg) bool { return p.T1 <= t1 })
		c.mu.Unlock()
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if err == nil {
			out = append(out, sampleOf(t1, pong.T2, c.clock.Unix(pong.received)))
		}
	}
	return out, nil
}

// measureClock takes this shard's clock offset from shard 0's before the
// start: the best of clockPings round trips.
func (s *coordinator) measureClock(ctx context.Context) error {
	samples, err := s.ctl.clockRound(ctx, clockPings)
	if len(samples) == 0 {
		if err != nil {
			return err
		}
		return fmt.Errorf("shard 0 answered none of %d clock pings within %s each", clockPings, pingTimeout)
	}
	b := best(samples)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset, s.offErr = b.offset, b.bound()
	s.rounds = append(s.rounds, b)
	s.trips += len(samples)
	return nil
}

// followBound is how much worse than the first measurement's bound a
// round's may be for its offset to replace the one in use. The first
// bound, of clockPings trips, is about the path's floor; a round within
// twice it met no queue to speak of, and its error (up to twice the
// floor) is soon less than the drift of an offset kept (at 20 ppm, 100 µs
// per round). A round beyond it met a queue, the run's own load say, on
// one way or both, and its midpoint may be off by most of its bound: it
// serves the drift's fit, which averages such noise over many rounds,
// and changes no end-to-end latency.
const followBound = 2

// followClock measures the clock again every clockEvery until ctx ends,
// keeping each round's best for the drift, and announces a best within
// followBound of the first measurement's bound for every shard to correct
// end-to-end latency by (updateAhead).
func (s *coordinator) followClock(ctx context.Context) {
	t := time.NewTicker(clockEvery)
	defer t.Stop()
	for range clockRounds {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		samples, _ := s.ctl.clockRound(ctx, clockRoundPings)
		if len(samples) == 0 {
			continue
		}
		b := best(samples)
		s.mu.Lock()
		s.rounds = append(s.rounds, b)
		s.trips += len(samples)
		good := b.bound() <= followBound*s.offErr
		s.mu.Unlock()
		if good {
			// Not sent, the offset in use stays; the next round tries again.
			_ = s.ctl.send(ctx, controlMsg{Kind: msgClock, OffsetNs: int64(b.offset), ErrorNs: int64(b.bound())})
		}
	}
}

// updateAhead hands setAhead the shifts again (ahead) each time shard
// offsets measured again arrive on the control topic, past the seen first
// ones, until ctx ends.
func (s *coordinator) updateAhead(ctx context.Context, seen int, setAhead func([]time.Duration)) {
	for {
		var ahead []time.Duration
		n := seen
		err := s.ctl.wait(ctx, time.Hour, func(st *controlState) bool {
			if st.clocks == seen {
				return false
			}
			ahead, n = s.ahead(st), st.clocks
			return true
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			continue // an hour without news
		}
		setAhead(ahead)
		s.mu.Lock()
		s.updates += n - seen
		s.mu.Unlock()
		seen = n
	}
}
