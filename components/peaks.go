package components

import (
	"math"
	"math/cmplx"

	"github.com/eelsh5/eelsh5/multispectrum"
)

var fwhmToSigma = 1 / (2 * math.Sqrt(2*math.Ln2))

// Gaussian is A exp(-((E-centre)/sigma)^2/2) with sigma = |fwhm|/(2
// sqrt(2 ln 2)); A is the peak height (doc/algorithms.md 2.3). Parameters A
// (linear, [0, inf)), centre (eV), fwhm (eV, >= disp/10). Convolved. Its
// start values can be estimated from data (StartEstimator).
type Gaussian struct {
	base
	defaults
}

// NewGaussian returns a Gaussian of height a at centre with the given FWHM.
func NewGaussian(axis multispectrum.EnergyAxis, a, centre, fwhm float64) *Gaussian {
	pa := newParam("A", a, true, true)
	pa.Lower = 0
	pf := newParam("fwhm", fwhm, true, false)
	pf.Lower = axis.Dispersion / 10
	return &Gaussian{newBase("Gaussian", axis, true, pa, newParam("centre", centre, true, false), pf), defaults{a, centre, fwhm}}
}

// Eval implements Component.
func (g *Gaussian) Eval(dst []float64) {
	checkLen(dst, len(g.e))
	a, c, s := g.params[0].Get(), g.params[1].Get(), math.Abs(g.params[2].Get())*fwhmToSigma
	for i, e := range g.e {
		x := (e - c) / s
		dst[i] = a * math.Exp(-0.5*x*x)
	}
}

// Gradient implements Component (doc/algorithms.md 2.3): G/A,
// (E-c)/sigma^2 G and (E-c)^2/(sigma^2 |fwhm|) G.
func (g *Gaussian) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(g.e))
	a, c, f := g.params[0].Get(), g.params[1].Get(), math.Abs(g.params[2].Get())
	s := f * fwhmToSigma
	for i, e := range g.e {
		d := e - c
		v := math.Exp(-0.5 * d * d / (s * s))
		switch k {
		case 0:
			dst[i] = v
		case 1:
			dst[i] = a * v * d / (s * s)
		case 2:
			dst[i] = a * v * d * d / (s * s * f)
		}
	}
	return true
}

// Lorentzian is A (w/2)^2 / ((E-centre)^2 + (w/2)^2), A the peak height.
// Parameters A (linear, [0, inf)), centre (eV), fwhm w (eV, >= 0). Its
// start values can be estimated from data (StartEstimator).
type Lorentzian struct {
	base
	defaults
}

// NewLorentzian returns a Lorentzian of height a at centre with FWHM fwhm.
func NewLorentzian(axis multispectrum.EnergyAxis, a, centre, fwhm float64) *Lorentzian {
	pa := newParam("A", a, true, true)
	pa.Lower = 0
	pf := newParam("fwhm", fwhm, true, false)
	pf.Lower = 0
	return &Lorentzian{newBase("Lorentzian", axis, true, pa, newParam("centre", centre, true, false), pf), defaults{a, centre, fwhm}}
}

// Eval implements Component.
func (l *Lorentzian) Eval(dst []float64) {
	checkLen(dst, len(l.e))
	a, c, h := l.params[0].Get(), l.params[1].Get(), l.params[2].Get()/2
	for i, e := range l.e {
		x := e - c
		dst[i] = a * h * h / (x*x + h*h)
	}
}

// Gradient implements Component: shape, 2 A h^2 x/D^2 and A h x^2/D^2
// with x = E - centre, h = fwhm/2, D = x^2 + h^2.
func (l *Lorentzian) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(l.e))
	a, c, h := l.params[0].Get(), l.params[1].Get(), l.params[2].Get()/2
	for i, e := range l.e {
		x := e - c
		d := x*x + h*h
		switch k {
		case 0:
			dst[i] = h * h / d
		case 1:
			dst[i] = 2 * a * h * h * x / (d * d)
		case 2:
			dst[i] = a * h * x * x / (d * d)
		}
	}
	return true
}

// Voigt is the Voigt profile Re w(z)/(sigma sqrt(2 pi)), z = (E - centre
// + i gamma)/(sqrt(2) sigma), w the Faddeeva function, scaled so that its
// maximum over the axis equals A (doc/algorithms.md 2.3). Parameters A
// (linear), centre, gamma and sigma (eV, >= disp/10). Its start values
// can be estimated from data (StartEstimator).
type Voigt struct {
	base
	defaults
	raw, draw []float64
}

