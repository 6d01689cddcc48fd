package quant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Destination receives the outputs of a run. Begin is called once, with
// the validated plan, before the first tile; a processing file creates
// its step and datasets there (h5io.FitStepDestination), memory its
// arrays (Memory).
type Destination interface {
	Begin(p *Plan) (Output, error)
}

// Output stores the streams of one run.
type Output interface {
	// WriteTile stores tile.Out[k] as stream Plan.Streams()[k]; it is
	// called from one goroutine only.
	multispectrum.Sink
	// Resume returns which tiles an interrupted earlier run has written
	// and its running sums, or nil, nil for a new run.
	Resume() (done []bool, sums []float64, err error)
	// Checkpoint records the tiles written and the running sums; it is
	// called from the goroutine that writes tiles, every
	// Options.CheckpointEvery, and when a run stops early.
	Checkpoint(done []bool, sums []float64) error
	// ReadStream reads a whole stream back (ny x nx x width), for the
	// summary of a quantification.
	ReadStream(s Stream) (*multispectrum.Array, error)
	// Finish is called once every tile is written, with the result; a
	// file writes the mean spectrum and the summary and commits there.
	Finish(r *Result) error
}

// RegionReader is implemented by an Output that reads a region of a
// stream back (a file): the summary then reads the coefficient and
// covariance streams in strips of rows, so that its memory does not grow
// with their p(p+3)/2 values per pixel times the scan.
type RegionReader interface {
	ReadStreamRegion(s Stream, r multispectrum.Region) (*multispectrum.Array, error)
}

// Result describes a finished run.
type Result struct {
	Plan *Plan
	// Spectra is the number of pixels fitted.
	Spectra int
	// Mean is the mean over the fitted pixels of the data, the model, the
	// background and each edge; nil when no pixel could be fitted.
	Mean *MeanSpectrum
	// Summary is the quantification summary (nil for a fit).
	Summary *Summary
	// Chi2 summarises the reduced chi-square of the pixels, for a fit and
	// a quantification alike (the summary holds it too).
	Chi2 *Chi2Summary
	// Resumed tiles were written by an earlier, interrupted run.
	Resumed int
	// Sums are the running sums of a part of a partitioned run
	// (Options.Part) over its pixels, which Plan.Merge adds up; a part
	// has no Mean, Summary or Chi2. Nil for a whole run.
	Sums []float64
}

// Run quantifies every pixel of the input (the ElementalQuantification
// workflow, doc/algorithms.md 9): it makes the plan of opts (NewPlan),
// fits the model to each pixel with the plan's engine, computes the CRLB
// and covariance, the areal densities and the composition with
// uncertainties propagated from the full covariance, and the mean
// spectrum, streaming tile by tile into dst; then it summarises the maps
// over the whole scan and the regions. With opts.FitOnly it writes the
// fit outputs only.
func Run(ctx context.Context, in Input, dst Destination, opts Options) (*Result, error) {
	p, err := NewPlanContext(ctx, in, opts)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, dst)
}

// Run runs the plan into dst.
func (p *Plan) Run(ctx context.Context, dst Destination) (*Result, error) {
	out, err := dst.Begin(p)
	if err != nil {
		return nil, err
	}
	tl := p.tiling
	n := p.in.CoreLoss.Size
	lay := multispectrum.Layout{In: []int{n}}
	if p.in.LowLoss != nil { // read even when the model does not convolve: the source fills it
		lay.In = append(lay.In, p.in.LowLoss.Size)
	}
	for _, s := range p.streams {
		lay.Out = append(lay.Out, p.width[s])
	}
	sums := newMeanSums(len(p.names), n)
	lay.Aux = sums.len()
	done := make([]bool, tl.Len())
	res := &Result{Plan: p, Spectra: p.in.NY * p.in.NX}
	part := !p.opts.Part.Whole()
	if part {
		res.Spectra = 0
		for i := p.first; i < p.end; i++ {
			res.Spectra += tl.Region(i).Pixels()
		}
	}
	d, s, err := out.Resume()
	if err != nil {
		return nil, err
	}
	if d != nil {
		if len(d) != len(done) || len(s) != len(sums.v) {
			return nil, errResumeShape
		}
		copy(done, d)
		copy(sums.v, s)
		for _, x := range done {
			if x {
				res.Resumed++
			}
		}
	}
	every := p.opts.CheckpointEvery
	if every <= 0 {
		every = time.Second
	}
	sink := &checkpointSink{out: out, sums: sums, done: done, every: every, last: time.Now()}
	k := newKernel(p)
	first, end := p.first, p.end
	// In tiling order, so that the running sums of the mean spectrum are
	// added in the same order on every run.
	popts := []multispectrum.ProcessOption{multispectrum.Workers(p.Workers()), multispectrum.InOrder(),
		multispectrum.Skip(func(i int) bool { return done[i] || i < first || i >= end })}
	if p.opts.Progress != nil {
		popts = append(popts, multispectrum.Progress(p.opts.Progress))
	}
	err = multispectrum.Process(ctx, p.in.Source, sink, tl, lay, k.newWorker, k.tile, popts...)
	if err != nil {
		// Keep what was written: an interrupted run continues from here.
		out.Checkpoint(done, sums.v)
		return nil, err
	}
	if part {
		res.Sums = sums.v
	} else if err := p.finishSummaries(res, out, sums); err != nil {
		return nil, err
	}
	if err := out.Finish(res); err != nil {
		return nil, err
	}
	return res, nil
}

