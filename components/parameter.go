package components

import (
	"fmt"
	"math"
)

// Parameter is a model parameter (doc/algorithms.md 2.1). A parameter is free
// (fitted) when it is Changeable and not coupled; Linear marks amplitudes,
// which enter the model linearly.
type Parameter struct {
	Name       string
	Value      float64
	Changeable bool
	Linear     bool
	Lower      float64 // lower bound (-Inf: none)
	Upper      float64 // upper bound (+Inf: none)

	master   *Parameter
	fraction float64
}

func newParam(name string, value float64, changeable, linear bool) *Parameter {
	return &Parameter{Name: name, Value: value, Changeable: changeable, Linear: linear, Lower: math.Inf(-1), Upper: math.Inf(1)}
}

// Get returns the value: for a coupled parameter the master's value times
// the coupling fraction.
func (p *Parameter) Get() float64 {
	if p.master != nil {
		return p.master.Get() * p.fraction
	}
	return p.Value
}

// Set sets the value. It refuses a coupled parameter and a value outside
// the bounds (inclusive), reporting why, unlike the reference which
// silently keeps the old value.
func (p *Parameter) Set(v float64) error {
	if p.master != nil {
		return fmt.Errorf("components: parameter %s is coupled to %s", p.Name, p.master.Name)
	}
	if v < p.Lower || v > p.Upper || math.IsNaN(v) {
		return fmt.Errorf("components: %s = %g outside [%g, %g]", p.Name, v, p.Lower, p.Upper)
	}
	p.Value = v
	return nil
}

// SetBounds sets the bounds; lower must not exceed upper and the current
// value must lie inside (the reference's swapped-bound and forced-bound
// quirks are not reproduced).
func (p *Parameter) SetBounds(lower, upper float64) error {
	if lower > upper {
		return fmt.Errorf("components: %s bounds [%g, %g] are reversed", p.Name, lower, upper)
	}
	if p.Value < lower || p.Value > upper {
		return fmt.Errorf("components: %s = %g outside new bounds [%g, %g]", p.Name, p.Value, lower, upper)
	}
	p.Lower, p.Upper = lower, upper
	return nil
}

// Couple makes p follow master: p = master * fraction. p is then not free.
func (p *Parameter) Couple(master *Parameter, fraction float64) error {
	for m := master; m != nil; m = m.master {
		if m == p {
			return fmt.Errorf("components: coupling %s to %s would form a loop", p.Name, master.Name)
		}
	}
	p.master, p.fraction = master, fraction
	return nil
}

// Master returns the parameter p is coupled to, and the fraction.
func (p *Parameter) Master() (*Parameter, float64) { return p.master, p.fraction }

// Free reports whether the parameter is fitted: changeable and not coupled.
func (p *Parameter) Free() bool { return p.Changeable && p.master == nil }

// root returns the free parameter p's value derives from and the factor.
func (p *Parameter) root() (*Parameter, float64) {
	f := 1.0
	for p.master != nil {
		f *= p.fraction
		p = p.master
	}
	return p, f
}
