package aligners

import (
	"fmt"
	"math"
	"slices"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Status is the outcome of the shift estimate of one pixel.
type Status int8

const (
	OK         Status = iota // shift estimated
	NonFinite                // NaN or Inf in the spectrum
	NoPeak                   // flat or noise only: no significant peak
	AtEdge                   // maximum at the edge of the search window
	NoConverge               // the peak fit did not converge
	OutOfRange               // the shift exceeds the allowed range
)

// StatusCodes documents the status values, as stored with the maps.
const StatusCodes = "0 ok, 1 non-finite values, 2 no zero-loss peak (flat or noise), 3 peak at the edge of the search window, 4 peak fit did not converge, 5 shift beyond the allowed range"

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case NonFinite:
		return "non-finite values"
	case NoPeak:
		return "no peak"
	case AtEdge:
		return "peak at window edge"
	case NoConverge:
		return "fit did not converge"
	case OutOfRange:
		return "shift out of range"
	}
	return fmt.Sprintf("status %d", int8(s))
}

// Method selects the estimator.
type Method string

const (
	Fast             Method = "fast"  // argmax, whole channels (7.2)
	PeakFit          Method = "fit"   // Gaussian or Lorentzian fit (7.3)
	CrossCorrelation Method = "xcorr" // cross-correlation with a reference (7.4)
)

// Options configure an estimator.
type Options struct {
	Method Method
	// Peak is "gaussian" (default) or "lorentzian" for PeakFit.
	Peak string
	// SignalRange limits the search for the maximum to [Lo, Hi] eV (zero
	// values: the whole axis).
	Lo, Hi float64
	// Window is the half-width in eV of the region around the maximum
	// used by the peak fit and the cross-correlation (default 3 eV).
	Window float64
	// MaxShift is the largest accepted |shift| in eV (0: a quarter of
	// the axis range).
	MaxShift float64
}

func (o *Options) defaults(axis multispectrum.EnergyAxis) {
	if o.Method == "" {
		o.Method = Fast
	}
	if o.Peak == "" {
		o.Peak = "gaussian"
	}
	if o.Window <= 0 {
		o.Window = 3
	}
	if o.MaxShift <= 0 {
		o.MaxShift = 0.25 * float64(axis.Size-1) * axis.Dispersion
	}
}

// Validate checks the options against an axis.
func (o Options) Validate(axis multispectrum.EnergyAxis) error {
	if err := axis.Validate(); err != nil {
		return fmt.Errorf("aligners: %w", err)
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"signal range start", o.Lo}, {"signal range end", o.Hi}, {"window", o.Window}, {"largest shift", o.MaxShift}} {
		if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("aligners: %s %g eV is not a finite number", v.name, v.x)
		}
	}
	switch o.Method {
	case Fast, PeakFit, CrossCorrelation, "":
	default:
		return fmt.Errorf("aligners: unknown method %q (use fast, fit or xcorr)", o.Method)
	}
	switch o.Peak {
	case "", "gaussian", "lorentzian":
	default:
		return fmt.Errorf("aligners: unknown peak model %q (use gaussian or lorentzian)", o.Peak)
	}
	if o.Lo != 0 || o.Hi != 0 {
		if !(o.Hi > o.Lo) || o.Hi < axis.Offset || o.Lo > axis.Last() {
			return fmt.Errorf("aligners: signal range [%g, %g] eV does not overlap the axis %g..%g eV", o.Lo, o.Hi, axis.Offset, axis.Last())
		}
	}
	return nil
}

// Estimator measures the energy (eV) of the zero-loss peak of spectra on
// one axis: the shift of the pixel, since the peak belongs at 0 eV (for
// cross-correlation on a core loss, the shift relative to the reference).
// An Estimator belongs to one worker.
type Estimator struct {
	opts   Options
	axis   multispectrum.EnergyAxis
	i0, i1 int // search range [i0, i1)
	ref    []float64
	refOff float64 // absolute position of the reference's feature, eV
	w      int     // window half-width, channels
	fit    *peakFitter
	sig    []float64
	corr   []float64
	d2     []float64 // scratch of noise
}

