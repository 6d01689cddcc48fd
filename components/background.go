package components

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// PowerLaw is A (E/Estart)^(-r) with Estart the first channel energy of
// its axis (doc/algorithms.md 2.3), so A is the value at the first channel.
// Parameters: A (linear, [0, 1e20]), r ([0, 1e20]). Not convolved; zero
// for E <= 0. Its start values can be estimated from data (StartEstimator).
type PowerLaw struct {
	base
	defaults
	estart float64
}

// NewPowerLaw returns a power law with amplitude a and exponent r.
func NewPowerLaw(axis multispectrum.EnergyAxis, a, r float64) *PowerLaw {
	pa := newParam("A", a, true, true)
	pa.Lower, pa.Upper = 0, 1e20
	pr := newParam("r", r, true, false)
	pr.Lower, pr.Upper = 0, 1e20
	return &PowerLaw{base: newBase("PowerLaw", axis, false, pa, pr), defaults: defaults{a, r}, estart: axis.Offset}
}

// Eval implements Component.
func (p *PowerLaw) Eval(dst []float64) {
	checkLen(dst, len(p.e))
	a, r := p.params[0].Get(), p.params[1].Get()
	for i, e := range p.e {
		if e > 0 {
			dst[i] = a * math.Pow(e/p.estart, -r)
		} else {
			dst[i] = 0
		}
	}
}

// Gradient implements Component: dP/dA = (E/Estart)^-r, dP/dr = P ln(Estart/E).
func (p *PowerLaw) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(p.e))
	a, r := p.params[0].Get(), p.params[1].Get()
	for i, e := range p.e {
		if e <= 0 {
			dst[i] = 0
			continue
		}
		v := math.Pow(e/p.estart, -r)
		if k == 0 {
			dst[i] = v
		} else {
			dst[i] = a * v * math.Log(p.estart/e)
		}
	}
	return true
}

// LinearBackground is a linear combination of power laws with fixed
// exponents (doc/algorithms.md 2.3, the reference's LinearBG):
//
//	B(E) = sum_k a_k (E/Es)^(-r_k) for E > 0, 0 otherwise,
//
// with Es the first channel energy (at least 1 eV). Parameters are
// interleaved a0, r0, a1, r1, ...: a_k linear and free (initial 1), r_k
// fixed. Not convolved.
type LinearBackground struct {
	base
	es    float64
	terms [][]float64 // cached (E/Es)^-r_k per term, for the r_k it was computed with
	rs    []float64
}

// NewLinearBackground returns the background with exponents rs.
func NewLinearBackground(axis multispectrum.EnergyAxis, rs []float64) *LinearBackground {
	var ps []*Parameter
	for k, r := range rs {
		ps = append(ps, newParam(fmt.Sprintf("a%d", k), 1, true, true), newParam(fmt.Sprintf("r%d", k), r, false, false))
	}
	es := axis.Offset
	if es < 1 {
		es = 1
	}
	b := &LinearBackground{base: newBase("LinearBackground", axis, false, ps...), es: es}
	b.terms = make([][]float64, len(rs))
	b.rs = make([]float64, len(rs))
	for k := range rs {
		b.terms[k] = make([]float64, axis.Size)
		b.rs[k] = math.NaN()
	}
	return b
}

// Linspace returns n values evenly spaced from a to b inclusive,
// computed as (a (n-1-i) + b i)/(n-1), which reproduces the reference's
// seed exponents bit for bit: Linspace(1, 5, 4) = [1, 2.3333333333333335,
// 3.6666666666666665, 5] (doc/algorithms.md 2.3; a + i*step would round the
// middle values down). n < 1 gives no values.
func Linspace(a, b float64, n int) []float64 {
	if n < 1 {
		return []float64{}
	}
	out := make([]float64, n)
	if n == 1 {
		out[0] = a
		return out
	}
	d := float64(n - 1)
	for i := range out {
		out[i] = (a*(d-float64(i)) + b*float64(i)) / d
	}
	return out
}

// Terms returns the number of power-law terms.
func (b *LinearBackground) Terms() int { return len(b.terms) }

// term returns (E/Es)^-r_k on the axis, recomputed when r_k changed.
func (b *LinearBackground) term(k int) []float64 {
	r := b.params[2*k+1].Get()
	if r != b.rs[k] {
		for i, e := range b.e {
			if e > 0 {
				b.terms[k][i] = math.Pow(e/b.es, -r)
			} else {
				b.terms[k][i] = 0
			}
		}
		b.rs[k] = r
	}
	return b.terms[k]
}

