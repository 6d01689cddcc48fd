package components

import (
	"math"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// sampleLinear returns src at fractional index u by linear interpolation,
// src being zero outside [0, n-1] with the zero one index beyond each end,
// and the slope d/du there (at an exact sample the central difference).
func sampleLinear(src []float64, u float64) (v, slope float64) {
	n := len(src)
	at := func(j int) float64 {
		if j < 0 || j >= n {
			return 0
		}
		return src[j]
	}
	j := int(math.Floor(u))
	f := u - float64(j)
	if f == 0 {
		return at(j), (at(j+1) - at(j-1)) / 2
	}
	a, b := at(j), at(j+1)
	return (1-f)*a + f*b, b - a
}

// FixedPattern is A times a given spectrum, linearly interpolated onto
// the component axis (zero outside its range), optionally stretched by
// scale and moved by shift eV (doc/algorithms.md 2.3). Parameters A (linear,
// unbounded, initial 1), scale (fixed 1), shift (eV, fixed 0).
// Convolved by default.
type FixedPattern struct {
	base
	pattern []float64 // on the component axis
}

// NewFixedPattern returns the pattern s on axis.
func NewFixedPattern(axis multispectrum.EnergyAxis, s *multispectrum.Spectrum) *FixedPattern {
	fp := &FixedPattern{base: newBase("FixedPattern", axis, true, newParam("A", 1, true, true),
		newParam("scale", 1, false, false), newParam("shift", 0, false, false)), pattern: make([]float64, axis.Size)}
	for i, e := range fp.e {
		u := (e - s.Axis.Offset) / s.Axis.Dispersion
		if u <= -1 || u >= float64(s.Axis.Size) {
			continue
		}
		fp.pattern[i], _ = sampleLinear(s.Data, u)
	}
	return fp
}

// position returns the fractional pattern index of channel i after
// scale and shift.
func (fp *FixedPattern) position(i int) float64 {
	scale, shift := fp.params[1].Get(), fp.params[2].Get()
	return (fp.e[i] - fp.axis.Offset - shift) / (fp.axis.Dispersion * scale)
}

// Eval implements Component.
func (fp *FixedPattern) Eval(dst []float64) {
	checkLen(dst, len(fp.e))
	a := fp.params[0].Get()
	if fp.params[1].Get() == 1 && fp.params[2].Get() == 0 {
		for i, v := range fp.pattern {
			dst[i] = a * v
		}
		return
	}
	for i := range dst {
		v, _ := sampleLinear(fp.pattern, fp.position(i))
		dst[i] = a * v
	}
}

// Gradient implements Component: the pattern for A; for scale and shift
// the slope of the interpolant times -u/scale and -1/(disp scale).
func (fp *FixedPattern) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(fp.e))
	a, scale := fp.params[0].Get(), fp.params[1].Get()
	for i := range dst {
		u := fp.position(i)
		v, s := sampleLinear(fp.pattern, u)
		switch k {
		case 0:
			dst[i] = v
		case 1:
			dst[i] = -a * s * u / scale
		case 2:
			dst[i] = -a * s / (fp.axis.Dispersion * scale)
		}
	}
	return true
}

// CoreLossEdge is A times the cross section sigma(E - shift) (barn/eV) of
// one element edge from any GOS source (doc/algorithms.md 3.1, 3.11). The
// parameters are, in the reference's order, A (linear, free, unbounded),
// E0 (V), beta and alpha (rad), all three fixed, then shift (eV, fixed by
// default; free it to fit an edge position). Convolved.
type CoreLossEdge struct {
	base
	src    gos.Source
	cache  *gos.Cache
	edge   *gos.Edge
	el, ed string
	eshift float64
	sigma  []float64
	key    [3]float64
}

// Edge parameter indices.
const (
	EdgeA = iota
	EdgeE0
	EdgeBeta
	EdgeAlpha
	EdgeShift
)

// NewCoreLossEdge returns the edge of element (symbol) and edge name
// ("K", "L", "L3", ...) from src with amplitude a; eshift (eV) moves the
// onsets as the reference's edge shift does. Cross sections come from
// cache (nil: a private one).
func NewCoreLossEdge(axis multispectrum.EnergyAxis, src gos.Source, cache *gos.Cache, element, edge string, setup gos.Setup, eshift, a float64) (*CoreLossEdge, error) {
	if cache == nil {
		cache = gos.NewCache()
	}
	sigma, e, err := cache.CrossSection(src, element, edge, axis, setup, eshift)
	if err != nil {
		return nil, err
	}
	c := &CoreLossEdge{base: newBase(e.Label(), axis, true, newParam("A", a, true, true),
		newParam("E0", setup.E0, false, false), newParam("beta", setup.Beta, false, false),
		newParam("alpha", setup.Alpha, false, false), newParam("shift", 0, false, false)),
		src: src, cache: cache, edge: e, el: element, ed: edge, eshift: eshift, sigma: sigma,
		key: [3]float64{setup.E0, setup.Beta, setup.Alpha}}
	return c, nil
}

// Edge returns the gos edge (element, subshells, onsets, source).
func (c *CoreLossEdge) Edge() *gos.Edge { return c.edge }

// CrossSection returns the unshifted cross section on the axis (barn/eV).
func (c *CoreLossEdge) CrossSection() []float64 {
	c.update()
	return c.sigma
}

// update recomputes sigma when E0, beta or alpha changed.
func (c *CoreLossEdge) update() {
	k := [3]float64{c.params[EdgeE0].Get(), c.params[EdgeBeta].Get(), c.params[EdgeAlpha].Get()}
	if k == c.key {
		return
	}
	s, _, err := c.cache.CrossSection(c.src, c.el, c.ed, c.axis, gos.Setup{E0: k[0], Beta: k[1], Alpha: k[2]}, c.eshift)
	if err == nil {
		c.sigma, c.key = s, k
	}
}

// Eval implements Component.
func (c *CoreLossEdge) Eval(dst []float64) {
	checkLen(dst, len(c.e))
	c.update()
	a, sh := c.params[EdgeA].Get(), c.params[EdgeShift].Get()
	if sh == 0 {
		for i, v := range c.sigma {
			dst[i] = a * v
		}
		return
	}
	d := sh / c.axis.Dispersion
	for i := range dst {
		v, _ := sampleLinear(c.sigma, float64(i)-d)
		dst[i] = a * v
	}
}

// Gradient implements Component: sigma for A, -A dsigma/dE for the shift;
// E0, beta and alpha (instrument constants) have none.
func (c *CoreLossEdge) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(c.e))
	c.update()
	a, sh := c.params[EdgeA].Get(), c.params[EdgeShift].Get()
	d := sh / c.axis.Dispersion
	switch k {
	case EdgeA:
		for i := range dst {
			dst[i], _ = sampleLinear(c.sigma, float64(i)-d)
		}
		return true
	case EdgeShift:
		for i := range dst {
			_, s := sampleLinear(c.sigma, float64(i)-d)
			dst[i] = -a * s / c.axis.Dispersion
		}
		return true
	}
	return false
}