// finishSummaries fills in the mean spectrum from the running sums and
// the chi-square summary and quantification summary from the streams
// read back.
func (p *Plan) finishSummaries(res *Result, out Output, sums *meanSums) error {
	var err error
	res.Mean = p.meanSpectrum(sums)
	if res.Chi2, err = p.chi2Summary(out); err != nil {
		return err
	}
	if !p.opts.FitOnly {
		if res.Summary, err = p.summarize(out); err != nil {
			return err
		}
		res.Summary.Chi2 = res.Chi2
	}
	return nil
}

// Merge finishes a partitioned run from its parts without fitting
// anything: dst begins the step as for a whole run (a processing file
// maps each stream onto the parts' datasets), the running sums of the
// parts (Result.Sums of each, in part order) are added into the mean
// spectrum, and the chi-square summary and the quantification summary are
// made from the streams read back through dst, as a whole run makes
// them. p is the plan of the whole run (no Options.Part) with the
// preparing run's model (Options.Prepared). The per-pixel streams equal
// a whole run's bit for bit; the summaries too, since they are computed
// from the maps; the mean spectrum to rounding (the parts' sums are
// added in another order than a whole run's tiles).
func (p *Plan) Merge(dst Destination, parts [][]float64) (*Result, error) {
	if !p.opts.Part.Whole() {
		return nil, errors.New("quant: merge the parts with the plan of the whole run")
	}
	sums := newMeanSums(len(p.names), p.in.CoreLoss.Size)
	for k, s := range parts {
		if len(s) != len(sums.v) {
			return nil, fmt.Errorf("quant: part %d has %d running sums, the plan %d", k+1, len(s), len(sums.v))
		}
		multispectrum.AddTo(sums.v, s)
	}
	out, err := dst.Begin(p)
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: p, Spectra: p.in.NY * p.in.NX}
	if err := p.finishSummaries(res, out, sums); err != nil {
		return nil, err
	}
	if err := out.Finish(res); err != nil {
		return nil, err
	}
	return res, nil
}

var errResumeShape = errors.New("quant: the state of the interrupted run does not match this plan")

// meanSums are the running sums over all fitted pixels of the data, the
// model and each parameter's contribution: [data (n) | model (n) |
// parts (p n) | pixel count]. Workers put each tile's sums in Tile.Aux
// and the writing goroutine adds them when it writes the tile, so the
// sums always match the tiles written (and a checkpoint).
type meanSums struct {
	p, n int
	v    []float64
}

func newMeanSums(p, n int) *meanSums { return &meanSums{p: p, n: n, v: make([]float64, (p+2)*n+1)} }

func (a *meanSums) len() int         { return len(a.v) }
func (a *meanSums) data() []float64  { return a.v[:a.n] }
func (a *meanSums) model() []float64 { return a.v[a.n : 2*a.n] }
func (a *meanSums) parts() []float64 { return a.v[2*a.n : (2+a.p)*a.n] }
func (a *meanSums) count() int       { return int(a.v[len(a.v)-1]) }

