package components

import (
	"math"
	"math/cmplx"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Plasmon is the Drude bulk-plasmon loss function with Poisson plural
// scattering used by the simulator (doc/algorithms.md 2.3):
//
//	eps(E)   = 1 - Ep^2/(E^2 - Eb^2 + i E Ew)
//	S(E; Ep) = Im(-1/eps) ln(1 + beta^2/thetaE^2) / (pi a0[nm] m0 v^2[eV])   (E > 0)
//	tot(E)   = sum_{i=1..n} P_i S(E; i Ep),  P_i = exp(-t) t^i/i!
//	data     = (exp(t) - 1) A tot / sum_E tot
//
// so the channel sum is A (e^t - 1) and, with A the zero-loss sum, the
// log-ratio of total to zero-loss counts is t. Parameters: A (linear,
// [0, inf)), Ep, Ew, Eb (eV), n (orders: the integer part, none when
// negative, at most 1000), tlambda, beta (rad), E0 (V); all but A fixed by
// default.
type Plasmon struct {
	base
	key   [6]float64
	s     [][]float64 // S(E; i Ep) per order
	ds    [][]float64 // derivative of S_i with respect to the parameter in dsFor
	dsFor int
	tot   []float64
}

// Plasmon parameter indices.
const (
	PlasmonA = iota
	PlasmonEp
	PlasmonEw
	PlasmonEb
	PlasmonOrders
	PlasmonTLambda
	PlasmonBeta
	PlasmonE0
)

// NewPlasmon returns a plasmon of the given zero-loss sum a, plasmon
// energy ep and width ew (eV), n orders, thickness tlambda (t/lambda),
// collection angle beta (rad) and acceleration voltage e0 (V).
func NewPlasmon(axis multispectrum.EnergyAxis, a, ep, ew float64, n int, tlambda, beta, e0 float64) *Plasmon {
	pa := newParam("A", a, true, true)
	pa.Lower = 0
	p := &Plasmon{base: newBase("Plasmon", axis, true, pa,
		newParam("Ep", ep, false, false), newParam("Ew", ew, false, false), newParam("Eb", 1, false, false),
		newParam("n", float64(n), false, false), newParam("tlambda", tlambda, false, false),
		newParam("beta", beta, false, false), newParam("E0", e0, false, false)),
		tot: make([]float64, axis.Size), dsFor: -1}
	return p
}

// SetThickness sets t/lambda (the per-pixel parameter of the simulator).
func (p *Plasmon) SetThickness(t float64) { p.params[PlasmonTLambda].Value = t }

// SetAmplitude sets A (the zero-loss sum).
func (p *Plasmon) SetAmplitude(a float64) { p.params[PlasmonA].Value = a }

func (p *Plasmon) constants() (pref, mv2 float64) {
	e0 := p.params[PlasmonE0].Get()
	g := 1 + e0/(gos.ElectronMass*gos.SpeedOfLight*gos.SpeedOfLight/gos.ElectronQ)
	v := gos.SpeedOfLight * math.Sqrt(1-1/(g*g))
	mv2 = gos.ElectronMass * v * v * gos.JouleToEV // eV
	return 1 / (math.Pi * gos.BohrRadius * 1e9 * mv2), mv2
}

// orders recomputes S_i when Ep, Ew, Eb, n, beta or E0 changed.
func (p *Plasmon) orders() {
	k := [6]float64{p.params[PlasmonEp].Get(), p.params[PlasmonEw].Get(), p.params[PlasmonEb].Get(),
		p.params[PlasmonOrders].Get(), p.params[PlasmonBeta].Get(), p.params[PlasmonE0].Get()}
	if k == p.key && p.s != nil {
		return
	}
	p.key = k
	p.dsFor = -1
	n := plasmonOrders(k[3])
	p.s = make([][]float64, n)
	for i := range p.s {
		p.s[i] = make([]float64, len(p.e))
		p.sOrder(p.s[i], float64(i+1), -1)
	}
}

// maxPlasmonOrders bounds the scattering orders computed: beyond it the
// Poisson weights of any physical thickness are negligible.
const maxPlasmonOrders = 1000

// plasmonOrders is the number of orders of parameter n: its integer part,
// 0 when negative or NaN, at most maxPlasmonOrders.
func plasmonOrders(n float64) int {
	if !(n > 0) {
		return 0
	}
	return int(math.Min(n, maxPlasmonOrders))
}

// sOrder writes S(E; m Ep) (deriv < 0) or its derivative with respect to
// parameter deriv (PlasmonEp, PlasmonEw or PlasmonEb) into dst.
func (p *Plasmon) sOrder(dst []float64, m float64, deriv int) {
	ep, ew, eb := m*p.params[PlasmonEp].Get(), p.params[PlasmonEw].Get(), p.params[PlasmonEb].Get()
	beta := p.params[PlasmonBeta].Get()
	pref, mv2 := p.constants()
	g := 1 + p.params[PlasmonE0].Get()/(gos.ElectronMass*gos.SpeedOfLight*gos.SpeedOfLight/gos.ElectronQ)
	for i, e := range p.e {
		if e <= 0 {
			dst[i] = 0
			continue
		}
		d := complex(e*e-eb*eb, e*ew)
		eps := 1 - complex(ep*ep, 0)/d
		th := e / (g * mv2)
		lg := math.Log(1 + beta*beta/(th*th))
		var v complex128
		switch deriv {
		case -1:
			v = -1 / eps
		case PlasmonEp: // d(-1/eps)/dEp = (deps/dEp)/eps^2, deps/dEp = -2 m^2 Ep/D
			v = (complex(-2*ep*m, 0) / d) / (eps * eps)
		case PlasmonEw: // deps/dEw = Ep^2 iE/D^2
			v = (complex(ep*ep, 0) * complex(0, e) / (d * d)) / (eps * eps)
		case PlasmonEb: // deps/dEb = -2 Eb Ep^2/D^2
			v = (complex(-2*eb*ep*ep, 0) / (d * d)) / (eps * eps)
		}
		r := pref * imag(v) * lg
		if cmplx.IsNaN(v) || math.IsNaN(r) || math.IsInf(r, 0) {
			r = 0
		}
		dst[i] = r
	}
}

func poissonWeights(t float64, n int) []float64 {
	w := make([]float64, n)
	f := math.Exp(-t)
	for i := 1; i <= n; i++ {
		f *= t / float64(i)
		w[i-1] = f
	}
	return w
}

// Eval implements Component.
func (p *Plasmon) Eval(dst []float64) {
	checkLen(dst, len(p.e))
	p.orders()
	t, a := p.params[PlasmonTLambda].Get(), p.params[PlasmonA].Get()
	sum := p.mix(dst, poissonWeights(t, len(p.s)))
	if t == 0 || sum == 0 {
		for i := range dst {
			dst[i] = 0
		}
		return
	}
	f := math.Expm1(t) * a / sum
	for i := range dst {
		dst[i] *= f
	}
}

// mix writes the sum of the scattering orders weighted by w into dst
// and returns its total.
func (p *Plasmon) mix(dst, w []float64) float64 {
	sum := 0.0
	for i := range dst {
		v := 0.0
		for k, s := range p.s {
			v += w[k] * s[i]
		}
		dst[i] = v
		sum += v
	}
	return sum
}

// Gradient implements Component for A, Ep, Ew, Eb and tlambda; n, beta
// and E0 (instrument constants) have none.
func (p *Plasmon) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(p.e))
	p.orders()
	t, a := p.params[PlasmonTLambda].Get(), p.params[PlasmonA].Get()
	n := len(p.s)
	w := poissonWeights(t, n)
	tot := p.tot
	sum := p.mix(tot, w)
	if t == 0 || sum == 0 {
		for i := range dst {
			dst[i] = 0
		}
		return k == PlasmonA || k == PlasmonEp || k == PlasmonEw || k == PlasmonEb || k == PlasmonTLambda
	}
	c := math.Expm1(t)
	switch k {
	case PlasmonA:
		for i := range dst {
			dst[i] = c * tot[i] / sum
		}
		return true
	case PlasmonEp, PlasmonEw, PlasmonEb, PlasmonTLambda:
		// d tot/d theta, then the quotient rule on c A tot/sum (+ dc/dt).
		dsum := 0.0
		if k == PlasmonTLambda {
			for i := range dst {
				v := 0.0
				for o, s := range p.s {
					v += w[o] * (float64(o+1)/t - 1) * s[i]
				}
				dst[i] = v
				dsum += v
			}
		} else {
			if p.dsFor != k {
				p.ds = make([][]float64, n)
				for o := range p.ds {
					p.ds[o] = make([]float64, len(p.e))
					p.sOrder(p.ds[o], float64(o+1), k)
				}
				p.dsFor = k
			}
			for i := range dst {
				v := 0.0
				for o, s := range p.ds {
					v += w[o] * s[i]
				}
				dst[i] = v
				dsum += v
			}
		}
		for i := range dst {
			dst[i] = c * a * (dst[i]*sum - tot[i]*dsum) / (sum * sum)
			if k == PlasmonTLambda {
				dst[i] += math.Exp(t) * a * tot[i] / sum
			}
		}
		return true
	}
	return false
}

// LossFunction writes S(E; order Ep), the single-scattering loss function
// of the given order (1-based) before Poisson weighting and
// normalisation, into dst.
func (p *Plasmon) LossFunction(dst []float64, order int) {
	checkLen(dst, len(p.e))
	p.sOrder(dst, float64(order), -1)
}
