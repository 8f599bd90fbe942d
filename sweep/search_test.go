package sweep

import (
	"strings"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestParseStep(t *testing.T) {
	for _, tc := range []struct {
		in          string
		factor, inc float64
		ok          bool
	}{
		{"x2", 2, 0, true},     // doubling
		{"*1.5", 1.5, 0, true}, // another spelling
		{"+1000", 0, 1000, true},
		{"x1", 0, 0, false}, // would never grow
		{"+0", 0, 0, false},
		{"2", 0, 0, false}, // ambiguous: say x or +
		{"", 0, 0, false},
	} {
		f, inc, err := ParseStep(tc.in)
		if (err == nil) != tc.ok || f != tc.factor || inc != tc.inc {
			t.Errorf("ParseStep(%q) = %g, %g, %v", tc.in, f, inc, err)
		}
	}
}

// search drives a searcher against a system that sustains any rate up to
// capacity, returning the best rate and the rates tried.
func search(spec results.RateSearch, capacity float64) (float64, []float64) {
	s := newSearcher(spec)
	var tried []float64
	for {
		rate, ok := s.next()
		if !ok || len(tried) > 100 {
			return s.best(), tried
		}
		tried = append(tried, rate)
		s.record(rate, rate <= capacity)
	}
}

func TestSearcherConverges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     results.RateSearch
		capacity float64
		// want is the best rate the search must report.
		want float64
	}{
		// 1k..32k pass, 64k fails; 48k fails, 40k fails, 36k passes.
		{"doubling then 3 bisections", results.RateSearch{Start: 1000, Factor: 2, Bisections: 3}, 37000, 36000},
		// Ten bisections get within 32000/2^10 = 31.25 of the capacity.
		{"ten bisections", results.RateSearch{Start: 1000, Factor: 2, Bisections: 10}, 37020, 37000},
		// The start rate fails: the search bisects below it.
		{"start too high", results.RateSearch{Start: 8000, Factor: 2, Bisections: 3}, 2500, 2000},
		// Nothing is sustained at all.
		{"nothing sustained", results.RateSearch{Start: 1000, Factor: 2, Bisections: 3}, 0, 0},
		// The limit is sustained: stop there.
		{"capped", results.RateSearch{Start: 1000, Factor: 2, Bisections: 3, MaxRate: 5000}, 1e9, 5000},
		// Adding instead of multiplying.
		{"additive", results.RateSearch{Start: 1000, Increment: 1000, Bisections: 2}, 4600, 4500},
		// A step that rounds back to the same rate still climbs, by at
		// least 1 msg/s, and ends.
		{"tiny step", results.RateSearch{Start: 2, Factor: 1.2, Bisections: 1}, 10, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, tried := search(tc.spec, tc.capacity)
			if got != tc.want {
				t.Errorf("best = %g, want %g (tried %v)", got, tc.want, tried)
			}
			if got > tc.capacity {
				t.Errorf("best %g is above the capacity %g", got, tc.capacity)
			}
		})
	}
}

func TestSustained(t *testing.T) {
	ok := func(f func(*results.Run)) *results.Run {
		r := &results.Run{Complete: true, Summary: results.Summary{
			TargetRate: 1000, ProduceRateMsgs: 990, ConsumeRateMsgs: 985, ConsumedMessages: 9850,
			PublishLatencyMs: results.Latency{P99: 20},
		}}
		if f != nil {
			f(r)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		run  *results.Run
		// why is part of the reason, "" when sustained.
		why string
	}{
		{"within every bound", ok(nil), ""},
		{"p99 over the bound", ok(func(r *results.Run) { r.Summary.PublishLatencyMs.P99 = 51 }), "p99 51.0 ms over the bound 50 ms"},
		{"rate not reached", ok(func(r *results.Run) { r.Summary.ProduceRateMsgs = 900 }), "below 95% of the target"},
		{"consumers behind", ok(func(r *results.Run) { r.Summary.ConsumeRateMsgs = 700 }), "consumers read 700"},
		{"no consumers is fine", ok(func(r *results.Run) { r.Summary.ConsumeRateMsgs, r.Summary.ConsumedMessages = 0, 0 }), ""},
		{"errors", ok(func(r *results.Run) { r.Summary.Errors = 3 }), "3 errors"},
		// Two subscriptions each keeping up: sustained, though their sum
		// is twice the produce rate.
		{"two subscriptions keeping up", ok(func(r *results.Run) {
			r.Summary.ConsumeRateMsgs = 1970
			r.Summary.Subscriptions = []results.Subscription{{ConsumeRateMsgs: 985}, {ConsumeRateMsgs: 985}}
		}), ""},
		// One subscription reads nothing: their sum still passes 95%, the
		// subscription does not.
		{"one subscription reads nothing", ok(func(r *results.Run) {
			r.Summary.ConsumeRateMsgs = 990
			r.Summary.Subscriptions = []results.Subscription{{ConsumeRateMsgs: 990}, {ConsumeRateMsgs: 0}}
		}), "subscription 1 read 0 msgs/s"},
		{"incomplete", ok(func(r *results.Run) { r.Complete, r.Incomplete = false, "flush timed out" }), "incomplete: flush timed out"},
	} {
		got, why := sustained(tc.run, 50)
		if got != (tc.why == "") || !strings.Contains(strings.Join(why, "; "), tc.why) {
			t.Errorf("%s: Sustained = %v, %q; want reason %q", tc.name, got, why, tc.why)
		}
	}
}
