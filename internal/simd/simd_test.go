package simd

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The sizes eelsh5 meets: 500-4000 channels (2028 for the seed fit),
// 4-40 parameters; odd sizes and every remainder of n mod 4 and mod 16
// for the tails the assembly leaves to the Go loops; tiny sizes below
// one vector.
var (
	testRows   = []int{1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 500, 501, 502, 503, 2028, 2029, 2031, 4000}
	testParams = []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 40}
)

// testData returns a column-major n x p design, y and positive weights,
// each starting one float64 past a 32-byte boundary of its backing array
// (never aligned for the vector loads) and followed by NaN guards that
// would show in a result if a kernel read past the end.
func testData(rnd *rand.Rand, n, p int) (a, y, w []float64) {
	slice := func(m int, f func() float64) []float64 {
		buf := make([]float64, m+8)
		for i := range buf {
			buf[i] = math.NaN()
		}
		s := buf[1 : 1+m]
		for i := range s {
			s[i] = f()
		}
		return s
	}
	// columns of very different sizes, as a design of power laws and
	// edges; signed, so that sums cancel
	a = slice(n*p, func() float64 { return rnd.NormFloat64() })
	for k := 0; k < p; k++ {
		s := math.Pow(10, float64(k%5)-2)
		for i := k * n; i < (k+1)*n; i++ {
			a[i] *= s
		}
	}
	y = slice(n, func() float64 { return 1e3 * rnd.NormFloat64() })
	w = slice(n, func() float64 { return 1 / (1 + 1e3*rnd.Float64()) })
	return a, y, w
}

// exactDot returns sum_i w_i x_i y_i rounded once from the exact sum
// (each term is exact in 200 bits), and the sum of the terms' magnitudes.
func exactDot(x, y, w []float64) (sum, mag float64) {
	acc := new(big.Float).SetPrec(2000)
	t := new(big.Float).SetPrec(200)
	for i := range x {
		t.SetFloat64(w[i])
		t.Mul(t, new(big.Float).SetFloat64(x[i]))
		t.Mul(t, new(big.Float).SetFloat64(y[i]))
		acc.Add(acc, t)
		mag += math.Abs(w[i] * x[i] * y[i])
	}
	sum, _ = acc.Float64()
	return sum, mag
}

// within reports whether got is within the error bound of a recursive
// sum of n terms, each with two roundings: (n+2) eps times the sum of
// the terms' magnitudes (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., eq. 3.5 and 4.4), plus the underflow of tiny sums.
func within(got, want, mag float64, n int) bool {
	return math.Abs(got-want) <= float64(n+2)*0x1p-53*mag+1e-300
}

// magnitude returns sum_i |w_i x_i y_i|.
func magnitude(x, y, w []float64) float64 {
	m := 0.0
	for i := range x {
		m += math.Abs(w[i] * x[i] * y[i])
	}
	return m
}

func col(a []float64, n, k int) []float64 { return a[k*n : (k+1)*n] }

// TestGramExact: every entry of the Gram, A^T W y and y^T W y from both
// the assembly (where the CPU has it) and the Go loops is within the
// summation error bound of the exact sum, and the assembly agrees with
// the Go loops to the same bound. A kernel that drops, repeats or
// misplaces a row, a column or a tail lane fails by far more.
func TestGramExact(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 16))
	for _, n := range []int{1, 3, 4, 5, 17, 503, 2028} {
		for _, p := range []int{1, 4, 5, 9} {
			a, y, w := testData(rnd, n, p)
			for _, acc := range []bool{false, true} {
				was := SetAccelerated(acc)
				ld := p + 3
				g := make([]float64, p*ld)
				aty := make([]float64, p)
				yy := Gram(g, ld, aty, a, n, p, y, w)
				SetAccelerated(was)
				for k := 0; k < p; k++ {
					for j := k; j < p; j++ {
						want, mag := exactDot(col(a, n, k), col(a, n, j), w)
						if !within(g[k*ld+j], want, mag, n) {
							t.Errorf("n %d p %d asm %v: g[%d,%d] = %v, exact %v", n, p, acc && hasAsm, k, j, g[k*ld+j], want)
						}
					}
					want, mag := exactDot(col(a, n, k), y, w)
					if !within(aty[k], want, mag, n) {
						t.Errorf("n %d p %d asm %v: aty[%d] = %v, exact %v", n, p, acc && hasAsm, k, aty[k], want)
					}
				}
				if want, mag := exactDot(y, y, w); !within(yy, want, mag, n) {
					t.Errorf("n %d p %d asm %v: yWy = %v, exact %v", n, p, acc && hasAsm, yy, want)
				}
			}
		}
	}
}

