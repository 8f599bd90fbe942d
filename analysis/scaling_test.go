package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic returns reps points per broker count from the USL curve s,
// each multiplied by 1 + noise·z, z standard normal from a seeded
// generator.
func synthetic(s Scaling, brokers []float64, reps int, noise float64, seed uint64) []ScalingPoint {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []ScalingPoint
	for _, n := range brokers {
		for range reps {
			out = append(out, ScalingPoint{Brokers: n, MBps: s.At(n) * (1 + noise*rng.NormFloat64())})
		}
	}
	return out
}

func within(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Abs(want) {
		t.Errorf("%s = %g, want %g within %g%%", what, got, want, 100*tol)
	}
}

// A known USL curve with 0.5 % noise is recovered: the model, its
// parameters, and the capacity it predicts, within 5 %.
func TestFitScalingRecoversUSL(t *testing.T) {
	truth := Scaling{Lambda: 80, Sigma: 0.08, Kappa: 0.004}
	pts := synthetic(truth, []float64{1, 2, 3, 4, 6, 8, 10, 12, 16}, 3, 0.005, 1)
	a := FitScaling(pts, 1)
	if a.Chosen == nil || a.Chosen.Model != ModelUSL {
		t.Fatalf("chose %+v, want the USL", a.Chosen)
	}
	got := a.Chosen.Scaling()
	within(t, "λ", got.Lambda, truth.Lambda, 0.05)
	within(t, "σ", got.Sigma, truth.Sigma, 0.05)
	within(t, "κ", got.Kappa, truth.Kappa, 0.05)
	for _, n := range []float64{2, 5, 12, 20} {
		within(t, "X", a.Chosen.Project(n).Value, truth.At(n), 0.05)
	}
	if e := a.Chosen.Lambda; !(e.Low <= truth.Lambda && truth.Lambda <= e.High) {
		t.Errorf("λ interval [%g, %g] misses the truth %g", e.Low, e.High, truth.Lambda)
	}
	if a.Chosen.R2 == nil || *a.Chosen.R2 < 0.99 {
		t.Errorf("R² %v, want above 0.99", a.Chosen.R2)
	}
}

// With 2 % noise the parameters wander (σ and κ trade against each
// other) but the capacity the fit predicts stays within 5 %.
func TestFitScalingPredictsThroughNoise(t *testing.T) {
	truth := Scaling{Lambda: 80, Sigma: 0.08, Kappa: 0.004}
	for seed := uint64(1); seed <= 3; seed++ {
		a := FitScaling(synthetic(truth, []float64{1, 2, 3, 4, 6, 8, 10, 12, 16}, 3, 0.02, seed), seed)
		if a.Chosen == nil {
			t.Fatal("no model chosen")
		}
		for _, n := range []float64{2, 5, 12, 16} {
			within(t, "X", a.Chosen.Project(n).Value, truth.At(n), 0.05)
		}
	}
}

// Exact Amdahl data (κ = 0) chooses Amdahl, not the USL with a κ of noise.
func TestFitScalingAmdahl(t *testing.T) {
	truth := Scaling{Lambda: 50, Sigma: 0.2}
	a := FitScaling(synthetic(truth, []float64{1, 2, 3, 4, 5, 6}, 2, 0.005, 3), 1)
	if a.Chosen == nil || a.Chosen.Model != ModelAmdahl {
		t.Fatalf("chose %+v, want amdahl", a.Chosen)
	}
	within(t, "σ", a.Chosen.Scaling().Sigma, truth.Sigma, 0.05)
}

// Linear data with noise chooses the linear model: the others' better fit
// is what noise alone gives.
func TestFitScalingPrefersLinear(t *testing.T) {
	truth := Scaling{Lambda: 40}
	a := FitScaling(synthetic(truth, []float64{1, 2, 3, 4, 5, 6}, 2, 0.02, 5), 1)
	if a.Chosen == nil || a.Chosen.Model != ModelLinear {
		t.Fatalf("chose %+v, want linear", a.Chosen)
	}
	within(t, "λ", a.Chosen.Scaling().Lambda, truth.Lambda, 0.05)
	for _, f := range a.Fits {
		if f.Refused != "" {
			t.Errorf("%s refused with enough points: %s", f.Model, f.Refused)
		}
	}
}

// Too few broker counts refuse the models they cannot support.
func TestFitScalingRefusesTooFewPoints(t *testing.T) {
	for _, tc := range []struct {
		brokers []float64
		refused []ScalingModel
	}{
		// 1, 3, 5 nodes: three counts, enough for Amdahl but not the USL.
		{[]float64{1, 3, 5}, []ScalingModel{ModelUSL}},
		// two counts: only the linear model.
		{[]float64{1, 3}, []ScalingModel{ModelAmdahl, ModelUSL}},
		// one count: nothing to fit.
		{[]float64{3}, []ScalingModel{ModelLinear, ModelAmdahl, ModelUSL}},
	} {
		a := FitScaling(synthetic(Scaling{Lambda: 10, Sigma: 0.1}, tc.brokers, 1, 0, 1), 1)
		for _, f := range a.Fits {
			want := false
			for _, m := range tc.refused {
				want = want || m == f.Model
			}
			if (f.Refused != "") != want {
				t.Errorf("brokers %v: %s refused %q, want refused %v", tc.brokers, f.Model, f.Refused, want)
			}
		}
	}
}

func TestScalingPeak(t *testing.T) {
	s := Scaling{Lambda: 10, Sigma: 0.1, Kappa: 0.01}
	n, x, ok := s.Peak()
	within(t, "N*", n, math.Sqrt(0.9/0.01), 1e-9)
	if !ok || x < s.At(n-1) || x < s.At(n+1) {
		t.Errorf("peak %g at %g is not the highest", x, n)
	}
	if _, _, ok := (Scaling{Lambda: 1, Sigma: 0.1}).Peak(); ok {
		t.Error("Amdahl curve has a peak")
	}
}
