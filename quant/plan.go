package quant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Methods are the fit methods of Options.Method: ols, wls and nnls solve
// the linear model per pixel (doc/algorithms.md 6.2), lsq
// (Levenberg-Marquardt) and poisson (maximum likelihood) fit models with
// non-linear parameters (6.6, 6.7).
var Methods = []string{"ols", "wls", "nnls", "lsq", "poisson"}

// DefaultBackgroundTerms is the number of power laws of the linear
// background of a model built from elements and edges (the reference's
// ElementalQuantification default).
const DefaultBackgroundTerms = 4

// MaxBackgroundTerms bounds Options.BackgroundTerms.
const MaxBackgroundTerms = 12

// Defaults of the misfit test of the chi-square summary: a pixel whose
// reduced chi-square exceeds DefaultChi2Limit is not described by the
// model; more than DefaultMisfitFraction of such pixels is a misfit.
const (
	DefaultChi2Limit      = 2.0
	DefaultMisfitFraction = 0.1
)

// FineStructure selects the edges that get a fine-structure component and
// its window (doc/algorithms.md 3.12; the reference's ElementalQuantification
// use_fine, fine_intervals and pre_fine).
type FineStructure struct {
	// Elements selects the edges by element symbol (every edge of the
	// element); empty selects every edge of the model.
	Elements []string
	// Widths are the window widths in eV of the entries of Elements (the
	// reference's fine_intervals); empty, or a zero entry, takes Width.
	Widths []float64
	// Width is the window width in eV (0: components.DefaultFineWidth).
	Width float64
	// Pre is how far before the onset the window starts, eV (nil:
	// components.DefaultFinePre).
	Pre *float64
	// Points is the number of interior points of each window (0:
	// components.DefaultFinePoints).
	Points int
	// Bethe constrains each fine structure to add no oscillator strength
	// over its window (Bethe sum rule), one parameter fewer per edge.
	Bethe bool
}

// validate checks the fine-structure options on their own.
func (f *FineStructure) validate() error {
	if len(f.Widths) != 0 && len(f.Widths) != len(f.Elements) {
		return fmt.Errorf("quant: %d fine-structure widths for %d elements", len(f.Widths), len(f.Elements))
	}
	for _, el := range f.Elements {
		if _, err := gos.Element(el); err != nil {
			return fmt.Errorf("quant: fine structure: %w", err)
		}
	}
	for _, w := range append([]float64{f.Width}, f.Widths...) {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("quant: fine-structure width %g eV: must be positive", w)
		}
	}
	if f.Pre != nil && (math.IsNaN(*f.Pre) || math.IsInf(*f.Pre, 0)) {
		return fmt.Errorf("quant: fine-structure start %g eV before the onset: must be finite", *f.Pre)
	}
	if f.Points < 0 || f.Points == 1 && f.Bethe {
		least := 1
		if f.Bethe {
			least = 2
		}
		return fmt.Errorf("quant: %d fine-structure points: must be at least %d", f.Points, least)
	}
	return nil
}

// specs returns the fine_structure components of f for the edges of mf.
func (f *FineStructure) specs(mf *ModelFile) ([]ComponentSpec, error) {
	var out []ComponentSpec
	used := make([]bool, len(f.Elements))
	for _, c := range mf.Components {
		if c.Type != "edge" {
			continue
		}
		width, ok := f.Width, len(f.Elements) == 0
		for i, el := range f.Elements {
			if normSymbol(el) == normSymbol(c.Element) {
				ok, used[i] = true, true
				if len(f.Widths) > 0 && f.Widths[i] > 0 {
					width = f.Widths[i]
				}
			}
		}
		if !ok {
			continue
		}
		out = append(out, ComponentSpec{Type: "fine_structure", Element: c.Element, Edge: c.Edge, Pre: f.Pre, Width: width, Points: f.Points, Bethe: f.Bethe})
	}
	for i, u := range used {
		if !u {
			return nil, fmt.Errorf("quant: fine structure for %s: the model has no edge of that element", f.Elements[i])
		}
	}
	if len(out) == 0 {
		return nil, errors.New("quant: fine structure asked for, but the model has no edges")
	}
	return out, nil
}

