package components

import (
	"fmt"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Model is an ordered list of components on one energy axis, optionally
// convolved with a low loss (doc/algorithms.md 5): the convolved components
// are summed and convolved together, the others (backgrounds) added
// after the convolution.
type Model struct {
	Axis       multispectrum.EnergyAxis
	Components []Component
	LowLoss    *LowLoss // nil: no convolution

	buf []float64
}

// NewModel returns a model of the components on axis.
func NewModel(axis multispectrum.EnergyAxis, comps ...Component) *Model {
	return &Model{Axis: axis, Components: comps, buf: make([]float64, axis.Size)}
}

// FreeParameters returns the free parameters in the model's stable,
// documented order: components in list order, and in each component its
// parameters in their order (doc/algorithms.md 5.2).
func (m *Model) FreeParameters() []*Parameter {
	var out []*Parameter
	for _, c := range m.Components {
		for _, p := range c.Parameters() {
			if p.Free() {
				out = append(out, p)
			}
		}
	}
	return out
}

// FreeNames returns "component.parameter" for each free parameter.
func (m *Model) FreeNames() []string {
	var out []string
	for _, c := range m.Components {
		for _, p := range c.Parameters() {
			if p.Free() {
				out = append(out, c.Name()+"."+p.Name)
			}
		}
	}
	return out
}

// IsLinear reports whether every free parameter is linear.
func (m *Model) IsLinear() bool {
	for _, p := range m.FreeParameters() {
		if !p.Linear {
			return false
		}
	}
	return true
}

// ComponentOf returns the component owning p.
func (m *Model) ComponentOf(p *Parameter) (Component, int) {
	for _, c := range m.Components {
		for k, q := range c.Parameters() {
			if q == p {
				return c, k
			}
		}
	}
	return nil, -1
}

// Eval writes the model into dst (len = axis size).
func (m *Model) Eval(dst []float64) {
	checkLen(dst, m.Axis.Size)
	for i := range dst {
		dst[i] = 0
	}
	m.sum(dst, true)
	if m.LowLoss != nil {
		m.LowLoss.Convolve(dst, dst)
	}
	m.sum(dst, false)
}

func (m *Model) sum(dst []float64, convolved bool) {
	for _, c := range m.Components {
		if c.Convolved() != convolved {
			continue
		}
		c.Eval(m.buf)
		multispectrum.AddTo(dst, m.buf)
	}
}

// Derivative writes the derivative of the model with respect to the free
// parameter p into dst: the gradients of p and of every parameter coupled
// to it (times the coupling fraction), convolved where the component is.
// It returns an error when a component has no derivative for it.
func (m *Model) Derivative(dst []float64, p *Parameter) error {
	checkLen(dst, m.Axis.Size)
	for i := range dst {
		dst[i] = 0
	}
	for pass := 0; pass < 2; pass++ {
		convolved := pass == 0
		for _, c := range m.Components {
			if c.Convolved() != convolved {
				continue
			}
			for k, q := range c.Parameters() {
				r, f := q.root()
				if r != p {
					continue
				}
				if !c.Gradient(m.buf, k) {
					return fmt.Errorf("components: %s has no derivative for %s", c.Name(), q.Name)
				}
				for i, v := range m.buf {
					dst[i] += f * v
				}
			}
		}
		if convolved && m.LowLoss != nil {
			m.LowLoss.Convolve(dst, dst)
		}
	}
	return nil
}
