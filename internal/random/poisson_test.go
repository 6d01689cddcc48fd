package random

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPoissonMoments(t *testing.T) {
	// Mean and variance equal lambda (analytic) within 5 standard errors,
	// on both sides of the switch between methods at 10.
	r := rand.New(rand.NewPCG(1, 2))
	for _, lam := range []float64{0.3, 4, 9.9, 10, 55, 1000} {
		const n = 200000
		var s, s2 float64
		for i := 0; i < n; i++ {
			k := Poisson(r, lam)
			s += k
			s2 += k * k
		}
		m := s / n
		v := s2/n - m*m
		if math.Abs(m-lam) > 5*math.Sqrt(lam/n) || math.Abs(v/lam-1) > 5*math.Sqrt(2.0/n)+0.01 {
			t.Errorf("lambda %g: mean %g variance %g", lam, m, v)
		}
	}
	if Poisson(r, 0) != 0 || Poisson(r, -1) != 0 {
		t.Error("non-positive mean gives counts")
	}
}