// Eval implements Component.
func (b *LinearBackground) Eval(dst []float64) {
	checkLen(dst, len(b.e))
	for i := range dst {
		dst[i] = 0
	}
	for k := range b.terms {
		a := b.params[2*k].Get()
		for i, v := range b.term(k) {
			dst[i] += a * v
		}
	}
}

// Gradient implements Component: a unit term for a_k, and
// -a_k ln(E/Es) (E/Es)^-r_k for r_k.
func (b *LinearBackground) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(b.e))
	t := b.term(k / 2)
	if k%2 == 0 {
		copy(dst, t)
		return true
	}
	a := b.params[k-1].Get()
	for i, e := range b.e {
		if e > 0 {
			dst[i] = -a * math.Log(e/b.es) * t[i]
		} else {
			dst[i] = 0
		}
	}
	return true
}

// Polynomial is sum_p c_p E^p / S_p with S_p = sum_i E_i^p (normalised
// coefficients, doc/algorithms.md 2.3). Parameters x{order} .. x0, linear,
// initial 1. Convolved by default.
type Polynomial struct {
	base
	order int
	norm  []float64 // S_p
}

// NewPolynomial returns a polynomial of the given order; a negative order
// (e.g. from a model file) gives the constant, order 0.
func NewPolynomial(axis multispectrum.EnergyAxis, order int) *Polynomial {
	order = max(order, 0)
	var ps []*Parameter
	for p := order; p >= 0; p-- {
		ps = append(ps, newParam(fmt.Sprintf("x%d", p), 1, true, true))
	}
	pl := &Polynomial{base: newBase(fmt.Sprintf("Polynomial%d", order), axis, true, ps...), order: order, norm: make([]float64, order+1)}
	for p := 0; p <= order; p++ {
		for _, e := range pl.e {
			pl.norm[p] += math.Pow(e, float64(p))
		}
	}
	return pl
}

// Eval implements Component.
func (pl *Polynomial) Eval(dst []float64) {
	checkLen(dst, len(pl.e))
	for i, e := range pl.e {
		s := 0.0
		for k, prm := range pl.params {
			p := pl.order - k
			s += prm.Get() / pl.norm[p] * math.Pow(e, float64(p))
		}
		dst[i] = s
	}
}

// Gradient implements Component: E^p / S_p (consistent with the
// normalisation, unlike the reference's plain E^p).
func (pl *Polynomial) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(pl.e))
	p := pl.order - k
	for i, e := range pl.e {
		dst[i] = math.Pow(e, float64(p)) / pl.norm[p]
	}
	return true
}

// Offset is a constant A in every channel (A linear, unbounded).
type Offset struct{ base }

// NewOffset returns a constant of value a.
func NewOffset(axis multispectrum.EnergyAxis, a float64) *Offset {
	return &Offset{newBase("Offset", axis, true, newParam("A", a, true, true))}
}

// Eval implements Component.
func (o *Offset) Eval(dst []float64) {
	checkLen(dst, len(o.e))
	a := o.params[0].Get()
	for i := range dst {
		dst[i] = a
	}
}

// Gradient implements Component.
func (o *Offset) Gradient(dst []float64, _ int) bool {
	checkLen(dst, len(o.e))
	for i := range dst {
		dst[i] = 1
	}
	return true
}

// Exponential is A exp(b E) (A linear, [0, inf); b unbounded). Its
// start values can be estimated from data (StartEstimator).
type Exponential struct {
	base
	defaults
}

// NewExponential returns A exp(bE).
func NewExponential(axis multispectrum.EnergyAxis, a, b float64) *Exponential {
	pa := newParam("A", a, true, true)
	pa.Lower = 0
	return &Exponential{newBase("Exponential", axis, true, pa, newParam("b", b, true, false)), defaults{a, b}}
}

// Eval implements Component.
func (x *Exponential) Eval(dst []float64) {
	checkLen(dst, len(x.e))
	a, b := x.params[0].Get(), x.params[1].Get()
	for i, e := range x.e {
		dst[i] = a * math.Exp(b*e)
	}
}

// Gradient implements Component: exp(bE) and A E exp(bE).
func (x *Exponential) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(x.e))
	a, b := x.params[0].Get(), x.params[1].Get()
	for i, e := range x.e {
		v := math.Exp(b * e)
		if k == 0 {
			dst[i] = v
		} else {
			dst[i] = a * e * v
		}
	}
	return true
}
