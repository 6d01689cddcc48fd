//go:build !noasm && !gccgo

package simd

import (
	"sync"

	"golang.org/x/sys/cpu"
)

// hasAsm: the assembly kernels need AVX2 and FMA3 (cpu also checks that
// the operating system saves the YMM registers).
var hasAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// asm2x4 sets s[4r+c] to the sum of w_i x_r(i) c_c(i) over the first
// rows, a multiple of four, by kernel2x4, and returns their number; all
// slices have len(w) entries. The four lanes of each sum are added as
// (l0 + l1) + (l2 + l3).
func asm2x4(s *[8]float64, w, x0, x1, c0, c1, c2, c3 []float64) (rows int) {
	rows = len(w) &^ 3
	if rows == 0 {
		return 0
	}
	var acc [32]float64
	kernel2x4(rows, &w[0], &x0[0], &x1[0], &c0[0], &c1[0], &c2[0], &c3[0], &acc)
	for e := range s {
		s[e] = (acc[4*e] + acc[4*e+1]) + (acc[4*e+2] + acc[4*e+3])
	}
	return rows
}

// asm1x4 is asm2x4 for one row x (kernel1x4).
func asm1x4(s *[4]float64, w, x, c0, c1, c2, c3 []float64) (rows int) {
	rows = len(w) &^ 3
	if rows == 0 {
		return 0
	}
	var acc [16]float64
	kernel1x4(rows, &w[0], &x[0], &c0[0], &c1[0], &c2[0], &c3[0], &acc)
	for e := range s {
		s[e] = (acc[4*e] + acc[4*e+1]) + (acc[4*e+2] + acc[4*e+3])
	}
	return rows
}

// asmDot sets acc to four partial sums of x_i w_i y_i over the first
// rows, a multiple of four (kernelDot), and returns their number.
func asmDot(acc *[4]float64, x, y, w []float64) (rows int) {
	rows = len(x) &^ 3
	if rows == 0 {
		return 0
	}
	kernelDot(rows, &w[0], &x[0], &y[0], acc)
	return rows
}

// kernel2x4 adds to acc[4e:4e+4] (e = 4r + c) the four lane sums of
// w_i x_r(i) c_c(i) over the first n rows (n a positive multiple of 4):
// lane l continues its sum with the rows i = l mod 4 in order, each
// product w_i x_r(i) rounded, then multiplied by c_c(i) and added in one
// fused operation.
//
//go:noescape
func kernel2x4(n int, w, x0, x1, c0, c1, c2, c3 *float64, acc *[32]float64)

// kernel1x4 stores into acc[4c:4c+4] the lane sums of w_i x(i) c_c(i)
// over the first n rows (a positive multiple of 4), as kernel2x4.
//
//go:noescape
func kernel1x4(n int, w, x, c0, c1, c2, c3 *float64, acc *[16]float64)

// kernelDot stores into acc four partial sums of x_i w_i y_i over the
// first n rows (a positive multiple of 4): four accumulators of four
// lanes over blocks of 16 rows, added lane by lane at the end.
//
//go:noescape
func kernelDot(n int, w, x, y *float64, acc *[4]float64)

// asmAxpy runs kernelAxpy on the first rows, a multiple of eight, and
// returns their number.
func asmAxpy(alpha float64, x, y []float64) (rows int) {
	rows = len(x) &^ 7
	if rows == 0 {
		return 0
	}
	kernelAxpy(rows, alpha, &x[0], &y[0])
	return rows
}

// asmWeights runs kernelWeights on the first rows, a multiple of four,
// and returns their number and whether a value there is not finite.
func asmWeights(sw, w, y []float64) (rows int, bad bool) {
	rows = len(y) &^ 3
	if rows == 0 {
		return 0, false
	}
	return rows, kernelWeights(rows, &y[0], &sw[0], &w[0]) != 0
}

// kernelAxpy adds alpha x_i to y_i for the first n rows (a positive
// multiple of 8), product and sum each rounded, as the Go loop.
//
//go:noescape
func kernelAxpy(n int, alpha float64, x, y *float64)

// kernelWeights sets sw_i = sqrt(1/max(y_i, 1)) and w_i = sw_i^2 for the
// first n rows (a positive multiple of 4), each operation correctly
// rounded as in the Go loop; bad is non-zero when a y_i is NaN or Inf.
//
//go:noescape
func kernelWeights(n int, y, sw, w *float64) (bad int)

// asmMulComplex runs kernelMulComplex on the first values, a multiple of
// two, and returns their number.
func asmMulComplex(dst, a, b []complex128) (done int) {
	done = len(a) &^ 1
	if done == 0 {
		return 0
	}
	kernelMulComplex(done, &a[0], &b[0], &dst[0])
	return done
}

