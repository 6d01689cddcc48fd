package classic

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// CalibrateOptions configure Calibrate: exactly one of Set (Offset and/or
// Dispersion), ZeroLoss or Edge.
type CalibrateOptions struct {
	// Offset (eV) and Dispersion (eV/channel) replace those of the cubes
	// when not NaN (use math.NaN() to keep one; the zero value sets 0).
	Offset, Dispersion float64
	Set                bool // use Offset and Dispersion
	// ZeroLoss shifts the axes so that the zero-loss peak of the summed
	// low loss lies at 0 eV: its position is the maximum refined by the
	// parabola through the maximum and its two neighbours.
	ZeroLoss bool
	// Edge shifts the axes so that the onset of the edge (element and
	// edge, e.g. "Ti", "L3") in the summed core loss lands on its energy in
	// the element table (gos.ExpandEdge: the edge's first subshell).
	Edge *EdgeRef
	// Cubes are the cubes whose axes change (nil: all of them). A shift
	// measured on the low loss applies to the core loss too when both
	// are named: right for dual EELS, wrong for a separately recorded
	// core loss.
	Cubes []string
}

// EdgeRef names an edge and how its onset is measured.
type EdgeRef struct {
	Element, Edge string
	// Measured is the onset energy (eV, on the current axis) when known;
	// NaN or 0 measures it: the steepest rise of the summed core loss,
	// smoothed over 1 eV, within Search eV of the tabulated onset.
	Measured float64
	Search   float64 // eV, default 10
}

// EdgeOnset returns the tabulated onset (eV) of an element's edge: that of
// its first subshell in the element table (the L3 of "L").
func EdgeOnset(element, edge string) (float64, error) {
	ss, err := gos.ExpandEdge(element, edge)
	if err != nil {
		return 0, err
	}
	return ss[0].Onset, nil
}

// FindOnset returns the energy (eV) of the steepest rise of y (on axis)
// within [lo, hi]: the maximum of the central difference of y smoothed
// by a centred running mean of width channels (made odd), refined by a
// parabola through the maximum and its neighbours. A step from channel
// i-1 to channel i (values at channel-start energies) is found half way
// between their start energies.
func FindOnset(y []float64, axis multispectrum.EnergyAxis, lo, hi float64, width int) (float64, error) {
	width = max(width, 1) | 1
	i0, i1, err := window(axis, lo, hi, "onset search range")
	if err != nil {
		return math.NaN(), err
	}
	n := len(y)
	smooth := func(i int) float64 {
		a, b := max(i-width/2, 0), min(i-width/2+width, n)
		s := 0.0
		for _, v := range y[a:b] {
			s += v
		}
		return s / float64(b-a)
	}
	d := func(i int) float64 { return (smooth(min(i+1, n-1)) - smooth(max(i-1, 0))) / 2 }
	best := -1
	for i := max(i0, 1); i < min(i1, n-1); i++ {
		if best < 0 || d(i) > d(best) {
			best = i
		}
	}
	if best < 0 {
		return math.NaN(), errors.New("classic: onset search range has no interior channel")
	}
	x := float64(best)
	if best > 0 && best < n-1 {
		a, b, c := d(best-1), d(best), d(best+1)
		if den := a - 2*b + c; den < 0 {
			x += 0.5 * (a - c) / den
		}
	}
	return axis.Offset + x*axis.Dispersion, nil
}

// peakPosition returns the energy of the maximum of y refined by a
// parabola through it and its neighbours.
func peakPosition(y []float64, axis multispectrum.EnergyAxis) float64 {
	k := 0
	for i, v := range y {
		if v > y[k] {
			k = i
		}
	}
	x := float64(k)
	if k > 0 && k < len(y)-1 {
		a, b, c := y[k-1], y[k], y[k+1]
		if den := a - 2*b + c; den < 0 {
			x += 0.5 * (a - c) / den
		}
	}
	return axis.Offset + x*axis.Dispersion
}

// CalibratePlan checks the options and returns the calibration's output
// plan given the measured shift (eV added to the offsets; 0 for Set).
func calibratePlan(in Input, opts CalibrateOptions, shift float64) (*Plan, error) {
	p := &Plan{Operation: "calibrate", NY: in.NY, NX: in.NX, FY: 1, FX: 1, Params: map[string]any{}}
	change := map[string]bool{}
	for _, c := range in.Cubes {
		change[c.Name] = opts.Cubes == nil || slices.Contains(opts.Cubes, c.Name)
	}
	for _, name := range opts.Cubes {
		if in.Find(name) < 0 {
			return nil, fmt.Errorf("classic: calibrate: there is no %s cube", name)
		}
	}
	var changed []string
	for _, c := range in.Cubes {
		ax := c.Axis
		if change[c.Name] {
			changed = append(changed, c.Name)
			switch {
			case opts.Set:
				if !math.IsNaN(opts.Offset) {
					ax.Offset = opts.Offset
				}
				if !math.IsNaN(opts.Dispersion) {
					ax.Dispersion = opts.Dispersion
				}
			default:
				ax.Offset += shift
			}
			if err := ax.Validate(); err != nil {
				return nil, fmt.Errorf("classic: calibrate %s: %w", c.Name, err)
			}
		}
		p.Streams = append(p.Streams, Stream{Name: c.Name, Kind: CubeStream, Width: ax.Size, Axis: ax, Units: "counts"})
		p.Params["axis_"+c.Name] = map[string]any{"offset_eV": ax.Offset, "dispersion_eV": ax.Dispersion, "was_offset_eV": c.Axis.Offset, "was_dispersion_eV": c.Axis.Dispersion}
	}
	p.Params["cubes"] = changed
	p.Default = p.Streams[0].Name
	return p, nil
}

