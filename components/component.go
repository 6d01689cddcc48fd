package components

import (
	"fmt"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Component is one term of a model. It evaluates on the energy axis it
// was built for.
type Component interface {
	// Name is the display name, used as label of maps.
	Name() string
	// Parameters returns the parameters in their documented order.
	Parameters() []*Parameter
	// Eval writes the component's values into dst (len = axis size).
	Eval(dst []float64)
	// Gradient writes the derivative with respect to parameter k into
	// dst and returns true, or returns false when the parameter has no
	// derivative (instrument constants such as E0 or beta).
	Gradient(dst []float64, k int) bool
	// Convolved reports whether the low-loss convolution applies to it
	// (false for backgrounds, doc/algorithms.md 4.3).
	Convolved() bool
}

// base holds what every component shares.
type base struct {
	name   string
	axis   multispectrum.EnergyAxis
	e      []float64
	params []*Parameter
	conv   bool
}

func newBase(name string, axis multispectrum.EnergyAxis, conv bool, params ...*Parameter) base {
	return base{name: name, axis: axis, e: axis.Energies(nil), params: params, conv: conv}
}

func (b *base) Name() string             { return b.name }
func (b *base) Parameters() []*Parameter { return b.params }
func (b *base) Convolved() bool          { return b.conv }

// SetConvolved switches the low-loss convolution of a component on or off.
func (b *base) SetConvolved(on bool) { b.conv = on }

// Axis returns the energy axis of the component.
func (b *base) Axis() multispectrum.EnergyAxis { return b.axis }

func checkLen(dst []float64, n int) {
	if len(dst) != n {
		panic(fmt.Sprintf("components: dst length %d, axis has %d channels", len(dst), n))
	}
}