// NewEstimator returns an estimator for spectra on axis. For
// CrossCorrelation, ref is the reference spectrum (same axis), e.g. one
// pixel of the data; its own peak position is found by a Gaussian fit
// when absolute is true (the low-loss case), so that the shifts are
// absolute; otherwise they are relative to the reference.
func NewEstimator(opts Options, axis multispectrum.EnergyAxis, ref []float64, absolute bool) (*Estimator, error) {
	if err := opts.Validate(axis); err != nil {
		return nil, err
	}
	opts.defaults(axis)
	e := &Estimator{opts: opts, axis: axis, i0: 0, i1: axis.Size}
	if opts.Lo != 0 || opts.Hi != 0 {
		e.i0 = axis.Index(opts.Lo)
		e.i1 = min(axis.Index(opts.Hi)+1, axis.Size)
	}
	e.w = max(2, int(math.Round(opts.Window/axis.Dispersion)))
	e.fit = newPeakFitter(2*e.w+1, opts.Peak == "lorentzian")
	if opts.Method == CrossCorrelation {
		if len(ref) != axis.Size {
			return nil, fmt.Errorf("aligners: reference spectrum has %d channels, the axis %d", len(ref), axis.Size)
		}
		k, st := e.argmax(ref)
		if st != OK {
			return nil, fmt.Errorf("aligners: the reference spectrum has no usable peak (%v)", st)
		}
		lo, hi := max(0, k-2*e.w), min(axis.Size, k+2*e.w+1)
		e.ref = append([]float64(nil), ref[lo:hi]...)
		e.refOff = float64(lo)
		if absolute {
			pos, st := e.fitPeak(ref, k, false)
			if st != OK {
				return nil, fmt.Errorf("aligners: could not fit the reference spectrum's peak (%v)", st)
			}
			e.refOff = float64(lo) - (pos-axis.Offset)/axis.Dispersion
		} else {
			// Relative shifts: Estimate returns delta*disp, the offset of
			// the signal's feature from the reference's.
			e.refOff = float64(lo) + axis.Offset/axis.Dispersion
		}
		e.sig = make([]float64, len(e.ref)+4*e.w+2)
		e.corr = make([]float64, 4*e.w+3)
	}
	return e, nil
}

// argmax returns the first maximum in the search range and a status.
func (e *Estimator) argmax(s []float64) (int, Status) {
	k := e.i0
	mn, mx := math.Inf(1), math.Inf(-1)
	for i := e.i0; i < e.i1; i++ {
		v := s[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, NonFinite
		}
		if v > mx {
			mx, k = v, i
		}
		mn = math.Min(mn, v)
	}
	if !(mx > 0) || mx-mn <= 5*e.noise(s, mx)+1e-12*mx {
		return k, NoPeak
	}
	if (k == e.i0 && e.i0 > 0) || (k == e.i1-1 && e.i1 < e.axis.Size) || k == 0 || k == e.axis.Size-1 {
		return k, AtEdge
	}
	return k, OK
}

// noise returns the noise a peak of height mx must stand out of (by more
// than 5 times): the Poisson noise sqrt(mx) of counts. A maximum below
// one cannot be a peak in counts; such a spectrum is in other units (a
// low loss normalised to unit sum, as the reference's examples store it)
// and is judged against its own channel-to-channel noise instead: the
// median absolute second difference over the search range, scaled to a
// standard deviation (1.4826 / sqrt(6)). The median ignores the peak's
// own curvature; it is zero for noise-free data, whose peak is then any
// maximum above the minimum.
func (e *Estimator) noise(s []float64, mx float64) float64 {
	if mx >= 1 {
		return math.Sqrt(mx)
	}
	n := e.i1 - e.i0 - 2
	if n < 1 {
		return math.Sqrt(mx)
	}
	if cap(e.d2) < n {
		e.d2 = make([]float64, n)
	}
	d := e.d2[:n]
	for i := range d {
		j := e.i0 + i + 1
		d[i] = math.Abs(s[j-1] - 2*s[j] + s[j+1])
	}
	slices.Sort(d)
	med := d[n/2]
	if n%2 == 0 {
		med = (d[n/2-1] + d[n/2]) / 2
	}
	return 1.482602218505602 / math.Sqrt(6) * med
}

// Estimate returns the peak energy (eV) of spectrum s and a status. When
// the status is not OK the shift is meaningless.
func (e *Estimator) Estimate(s []float64) (float64, Status) {
	k, st := e.argmax(s)
	if st != OK {
		return 0, st
	}
	var shift float64
	switch e.opts.Method {
	case Fast:
		shift = e.axis.Energy(k)
	case PeakFit:
		shift, st = e.fitPeak(s, k, e.opts.Peak == "lorentzian")
	case CrossCorrelation:
		shift, st = e.xcorr(s, k)
	}
	if st == OK && math.Abs(shift) > e.opts.MaxShift {
		st = OutOfRange
	}
	return shift, st
}