// CheckCalibrate validates the options against the input without reading
// any spectrum.
func CheckCalibrate(in Input, opts CalibrateOptions) error {
	if err := in.check(); err != nil {
		return err
	}
	modes := 0
	for _, b := range []bool{opts.Set, opts.ZeroLoss, opts.Edge != nil} {
		if b {
			modes++
		}
	}
	if modes != 1 {
		return errors.New("classic: calibrate needs exactly one of an offset/dispersion, the zero loss or an edge")
	}
	if opts.Set && math.IsNaN(opts.Offset) && math.IsNaN(opts.Dispersion) {
		return errors.New("classic: calibrate: give an offset or a dispersion")
	}
	if opts.ZeroLoss {
		if _, _, err := in.need("zero-loss calibration", LowLoss); err != nil {
			return err
		}
	}
	if e := opts.Edge; e != nil {
		c, _, err := in.need("edge calibration", CoreLoss)
		if err != nil {
			return err
		}
		tab, err := EdgeOnset(e.Element, e.Edge)
		if err != nil {
			return err
		}
		search := e.Search
		if search == 0 {
			search = 10
		}
		if !(search > 0) {
			return fmt.Errorf("classic: onset search half-width %g eV: must be positive", e.Search)
		}
		if e.Measured == 0 || math.IsNaN(e.Measured) {
			if _, _, err := window(c.Axis, tab-search, tab+search, fmt.Sprintf("onset search range of %s %s", e.Element, e.Edge)); err != nil {
				return err
			}
		}
	}
	_, err := calibratePlan(in, opts, 0)
	return err
}

// Calibrate rewrites the cubes with new energy axes: set by hand, or
// shifted so that the zero loss (summed low loss) lies at 0 eV, or so that
// an edge onset (summed core loss) lands on its tabulated energy. The data
// are copied unchanged; the cubes not selected keep their axes. The
// summary holds the measured position and the applied shift.
func Calibrate(in Input, opts CalibrateOptions, dst Destination, ro RunOptions) (*Result, error) {
	if err := CheckCalibrate(in, opts); err != nil {
		return nil, err
	}
	summary := map[string]any{}
	shift := 0.0
	measure := func(name string) ([]float64, multispectrum.EnergyAxis, error) {
		c, _, _ := in.need("calibration", name)
		var m Memory
		sub := Input{NY: in.NY, NX: in.NX, Cubes: []Cube{c}, Tile: in.Tile}
		if _, err := Sum(sub, SumOptions{}, &m, ro); err != nil {
			return nil, c.Axis, err
		}
		return m.Arrays[0].Data, c.Axis, nil
	}
	switch {
	case opts.ZeroLoss:
		y, ax, err := measure(LowLoss)
		if err != nil {
			return nil, err
		}
		pos := peakPosition(y, ax)
		shift = -pos
		summary["method"], summary["zero_loss_eV"] = "zero_loss", pos
	case opts.Edge != nil:
		e := opts.Edge
		tab, _ := EdgeOnset(e.Element, e.Edge)
		pos := e.Measured
		if pos == 0 || math.IsNaN(pos) {
			search := e.Search
			if search == 0 {
				search = 10
			}
			y, ax, err := measure(CoreLoss)
			if err != nil {
				return nil, err
			}
			width := max(1, int(math.Round(1/ax.Dispersion)))
			if pos, err = FindOnset(y, ax, tab-search, tab+search, width); err != nil {
				return nil, err
			}
		}
		shift = tab - pos
		summary["method"], summary["edge"], summary["tabulated_onset_eV"], summary["measured_onset_eV"] = "edge", e.Element+" "+e.Edge, tab, pos
	default:
		summary["method"] = "set"
	}
	summary["shift_eV"] = shift
	p, err := calibratePlan(in, opts, shift)
	if err != nil {
		return nil, err
	}
	for k, v := range summary {
		p.Params[k] = v
	}
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		for k := range in.Cubes {
			copy(t.Out[k], t.In[k])
		}
		return nil
	}
	return run(in, in.Cubes, p, dst, ro, noWorkspace, fn, hooks{summarize: func(r *Result) {
		for k, v := range summary {
			r.Summary[k] = v
		}
	}})
}