// asmReciprocals runs kernelReciprocals on the first values, a multiple
// of four, and returns their number and whether one there is not a
// positive finite number.
func asmReciprocals(dst, x []float64) (done int, bad bool) {
	done = len(x) &^ 3
	if done == 0 {
		return 0, false
	}
	return done, kernelReciprocals(done, &x[0], &dst[0]) != 0
}

// kernelMulComplex sets dst_k = a_k b_k for the first n values (a positive
// multiple of 2), rounded as Go's complex multiplication.
//
//go:noescape
func kernelMulComplex(n int, a, b, dst *complex128)

// kernelReciprocals sets dst_i = 1/x_i for the first n values (a positive
// multiple of 4); bad is non-zero when an x_i is not positive and finite.
//
//go:noescape
func kernelReciprocals(n int, x, dst *float64) (bad int)

// asmDivide runs kernelDivide on the first values, a multiple of four,
// and returns their number.
func asmDivide(dst, x []float64, s float64) (done int) {
	done = len(x) &^ 3
	if done == 0 {
		return 0
	}
	kernelDivide(done, s, &x[0], &dst[0])
	return done
}

// kernelDivide sets dst_i = x_i / s for the first n values (a positive
// multiple of 4), correctly rounded.
//
//go:noescape
func kernelDivide(n int, s float64, x, dst *float64)

// asmScale runs kernelScale on the first values, a multiple of four,
// and returns their number.
func asmScale(dst, x []float64, s float64) (done int) {
	done = len(x) &^ 3
	if done == 0 {
		return 0
	}
	kernelScale(done, s, &x[0], &dst[0])
	return done
}

// kernelScale sets dst_i = x_i * s for the first n values (a positive
// multiple of 4), correctly rounded.
//
//go:noescape
func kernelScale(n int, s float64, x, dst *float64)

// gramChunkRows is the number of rows per chunk of asmGramChunked: 256
// rows of up to 14 columns (the design, y and the weights) take 28 KiB,
// inside a 32 KiB level-1 data cache, while every block sweeps them.
const gramChunkRows = 256

// maxChunkedBlocks bounds the 2 x 4 blocks that asmGramChunked keeps
// open at once (their accumulators live on the stack): 16 blocks cover
// the Gram of up to 13 columns.
const maxChunkedBlocks = 16

// gramChunking enables asmGramChunked (tests switch it off to compare).
var gramChunking = true

// asmGramChunked is gramBlocked with the rows taken in chunks of
// gramChunkRows: every block's kernel2x4 runs on a chunk while it is in
// the level-1 cache, its accumulators carried to the next chunk, instead
// of each block sweeping all rows from the level-2 cache. Each lane adds
// the same products in the same order as one sweep, so the results are
// gramBlocked's to the bit. ok is false (nothing written) when the
// design has more blocks than maxChunkedBlocks or too few rows to gain.
func asmGramChunked(g []float64, ld int, aty, a []float64, n, p, q int, y, w []float64) (yWy float64, ok bool) {
	var blocks [maxChunkedBlocks][2]int
	nb := 0
	for k := 0; k < q; k += 2 {
		for j := k; j < q; j += 4 {
			if nb == maxChunkedBlocks {
				return 0, false
			}
			blocks[nb] = [2]int{k, j}
			nb++
		}
	}
	if !gramChunking || n < 2*gramChunkRows {
		return 0, false
	}
	w = w[:n]
	col := func(j int) []float64 {
		j = min(j, q-1)
		if j < p {
			return a[j*n : (j+1)*n]
		}
		return y[:n]
	}
	var acc [maxChunkedBlocks][32]float64
	rows := n &^ 3
	for r0 := 0; r0 < rows; r0 += gramChunkRows {
		m := min(gramChunkRows, rows-r0)
		for b := 0; b < nb; b++ {
			k, j := blocks[b][0], blocks[b][1]
			kernel2x4(m, &w[r0], &col(k)[r0], &col(k + 1)[r0], &col(j)[r0], &col(j + 1)[r0], &col(j + 2)[r0], &col(j + 3)[r0], &acc[b])
		}
	}
	for b := 0; b < nb; b++ {
		k, j := blocks[b][0], blocks[b][1]
		var s [8]float64
		for e := range s {
			s[e] = (acc[b][4*e] + acc[b][4*e+1]) + (acc[b][4*e+2] + acc[b][4*e+3])
		}
		// the rest of the rows (at most three), as block2x4
		x0, x1 := col(k), col(k+1)
		for i := rows; i < n; i++ {
			u, v := x0[i]*w[i], x1[i]*w[i]
			for c := 0; c < 4; c++ {
				cc := col(j + c)
				s[c] += u * cc[i]
				s[4+c] += v * cc[i]
			}
		}
		putBlock(g, ld, aty, &yWy, p, q, k, j, 2, s[:])
	}
	return yWy, true
}