func normSymbol(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Options configure a fit or an elemental quantification. The zero value
// is not enough on its own: a model must be given, as Model or as
// Elements and Edges. Every other field has the documented default.
type Options struct {
	// Model describes the model and how to fit it. When nil the model is
	// built from Elements and Edges: a linear background of
	// BackgroundTerms power laws (exponents linspace(1, 5, N)) plus one
	// edge per element, fitted by wls.
	Model *ModelFile
	// Elements are chemical symbols (C, N, O, Fe); Edges the edge of each
	// (K, L, M, a combined shell, or a subshell such as L3).
	Elements, Edges []string
	// BackgroundTerms is the number of power laws of a model built from
	// Elements (1..MaxBackgroundTerms). Zero lets the data choose
	// (BackgroundChoice, doc/algorithms.md 9.1): NewPlanContext fits a
	// sample of the scan with 4 to 9 terms and takes the smallest number
	// beyond which the edge amplitudes no longer change. The reference's
	// default is DefaultBackgroundTerms.
	BackgroundTerms int
	// EstimateOnsets estimates each edge's onset shift (a chemical shift,
	// or a calibration error) on the mean spectrum of a sample of the
	// scan by a non-linear fit, then fits every pixel with the shifts
	// fixed (doc/algorithms.md 9.2), so that the fit stays linear.
	EstimateOnsets bool
	// onsetShifts (eV, one per edge of the model in order) are added to
	// the edges' onset shifts: the estimates of EstimateOnsets.
	onsetShifts []float64
	// FineStructure, when set, adds a linear fine-structure component
	// (the reference's GDOSLin, doc/algorithms.md 3.12) to edges of the
	// model, built from Elements or a model file alike.
	FineStructure *FineStructure

	// E0 (V), Alpha and Beta (rad) override the instrument; nil takes
	// the model file's value, else the input's metadata.
	E0, Alpha, Beta *float64

	// Method is one of Methods; "" takes the model file's, else wls.
	Method string
	// Window is the fit window in eV; nil takes the model file's, else
	// for a quantification the rule of QuantWindow, for a fit (FitOnly)
	// the whole axis.
	Window *[2]float64
	// Exclude lists energy ranges (eV) left out of the fit; nil takes
	// the model file's.
	Exclude [][2]float64
	// NoLowLoss fits without convolving with the pixels' low loss even
	// when the input has one.
	NoLowLoss bool
	// ConvexBackground constrains the linear background to be convex
	// over the fit window (LinearOptions.ConvexBackground; also set by a
	// model file's linear_background with convex = true). Linear methods
	// only.
	ConvexBackground bool
	// GOS is the source of the edges' cross sections; nil is the built-in
	// hydrogenic model. A model file naming a tabulated source needs it
	// opened and given here.
	GOS gos.Source

	// FitOnly writes the fit outputs only: no elemental or composition
	// maps and no summary (the fit command).
	FitOnly bool
	// NoModelCube leaves out the fitted model cube (n values a pixel).
	NoModelCube bool
	// Regions are rectangles of the scan to summarise besides the whole
	// map (and, with Input.Truth, the regions of equal true composition).
	Regions []NamedRegion

	// ScaleErrors multiplies each pixel's uncertainties (the coefficient
	// errors and covariance, the elemental and composition errors) by
	// sqrt(max(1, reduced chi-square)): where the model does not describe
	// the data the CRLB understates the error. The crlb stream keeps the
	// bound itself.
	ScaleErrors bool
	// Chi2Limit is the reduced chi-square above which a pixel counts as
	// not described by the model (default DefaultChi2Limit), and
	// MisfitFraction the fraction of such pixels above which the summary
	// reports a misfit (default DefaultMisfitFraction).
	Chi2Limit, MisfitFraction float64

	// Workers is the number of compute goroutines (0: runtime.GOMAXPROCS(0)).
	Workers int
	// Progress, when set, is called with the tiles done and the total.
	Progress func(done, total int)
	// CheckpointEvery is the interval between checkpoints of outputs that
	// keep them (default 1 s).
	CheckpointEvery time.Duration

	// Part, when set, fits only the tiles of that part of the run (the
	// K-th of N contiguous tile ranges balanced by pixel count,
	// aligners.Part): the others are neither read nor written, and the
	// run ends with the part's running sums (Result.Sums) instead of the
	// mean spectrum and summaries, which Plan.Merge makes from the sums of
	// every part and the merged maps.
	Part Part
	// Prepared, when set, is the model a preparing run resolved
	// (Plan.Prepared): the data-driven choices (background terms, onset
	// shifts) are taken from it instead of being made again on a sample,
	// so that every part of a partitioned run fits the same model. The
	// model options (Model, Elements, Edges, BackgroundTerms,
	// EstimateOnsets, FineStructure) must be those of the preparing run;
	// they are not used.
	Prepared *Prepared
}

// Part selects one part of a partitioned run (aligners.Part).
type Part = aligners.Part

// Prepared is what a preparing run of a partitioned fit or
// quantification resolved once for every part: the model description
// with the instrument, method, window, background terms and onset shifts
// filled in, its one-line description, and how the data-driven choices
// were made (for the provenance). It is JSON.
type Prepared struct {
	Model       *ModelFile        `json:"model_file"`
	Description string            `json:"model"`
	Choice      *BackgroundChoice `json:"background_choice"`
	Onsets      []OnsetEstimate   `json:"onset_estimates"`
}

// Prepared returns the resolved model of the plan, for the parts of a
// partitioned run (Options.Prepared).
func (p *Plan) Prepared() *Prepared {
	mf := p.mf.clone()
	return &Prepared{Model: &mf, Description: p.desc, Choice: p.choice, Onsets: p.onsets}
}

// NamedRegion is a rectangle of the scan to summarise.
type NamedRegion struct {
	Name   string
	Region multispectrum.Region
}

// Validate checks what can be checked without the input: the model
// description, the method, the windows and the regions. NewPlan checks
// everything again against the input's axes.
func (o *Options) Validate() error {
	if o.Model == nil {
		if len(o.Elements) == 0 {
			return errors.New("quant: no model: give a model description or elements and edges")
		}
		if len(o.Elements) != len(o.Edges) {
			return fmt.Errorf("quant: %d elements but %d edges", len(o.Elements), len(o.Edges))
		}
		for _, el := range o.Elements {
			if _, err := gos.Element(el); err != nil {
				return fmt.Errorf("quant: %w", err)
			}
		}
		for i, ed := range o.Edges {
			if _, err := gos.ExpandEdge(o.Elements[i], ed); err != nil {
				return fmt.Errorf("quant: %w", err)
			}
		}
		if o.BackgroundTerms != 0 && (o.BackgroundTerms < 1 || o.BackgroundTerms > MaxBackgroundTerms) {
			return fmt.Errorf("quant: %d background terms: must be 1..%d", o.BackgroundTerms, MaxBackgroundTerms)
		}
	} else if len(o.Elements) != 0 {
		return errors.New("quant: give either a model description or elements, not both")
	}
	if o.Method != "" && !isMethod(o.Method) {
		return fmt.Errorf("quant: fit method %q: use %s", o.Method, strings.Join(Methods, ", "))
	}
	if o.Model != nil && o.Model.Fit.Method != "" && !isMethod(o.Model.Fit.Method) {
		return fmt.Errorf("quant: fit method %q of the model file: use %s", o.Model.Fit.Method, strings.Join(Methods, ", "))
	}
	for _, v := range []struct {
		name string
		x    *float64
		unit string
	}{{"E0", o.E0, "V"}, {"alpha", o.Alpha, "rad"}, {"beta", o.Beta, "rad"}} {
		if v.x != nil && (math.IsNaN(*v.x) || math.IsInf(*v.x, 0) || *v.x < 0) {
			return fmt.Errorf("quant: %s = %g %s: must be a finite, non-negative number", v.name, *v.x, v.unit)
		}
	}
	if o.Window != nil && !(o.Window[1] > o.Window[0]) {
		return fmt.Errorf("quant: fit window %g:%g eV is empty", o.Window[0], o.Window[1])
	}
	for _, r := range o.Exclude {
		if !(r[1] > r[0]) {
			return fmt.Errorf("quant: excluded range %g:%g eV is empty", r[0], r[1])
		}
	}
	for _, r := range o.Regions {
		if r.Name == "" || r.Region.NY <= 0 || r.Region.NX <= 0 || r.Region.Y0 < 0 || r.Region.X0 < 0 {
			return fmt.Errorf("quant: region %q %v: needs a name and a non-empty rectangle", r.Name, r.Region)
		}
	}
	if o.Workers < 0 {
		return fmt.Errorf("quant: %d workers", o.Workers)
	}
	if o.FineStructure != nil {
		if err := o.FineStructure.validate(); err != nil {
			return err
		}
	}
	if o.Chi2Limit < 0 || math.IsNaN(o.Chi2Limit) || o.MisfitFraction < 0 || o.MisfitFraction > 1 || math.IsNaN(o.MisfitFraction) {
		return fmt.Errorf("quant: chi-square limit %g and misfit fraction %g: want a limit >= 0 and a fraction in [0, 1]", o.Chi2Limit, o.MisfitFraction)
	}
	return nil
}

func isMethod(m string) bool {
	for _, x := range Methods {
		if m == x {
			return true
		}
	}
	return false
}

// Input is the spectrum image to fit: a source of tiles and what it
// holds.
type Input struct {
	// Source fills stream 0 of a tile with the core loss (CoreLoss.Size
	// values a pixel) and, when LowLoss is set, stream 1 with the low loss.
	Source multispectrum.Source
	NY, NX int
	// CoreLoss is the core-loss axis; LowLoss the low-loss axis, nil when
	// there is no low loss.
	CoreLoss multispectrum.EnergyAxis
	LowLoss  *multispectrum.EnergyAxis
	// Tile is the tile size (rows, columns); zero takes 32 x 32. A file's
	// chunk shape is the best choice.
	Tile [2]int
	// Instrument supplies E0, alpha and beta the options and model file
	// leave unset.
	Instrument multispectrum.Instrument
	// Truth, when set, holds per pixel the true amount of each edge's
	// element (a simulation's truth maps, one value per edge): the
	// summary then adds the regions of equal true composition with the
	// recovered amplitude ratios.
	Truth *multispectrum.Array
}

// CubeInput is the Input of in-memory cubes; low may be nil.
func CubeInput(core, low *multispectrum.Cube, inst multispectrum.Instrument) Input {
	in := Input{NY: core.NY, NX: core.NX, CoreLoss: core.Axis, Instrument: inst}
	src := multispectrum.ArraySource{&core.Array}
	if low != nil {
		ax := low.Axis
		in.LowLoss = &ax
		src = append(src, &low.Array)
	}
	in.Source = src
	return in
}

// EdgeRef locates an edge's amplitude among the free parameters.
type EdgeRef struct {
	Label   string // "C K"
	Element string // "C"
	Edge    string // "K"
	Param   int    // index of the amplitude among the free parameters
	// Fine lists the free parameters of the edge's fine structure (none
	// without one). They are not part of the amplitude, but the
	// amplitude's covariance accounts for them.
	Fine []int
}

// Plan is a validated fit or quantification of one input: the model, the
// fitter, the channels used and the output streams. Make one with
// NewPlan; it runs with Run. A Plan is read-only once made and can run
// once.
type Plan struct {
	opts  Options
	in    Input
	mf    *ModelFile // resolved: instrument, method, window, GOS
	desc  string
	model *components.Model
	fit   Fitter
	names []string
	edges []EdgeRef
	mask  multispectrum.Mask
	// ranges are the fit window and exclusions in eV, for provenance.
	ranges  [][2]float64
	useLL   bool
	streams []Stream
	index   [numStreams]int
	width   [numStreams]int
	tiling  multispectrum.Tiling
	units   string // of the elemental maps
	long    string
	choice  *BackgroundChoice
	onsets  []OnsetEstimate
	// first, end are the tiles of Options.Part (all for a whole run).
	first, end int
}

// NewPlan resolves the options against the input and checks everything
// a run needs before anything is written: the model (elements, edges,
// cross sections), the instrument, the window (every edge's onset inside
// it), the method and the regions. It is NewPlanContext without a
// deadline.
func NewPlan(in Input, opts Options) (*Plan, error) {
	return NewPlanContext(context.Background(), in, opts)
}

// NewPlanContext is NewPlan. When the options leave a choice to the data
// (BackgroundTerms = 0 for a model built from Elements, EstimateOnsets)
// it first checks the options, then reads a sample of the scan (at most
// MaxSamplePixels pixels on a regular grid) and fits it to make the
// choice (doc/algorithms.md 9.1, 9.2), which the plan records
// (BackgroundChoice, Onsets, Params).
func NewPlanContext(ctx context.Context, in Input, opts Options) (*Plan, error) {
	if err := opts.Validate(); err != nil {
		return nil, &OptionError{err}
	}
	if pr := opts.Prepared; pr != nil {
		if pr.Model == nil {
			return nil, &OptionError{errors.New("quant: the prepared model is empty")}
		}
		po := opts
		po.Model, po.Elements, po.Edges, po.BackgroundTerms, po.EstimateOnsets, po.FineStructure, po.onsetShifts = pr.Model, nil, nil, 0, false, nil, nil
		p, err := newPlan(in, po)
		if err != nil {
			return nil, err
		}
		p.desc, p.choice, p.onsets = pr.Description, pr.Choice, pr.Onsets
		return p, nil
	}
	auto := opts.Model == nil && opts.BackgroundTerms == 0
	if !auto && !opts.EstimateOnsets {
		return newPlan(in, opts)
	}
	// Everything but the choice is checked first, on a fixed choice.
	check := opts
	check.EstimateOnsets = false
	if auto {
		check.BackgroundTerms = DefaultBackgroundTerms
	}
	p, err := newPlan(in, check)
	if err != nil {
		return nil, err
	}
	var window *[2]float64
	if w := p.mf.Fit.Window; len(w) == 2 {
		window = &[2]float64{w[0], w[1]}
	}
	s, err := samplePixels(ctx, in, p.Workers())
	if err != nil {
		return nil, err
	}
	var onsets []OnsetEstimate
	if opts.EstimateOnsets {
		eo := opts
		if auto {
			eo.BackgroundTerms = MaxAutoBackgroundTerms
		}
		if onsets, err = estimateOnsets(ctx, s, eo, in.Instrument, window); err != nil {
			return nil, err
		}
		for _, e := range onsets {
			opts.onsetShifts = append(opts.onsetShifts, e.Shift)
		}
	}
	var choice *BackgroundChoice
	if auto {
		if choice, err = chooseBackgroundTerms(ctx, s, opts, in.Instrument, window); err != nil {
			return nil, err
		}
		opts.BackgroundTerms = choice.Terms
	}
	if p, err = newPlan(in, opts); err != nil {
		return nil, err
	}
	p.choice, p.onsets = choice, onsets
	if choice != nil {
		p.desc += "; " + choice.String()
	}
	if len(onsets) > 0 {
		var d []string
		for _, e := range onsets {
			d = append(d, fmt.Sprintf("%s %+.2f eV", e.Edge, e.Shift))
		}
		p.desc += "; onset shifts estimated on the sample: " + strings.Join(d, ", ")
	}
	return p, nil
}

func newPlan(in Input, opts Options) (*Plan, error) {
	if in.NY <= 0 || in.NX <= 0 {
		return nil, fmt.Errorf("quant: the input scan is %dx%d", in.NY, in.NX)
	}
	if err := in.CoreLoss.Validate(); err != nil {
		return nil, fmt.Errorf("quant: core-loss axis: %w", err)
	}
	if in.Source == nil {
		return nil, errors.New("quant: the input has no source")
	}
	mf, desc, err := resolveModel(opts, in.Instrument)
	if err != nil {
		return nil, &OptionError{err}
	}
	p := &Plan{opts: opts, in: in, mf: mf, desc: desc}
	p.useLL = !opts.NoLowLoss && (mf.Fit.LowLoss == nil || *mf.Fit.LowLoss)
	if p.useLL && in.LowLoss == nil {
		return nil, ErrNoLowLoss
	}
	if !opts.FitOnly && opts.Window == nil && len(mf.Fit.Window) == 0 {
		if w := QuantWindow(mf, in.CoreLoss); w != nil {
			mf.Fit.Window = w[:]
		}
	}
	src := opts.GOS
	if src == nil {
		src = gos.Hydrogenic()
	}
	if mf.GOS.Source != "" && mf.GOS.Source != src.Name() {
		return nil, fmt.Errorf("quant: the model asks for the %s GOS but the source given is %s", mf.GOS.Source, src.Name())
	}
	cache := gos.NewCache()
	p.model, err = mf.Build(in.CoreLoss, src, cache)
	if err != nil {
		var ce *ComponentError
		if errors.As(err, &ce) && ce.Type == "fine_structure" {
			return nil, &OptionError{err} // its window or points, not the data
		}
		return nil, err
	}
	p.mask, p.ranges, err = fitMask(mf, opts, in.CoreLoss)
	if err != nil {
		return nil, &OptionError{err}
	}
	if err := edgesInWindow(p.model, p.mask, in.CoreLoss); err != nil {
		return nil, &OptionError{err}
	}
	var llAxis *multispectrum.EnergyAxis
	if p.useLL {
		llAxis = in.LowLoss
	}
	switch mf.Fit.Method {
	case "ols", "wls", "nnls":
		m := fitters.Method(mf.Fit.Method)
		p.fit, err = NewLinearEngine(p.model, LinearOptions{Method: m, Weights: m != fitters.OLS, Mask: p.mask, LowLoss: llAxis,
			ConvexBackground: p.convex()})
	case "lsq", "poisson":
		if p.convex() {
			return nil, &OptionError{errors.New("quant: a convex background needs a linear method (ols, wls or nnls)")}
		}
		build := func() (*components.Model, error) { return mf.Build(in.CoreLoss, src, cache) }
		obj := fitters.LeastSquares
		if mf.Fit.Method == "poisson" {
			obj = fitters.PoissonML
		}
		p.fit, err = NewNonLinearEngine(build, NonLinearOptions{Objective: obj, Weighted: true, Mask: p.mask, LowLoss: llAxis})
	default:
		err = fmt.Errorf("quant: fit method %q: use %s", mf.Fit.Method, strings.Join(Methods, ", "))
	}
	if err != nil {
		return nil, err
	}
	p.names = p.fit.ParamNames()
	p.edges = edgeRefs(p.model)
	if !opts.FitOnly && len(p.edges) == 0 {
		return nil, errors.New("quant: the model has no edges to quantify")
	}
	for _, r := range opts.Regions {
		if r.Region.Y0+r.Region.NY > in.NY || r.Region.X0+r.Region.NX > in.NX {
			return nil, &OptionError{fmt.Errorf("quant: region %s %v is outside the %dx%d scan", r.Name, r.Region, in.NY, in.NX)}
		}
	}
	p.units, p.long = "edge amplitude A (counts eV per barn)", "edge amplitude"
	if p.useLL {
		p.units, p.long = "atoms/nm^2", "areal density"
	}
	np, n, ne := len(p.names), in.CoreLoss.Size, len(p.edges)
	widths := [numStreams]int{StreamCoefficients: np, StreamCoefficientErrors: np, StreamCRLB: np, StreamCovariance: np * (np + 1) / 2,
		StreamChi2: 1, StreamStatus: 1, StreamCondition: 1, StreamModel: n, StreamElements: ne, StreamElementErrors: ne, StreamComposition: ne, StreamCompositionErrors: ne}
	for s := range p.index {
		p.index[s] = -1
	}
	for _, s := range AllStreams() {
		if s == StreamModel && opts.NoModelCube || s >= StreamElements && opts.FitOnly {
			continue
		}
		p.index[s] = len(p.streams)
		p.width[s] = widths[s]
		p.streams = append(p.streams, s)
	}
	ty, tx := in.Tile[0], in.Tile[1]
	if ty <= 0 || tx <= 0 {
		ty, tx = 32, 32
	}
	p.tiling = multispectrum.NewTiling(in.NY, in.NX, min(ty, in.NY), min(tx, in.NX))
	if p.first, p.end, err = opts.Part.Tiles(p.tiling); err != nil {
		return nil, &OptionError{fmt.Errorf("quant: %w", err)}
	}
	return p, nil
}

// OptionError is an error of NewPlan caused by the options (or the model
// file) rather than by the data: a bad model description, an instrument
// parameter out of range or unknown, a window outside the axis, an edge
// outside the window, a region outside the scan. Callers that take the
// options from a user report these as usage errors.
type OptionError struct{ Err error }

func (e *OptionError) Error() string { return e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// ErrNoLowLoss is returned by NewPlan when the model convolves with the
// low loss but the input has none (Options.NoLowLoss fits without it).
var ErrNoLowLoss = errors.New("quant: the input has no low loss to convolve with")

// resolveModel makes the model description of the options: the model
// file or a model built from elements and edges, with the instrument
// from the options, else the model file, else the metadata.
func resolveModel(o Options, inst multispectrum.Instrument) (*ModelFile, string, error) {
	var mf ModelFile
	desc := "model file"
	if o.Model != nil {
		mf = o.Model.clone()
	} else {
		terms := o.BackgroundTerms
		if terms == 0 {
			terms = DefaultBackgroundTerms
		}
		mf.Fit.Method = "wls"
		mf.Components = append(mf.Components, ComponentSpec{Type: "linear_background", Linspace: []float64{1, 5, float64(terms)}})
		var s []string
		for i, el := range o.Elements {
			mf.Components = append(mf.Components, ComponentSpec{Type: "edge", Element: el, Edge: o.Edges[i]})
			s = append(s, el+" "+o.Edges[i])
		}
		desc = fmt.Sprintf("linear background (%d terms) + %s", terms, strings.Join(s, ", "))
	}
	if len(o.onsetShifts) > 0 {
		k := 0
		for i, c := range mf.Components {
			if c.Type != "edge" {
				continue
			}
			if k >= len(o.onsetShifts) {
				return nil, "", errors.New("quant: more edges than estimated onset shifts")
			}
			// The edge's shift parameter (held fixed) moves the edge by
			// interpolation, so that sub-channel shifts count; the
			// onset_shift of a model file moves the tabulated onset and
			// acts in whole channels.
			vals := map[string]float64{}
			for name, v := range c.Values {
				vals[name] = v
			}
			vals["shift"] += o.onsetShifts[k]
			mf.Components[i].Values = vals
			k++
		}
	}
	if f := o.FineStructure; f != nil {
		fs, err := f.specs(&mf)
		if err != nil {
			return nil, "", err
		}
		mf.Components = append(mf.Components, fs...)
		var s []string
		for _, c := range fs {
			fo := c.FineOptions()
			s = append(s, fmt.Sprintf("%s %s (%g eV)", c.Element, c.Edge, fo.Width))
		}
		fo := fs[0].FineOptions()
		bethe := ""
		if f.Bethe {
			bethe = ", Bethe-constrained"
		}
		desc += fmt.Sprintf(" + fine structure on %s from %g eV before the onset, %d points%s", strings.Join(s, ", "), fo.Pre, fo.Points, bethe)
	}
	pick := func(opt *float64, file, meta float64) float64 {
		switch {
		case opt != nil:
			return *opt
		case file != 0:
			return file
		}
		return meta
	}
	mf.Instrument.E0 = pick(o.E0, mf.Instrument.E0, inst.BeamEnergy)
	mf.Instrument.Beta = pick(o.Beta, mf.Instrument.Beta, inst.Collection)
	mf.Instrument.Alpha = pick(o.Alpha, mf.Instrument.Alpha, inst.Convergence)
	if math.IsNaN(mf.Instrument.Alpha) {
		mf.Instrument.Alpha = 0
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"E0", mf.Instrument.E0}, {"beta", mf.Instrument.Beta}} {
		if math.IsNaN(v.x) || v.x == 0 {
			return nil, "", &UnknownInstrumentError{Name: v.name}
		}
	}
	if err := mf.Setup().Validate(); err != nil {
		return nil, "", fmt.Errorf("quant: %w", err)
	}
	if o.Method != "" {
		mf.Fit.Method = o.Method
	}
	if mf.Fit.Method == "" {
		mf.Fit.Method = "wls"
	}
	if o.GOS != nil {
		mf.GOS.Source = o.GOS.Name()
	} else if mf.GOS.Source == "" {
		mf.GOS.Source = "hydrogenic"
	}
	return &mf, desc, nil
}

// UnknownInstrumentError says that an instrument parameter is neither in
// the options, the model file nor the input's metadata.
type UnknownInstrumentError struct {
	Name string // "E0" or "beta"
}

func (e *UnknownInstrumentError) Error() string {
	return fmt.Sprintf("quant: %s is not known (the input has no instrument metadata for it)", e.Name)
}

// clone copies the model file deeply enough that resolving it leaves the
// caller's untouched.
func (mf *ModelFile) clone() ModelFile {
	c := *mf
	c.Fit.Window = append([]float64(nil), mf.Fit.Window...)
	c.Fit.Exclude = append([][2]float64(nil), mf.Fit.Exclude...)
	c.Components = append([]ComponentSpec(nil), mf.Components...)
	return c
}

// QuantWindow is the fit window rule of a quantification: from 100 eV
// below the lowest edge onset to 500 eV above the highest, within the
// axis, so that the background is pinned down before the first edge and
// every edge keeps its extended fine-structure region. It returns nil for
// a model without edges.
func QuantWindow(mf *ModelFile, axis multispectrum.EnergyAxis) *[2]float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range mf.Components {
		if c.Type != "edge" {
			continue
		}
		subs, err := gos.ExpandEdge(c.Element, c.Edge)
		if err != nil || len(subs) == 0 {
			continue
		}
		on := subs[0].Onset + c.Onset
		lo, hi = math.Min(lo, on), math.Max(hi, on)
	}
	if math.IsInf(lo, 0) {
		return nil
	}
	return &[2]float64{math.Max(axis.Offset, lo-100), math.Min(axis.Last()+axis.Dispersion, hi+500)}
}

