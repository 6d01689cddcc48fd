package fitters

import (
	"math"

	"github.com/eelsh5/eelsh5/internal/simd"
)

// Fisher computes the Poisson Fisher information of a model's parameters
// and its inverse, the covariance whose diagonal is the Cramér-Rao lower
// bound (doc/algorithms.md 6.4):
//
//	I_kl = sum_i D_k(i) D_l(i) / mu_i,  Cov = I^-1,  CRLB_k = Cov_kk
//
// with mu the model (the Poisson variance, not the data) and D_k its
// derivative with respect to parameter k, over the channels used. A
// Fisher belongs to one worker.
type Fisher struct {
	N, P int
	info []float64
	d    []float64
	inv  []float64
}

// NewFisher returns a Fisher for n channels and p parameters.
func NewFisher(n, p int) *Fisher {
	return &Fisher{N: n, P: p, info: make([]float64, p*p), d: make([]float64, p), inv: make([]float64, n)}
}

// Covariance writes the covariance (p x p, row major) of the parameters
// into cov from the derivatives d (column major, n x p) and the model mu
// (len n). It returns BadModel, with cov set to NaN, when a model value is
// not positive (the reference would produce Inf or NaN), and Singular
// when the information matrix cannot be inverted.
func (f *Fisher) Covariance(cov, d, mu []float64) Status {
	n, p := f.N, f.P
	if len(cov) != p*p || len(d) != n*p || len(mu) != n {
		panic("fitters: Covariance dimension mismatch")
	}
	if !simd.Reciprocals(f.inv, mu) {
		fillNaN(cov)
		return BadModel
	}
	simd.Gram(f.info, p, nil, d, n, p, nil, f.inv)
	for k := 0; k < p; k++ {
		for l := k + 1; l < p; l++ {
			f.info[l*p+k] = f.info[k*p+l]
		}
	}
	if !invertSPD(cov, f.info, f.d, p) {
		fillNaN(cov)
		return Singular
	}
	return OK
}

func fillNaN(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}

// invertSPD inverts the symmetric positive definite p x p matrix a into
// dst. It equilibrates a to unit diagonal first (the information of
// amplitudes of very different size spans many decades), then inverts by
// Cholesky. scale is scratch of length p. a is modified.
func invertSPD(dst, a, scale []float64, p int) bool {
	if !equilibratedCholesky(a, scale, p) {
		return false
	}
	// (L L^T)^-1 = Y^T Y with Y = L^-1 (lower triangular, as LAPACK's
	// dpotri: dtrtri then dlauum), both by rows so that every inner loop
	// is a contiguous axpy: p^3/3 multiply-adds in all.
	// Y into the lower triangle of dst, row i from the rows above it:
	// y_i = (e_i - sum_{k<i} L_ik y_k) / L_ii.
	for i := 0; i < p; i++ {
		yi := dst[i*p : i*p+i+1]
		clear(yi)
		yi[i] = 1
		for k := 0; k < i; k++ {
			if l := a[i*p+k]; l != 0 {
				simd.Axpy(-l, dst[k*p:k*p+k+1], yi)
			}
		}
		for j, lii := 0, a[i*p+i]; j <= i; j++ {
			yi[j] /= lii
		}
	}
	// C = Y^T Y into the lower triangle of a (L is no longer needed):
	// row k of Y adds y_ki y_kj to C_ij for j <= i <= k.
	for i := 0; i < p; i++ {
		clear(a[i*p : i*p+i+1])
	}
	for k := 0; k < p; k++ {
		yk := dst[k*p : k*p+k+1]
		for i, v := range yk {
			if v != 0 {
				simd.Axpy(v, yk[:i+1], a[i*p:i*p+i+1])
			}
		}
	}
	for i := 0; i < p; i++ {
		for j := 0; j <= i; j++ {
			dst[i*p+j], dst[j*p+i] = a[i*p+j], a[i*p+j]
		}
	}
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			dst[i*p+j] *= scale[i] * scale[j]
		}
	}
	return true
}

// equilibratedCholesky scales the symmetric p x p matrix a to unit
// diagonal (a_ij / sqrt(a_ii a_jj), the factors 1/sqrt(a_ii) in scale)
// and overwrites its lower triangle with the Cholesky factor L of the
// result. It returns false when a is not numerically positive definite.
func equilibratedCholesky(a, scale []float64, p int) bool {
	for k := 0; k < p; k++ {
		d := a[k*p+k]
		if !(d > 0) {
			return false
		}
		scale[k] = 1 / math.Sqrt(d)
	}
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			a[i*p+j] *= scale[i] * scale[j]
		}
	}
	for j := 0; j < p; j++ {
		lj := a[j*p : j*p+j]
		s := a[j*p+j] - plainDot(lj, lj)
		if !(s > 1e-14) {
			return false
		}
		ljj := math.Sqrt(s)
		a[j*p+j] = ljj
		for i := j + 1; i < p; i++ {
			a[i*p+j] = (a[i*p+j] - plainDot(a[i*p:i*p+j], lj)) / ljj
		}
	}
	return true
}

// unitWeights are the weights of plainDot.
var unitWeights = func() []float64 {
	w := make([]float64, 1024)
	for i := range w {
		w[i] = 1
	}
	return w
}()

// plainDot returns sum_i x_i y_i: simd.Dot with unit weights (x_i * 1
// is exact), on the vector kernels where the CPU has them; the rows of
// the Cholesky factors are its operands.
func plainDot(x, y []float64) float64 {
	if len(x) > len(unitWeights) {
		s := 0.0
		for i, v := range x {
			s += v * y[i]
		}
		return s
	}
	return simd.Dot(x, y, unitWeights[:len(x)])
}

// RatioError returns the standard deviation of a1/a2 from the variances
// c11, c22 and covariance c12 of a1 and a2 (doc/algorithms.md 6.4,
// CRLB_ratio): (a1/a2) sqrt(c11/a1^2 + c22/a2^2 - 2 c12/(a1 a2)).
func RatioError(a1, a2, c11, c22, c12 float64) float64 {
	r := a1 / a2
	return math.Abs(r) * math.Sqrt(c11/(a1*a1)+c22/(a2*a2)-2*c12/(a1*a2))
}
