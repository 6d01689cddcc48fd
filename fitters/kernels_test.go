package fitters

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eelsh5/eelsh5/internal/random"
	"github.com/eelsh5/eelsh5/internal/simd"
)

// gaussOnLine is A exp(-(E-c)^2/(2 s^2)) + b0 + b1 E/n on n = 2029 channels
// (odd, so the kernels' row tail is used): the non-linear fit's
// normal equations on a seed-sized problem.
type gaussOnLine struct{ n int }

func (g gaussOnLine) Eval(dst, p []float64) {
	for i := range dst {
		d := (float64(i) - p[1]) / p[2]
		dst[i] = p[0]*math.Exp(-0.5*d*d) + p[3] + p[4]*float64(i)/float64(g.n)
	}
}

func (g gaussOnLine) Jacobian(j, p []float64) {
	n := g.n
	for i := 0; i < n; i++ {
		x := float64(i)
		d := (x - p[1]) / p[2]
		e := math.Exp(-0.5 * d * d)
		j[i] = e
		j[n+i] = p[0] * e * d / p[2]
		j[2*n+i] = p[0] * e * d * d / p[2]
		j[3*n+i] = 1
		j[4*n+i] = x / float64(n)
	}
}

// TestKernelsAgree: the linear WLS fit, the Fisher covariance and both
// non-linear objectives on the AVX2/FMA kernels agree with the Go loops
// (the code before the kernels) on seed-like Poisson data. Only the
// rounding of the weighted sums differs, amplified by the condition
// number of the scaled normal matrix (about 7e4 for the seed design,
// 6.2): the bounds, 1e-9 of a standard error in the coefficients and
// 1e-9 relative in the covariance, are about 10x the differences
// measured (2026-12-02: 1.1e-10 and 2.2e-11). The non-linear fits end at
// the same parameters to the bit: Levenberg-Marquardt corrects the
// rounding of its steps, and near convergence the steps are too small
// for it to show. An error in a kernel moves any of them by orders of
// magnitude more.
func TestKernelsAgree(t *testing.T) {
	if !simd.Accelerated() {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rnd := rand.New(rand.NewPCG(16, 2))
	a, n, p := seedDesign()
	mu := mulVec(a, n, p, seedTrue)
	y := make([]float64, n)
	for i, m := range mu {
		y[i] = float64(random.Poisson(rnd, m))
	}
	type result struct{ coef, cov, nl []float64 }
	run := func(accelerated bool) (r result) {
		was := simd.SetAccelerated(accelerated)
		defer simd.SetAccelerated(was)
		r.coef = make([]float64, p)
		if res := NewLinear(n, p, WLS).Fit(r.coef, a, y, true); res.Status != OK {
			t.Fatalf("linear fit: %v", res.Status)
		}
		r.cov = make([]float64, p*p)
		if st := NewFisher(n, p).Covariance(r.cov, a, mulVec(a, n, p, r.coef)); st != OK {
			t.Fatalf("covariance: %v", st)
		}
		g := gaussOnLine{2029}
		yg := make([]float64, g.n)
		g.Eval(yg, []float64{400, 1013.7, 31, 50, 20})
		for i, m := range yg {
			yg[i] = float64(random.Poisson(rand.New(rand.NewPCG(uint64(i), 3)), m))
		}
		for _, obj := range []Objective{LeastSquares, PoissonML} {
			nl := NewNonLinear(g.n, 5, obj)
			nl.Weighted = true
			q := []float64{300, 1000, 25, 40, 10}
			if res := nl.Fit(q, g, yg); res.Status != OK {
				t.Fatalf("%s: %v", obj, res.Status)
			}
			r.nl = append(r.nl, q...)
		}
		return r
	}
	got, ref := run(true), run(false)
	var dc, dv, dn float64
	for k := 0; k < p; k++ {
		dc = math.Max(dc, math.Abs(got.coef[k]-ref.coef[k])/math.Sqrt(ref.cov[k*p+k]))
		for l := 0; l < p; l++ {
			dv = math.Max(dv, math.Abs(got.cov[k*p+l]-ref.cov[k*p+l])/math.Sqrt(ref.cov[k*p+k]*ref.cov[l*p+l]))
		}
	}
	for k := range got.nl {
		dn = math.Max(dn, math.Abs(got.nl[k]-ref.nl[k])/math.Abs(ref.nl[k]))
	}
	t.Logf("kernels against Go loops: linear coefficients %.2g standard errors, covariance %.2g, non-linear parameters %.2g relative", dc, dv, dn)
	if !(dc <= 1e-9) || !(dv <= 1e-9) || !(dn <= 1e-9) {
		t.Errorf("kernels differ from the Go loops: coefficients %.3g standard errors, covariance %.3g, non-linear %.3g", dc, dv, dn)
	}
}

// BenchmarkNormalEquations times the seed-sized (2028 x 8) linear WLS fit
// and Fisher covariance on the AVX2/FMA kernels and on the Go loops:
//
//	go test -bench NormalEquations -count 10 ./fitters > ne.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /kernel ne.txt
func BenchmarkNormalEquations(b *testing.B) {
	a, n, p := seedDesign()
	y := mulVec(a, n, p, seedTrue)
	for _, kernel := range []string{"simd", "go"} {
		b.Run("fit=wls/kernel="+kernel, func(b *testing.B) {
			was := simd.SetAccelerated(kernel == "simd")
			defer simd.SetAccelerated(was)
			lin := NewLinear(n, p, WLS)
			c := make([]float64, p)
			for b.Loop() {
				lin.Fit(c, a, y, true)
			}
		})
	}
	for _, kernel := range []string{"simd", "go"} {
		b.Run("fit=fisher/kernel="+kernel, func(b *testing.B) {
			was := simd.SetAccelerated(kernel == "simd")
			defer simd.SetAccelerated(was)
			f := NewFisher(n, p)
			cov := make([]float64, p*p)
			for b.Loop() {
				f.Covariance(cov, a, y)
			}
		})
	}
}
