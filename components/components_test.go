package components

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

var seedAxis = multispectrum.EnergyAxis{Offset: 205, Dispersion: 0.5, Size: 2028}

func TestLinearBackgroundCheckValues(t *testing.T) {
	// doc/algorithms.md 2.3: rlist linspace(1,5,4), all a = 1: B = 4.0 at
	// 205 eV, 0.5845035249 at 500 eV, 0.2331367739 at 1000 eV.
	rs := Linspace(1, 5, 4)
	if rs[1] != 2.3333333333333335 || rs[2] != 3.6666666666666665 {
		t.Errorf("linspace = %v", rs)
	}
	b := NewLinearBackground(seedAxis, rs)
	v := make([]float64, seedAxis.Size)
	b.Eval(v)
	for _, c := range []struct{ e, want float64 }{{205, 4}, {500, 0.5845035249}, {1000, 0.2331367739}} {
		if got := v[seedAxis.Index(c.e)]; !relClose(got, c.want, 1e-9) {
			t.Errorf("B(%g) = %.10g, want %.10g", c.e, got, c.want)
		}
	}
}

func TestPlasmonCheckValues(t *testing.T) {
	// doc/algorithms.md 2.3: ZLP Gaussian height 1, FWHM 1 on -10 eV + 0.5 eV
	// x 2048; A = sum(ZLP); Ep 22, Ew 5, n 5, t 0.5, beta 20 mrad, 300 kV.
	axis := multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 2048}
	zlp := make([]float64, axis.Size)
	NewGaussian(axis, 1, 0, 1).Eval(zlp)
	a := 0.0
	for _, v := range zlp {
		a += v
	}
	if !relClose(a, 2.128936827211877, 1e-14) {
		t.Errorf("ZLP sum = %.16g", a)
	}
	p := NewPlasmon(axis, a, 22, 5, 5, 0.5, 20e-3, 300e3)
	v := make([]float64, axis.Size)
	p.Eval(v)
	// The spec prints 8 significant digits: agree to half a unit of the last.
	for _, c := range []struct{ e, want float64 }{{10, 0.0025692263}, {22, 0.0598449660}, {44, 0.0270403736}} {
		if got := v[axis.Index(c.e)]; !relClose(got, c.want, 5e-8) {
			t.Errorf("plasmon(%g) = %.10g, want %.10g", c.e, got, c.want)
		}
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	if !relClose(sum, 1.3810866038, 1e-9) || !relClose(sum, a*math.Expm1(0.5), 1e-12) {
		t.Errorf("plasmon sum = %.12g", sum)
	}
}

func TestFaddeeva(t *testing.T) {
	// w(x) on the real axis has real part exp(-x^2); on the imaginary axis
	// w(iy) = exp(y^2) erfc(y) (both analytic).
	for _, x := range []float64{0, 0.3, 1, 2.5, 5} {
		if got := Faddeeva(complex(x, 0)); !relClose(real(got), math.Exp(-x*x), 1e-10) && math.Abs(real(got)-math.Exp(-x*x)) > 1e-13 {
			t.Errorf("Re w(%g) = %v, want %v", x, real(got), math.Exp(-x*x))
		}
	}
	for _, y := range []float64{0.1, 1, 3, 10} {
		want := math.Exp(y*y) * math.Erfc(y)
		if got := Faddeeva(complex(0, y)); !relClose(real(got), want, 1e-10) || math.Abs(imag(got)) > 1e-12 {
			t.Errorf("w(%gi) = %v, want %v", y, got, want)
		}
	}
	// Symmetry w(-conj z) = conj w(z).
	z := complex(1.3, 0.7)
	if d := cmplx.Abs(Faddeeva(-cmplx.Conj(z)) - cmplx.Conj(Faddeeva(z))); d > 1e-13 {
		t.Errorf("symmetry off by %g", d)
	}
}

// referenceConvolve is a literal transcription of doc/algorithms.md 4.1-4.2:
// zero-pad the low loss to n (centred) if shorter, normalise, pad both by
// p = original low-loss length, circular convolution of length N = n+2p
// (direct sum), roll by -(p+z) and keep n channels.
func referenceConvolve(m, ll []float64) []float64 {
	n, p := len(m), len(ll)
	l := make([]float64, n)
	before := (n - p) / 2
	sum := 0.0
	for _, v := range ll {
		sum += v
	}
	for i, v := range ll {
		l[before+i] = v / sum
	}
	N := n + 2*p
	mp := make([]float64, N)
	lp := make([]float64, N)
	copy(mp[p:], m)
	copy(lp[p:], l)
	z := 0
	for i, v := range lp {
		if v > lp[z] {
			z = i
		}
	}
	c := make([]float64, N)
	for k := range c {
		for a := range mp {
			c[k] += mp[a] * lp[((k-a)%N+N)%N]
		}
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = c[(i+p+z)%N]
	}
	return out
}

