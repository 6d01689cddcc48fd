package fitters

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eelsh5/eelsh5/internal/random"
)

// seedDesign returns the columns of a seed-like model on 2028 channels
// from 205 eV (column major): four power laws (E/205)^-r with r =
// linspace(1, 5, 4), nearly collinear, and four edge-like shapes
// (E > onset) (E/onset)^-3 at the C, N, O K and Fe L onsets.
func seedDesign() (a []float64, n, p int) {
	n, p = 2028, 8
	a = make([]float64, n*p)
	rs := []float64{1, 2.3333333333333335, 3.6666666666666665, 5}
	onsets := []float64{284, 402, 532, 708}
	for i := 0; i < n; i++ {
		e := 205 + 0.5*float64(i)
		for k, r := range rs {
			a[k*n+i] = math.Pow(e/205, -r)
		}
		for k, on := range onsets {
			if e > on {
				a[(4+k)*n+i] = 100 * math.Pow(e/on, -3)
			}
		}
	}
	return a, n, p
}

func mulVec(a []float64, n, p int, c []float64) []float64 {
	y := make([]float64, n)
	for k := 0; k < p; k++ {
		for i := 0; i < n; i++ {
			y[i] += a[k*n+i] * c[k]
		}
	}
	return y
}

var seedTrue = []float64{800, 300, -200, 150, 2, 1.5, 1, 0.7}

func TestWorkedExamples(t *testing.T) {
	// Straight line y = 2 + 3x through 5 exact points (analytic).
	n := 5
	a := make([]float64, 2*n)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		a[i], a[n+i] = 1, float64(i)
		y[i] = 2 + 3*float64(i)
	}
	c := make([]float64, 2)
	r := NewLinear(n, 2, OLS).Fit(c, a, y, false)
	// chi2 is zero to rounding relative to sum y^2 = 410.
	if math.Abs(c[0]-2) > 1e-13 || math.Abs(c[1]-3) > 1e-13 || r.Chi2 > 1e-14*410 || r.Status != OK {
		t.Errorf("line: %v %+v", c, r)
	}
	// Weighted mean: one column of ones, WLS weights 1/y: the estimate is
	// the harmonic mean n / sum(1/y) (analytic).
	y = []float64{4, 8, 16, 32}
	ones := []float64{1, 1, 1, 1}
	c = c[:1]
	NewLinear(4, 1, WLS).Fit(c, ones, y, true)
	if want := 4 / (1.0/4 + 1.0/8 + 1.0/16 + 1.0/32); math.Abs(c[0]-want) > 1e-13 {
		t.Errorf("weighted mean %v, want %v", c[0], want)
	}
	// NNLS: x = argmin ||A x - b||, x >= 0 for A = I, b = (1, -2, 3):
	// the negative component is clipped to 0 (analytic).
	id := []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
	c = make([]float64, 3)
	res := NewLinear(3, 3, NNLS).Fit(c, id, []float64{1, -2, 3}, false)
	if c[0] != 1 || c[1] != 0 || c[2] != 3 || math.Abs(res.Chi2-4) > 1e-12 {
		t.Errorf("nnls identity: %v chi2 %v", c, res.Chi2)
	}
	// CRLB of one amplitude A of a shape f with Poisson data: I = sum
	// f^2/(A f) = sum f / A, so CRLB = A / sum f (analytic).
	f := []float64{1, 2, 3, 4}
	mu := []float64{5, 10, 15, 20} // A = 5
	cov := make([]float64, 1)
	if st := NewFisher(4, 1).Covariance(cov, f, mu); st != OK || math.Abs(cov[0]-0.5) > 1e-15 {
		t.Errorf("single-amplitude CRLB %v (%v), want 0.5", cov[0], st)
	}
	// Ratio error (doc/algorithms.md 6.4 CRLB_ratio) of 2/4 with variances
	// 0.04, 0.16 and covariance 0.02: 0.5 sqrt(0.01 + 0.01 - 0.005).
	if got, want := RatioError(2, 4, 0.04, 0.16, 0.02), 0.5*math.Sqrt(0.015); math.Abs(got-want) > 1e-15 {
		t.Errorf("ratio error %v, want %v", got, want)
	}
}

func TestNoiseFreeRecovery(t *testing.T) {
	// Noise-free data of the seed design: every parameter back to 1e-8
	// relative, by each solver (issue 6).
	a, n, p := seedDesign()
	y := mulVec(a, n, p, seedTrue)
	for _, m := range []Method{OLS, WLS} {
		c := make([]float64, p)
		r := NewLinear(n, p, m).Fit(c, a, y, true)
		if r.Status != OK {
			t.Fatalf("%s: %v", m, r.Status)
		}
		for k := range c {
			if math.Abs(c[k]/seedTrue[k]-1) > 1e-8 {
				t.Errorf("%s: c[%d] = %.12g, want %g", m, k, c[k], seedTrue[k])
			}
		}
		t.Logf("%s: condition %.3g, chi2 %.3g", m, r.Condition, r.Chi2)
	}
	// NNLS recovers a non-negative truth too.
	pos := []float64{800, 300, 200, 150, 2, 1.5, 1, 0.7}
	y = mulVec(a, n, p, pos)
	c := make([]float64, p)
	NewLinear(n, p, NNLS).Fit(c, a, y, true)
	for k := range c {
		if math.Abs(c[k]/pos[k]-1) > 1e-8 {
			t.Errorf("nnls: c[%d] = %.12g, want %g", k, c[k], pos[k])
		}
	}
}

