package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// ScalingModel names a model of capacity against broker count. The three
// are nested: each is the Universal Scalability Law
//
//	X(N) = λN / (1 + σ(N−1) + κN(N−1))
//
// with some parameters held at 0. λ is one broker's capacity, σ the share
// of work that serialises (contention), κ the cost of keeping N brokers
// coherent with each other (crosstalk), which makes X fall past a peak.
type ScalingModel string

// The scaling models, simplest first.
const (
	// ModelLinear is X = λN: σ = κ = 0, every broker adds λ.
	ModelLinear ScalingModel = "linear"
	// ModelAmdahl is Amdahl's law, κ = 0: X rises towards λ/σ.
	ModelAmdahl ScalingModel = "amdahl"
	// ModelUSL is the full Universal Scalability Law.
	ModelUSL ScalingModel = "usl"
)

// scalingModels lists the models, simplest first.
var scalingModels = []ScalingModel{ModelLinear, ModelAmdahl, ModelUSL}

// params is how many parameters the model fits.
func (m ScalingModel) params() int { return slices.Index(scalingModels, m) + 1 }

// Scaling is one model's parameters (see ScalingModel).
type Scaling struct {
	Lambda float64 `json:"lambda"`
	Sigma  float64 `json:"sigma"`
	Kappa  float64 `json:"kappa"`
}

// At returns X(n), the capacity of n brokers.
func (s Scaling) At(n float64) float64 { return s.Lambda * s.shape(n) }

// shape is X(n)/λ.
func (s Scaling) shape(n float64) float64 {
	return n / (1 + s.Sigma*(n-1) + s.Kappa*n*(n-1))
}

// Peak returns the broker count at which X is highest, N* = √((1−σ)/κ),
// and X there; ok is false when X never stops rising (κ = 0).
func (s Scaling) Peak() (brokers, capacity float64, ok bool) {
	if s.Kappa <= 0 {
		return 0, 0, false
	}
	n := math.Max(1, math.Sqrt(math.Max(0, 1-s.Sigma)/s.Kappa))
	return n, s.At(n), true
}

// ScalingPoint is a measured capacity: MBps carried by Brokers brokers.
type ScalingPoint struct {
	Brokers float64 `json:"brokers"`
	MBps    float64 `json:"mbps"`
}

// Estimate is a fitted or projected figure with its 95 % interval, the
// 2.5th and 97.5th percentiles of the residual bootstrap (see FitScaling).
type Estimate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// ScalingFit is one model fitted to the points, or why it was not.
type ScalingFit struct {
	Model ScalingModel `json:"model"`
	// Refused says why the points cannot support the model; the other
	// fields are then empty.
	Refused string   `json:"refused,omitempty"`
	Lambda  Estimate `json:"lambda_mbps"`
	Sigma   Estimate `json:"sigma"`
	Kappa   Estimate `json:"kappa"`
	// RMSE is √(Σ(y−ŷ)²/n), in MB/s; R2 is 1 − Σ(y−ŷ)²/Σ(y−ȳ)², absent
	// when every point carries the same throughput.
	RMSE float64  `json:"rmse_mbps"`
	R2   *float64 `json:"r2,omitempty"`
	// DoF is the points less the parameters: what is left to judge the
	// error with.
	DoF int `json:"dof"`
	// PValue is the extra-sum-of-squares F test of this model against the
	// simpler one chosen before it; 1 for the linear model.
	PValue float64 `json:"p_value"`

	best       Scaling
	rss        float64
	replicates []Scaling
}

// Scaling returns the fit's best parameters.
func (f *ScalingFit) Scaling() Scaling { return f.best }

// Project returns the fitted capacity of n brokers with its interval.
func (f *ScalingFit) Project(n float64) Estimate {
	return estimate(f.best.At(n), f.replicates, func(s Scaling) float64 { return s.At(n) })
}

// ScalingAnalysis is every model fitted to the same points and the one
// chosen.
type ScalingAnalysis struct {
	Points []ScalingPoint `json:"points"`
	Fits   []*ScalingFit  `json:"fits"`
	// Chosen is the simplest model no more complex one beat (see
	// FitScaling); nil when even the linear one was refused.
	Chosen *ScalingFit `json:"-"`
}