// TestGramAsmGo compares the assembly with the Go loops over the whole
// size grid, with and without y, and checks that nothing outside the
// upper triangle of g (the lower triangle, the padding up to ld) is
// written.
func TestGramAsmGo(t *testing.T) {
	if !hasAsm {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rnd := rand.New(rand.NewPCG(2, 16))
	for _, n := range testRows {
		for _, p := range testParams {
			a, y, w := testData(rnd, n, p)
			ld := p + 2
			for _, withY := range []bool{false, true} {
				var yv []float64
				if withY {
					yv = y
				}
				run := func(acc bool) (g, aty []float64, yy float64) {
					was := SetAccelerated(acc)
					defer SetAccelerated(was)
					g = make([]float64, p*ld)
					for i := range g {
						g[i] = -7
					}
					aty = make([]float64, p)
					yy = Gram(g, ld, aty, a, n, p, yv, w)
					return g, aty, yy
				}
				gg, atyg, yyg := run(false)
				ga, atya, yya := run(true)
				for k := 0; k < p; k++ {
					for j := 0; j < ld; j++ {
						got, ref := ga[k*ld+j], gg[k*ld+j]
						if j < k || j >= p {
							if got != -7 || ref != -7 {
								t.Fatalf("n %d p %d: g[%d,%d] outside the upper triangle written (%v, %v)", n, p, k, j, got, ref)
							}
							continue
						}
						if !within(got, ref, 2*magnitude(col(a, n, k), col(a, n, j), w), n) {
							t.Errorf("n %d p %d y %v: g[%d,%d] asm %v, Go %v", n, p, withY, k, j, got, ref)
						}
					}
					if !withY {
						continue
					}
					if !within(atya[k], atyg[k], 2*magnitude(col(a, n, k), y, w), n) {
						t.Errorf("n %d p %d: aty[%d] asm %v, Go %v", n, p, k, atya[k], atyg[k])
					}
				}
				if withY && !within(yya, yyg, 2*magnitude(y, y, w), n) {
					t.Errorf("n %d p %d: yWy asm %v, Go %v", n, p, yya, yyg)
				}
				if !withY && (yya != 0 || yyg != 0) {
					t.Errorf("n %d p %d: yWy without y %v, %v", n, p, yya, yyg)
				}
			}
		}
	}
}

// TestMulTransDot: A^T W x and x^T W y from both paths against the exact
// sums over the size grid.
func TestMulTransDot(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 16))
	for _, n := range testRows {
		for _, p := range testParams {
			a, y, w := testData(rnd, n, p)
			for _, acc := range []bool{false, true} {
				was := SetAccelerated(acc)
				dst := make([]float64, p+1)
				dst[p] = -7
				MulTrans(dst, a, n, p, y, w)
				d := Dot(col(a, n, 0), y, w)
				SetAccelerated(was)
				if dst[p] != -7 {
					t.Fatalf("n %d p %d: MulTrans wrote past p", n, p)
				}
				for k := 0; k < p; k++ {
					if want, mag := exactDot(col(a, n, k), y, w); !within(dst[k], want, mag, n) {
						t.Errorf("n %d p %d asm %v: MulTrans[%d] = %v, exact %v", n, p, acc && hasAsm, k, dst[k], want)
					}
				}
				if want, mag := exactDot(col(a, n, 0), y, w); !within(d, want, mag, n) {
					t.Errorf("n %d asm %v: Dot = %v, exact %v", n, acc && hasAsm, d, want)
				}
			}
		}
	}
}

