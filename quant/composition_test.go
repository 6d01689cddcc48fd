package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestCompositionPropagation(t *testing.T) {
	// Independent amplitudes 1 and 3 with variances 0.01 and 0.04:
	// x = (0.25, 0.75); by the delta method var(x0) = (3/16)^2 0.01 +
	// (1/16)^2 0.04 (analytic).
	x, sd := make([]float64, 2), make([]float64, 2)
	Composition(x, sd, []float64{1, 3}, []float64{0.01, 0, 0, 0.04})
	want := math.Sqrt(9.0/256*0.01 + 1.0/256*0.04)
	if math.Abs(x[0]-0.25) > 1e-15 || math.Abs(sd[0]-want) > 1e-15 || math.Abs(sd[1]-want) > 1e-15 {
		t.Errorf("x %v sd %v, want sd %v", x, sd, want)
	}
	// A Monte Carlo check with correlated amplitudes: the spread of the
	// sampled fractions equals the propagated uncertainty within 3%.
	a := []float64{1, 2, 0.5}
	cov := []float64{0.0004, 0.0001, 0, 0.0001, 0.0009, -0.0001, 0, -0.0001, 0.0001}
	xs, sds := make([]float64, 3), make([]float64, 3)
	Composition(xs, sds, a, cov)
	// Cholesky of cov by hand.
	l00 := math.Sqrt(cov[0])
	l10 := cov[3] / l00
	l11 := math.Sqrt(cov[4] - l10*l10)
	l20 := cov[6] / l00
	l21 := (cov[7] - l20*l10) / l11
	l22 := math.Sqrt(cov[8] - l20*l20 - l21*l21)
	r := rand.New(rand.NewPCG(9, 9))
	const n = 200000
	var s, s2 [3]float64
	xx, dd := make([]float64, 3), make([]float64, 3)
	zero := make([]float64, 9)
	for i := 0; i < n; i++ {
		z0, z1, z2 := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
		b := []float64{a[0] + l00*z0, a[1] + l10*z0 + l11*z1, a[2] + l20*z0 + l21*z1 + l22*z2}
		Composition(xx, dd, b, zero)
		for k := range xx {
			s[k] += xx[k]
			s2[k] += xx[k] * xx[k]
		}
	}
	for k := range xs {
		m := s[k] / n
		sdk := math.Sqrt(s2[k]/n - m*m)
		if math.Abs(sdk/sds[k]-1) > 0.03 {
			t.Errorf("fraction %d: Monte Carlo sd %v, propagated %v", k, sdk, sds[k])
		}
	}
	Composition(xx, dd, []float64{0, 0, 0}, zero)
	if !math.IsNaN(xx[0]) {
		t.Error("zero amplitudes gave a composition")
	}
}

func TestRatioAndDensity(t *testing.T) {
	// doc/algorithms.md 3.11: N [atoms/nm^2] = A 1e10/(I0 disp).
	if got := ArealDensity(2e-3, 1e6, 0.5); math.Abs(got-40) > 1e-12 {
		t.Errorf("areal density %v, want 40", got)
	}
	r, sd := Ratio(2, 4, 0.04, 0.16, 0.02)
	if r != 0.5 || math.Abs(sd-0.5*math.Sqrt(0.015)) > 1e-15 {
		t.Errorf("ratio %v +- %v", r, sd)
	}
	st := Summarize([]float64{1, 2, 3, math.NaN(), 4}, []float64{1, 1, 1, 1, 1})
	if st.Pixels != 4 || st.Mean != 2.5 || st.Median != 2.5 || math.Abs(st.Std-math.Sqrt(1.25)) > 1e-15 || st.MeanSD != 1 {
		t.Errorf("stats %+v", st)
	}
}
