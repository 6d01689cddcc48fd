package simd

import "math"

// accelerated selects the assembly kernels; it starts as hasAsm (amd64
// with AVX2 and FMA, without the noasm tag) and is changed only by
// SetAccelerated.
var accelerated = hasAsm

// Accelerated reports whether the kernels run the AVX2/FMA assembly.
func Accelerated() bool { return accelerated }

// SetAccelerated selects the assembly kernels (on, where the CPU and the
// build have them) or the portable Go loops (off) and returns the
// previous setting. It is meant for tests and benchmarks that compare the
// two, and must not be called while a kernel runs.
func SetAccelerated(on bool) (was bool) {
	was = accelerated
	accelerated = on && hasAsm
	return was
}

// Gram computes, in one sweep over the n rows, the weighted Gram matrix
// of the columns of a (column major: column k is a[k*n:(k+1)*n], p
// columns) and, when y is not nil, the weighted products with y:
//
//	g[k*ld+j] = sum_i w_i a_k(i) a_j(i)   for 0 <= k <= j < p
//	aty[k]    = sum_i w_i a_k(i) y_i      for 0 <= k < p
//	yWy       = sum_i w_i y_i^2           (the returned value)
//
// Only the upper triangle of g (row major, leading dimension ld) is
// written. With y nil, aty is not used and the result is 0. It panics
// when a slice is shorter than its shape.
func Gram(g []float64, ld int, aty, a []float64, n, p int, y, w []float64) (yWy float64) {
	if n < 0 || p < 0 || ld < p || len(a) < n*p || len(w) < n || (p > 0 && len(g) < (p-1)*ld+p) {
		panic("simd: Gram dimension mismatch")
	}
	q := p
	if y != nil {
		if len(y) < n || len(aty) < p {
			panic("simd: Gram dimension mismatch")
		}
		q = p + 1
	}
	if !accelerated {
		return gramGo(g, ld, aty, a, n, p, y, w)
	}
	return gramBlocked(g, ld, aty, a, n, p, q, y, w)
}

// gramBlocked is Gram on blocks of the assembly kernel; q is p, or p+1
// with y.
func gramBlocked(g []float64, ld int, aty, a []float64, n, p, q int, y, w []float64) (yWy float64) {
	if yWy, ok := asmGramChunked(g, ld, aty, a, n, p, q, y, w); ok {
		return yWy
	}
	if yWy, ok := asmGramWide(g, ld, aty, a, n, p, q, y, w); ok {
		return yWy
	}
	w = w[:n]
	col := func(j int) []float64 {
		if j < p {
			return a[j*n : (j+1)*n]
		}
		return y[:n]
	}
	put := func(k, j int, v float64) {
		switch {
		case j < p:
			g[k*ld+j] = v
		case k < p:
			aty[k] = v
		default:
			yWy = v
		}
	}
	// Blocks of two rows k, k+1 by four columns j..j+3 of the (q x q)
	// Gram of [a y]: each row of the data is loaded once per block for
	// eight products. Blocks at the edges repeat the last column; the
	// repeated products and those below the diagonal are not stored.
	var s [8]float64
	for k := 0; k < q; k += 2 {
		k1 := min(k+1, q-1)
		x0, x1 := col(k), col(k1)
		for j := k; j < q; j += 4 {
			block2x4(&s, w, x0, x1, col(j), col(min(j+1, q-1)), col(min(j+2, q-1)), col(min(j+3, q-1)))
			for r := 0; r < 2 && k+r < q; r++ {
				for c := 0; c < 4 && j+c < q; c++ {
					if j+c >= k+r {
						put(k+r, j+c, s[4*r+c])
					}
				}
			}
		}
	}
	return yWy
}