// fitPeak fits the peak model in [k-w, k+w] by Levenberg-Marquardt,
// started from A = s[k], centre = E_k and the numerical FWHM.
func (e *Estimator) fitPeak(s []float64, k int, lorentz bool) (float64, Status) {
	lo, hi := max(0, k-e.w), min(e.axis.Size, k+e.w+1)
	if hi-lo < 5 {
		return 0, AtEdge
	}
	half := s[k] / 2
	l, r := k, k
	for l > lo && s[l] > half {
		l--
	}
	for r < hi-1 && s[r] > half {
		r++
	}
	fwhm := math.Max(float64(r-l)*e.axis.Dispersion, e.axis.Dispersion)
	e.fit.lorentz = lorentz
	c, ok := e.fit.fit(s[lo:hi], e.axis.Energy(lo), e.axis.Dispersion, s[k], e.axis.Energy(k), fwhm)
	if !ok || c < e.axis.Energy(lo) || c > e.axis.Energy(hi-1) {
		return 0, NoConverge
	}
	return c, OK
}

// xcorr correlates the signal with the reference over lags of up to the
// window and refines the best lag with a parabola through the logarithms
// of the three best correlations (exact for Gaussian peaks).
func (e *Estimator) xcorr(s []float64, k int) (float64, Status) {
	m := len(e.ref)
	L := 2*e.w + 1
	// Signal segment aligned with the reference extended by L each side:
	// the reference starts at channel refStart = k - (peak offset in ref).
	refPeak := 0
	for i, v := range e.ref {
		if v > e.ref[refPeak] {
			refPeak = i
		}
	}
	start := k - refPeak - L
	sig := e.sig[:m+2*L]
	for i := range sig {
		j := start + i
		if j < 0 || j >= len(s) {
			sig[i] = 0
		} else {
			sig[i] = s[j]
		}
	}
	best := -1
	for l := 0; l <= 2*L; l++ {
		c := 0.0
		for t, r := range e.ref {
			c += r * sig[t+l]
		}
		e.corr[l] = c
		if best < 0 || c > e.corr[best] {
			best = l
		}
	}
	if best == 0 || best == 2*L {
		return 0, AtEdge
	}
	c0, c1, c2 := e.corr[best-1], e.corr[best], e.corr[best+1]
	var d float64
	if c0 > 0 && c1 > 0 && c2 > 0 {
		l0, l1, l2 := math.Log(c0), math.Log(c1), math.Log(c2)
		d = 0.5 * (l0 - l2) / (l0 - 2*l1 + l2)
	} else {
		d = 0.5 * (c0 - c2) / (c0 - 2*c1 + c2)
	}
	if math.IsNaN(d) || math.Abs(d) > 1 {
		return 0, NoConverge
	}
	// The reference sits at channel start+lag in the signal; its feature
	// is at refOff channels before its own start.
	pos := float64(start+best) + d - e.refOff
	return e.axis.Offset + pos*e.axis.Dispersion, OK
}

// peakFitter is a Levenberg-Marquardt fit of A g((E - c)/w) with g a
// Gaussian or Lorentzian of FWHM w, on equally spaced points, with
// preallocated scratch.
type peakFitter struct {
	lorentz bool
	r, j    []float64 // residuals, Jacobian (n x 3)
}

func newPeakFitter(n int, lorentz bool) *peakFitter {
	return &peakFitter{lorentz: lorentz, r: make([]float64, n), j: make([]float64, 3*n)}
}

// model returns the value and derivatives (dA, dc, dw) at x.
func (p *peakFitter) model(x, a, c, w float64) (v, da, dc, dw float64) {
	d := x - c
	if p.lorentz {
		h := w / 2
		den := d*d + h*h
		g := h * h / den
		return a * g, g, 2 * a * h * h * d / (den * den), a * h * d * d / (den * den)
	}
	s := w * fwhmToSigma
	g := math.Exp(-0.5 * d * d / (s * s))
	return a * g, g, a * g * d / (s * s), a * g * d * d / (s * s * w)
}

var fwhmToSigma = 1 / (2 * math.Sqrt(2*math.Ln2))

// gtol is the convergence test of the peak fit (MINPACK's gtol): the fit
// has converged when the cosine of the angle between the residual vector
// and every column of the Jacobian of a free parameter is at most gtol.
// The centre is then within about gtol |r| / |dm/dc| of the least-squares
// minimum, far below its statistical error (about |r| / (sqrt(n) |dm/dc|)).
const gtol = 1e-6