// NewVoigt returns a Voigt profile of height a.
func NewVoigt(axis multispectrum.EnergyAxis, a, centre, gamma, sigma float64) *Voigt {
	pg := newParam("gamma", gamma, true, false)
	pg.Lower = axis.Dispersion / 10
	ps := newParam("sigma", sigma, true, false)
	ps.Lower = axis.Dispersion / 10
	return &Voigt{base: newBase("Voigt", axis, true, newParam("A", a, true, true), newParam("centre", centre, true, false), pg, ps),
		defaults: defaults{a, centre, gamma, sigma}, raw: make([]float64, axis.Size), draw: make([]float64, axis.Size)}
}

// profile fills v.raw with the unnormalised profile and, for k in 1..3,
// v.draw with its derivative; it returns the index of the maximum.
func (v *Voigt) profile(k int) int {
	c, g, s := v.params[1].Get(), v.params[2].Get(), v.params[3].Get()
	norm := 1 / (s * math.Sqrt(2*math.Pi))
	r2s := math.Sqrt2 * s
	best := 0
	for i, e := range v.e {
		z := complex((e-c)/r2s, g/r2s)
		w := Faddeeva(z)
		val := real(w) * norm
		if math.IsNaN(val) || math.IsInf(val, 0) {
			val = 0
		}
		v.raw[i] = val
		if val > v.raw[best] {
			best = i
		}
		if k > 0 {
			dw := -2*z*w + complex(0, 2/math.Sqrt(math.Pi))
			var d float64
			switch k {
			case 1:
				d = real(dw*complex(-1/r2s, 0)) * norm
			case 2:
				d = real(dw*complex(0, 1/r2s)) * norm
			case 3:
				d = real(dw*(-z/complex(s, 0)))*norm - val/s
			}
			v.draw[i] = d
		}
	}
	return best
}

// Eval implements Component.
func (v *Voigt) Eval(dst []float64) {
	checkLen(dst, len(v.e))
	m := v.profile(0)
	a, mx := v.params[0].Get(), v.raw[m]
	for i, r := range v.raw {
		dst[i] = a * r / mx
	}
}

// Gradient implements Component: the derivative of A raw/max(raw), the
// maximum taken at its channel.
func (v *Voigt) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(v.e))
	m := v.profile(k)
	a, mx := v.params[0].Get(), v.raw[m]
	if k == 0 {
		for i, r := range v.raw {
			dst[i] = r / mx
		}
		return true
	}
	dm := v.draw[m]
	for i, r := range v.raw {
		dst[i] = a * (v.draw[i]*mx - r*dm) / (mx * mx)
	}
	return true
}

// weideman holds the coefficients of Weideman's rational approximation
// of the Faddeeva function with N = 32 terms (J. A. C. Weideman, SIAM J.
// Numer. Anal. 31 (1994) 1497), accurate to about 1e-13 for Im z >= 0.
var weideman = func() (a []float64) {
	const n = 32
	m := 2 * n
	m2 := 2 * m
	l := math.Sqrt(n / math.Sqrt2)
	f := make([]float64, m2)
	// f = [0; exp(-t^2)(L^2+t^2)] for k = -M+1 .. M-1, then fftshift.
	vals := make([]float64, m2)
	for j := 1; j < m2; j++ {
		k := float64(j - m)
		t := l * math.Tan(k*math.Pi/float64(m)/2)
		vals[j] = math.Exp(-t*t) * (l*l + t*t)
	}
	for j := range f {
		f[j] = vals[(j+m2/2)%m2]
	}
	a = make([]float64, n+1)
	for k := 1; k <= n; k++ {
		s := 0.0
		for j, v := range f {
			s += v * math.Cos(2*math.Pi*float64(j*k)/float64(m2))
		}
		a[k] = s / float64(m2)
	}
	return a
}()

// Faddeeva returns w(z) = exp(-z^2) erfc(-iz) for Im z >= 0 by Weideman's
// method (N = 32); for Im z < 0 it uses w(z) = 2 exp(-z^2) - w(-z).
func Faddeeva(z complex128) complex128 {
	if imag(z) < 0 {
		return 2*cmplx.Exp(-z*z) - Faddeeva(-z)
	}
	const n = 32
	l := complex(math.Sqrt(n/math.Sqrt2), 0)
	iz := complex(0, 1) * z
	zz := (l + iz) / (l - iz)
	var p complex128
	for k := n; k >= 1; k-- {
		p = p*zz + complex(weideman[k], 0)
	}
	return 2*p/((l-iz)*(l-iz)) + complex(1/math.Sqrt(math.Pi), 0)/(l-iz)
}
