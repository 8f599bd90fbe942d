package distributed

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/workload"
)

// The offset is that of the round trip with the shortest delay (NTP's
// minimum-delay filter), its bound half that delay: a queue on either
// way of a slower trip moves its midpoint, not the fastest's.
func TestClockBestSample(t *testing.T) {
	const ms = int64(time.Millisecond)
	// This shard's clock is 3 ms ahead of shard 0's; each trip's two
	// halves (out, back) in ms.
	trips := []struct{ out, back int64 }{
		{10, 1}, // a queue on the way out: midpoint off by 4.5 ms
		{1, 1},  // the fastest, symmetric: exact
		{2, 12}, // a queue on the way back
	}
	var samples []clockSample
	t1 := 1_000_000 * ms
	for _, tr := range trips {
		t2 := t1 + tr.out*ms - 3*ms // shard 0 answers, by its clock
		t3 := t1 + (tr.out+tr.back)*ms
		samples = append(samples, sampleOf(t1, t2, t3))
		t1 += 100 * ms
	}
	b := best(samples)
	if b.offset != 3*time.Millisecond || b.bound() != time.Millisecond {
		t.Errorf("best offset %v ± %v, want 3ms ± 1ms", b.offset, b.bound())
	}
}

// Drift is the slope of the rounds' offsets over time, in ppm, whatever
// the noise of each round within its bound.
func TestClockDrift(t *testing.T) {
	var rounds []clockSample
	for i := range 60 {
		at := int64(i) * int64(5*time.Second)
		noise := time.Duration((i%3 - 1) * 20_000) // ±20 µs
		rounds = append(rounds, clockSample{at: at, offset: 2*time.Millisecond + time.Duration(float64(at)*25e-6) + noise})
	}
	if got := driftPPM(rounds); math.Abs(got-25) > 0.5 {
		t.Errorf("drift %.2f ppm, want 25", got)
	}
	if got := driftPPM(rounds[:1]); got != 0 {
		t.Errorf("drift of one round %g, want 0", got)
	}
}

// An offset smaller than its bound is still the best estimate: shards
// 0.3 ms apart, measured to ±0.5 ms, have their end-to-end latencies
// corrected by 0.3 ms, not by 0.
func TestAheadKeepsOffsetsInsideTheirBound(t *testing.T) {
	w := &workload.Workload{Topics: 1, ProducersPerTopic: 2}
	s := &coordinator{sh: Shard{Index: 1, Count: 2}, cfg: bench.Config{Workload: w}, present: []int{0, 1},
		offset: 300 * time.Microsecond, offErr: 500 * time.Microsecond}
	st := newControlState()
	st.offsets[0] = controlMsg{Kind: msgReady}
	st.offsets[1] = controlMsg{Kind: msgReady, Shard: 1, OffsetNs: int64(300 * time.Microsecond), ErrorNs: int64(500 * time.Microsecond)}
	got := s.ahead(&st)
	// Producer 0 is on shard 0, producer 1 on shard 1.
	if len(got) != 2 || got[0] != 300*time.Microsecond || got[1] != 0 {
		t.Errorf("ahead %v, want [300µs 0s]", got)
	}
}

// The announced start becomes an instant on the monotonic clock: a step of
// the wall clock (here, one hour forward since the shard's clock was read)
// moves neither the wait for the start, nor the stamps' times from it, so
// end-to-end latency stays what it is.
func TestStartSurvivesWallClockStep(t *testing.T) {
	const step = time.Hour
	// The wall clock read when the shard's clock was taken was an hour
	// behind the wall clock now: it was stepped since.
	clk := bench.NewClock(func() time.Time { return time.Now().Add(-step) })
	s := &coordinator{ctl: &control{clock: clk}, offset: 7 * time.Millisecond}
	// Shard 0 announces a start 200 ms ahead by its clock, 7 ms behind ours.
	announced := clk.Now() - int64(7*time.Millisecond) + int64(200*time.Millisecond)
	at := s.localStart(announced)
	if !strings.Contains(at.String(), "m=") {
		t.Errorf("start %v carries no monotonic reading", at)
	}
	if wait := time.Until(at); wait < 100*time.Millisecond || wait > 300*time.Millisecond {
		t.Errorf("wait for the start %v, want about 200ms whatever the wall clock did", wait)
	}
	// A message sent at the start and read 5 ms later.
	sent := clk.Unix(at)
	read := clk.Unix(at.Add(5 * time.Millisecond))
	if e2e := time.Duration(read - sent); e2e != 5*time.Millisecond {
		t.Errorf("end-to-end %v, want 5ms", e2e)
	}
	if want := announced + int64(7*time.Millisecond); sent != want {
		t.Errorf("start stamped %d, want %d (the announced start on this shard's clock)", sent, want)
	}
}