func TestLowLossConvolution(t *testing.T) {
	// Worked example of doc/algorithms.md 4.2: l = [0,0,0,0,.5,.25,.25,0...],
	// m = 1..16 gives 0.5, 1.25, 2.25, 3.25, ..., 15.25.
	ax := multispectrum.EnergyAxis{Offset: 0, Dispersion: 1, Size: 16}
	ll, err := NewLowLoss(ax, ax)
	if err != nil {
		t.Fatal(err)
	}
	l := make([]float64, 16)
	l[4], l[5], l[6] = .5, .25, .25
	m := make([]float64, 16)
	for i := range m {
		m[i] = float64(i + 1)
	}
	if err := ll.SetSpectrum(l); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 16)
	ll.Convolve(got, m)
	want := []float64{0.5, 1.25}
	for i := 2; i < 16; i++ {
		want = append(want, float64(i)+0.25)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("result[%d] = %v, want %v", i, got[i], want[i])
		}
	}

	rnd := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, nll int }{{64, 64}, {64, 40}, {64, 10}, {50, 50}, {33, 20}} {
		mAx := multispectrum.EnergyAxis{Offset: 100, Dispersion: 0.5, Size: c.n}
		lAx := multispectrum.EnergyAxis{Offset: -5, Dispersion: 0.5, Size: c.nll}
		lc, err := NewLowLoss(mAx, lAx)
		if err != nil {
			t.Fatal(err)
		}
		m := make([]float64, c.n)
		for i := range m {
			m[i] = rnd.Float64()
		}
		l := make([]float64, c.nll)
		for i := range l {
			l[i] = rnd.Float64() * 0.1
		}
		l[c.nll/3] = 3 // zero-loss peak
		if err := lc.SetSpectrum(l); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, c.n)
		lc.Convolve(got, m)
		if c.n%2 == 0 { // the reference is only defined for even n
			want := referenceConvolve(m, l)
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("n=%d nll=%d: result[%d] = %v, reference %v", c.n, c.nll, i, got[i], want[i])
				}
			}
		}
		// A delta low loss returns the input.
		d := make([]float64, c.nll)
		d[c.nll/2] = 7
		lc.SetSpectrum(d)
		lc.Convolve(got, m)
		for i := range m {
			if math.Abs(got[i]-m[i]) > 1e-12 {
				t.Fatalf("delta: result[%d] = %v, want %v", i, got[i], m[i])
			}
		}
	}
	// The convolution preserves the integral of a signal that stays
	// inside the window.
	mAx := multispectrum.EnergyAxis{Offset: 0, Dispersion: 1, Size: 256}
	lc, _ := NewLowLoss(mAx, mAx)
	l = make([]float64, 256)
	for i := 100; i < 140; i++ {
		l[i] = math.Exp(-float64(i-100) / 8)
	}
	m = make([]float64, 256)
	for i := 50; i < 100; i++ {
		m[i] = float64(i)
	}
	lc.SetSpectrum(l)
	got = make([]float64, 256)
	lc.Convolve(got, m)
	var sm, sg float64
	for i := range m {
		sm += m[i]
		sg += got[i]
	}
	if !relClose(sm, sg, 1e-12) {
		t.Errorf("integral %v after convolution, %v before", sg, sm)
	}
	if err := lc.SetSpectrum(make([]float64, 256)); err == nil {
		t.Error("zero low loss accepted")
	}
	if _, err := NewLowLoss(mAx, multispectrum.EnergyAxis{Dispersion: 0.25, Size: 256}); err == nil {
		t.Error("mismatched dispersion accepted")
	}
}

