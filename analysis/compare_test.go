package analysis

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

// One lost message in one repeat is a regression, however the repeats
// scatter.
func TestCompareNeverCallsLossNoise(t *testing.T) {
	mk := func(lost int64) *results.Run {
		return &results.Run{Summary: results.Summary{Lost: lost, ConsumedMessages: 10, ProduceRateMsgs: 100}}
	}
	base := []*results.Run{mk(0), mk(0), mk(0)}
	next := []*results.Run{mk(0), mk(0), mk(3)}
	v := Compare(base, next, rule(Bounds{"lost": 0}))
	if !v.Failed {
		t.Errorf("verdict passed with a lost message in a repeat: %+v", v.Rows)
	}
}

// A single latency value under 1 ms makes a flat log axis, which must
// still draw.
func TestPlotsFlatSubMillisecond(t *testing.T) {
	h := results.NewHist()
	_ = h.RecordValue(500) // 0.5 ms
	enc, _ := results.EncodeHist(h)
	r := &results.Run{Schema: results.Schema, Name: "flat", Histograms: results.Histograms{Publish: enc},
		Summary: results.Summary{ProduceRateMsgs: 10, PublishLatencyMs: results.LatencyOf(h)}}
	for _, kind := range []string{KindSpectrum, KindLatencyThroughput} {
		var buf bytes.Buffer
		if err := WritePlot(&buf, kind, []*results.Run{r}, "svg"); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
	}
}

