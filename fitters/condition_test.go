package fitters

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// exactCondition returns the 2-norm condition number of the weighted,
// column-scaled design (the Condition of the QR path), from gonum's SVD.
func exactCondition(t *testing.T, a, y []float64, n, p int, weighted bool) float64 {
	t.Helper()
	A := mat.NewDense(n, p, nil)
	for k := 0; k < p; k++ {
		ss := 0.0
		for i := 0; i < n; i++ {
			sw := 1.0
			if weighted {
				sw = math.Sqrt(1 / math.Max(y[i], 1))
			}
			v := a[k*n+i] * sw
			A.Set(i, k, v)
			ss += v * v
		}
		for i := 0; i < n; i++ {
			A.Set(i, k, A.At(i, k)/math.Sqrt(ss))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(A, mat.SVDNone) {
		t.Fatal("gonum SVD failed")
	}
	s := svd.Values(nil)
	return s[0] / s[len(s)-1]
}

// TestConditionEstimate: the corrected semi-normal equations report the
// square root of the scaled Gram's 1-norm condition number as estimated
// from its Cholesky factor (Hager/Higham). Against the exact 2-norm
// condition number of the weighted, scaled design (gonum's SVD) it must
// lie in [exact/2, sqrt(p) exact]: the upper end is the theory (for a
// symmetric G, ||G||_2 <= ||G||_1 <= sqrt(p) ||G||_2, the same for G^-1,
// and the estimate never exceeds ||G^-1||_1), the lower end allows the
// estimator's underestimate, which Higham reports within a factor of
// about 3 of ||G^-1||_1 in practice (the square root halves that). The
// designs: the seed design with Poisson data (exact about 200, measured
// ratio 1.3), random designs of 1 to 40 columns, and nearly collinear
// ones up to cond 1e5. A design beyond csneLimit is solved by QR and its
// Condition is the exact value.
func TestConditionEstimate(t *testing.T) {
	rnd := rand.New(rand.NewPCG(11, 12))
	check := func(name string, a, y []float64, n, p int, weighted bool) float64 {
		t.Helper()
		c := make([]float64, p)
		m := WLS
		if !weighted {
			m = OLS
		}
		r := NewLinear(n, p, m).Fit(c, a, y, weighted)
		exact := exactCondition(t, a, y, n, p, weighted)
		ratio := r.Condition / exact
		if r.Status != OK || !(ratio >= 0.5 && ratio <= math.Sqrt(float64(p))*(1+1e-9)) {
			t.Errorf("%s: status %v, condition %.4g, exact %.4g (ratio %.3g)", name, r.Status, r.Condition, exact, ratio)
		}
		return ratio
	}
	a, n, p := seedDesign()
	mu := mulVec(a, n, p, seedTrue)
	y := make([]float64, n)
	for i, m := range mu {
		y[i] = math.Round(m + math.Sqrt(m)*rnd.NormFloat64())
	}
	t.Logf("seed design: condition estimate / exact %.4g", check("seed", a, y, n, p, true))
	lo, hi := math.Inf(1), 0.0
	for _, p := range []int{1, 2, 3, 5, 8, 13, 40} {
		for _, spread := range []float64{0, 1e-2, 1e-4} {
			n := 300
			a := make([]float64, n*p)
			base := make([]float64, n)
			for i := range base {
				base[i] = rnd.NormFloat64()
			}
			// columns: a shared base plus independent parts of relative
			// size spread (0: independent), magnitudes over 4 decades
			for k := 0; k < p; k++ {
				s := math.Pow(10, float64(k%5)-2)
				for i := 0; i < n; i++ {
					v := rnd.NormFloat64()
					if spread > 0 {
						v = base[i] + spread*v
					}
					a[k*n+i] = s * v
				}
			}
			y := make([]float64, n)
			for i := range y {
				y[i] = 10 + 100*rnd.Float64()
			}
			r := check("random", a, y, n, p, p%2 == 0)
			lo, hi = math.Min(lo, r), math.Max(hi, r)
		}
	}
	t.Logf("random designs: condition estimate / exact %.3g .. %.3g", lo, hi)
	// Beyond csneLimit: QR, exact 2-norm condition number.
	n = 200
	a = make([]float64, 2*n)
	y = make([]float64, n)
	for i := 0; i < n; i++ {
		x := float64(i) / float64(n)
		a[i], a[n+i] = 1+x, 1+x+1e-8*math.Sin(7*x)
		y[i] = 3 + x
	}
	c := make([]float64, 2)
	r := NewLinear(n, 2, OLS).Fit(c, a, y, false)
	if exact := exactCondition(t, a, y, n, 2, false); !(exact > csneLimit) || math.Abs(r.Condition/exact-1) > 1e-6 {
		t.Errorf("ill-conditioned design: condition %.6g, exact %.6g (QR path expected)", r.Condition, exact)
	}
}