// TestEmptyAndNonFinite: zero rows give zero sums; a NaN or an infinity
// in a row reaches the sums it belongs to (the fitters detect non-finite
// designs from the Gram's diagonal) and no other.
func TestEmptyAndNonFinite(t *testing.T) {
	g := []float64{5, 5, 5, 5}
	aty := []float64{5, 5}
	if yy := Gram(g, 2, aty, nil, 0, 2, []float64{}, nil); yy != 0 || g[0] != 0 || g[1] != 0 || g[3] != 0 || g[2] != 5 || aty[0] != 0 || aty[1] != 0 {
		t.Errorf("n = 0: g %v aty %v yWy %v", g, aty, yy)
	}
	for _, acc := range []bool{false, true} {
		was := SetAccelerated(acc)
		rnd := rand.New(rand.NewPCG(4, 16))
		n, p := 2029, 3
		a, y, w := testData(rnd, n, p)
		a[n+1000] = math.Inf(1) // column 1
		g := make([]float64, p*p)
		aty := make([]float64, p)
		Gram(g, p, aty, a, n, p, y, w)
		SetAccelerated(was)
		if !math.IsInf(g[1*p+1], 1) || !math.IsNaN(g[0*p+1]) && !math.IsInf(g[0*p+1], 0) || math.IsInf(g[0], 0) || math.IsNaN(g[0]) || math.IsInf(g[2*p+2], 0) || math.IsNaN(g[2*p+2]) {
			t.Errorf("asm %v: Inf in column 1: g %v", acc && hasAsm, g)
		}
	}
}

func TestShapePanics(t *testing.T) {
	a := make([]float64, 10)
	for i, f := range []func(){
		func() { Gram(make([]float64, 4), 2, nil, a, 5, 3, nil, a) },              // a too short for 3 columns
		func() { Gram(make([]float64, 3), 2, nil, a, 5, 2, nil, a) },              // g too short
		func() { Gram(make([]float64, 4), 1, nil, a, 5, 2, nil, a) },              // ld < p
		func() { Gram(make([]float64, 4), 2, make([]float64, 1), a, 5, 2, a, a) }, // aty too short
		func() { Gram(make([]float64, 4), 2, make([]float64, 2), a, 5, 2, a[:4], a) },
		func() { MulTrans(make([]float64, 1), a, 5, 2, a, a) },
		func() { Dot(a, a[:9], a) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d: no panic", i)
				}
			}()
			f()
		}()
	}
}

func TestNoAllocation(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 16))
	n, p := 2028, 9
	a, y, w := testData(rnd, n, p)
	g, aty := make([]float64, p*p), make([]float64, p)
	if allocs := testing.AllocsPerRun(10, func() {
		Gram(g, p, aty, a, n, p, y, w)
		MulTrans(aty, a, n, p, y, w)
		Dot(y, y, w)
	}); allocs != 0 {
		t.Errorf("%v allocations", allocs)
	}
}

// BenchmarkGram times the Gram of [A y] (the linear fit's one sweep) on
// the assembly and on the Go loops for the sizes eelsh5 meets; 2028 x 8
// is the seed fit.
func BenchmarkGram(b *testing.B) {
	for _, n := range []int{500, 2028, 4000} {
		for _, p := range []int{4, 8, 16, 40} {
			rnd := rand.New(rand.NewPCG(6, 16))
			a, y, w := testData(rnd, n, p)
			g, aty := make([]float64, p*p), make([]float64, p)
			for _, kind := range []string{"asm", "go"} {
				b.Run(fmt.Sprintf("n=%d/p=%d/%s", n, p, kind), func(b *testing.B) {
					if kind == "asm" && !hasAsm {
						b.Skip("no assembly kernels")
					}
					was := SetAccelerated(kind == "asm")
					defer SetAccelerated(was)
					for b.Loop() {
						Gram(g, p, aty, a, n, p, y, w)
					}
					b.ReportMetric(float64(n*(p+1)*(p+2)/2)/b.Elapsed().Seconds()*float64(b.N)/1e9, "Gmuladd/s")
				})
			}
		}
	}
}

