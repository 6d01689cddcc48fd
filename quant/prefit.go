package quant

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// The data-driven choices NewPlanContext makes before the run
// (doc/algorithms.md 9.1 and 9.2): the number of background power laws
// (Options.BackgroundTerms = 0) and the edges' onset shifts
// (Options.EstimateOnsets). Both look at a sample of the scan.

const (
	// MinAutoBackgroundTerms and MaxAutoBackgroundTerms bound the number
	// of power laws the background rule picks from.
	MinAutoBackgroundTerms = 4
	MaxAutoBackgroundTerms = 8
	// MaxSamplePixels bounds the pixels the rules fit: a regular grid
	// over the scan with at most this many points.
	MaxSamplePixels = 1024
	// BackgroundChangeLimit is the relative change of an edge's mean
	// amplitude (over the sample) that counts as large, and
	// BackgroundChangeSigmas the number of standard errors above which a
	// change counts as real (not noise).
	BackgroundChangeLimit  = 0.01
	BackgroundChangeSigmas = 3.0
	// MaxFineSamplePixels bounds the sample pixels the rules fit when the
	// model has fine structure (its tens of parameters make a pixel some
	// eighty times dearer).
	MaxFineSamplePixels = 64
	// MaxOnsetShift bounds an estimated onset shift (eV), and
	// MaxOnsetPixels the sample pixels the estimate fits.
	MaxOnsetShift  = 20.0
	MaxOnsetPixels = 256
)

// BackgroundChoice records how the number of background power laws was
// chosen: Terms is the smallest N in [MinAutoBackgroundTerms,
// MaxAutoBackgroundTerms] for which going to N+1 terms changes no edge's
// mean amplitude over the sample both by more than
// BackgroundChangeLimit (relative) and by more than
// BackgroundChangeSigmas standard errors; MaxAutoBackgroundTerms when no N
// passes, and N when N+1 terms cannot fit most of the sample.
type BackgroundChoice struct {
	Terms  int           `json:"terms"`
	Pixels int           `json:"sample_pixels"`
	Steps  []TermsChange `json:"steps"`
	Rule   string        `json:"rule"`
	Edges  []string      `json:"edges"`
	// Unusable is the number of terms at which most sample pixels could
	// not be fitted (a degenerate basis), which ended the search; 0 when
	// none did.
	Unusable int `json:"unusable_terms,omitempty"`
}

// TermsChange is the change of the edges' mean amplitudes over the
// sample from From to From+1 background terms.
type TermsChange struct {
	From int `json:"from"`
	// Relative is the change of each edge's mean amplitude relative to
	// that mean; Sigmas the change in standard errors of the mean
	// paired difference.
	Relative []float64 `json:"relative"`
	Sigmas   []float64 `json:"sigmas"`
	// Large reports whether some edge changed both by more than
	// BackgroundChangeLimit and by more than BackgroundChangeSigmas.
	Large bool `json:"large"`
}

// OnsetEstimate is an edge's onset shift estimated on the sample
// (Options.EstimateOnsets).
type OnsetEstimate struct {
	Edge  string  `json:"edge"`
	Shift float64 `json:"shift_eV"`
	Error float64 `json:"error_eV"` // its CRLB standard deviation
}

// sample holds the spectra of a regular grid of scan pixels as a 1 x S
// spectrum image.
type sample struct {
	core, low *multispectrum.Cube
}

// samplePixels reads the pixels of a regular grid over the scan (stride
// s in both directions, at most MaxSamplePixels of them) in one pass over
// the input. Memory is that of the sample, not of the scan.
func samplePixels(ctx context.Context, in Input, workers int) (*sample, error) {
	stride := 1
	for ((in.NY+stride-1)/stride)*((in.NX+stride-1)/stride) > MaxSamplePixels {
		stride++
	}
	ny, nx := (in.NY+stride-1)/stride, (in.NX+stride-1)/stride
	s := &sample{core: multispectrum.NewCube(1, ny*nx, in.CoreLoss)}
	lay := multispectrum.Layout{In: []int{in.CoreLoss.Size}}
	if in.LowLoss != nil {
		s.low = multispectrum.NewCube(1, ny*nx, *in.LowLoss)
		lay.In = append(lay.In, in.LowLoss.Size)
	}
	ty, tx := in.Tile[0], in.Tile[1]
	if ty <= 0 || tx <= 0 {
		ty, tx = 32, 32
	}
	sink := sampleSink{s: s, stride: stride, nx: nx}
	err := multispectrum.Process(ctx, in.Source, sink, multispectrum.NewTiling(in.NY, in.NX, ty, tx), lay,
		func() struct{} { return struct{}{} }, func(struct{}, *multispectrum.Tile) error { return nil },
		multispectrum.Workers(max(workers, 1)))
	if err != nil {
		return nil, fmt.Errorf("quant: could not read the sample of the scan: %w", err)
	}
	return s, nil
}

