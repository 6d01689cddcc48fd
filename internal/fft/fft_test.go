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

// backends are the transforms under test: the pure-Go code always, and
// the default (FFTW when the build links it).
var backends = []struct {
	name string
	make func(n int) *Real
}{{"go", NewPureReal}, {"default", NewReal}}

func TestRealAgainstDFT(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { testAgainstDFT(t, be.make) })
	}
}

func testAgainstDFT(t *testing.T, newReal func(int) *Real) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 16, 64, 256, 1024} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rnd.NormFloat64()
		}
		r := newReal(n)
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

// TestBackendsAgree: FFTW (when linked) and the pure-Go code give the
// same transform to rounding, 1e-13 of the largest coefficient.
func TestBackendsAgree(t *testing.T) {
	r := NewReal(4096)
	if r.Backend() != "fftw" {
		t.Skip("built without FFTW (tag fftw)")
	}
	g := NewPureReal(4096)
	rnd := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 4096)
	for i := range x {
		x[i] = rnd.ExpFloat64() * 1000
	}
	a, b := r.Forward(make([]complex128, 2049), x), g.Forward(make([]complex128, 2049), x)
	scale := cmplx.Abs(b[0])
	for k := range a {
		if cmplx.Abs(a[k]-b[k]) > 1e-13*scale {
			t.Fatalf("k=%d: fftw %v, go %v", k, a[k], b[k])
		}
	}
	ya, yb := r.Inverse(make([]float64, 4096), a), g.Inverse(make([]float64, 4096), a)
	for i := range ya {
		if math.Abs(ya[i]-yb[i]) > 1e-12*1000 {
			t.Fatalf("inverse %d: fftw %v, go %v", i, ya[i], yb[i])
		}
	}
}

// BenchmarkReal4096 times one forward and one inverse 4096-point real
// transform on each backend, side by side in one run.
func BenchmarkReal4096(b *testing.B) {
	for _, be := range backends {
		r := be.make(4096)
		name := r.Backend()
		if be.name == "default" && name == "go" {
			continue
		}
		x := make([]float64, 4096)
		for i := range x {
			x[i] = float64(i % 7)
		}
		c := make([]complex128, 2049)
		b.Run(name+"/forward", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Forward(c, x)
			}
		})
		b.Run(name+"/inverse", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Inverse(x, c)
			}
		})
	}
}

// TestInverseProductEqualsInverse: InverseProduct gives, to the bit, the
// leading samples of Inverse applied to the coefficient-wise product (Go's
// complex multiplication), on both backends, for output lengths from 1 to
// N (odd and even).
func TestInverseProductEqualsInverse(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, be := range backends {
		for _, n := range []int{4, 16, 1024, 4096} {
			r := be.make(n)
			a, b := make([]complex128, n/2+1), make([]complex128, n/2+1)
			x := make([]float64, n)
			for i := range x {
				x[i] = rnd.NormFloat64()
			}
			r.Forward(a, x)
			for i := range x {
				x[i] = rnd.ExpFloat64()
			}
			r.Forward(b, x)
			prod := make([]complex128, n/2+1)
			for k := range prod {
				prod[k] = a[k] * b[k]
			}
			want := r.Inverse(make([]float64, n), prod)
			for _, m := range []int{1, 2, 3, n/2 - 1, n - 1, n} {
				got := make([]float64, m)
				r.InverseProduct(got, a, b)
				for i, v := range got {
					if math.Float64bits(v) != math.Float64bits(want[i]) {
						t.Fatalf("%s n=%d m=%d: sample %d = %v, Inverse of the product %v", be.name, n, m, i, v, want[i])
					}
				}
			}
		}
	}
}
