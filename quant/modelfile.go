package quant

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// ModelFile is the TOML description of a model and how to fit it (the
// format is documented in the README; testdata/seed_model.toml is the
// seed workflow's).
type ModelFile struct {
	Instrument struct {
		E0    float64 `toml:"E0"`    // V
		Alpha float64 `toml:"alpha"` // rad
		Beta  float64 `toml:"beta"`  // rad
	} `toml:"instrument"`
	GOS struct {
		Source string `toml:"source"` // hydrogenic | kohl | zhang
		File   string `toml:"file"`
	} `toml:"gos"`
	Fit struct {
		Method  string       `toml:"method"`  // ols | wls | nnls | lsq | poisson
		Window  []float64    `toml:"window"`  // [lo, hi] eV, empty: whole axis
		Exclude [][2]float64 `toml:"exclude"` // [[lo, hi], ...] eV
		LowLoss *bool        `toml:"lowloss"` // convolve with the pixel's low loss (default true when there is one)
	} `toml:"fit"`
	Components []ComponentSpec `toml:"component"`
}

// ComponentSpec is one [[component]] table.
type ComponentSpec struct {
	Type string `toml:"type"` // linear_background | power_law | edge | gaussian | lorentzian | voigt | offset | exponential | polynomial | plasmon
	Name string `toml:"name"` // optional display name

	// linear_background: exponents, or linspace = [start, stop, count]
	Exponents []float64 `toml:"exponents"`
	Linspace  []float64 `toml:"linspace"`
	// edge
	Element string  `toml:"element"`
	Edge    string  `toml:"edge"`
	Onset   float64 `toml:"onset_shift"` // eV
	// polynomial
	Order int `toml:"order"`

	Values   map[string]float64    `toml:"values"`   // initial values by parameter name
	Free     []string              `toml:"free"`     // parameters to fit besides the default free ones
	Fixed    []string              `toml:"fixed"`    // parameters to hold
	Bounds   map[string][2]float64 `toml:"bounds"`   // [lower, upper]
	Convolve *bool                 `toml:"convolve"` // override the default
}

// ReadModelFile parses a model file.
func ReadModelFile(r io.Reader, name string) (*ModelFile, error) {
	var mf ModelFile
	md, err := toml.NewDecoder(r).Decode(&mf)
	if err != nil {
		return nil, fmt.Errorf("quant: model file %s: %w", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("quant: model file %s: unknown keys %s", name, strings.Join(keys, ", "))
	}
	if len(mf.Components) == 0 {
		return nil, fmt.Errorf("quant: model file %s has no [[component]]", name)
	}
	return &mf, nil
}

// Setup returns the instrument parameters of the model file.
func (mf *ModelFile) Setup() gos.Setup {
	return gos.Setup{E0: mf.Instrument.E0, Alpha: mf.Instrument.Alpha, Beta: mf.Instrument.Beta}
}

// Build makes the model's components on axis, cross sections from src
// (cached in cache).
func (mf *ModelFile) Build(axis multispectrum.EnergyAxis, src gos.Source, cache *gos.Cache) (*components.Model, error) {
	setup := mf.Setup()
	var comps []components.Component
	for i, cs := range mf.Components {
		c, err := cs.build(axis, src, cache, setup)
		if err != nil {
			return nil, fmt.Errorf("quant: component %d (%s): %w", i+1, cs.Type, err)
		}
		comps = append(comps, c)
	}
	return components.NewModel(axis, comps...), nil
}

func (cs ComponentSpec) build(axis multispectrum.EnergyAxis, src gos.Source, cache *gos.Cache, setup gos.Setup) (components.Component, error) {
	var c components.Component
	switch cs.Type {
	case "linear_background":
		rs := cs.Exponents
		if len(cs.Linspace) > 0 {
			if len(cs.Linspace) != 3 || cs.Linspace[2] < 1 || cs.Linspace[2] != math.Trunc(cs.Linspace[2]) {
				return nil, fmt.Errorf("linspace must be [start, stop, count]")
			}
			rs = components.Linspace(cs.Linspace[0], cs.Linspace[1], int(cs.Linspace[2]))
		}
		if len(rs) == 0 {
			return nil, fmt.Errorf("needs exponents or linspace")
		}
		c = components.NewLinearBackground(axis, rs)
	case "power_law":
		c = components.NewPowerLaw(axis, 1, 3)
	case "edge":
		if cs.Element == "" || cs.Edge == "" {
			return nil, fmt.Errorf("needs element and edge")
		}
		e, err := components.NewCoreLossEdge(axis, src, cache, cs.Element, cs.Edge, setup, cs.Onset, 1)
		if err != nil {
			return nil, err
		}
		c = e
	case "gaussian":
		c = components.NewGaussian(axis, 1, axis.Offset, 1)
	case "lorentzian":
		c = components.NewLorentzian(axis, 1, axis.Offset, 1)
	case "voigt":
		c = components.NewVoigt(axis, 1, axis.Offset, 1, 1)
	case "offset":
		c = components.NewOffset(axis, 0)
	case "exponential":
		c = components.NewExponential(axis, 1, -0.001)
	case "polynomial":
		c = components.NewPolynomial(axis, cs.Order)
	default:
		return nil, fmt.Errorf("unknown component type %q", cs.Type)
	}
	byName := map[string]*components.Parameter{}
	for _, p := range c.Parameters() {
		byName[p.Name] = p
	}
	get := func(name string) (*components.Parameter, error) {
		p, ok := byName[name]
		if !ok {
			var names []string
			for _, q := range c.Parameters() {
				names = append(names, q.Name)
			}
			return nil, fmt.Errorf("no parameter %q (it has %s)", name, strings.Join(names, ", "))
		}
		return p, nil
	}
	for name, b := range cs.Bounds {
		p, err := get(name)
		if err != nil {
			return nil, err
		}
		p.Lower, p.Upper = math.Inf(-1), math.Inf(1)
		if v, ok := cs.Values[name]; ok {
			p.Value = v
		}
		if p.Value < b[0] || p.Value > b[1] {
			p.Value = math.Max(b[0], math.Min(b[1], p.Value))
		}
		if err := p.SetBounds(b[0], b[1]); err != nil {
			return nil, err
		}
	}
	for name, v := range cs.Values {
		p, err := get(name)
		if err != nil {
			return nil, err
		}
		if err := p.Set(v); err != nil {
			return nil, err
		}
	}
	for _, name := range cs.Free {
		p, err := get(name)
		if err != nil {
			return nil, err
		}
		p.Changeable = true
	}
	for _, name := range cs.Fixed {
		p, err := get(name)
		if err != nil {
			return nil, err
		}
		p.Changeable = false
	}
	if cs.Convolve != nil {
		if s, ok := c.(interface{ SetConvolved(bool) }); ok {
			s.SetConvolved(*cs.Convolve)
		}
	}
	return c, nil
}