// thin returns every k-th pixel of the sample's core loss, at most max
// of them; thinLow the same pixels' low loss (nil without one).
func (s *sample) thin(max int) *multispectrum.Cube { return thinCube(s.core, max) }

func (s *sample) thinLow(max int) *multispectrum.Cube {
	if s.low == nil {
		return nil
	}
	return thinCube(s.low, max)
}

func thinCube(c *multispectrum.Cube, max int) *multispectrum.Cube {
	k := (c.NX + max - 1) / max
	if k <= 1 {
		return c
	}
	m := (c.NX + k - 1) / k
	out := multispectrum.NewCube(1, m, c.Axis)
	n := c.Axis.Size
	for i := range m {
		copy(out.Data[i*n:(i+1)*n], c.Data[i*k*n:(i*k+1)*n])
	}
	return out
}

// sampleSink copies the grid pixels of each tile into the sample.
type sampleSink struct {
	s          *sample
	stride, nx int
}

func (k sampleSink) WriteTile(t *multispectrum.Tile) error {
	r := t.Region
	for y := r.Y0; y < r.Y0+r.NY; y++ {
		if y%k.stride != 0 {
			continue
		}
		for x := r.X0; x < r.X0+r.NX; x++ {
			if x%k.stride != 0 {
				continue
			}
			p := (y-r.Y0)*r.NX + (x - r.X0)
			q := (y/k.stride)*k.nx + x/k.stride
			n := k.s.core.Axis.Size
			copy(k.s.core.Data[q*n:(q+1)*n], t.In[0][p*n:(p+1)*n])
			if k.s.low != nil {
				m := k.s.low.Axis.Size
				copy(k.s.low.Data[q*m:(q+1)*m], t.In[1][p*m:(p+1)*m])
			}
		}
	}
	return nil
}

// subOptions are the options of a fit the rules run on the sample: the
// main options without outputs or regions, with the quantification
// window fixed.
func (o Options) subOptions(window *[2]float64) Options {
	s := o
	s.FitOnly, s.NoModelCube = true, true
	s.Regions, s.Progress, s.ScaleErrors = nil, nil, false
	s.EstimateOnsets = false
	if s.Window == nil {
		s.Window = window
	}
	return s
}

