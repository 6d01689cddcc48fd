package components

import (
	"fmt"
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Component values come from model files: out-of-range or non-finite
// numbers give NaN or documented values, never a panic, and the
// constructors that can fail return an error.
func TestBadComponentValues(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, axis := range []multispectrum.EnergyAxis{
		{Offset: 200, Dispersion: 0.5, Size: 64},
		{Offset: -10, Dispersion: 0.5, Size: 64}, // through E = 0
		{Offset: 0, Dispersion: 1, Size: 1},
	} {
		var comps []Component
		for _, v := range []float64{0, -1, nan, inf, -inf, 1e308} {
			comps = append(comps,
				NewPowerLaw(axis, v, v), NewLinearBackground(axis, []float64{v, 1}), NewOffset(axis, v), NewExponential(axis, v, v),
				NewGaussian(axis, v, v, v), NewLorentzian(axis, v, v, v), NewVoigt(axis, v, v, v, v),
				NewPlasmon(axis, v, v, v, 3, v, v, v))
		}
		for _, order := range []int{-5, -1, 0, 3} {
			comps = append(comps, NewPolynomial(axis, order))
		}
		comps = append(comps, NewLinearBackground(axis, nil), NewLinearBackground(axis, Linspace(1, 5, -2)))
		for _, n := range []int{-3, 0, 1} {
			comps = append(comps, NewPlasmon(axis, 1, 22, 5, n, 0.5, 20e-3, 300e3))
		}
		for _, c := range comps {
			name := fmt.Sprintf("%s on %v", c.Name(), axis)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: panic %v", name, r)
					}
				}()
				dst := make([]float64, axis.Size)
				c.Eval(dst)
				for k := range c.Parameters() {
					c.Gradient(dst, k)
				}
				m := NewModel(axis, c)
				m.Eval(dst)
				for _, p := range m.FreeParameters() {
					m.Derivative(dst, p)
				}
			}()
		}
	}
	if got := NewPolynomial(multispectrum.EnergyAxis{Offset: 1, Dispersion: 1, Size: 4}, -2); len(got.Parameters()) != 1 {
		t.Errorf("negative order: %d parameters, want the constant", len(got.Parameters()))
	}
	if got := Linspace(1, 5, -2); len(got) != 0 {
		t.Errorf("Linspace(1, 5, -2) = %v", got)
	}
	// Low-loss and edge constructors validate what they are given.
	good := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 64}
	for _, ll := range []multispectrum.EnergyAxis{{}, {Offset: -5, Dispersion: 0.5, Size: 0}, {Offset: -5, Dispersion: 0.25, Size: 16}, {Offset: nan, Dispersion: 0.5, Size: 16}} {
		if _, err := NewLowLoss(good, ll); err == nil {
			t.Errorf("low loss %v accepted", ll)
		}
	}
	if _, err := NewLowLoss(multispectrum.EnergyAxis{}, multispectrum.EnergyAxis{}); err == nil {
		t.Error("zero axes accepted")
	}
	setup := gos.Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	for _, c := range []struct {
		el, ed string
		s      gos.Setup
	}{{"Xx", "K", setup}, {"C", "Q", setup}, {"C", "K", gos.Setup{}}, {"Fe", "K", setup}} {
		if _, err := NewCoreLossEdge(good, gos.Hydrogenic(), nil, c.el, c.ed, c.s, 0, 1); err == nil {
			t.Errorf("edge %s %s %+v accepted", c.el, c.ed, c.s)
		}
	}
	if _, err := NewCoreLossEdge(good, nil, nil, "C", "K", setup, 0, 1); err == nil {
		t.Error("nil GOS source accepted")
	}
}
