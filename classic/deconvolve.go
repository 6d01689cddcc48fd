package classic

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/eelsh5/eelsh5/internal/fft"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// DeconvolveMethod selects the deconvolution.
type DeconvolveMethod string

const (
	// FourierLog turns the low loss into its single-scattering
	// distribution (Johnson and Spence 1974; Egerton 3rd ed., 4.2.1).
	FourierLog DeconvolveMethod = "fourier-log"
	// FourierRatio removes the plural scattering from the core loss with
	// the pixel's low loss (Egerton 3rd ed., 4.2.2).
	FourierRatio DeconvolveMethod = "fourier-ratio"
)

// DeconvolveOptions configure Deconvolve.
type DeconvolveOptions struct {
	Method DeconvolveMethod
	// FWHM (eV) of the Gaussian the result is convolved with (the
	// modifier, or the zero loss the Fourier-log result keeps): a positive
	// width damps the noise that the division amplifies at high
	// frequencies. 0 takes the delta function (no modifier): exact on
	// noise-free data, noisy on real data.
	FWHM float64
	// Taper is the length (eV) of the raised-cosine bridge that joins the
	// last channel to zero and zero to the first channel in the padding,
	// so that the circular transform sees no step at the ends (default 20
	// eV, at least 4 channels).
	Taper float64
}

// Deconvolution streams.
const (
	SSDName     = "ssd" // Fourier-log: the single-scattering distribution
	CoreOutName = CoreLoss
)

// DeconvolveCodes explains the status codes of a deconvolution.
const DeconvolveCodes = "0 ok, 1 non-finite values, 2 no zero-loss peak, 3 no minimum after the zero-loss peak, 5 no inelastic intensity"

// smoothLength returns the FFT length for a signal of n channels padded
// by pad: the next power of two, internal/fft's lengths (a power of two
// is the smoothest length there is).
func smoothLength(n, pad int) int { return fft.NextPow2(n + pad) }

// deconvPlan is a deconvolution resolved on the input axes.
type deconvPlan struct {
	opts      DeconvolveOptions
	low, core Cube
	n, nl     int // channels of the signal and of the low loss
	N         int // FFT length
	taper     int // bridge channels
	gauss     []complex128
	shift     []complex128 // exp(2 pi i k f/N): the sub-channel shift of the low loss's axis
	k0        int          // whole-channel offset of the low loss's axis
}

// DeconvolvePlan returns the plan of Deconvolve, or an error for bad
// options or missing cubes; nothing is read.
func DeconvolvePlan(in Input, opts DeconvolveOptions) (*Plan, error) {
	p, _, err := deconvolvePlan(in, opts)
	return p, err
}