// estimateOnsets finds the onset shifts that minimise the total
// chi-square of the sample's linear fits: every pixel keeps its own
// amplitudes and background, the shifts are shared. Each edge's shift is
// found in turn by parabolic interpolation of the total chi-square
// through three shifts (1 eV apart, walking downhill until the minimum
// is bracketed; then 0.25 eV apart about the best, once more for every
// edge) on at most MaxOnsetPixels of the sample; its standard error is that of the
// parabola, sqrt(2 / curvature) (the chi-square of Poisson-weighted data
// rises by 1 at one standard deviation). The shifts are returned in the
// order of the model's edges. A fit of the mean spectrum would be
// cheaper but wrong: the mean mixes pixels of different thickness, whose
// edges are convolved with different low losses, and a model convolved
// with the mean low loss puts such an edge several eV off (6 eV for the
// seed's Fe L, doc/algorithms.md 9.2).
func estimateOnsets(ctx context.Context, s *sample, o Options, inst multispectrum.Instrument, window *[2]float64) ([]OnsetEstimate, error) {
	if o.Method == "lsq" || o.Method == "poisson" {
		o.Method = "wls"
	}
	so := o.subOptions(window)
	limit := MaxOnsetPixels
	if o.hasFineStructure() {
		limit = MaxFineSamplePixels
	}
	in := CubeInput(s.thin(limit), s.thinLow(limit), inst)
	npx := in.NX
	var labels []string
	total := func(shifts []float64) (float64, error) {
		so.onsetShifts = shifts
		mem := NewMemory()
		res, err := Run(ctx, in, mem, so)
		if err != nil {
			return 0, err
		}
		if labels == nil {
			labels = res.Plan.Labels()
		}
		dof := float64(res.Plan.mask.Included() - res.Plan.NumParams())
		var sum float64
		for x := range npx {
			if fitters.Status(mem.Pixel(StreamStatus, 0, x)[0]) != fitters.OK {
				continue
			}
			sum += mem.Pixel(StreamChi2, 0, x)[0] * dof
		}
		return sum, nil
	}
	// The fit without shifts gives the edges and the first chi-square.
	best, err := total(nil)
	if err != nil {
		return nil, fmt.Errorf("quant: estimating the edge onsets: %w", err)
	}
	ne := len(labels)
	shifts := make([]float64, ne)
	errs := make([]float64, ne)
	try := func(k int, v float64) (float64, error) {
		t := append([]float64(nil), shifts...)
		t[k] = v
		return total(t)
	}
	// step tries c0-h and c0+h and moves to the vertex of the parabola
	// through them (at most 2h away); it returns whether the vertex was
	// inside [c0-h, c0+h].
	found := make([]bool, ne)
	step := func(k int, h float64) (bool, error) {
		c0 := shifts[k]
		lo, err := try(k, c0-h)
		if err != nil {
			return false, err
		}
		hi, err := try(k, c0+h)
		if err != nil {
			return false, err
		}
		curv := (lo + hi - 2*best) / (h * h)
		var d float64
		switch {
		case curv > 0:
			d = -(hi - lo) / (2 * h) / curv
			errs[k], found[k] = math.Sqrt(2/curv), true
		case lo < hi:
			d = -2 * h
		default:
			d = 2 * h
		}
		inside := math.Abs(d) <= h
		d = math.Max(-2*h, math.Min(2*h, d))
		nv := c0 + d
		if math.Abs(nv) > MaxOnsetShift {
			return false, fmt.Errorf("quant: the onset shift of %s passed %g eV: check the energy calibration and the edge", labels[k], MaxOnsetShift)
		}
		v, err := try(k, nv)
		if err != nil {
			return false, err
		}
		moved := false
		for _, c := range []struct{ x, f float64 }{{nv, v}, {c0 - h, lo}, {c0 + h, hi}} {
			if c.f < best {
				best, shifts[k], moved = c.f, c.x, true
			}
		}
		return inside || !moved, nil
	}
	for k := range ne {
		// Walk downhill in steps of up to 2 eV until the minimum is
		// bracketed, then refine.
		for it := 0; it < int(MaxOnsetShift); it++ {
			bracketed, err := step(k, 1)
			if err != nil {
				return nil, fmt.Errorf("quant: estimating the edge onsets: %w", err)
			}
			if bracketed {
				break
			}
		}
	}
	for k := range ne {
		if _, err := step(k, 0.25); err != nil {
			return nil, fmt.Errorf("quant: estimating the edge onsets: %w", err)
		}
	}
	for k := range ne {
		if !found[k] {
			return nil, fmt.Errorf("quant: the onset of %s could not be estimated: the sample's chi-square has no minimum near %+.2f eV (the chi-square hardly changes with it, as when a fine structure absorbs the shift, or the edge's shape does not follow the data, as with white lines and no fine structure)", labels[k], shifts[k])
		}
	}
	out := make([]OnsetEstimate, ne)
	for k := range out {
		out[k] = OnsetEstimate{Edge: labels[k], Shift: shifts[k], Error: errs[k]}
	}
	return out, nil
}

// hasFineStructure reports whether the model of the options has fine
// structure.
func (o Options) hasFineStructure() bool {
	if o.FineStructure != nil {
		return true
	}
	if o.Model != nil {
		for _, c := range o.Model.Components {
			if c.Type == "fine_structure" {
				return true
			}
		}
	}
	return false
}

