package quant

import (
	"math"
	"testing"
)

// TestPairedChange checks the statistics of the background rule on
// values worked out by hand: b = a + 0.02 +- 0.01 alternately, so the
// mean change is 0.02 (2% of the mean 1 of a), the paired differences'
// standard deviation 0.01 (population) and the standard error of their
// mean 0.01/sqrt(39) with the sample's n-1 = 39 (40 pixels). Below 30
// pixels the CRLB gives it: variances 0.04 and 0.05 differ by 0.01, so
// the standard error is sqrt(0.01)/sqrt(n).
func TestPairedChange(t *testing.T) {
	n := 40
	a, b, va, vb := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		a[i] = 1
		b[i] = 1.02 + 0.01*float64(1-2*(i%2))
	}
	rel, sig := pairedChange(a, b, va, vb)
	if math.Abs(rel-0.02) > 1e-12 || math.Abs(sig-0.02/(0.01/math.Sqrt(39))) > 1e-9 {
		t.Errorf("40 pixels: relative %g, sigmas %g; want 0.02, %g", rel, sig, 0.02/(0.01/math.Sqrt(39)))
	}
	for i := range 4 {
		va[i], vb[i] = 0.04, 0.05
	}
	rel, sig = pairedChange(a[:4], b[:4], va[:4], vb[:4])
	if math.Abs(rel-0.02) > 1e-12 || math.Abs(sig-0.02/(0.1/2)) > 1e-9 {
		t.Errorf("4 pixels: relative %g, sigmas %g; want 0.02, 0.4", rel, sig)
	}
	a[0] = math.NaN() // a failed pixel is left out
	if rel, _ = pairedChange(a[:2], b[:2], va[:2], vb[:2]); math.Abs(rel-0.01) > 1e-12 {
		t.Errorf("with a failed pixel: relative %g, want 0.01 (the second pixel only)", rel)
	}
}
