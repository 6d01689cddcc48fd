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
	Type string `toml:"type"` // linear_background | power_law | edge | fine_structure | gaussian | lorentzian | voigt | offset | exponential | polynomial
	Name string `toml:"name"` // optional display name

	// linear_background: exponents, or linspace = [start, stop, count]
	Exponents []float64 `toml:"exponents"`
	Linspace  []float64 `toml:"linspace"`
	// edge; fine_structure: the edge it belongs to, by its name
	// (edge = "Ti L") or by element (and edge)
	Element string  `toml:"element"`
	Edge    string  `toml:"edge"`
	Onset   float64 `toml:"onset_shift"` // eV
	// fine_structure (doc/algorithms.md 3.12): window start before the
	// edge onset (eV, default 5), width (eV, default 50), interior points
	// (default 30) and the Bethe-sum-rule constraint
	Pre    *float64 `toml:"pre"`
	Width  float64  `toml:"width"`
	Points int      `toml:"points"`
	Bethe  bool     `toml:"bethe"`
	// polynomial
	Order int `toml:"order"`

	Values   map[string]float64    `toml:"values"`   // initial values by parameter name
	Free     []string              `toml:"free"`     // parameters to fit besides the default free ones
	Fixed    []string              `toml:"fixed"`    // parameters to hold
	Bounds   map[string][2]float64 `toml:"bounds"`   // [lower, upper]
	Convolve *bool                 `toml:"convolve"` // override the default
	// linear_background: constrain it to be convex (doc/algorithms.md 6.3)
	Convex bool `toml:"convex"`
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
// (cached in cache). Fine structures are made after every edge, so that
// they may name an edge anywhere in the list; the model keeps the file's
// order.
func (mf *ModelFile) Build(axis multispectrum.EnergyAxis, src gos.Source, cache *gos.Cache) (*components.Model, error) {
	setup := mf.Setup()
	comps := make([]components.Component, len(mf.Components))
	var edges []*components.CoreLossEdge
	taken := map[*components.CoreLossEdge]bool{}
	for pass := 0; pass < 2; pass++ {
		for i, cs := range mf.Components {
			if (cs.Type == "fine_structure") != (pass == 1) {
				continue
			}
			var c components.Component
			var err error
			if pass == 0 {
				c, err = cs.build(axis, src, cache, setup)
			} else {
				var e *components.CoreLossEdge
				if e, err = cs.fineEdge(edges); err == nil {
					if taken[e] {
						err = fmt.Errorf("the %s edge has a fine structure already", e.Name())
					} else {
						taken[e] = true
						c, err = cs.build(axis, src, cache, setup, e)
					}
				}
			}
			if err != nil {
				name := cs.Name
				if name == "" {
					name = strings.TrimSpace(cs.Element + " " + cs.Edge)
				}
				return nil, &ComponentError{Index: i + 1, Type: cs.Type, Name: name, Err: err}
			}
			comps[i] = c
			if e, ok := c.(*components.CoreLossEdge); ok {
				edges = append(edges, e)
			}
		}
	}
	return components.NewModel(axis, comps...), nil
}

// ComponentError is an error of Build making one component.
type ComponentError struct {
	Index int    // 1-based position in the model file
	Type  string // component type
	// Name is what the model file calls the component: its name, else
	// its element and edge as typed ("Fe L"); "" when it has neither.
	Name string
	Err  error
}

// Error names the component as the user typed it (the Fe L edge, the
// fine structure of Ti L, a named peak), then its position in the model:
// for a model built from flags the position alone says little.
func (e *ComponentError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "components: ")
	switch {
	case e.Name == "":
		return fmt.Sprintf("quant: component %d (%s): %s", e.Index, e.Type, msg)
	case e.Type == "edge":
		return fmt.Sprintf("quant: the %s edge (model component %d): %s", e.Name, e.Index, msg)
	case e.Type == "fine_structure":
		return fmt.Sprintf("quant: the fine structure of %s (model component %d): %s", e.Name, e.Index, msg)
	}
	return fmt.Sprintf("quant: component %d %q (%s): %s", e.Index, e.Name, e.Type, msg)
}

func (e *ComponentError) Unwrap() error { return e.Err }

// fineEdge finds the edge a fine_structure names: by element (and edge
// name, when given), else by the edge component's name ("Ti L").
func (cs ComponentSpec) fineEdge(edges []*components.CoreLossEdge) (*components.CoreLossEdge, error) {
	var found []*components.CoreLossEdge
	for _, e := range edges {
		ed := e.Edge()
		switch {
		case cs.Element != "":
			if strings.EqualFold(ed.Element, cs.Element) && (cs.Edge == "" || strings.EqualFold(ed.Edge, cs.Edge)) {
				found = append(found, e)
			}
		case cs.Edge != "":
			if strings.EqualFold(e.Name(), strings.TrimSpace(cs.Edge)) {
				found = append(found, e)
			}
		default:
			return nil, fmt.Errorf("needs the edge it belongs to: edge = \"<element> <edge>\" (e.g. \"Ti L\") or element")
		}
	}
	what := cs.Edge
	if cs.Element != "" {
		what = strings.TrimSpace(cs.Element + " " + cs.Edge)
	}
	switch len(found) {
	case 0:
		var names []string
		for _, e := range edges {
			names = append(names, e.Name())
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("no edge %q: the model has no edges", what)
		}
		return nil, fmt.Errorf("no edge %q in the model (it has %s)", what, strings.Join(names, ", "))
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("edge %q is ambiguous: name it with element and edge", what)
}

// FineOptions returns the fine-structure options of a fine_structure
// component, defaults filled in.
func (cs ComponentSpec) FineOptions() components.FineStructureOptions {
	o := components.FineStructureOptions{Pre: components.DefaultFinePre, Width: cs.Width, Points: cs.Points, Bethe: cs.Bethe}
	if cs.Pre != nil {
		o.Pre = *cs.Pre
	}
	if o.Width == 0 {
		o.Width = components.DefaultFineWidth
	}
	if o.Points == 0 {
		o.Points = components.DefaultFinePoints
	}
	return o
}

func (cs ComponentSpec) build(axis multispectrum.EnergyAxis, src gos.Source, cache *gos.Cache, setup gos.Setup, fineOf ...*components.CoreLossEdge) (components.Component, error) {
	var c components.Component
	switch cs.Type {
	case "fine_structure":
		f, err := components.NewFineStructure(fineOf[0], cs.FineOptions())
		if err != nil {
			return nil, err
		}
		c = f
	case "linear_background":
		rs := cs.Exponents
		if len(cs.Linspace) > 0 {
			if len(cs.Linspace) != 3 || cs.Linspace[2] < 1 || cs.Linspace[2] > MaxBackgroundTerms || cs.Linspace[2] != math.Trunc(cs.Linspace[2]) {
				return nil, fmt.Errorf("linspace must be [start, stop, count] with count 1..%d", MaxBackgroundTerms)
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
		if cs.Order < 0 || cs.Order > 20 {
			return nil, fmt.Errorf("polynomial order %d: must be 0..20", cs.Order)
		}
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
