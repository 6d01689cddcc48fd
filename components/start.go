package components

import (
	"math"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// StartEstimator is a component whose start values can be estimated in
// closed form from a spectrum, so that a non-linear fit from its default
// values converges (doc/algorithms.md 6.6, "Start values"): PowerLaw and
// Exponential by a weighted log-linear fit, Gaussian, Lorentzian and
// Voigt from the moments of the data's excess over a baseline.
type StartEstimator interface {
	Component
	// EstimateStart sets the parameters k with set[k] (indices into
	// Parameters(), len(set) = len(Parameters())) from the spectrum y on
	// the component's axis, over the channels mask does not exclude (nil:
	// all). w holds the inverse variances of y (nil: Poisson counts,
	// 1/max(y, 1)); y may be the data minus other components, w then the
	// data's. Parameters not set, and parameters that are not free, keep
	// their values and the estimates are conditional on them. Estimates
	// are clamped to the bounds; a parameter whose estimate is not finite
	// keeps its value. It reports whether any parameter was set (false
	// when the data do not determine them: too few positive channels, no
	// excess over the baseline). It does not allocate.
	EstimateStart(y, w []float64, mask multispectrum.Mask, set []bool) bool
	// Defaults returns the values the component was constructed with, by
	// parameter; StartMask compares with them.
	Defaults() []float64
}

var (
	_ StartEstimator = (*PowerLaw)(nil)
	_ StartEstimator = (*Exponential)(nil)
	_ StartEstimator = (*Gaussian)(nil)
	_ StartEstimator = (*Lorentzian)(nil)
	_ StartEstimator = (*Voigt)(nil)
)

// StartMask decides which parameters of c a start estimate sets, writing
// set (len = len(c.Parameters())): a free linear parameter always (the
// linear pre-fit of the non-linear engines replaces it anyway); a free
// non-linear parameter when its value is still the one c was constructed
// with, clamped to its bounds. Any other value, such as one a model file's
// values = {...} or Parameter.Set gave after construction, is the user's
// and is kept. It reports whether a non-linear parameter is among those
// set; when none is, there is nothing to estimate that the linear pre-fit
// would not fit.
func StartMask(c StartEstimator, set []bool) bool {
	def := c.Defaults()
	nonLinear := false
	for k, p := range c.Parameters() {
		set[k] = false
		if !p.Free() {
			continue
		}
		if p.Linear {
			set[k] = true
			continue
		}
		if k < len(def) && p.Value == math.Max(p.Lower, math.Min(p.Upper, def[k])) {
			set[k] = true
			nonLinear = true
		}
	}
	return nonLinear
}

// defaults records the values a component was constructed with (the
// start values StartMask treats as not given).
type defaults []float64

// Defaults implements StartEstimator.
func (d defaults) Defaults() []float64 { return d }

// assign sets the free parameter p to v clamped to its bounds, unless v
// is not finite; it reports whether it did.
func assign(p *Parameter, v float64) bool {
	if !p.Free() || math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	p.Value = math.Max(p.Lower, math.Min(p.Upper, v))
	return true
}

// spectrum is what an estimate reads: energies, values, inverse
// variances (nil: 1/max(y, 1)) and the excluded channels (nil: none).
type spectrum struct {
	e, y, w []float64
	mask    multispectrum.Mask
}

func newSpectrum(e, y, w []float64, mask multispectrum.Mask) spectrum {
	checkLen(y, len(e))
	if w != nil {
		checkLen(w, len(e))
	}
	if mask != nil && len(mask) != len(e) {
		panic("components: mask length differs from the axis")
	}
	return spectrum{e: e, y: y, w: w, mask: mask}
}

// weight returns channel i's inverse variance, 0 for a channel that does
// not take part (excluded, or a value or weight that is not finite).
func (sp *spectrum) weight(i int) float64 {
	v := sp.y[i]
	if (sp.mask != nil && sp.mask[i]) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	if sp.w == nil {
		return 1 / math.Max(v, 1)
	}
	if w := sp.w[i]; w > 0 && !math.IsInf(w, 0) {
		return w
	}
	return 0
}

// used reports whether channel i takes part.
func (sp *spectrum) used(i int) bool { return sp.weight(i) > 0 }

// logLinear fits ln y = c + s x(E) over the used channels with y > 0 (and
// x finite) by weighted least squares with weights y_i^2 w_i, the inverse
// variance of ln y_i to first order (y_i for Poisson counts;
// doc/algorithms.md 6.6). With
// setC and setS both, the ordinary two-parameter fit on centred x; with
// one of them, the other is held at c0 or s0. It returns false when the
// channels do not determine the fit.
func logLinear(sp *spectrum, x func(float64) float64, setC, setS bool, c0, s0 float64) (c, s float64, ok bool) {
	c, s = c0, s0
	var sw, sx, sl float64
	n := 0
	for i, v := range sp.y {
		wi := sp.weight(i) * v * v
		if !(v > 0) || !(wi > 0) {
			continue
		}
		xi := x(sp.e[i])
		if math.IsNaN(xi) || math.IsInf(xi, 0) {
			continue
		}
		sw += wi
		sx += wi * xi
		sl += wi * math.Log(v)
		n++
	}
	if n == 0 || !(sw > 0) {
		return c, s, false
	}
	xm, lm := sx/sw, sl/sw
	switch {
	case setS:
		// slope about the centroid, or through (0, c0) when c is held
		var sxx, sxl float64
		for i, v := range sp.y {
			wi := sp.weight(i) * v * v
			if !(v > 0) || !(wi > 0) {
				continue
			}
			xi := x(sp.e[i])
			if math.IsNaN(xi) || math.IsInf(xi, 0) {
				continue
			}
			dx, dl := xi-xm, math.Log(v)-lm
			if !setC {
				dx, dl = xi, math.Log(v)-c0
			}
			sxx += wi * dx * dx
			sxl += wi * dx * dl
		}
		if n < 2 && setC || !(sxx > 0) {
			return c, s, false
		}
		s = sxl / sxx
		if setC {
			c = lm - s*xm
		}
	case setC:
		c = lm - s0*xm
	}
	return c, s, true
}

// EstimateStart implements StartEstimator: ln y = ln A - r ln(E/Estart)
// fitted over the used channels with y > 0 and E > 0 (doc/algorithms.md
// 6.6).
func (p *PowerLaw) EstimateStart(y, w []float64, mask multispectrum.Mask, set []bool) bool {
	sp := newSpectrum(p.e, y, w, mask)
	pa, pr := p.params[0], p.params[1]
	setA, setR := set[0] && pa.Free(), set[1] && pr.Free()
	if !(setA || setR) || !(p.estart > 0) {
		return false
	}
	a0 := pa.Get()
	if !setA && !(a0 > 0) {
		return false
	}
	es := p.estart
	c, s, ok := logLinear(&sp, func(e float64) float64 {
		if e > 0 {
			return math.Log(e / es)
		}
		return math.NaN()
	}, setA, setR, math.Log(a0), -pr.Get())
	if !ok {
		return false
	}
	done := false
	if setR {
		done = assign(pr, -s) || done
	}
	if setA {
		done = assign(pa, math.Exp(c)) || done
	}
	return done
}

// EstimateStart implements StartEstimator: ln y = ln A + b E fitted over
// the used channels with y > 0 (doc/algorithms.md 6.6).
func (x *Exponential) EstimateStart(y, w []float64, mask multispectrum.Mask, set []bool) bool {
	sp := newSpectrum(x.e, y, w, mask)
	pa, pb := x.params[0], x.params[1]
	setA, setB := set[0] && pa.Free(), set[1] && pb.Free()
	if !(setA || setB) {
		return false
	}
	a0 := pa.Get()
	if !setA && !(a0 > 0) {
		return false
	}
	c, s, ok := logLinear(&sp, func(e float64) float64 { return e }, setA, setB, math.Log(a0), pb.Get())
	if !ok {
		return false
	}
	done := false
	if setB {
		done = assign(pb, s) || done
	}
	if setA {
		done = assign(pa, math.Exp(c)) || done
	}
	return done
}

// peak holds the moments of a spectrum's excess over its baseline
// (doc/algorithms.md 6.6): over the run of channels around the most
// significant excess where the excess stays positive.
type peak struct {
	height float64 // largest excess in the run
	area   float64 // sum of the excess times the dispersion
	centre float64 // excess-weighted mean energy
	hm     float64 // full width at half maximum, interpolated
	mid    float64 // midpoint of the half-maximum crossings
	s0     float64 // sum of the excess over the run
	lo, hi int     // run of channels [lo, hi]
	// moments are taken over [mlo, mhi], the run clipped symmetrically
	// about the largest excess; m0 is the sum of the excess there
	mlo, mhi int
	m0       float64

	e0, b0, slope float64 // baseline b0 + slope (E - e0)
}

// excess returns channel i's excess over the baseline.
func (pk *peak) excess(sp *spectrum, i int) float64 {
	return sp.y[i] - (pk.b0 + pk.slope*(sp.e[i]-pk.e0))
}

// baselineEnds is the number of used channels averaged at each end of
// the window for the baseline: n/50, at least 1 and at most 10.
func baselineEnds(n int) int { return max(1, min(n/50, 10)) }

// findPeak measures the peak of the spectrum over the used channels. The
// baseline is the straight line through the means (energy and value) of
// the first and last few used channels; the peak is found at the largest
// excess in units of its standard deviation, excess sqrt(w), so that the
// misfit of a large background in data minus a background estimate does
// not outweigh it.
func findPeak(sp *spectrum, disp float64) (pk peak, ok bool) {
	n := 0
	for i := range sp.y {
		if sp.used(i) {
			n++
		}
	}
	if n < 3 {
		return pk, false
	}
	k := baselineEnds(n)
	var e1, y1, e2, y2 float64
	j := 0
	for i, v := range sp.y {
		if !sp.used(i) {
			continue
		}
		if j < k {
			e1 += sp.e[i]
			y1 += v
		}
		if j >= n-k {
			e2 += sp.e[i]
			y2 += v
		}
		j++
	}
	e1, y1, e2, y2 = e1/float64(k), y1/float64(k), e2/float64(k), y2/float64(k)
	pk.e0, pk.b0 = e1, y1
	if e2 > e1 {
		pk.slope = (y2 - y1) / (e2 - e1)
	}
	best, bs := -1, 0.0
	for i := range sp.y {
		if w := sp.weight(i); w > 0 {
			if s := pk.excess(sp, i) * math.Sqrt(w); best < 0 || s > bs {
				best, bs = i, s
			}
		}
	}
	if !(pk.excess(sp, best) > 0) {
		return pk, false
	}
	// The positive run around it; excluded channels inside it are
	// skipped, not ends.
	pk.lo, pk.hi = best, best
	for i := best - 1; i >= 0; i-- {
		if !sp.used(i) {
			continue
		}
		if pk.excess(sp, i) <= 0 {
			break
		}
		pk.lo = i
	}
	for i := best + 1; i < len(sp.y); i++ {
		if !sp.used(i) {
			continue
		}
		if pk.excess(sp, i) <= 0 {
			break
		}
		pk.hi = i
	}
	for i := pk.lo; i <= pk.hi; i++ {
		if sp.used(i) {
			x := pk.excess(sp, i)
			pk.s0 += x
			if x > pk.height {
				pk.height, best = x, i
			}
		}
	}
	pk.area = pk.s0 * disp
	// Moments over the part of the run symmetric about the largest
	// excess, so that the longer tail on one side (a Lorentzian's in an
	// off-centre window) does not pull the centre.
	d := min(best-pk.lo, pk.hi-best)
	pk.mlo, pk.mhi = best-d, best+d
	var m0, m1 float64
	for i := pk.mlo; i <= pk.mhi; i++ {
		if sp.used(i) {
			x := pk.excess(sp, i)
			m0 += x
			m1 += x * sp.e[i]
		}
	}
	pk.m0 = m0
	pk.centre = m1 / m0
	// Half-maximum crossings, linearly interpolated between channels (the
	// run's ends when the excess does not fall to half inside it).
	half := pk.height / 2
	left, right := sp.e[pk.lo], sp.e[pk.hi]
	prev := best
	for i := best - 1; i >= pk.lo; i-- {
		if !sp.used(i) {
			continue
		}
		if x := pk.excess(sp, i); x <= half {
			xp := pk.excess(sp, prev)
			left = sp.e[i] + (sp.e[prev]-sp.e[i])*(half-x)/(xp-x)
			break
		}
		prev = i
	}
	prev = best
	for i := best + 1; i <= pk.hi; i++ {
		if !sp.used(i) {
			continue
		}
		if x := pk.excess(sp, i); x <= half {
			xp := pk.excess(sp, prev)
			right = sp.e[prev] + (sp.e[i]-sp.e[prev])*(xp-half)/(xp-x)
			break
		}
		prev = i
	}
	pk.hm, pk.mid = right-left, (left+right)/2
	if !(pk.hm > 0) {
		pk.hm = disp
	}
	return pk, true
}

// second returns the excess-weighted second moment about c over the
// symmetric part of the peak's run.
func (pk *peak) second(sp *spectrum, c float64) float64 {
	s := 0.0
	for i := pk.mlo; i <= pk.mhi; i++ {
		if sp.used(i) {
			d := sp.e[i] - c
			s += pk.excess(sp, i) * d * d
		}
	}
	return s / pk.m0
}

// EstimateStart implements StartEstimator: centre the weighted mean of
// the excess, sigma^2 its second moment about the centre, A = area /
// (sigma sqrt(2 pi)) (doc/algorithms.md 6.6).
func (g *Gaussian) EstimateStart(y, w []float64, mask multispectrum.Mask, set []bool) bool {
	sp := newSpectrum(g.e, y, w, mask)
	pa, pc, pf := g.params[0], g.params[1], g.params[2]
	setA, setC, setF := set[0] && pa.Free(), set[1] && pc.Free(), set[2] && pf.Free()
	if !(setA || setC || setF) {
		return false
	}
	pk, ok := findPeak(&sp, g.axis.Dispersion)
	if !ok {
		return false
	}
	done := false
	if setC {
		done = assign(pc, pk.centre) || done
	}
	if setF {
		v := pk.second(&sp, pc.Get())
		done = assign(pf, math.Sqrt(v)/fwhmToSigma) || done
	}
	if setA {
		s := math.Abs(pf.Get()) * fwhmToSigma
		done = assign(pa, pk.area/(s*math.Sqrt(2*math.Pi))) || done
	}
	return done
}

// EstimateStart implements StartEstimator: a Lorentzian has no second
// moment and long tails, so the centre is the midpoint and fwhm the
// distance of the half-maximum crossings of the excess, A its maximum
// (doc/algorithms.md 6.6).
func (l *Lorentzian) EstimateStart(y, w []float64, mask multispectrum.Mask, set []bool) bool {
	sp := newSpectrum(l.e, y, w, mask)
	pa, pc, pf := l.params[0], l.params[1], l.params[2]
	setA, setC, setF := set[0] && pa.Free(), set[1] && pc.Free(), set[2] && pf.Free()
	if !(setA || setC || setF) {
		return false
	}
	pk, ok := findPeak(&sp, l.axis.Dispersion)
	if !ok {
		return false
	}
	done := false
	if setC {
		done = assign(pc, pk.mid) || done
	}
	if setF {
		done = assign(pf, pk.hm) || done
	}
	if setA {
		done = assign(pa, pk.height) || done
	}
	return done
}

// Voigt widths (doc/algorithms.md 6.6): Olivero and Longbothum's FWHM
// f_V = 0.5346 f_L + sqrt(0.2166 f_L^2 + f_G^2) (J. Quant. Spectrosc.
// Radiat. Transfer 17 (1977) 233), and the pseudo-Voigt mixing
// eta(f_L/f_V) = 1.36603 q - 0.47719 q^2 + 0.11116 q^3 (Ida, Ando and
// Toraya, J. Appl. Cryst. 33 (2000) 1311).
const (
	voigtOL1 = 0.5346
	voigtOL2 = 0.2166
)

// voigtGauss returns f_G for total width fv and Lorentzian width fl.
func voigtGauss(fv, fl float64) float64 {
	d := fv - voigtOL1*fl
	return math.Sqrt(math.Max(d*d-voigtOL2*fl*fl, 0))
}

// voigtLorentz returns f_L for total width fv and Gaussian width fg: the
// smaller root of (fv - 0.5346 fl)^2 = 0.2166 fl^2 + fg^2.
func voigtLorentz(fv, fg float64) float64 {
	if fg >= fv {
		return 0
	}
	a := voigtOL1*voigtOL1 - voigtOL2
	b := -2 * voigtOL1 * fv
	c := fv*fv - fg*fg
	return (-b - math.Sqrt(b*b-4*a*c)) / (2 * a)
}

// voigtFraction returns q = f_L/f_V from the ratio rho = area /
// (height f_V) of the profile: a pseudo-Voigt of mixing eta has rho =
// eta pi/2 + (1 - eta) sqrt(pi/ln 2)/2; eta(q) is inverted by bisection.
func voigtFraction(rho float64) float64 {
	rg, rl := math.Sqrt(math.Pi/math.Ln2)/2, math.Pi/2
	eta := math.Max(0, math.Min(1, (rho-rg)/(rl-rg)))
	lo, hi := 0.0, 1.0
	for range 60 {
		q := (lo + hi) / 2
		if 1.36603*q-0.47719*q*q+0.11116*q*q*q < eta {
			lo = q
		} else {
			hi = q
		}
	}
	return (lo + hi) / 2
}

// EstimateStart implements StartEstimator: as for the Lorentzian, the
// centre is the midpoint of the half-maximum crossings, A the maximum
// excess; the Lorentzian and Gaussian widths from the
// full width at half maximum f_V and the area-to-height ratio (or, with
// one width held, from f_V alone), doc/algorithms.md 6.6.
func (v *Voigt) EstimateStart(y, w []float64, mask multispectrum.Mask, set []bool) bool {
	sp := newSpectrum(v.e, y, w, mask)
	pa, pc, pg, ps := v.params[0], v.params[1], v.params[2], v.params[3]
	setA, setC, setG, setS := set[0] && pa.Free(), set[1] && pc.Free(), set[2] && pg.Free(), set[3] && ps.Free()
	if !(setA || setC || setG || setS) {
		return false
	}
	pk, ok := findPeak(&sp, v.axis.Dispersion)
	if !ok {
		return false
	}
	done := false
	if setC {
		done = assign(pc, pk.mid) || done
	}
	fv := pk.hm
	const g2f = 2 * 1.1774100225154747 // 2 sqrt(2 ln 2): sigma to FWHM
	switch {
	case setG && setS:
		fl := voigtFraction(pk.area/(pk.height*fv)) * fv
		done = assign(pg, fl/2) || done
		done = assign(ps, voigtGauss(fv, fl)/g2f) || done
	case setG:
		done = assign(pg, voigtLorentz(fv, ps.Get()*g2f)/2) || done
	case setS:
		done = assign(ps, voigtGauss(fv, 2*pg.Get())/g2f) || done
	}
	if setA {
		done = assign(pa, pk.height) || done
	}
	return done
}