func BenchmarkDot(b *testing.B) {
	rnd := rand.New(rand.NewPCG(7, 16))
	_, y, w := testData(rnd, 2028, 1)
	for _, kind := range []string{"asm", "go"} {
		b.Run(kind, func(b *testing.B) {
			if kind == "asm" && !hasAsm {
				b.Skip("no assembly kernels")
			}
			was := SetAccelerated(kind == "asm")
			defer SetAccelerated(was)
			for b.Loop() {
				Dot(y, y, w)
			}
		})
	}
}

// TestAxpyBitIdentical: Axpy equals the plain loop y_i += alpha x_i (a
// rounded product, then a rounded sum) to the bit on both paths, for
// every tail length, with unaligned slices, and touches nothing past
// len(x).
func TestAxpyBitIdentical(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for _, accelerated := range []bool{true, false} {
		was := SetAccelerated(accelerated)
		for _, n := range testRows {
			x, y, _ := testData(rnd, n, 1)
			alpha := rnd.NormFloat64() * 1e3
			want := make([]float64, n)
			for i := range want {
				want[i] = y[i] + alpha*x[i]
			}
			got := y[:n]
			guard := y[:n+1][n]
			Axpy(alpha, x, got)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("accelerated %v n=%d: y[%d] = %v, loop %v", accelerated, n, i, got[i], want[i])
				}
			}
			if g := y[:n+1][n]; !math.IsNaN(g) || !math.IsNaN(guard) {
				t.Fatalf("accelerated %v n=%d: guard past the end changed to %v", accelerated, n, g)
			}
		}
		SetAccelerated(was)
	}
}

// TestPoissonWeights: sqrt(1/max(y, 1)) and its square to the bit on both
// paths, for counts below, at and above 1 (zero, negative, fractional,
// huge), every tail length, and a NaN or Inf at any place (in the
// assembly's rows or the tail) reported as false.
func TestPoissonWeights(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 10))
	special := []float64{0, math.Copysign(0, -1), -3, 0.25, 1, math.Nextafter(1, 2), math.Nextafter(1, 0), 7, 1e300, 5e-324, 1e6}
	for _, accelerated := range []bool{true, false} {
		was := SetAccelerated(accelerated)
		for _, n := range testRows {
			_, y, _ := testData(rnd, n, 1)
			for i := range y {
				if i%3 == 0 {
					y[i] = special[rnd.IntN(len(special))]
				} else {
					y[i] = math.Abs(y[i])
				}
			}
			sw, w := make([]float64, n), make([]float64, n)
			if !PoissonWeights(sw, w, y) {
				t.Fatalf("accelerated %v n=%d: finite counts reported as not finite", accelerated, n)
			}
			for i, v := range y {
				s := math.Sqrt(1 / math.Max(v, 1))
				if math.Float64bits(sw[i]) != math.Float64bits(s) || math.Float64bits(w[i]) != math.Float64bits(s*s) {
					t.Fatalf("accelerated %v n=%d: y=%v gives %v, %v; want %v, %v", accelerated, n, v, sw[i], w[i], s, s*s)
				}
			}
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				for _, at := range []int{0, n / 2, n - 1} {
					keep := y[at]
					y[at] = bad
					if PoissonWeights(sw, w, y) {
						t.Fatalf("accelerated %v n=%d: %v at %d not reported", accelerated, n, bad, at)
					}
					y[at] = keep
				}
			}
		}
		SetAccelerated(was)
	}
}