// checkpointSink writes tiles, adds their sums, marks them done and
// checkpoints every interval.
type checkpointSink struct {
	out   Output
	sums  *meanSums
	done  []bool
	every time.Duration
	last  time.Time
}

func (s *checkpointSink) WriteTile(t *multispectrum.Tile) error {
	if err := s.out.WriteTile(t); err != nil {
		return err
	}
	multispectrum.AddTo(s.sums.v, t.Aux)
	s.done[t.Index] = true
	if time.Since(s.last) >= s.every {
		s.last = time.Now()
		return s.out.Checkpoint(s.done, s.sums.v)
	}
	return nil
}

// Curve is one named spectrum on the core-loss axis.
type Curve struct {
	Name     string // dataset-safe name: data, model, background, C_K, ...
	LongName string
	Values   []float64
}

// MeanSpectrum is the mean over the fitted pixels of the data, the model,
// the background (the unconvolved components), each edge and each edge's
// fine structure.
type MeanSpectrum struct {
	Axis   multispectrum.EnergyAxis
	Pixels int
	Curves []Curve // data, model, background, one per edge, then one per fine structure
}

// Curve returns the curve of that name, or nil.
func (m *MeanSpectrum) Curve(name string) []float64 {
	for _, c := range m.Curves {
		if c.Name == name {
			return c.Values
		}
	}
	return nil
}

func (p *Plan) meanSpectrum(a *meanSums) *MeanSpectrum {
	if a.count() == 0 {
		return nil
	}
	inv := 1 / float64(a.count())
	scale := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x * inv
		}
		return out
	}
	m := &MeanSpectrum{Axis: p.in.CoreLoss, Pixels: a.count(),
		Curves: []Curve{{Name: "data", Values: scale(a.data()), LongName: "mean data"},
			{Name: "model", Values: scale(a.model()), LongName: "mean fitted model"}}}
	bg := make([]float64, a.n)
	var edges, fine []Curve
	k := 0
	for _, c := range p.model.Components {
		var fc *Curve
		if f, ok := c.(*components.FineStructure); ok {
			fc = &Curve{Name: SafeName(f.Name()), Values: make([]float64, a.n), LongName: f.Name()}
		}
		for pi, prm := range c.Parameters() {
			if !prm.Free() {
				continue
			}
			part := a.parts()[k*a.n : (k+1)*a.n]
			if e, ok := c.(*components.CoreLossEdge); ok && pi == components.EdgeA {
				edges = append(edges, Curve{Name: SafeName(e.Name()), Values: scale(part), LongName: e.Name() + " edge"})
			} else if fc != nil {
				multispectrum.AddTo(fc.Values, part)
			} else if !c.Convolved() {
				multispectrum.AddTo(bg, part)
			}
			k++
		}
		if fc != nil {
			fc.Values = scale(fc.Values)
			fine = append(fine, *fc)
		}
	}
	m.Curves = append(m.Curves, Curve{Name: "background", Values: scale(bg), LongName: "background"})
	m.Curves = append(m.Curves, edges...)
	m.Curves = append(m.Curves, fine...)
	return m
}

// SafeName maps a label to a dataset name: letters and digits kept,
// everything else '_'.
func SafeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// kernel is the per-tile work of a run; its stream positions come from
// the plan.
type kernel struct {
	plan                      *Plan
	p, n, nl, ne              int
	useLL, withModel, quant   bool
	scaleErrors               bool
	edges                     []int
	disp                      float64
	coef, errs, crlb, cov     int
	chi2, status, cond, model int
	el, elErr, comp, compErr  int
}

func newKernel(p *Plan) *kernel {
	k := &kernel{plan: p, p: len(p.names), n: p.in.CoreLoss.Size, ne: len(p.edges), useLL: p.useLL,
		withModel: p.Index(StreamModel) >= 0, quant: !p.opts.FitOnly, scaleErrors: p.opts.ScaleErrors, disp: p.in.CoreLoss.Dispersion,
		coef: p.Index(StreamCoefficients), errs: p.Index(StreamCoefficientErrors), crlb: p.Index(StreamCRLB), cov: p.Index(StreamCovariance),
		chi2: p.Index(StreamChi2), status: p.Index(StreamStatus), cond: p.Index(StreamCondition), model: p.Index(StreamModel),
		el: p.Index(StreamElements), elErr: p.Index(StreamElementErrors), comp: p.Index(StreamComposition), compErr: p.Index(StreamCompositionErrors)}
	if p.useLL {
		k.nl = p.in.LowLoss.Size
	}
	for _, e := range p.edges {
		k.edges = append(k.edges, e.Param)
	}
	return k
}