func deconvolvePlan(in Input, opts DeconvolveOptions) (*Plan, *deconvPlan, error) {
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	low, _, err := in.need("deconvolution", LowLoss)
	if err != nil {
		return nil, nil, err
	}
	if !(opts.FWHM >= 0) || math.IsInf(opts.FWHM, 0) {
		return nil, nil, fmt.Errorf("classic: modifier FWHM %g eV: must be 0 (none) or positive", opts.FWHM)
	}
	if opts.Taper == 0 {
		opts.Taper = 20
	}
	if !(opts.Taper > 0) || math.IsInf(opts.Taper, 0) {
		return nil, nil, fmt.Errorf("classic: taper %g eV: must be positive", opts.Taper)
	}
	d := &deconvPlan{opts: opts, low: low, nl: low.Axis.Size}
	p := &Plan{Operation: "deconvolve", NY: in.NY, NX: in.NX, FY: 1, FX: 1,
		Params: map[string]any{"method": string(opts.Method), "modifier_fwhm_eV": opts.FWHM, "taper_eV": opts.Taper}}
	disp := low.Axis.Dispersion
	switch opts.Method {
	case FourierLog:
		d.n = d.nl
		p.Streams = []Stream{{Name: SSDName, Kind: CubeStream, Width: d.nl, Axis: low.Axis, Units: "counts", LongName: "single-scattering distribution (counts)"}}
		p.Params["input"] = LowLoss
	case FourierRatio:
		core, _, err := in.need("Fourier-ratio deconvolution", CoreLoss)
		if err != nil {
			return nil, nil, err
		}
		if math.Abs(core.Axis.Dispersion-disp) > 1e-6*disp {
			return nil, nil, fmt.Errorf("classic: the core-loss dispersion %g eV differs from the low-loss dispersion %g eV", core.Axis.Dispersion, disp)
		}
		d.core, d.n = core, core.Axis.Size
		p.Streams = []Stream{{Name: CoreOutName, Kind: CubeStream, Width: d.n, Axis: core.Axis, Units: "counts", LongName: "single-scattering core loss (counts)"}}
		p.Params["input"] = []string{CoreLoss, LowLoss}
	default:
		return nil, nil, fmt.Errorf("classic: unknown deconvolution %q (fourier-log or fourier-ratio)", opts.Method)
	}
	p.Streams = append(p.Streams,
		Stream{Name: TLambdaName, Kind: MapStream, Width: 1, LongName: "relative thickness t/lambda of the low loss"},
		Stream{Name: StatusName, Kind: StatusStream, Width: 1, LongName: "deconvolution status", Codes: DeconvolveCodes})
	p.Default = p.Streams[0].Name
	d.taper = max(4, int(math.Ceil(opts.Taper/disp)))
	// Padding: the bridge plus, for the ratio, the low loss's extent, so
	// that nothing wraps into the signal.
	pad := 2 * d.taper
	if opts.Method == FourierRatio {
		pad += d.nl
	}
	d.N = smoothLength(d.n, pad)
	p.Params["fft_length"] = d.N
	// The Gaussian modifier's transform (unit area): exp(-2 pi^2 s^2 f^2),
	// f = k / (N disp) cycles/eV; and the low loss's sub-channel offset.
	half := d.N/2 + 1
	d.gauss, d.shift = make([]complex128, half), make([]complex128, half)
	sig := opts.FWHM / (2 * math.Sqrt(2*math.Ln2))
	s := low.Axis.Offset / disp
	d.k0 = int(math.Floor(s))
	f := s - float64(d.k0)
	for k := range half {
		fr := float64(k) / (float64(d.N) * disp)
		d.gauss[k] = complex(math.Exp(-2*math.Pi*math.Pi*sig*sig*fr*fr), 0)
		d.shift[k] = cmplx.Exp(complex(0, 2*math.Pi*float64(k)*f/float64(d.N)))
	}
	return p, d, nil
}

// deconvWork is a worker's scratch.
type deconvWork struct {
	tr       *fft.Real
	x        []float64
	X, L, Z  []complex128
	zlp, out []float64
}

func (d *deconvPlan) newWork() *deconvWork {
	half := d.N/2 + 1
	return &deconvWork{tr: fft.NewReal(d.N), x: make([]float64, d.N), X: make([]complex128, half), L: make([]complex128, half),
		Z: make([]complex128, half), zlp: make([]float64, d.N), out: make([]float64, d.N)}
}

// padded writes y into x[:len(y)] with raised-cosine bridges to zero
// after its end and from zero before its start (the last b channels of x
// wrap onto the start).
func padded(x, y []float64, b int) {
	clear(x)
	copy(x, y)
	n, N := len(y), len(x)
	first, last := y[0], y[n-1]
	for j := range b {
		c := 0.5 * (1 + math.Cos(math.Pi*float64(j+1)/float64(b+1)))
		x[n+j] = last * c
		x[N-1-j] = first * c
	}
}

// circular writes the low loss l into x circularly so that the channel at
// whole-channel energy m (m = k0 + i for channel i) lands at index m mod
// N; the sub-channel rest is applied in the transform (d.shift).
func (d *deconvPlan) circular(x, l []float64) {
	clear(x)
	N := len(x)
	for i, v := range l {
		m := ((d.k0+i)%N + N) % N
		x[m] += v
	}
}