// TestMulComplexBitIdentical: MulComplex equals Go's complex128
// multiplication to the bit on both paths, for every tail length, with
// magnitudes over many decades, signed zeros and cancelling products, and
// in place (dst = a).
func TestMulComplexBitIdentical(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 14))
	val := func() float64 {
		switch rnd.IntN(8) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		}
		return rnd.NormFloat64() * math.Pow(10, float64(rnd.IntN(40)-20))
	}
	for _, accelerated := range []bool{true, false} {
		was := SetAccelerated(accelerated)
		for _, n := range testRows {
			a, b := make([]complex128, n+1)[1:], make([]complex128, n)
			for k := range a {
				a[k], b[k] = complex(val(), val()), complex(val(), val())
				if k%5 == 0 { // (x + iy)(x + iy)-like cancellation in the real part
					b[k] = complex(imag(a[k]), real(a[k]))
				}
			}
			want := make([]complex128, n)
			for k := range want {
				want[k] = a[k] * b[k]
			}
			got := make([]complex128, n)
			MulComplex(got, a, b)
			MulComplex(a, a, b)
			for k := range want {
				for _, g := range []complex128{got[k], a[k]} {
					if math.Float64bits(real(g)) != math.Float64bits(real(want[k])) || math.Float64bits(imag(g)) != math.Float64bits(imag(want[k])) {
						t.Fatalf("accelerated %v n=%d: product %d = %v, Go %v", accelerated, n, k, g, want[k])
					}
				}
			}
		}
		SetAccelerated(was)
	}
}

// TestReciprocals: 1/x to the bit on both paths for every tail length,
// and false for a zero, negative, NaN or infinite value at any place.
func TestReciprocals(t *testing.T) {
	rnd := rand.New(rand.NewPCG(15, 16))
	for _, accelerated := range []bool{true, false} {
		was := SetAccelerated(accelerated)
		for _, n := range testRows {
			x := make([]float64, n)
			for i := range x {
				x[i] = rnd.ExpFloat64() * math.Pow(10, float64(rnd.IntN(20)-10))
			}
			x[0] = 5e-324
			dst := make([]float64, n)
			if !Reciprocals(dst, x) {
				t.Fatalf("accelerated %v n=%d: positive values rejected", accelerated, n)
			}
			for i, v := range x {
				if math.Float64bits(dst[i]) != math.Float64bits(1/v) {
					t.Fatalf("accelerated %v n=%d: 1/%v = %v, want %v", accelerated, n, v, dst[i], 1/v)
				}
			}
			for _, bad := range []float64{0, math.Copysign(0, -1), -1, math.NaN(), math.Inf(1), math.Inf(-1)} {
				for _, at := range []int{0, n / 2, n - 1} {
					keep := x[at]
					x[at] = bad
					if Reciprocals(dst, x) {
						t.Fatalf("accelerated %v n=%d: %v at %d accepted", accelerated, n, bad, at)
					}
					x[at] = keep
				}
			}
		}
		SetAccelerated(was)
	}
}

// TestDivideBitIdentical: Divide equals x_i / s to the bit on both paths
// for every tail length, in place too.
func TestDivideBitIdentical(t *testing.T) {
	rnd := rand.New(rand.NewPCG(17, 18))
	for _, accelerated := range []bool{true, false} {
		was := SetAccelerated(accelerated)
		for _, n := range testRows {
			x, _, _ := testData(rnd, n, 1)
			s := rnd.ExpFloat64() * 1e5
			got := make([]float64, n)
			Divide(got, x, s)
			for i, v := range x {
				if math.Float64bits(got[i]) != math.Float64bits(v/s) {
					t.Fatalf("accelerated %v n=%d: %v / %v = %v, want %v", accelerated, n, v, s, got[i], v/s)
				}
			}
			Divide(x, x, s)
			for i := range x {
				if x[i] != got[i] {
					t.Fatalf("accelerated %v n=%d: in place differs at %d", accelerated, n, i)
				}
			}
		}
		SetAccelerated(was)
	}
}

