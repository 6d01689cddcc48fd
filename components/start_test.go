package components

import (
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

var startAxis = multispectrum.EnergyAxis{Offset: 200, Dispersion: 1, Size: 1000}

// data evaluates c at the given parameter values (then restores nothing:
// callers reset the component).
func data(c Component, vals ...float64) []float64 {
	for k, v := range vals {
		c.Parameters()[k].Value = v
	}
	y := make([]float64, startAxis.Size)
	c.Eval(y)
	return y
}

func values(c Component) []float64 {
	var out []float64
	for _, p := range c.Parameters() {
		out = append(out, p.Value)
	}
	return out
}

// TestEstimateStart: each estimator on its own noise-free profile, from
// the model file's default start values (doc/algorithms.md 6.6, "Start
// values"). Log-linear fits are exact; the Gaussian's moments are exact
// to the sampling; the half-maximum widths are interpolated linearly
// between channels; the Voigt's split into widths is approximate.
func TestEstimateStart(t *testing.T) {
	cases := []struct {
		name  string
		make  func() StartEstimator
		truth []float64
		tol   []float64 // relative, per parameter
	}{
		{"power law", func() StartEstimator { return NewPowerLaw(startAxis, 1, 3) }, []float64{2e5, 4.5}, []float64{1e-12, 1e-12}},
		{"exponential", func() StartEstimator { return NewExponential(startAxis, 1, -1) }, []float64{1000, -0.001}, []float64{1e-12, 1e-12}},
		{"rising exponential", func() StartEstimator { return NewExponential(startAxis, 1, -0.001) }, []float64{2, 0.003}, []float64{1e-12, 1e-12}},
		{"gaussian", func() StartEstimator { return NewGaussian(startAxis, 1, startAxis.Offset, 1) }, []float64{1000, 640, 30}, []float64{1e-10, 1e-12, 1e-10}},
		{"lorentzian", func() StartEstimator { return NewLorentzian(startAxis, 1, startAxis.Offset, 1) }, []float64{1000, 640, 30}, []float64{1e-3, 1e-6, 0.01}},
		{"voigt", func() StartEstimator { return NewVoigt(startAxis, 1, startAxis.Offset, 1, 1) }, []float64{1000, 640, 8, 10}, []float64{1e-3, 1e-6, 0.35, 0.15}},
	}
	for _, c := range cases {
		y := data(c.make(), c.truth...)
		est := c.make()
		set := make([]bool, len(est.Parameters()))
		if !StartMask(est, set) {
			t.Fatalf("%s: nothing to estimate from the defaults", c.name)
		}
		if !est.EstimateStart(y, nil, nil, set) {
			t.Fatalf("%s: no estimate", c.name)
		}
		got := values(est)
		t.Logf("%s: %.10g (truth %g)", c.name, got, c.truth)
		for k := range got {
			if math.Abs(got[k]-c.truth[k]) > c.tol[k]*math.Abs(c.truth[k]) {
				t.Errorf("%s: %s = %.10g, want %g (tolerance %g relative)", c.name, est.Parameters()[k].Name, got[k], c.truth[k], c.tol[k])
			}
		}
		if allocs := testing.AllocsPerRun(10, func() { est.EstimateStart(y, nil, nil, set) }); allocs != 0 {
			t.Errorf("%s: EstimateStart allocates %v times", c.name, allocs)
		}
	}
}

// TestStartMask: free non-linear parameters at their constructor values
// (clamped to the bounds) are estimated, values set later and fixed or
// coupled parameters are not; free linear ones always are.
func TestStartMask(t *testing.T) {
	g := NewGaussian(startAxis, 5, startAxis.Offset, 1)
	set := make([]bool, 3)
	if !StartMask(g, set) || !set[0] || !set[1] || !set[2] {
		t.Errorf("defaults: %v", set)
	}
	g.Parameters()[0].Value = 7 // linear: the pre-fit replaces it anyway
	g.Parameters()[1].Value = 600
	if !StartMask(g, set) || !set[0] || set[1] || !set[2] {
		t.Errorf("centre given: %v", set)
	}
	g.Parameters()[2].Changeable = false
	if StartMask(g, set) || !set[0] || set[1] || set[2] {
		t.Errorf("centre given, fwhm fixed: nothing non-linear to estimate, got %v", set)
	}
	// a default clamped by bounds is still a default (a model file's
	// bounds = {centre = [500, 700]} moves it to 500)
	g = NewGaussian(startAxis, 1, startAxis.Offset, 1)
	g.Parameters()[1].Value = 500
	if err := g.Parameters()[1].SetBounds(500, 700); err != nil {
		t.Fatal(err)
	}
	if StartMask(g, set); !set[1] {
		t.Error("clamped default centre not estimated")
	}
	// coupled parameters are not free
	x := NewExponential(startAxis, 1, -0.001)
	if err := x.Parameters()[1].Couple(g.Parameters()[1], 1); err != nil {
		t.Fatal(err)
	}
	if StartMask(x, set[:2]) || set[1] {
		t.Errorf("coupled b: %v", set[:2])
	}
}

// TestEstimateStartHeld: parameters not set keep their values and the
// others are estimated given them; estimates respect bounds and masks;
// data that determine nothing change nothing.
func TestEstimateStartHeld(t *testing.T) {
	// power law with r held at the truth: A from the intercept alone
	y := data(NewPowerLaw(startAxis, 1, 3), 2e5, 4.5)
	p := NewPowerLaw(startAxis, 1, 4.5)
	if !p.EstimateStart(y, nil, nil, []bool{true, false}) || !relClose(p.Parameters()[0].Value, 2e5, 1e-12) || p.Parameters()[1].Value != 4.5 {
		t.Errorf("r held: %v", values(p))
	}
	// A held at the truth: r alone (the fit through the intercept)
	p = NewPowerLaw(startAxis, 2e5, 3)
	if !p.EstimateStart(y, nil, nil, []bool{false, true}) || !relClose(p.Parameters()[1].Value, 4.5, 1e-12) || p.Parameters()[0].Value != 2e5 {
		t.Errorf("A held: %v", values(p))
	}
	// bounds: r in [0, 4] clamps the estimate
	p = NewPowerLaw(startAxis, 1, 3)
	if err := p.Parameters()[1].SetBounds(0, 4); err != nil {
		t.Fatal(err)
	}
	p.EstimateStart(y, nil, nil, []bool{true, true})
	if p.Parameters()[1].Value != 4 {
		t.Errorf("bounded r = %g, want 4", p.Parameters()[1].Value)
	}
	// Gaussian with the fwhm held at 20 (truth 30): centre exact, A from
	// the area with the held width
	y = data(NewGaussian(startAxis, 1, 0, 1), 1000, 640, 30)
	g := NewGaussian(startAxis, 1, startAxis.Offset, 20)
	g.EstimateStart(y, nil, nil, []bool{true, true, false})
	if v := values(g); !relClose(v[1], 640, 1e-12) || v[2] != 20 || !relClose(v[0], 1500, 1e-9) {
		t.Errorf("fwhm held: %v, want [1500 640 20]", v)
	}
	// a spike in an excluded channel and a constant background do not
	// move the estimate
	for i := range y {
		y[i] += 50
	}
	y[startAxis.Index(300)] = 1e6
	mask := multispectrum.NewMask(startAxis.Size)
	mask[startAxis.Index(300)] = true
	g = NewGaussian(startAxis, 1, startAxis.Offset, 1)
	g.EstimateStart(y, nil, mask, []bool{true, true, true})
	if v := values(g); !relClose(v[0], 1000, 1e-9) || !relClose(v[1], 640, 1e-12) || !relClose(v[2], 30, 1e-9) {
		t.Errorf("background and masked spike: %v", v)
	}
	// nothing positive, nothing to set, nothing used: false, unchanged
	zero := make([]float64, startAxis.Size)
	all := multispectrum.NewMask(startAxis.Size)
	all.Exclude(0, startAxis.Size)
	for _, c := range []StartEstimator{NewPowerLaw(startAxis, 1, 3), NewExponential(startAxis, 1, -0.001),
		NewGaussian(startAxis, 1, 200, 1), NewLorentzian(startAxis, 1, 200, 1), NewVoigt(startAxis, 1, 200, 1, 1)} {
		before := values(c)
		set := make([]bool, len(before))
		for k := range set {
			set[k] = true
		}
		if c.EstimateStart(zero, nil, nil, set) || c.EstimateStart(y, nil, all, set) || c.EstimateStart(y, nil, nil, make([]bool, len(set))) {
			t.Errorf("%s: estimated from nothing", c.Name())
		}
		for k, v := range values(c) {
			if v != before[k] {
				t.Errorf("%s: %s changed to %g", c.Name(), c.Parameters()[k].Name, v)
			}
		}
	}
}

// TestVoigtWidths checks the width relations the Voigt estimate uses
// (doc/algorithms.md 6.6): Olivero-Longbothum and its inverse, and the
// pseudo-Voigt fraction at its ends.
func TestVoigtWidths(t *testing.T) {
	fl, fg := 3.0, 4.0
	fv := voigtOL1*fl + math.Sqrt(voigtOL2*fl*fl+fg*fg)
	if g := voigtGauss(fv, fl); !relClose(g, fg, 1e-12) {
		t.Errorf("voigtGauss = %g, want %g", g, fg)
	}
	if l := voigtLorentz(fv, fg); !relClose(l, fl, 1e-12) {
		t.Errorf("voigtLorentz = %g, want %g", l, fl)
	}
	if q := voigtFraction(math.Sqrt(math.Pi/math.Ln2) / 2); q > 1e-9 {
		t.Errorf("Gaussian fraction %g, want 0", q)
	}
	if q := voigtFraction(math.Pi / 2); q < 1-1e-3 {
		t.Errorf("Lorentzian fraction %g, want 1", q)
	}
}