type kernelWorker struct {
	w         Worker
	model     []float64
	amps, cov []float64
	x, sdx    []float64
}

func (k *kernel) newWorker() *kernelWorker {
	return &kernelWorker{w: k.plan.fit.NewWorker(), model: make([]float64, k.n),
		amps: make([]float64, k.ne), cov: make([]float64, k.ne*k.ne), x: make([]float64, k.ne), sdx: make([]float64, k.ne)}
}

// tile fits the pixels of t.
func (k *kernel) tile(fw *kernelWorker, t *multispectrum.Tile) error {
	p, n, nl, ne := k.p, k.n, k.nl, k.ne
	nc := p * (p + 1) / 2
	clear(t.Aux)
	sData, sModel, sParts := t.Aux[:n], t.Aux[n:2*n], t.Aux[2*n:(2+p)*n]
	counted := 0
	for q := 0; q < t.Region.Pixels(); q++ {
		var low []float64
		if k.useLL {
			low = t.In[1][q*nl : (q+1)*nl]
		}
		var st fitters.Status
		model := fw.model
		if k.withModel {
			model = t.Out[k.model][q*n : (q+1)*n]
		}
		cov := t.Out[k.cov][q*nc : (q+1)*nc]
		out := PixelResult{Coef: t.Out[k.coef][q*p : (q+1)*p], Variance: t.Out[k.crlb][q*p : (q+1)*p], Covariance: cov,
			Chi2: &t.Out[k.chi2][q], Condition: &t.Out[k.cond][q], Status: &st, Model: model, PartsSum: sParts}
		core := t.In[0][q*n : (q+1)*n]
		fw.w.Pixel(core, low, out)
		t.Out[k.status][q] = float64(st)
		errs := t.Out[k.errs][q*p : (q+1)*p]
		sc := 1.0
		if k.scaleErrors {
			// The CRLB assumes the model describes the data; where the
			// reduced chi-square says it does not, widen the errors
			// (never narrow them below the bound).
			if c := *out.Chi2; c > 1 {
				sc = math.Sqrt(c)
			}
			for j := range cov {
				cov[j] *= sc * sc
			}
		}
		for j, v := range out.Variance {
			errs[j] = math.Sqrt(v) * sc
		}
		if !math.IsNaN(model[0]) {
			multispectrum.AddTo(sData, core)
			multispectrum.AddTo(sModel, model)
			counted++
		}
		if !k.quant {
			continue
		}
		// Edge amplitudes, their covariance block, areal densities and
		// the composition with propagated uncertainties.
		for a, i := range k.edges {
			fw.amps[a] = out.Coef[i]
			for b, j := range k.edges {
				fw.cov[a*ne+b] = Triangle(cov, p, i, j)
			}
		}
		scale := 1.0
		if k.useLL {
			i0 := 0.0
			for _, v := range low {
				i0 += v
			}
			scale = ArealDensity(1, i0, k.disp)
		}
		el, elErr := t.Out[k.el][q*ne:(q+1)*ne], t.Out[k.elErr][q*ne:(q+1)*ne]
		comp, compErr := t.Out[k.comp][q*ne:(q+1)*ne], t.Out[k.compErr][q*ne:(q+1)*ne]
		for a := range fw.amps {
			el[a] = fw.amps[a] * scale
			elErr[a] = math.Sqrt(fw.cov[a*ne+a]) * math.Abs(scale)
		}
		Composition(fw.x, fw.sdx, fw.amps, fw.cov)
		for a := range fw.x {
			comp[a], compErr[a] = 100*fw.x[a], 100*fw.sdx[a]
		}
	}
	t.Aux[len(t.Aux)-1] = float64(counted)
	return nil
}

// Triangle returns entry (i, j) of a p x p symmetric matrix stored as its
// upper triangle row by row (the layout of the Covariance stream).
func Triangle(tri []float64, p, i, j int) float64 {
	if i > j {
		i, j = j, i
	}
	return tri[i*p-i*(i-1)/2+(j-i)]
}
