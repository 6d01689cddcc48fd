//go:build !amd64 || noasm || gccgo

package simd

// hasAsm: no assembly kernels on this architecture or in this build; the
// portable loops handle every row.
const hasAsm = false

func asm2x4(s *[8]float64, w, x0, x1, c0, c1, c2, c3 []float64) (rows int) { return 0 }

func asm1x4(s *[4]float64, w, x, c0, c1, c2, c3 []float64) (rows int) { return 0 }

func asmDot(acc *[4]float64, x, y, w []float64) (rows int) { return 0 }

func asmAxpy(alpha float64, x, y []float64) (rows int) { return 0 }

func asmWeights(sw, w, y []float64) (rows int, bad bool) { return 0, false }

func asmMulComplex(dst, a, b []complex128) (done int) { return 0 }

func asmReciprocals(dst, x []float64) (done int, bad bool) { return 0, false }

func asmDivide(dst, x []float64, s float64) (done int) { return 0 }

func asmScale(dst, x []float64, s float64) (done int) { return 0 }

func asmGramChunked(g []float64, ld int, aty, a []float64, n, p, q int, y, w []float64) (yWy float64, ok bool) {
	return 0, false
}

var gramChunking = true

var gramWide = true

func asmGramWide(g []float64, ld int, aty, a []float64, n, p, q int, y, w []float64) (yWy float64, ok bool) {
	return 0, false
}
