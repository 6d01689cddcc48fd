// Package fft provides the real FFT eelsh5 uses for low-loss
// convolution: a transform object of fixed power-of-two length with
// precomputed twiddles, owned by one worker and allocation free.
package fft

import (
	"fmt"
	"math"
	"math/bits"
)

// Real is a real-input FFT of length N (a power of two >= 4). Forward
// gives the N/2+1 non-negative-frequency coefficients; Inverse inverts it
// including the 1/N normalisation. It computes an N/2-point complex FFT of
// the even/odd samples packed as real/imaginary parts and splits it
// (two-for-one packing). A Real is not safe for concurrent use.
type Real struct {
	n     int
	half  int
	perm  []int        // bit-reversal permutation of half
	tw    []complex128 // half-size twiddles exp(-2 pi i k/half), k < half/2
	split []complex128 // exp(-2 pi i k/n), k <= half
	work  []complex128
}

// NewReal returns a transform of length n; it panics unless n is a power
// of two >= 4.
func NewReal(n int) *Real {
	if n < 4 || n&(n-1) != 0 {
		panic(fmt.Sprintf("fft: length %d is not a power of two >= 4", n))
	}
	h := n / 2
	r := &Real{n: n, half: h, perm: make([]int, h), tw: make([]complex128, h/2), split: make([]complex128, h+1), work: make([]complex128, h)}
	lg := bits.TrailingZeros(uint(h))
	for i := range r.perm {
		r.perm[i] = int(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	for k := range r.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(h))
		r.tw[k] = complex(c, s)
	}
	for k := range r.split {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		r.split[k] = complex(c, s)
	}
	return r
}

// Len returns the transform length N.
func (r *Real) Len() int { return r.n }

// NextPow2 returns the smallest power of two >= max(n, 4).
func NextPow2(n int) int {
	p := 4
	for p < n {
		p <<= 1
	}
	return p
}

// fftInPlace runs an in-place radix-2 complex FFT of length half on the
// bit-reverse-ordered data (inverse uses conjugate twiddles).
func (r *Real) fftInPlace(a []complex128, inverse bool) {
	h := r.half
	for size := 2; size <= h; size <<= 1 {
		hs := size / 2
		step := h / size
		for start := 0; start < h; start += size {
			for k := 0; k < hs; k++ {
				w := r.tw[k*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				u := a[start+k]
				v := a[start+k+hs] * w
				a[start+k] = u + v
				a[start+k+hs] = u - v
			}
		}
	}
}

// Forward writes the N/2+1 coefficients X_k = sum_j x_j exp(-2 pi i jk/N)
// of x (len N) into dst (len N/2+1) and returns dst.
func (r *Real) Forward(dst []complex128, x []float64) []complex128 {
	if len(x) != r.n || len(dst) != r.half+1 {
		panic("fft: length mismatch")
	}
	a := r.work
	for i := 0; i < r.half; i++ {
		a[r.perm[i]] = complex(x[2*i], x[2*i+1])
	}
	r.fftInPlace(a, false)
	h := r.half
	// Split the packed transform Z into the spectra of the even (E) and
	// odd (O) samples: X_k = E_k + w^k O_k.
	for k := 0; k <= h/2; k++ {
		zk := a[k%h]
		zc := a[(h-k)%h]
		zc = complex(real(zc), -imag(zc))
		e := (zk + zc) * 0.5
		o := (zk - zc) * complex(0, -0.5)
		dst[k] = e + r.split[k]*o
		if k != h-k {
			// X_{h-k} = conj(E_k) + w^{h-k} conj(O_k)
			dst[h-k] = complex(real(e), -imag(e)) + r.split[h-k]*complex(real(o), -imag(o))
		}
	}
	return dst
}

// Inverse writes x_j = (1/N) sum_k X_k exp(2 pi i jk/N) (the inverse of
// Forward, Hermitian symmetry implied) into dst (len N) and returns dst.
// coeff (len N/2+1) is not modified.
func (r *Real) Inverse(dst []float64, coeff []complex128) []float64 {
	if len(dst) != r.n || len(coeff) != r.half+1 {
		panic("fft: length mismatch")
	}
	h := r.half
	a := r.work
	// Rebuild Z_k = E_k + i O_k from X: E_k = (X_k + conj(X_{h-k}))/2,
	// O_k = (X_k - conj(X_{h-k})) conj(w^k)/2.
	for k := 0; k < h; k++ {
		xk := coeff[k]
		xc := coeff[h-k]
		xc = complex(real(xc), -imag(xc))
		e := (xk + xc) * 0.5
		w := r.split[k]
		o := (xk - xc) * 0.5 * complex(real(w), -imag(w))
		a[r.perm[k]] = e + complex(0, 1)*o
	}
	r.fftInPlace(a, true)
	inv := 1 / float64(h)
	for i := 0; i < h; i++ {
		dst[2*i] = real(a[i]) * inv
		dst[2*i+1] = imag(a[i]) * inv
	}
	return dst
}