// MulTrans writes the weighted products of the columns of a (column
// major, n x p) with x into dst: dst[k] = sum_i w_i a_k(i) x_i. It panics
// when a slice is shorter than its shape.
func MulTrans(dst, a []float64, n, p int, x, w []float64) {
	if n < 0 || p < 0 || len(dst) < p || len(a) < n*p || len(x) < n || len(w) < n {
		panic("simd: MulTrans dimension mismatch")
	}
	x, w = x[:n], w[:n]
	if !accelerated {
		for k := 0; k < p; k++ {
			dst[k] = weightedDot(a[k*n:(k+1)*n], x, w)
		}
		return
	}
	col := func(j int) []float64 { return a[min(j, p-1)*n : (min(j, p-1)+1)*n] }
	var s [4]float64
	for j := 0; j < p; j += 4 {
		block1x4(&s, w, x, col(j), col(j+1), col(j+2), col(j+3))
		for c := 0; c < 4 && j+c < p; c++ {
			dst[j+c] = s[c]
		}
	}
}

// Dot returns the weighted dot product sum_i w_i x_i y_i over the
// len(x) entries. It panics when y or w is shorter than x.
func Dot(x, y, w []float64) float64 {
	n := len(x)
	if len(y) < n || len(w) < n {
		panic("simd: Dot dimension mismatch")
	}
	y, w = y[:n], w[:n]
	if !accelerated {
		return weightedDot(x, y, w)
	}
	var acc [4]float64
	start := asmDot(&acc, x, y, w)
	s := (acc[0] + acc[1]) + (acc[2] + acc[3])
	for i := start; i < n; i++ {
		s += x[i] * w[i] * y[i]
	}
	return s
}

// block2x4 sets s[4r+c] = sum_i w_i x_r(i) c_c(i) for r = 0, 1 and
// c = 0..3 over the len(w) rows: the assembly's rows, then the rest (at
// most three) in order.
func block2x4(s *[8]float64, w, x0, x1, c0, c1, c2, c3 []float64) {
	n := len(w)
	x0, x1, c0, c1, c2, c3 = x0[:n], x1[:n], c0[:n], c1[:n], c2[:n], c3[:n]
	*s = [8]float64{}
	for i := asm2x4(s, w, x0, x1, c0, c1, c2, c3); i < n; i++ {
		u, v := x0[i]*w[i], x1[i]*w[i]
		for c, cc := range [4][]float64{c0, c1, c2, c3} {
			s[c] += u * cc[i]
			s[4+c] += v * cc[i]
		}
	}
}

// block1x4 sets s[c] = sum_i w_i x(i) c_c(i) for c = 0..3 over the
// len(w) rows, as block2x4.
func block1x4(s *[4]float64, w, x, c0, c1, c2, c3 []float64) {
	n := len(w)
	x, c0, c1, c2, c3 = x[:n], c0[:n], c1[:n], c2[:n], c3[:n]
	*s = [4]float64{}
	for i := asm1x4(s, w, x, c0, c1, c2, c3); i < n; i++ {
		u := x[i] * w[i]
		for c, cc := range [4][]float64{c0, c1, c2, c3} {
			s[c] += u * cc[i]
		}
	}
}

// Axpy adds alpha x_i to y_i for the len(x) entries of x. Each entry is
// one rounded product and one rounded sum on either path and on every
// architecture (the assembly uses no fused multiply-add, and the Go loop
// forbids the compiler's), so the result is that of rounding the product
// and then the sum, to the bit.
// It panics when y is shorter than x.
func Axpy(alpha float64, x, y []float64) {
	if len(y) < len(x) {
		panic("simd: Axpy dimension mismatch")
	}
	y = y[:len(x)]
	i := 0
	if accelerated {
		i = asmAxpy(alpha, x, y)
	}
	for ; i < len(x); i++ {
		// The conversion forbids fusing the product into the sum (Go
		// fuses a*b+c on arm64, ppc64le, s390x and riscv64 otherwise).
		y[i] += float64(alpha * x[i])
	}
}