// putBlock stores the sums s[4r+c] of a block of rows k.. (nr of them)
// by columns j..j+3 of the (q x q) Gram of [a y] on and above its
// diagonal: into g for two columns of a, aty for a column of a with y,
// yWy for y with itself. Rows and columns beyond q (repeated edges) are
// not stored.
func putBlock(g []float64, ld int, aty []float64, yWy *float64, p, q, k, j, nr int, s []float64) {
	for r := 0; r < nr && k+r < q; r++ {
		for c := 0; c < 4 && j+c < q; c++ {
			if j+c < k+r {
				continue
			}
			switch v := s[4*r+c]; {
			case j+c < p:
				g[(k+r)*ld+j+c] = v
			case k+r < p:
				aty[k+r] = v
			default:
				*yWy = v
			}
		}
	}
}

// kernel3x4 continues in acc[4e:4e+4] (e = 4r + c) the four lane sums of
// b_r(i) c_c(i) over the first n rows (a positive multiple of 4), lane l
// taking the rows i = l mod 4 in order, each product added in one fused
// operation. With b_r(i) = w_i x_r(i) rounded these are kernel2x4's sums.
//
//go:noescape
func kernel3x4(n int, b0, b1, b2, c0, c1, c2, c3 *float64, acc *[48]float64)

// minWideColumns is the number of columns (y included) from which
// Gram takes asmGramWide. Below it forming the weighted columns costs
// more than the loads it saves (BenchmarkGramWide, 2028 rows: 1.3x
// slower at 17 columns, even at 41, 1.2x faster at 131).
const minWideColumns = 64

// gramWide enables asmGramWide (tests switch it off to compare).
var gramWide = true

// wideColumns holds the weighted columns of asmGramWide between calls,
// so that a worker's fits allocate them once.
var wideColumns = sync.Pool{New: func() any { return new([]float64) }}

// asmGramWide is gramBlocked for wide designs (fine structure: a hundred
// columns and more): the weighted columns b_k = w x_k are formed once,
// and blocks of three rows by four columns (kernel3x4) take them, seven
// loads for twelve fused products instead of kernel2x4's seven loads and
// two products for eight. Every Gram entry is still the sum of the same
// rounded products w_i x_k(i) times x_j(i), in the same lanes and order,
// so the results are gramBlocked's to the bit. ok is false (nothing
// written) for narrower designs.
func asmGramWide(g []float64, ld int, aty, a []float64, n, p, q int, y, w []float64) (yWy float64, ok bool) {
	if !gramWide || q < minWideColumns || n < 4 {
		return 0, false
	}
	bp := wideColumns.Get().(*[]float64)
	defer wideColumns.Put(bp)
	if cap(*bp) < n*q {
		*bp = make([]float64, n*q)
	}
	b := (*bp)[:n*q]
	w = w[:n]
	col := func(j int) []float64 {
		j = min(j, q-1)
		if j < p {
			return a[j*n : (j+1)*n]
		}
		return y[:n]
	}
	for k := 0; k < q; k++ {
		x, bk := col(k), b[k*n:(k+1)*n]
		for i := range bk {
			bk[i] = x[i] * w[i]
		}
	}
	bcol := func(k int) []float64 {
		k = min(k, q-1)
		return b[k*n : (k+1)*n]
	}
	rows := n &^ 3
	for k := 0; k < q; k += 3 {
		for j := k; j < q; j += 4 {
			var acc [48]float64
			kernel3x4(rows, &bcol(k)[0], &bcol(k + 1)[0], &bcol(k + 2)[0], &col(j)[0], &col(j + 1)[0], &col(j + 2)[0], &col(j + 3)[0], &acc)
			var s [12]float64
			for e := range s {
				s[e] = (acc[4*e] + acc[4*e+1]) + (acc[4*e+2] + acc[4*e+3])
			}
			// the rest of the rows (at most three), as block2x4
			for i := rows; i < n; i++ {
				for r := 0; r < 3; r++ {
					u := bcol(k + r)[i]
					for c := 0; c < 4; c++ {
						s[4*r+c] += u * col(j + c)[i]
					}
				}
			}
			putBlock(g, ld, aty, &yWy, p, q, k, j, 3, s[:])
		}
	}
	return yWy, true
}
