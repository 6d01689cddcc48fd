package fitters

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomSPD returns a p x p symmetric positive definite matrix B^T B + I
// with its diagonal spread over decades (rows and columns scaled by
// 10^u, u uniform in [-3, 3]), as the information of amplitudes of very
// different size is.
func randomSPD(rnd *rand.Rand, p int) []float64 {
	b := make([]float64, 2*p*p)
	for i := range b {
		b[i] = rnd.NormFloat64()
	}
	s := make([]float64, p)
	for i := range s {
		s[i] = math.Pow(10, 6*rnd.Float64()-3)
	}
	a := make([]float64, p*p)
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			v := 0.0
			if i == j {
				v = 1
			}
			for k := 0; k < 2*p; k++ {
				v += b[k*p+i] * b[k*p+j]
			}
			a[i*p+j] = v * s[i] * s[j]
		}
	}
	return a
}

// TestInvertSPD: invertSPD (Y = L^-1, then Y^T Y) agrees with gonum's
// Cholesky inverse of the same matrices to 1e-12 of sqrt(C_ii C_jj), for
// the sizes eelsh5 meets (the seed's 8 parameters, 40, the 130 of a fit
// with fine structure on four edges), and refuses a matrix that is not
// positive definite.
func TestInvertSPD(t *testing.T) {
	rnd := rand.New(rand.NewPCG(41, 42))
	for _, p := range []int{1, 2, 3, 8, 13, 40, 130} {
		a := randomSPD(rnd, p)
		var ch mat.Cholesky
		if !ch.Factorize(mat.NewSymDense(p, append([]float64(nil), a...))) {
			t.Fatalf("p=%d: gonum cannot factorise the test matrix", p)
		}
		var want mat.SymDense
		if err := ch.InverseTo(&want); err != nil {
			t.Fatal(err)
		}
		got, scale := make([]float64, p*p), make([]float64, p)
		if !invertSPD(got, append([]float64(nil), a...), scale, p) {
			t.Fatalf("p=%d: refused an SPD matrix", p)
		}
		worst := 0.0
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				if got[i*p+j] != got[j*p+i] {
					t.Fatalf("p=%d: result not symmetric at (%d, %d)", p, i, j)
				}
				d := math.Abs(got[i*p+j]-want.At(i, j)) / math.Sqrt(want.At(i, i)*want.At(j, j))
				worst = math.Max(worst, d)
			}
		}
		t.Logf("p=%d: largest difference from gonum %.2g of sqrt(C_ii C_jj)", p, worst)
		if !(worst < 1e-12) {
			t.Errorf("p=%d: differs from gonum's inverse by %.2g of sqrt(C_ii C_jj)", p, worst)
		}
	}
	bad := []float64{1, 2, 2, 1} // eigenvalues 3 and -1
	if invertSPD(make([]float64, 4), bad, make([]float64, 2), 2) {
		t.Error("an indefinite matrix was inverted")
	}
}

// invertSPDColumns is invertSPD as it was before the row-wise inverse:
// after the same equilibration and Cholesky factor, a forward and a
// backward substitution per column of the identity (p^3 multiply-adds,
// strided). Kept for BenchmarkInvertSPD.
func invertSPDColumns(dst, a, scale []float64, p int) bool {
	if !equilibratedCholesky(a, scale, p) {
		return false
	}
	for c := 0; c < p; c++ {
		for i := 0; i < p; i++ {
			t := 0.0
			if i == c {
				t = 1
			}
			for k := 0; k < i; k++ {
				t -= a[i*p+k] * dst[k*p+c]
			}
			dst[i*p+c] = t / a[i*p+i]
		}
		for i := p - 1; i >= 0; i-- {
			t := dst[i*p+c]
			for k := i + 1; k < p; k++ {
				t -= a[k*p+i] * dst[k*p+c]
			}
			dst[i*p+c] = t / a[i*p+i]
		}
	}
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			dst[i*p+j] *= scale[i] * scale[j]
		}
	}
	return true
}

// BenchmarkInvertSPD times the covariance inversion against the
// column-by-column substitution it replaced, side by side:
//
//	go test -run '^$' -bench InvertSPD -count 5 ./fitters
func BenchmarkInvertSPD(b *testing.B) {
	for _, p := range []int{8, 40, 130} {
		a := randomSPD(rand.New(rand.NewPCG(43, uint64(p))), p)
		for _, impl := range []struct {
			name string
			fn   func(dst, a, scale []float64, p int) bool
		}{{"rows", invertSPD}, {"columns", invertSPDColumns}} {
			b.Run(fmt.Sprintf("p=%d/%s", p, impl.name), func(b *testing.B) {
				dst, work, scale := make([]float64, p*p), make([]float64, p*p), make([]float64, p)
				for b.Loop() {
					copy(work, a)
					if !impl.fn(dst, work, scale, p) {
						b.Fatal("refused")
					}
				}
			})
		}
	}
}