// chooseBackgroundTerms applies the rule of BackgroundChoice: it fits the
// sample with N = MinAutoBackgroundTerms .. MaxAutoBackgroundTerms+1
// power laws and compares each edge's amplitudes pixel by pixel between
// N and N+1 terms. The standard error of the mean paired difference is
// the sample's own when it has at least 30 pixels, else that of the CRLB
// (the variance of the difference of nested estimates is the difference
// of their variances, Hausman 1978).
func chooseBackgroundTerms(ctx context.Context, s *sample, o Options, inst multispectrum.Instrument, window *[2]float64) (*BackgroundChoice, error) {
	if o.Method == "lsq" || o.Method == "poisson" {
		o.Method = "wls"
	}
	so := o.subOptions(window)
	limit := MaxSamplePixels
	if o.hasFineStructure() {
		limit = MaxFineSamplePixels
	}
	in := CubeInput(s.thin(limit), s.thinLow(limit), inst)
	npx := in.NX
	type fit struct{ a, v [][]float64 } // per edge, per pixel: amplitude, variance
	var prev *fit
	ch := &BackgroundChoice{Pixels: npx, Rule: fmt.Sprintf("smallest N in %d..%d whose step to N+1 changes no edge's mean amplitude by more than %g%% and %g standard errors",
		MinAutoBackgroundTerms, MaxAutoBackgroundTerms, 100*BackgroundChangeLimit, BackgroundChangeSigmas)}
	for n := MinAutoBackgroundTerms; n <= MaxAutoBackgroundTerms+1; n++ {
		so.BackgroundTerms = n
		mem := NewMemory()
		res, err := Run(ctx, in, mem, so)
		if err != nil {
			return nil, fmt.Errorf("quant: choosing the background terms (%d terms): %w", n, err)
		}
		edges := res.Plan.Edges()
		if ch.Edges == nil {
			for _, e := range edges {
				ch.Edges = append(ch.Edges, e.Label)
			}
		}
		cur := &fit{a: make([][]float64, len(edges)), v: make([][]float64, len(edges))}
		usable := 0
		for x := range npx {
			c, v := mem.Pixel(StreamCoefficients, 0, x), mem.Pixel(StreamCRLB, 0, x)
			ok := fitters.Status(mem.Pixel(StreamStatus, 0, x)[0]) == fitters.OK
			for _, e := range edges {
				ok = ok && !math.IsNaN(c[e.Param]) && v[e.Param] >= 0 && !math.IsInf(v[e.Param], 0)
			}
			if ok {
				usable++
			}
			for i, e := range edges {
				a, va := c[e.Param], v[e.Param]
				if !ok {
					a, va = math.NaN(), math.NaN()
				}
				cur.a[i] = append(cur.a[i], a)
				cur.v[i] = append(cur.v[i], va)
			}
		}
		// A basis so degenerate that most pixels cannot be fitted (or
		// have no finite CRLB) ends the search: the last usable one is
		// taken.
		if 2*usable <= npx {
			if prev == nil {
				return nil, fmt.Errorf("quant: choosing the background terms: %d of %d sample pixels could not be fitted with %d terms", npx-usable, npx, n)
			}
			ch.Terms, ch.Unusable = n-1, n
			return ch, nil
		}
		if prev != nil {
			step := TermsChange{From: n - 1}
			for i := range edges {
				rel, sig := pairedChange(prev.a[i], cur.a[i], prev.v[i], cur.v[i])
				step.Relative = append(step.Relative, rel)
				step.Sigmas = append(step.Sigmas, sig)
				if math.Abs(rel) > BackgroundChangeLimit && math.Abs(sig) > BackgroundChangeSigmas {
					step.Large = true
				}
			}
			ch.Steps = append(ch.Steps, step)
			if !step.Large {
				ch.Terms = n - 1
				return ch, nil
			}
		}
		prev = cur
	}
	ch.Terms = MaxAutoBackgroundTerms
	return ch, nil
}

// pairedChange returns the change of the mean of b against a (pixels
// where both are finite) relative to the mean of a, and in standard
// errors of the mean paired difference.
func pairedChange(a, b, va, vb []float64) (rel, sigmas float64) {
	var n, sa, sd, sd2, svd float64
	for i := range a {
		if math.IsNaN(a[i]) || math.IsNaN(b[i]) {
			continue
		}
		d := b[i] - a[i]
		n++
		sa += a[i]
		sd += d
		sd2 += d * d
		svd += math.Abs(vb[i] - va[i])
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean, md := sa/n, sd/n
	rel = md / math.Abs(mean)
	var se float64
	if n >= 30 {
		se = math.Sqrt(math.Max(sd2/n-md*md, 0) / (n - 1))
	} else {
		se = math.Sqrt(svd/n) / math.Sqrt(n)
	}
	// Equal variances with a single pixel: any change is real; the
	// floor keeps the figure finite for the step's JSON.
	se = math.Max(se, 1e-12*math.Abs(mean))
	if se == 0 || mean == 0 {
		return 0, 0
	}
	return rel, md / se
}

// String is the one-line account of the choice (it ends the plan's
// model description).
func (c *BackgroundChoice) String() string {
	var s []string
	for _, st := range c.Steps {
		w := 0.0
		for i, r := range st.Relative {
			if math.Abs(st.Sigmas[i]) > BackgroundChangeSigmas {
				w = math.Max(w, math.Abs(r))
			}
		}
		s = append(s, fmt.Sprintf("%d->%d %.2g%%", st.From, st.From+1, 100*w))
	}
	if c.Unusable > 0 {
		s = append(s, fmt.Sprintf("%d terms: most pixels not fitted", c.Unusable))
	}
	return fmt.Sprintf("%d terms chosen on %d pixels (largest significant change of an edge amplitude: %s)", c.Terms, c.Pixels, strings.Join(s, ", "))
}