// Scaling fit settings.
const (
	// significance is the F test's level: a more complex model is chosen
	// only when its better fit would arise by chance less often than this.
	significance = 0.05
	// bootstrapRounds is how many refits the intervals are read from.
	bootstrapRounds = 400
)

// FitScaling fits every model the points can support and chooses the
// simplest that no more complex one beats by the extra-sum-of-squares F
// test at the 5 % level. A model of k parameters needs at least k+1
// distinct broker counts and k+1 points (one degree of freedom left for
// the error); fewer refuse it, saying so. Least squares: λ in closed form
// for each σ, κ ≥ 0, which Nelder–Mead searches from several starts.
// Intervals come from a residual bootstrap: the fitted values plus
// residuals redrawn (scaled by √(n/(n−k))), refitted bootstrapRounds
// times with a generator seeded by seed, so a plan is reproducible.
func FitScaling(points []ScalingPoint, seed uint64) *ScalingAnalysis {
	a := &ScalingAnalysis{Points: points}
	distinct := map[float64]bool{}
	for _, p := range points {
		distinct[p.Brokers] = true
	}
	for _, m := range scalingModels {
		k := m.params()
		fit := &ScalingFit{Model: m}
		a.Fits = append(a.Fits, fit)
		if len(distinct) < k+1 || len(points) < k+1 {
			fit.Refused = fmt.Sprintf("%d parameter(s) need at least %d distinct broker counts and %d points; the data has %d and %d",
				k, k+1, k+1, len(distinct), len(points))
			continue
		}
		fit.best, fit.rss = fitModel(points, m, nil)
		fit.DoF = len(points) - k
		fit.RMSE = math.Sqrt(fit.rss / float64(len(points)))
		fit.R2 = rSquared(points, fit.rss)
		fit.replicates = bootstrap(points, m, fit.best, seed)
		fit.Lambda = estimate(fit.best.Lambda, fit.replicates, func(s Scaling) float64 { return s.Lambda })
		fit.Sigma = estimate(fit.best.Sigma, fit.replicates, func(s Scaling) float64 { return s.Sigma })
		fit.Kappa = estimate(fit.best.Kappa, fit.replicates, func(s Scaling) float64 { return s.Kappa })
		fit.PValue = 1
		if a.Chosen == nil {
			a.Chosen = fit
			continue
		}
		fit.PValue = fTest(a.Chosen, fit, len(points))
		if fit.PValue < significance {
			a.Chosen = fit
		}
	}
	return a
}

// fTest returns the p-value of the complex model's lower residual sum of
// squares against the simple one's: F = ((RSSs−RSSc)/(kc−ks)) / (RSSc/(n−kc)).
func fTest(simple, complex *ScalingFit, n int) float64 {
	ks, kc := simple.Model.params(), complex.Model.params()
	gain := simple.rss - complex.rss
	// Relative to the data's scale, a residual this small is a perfect fit.
	if tiny := 1e-18 * simple.rss; gain <= tiny {
		return 1
	}
	if complex.rss <= 1e-12*simple.rss {
		return 0
	}
	f := (gain / float64(kc-ks)) / (complex.rss / float64(n-kc))
	return distuv.F{D1: float64(kc - ks), D2: float64(n - kc)}.Survival(f)
}

// rSquared is 1 − RSS/TSS, nil when the points do not vary.
func rSquared(points []ScalingPoint, rss float64) *float64 {
	var mean float64
	for _, p := range points {
		mean += p.MBps
	}
	mean /= float64(len(points))
	var tss float64
	for _, p := range points {
		tss += (p.MBps - mean) * (p.MBps - mean)
	}
	if tss == 0 {
		return nil
	}
	r := 1 - rss/tss
	return &r
}