// PoissonWeights sets, for the len(y) counts y, the square roots of the
// Poisson weights and the weights themselves as their squares (the
// weighted least squares of doc/algorithms.md 6.2):
//
//	sw_i = sqrt(1 / max(y_i, 1)),  w_i = sw_i^2
//
// It returns false, with sw and w unspecified, when a y_i is NaN or
// infinite. Division, square root and product are correctly rounded on
// either path, so the results are the Go loop's to the bit. It panics
// when sw or w is shorter than y.
func PoissonWeights(sw, w, y []float64) bool {
	n := len(y)
	if len(sw) < n || len(w) < n {
		panic("simd: PoissonWeights dimension mismatch")
	}
	sw, w = sw[:n], w[:n]
	i := 0
	if accelerated {
		var bad bool
		if i, bad = asmWeights(sw, w, y); bad {
			return false
		}
	}
	for ; i < n; i++ {
		v := y[i]
		if v-v != 0 { // NaN or Inf
			return false
		}
		if v < 1 { // max(v, 1) for finite v
			v = 1
		}
		s := math.Sqrt(1 / v)
		sw[i], w[i] = s, s*s
	}
	return true
}

// MulComplex sets dst_k = a_k b_k for the len(a) values of a, rounded as
// Go's complex128 multiplication ((ac - bd) + (ad + bc)i, each product
// and sum rounded, no fused multiply-add) on either path, so the result
// is the Go loop's to the bit. dst may be a or b. It panics when b or dst
// is shorter than a.
func MulComplex(dst, a, b []complex128) {
	n := len(a)
	if len(b) < n || len(dst) < n {
		panic("simd: MulComplex dimension mismatch")
	}
	b, dst = b[:n], dst[:n]
	k := 0
	if accelerated {
		k = asmMulComplex(dst, a, b)
	}
	for ; k < n; k++ {
		dst[k] = a[k] * b[k]
	}
}

// Reciprocals sets dst_i = 1/x_i for the len(x) values of x (correctly
// rounded on either path: the Go loop's numbers to the bit). It returns
// false, with dst unspecified, when some x_i is not a positive finite
// number (zero, negative, NaN or +Inf), as the Poisson variance of the
// Fisher information must be (doc/algorithms.md 6.4). It panics when dst
// is shorter than x.
func Reciprocals(dst, x []float64) bool {
	n := len(x)
	if len(dst) < n {
		panic("simd: Reciprocals dimension mismatch")
	}
	dst = dst[:n]
	i := 0
	if accelerated {
		var bad bool
		if i, bad = asmReciprocals(dst, x); bad {
			return false
		}
	}
	for ; i < n; i++ {
		m := x[i]
		if !(m > 0) || math.IsInf(m, 0) {
			return false
		}
		dst[i] = 1 / m
	}
	return true
}

// Divide sets dst_i = x_i / s for the len(x) values of x, correctly
// rounded on either path (the Go loop's numbers to the bit; not x_i times
// 1/s, which rounds twice). dst may be x. It panics when dst is shorter
// than x.
func Divide(dst, x []float64, s float64) {
	n := len(x)
	if len(dst) < n {
		panic("simd: Divide dimension mismatch")
	}
	dst = dst[:n]
	i := 0
	if accelerated {
		i = asmDivide(dst, x, s)
	}
	for ; i < n; i++ {
		dst[i] = x[i] / s
	}
}

// Scale sets dst_i = x_i * s for the len(x) values of x, correctly
// rounded on either path (the Go loop's numbers to the bit). With s a
// power of two (1/n for a power-of-two transform length n) the product
// is exact and equals x_i / (1/s) to the bit, at the cost of a
// multiplication instead of a division. dst may be x. It panics when dst
// is shorter than x.
func Scale(dst, x []float64, s float64) {
	n := len(x)
	if len(dst) < n {
		panic("simd: Scale dimension mismatch")
	}
	dst = dst[:n]
	i := 0
	if accelerated {
		i = asmScale(dst, x, s)
	}
	for ; i < n; i++ {
		dst[i] = x[i] * s
	}
}