// fitMask builds the channel mask of the fit window and exclusions and
// returns them in eV.
func fitMask(mf *ModelFile, o Options, axis multispectrum.EnergyAxis) (multispectrum.Mask, [][2]float64, error) {
	mask := multispectrum.NewMask(axis.Size)
	var ranges [][2]float64
	win := mf.Fit.Window
	if o.Window != nil {
		win = o.Window[:]
	}
	if len(win) == 2 {
		if !(win[1] > win[0]) || win[1] <= axis.Offset || win[0] >= axis.Last() {
			return nil, nil, &WindowError{Lo: win[0], Hi: win[1], Axis: axis}
		}
		mask.Exclude(0, axis.Index(win[0]))
		mask.Exclude(min(axis.Index(win[1]), axis.Size), axis.Size)
		ranges = append(ranges, [2]float64{win[0], win[1]})
	} else if len(win) != 0 {
		return nil, nil, errors.New("quant: the fit window must be [lo, hi]")
	}
	ex := mf.Fit.Exclude
	if o.Exclude != nil {
		ex = o.Exclude
	}
	for _, r := range ex {
		if !(r[1] > r[0]) {
			return nil, nil, fmt.Errorf("quant: excluded range %g:%g eV is empty", r[0], r[1])
		}
		mask.Exclude(axis.Index(r[0]), axis.Index(r[1]))
	}
	return mask, append(ranges, ex...), nil
}