func TestMatchesDenseSolve(t *testing.T) {
	// Poisson data: the WLS solution equals gonum's dense SVD solve of
	// the same weighted system to 1e-10 relative.
	a, n, p := seedDesign()
	mu := mulVec(a, n, p, seedTrue)
	rnd := rand.New(rand.NewPCG(5, 6))
	y := make([]float64, n)
	for i, m := range mu {
		y[i] = math.Round(m + math.Sqrt(m)*rnd.NormFloat64())
	}
	c := make([]float64, p)
	NewLinear(n, p, WLS).Fit(c, a, y, true)
	A := mat.NewDense(n, p, nil)
	b := mat.NewDense(n, 1, nil)
	for i := 0; i < n; i++ {
		sw := math.Sqrt(1 / math.Max(y[i], 1))
		for k := 0; k < p; k++ {
			A.Set(i, k, a[k*n+i]*sw)
		}
		b.Set(i, 0, y[i]*sw)
	}
	var svd mat.SVD
	if !svd.Factorize(A, mat.SVDThin) {
		t.Fatal("gonum SVD failed")
	}
	var x mat.Dense
	svd.SolveTo(&x, b, svd.Rank(1e-15))
	for k := 0; k < p; k++ {
		if w := x.At(k, 0); math.Abs(c[k]-w) > 1e-10*math.Abs(w) {
			t.Errorf("c[%d] = %.15g, dense %.15g", k, c[k], w)
		}
	}
}

func TestSingularDesign(t *testing.T) {
	// Two identical columns: rank deficient, minimum-norm solution that
	// splits the amplitude equally (analytic), status Singular.
	n := 10
	a := make([]float64, 2*n)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		a[i], a[n+i] = float64(i+1), float64(i+1)
		y[i] = 4 * float64(i+1)
	}
	c := make([]float64, 2)
	r := NewLinear(n, 2, OLS).Fit(c, a, y, false)
	if r.Status != Singular || math.Abs(c[0]-2) > 1e-10 || math.Abs(c[1]-2) > 1e-10 {
		t.Errorf("singular: %v %+v", c, r)
	}
	y[3] = math.NaN()
	if r := NewLinear(n, 2, WLS).Fit(c, a, y, true); r.Status != NonFinite || !math.IsNaN(c[0]) {
		t.Errorf("NaN data: %+v", r)
	}
}

func TestCRLBMatchesSpread(t *testing.T) {
	// Over many Poisson realisations the spread of each WLS coefficient
	// equals sqrt(CRLB) within 10% (issue 6). The design is the seed's
	// with the edges at realistic strength.
	a, n, p := seedDesign()
	mu := mulVec(a, n, p, seedTrue)
	rnd := rand.New(rand.NewPCG(7, 8))
	const trials = 1500
	lin := NewLinear(n, p, WLS)
	fish := NewFisher(n, p)
	y := make([]float64, n)
	c := make([]float64, p)
	cov := make([]float64, p*p)
	model := make([]float64, n)
	var sum, sum2, crlb [8]float64
	for t2 := 0; t2 < trials; t2++ {
		for i, m := range mu {
			y[i] = random.Poisson(rnd, m)
		}
		lin.Fit(c, a, y, true)
		for i := range model {
			model[i] = 0
		}
		for k := 0; k < p; k++ {
			for i := 0; i < n; i++ {
				model[i] += a[k*n+i] * c[k]
			}
		}
		if st := fish.Covariance(cov, a, model); st != OK {
			t.Fatal(st)
		}
		for k := 0; k < p; k++ {
			sum[k] += c[k]
			sum2[k] += c[k] * c[k]
			crlb[k] += cov[k*p+k]
		}
	}
	for k := 0; k < p; k++ {
		m := sum[k] / trials
		sd := math.Sqrt(sum2[k]/trials - m*m)
		pred := math.Sqrt(crlb[k] / trials)
		t.Logf("parameter %d: mean %.5g (true %g), spread %.4g, sqrt(CRLB) %.4g", k, m, seedTrue[k], sd, pred)
		// 1500 trials estimate a standard deviation to about 2%.
		if math.Abs(sd/pred-1) > 0.10 {
			t.Errorf("parameter %d: spread %.4g vs sqrt(CRLB) %.4g", k, sd, pred)
		}
	}
}

func BenchmarkLinearWLS(b *testing.B) {
	a, n, p := seedDesign()
	y := mulVec(a, n, p, seedTrue)
	lin := NewLinear(n, p, WLS)
	c := make([]float64, p)
	b.ReportAllocs()
	for b.Loop() {
		lin.Fit(c, a, y, true)
	}
}

func BenchmarkFisher(b *testing.B) {
	a, n, p := seedDesign()
	mu := mulVec(a, n, p, seedTrue)
	f := NewFisher(n, p)
	cov := make([]float64, p*p)
	b.ReportAllocs()
	for b.Loop() {
		f.Covariance(cov, a, mu)
	}
}

func TestNoAllocationPerFit(t *testing.T) {
	a, n, p := seedDesign()
	y := mulVec(a, n, p, seedTrue)
	for _, m := range []Method{OLS, WLS, NNLS} {
		lin := NewLinear(n, p, m)
		c := make([]float64, p)
		if allocs := testing.AllocsPerRun(10, func() { lin.Fit(c, a, y, true) }); allocs != 0 {
			t.Errorf("%s: %v allocations per fit", m, allocs)
		}
	}
	f := NewFisher(n, p)
	cov := make([]float64, p*p)
	if allocs := testing.AllocsPerRun(10, func() { f.Covariance(cov, a, y) }); allocs != 0 {
		t.Errorf("Fisher: %v allocations", allocs)
	}
}