// TestScaleBitIdentical: Scale gives the Go loop's products to the bit,
// in place too, and with a power-of-two reciprocal the quotients of
// Divide (the use in the FFTW inverse).
func TestScaleBitIdentical(t *testing.T) {
	rnd := rand.New(rand.NewPCG(21, 22))
	for _, accelerated := range []bool{true, false} {
		was := SetAccelerated(accelerated)
		for _, n := range testRows {
			x, _, _ := testData(rnd, n, 1)
			s := rnd.ExpFloat64() * 1e5
			got := make([]float64, n)
			Scale(got, x, s)
			for i, v := range x {
				if math.Float64bits(got[i]) != math.Float64bits(v*s) {
					t.Fatalf("accelerated %v n=%d: %v * %v = %v, want %v", accelerated, n, v, s, got[i], v*s)
				}
			}
			quot, inv := make([]float64, n), make([]float64, n)
			Divide(quot, x, 4096)
			Scale(inv, x, 1.0/4096)
			for i := range x {
				if math.Float64bits(inv[i]) != math.Float64bits(quot[i]) {
					t.Fatalf("accelerated %v n=%d: x/4096 = %v, x*(1/4096) = %v", accelerated, n, quot[i], inv[i])
				}
			}
			Scale(x, x, s)
			for i := range x {
				if math.Float64bits(x[i]) != math.Float64bits(got[i]) {
					t.Fatalf("accelerated %v n=%d: in place differs at %d", accelerated, n, i)
				}
			}
		}
		SetAccelerated(was)
	}
}

// sameGramWithout checks that Gram of (a, y, w) is the same to the bit
// with the path that path enables (g, aty and yWy) as with it switched
// off; name names the path in the failure.
func sameGramWithout(t *testing.T, name string, path *bool, a, y, w []float64, n, p int) {
	t.Helper()
	gram := func(on bool) ([]float64, []float64, float64) {
		was := *path
		*path = on
		defer func() { *path = was }()
		g, aty := make([]float64, p*p), make([]float64, p)
		return g, aty, Gram(g, p, aty, a, n, p, y, w)
	}
	g1, t1, s1 := gram(true)
	g0, t0, s0 := gram(false)
	for i := range g0 {
		if math.Float64bits(g1[i]) != math.Float64bits(g0[i]) {
			t.Fatalf("n=%d p=%d y %v: g[%d] %s %v, sweep %v", n, p, y != nil, i, name, g1[i], g0[i])
		}
	}
	for i := range t0 {
		if math.Float64bits(t1[i]) != math.Float64bits(t0[i]) {
			t.Fatalf("n=%d p=%d: aty[%d] %s %v, sweep %v", n, p, i, name, t1[i], t0[i])
		}
	}
	if math.Float64bits(s1) != math.Float64bits(s0) {
		t.Fatalf("n=%d p=%d: yWy %s %v, sweep %v", n, p, name, s1, s0)
	}
}

// TestGramWideBitIdentical: the Gram of wide designs on blocks of three
// rows by four columns of the weighted columns (asmGramWide) equals the
// sweep of 2 x 4 blocks to the bit, with and without y, at the widths
// where it takes over (minWideColumns) up to fine structure's 131, and
// on row counts with every tail length.
func TestGramWideBitIdentical(t *testing.T) {
	if !Accelerated() {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rnd := rand.New(rand.NewPCG(23, 24))
	for _, n := range []int{4, 5, 7, 64, 515, 2028, 2031} {
		for _, p := range []int{62, 63, 64, 65, 130} {
			a, y, w := testData(rnd, n, p)
			for _, yy := range [][]float64{nil, y} {
				sameGramWithout(t, "wide", &gramWide, a, yy, w, n, p)
			}
		}
	}
}

// TestGramChunkedBitIdentical: the Gram taken in chunks of rows that stay
// in the level-1 cache (asmGramChunked) equals one sweep of every block
// over all rows to the bit, with and without y, for the sizes eelsh5
// meets (tail rows included); the designs with more blocks than it keeps
// fall back to the sweep.
func TestGramChunkedBitIdentical(t *testing.T) {
	if !Accelerated() {
		t.Skip("no assembly kernels on this CPU or build")
	}
	rnd := rand.New(rand.NewPCG(19, 20))
	for _, n := range []int{511, 512, 513, 515, 700, 2028, 2031, 4000} {
		for _, p := range testParams {
			a, y, w := testData(rnd, n, p)
			for _, yy := range [][]float64{nil, y} {
				sameGramWithout(t, "chunked", &gramChunking, a, yy, w, n, p)
			}
		}
	}
}