// fit returns the fitted centre of the peak in y (x_i = x0 + i dx) and
// whether the fit converged. The FWHM is kept at or above half a channel:
// a peak narrower than that is not resolved by the channels, and a
// Lorentzian fitted to a Gaussian of about one channel would otherwise
// narrow without end (the amplitude growing to keep the peak channel);
// at the bound the width is held and A and the centre are fitted.
//
// Convergence is the gradient test above. A model of the other shape
// than the peak (a Gaussian fitted to a Lorentzian) keeps a residual, and
// its minimum is reached only to the working precision of the cost: steps
// below about 1e-8 channel no longer lower it. A test on the step size
// alone (1e-9 channel) therefore missed such minima, the damping then
// grew past its limit and about 1 in 100 noise-free peaks of the other
// shape was reported as not converged. The gradient test holds at any
// residual.
func (p *peakFitter) fit(y []float64, x0, dx, a, c, w float64) (float64, bool) {
	n := len(y)
	r, jac := p.r[:n], p.j[:3*n]
	wmin := dx / 2
	w = math.Max(w, wmin)
	cost := func(a, c, w float64) float64 {
		s := 0.0
		for i, v := range y {
			m, _, _, _ := p.model(x0+float64(i)*dx, a, c, w)
			s += (v - m) * (v - m)
		}
		return s
	}
	sumSq := 0.0
	for _, v := range y {
		sumSq += v * v
	}
	lambda := 1e-3
	cur := cost(a, c, w)
	for it := 0; it < 200; it++ {
		var jtj [3][3]float64
		var jtr [3]float64
		for i, v := range y {
			m, da, dc, dw := p.model(x0+float64(i)*dx, a, c, w)
			r[i] = v - m
			jac[3*i], jac[3*i+1], jac[3*i+2] = da, dc, dw
			g := [3]float64{da, dc, dw}
			for u := 0; u < 3; u++ {
				jtr[u] += g[u] * r[i]
				for v := 0; v < 3; v++ {
					jtj[u][v] += g[u] * g[v]
				}
			}
		}
		// The width is held at its bound while the cost would fall
		// by narrowing the peak further (J_w . r < 0).
		free := 3
		if w <= wmin && jtr[2] <= 0 {
			free = 2
		}
		if cur == 0 || gradientSmall(&jtj, &jtr, cur, free) {
			return c, true
		}
		improved := false
		for try := 0; try < 30; try++ {
			var m [3][3]float64
			b := jtr
			for u := 0; u < 3; u++ {
				m[u] = jtj[u]
				m[u][u] *= 1 + lambda
			}
			if free == 2 {
				m[0][2], m[1][2], m[2] = 0, 0, [3]float64{0, 0, 1}
				b[2] = 0
			}
			step, ok := solve3(m, b)
			if !ok {
				lambda *= 10
				continue
			}
			na, nc, nw := a+step[0], c+step[1], math.Max(w+step[2], wmin)
			if nv := cost(na, nc, nw); nv <= cur {
				// Steps below 1e-9 channel: converged (a model of the
				// peak's own shape, whose residual vanishes).
				conv := math.Abs(nc-c) < 1e-9*dx && math.Abs(nw-w) < 1e-9*w
				a, c, w, cur = na, nc, nw, nv
				lambda = math.Max(lambda/10, 1e-12)
				improved = true
				if conv {
					return c, true
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			// No step lowers the cost: converged if the residual is
			// at the rounding level of the data (an exact model, whose
			// gradient is rounding noise), else stuck.
			return c, cur <= 1e-20*sumSq
		}
	}
	return c, false
}

// gradientSmall reports whether the Jacobian columns of the first free
// parameters are all nearly orthogonal to the residual:
// |J_u . r| <= gtol |J_u| |r| (cost = |r|^2).
func gradientSmall(jtj *[3][3]float64, jtr *[3]float64, cost float64, free int) bool {
	for u := 0; u < free; u++ {
		if math.Abs(jtr[u]) > gtol*math.Sqrt(jtj[u][u]*cost) {
			return false
		}
	}
	return true
}

// solve3 solves m x = b by Gaussian elimination with partial pivoting.
func solve3(m [3][3]float64, b [3]float64) ([3]float64, bool) {
	for col := 0; col < 3; col++ {
		piv := col
		for r := col + 1; r < 3; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[piv][col]) {
				piv = r
			}
		}
		if m[piv][col] == 0 || math.IsNaN(m[piv][col]) {
			return b, false
		}
		m[col], m[piv] = m[piv], m[col]
		b[col], b[piv] = b[piv], b[col]
		for r := col + 1; r < 3; r++ {
			f := m[r][col] / m[col][col]
			for c := col; c < 3; c++ {
				m[r][c] -= f * m[col][c]
			}
			b[r] -= f * b[col]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		s := b[r]
		for c := r + 1; c < 3; c++ {
			s -= m[r][c] * x[c]
		}
		x[r] = s / m[r][r]
	}
	return x, true
}