// WindowError is a fit window that is empty or outside the axis.
type WindowError struct {
	Lo, Hi float64 // eV
	Axis   multispectrum.EnergyAxis
}

func (e *WindowError) Error() string {
	return fmt.Sprintf("quant: fit window %g:%g eV is empty or outside the axis %g..%g eV", e.Lo, e.Hi, e.Axis.Offset, e.Axis.Last())
}

// EdgeOutsideError is an edge whose onset lies outside the channels the
// fit uses: there are no data to determine it.
type EdgeOutsideError struct {
	Edge   string  // "Fe L"
	Onset  float64 // eV
	Lo, Hi float64 // energies of the first and last channel used, eV
}

func (e *EdgeOutsideError) Error() string {
	return fmt.Sprintf("quant: the %s edge (onset %g eV) lies outside the fit window %g..%g eV", e.Edge, e.Onset, e.Lo, e.Hi)
}

// edgesInWindow checks that every edge's onset lies inside the channels
// the fit uses.
func edgesInWindow(m *components.Model, mask multispectrum.Mask, axis multispectrum.EnergyAxis) error {
	lo, hi := -1, -1
	for i, ex := range mask {
		if !ex {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	for _, c := range m.Components {
		e, ok := c.(*components.CoreLossEdge)
		if !ok {
			continue
		}
		on := e.Edge().Onset
		if lo < 0 || on < axis.Energy(lo) || on >= axis.Energy(hi) {
			return &EdgeOutsideError{Edge: e.Name(), Onset: on, Lo: axis.Energy(max(lo, 0)), Hi: axis.Energy(max(hi, 0))}
		}
	}
	// Every free point of a fine structure needs channels to fit it.
	buf := make([]float64, axis.Size)
	for _, c := range m.Components {
		f, ok := c.(*components.FineStructure)
		if !ok {
			continue
		}
		for k, prm := range f.Parameters() {
			if !prm.Free() || !f.Gradient(buf, k) {
				continue
			}
			used := false
			for i, v := range buf {
				if v != 0 && !mask[i] {
					used = true
					break
				}
			}
			if !used {
				a, b := f.Window()
				return fmt.Errorf("quant: the %s (%.6g..%.6g eV) extends outside the channels the fit uses: its parameter %s has no data; narrow it or widen the fit window", f.Name(), a, b, prm.Name)
			}
		}
	}
	return nil
}

// edgeRefs returns the positions, among the free parameters, of the edge
// amplitudes and of their fine structures' parameters. Only an edge's A is
// its amplitude.
func edgeRefs(m *components.Model) []EdgeRef {
	var refs []EdgeRef
	at := map[*components.CoreLossEdge]int{}
	fine := map[*components.CoreLossEdge][]int{}
	k := 0
	for _, c := range m.Components {
		for pi, p := range c.Parameters() {
			if !p.Free() {
				continue
			}
			switch e := c.(type) {
			case *components.CoreLossEdge:
				if pi == components.EdgeA {
					ed := e.Edge()
					at[e] = len(refs)
					refs = append(refs, EdgeRef{Label: e.Name(), Element: ed.Element, Edge: ed.Edge, Param: k})
				}
			case *components.FineStructure:
				fine[e.Edge()] = append(fine[e.Edge()], k)
			}
			k++
		}
	}
	for e, ks := range fine {
		if i, ok := at[e]; ok {
			refs[i].Fine = ks
		}
	}
	return refs
}

// Streams returns the output streams of the run, in tile order.
func (p *Plan) Streams() []Stream { return p.streams }

// Index returns the position of s in Streams, or -1 when the run does
// not produce it.
func (p *Plan) Index(s Stream) int {
	if s < 0 || s >= numStreams {
		return -1
	}
	return p.index[s]
}

// Width returns the values per pixel of stream s (0 when absent).
func (p *Plan) Width(s Stream) int {
	if p.Index(s) < 0 {
		return 0
	}
	return p.width[s]
}

// Names returns the free parameter names, in coefficient order
// ("LinearBackground.a0", "C K.A", ...).
func (p *Plan) Names() []string { return p.names }

// Edges returns the edges of the model with the positions of their
// amplitudes, in model order (the order of the elemental maps).
func (p *Plan) Edges() []EdgeRef { return p.edges }

// Labels returns the edge labels ("C K", ...), the component names of the
// elemental and composition maps.
func (p *Plan) Labels() []string {
	out := make([]string, len(p.edges))
	for i, e := range p.edges {
		out[i] = e.Label
	}
	return out
}

// Amplitude returns the index among the free parameters of the amplitude
// of an element's edge (edge as given in the model, e.g. "K" or "L").
func (p *Plan) Amplitude(element, edge string) (int, bool) {
	for _, e := range p.edges {
		if strings.EqualFold(e.Element, element) && strings.EqualFold(e.Edge, edge) {
			return e.Param, true
		}
	}
	return -1, false
}

// Model returns the model on the core-loss axis.
func (p *Plan) Model() *components.Model { return p.model }

// ModelFile returns the resolved model description (instrument, method,
// window and GOS filled in); it reproduces the model.
func (p *Plan) ModelFile() *ModelFile { return p.mf }

// Description describes the model in one line.
func (p *Plan) Description() string { return p.desc }

// Method returns the fit method.
func (p *Plan) Method() string { return p.mf.Fit.Method }

// UsesLowLoss reports whether edges are convolved with the low loss.
func (p *Plan) UsesLowLoss() bool { return p.useLL }

// Axis returns the core-loss axis.
func (p *Plan) Axis() multispectrum.EnergyAxis { return p.in.CoreLoss }

// Scan returns the scan size (rows, columns).
func (p *Plan) Scan() (ny, nx int) { return p.in.NY, p.in.NX }

// Tiling returns the tiles of the run.
func (p *Plan) Tiling() multispectrum.Tiling { return p.tiling }

// Part returns the part of the run (the zero Part for a whole run) and
// its tiles [first, end) of Tiling.
func (p *Plan) Part() (part Part, first, end int) { return p.opts.Part, p.first, p.end }

// ElementUnits returns the units and long name of the elemental maps.
func (p *Plan) ElementUnits() (units, long string) { return p.units, p.long }

// Quantifies reports whether the run makes elemental maps and a summary.
func (p *Plan) Quantifies() bool { return !p.opts.FitOnly }

// SumsLen is the length of the running sums a checkpoint stores.
func (p *Plan) SumsLen() int { return newMeanSums(len(p.names), p.in.CoreLoss.Size).len() }

// Workers returns the number of compute goroutines of the run.
func (p *Plan) Workers() int {
	if p.opts.Workers > 0 {
		return p.opts.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Params returns the plan's parameters for a step's provenance.
func (p *Plan) Params() map[string]any {
	return map[string]any{"model": p.desc, "model_file": p.mf, "method": p.mf.Fit.Method,
		"convex_background": p.convex(), "parameters": p.names, "gos": p.mf.GOS.Source, "gos_reference": p.source().Reference(), "lowloss": p.useLL,
		"fit_ranges_eV": p.ranges, "channels_used": p.mask.Included(), "E0_V": p.mf.Instrument.E0,
		"alpha_rad": p.mf.Instrument.Alpha, "beta_rad": p.mf.Instrument.Beta,
		"scale_errors": p.opts.ScaleErrors, "chi2_limit": p.chi2Limit(), "misfit_fraction": p.misfitFraction(),
		"background_terms": p.BackgroundTerms(), "background_choice": p.choice, "onset_estimates": p.onsets}
}

// BackgroundTerms returns the number of power laws of the model's linear
// background (0 when it has none).
func (p *Plan) BackgroundTerms() int {
	n := 0
	for _, c := range p.mf.Components {
		if c.Type != "linear_background" {
			continue
		}
		if len(c.Linspace) == 3 {
			n += int(c.Linspace[2])
		} else {
			n += len(c.Exponents)
		}
	}
	return n
}

// BackgroundChoice returns how the number of background terms was chosen
// (Options.BackgroundTerms = 0), or nil when it was given.
func (p *Plan) BackgroundChoice() *BackgroundChoice { return p.choice }

// Onsets returns the onset shifts estimated on the mean spectrum
// (Options.EstimateOnsets), or nil.
func (p *Plan) Onsets() []OnsetEstimate { return p.onsets }

// chi2Limit and misfitFraction are the misfit test's thresholds.
func (p *Plan) chi2Limit() float64 {
	if p.opts.Chi2Limit > 0 {
		return p.opts.Chi2Limit
	}
	return DefaultChi2Limit
}

func (p *Plan) misfitFraction() float64 {
	if p.opts.MisfitFraction > 0 {
		return p.opts.MisfitFraction
	}
	return DefaultMisfitFraction
}

// ScalesErrors reports whether the uncertainties are scaled by
// sqrt(max(1, reduced chi-square)) (Options.ScaleErrors).
func (p *Plan) ScalesErrors() bool { return p.opts.ScaleErrors }

func (p *Plan) source() gos.Source {
	if p.opts.GOS != nil {
		return p.opts.GOS
	}
	return gos.Hydrogenic()
}

// NumParams returns the number of free parameters.
func (p *Plan) NumParams() int { return len(p.names) }

// convex reports whether the background is constrained to be convex:
// by the options or by a model file's linear_background.
func (p *Plan) convex() bool {
	if p.opts.ConvexBackground {
		return true
	}
	for _, c := range p.mf.Components {
		if c.Type == "linear_background" && c.Convex {
			return true
		}
	}
	return false
}
