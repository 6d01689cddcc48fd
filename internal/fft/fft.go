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
	// stages of the complex FFT of length half: an optional radix-2
	// stage, then fused radix-2^2 stages combining 4 blocks of size m,
	// each with its twiddles w_2m^k and w_4m^k, k < m, contiguous.
	radix2 bool
	fused  []fusedStage
	// fw runs the transforms on FFTW when the build links it (tag fftw),
	// else nil.
	fw *fftwPlan
}

type fusedStage struct {
	m int
	// w holds w^k, w^2k, w^3k (w = exp(-2 pi i/4m)) for k < m,
	// interleaved; wi their conjugates for the inverse.
	w, wi []complex128
}

// NewReal returns a transform of length n; it panics unless n is a power
// of two >= 4. It runs on FFTW when the build links it (Backend).
func NewReal(n int) *Real {
	r := NewPureReal(n)
	if fftwLinked {
		r.fw = newFFTW(n)
	}
	return r
}

// Backend names the code that runs the transforms: "fftw" or "go".
func (r *Real) Backend() string {
	if r.fw != nil {
		return "fftw"
	}
	return "go"
}

// NewPureReal returns a transform of length n that always runs on the
// pure-Go code (for comparisons and builds without FFTW).
func NewPureReal(n int) *Real {
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
	m := 1
	if lg%2 == 1 {
		r.radix2 = true
		m = 2
	}
	for ; 4*m <= h; m *= 4 {
		st := fusedStage{m: m, w: make([]complex128, 3*m), wi: make([]complex128, 3*m)}
		for k := 0; k < m; k++ {
			for r := 1; r <= 3; r++ {
				sn, cs := math.Sincos(-2 * math.Pi * float64(r*k) / float64(4*m))
				st.w[3*k+r-1], st.wi[3*k+r-1] = complex(cs, sn), complex(cs, -sn)
			}
		}
		r.fused = append(r.fused, st)
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

// fftInPlace runs an in-place decimation-in-time complex FFT of length
// half on bit-reverse-ordered data (inverse: conjugate twiddles). Each
// fused stage does two radix-2 passes while the four values are in
// registers, halving the sweeps over memory.
func (r *Real) fftInPlace(a []complex128, inverse bool) {
	h := r.half
	if r.radix2 {
		for i := 0; i < h; i += 2 {
			u, v := a[i], a[i+1]
			a[i], a[i+1] = u+v, u-v
		}
	}
	for _, st := range r.fused {
		if st.m == 1 {
			fused1(a, inverse)
			continue
		}
		w := st.w
		if inverse {
			w = st.wi
		}
		radix4Step(a, st.m, w, inverse)
	}
}

// fused1 is the first fused stage (blocks of size 1, no twiddles).
func fused1(a []complex128, inverse bool) {
	for start := 0; start+3 < len(a); start += 4 {
		b := a[start : start+4 : start+4]
		s0, s1 := b[0]+b[1], b[0]-b[1]
		s2, s3 := b[2]+b[3], b[2]-b[3]
		var r3 complex128
		if inverse {
			r3 = complex(-imag(s3), real(s3))
		} else {
			r3 = complex(imag(s3), -real(s3))
		}
		b[0], b[2] = s0+s2, s0-s2
		b[1], b[3] = s1+r3, s1-r3
	}
}

// radix4Step combines groups of four blocks of size m into DFTs of size
// 4m. With bit-reversed input the blocks hold the sub-DFTs S0, S2, S1, S3
// of the samples 4j, 4j+2, 4j+1, 4j+3; the radix-4 butterfly
//
//	X[k+qm] = sum_r w^(rk) (-i)^(rq) S_r[k],  w = exp(-2 pi i/4m)
//
// needs three complex multiplications per four outputs (+i for the
// inverse, with conjugate twiddles).
func radix4Step(a []complex128, m int, w []complex128, inverse bool) {
	w = w[:3*m]
	for start := 0; start < len(a); start += 4 * m {
		b0 := a[start : start+m : start+m]
		b1 := a[start+m : start+2*m : start+2*m]
		b2 := a[start+2*m : start+3*m : start+3*m]
		b3 := a[start+3*m : start+4*m : start+4*m]
		for k := range b0 {
			tw := w[3*k : 3*k+3 : 3*k+3]
			s0 := b0[k]
			s2 := b1[k] * tw[1]
			s1 := b2[k] * tw[0]
			s3 := b3[k] * tw[2]
			t0, t1 := s0+s2, s0-s2
			t2, t3 := s1+s3, s1-s3
			// -i t3 (forward) or +i t3 (inverse)
			var r3 complex128
			if inverse {
				r3 = complex(-imag(t3), real(t3))
			} else {
				r3 = complex(imag(t3), -real(t3))
			}
			b0[k], b2[k] = t0+t2, t0-t2
			b1[k], b3[k] = t1+r3, t1-r3
		}
	}
}

// Forward writes the N/2+1 coefficients X_k = sum_j x_j exp(-2 pi i jk/N)
// of x (len N) into dst (len N/2+1) and returns dst.
func (r *Real) Forward(dst []complex128, x []float64) []complex128 {
	if len(x) != r.n || len(dst) != r.half+1 {
		panic("fft: length mismatch")
	}
	if r.fw != nil {
		r.fw.forward(dst, x)
		return dst
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

// InverseProduct writes the first len(dst) samples of the inverse of the
// coefficient-wise product a_k b_k (both len N/2+1, not modified) into
// dst (len(dst) <= N): the circular convolution of the two signals whose
// transforms a and b are. The result equals Inverse of the product
// (complex multiplication as Go's, (ac-bd) + (ad+bc)i) to the bit; fusing
// the product into the transform's input and dropping the samples beyond
// len(dst) saves two sweeps over N values per call.
func (r *Real) InverseProduct(dst []float64, a, b []complex128) {
	if len(dst) > r.n || len(a) != r.half+1 || len(b) != r.half+1 {
		panic("fft: length mismatch")
	}
	if len(dst) == 0 {
		return
	}
	if r.fw != nil {
		r.fw.inverseProduct(dst, a, b)
		return
	}
	h := r.half
	w := r.work
	for k := 0; k <= h/2; k++ {
		xk := a[k] * b[k]
		xc := a[h-k] * b[h-k]
		xc = complex(real(xc), -imag(xc))
		e := (xk + xc) * 0.5
		s := r.split[k]
		o := (xk - xc) * 0.5 * complex(real(s), -imag(s))
		w[r.perm[k]] = complex(real(e)-imag(o), imag(e)+real(o))
		if k != 0 && k != h-k {
			w[r.perm[h-k]] = complex(real(e)+imag(o), -imag(e)+real(o))
		}
	}
	r.fftInPlace(w, true)
	inv := 1 / float64(h)
	m := len(dst)
	for i := 0; 2*i+1 < m; i++ {
		dst[2*i] = real(w[i]) * inv
		dst[2*i+1] = imag(w[i]) * inv
	}
	if m%2 == 1 {
		dst[m-1] = real(w[m/2]) * inv
	}
}

// Inverse writes x_j = (1/N) sum_k X_k exp(2 pi i jk/N) (the inverse of
// Forward, Hermitian symmetry implied) into dst (len N) and returns dst.
// coeff (len N/2+1) is not modified.
func (r *Real) Inverse(dst []float64, coeff []complex128) []float64 {
	if len(dst) != r.n || len(coeff) != r.half+1 {
		panic("fft: length mismatch")
	}
	if r.fw != nil {
		r.fw.inverse(dst, coeff)
		return dst
	}
	h := r.half
	a := r.work
	// Rebuild Z_k = E_k + i O_k from X: E_k = (X_k + conj(X_{h-k}))/2,
	// O_k = (X_k - conj(X_{h-k})) conj(w^k)/2. Since w^(h-k) = -conj(w^k),
	// Z_{h-k} = conj(E_k) + i conj(O_k): pairs (k, h-k) share the work.
	for k := 0; k <= h/2; k++ {
		xk := coeff[k]
		xc := coeff[h-k]
		xc = complex(real(xc), -imag(xc))
		e := (xk + xc) * 0.5
		w := r.split[k]
		o := (xk - xc) * 0.5 * complex(real(w), -imag(w))
		a[r.perm[k]] = complex(real(e)-imag(o), imag(e)+real(o))
		if k != 0 && k != h-k {
			a[r.perm[h-k]] = complex(real(e)+imag(o), -imag(e)+real(o))
		}
	}
	r.fftInPlace(a, true)
	inv := 1 / float64(h)
	for i := 0; i < h; i++ {
		dst[2*i] = real(a[i]) * inv
		dst[2*i+1] = imag(a[i]) * inv
	}
	return dst
}