// fitModel returns the least-squares parameters of m and their residual
// sum of squares.
// from, when set, is the one start to search from (a bootstrap refit
// starts at the fit it perturbs); nil searches from several.
func fitModel(points []ScalingPoint, m ScalingModel, from *Scaling) (Scaling, float64) {
	// Searched in throughputs scaled to about 1, so the optimizer's
	// tolerances mean the same whatever the units.
	var scale float64
	for _, p := range points {
		scale = math.Max(scale, math.Abs(p.MBps))
	}
	if scale == 0 {
		scale = 1
	}
	// σ = u0², κ = u1² keeps them at or above 0 for an unconstrained search.
	shapeOf := func(u []float64) Scaling {
		s := Scaling{}
		if len(u) > 0 {
			s.Sigma = u[0] * u[0]
		}
		if len(u) > 1 {
			s.Kappa = u[1] * u[1]
		}
		return s
	}
	rss := func(u []float64) float64 {
		s := shapeOf(u)
		s.Lambda = bestLambda(points, s)
		var sum float64
		for _, p := range points {
			d := (p.MBps - s.At(p.Brokers)) / scale
			sum += d * d
		}
		return sum
	}
	var starts [][]float64
	switch m {
	case ModelLinear:
		starts = [][]float64{{}}
	case ModelAmdahl:
		for _, sigma := range []float64{0.001, 0.05, 0.3, 0.9} {
			starts = append(starts, []float64{math.Sqrt(sigma)})
		}
	case ModelUSL:
		for _, sigma := range []float64{0.001, 0.05, 0.3, 0.9} {
			for _, kappa := range []float64{1e-5, 1e-3, 0.05} {
				starts = append(starts, []float64{math.Sqrt(sigma), math.Sqrt(kappa)})
			}
		}
	}
	if from != nil && m != ModelLinear {
		u := []float64{math.Sqrt(from.Sigma), math.Sqrt(from.Kappa)}
		starts = [][]float64{u[:m.params()-1]}
	}
	bestU, bestRSS := []float64{}, math.Inf(1)
	for _, u0 := range starts {
		u := u0
		if len(u0) > 0 {
			settings := &optimize.Settings{
				MajorIterations: 5000,
				Converger:       &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-12, Iterations: 50},
			}
			res, err := optimize.Minimize(optimize.Problem{Func: rss}, u0, settings, &optimize.NelderMead{})
			if err != nil && res == nil {
				continue
			}
			u = res.X
		}
		if v := rss(u); v < bestRSS {
			bestU, bestRSS = u, v
		}
	}
	s := shapeOf(bestU)
	s.Lambda = bestLambda(points, s)
	return s, bestRSS * scale * scale
}

// bestLambda is the least-squares λ for s's σ and κ: with g(N) = X(N)/λ,
// λ = Σ y·g / Σ g².
func bestLambda(points []ScalingPoint, s Scaling) float64 {
	var num, den float64
	for _, p := range points {
		g := s.shape(p.Brokers)
		num += p.MBps * g
		den += g * g
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// bootstrap refits m to the fitted values plus redrawn residuals.
func bootstrap(points []ScalingPoint, m ScalingModel, best Scaling, seed uint64) []Scaling {
	n, k := len(points), m.params()
	inflate := math.Sqrt(float64(n) / float64(n-k))
	resid := make([]float64, n)
	for i, p := range points {
		resid[i] = (p.MBps - best.At(p.Brokers)) * inflate
	}
	rng := rand.New(rand.NewPCG(seed, uint64(k)))
	out := make([]Scaling, 0, bootstrapRounds)
	sample := make([]ScalingPoint, n)
	for range bootstrapRounds {
		for i, p := range points {
			sample[i] = ScalingPoint{Brokers: p.Brokers, MBps: best.At(p.Brokers) + resid[rng.IntN(n)]}
		}
		s, _ := fitModel(sample, m, &best)
		out = append(out, s)
	}
	return out
}

// estimate is value with the 2.5th and 97.5th percentiles of f over the
// bootstrap replicates.
func estimate(value float64, replicates []Scaling, f func(Scaling) float64) Estimate {
	if len(replicates) == 0 {
		return Estimate{value, value, value}
	}
	v := make([]float64, len(replicates))
	for i, s := range replicates {
		v[i] = f(s)
	}
	slices.Sort(v)
	return Estimate{Value: value, Low: percentile(v, 0.025), High: percentile(v, 0.975)}
}

// percentile reads quantile q of sorted v, nearest rank.
func percentile(v []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[min(max(i, 0), len(v)-1)]
}