// latencyRun is a run whose publish latencies are the given values, µs.
func latencyRun(t *testing.T, us ...int64) *results.Run {
	h := results.NewHist()
	for _, v := range us {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := results.EncodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	return &results.Run{Histograms: results.Histograms{Publish: enc},
		Summary: results.Summary{ProduceRateMsgs: 100, PublishLatencyMs: results.LatencyOf(h)}}
}

// With repeats, a side's p99 is that of its merged histograms, not the
// mean of its runs' p99s.
func TestCompareMergesHistograms(t *testing.T) {
	fast := make([]int64, 100)
	for i := range fast {
		fast[i] = 1000 // 1 ms
	}
	fast[99] = 100_000
	slow := make([]int64, 100)
	for i := range slow {
		slow[i] = 10_000 // 10 ms
	}
	base := []*results.Run{latencyRun(t, fast...), latencyRun(t, slow...)}
	v := Compare(base, base, rule(Bounds{"p99": 10}))
	// 200 values: 99 at 1 ms, 100 at 10 ms, 1 at 100 ms; the mean of
	// the two p99s would be 5.5 ms.
	if got := v.Rows[0].Base; got < 9.9 || got > 10.1 {
		t.Errorf("base p99 = %.2f ms, want the merged 10 ms", got)
	}
}

func TestCompareZeroBaseAndMissingSide(t *testing.T) {
	base := &results.Run{Summary: results.Summary{ProduceRateMsgs: 100, E2ELatencyMs: results.Latency{P99: 4, Count: 10}}}
	next := &results.Run{Summary: results.Summary{ProduceRateMsgs: 100, Errors: 3}}
	v := Compare([]*results.Run{base}, []*results.Run{next}, rule(Bounds{"errors": 5, "e2e_p99": 10}))
	var buf bytes.Buffer
	v.Write(&buf)
	out := buf.String()
	if strings.Contains(out, "inf") || !strings.Contains(out, "from 0 to 3") {
		t.Errorf("a change from a zero base reads:\n%s", out)
	}
	// e2e_p99 missing from the new run still shows the base's value.
	if !strings.Contains(out, "4 ms") {
		t.Errorf("the base's e2e p99 is not shown:\n%s", out)
	}
}

func TestCompareNamesMismatches(t *testing.T) {
	mk := func(size int, driver string) *results.Run {
		return &results.Run{Workload: []byte(fmt.Sprintf(`{"name":"w","messageSize":%d}`, size)), Driver: results.Driver{Name: driver},
			Summary: results.Summary{ProduceRateMsgs: 100}}
	}
	v := Compare([]*results.Run{mk(256, "franz")}, []*results.Run{mk(4096, "confluent")}, rule(Bounds{"throughput": 5}))
	want := []string{"driver franz vs confluent", "workload messageSize 256 vs 4096"}
	if fmt.Sprint(v.Mismatches) != fmt.Sprint(want) {
		t.Errorf("mismatches %q, want %q", v.Mismatches, want)
	}
	var buf bytes.Buffer
	v.Write(&buf)
	if first, _, _ := strings.Cut(buf.String(), "\n"); !strings.HasPrefix(first, "WARNING: NOT LIKE FOR LIKE: the sides differ in driver franz vs confluent; workload messageSize 256 vs 4096") {
		t.Errorf("the verdict does not open with the mismatch:\n%s", buf.String())
	}
	if v := Compare([]*results.Run{mk(256, "franz")}, []*results.Run{mk(256, "franz")}, rule(Bounds{})); len(v.Mismatches) != 0 {
		t.Errorf("like sides reported as differing: %q", v.Mismatches)
	}
}

// rule is the default rule with the given bounds.
func rule(b Bounds) Rule {
	return Rule{Bounds: b, Confidence: DefaultConfidence, MinRuns: DefaultMinRuns}
}

// noisyRun is a run whose throughput and p99 have this machine's noise: a
// per-run offset of up to ±15% (uniform), and within the run, 5% noise per
// 1 s interval correlated from one interval to the next (AR(1), φ=0.6).
// The summary is the mean of the 30 measured intervals, the way a run's
// rate is its window's.
func noisyRun(rng *rand.Rand, msgs, p99Ms float64) *results.Run {
	r := &results.Run{Complete: true}
	offTP, offLat := 1+0.3*(rng.Float64()-0.5), 1+0.3*(rng.Float64()-0.5)
	var eTP, eLat, sumTP, sumLat float64
	for i := range 32 {
		eTP = 0.6*eTP + 0.05*rng.NormFloat64()
		eLat = 0.6*eLat + 0.05*rng.NormFloat64()
		iv := results.Interval{Start: float64(i), End: float64(i + 1), Warmup: i < 2,
			Acked: int64(msgs * offTP * (1 + eTP)), PublishP99Ms: p99Ms * offLat * (1 + eLat)}
		r.Intervals = append(r.Intervals, iv)
		if !iv.Warmup {
			sumTP += float64(iv.Acked)
			sumLat += iv.PublishP99Ms
		}
	}
	r.Summary.ProduceRateMsgs = sumTP / 30
	r.Summary.PublishLatencyMs = results.Latency{P99: sumLat / 30, Count: int64(sumTP)}
	return r
}

func noisyRuns(rng *rand.Rand, n int, msgs, p99Ms float64) []*results.Run {
	runs := make([]*results.Run, n)
	for i := range runs {
		runs[i] = noisyRun(rng, msgs, p99Ms)
	}
	return runs
}

// Identical setups on a noisy machine pass (are not failed) at least 19
// times in 20, whatever the number of repeats, although their raw changes
// cross the bounds far more often than that (the old rule's failures).
func TestCompareIdenticalNoisyRunsDoNotFail(t *testing.T) {
	bounds := Bounds{"throughput": 5, "p99": 10}
	const pairs = 200
	for _, n := range []int{1, 2, 3, 5, 10} {
		rng := rand.New(rand.NewSource(int64(n)))
		failed, crossed := 0, 0
		for range pairs {
			v := Compare(noisyRuns(rng, n, 10000, 10), noisyRuns(rng, n, 10000, 10), rule(bounds))
			if v.Failed {
				failed++
			}
			if v.Rows[0].ChangePct < -5 || v.Rows[1].ChangePct > 10 {
				crossed++
			}
		}
		t.Logf("%d run(s) a side: %d of %d identical pairs failed; %d crossed a bound raw", n, failed, pairs, crossed)
		if failed*20 > pairs {
			t.Errorf("%d run(s) a side: %d of %d identical pairs failed, want at most 1 in 20", n, failed, pairs)
		}
		if n == 1 && crossed*20 <= pairs {
			t.Errorf("the synthetic noise is too mild to test anything: only %d of %d single pairs crossed a bound", crossed, pairs)
		}
	}
}

// A real 20% drop in throughput fails at least 19 times in 20 with ten
// runs a side, despite the same noise.
func TestCompareRealDropFails(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	failed := 0
	for range 20 {
		v := Compare(noisyRuns(rng, 10, 10000, 10), noisyRuns(rng, 10, 8000, 10), rule(Bounds{"throughput": 5}))
		if v.Failed && v.Rows[0].Status == StatusRegression {
			failed++
		}
	}
	if failed < 19 {
		t.Errorf("a 20%% drop failed %d times in 20, want 19 or more", failed)
	}
}

// On a quiet machine three runs a side are evidence enough to pass; one
// run a side never is.
func TestCompareEvidence(t *testing.T) {
	quiet := func(rng *rand.Rand, n int) []*results.Run {
		runs := noisyRuns(rng, n, 10000, 10)
		for _, r := range runs { // shrink the offsets to ±1.5%
			r.Summary.ProduceRateMsgs = 10000 + (r.Summary.ProduceRateMsgs-10000)/10
			r.Summary.PublishLatencyMs.P99 = 10 + (r.Summary.PublishLatencyMs.P99-10)/10
		}
		return runs
	}
	rng := rand.New(rand.NewSource(3))
	bounds := Bounds{"throughput": 5, "p99": 10, "errors": 0}
	if v := Compare(quiet(rng, 3), quiet(rng, 3), rule(bounds)); v.Outcome != Pass {
		t.Errorf("three quiet runs a side: %s, want PASS: %+v", v.Outcome, v.Rows)
	}
	v := Compare(quiet(rng, 1), quiet(rng, 1), rule(bounds))
	if v.Outcome != NoEvidence || v.Failed {
		t.Errorf("one run a side: %s, want NO EVIDENCE", v.Outcome)
	}
	// A count is judged exactly all the same.
	if v.Rows[2].Status != StatusOK {
		t.Errorf("errors with one run a side: %s, want ok", v.Rows[2].Status)
	}
	var buf bytes.Buffer
	v.Write(&buf)
	if !strings.Contains(buf.String(), "NO EVIDENCE: throughput, p99 cannot be told from noise at 95% confidence") {
		t.Errorf("the verdict does not say NO EVIDENCE:\n%s", buf.String())
	}
}

// studentQuantile matches the t table.
func TestStudentQuantile(t *testing.T) {
	for _, c := range []struct{ p, df, want float64 }{
		{0.975, 1, 12.706}, {0.975, 2, 4.303}, {0.975, 10, 2.228}, {0.95, 5, 2.015}, {0.975, 1e6, 1.960},
	} {
		if got := studentQuantile(c.p, c.df); math.Abs(got-c.want) > 0.001 {
			t.Errorf("t(%g, %g) = %.4f, want %.3f", c.p, c.df, got, c.want)
		}
	}
}