// checkGradients compares every available derivative of c with central
// finite differences (step h relative to the parameter scale).
func checkGradients(t *testing.T, c Component, tol float64) {
	t.Helper()
	n := len(c.(interface {
		Axis() multispectrum.EnergyAxis
	}).Axis().Energies(nil))
	g := make([]float64, n)
	up := make([]float64, n)
	dn := make([]float64, n)
	for k, p := range c.Parameters() {
		if !c.Gradient(g, k) {
			continue
		}
		v := p.Value
		h := 1e-6 * math.Max(math.Abs(v), 1)
		p.Value = v + h
		c.Eval(up)
		p.Value = v - h
		c.Eval(dn)
		p.Value = v
		scale := 0.0
		for i := range g {
			scale = math.Max(scale, math.Abs(g[i]))
		}
		for i := range g {
			fd := (up[i] - dn[i]) / (2 * h)
			if math.Abs(fd-g[i]) > tol*math.Max(scale, 1e-300) {
				t.Errorf("%s: d/d%s at channel %d: analytic %.10g, finite difference %.10g", c.Name(), p.Name, i, g[i], fd)
				break
			}
		}
	}
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	ax := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 400}
	lowAx := multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 200}
	pl := NewPowerLaw(ax, 1000, 3)
	lb := NewLinearBackground(ax, Linspace(1, 5, 4))
	for k, v := range []float64{3, 0.5, -0.2, 0.1} {
		lb.params[2*k].Value = v
	}
	poly := NewPolynomial(ax, 3)
	off := NewOffset(ax, 2)
	ex := NewExponential(ax, 5, -0.003)
	ga := NewGaussian(ax, 10, 260.3, 7)
	lo := NewLorentzian(ax, 10, 260.3, 7)
	vo := NewVoigt(ax, 10, 260.3, 2, 3)
	plas := NewPlasmon(lowAx, 2.1, 22, 5, 5, 0.6, 20e-3, 300e3)
	src := &multispectrum.Spectrum{Axis: multispectrum.EnergyAxis{Offset: 220, Dispersion: 0.7, Size: 150}}
	src.Data = make([]float64, 150)
	for i := range src.Data {
		src.Data[i] = math.Sin(float64(i)/9) + 2
	}
	fp := NewFixedPattern(ax, src)
	// Away from the pattern's knots (at a knot the interpolant has a kink).
	fp.params[1].Value, fp.params[2].Value = 1.031, 0.37
	edge, err := NewCoreLossEdge(ax, gos.Hydrogenic(), nil, "C", "K", gos.Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	edge.params[EdgeShift].Value = 0.3
	for _, c := range []Component{pl, lb, poly, off, ex, ga, lo, vo, plas, fp, edge} {
		checkGradients(t, c, 1e-5)
	}
	// The Voigt normalisation takes the maximum at a channel; its
	// derivative is exact only away from a change of that channel, which
	// the small step above does not cross.
}

func TestModelDerivativeAndOrder(t *testing.T) {
	ax := multispectrum.EnergyAxis{Offset: 250, Dispersion: 1, Size: 128}
	lowAx := multispectrum.EnergyAxis{Offset: -20, Dispersion: 1, Size: 128}
	lb := NewLinearBackground(ax, []float64{2, 3})
	c1, _ := NewCoreLossEdge(ax, gos.Hydrogenic(), nil, "C", "K", gos.Setup{E0: 200e3, Alpha: 1e-9, Beta: 10e-3}, 0, 2)
	c2, _ := NewCoreLossEdge(ax, gos.Hydrogenic(), nil, "N", "K", gos.Setup{E0: 200e3, Alpha: 1e-9, Beta: 10e-3}, -60, 1)
	// Couple N to half of C: it is then not free and C's derivative
	// includes it.
	if err := c2.params[EdgeA].Couple(c1.params[EdgeA], 0.5); err != nil {
		t.Fatal(err)
	}
	m := NewModel(ax, lb, c1, c2)
	ll, _ := NewLowLoss(ax, lowAx)
	l := make([]float64, 128)
	for i := range l {
		l[i] = math.Exp(-math.Abs(float64(i-20)) / 3)
	}
	ll.SetSpectrum(l)
	m.LowLoss = ll
	names := m.FreeNames()
	if len(names) != 3 || names[0] != "LinearBackground.a0" || names[2] != "C K.A" {
		t.Fatalf("free parameters %v", names)
	}
	d := make([]float64, 128)
	up := make([]float64, 128)
	dn := make([]float64, 128)
	for _, p := range m.FreeParameters() {
		if err := m.Derivative(d, p); err != nil {
			t.Fatal(err)
		}
		v := p.Value
		p.Value = v + 1e-4
		m.Eval(up)
		p.Value = v - 1e-4
		m.Eval(dn)
		p.Value = v
		for i := range d {
			if fd := (up[i] - dn[i]) / 2e-4; math.Abs(fd-d[i]) > 1e-6*math.Max(math.Abs(fd), 1e-3) {
				t.Fatalf("d/d%s at %d: %v vs %v", p.Name, i, d[i], fd)
			}
		}
	}
	if c2.params[EdgeA].Get() != 1 {
		t.Errorf("coupled value %v", c2.params[EdgeA].Get())
	}
	if err := c1.params[EdgeA].Couple(c2.params[EdgeA], 1); err == nil {
		t.Error("coupling loop accepted")
	}
}
