package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// naiveDFT is the definition X_k = sum_j x_j exp(-2 pi i jk/N).
func naiveDFT(x []float64) []complex128 {
	n := len(x)
	out := make([]complex128, n/2+1)
	for k := range out {
		var s complex128
		for j, v := range x {
			s += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/float64(n)))
		}
		out[k] = s
	}
	return out
}

func TestRealAgainstDFT(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 16, 64, 256, 1024} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rnd.NormFloat64()
		}
		r := NewReal(n)
		got := r.Forward(make([]complex128, n/2+1), x)
		want := naiveDFT(x)
		for k := range want {
			if cmplx.Abs(got[k]-want[k]) > 1e-10*float64(n) {
				t.Fatalf("n=%d k=%d: %v, want %v", n, k, got[k], want[k])
			}
		}
		back := r.Inverse(make([]float64, n), got)
		for i := range x {
			if math.Abs(back[i]-x[i]) > 1e-12 {
				t.Fatalf("n=%d: inverse[%d] = %v, want %v", n, i, back[i], x[i])
			}
		}
	}
}

func BenchmarkReal4096(b *testing.B) {
	r := NewReal(4096)
	x := make([]float64, 4096)
	for i := range x {
		x[i] = float64(i % 7)
	}
	c := make([]complex128, 2049)
	b.ReportAllocs()
	for b.Loop() {
		r.Forward(c, x)
		r.Inverse(x, c)
	}
}
