package components

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/internal/fft"
	"github.com/eelsh5/eelsh5/internal/simd"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// LowLoss convolves model components with a (per-pixel) low-loss
// spectrum, the reference's MscatterFFT (doc/algorithms.md 4): the low loss
// is normalised to unit sum and its first maximum (the zero loss) is the
// kernel origin, so that
//
//	result[i] = sum_j m[j] l[i - j + z0],   z0 = argmax(l)
//
// a same-size linear convolution. The reference computes it as a circular
// convolution of length N = n + 2p (both zero-padded by p = the original
// low-loss length) followed by a roll; LowLoss reproduces that exactly,
// including the wrap-around that leaks into the window when the low loss
// is shorter than half the spectrum, but through a power-of-two real FFT
// of length >= 2n-1 and for any n (the reference breaks for odd n; here
// odd n gives the linear convolution). A low loss shorter than the model
// is zero-padded to n channels, centred (4.1).
//
// A LowLoss belongs to one worker: SetSpectrum prepares the kernel of a
// pixel, then Convolve may be called for several columns without
// recomputing it.
type LowLoss struct {
	n, p, before int
	wrapN        int // N = n + 2p of the reference
	tr           *fft.Real
	h            []float64    // kernel, length P
	kernel       []complex128 // its transform
	work         []float64    // length P
	spec         []complex128 // length P/2+1
	norm         []float64    // normalised, padded low loss (len n)
	z0           int
	ready        bool
}

// NewLowLoss prepares the convolution of spectra on model with low-loss
// spectra on ll. The dispersions must agree to 8 decimals and the low
// loss must not have more channels than the model.
func NewLowLoss(model, ll multispectrum.EnergyAxis) (*LowLoss, error) {
	if err := model.Validate(); err != nil {
		return nil, fmt.Errorf("components: core-loss axis: %w", err)
	}
	if err := ll.Validate(); err != nil {
		return nil, fmt.Errorf("components: low-loss axis: %w", err)
	}
	if math.Round(model.Dispersion*1e8) != math.Round(ll.Dispersion*1e8) {
		return nil, fmt.Errorf("components: low-loss dispersion %g eV differs from the core-loss dispersion %g eV", ll.Dispersion, model.Dispersion)
	}
	if ll.Size > model.Size {
		return nil, fmt.Errorf("components: the low loss has %d channels, more than the %d of the core loss", ll.Size, model.Size)
	}
	n := model.Size
	P := fft.NextPow2(2*n - 1)
	return &LowLoss{n: n, p: ll.Size, before: (n - ll.Size) / 2, wrapN: n + 2*ll.Size,
		tr: fft.NewReal(P), h: make([]float64, P), kernel: make([]complex128, P/2+1),
		work: make([]float64, P), spec: make([]complex128, P/2+1), norm: make([]float64, n)}, nil
}

// Len returns the model channel count n.
func (l *LowLoss) Len() int { return l.n }

// FFTLen returns the transform length used.
func (l *LowLoss) FFTLen() int { return l.tr.Len() }

// ZeroLoss returns the kernel origin z0 (channel of the zero-loss maximum
// in the padded low loss) of the current spectrum.
func (l *LowLoss) ZeroLoss() int { return l.z0 }

// SetSpectrum prepares the kernel from the low-loss spectrum ll (of the
// length given at construction; not modified). It returns an error when
// ll has non-finite values or a non-positive sum.
func (l *LowLoss) SetSpectrum(ll []float64) error {
	if len(ll) != l.p {
		panic(fmt.Sprintf("components: low loss of %d channels, expected %d", len(ll), l.p))
	}
	l.ready = false
	// The sum and the first maximum in one pass; v - v is NaN exactly
	// when v is NaN or infinite.
	b := l.before
	sum := 0.0
	z, peak := b, ll[0]
	for i, v := range ll {
		if v-v != 0 {
			return fmt.Errorf("components: low loss has non-finite values")
		}
		sum += v
		if v > peak {
			z, peak = b+i, v
		}
	}
	if !(sum > 0) {
		return fmt.Errorf("components: low loss sums to %g; cannot normalise", sum)
	}
	clear(l.norm[:b])
	clear(l.norm[b+l.p:])
	simd.Divide(l.norm[b:b+l.p], ll, sum)
	l.z0 = z
	// h[d] = l~(d + z0) for d in [-(n-1), n-1], where l~(r) is the padded
	// low loss at r mod N (0 beyond its n channels): this is the
	// reference's circular convolution, wrap-around included. h[d] is
	// stored at d mod P. With 0 <= z0 < n and N = n + 2p, r = d + z0
	// falls in [0, n) for d in [-z0, n-1-z0]; below, r + N < n for
	// d <= -2p-z0-1 (l~ at 2p+1+z0 .. n-1); above, r - N < n for
	// d >= N-z0 (l~ at 0 .. z0-2p-1). Three copies of l~, zero elsewhere.
	n, N := l.n, l.wrapN
	clear(l.h)
	l.putLag(-z, l.norm)
	if lo := 2*l.p + 1 + z; lo < n {
		l.putLag(-(n - 1), l.norm[lo:])
	}
	if hi := z - 2*l.p; hi > 0 {
		l.putLag(N-z, l.norm[:hi])
	}
	l.tr.Forward(l.kernel, l.h)
	l.ready = true
	return nil
}

// putLag stores src as h[d0], h[d0+1], ... at the indices d mod P.
func (l *LowLoss) putLag(d0 int, src []float64) {
	P := len(l.h)
	if d0 < 0 {
		k := min(-d0, len(src))
		copy(l.h[P+d0:], src[:k])
		src, d0 = src[k:], 0
	}
	copy(l.h[d0:], src)
}

// Kernel returns the transform of the current kernel (shared; copy it to
// keep it).
func (l *LowLoss) Kernel() []complex128 { return l.kernel }

// SetKernel restores a kernel transform saved from Kernel (with its zero
// loss channel z0), skipping the work of SetSpectrum.
func (l *LowLoss) SetKernel(k []complex128, z0 int) {
	copy(l.kernel, k)
	l.z0 = z0
	l.ready = true
}

// Transform writes the transform of src (len n, zero padded) to dst
// (len FFTLen()/2+1); columns shared by all pixels are transformed once.
func (l *LowLoss) Transform(dst []complex128, src []float64) []complex128 {
	copy(l.work, src)
	for i := len(src); i < len(l.work); i++ {
		l.work[i] = 0
	}
	return l.tr.Forward(dst, l.work)
}

// ConvolveTransformed writes the convolution of the spectrum whose
// transform is srcT (from Transform) with the current kernel into dst.
func (l *LowLoss) ConvolveTransformed(dst []float64, srcT []complex128) {
	if !l.ready {
		panic("components: LowLoss used without a valid spectrum")
	}
	// The product with the kernel's transform fused into the inverse,
	// only the n samples kept (the same numbers as multiplying into
	// l.spec and inverting in full).
	l.tr.InverseProduct(dst[:l.n], srcT, l.kernel)
}

// Convolve writes the convolution of src (len n) with the current kernel
// into dst (len n). dst and src may be the same slice.
func (l *LowLoss) Convolve(dst, src []float64) {
	l.Transform(l.spec, src)
	for k := range l.spec {
		l.spec[k] *= l.kernel[k]
	}
	if !l.ready {
		panic("components: LowLoss used without a valid spectrum")
	}
	l.tr.Inverse(l.work, l.spec)
	copy(dst, l.work[:l.n])
}