// Deconvolve removes plural scattering: FourierLog turns each pixel's low
// loss J into its single-scattering distribution
//
//	S = IFFT[ I0 G ln(J/Z) ]
//
// (Johnson and Spence 1974; Egerton 3rd ed. eq. 4.11), Z the zero loss
// cut at its first minimum (ZeroLoss), I0 its intensity, G the Gaussian
// modifier of unit area (1 without one) and the complex logarithm's phase
// unwrapped along the frequencies; FourierRatio divides the core loss C
// by the pixel's low loss L normalised to unit sum,
//
//	S = IFFT[ G FFT(C) / FFT(L) ]
//
// (Egerton 3rd ed. eq. 4.19 with the Gaussian modifier), which keeps the
// counts of C. Both pad the spectra to a power-of-two length with
// raised-cosine bridges so that the circular transforms see no step, and
// place the low loss so that 0 eV is the origin of the convolution (the
// sub-channel part by a phase shift). The results keep their input axes.
// Streams: ssd (Fourier-log) or coreloss (Fourier-ratio), tlambda (the
// log-ratio of the low loss), status.
func Deconvolve(in Input, opts DeconvolveOptions, dst Destination, ro RunOptions) (*Result, error) {
	p, d, err := deconvolvePlan(in, opts)
	if err != nil {
		return nil, err
	}
	cubes := []Cube{d.low}
	if opts.Method == FourierRatio {
		cubes = []Cube{d.core, d.low}
	}
	fn := func(w *deconvWork, t *multispectrum.Tile) error {
		for q := range t.Region.Pixels() {
			var out []float64
			var tl float64
			var st int
			if opts.Method == FourierLog {
				l := t.In[0][q*d.nl : (q+1)*d.nl]
				out = t.Out[0][q*d.nl : (q+1)*d.nl]
				tl, st = d.fourierLog(w, out, l)
			} else {
				c := t.In[0][q*d.n : (q+1)*d.n]
				l := t.In[1][q*d.nl : (q+1)*d.nl]
				out = t.Out[0][q*d.n : (q+1)*d.n]
				tl, st = d.fourierRatio(w, out, c, l)
			}
			if st != StatusOK {
				for i := range out {
					out[i] = math.NaN()
				}
			}
			t.Out[1][q], t.Out[2][q] = tl, float64(st)
		}
		return nil
	}
	return run(in, cubes, p, dst, ro, d.newWork, fn, hooks{})
}

// fourierLog writes the single-scattering distribution of l into out.
func (d *deconvPlan) fourierLog(w *deconvWork, out, l []float64) (float64, int) {
	i0, end, st := ZeroLoss(l, d.low.Axis, FirstMinimum)
	if st != StatusOK {
		return math.NaN(), st
	}
	tl, _, _, st := thicknessPixel(l, d.low.Axis, FirstMinimum)
	if st != StatusOK {
		return math.NaN(), st
	}
	padded(w.x, l, d.taper)
	// The cut zero loss: the same channels, no bridge after the cut but
	// the one before the start, as the spectrum's.
	clear(w.zlp)
	copy(w.zlp, l[:end])
	for j := range d.taper {
		w.zlp[d.N-1-j] = w.x[d.N-1-j]
	}
	w.tr.Forward(w.X, w.x)
	w.tr.Forward(w.Z, w.zlp)
	prev, turns := 0.0, 0.0
	for k := range w.X {
		r := w.X[k] / w.Z[k]
		ph := cmplx.Phase(r)
		// Unwrap the phase along the frequencies.
		if k > 0 {
			for ph+turns-prev > math.Pi {
				turns -= 2 * math.Pi
			}
			for ph+turns-prev < -math.Pi {
				turns += 2 * math.Pi
			}
		}
		ph += turns
		prev = ph
		lg := complex(math.Log(cmplx.Abs(r)), ph)
		w.X[k] = complex(i0, 0) * d.gauss[k] * lg * d.shift[k]
	}
	w.tr.Inverse(w.out, w.X)
	for i := range out {
		out[i] = w.out[((d.k0+i)%d.N+d.N)%d.N]
	}
	return tl, StatusOK
}

// fourierRatio writes the deconvolved core loss c into out.
func (d *deconvPlan) fourierRatio(w *deconvWork, out, c, l []float64) (float64, int) {
	if !finite(c) {
		return math.NaN(), StatusNonFinite
	}
	tl, _, _, st := thicknessPixel(l, d.low.Axis, FirstMinimum)
	if st != StatusOK {
		return math.NaN(), st
	}
	sum := 0.0
	for _, v := range l {
		sum += v
	}
	d.circular(w.x, l)
	w.tr.Forward(w.L, w.x)
	padded(w.x, c, d.taper)
	w.tr.Forward(w.X, w.x)
	inv := complex(1/sum, 0)
	for k := range w.X {
		// L of unit sum with its true (sub-channel) origin: L e^{-2 pi i k f/N}.
		lk := w.L[k] * inv * cmplx.Conj(d.shift[k])
		w.X[k] = w.X[k] * d.gauss[k] / lk
	}
	w.tr.Inverse(w.out, w.X)
	copy(out, w.out[:d.n])
	return tl, StatusOK
}
