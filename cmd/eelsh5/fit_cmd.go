package main

import (
	"fmt"
	"time"

	"github.com/eelsh5/eelsh5/components"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// modelFlags describe the model of fit and quant.
type modelFlags struct {
	Model     string  `type:"existingfile" help:"Model file (TOML; see the README). Default: built from --elements and --edges."`
	Elements  string  `help:"Elements for a model built from flags, comma separated (e.g. C,N,O,Fe)."`
	Edges     string  `help:"Edge of each element (e.g. K,K,K,L)."`
	BgTerms   int     `name:"background-terms" default:"4" help:"Power-law terms of the linear background of a model built from flags (exponents linspace(1, 5, N))."`
	E0        float64 `name:"E0" help:"Acceleration voltage in volts (default: the model file, else the file's instrument metadata)."`
	Alpha     float64 `default:"-1" help:"Convergence semi-angle in radians (default: model file, else metadata)."`
	Beta      float64 `help:"Collection semi-angle in radians (default: model file, else metadata)."`
	Method    string  `enum:",ols,wls,nnls,lsq,poisson" default:"" help:"Fitter: ols, wls (Poisson weights 1/max(y,1)) or nnls (linear); lsq (Levenberg-Marquardt, weighted) or poisson (maximum likelihood) for models with non-linear parameters. Default: the model file's, else wls."`
	Window    string  `placeholder:"LO:HI" help:"Fit window in eV (default: the whole axis)."`
	Exclude   string  `placeholder:"LO:HI,..." help:"Energy ranges in eV to leave out of the fit."`
	NoLowLoss bool    `name:"no-lowloss" help:"Do not convolve with the low loss (plural scattering ignored)."`
	gosFlags
}

// modelSetup resolves the model file or flags into a ModelFile.
func (m *modelFlags) modelFile(inst multispectrum.Instrument) (*quant.ModelFile, string, error) {
	var mf *quant.ModelFile
	desc := ""
	if m.Model != "" {
		f, err := os.Open(m.Model)
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		mf, err = quant.ReadModelFile(f, m.Model)
		if err != nil {
			return nil, "", usageError{err}
		}
		desc = m.Model
		if m.Elements != "" {
			return nil, "", usageError{fmt.Errorf("give either --model or --elements, not both")}
		}
	} else {
		els, eds := splitList(m.Elements), splitList(m.Edges)
		if len(els) == 0 {
			return nil, "", usageError{fmt.Errorf("give a model: --model FILE.toml, or --elements and --edges")}
		}
		if len(els) != len(eds) {
			return nil, "", usageError{fmt.Errorf("--elements has %d entries but --edges %d", len(els), len(eds))}
		}
		if m.BgTerms < 1 || m.BgTerms > 12 {
			return nil, "", usageError{fmt.Errorf("--background-terms %d: must be 1..12", m.BgTerms)}
		}
		mf = &quant.ModelFile{}
		mf.Fit.Method = "wls"
		mf.Components = append(mf.Components, quant.ComponentSpec{Type: "linear_background", Linspace: []float64{1, 5, float64(m.BgTerms)}})
		for i, el := range els {
			mf.Components = append(mf.Components, quant.ComponentSpec{Type: "edge", Element: el, Edge: eds[i]})
		}
		desc = fmt.Sprintf("linear background (%d terms) + %s", m.BgTerms, describeEdges(els, eds))
	}
	// Instrument: flags, then the model file, then the file's metadata.
	pick := func(flag, file, meta float64, unset bool) float64 {
		switch {
		case !unset:
			return flag
		case file != 0:
			return file
		}
		return meta
	}
	mf.Instrument.E0 = pick(m.E0, mf.Instrument.E0, inst.BeamEnergy, m.E0 == 0)
	mf.Instrument.Beta = pick(m.Beta, mf.Instrument.Beta, inst.Collection, m.Beta == 0)
	alphaFile := mf.Instrument.Alpha
	mf.Instrument.Alpha = pick(m.Alpha, alphaFile, inst.Convergence, m.Alpha < 0)
	if math.IsNaN(mf.Instrument.Alpha) {
		mf.Instrument.Alpha = 0
	}
	for _, v := range []struct {
		name string
		x    float64
	}{{"E0", mf.Instrument.E0}, {"beta", mf.Instrument.Beta}} {
		if math.IsNaN(v.x) || v.x == 0 {
			return nil, "", usageError{fmt.Errorf("%s is not known: give --%s (the file has no instrument metadata for it)", v.name, v.name)}
		}
	}
	if err := mf.Setup().Validate(); err != nil {
		return nil, "", usageError{err}
	}
	if m.Method != "" {
		mf.Fit.Method = m.Method
	}
	if mf.Fit.Method == "" {
		mf.Fit.Method = "wls"
	}
	if m.GOS != "hydrogenic" || mf.GOS.Source == "" {
		mf.GOS.Source = m.GOS
	}
	if m.GOSFile != "" {
		mf.GOS.File = m.GOSFile
	}
	return mf, desc, nil
}

func describeEdges(els, eds []string) string {
	var s []string
	for i := range els {
		s = append(s, els[i]+" "+eds[i])
	}
	return strings.Join(s, ", ")
}

// mask builds the channel mask of the fit window and exclusions.
func (m *modelFlags) mask(mf *quant.ModelFile, axis multispectrum.EnergyAxis) (multispectrum.Mask, [][2]float64, error) {
	mask := multispectrum.NewMask(axis.Size)
	var ranges [][2]float64
	win := mf.Fit.Window
	if m.Window != "" {
		lo, hi, err := parseLoHi(m.Window, "--window")
		if err != nil {
			return nil, nil, err
		}
		win = []float64{lo, hi}
	}
	if len(win) == 2 {
		if !(win[1] > win[0]) || win[1] <= axis.Offset || win[0] >= axis.Last() {
			return nil, nil, usageError{fmt.Errorf("fit window %g:%g eV is empty or outside the axis %g..%g eV", win[0], win[1], axis.Offset, axis.Last())}
		}
		mask.Exclude(0, axis.Index(win[0]))
		mask.Exclude(min(axis.Index(win[1]), axis.Size), axis.Size)
		ranges = append(ranges, [2]float64{win[0], win[1]})
	} else if len(win) != 0 {
		return nil, nil, usageError{fmt.Errorf("fit window must be [lo, hi]")}
	}
	ex := mf.Fit.Exclude
	if m.Exclude != "" {
		ex = nil
		for _, part := range splitList(m.Exclude) {
			lo, hi, err := parseLoHi(part, "--exclude")
			if err != nil {
				return nil, nil, err
			}
			ex = append(ex, [2]float64{lo, hi})
		}
	}
	for _, r := range ex {
		if !(r[1] > r[0]) {
			return nil, nil, usageError{fmt.Errorf("excluded range %g:%g eV is empty", r[0], r[1])}
		}
		mask.Exclude(axis.Index(r[0]), axis.Index(r[1]))
	}
	return mask, append(ranges, ex...), nil
}

func parseLoHi(s, flag string) (float64, float64, error) {
	a, b, ok := strings.Cut(s, ":")
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if !ok || err1 != nil || err2 != nil || math.IsNaN(lo) || math.IsNaN(hi) {
		return 0, 0, usageError{fmt.Errorf("%s %q: want LO:HI in eV", flag, s)}
	}
	return lo, hi, nil
}

// inputCubes opens the core loss (and low loss) of the input step: the
// named step, else /entry/alignment when it exists, else the raw cubes.
func inputCubes(f *h5io.File, file, step string) (core, low *h5io.Dataset, ci, li h5io.CubeInfo, base string, err error) {
	switch {
	case step == "raw":
		base = h5io.EntryPath
	case step != "":
		base = h5io.EntryPath + "/" + step
		if !f.Exists(base) {
			return nil, nil, ci, li, "", fmt.Errorf("%s has no step %s", file, base)
		}
	case f.Exists(h5io.EntryPath + "/" + h5io.StepAlignment + "/" + h5io.CoreLossName):
		base = h5io.EntryPath + "/" + h5io.StepAlignment
	default:
		base = h5io.EntryPath
	}
	core, ci, err = f.OpenCube(base + "/" + h5io.CoreLossName)
	if err != nil {
		return nil, nil, ci, li, "", err
	}
	if f.Exists(base + "/" + h5io.LowLossName) {
		low, li, err = f.OpenCube(base + "/" + h5io.LowLossName)
		if err != nil {
			core.Close()
			return nil, nil, ci, li, "", err
		}
		if li.NY != ci.NY || li.NX != ci.NX {
			core.Close()
			low.Close()
			return nil, nil, ci, li, "", fmt.Errorf("%s: the low loss is %dx%d but the core loss %dx%d", file, li.NY, li.NX, ci.NY, ci.NX)
		}
	}
	return core, low, ci, li, base, nil
}

type fitCmd struct {
	File   string `arg:"" type:"path" help:"Processing file."`
	Resume bool   `help:"Continue an interrupted run of this step (same options) from its last checkpoint."`
	checkpointFlag
	Input     string `help:"Step to read coreloss/lowloss from ('raw' for /entry); default: alignment when present, else raw."`
	Step      string `default:"fit" help:"Name of the step to write."`
	NoModel   bool   `name:"no-model-cube" help:"Do not write the fitted model cube."`
	Overwrite bool   `help:"Replace an existing step of the same name (only once the new one is complete)."`
	modelFlags
}

func (c *fitCmd) Help() string {
	return `Fits a model to every pixel and writes a fit step (FORMATS.md 3.4): coefficients
(n_params, ny, nx) with their names and coefficients_errors = sqrt(CRLB); crlb (variances);
covariance (upper triangle, for ratios); the model cube; reduced chi-square, condition
number and status maps. Edges are convolved with each pixel's own low loss (ALGORITHMS.md
4), the CRLB uses the fitted model as the Poisson variance (6.4). The model comes from
--model FILE.toml (format in the README; testdata/seed_model.toml is the seed model) or
from --elements/--edges with a linear background.`
}

func (c *fitCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 fit")
	f, sum, err := openProcessing(c.File, true)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := fitFile(g, prog, f, c.File, sum, fitConfig{command: "fit", input: c.Input, step: c.Step,
		overwrite: c.Overwrite, noModel: c.NoModel, flags: &c.modelFlags, resume: c.Resume, every: c.CheckpointEvery})
	if err != nil {
		return err
	}
	prog.summary(res.spectra)
	return nil
}

// fitConfig configures fitFile.
type fitConfig struct {
	command   string // "fit" or "quant"
	input     string // step to read, "" for alignment-or-raw, "raw"
	step      string
	overwrite bool
	noModel   bool
	flags     *modelFlags
	quant     bool // elemental and composition maps, summary
	regions   []namedRegion
	resume    bool           // continue an interrupted run from its checkpoint
	every     time.Duration  // checkpoint interval
	extra     map[string]any // more provenance parameters
}

// fitResult describes a committed fit or quant step.
type fitResult struct {
	spectra  int
	names    []string
	elements []string // edge labels of the elemental maps (quant)
	summary  *quantSummary
}

// fitFile fits the model of cfg to every pixel of the open file and
// commits the step; with cfg.quant it adds elemental and composition
// maps and the summary.
func fitFile(g *Globals, prog *progress, f *h5io.File, file, sum string, cfg fitConfig) (*fitResult, error) {
	inst, err := f.ReadInstrument()
	if err != nil {
		return nil, err
	}
	mf, desc, err := cfg.flags.modelFile(inst)
	if err != nil {
		return nil, err
	}
	core, low, ci, li, base, err := inputCubes(f, file, cfg.input)
	if err != nil {
		return nil, err
	}
	defer core.Close()
	if low != nil {
		defer low.Close()
	}
	useLL := !cfg.flags.NoLowLoss && (mf.Fit.LowLoss == nil || *mf.Fit.LowLoss)
	if useLL && low == nil {
		return nil, fmt.Errorf("%s has no low loss under %s: give --no-lowloss to fit without plural-scattering convolution", file, base)
	}
	if cfg.quant && cfg.flags.Window == "" && len(mf.Fit.Window) == 0 {
		mf.Fit.Window = quantWindow(mf, ci.Axis)
	}
	src, closeSrc, err := (gosFlags{GOS: mf.GOS.Source, GOSFile: mf.GOS.File}).openSource()
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	model, err := mf.Build(ci.Axis, src, gos.NewCache())
	if err != nil {
		return nil, err
	}
	mask, ranges, err := cfg.flags.mask(mf, ci.Axis)
	if err != nil {
		return nil, err
	}
	if err := edgesInWindow(model, mask, ci.Axis); err != nil {
		return nil, err
	}
	var llAxis *multispectrum.EnergyAxis
	if useLL {
		llAxis = &li.Axis
	}
	fitter, err := newFitter(mf, model, ci.Axis, src, mask, llAxis)
	if err != nil {
		return nil, err
	}
	names := fitter.ParamNames()
	edgeIdx, edgeLabels := edgeParams(model)
	inputs := []string{base + "/" + h5io.CoreLossName}
	if useLL {
		inputs = append(inputs, base+"/"+h5io.LowLossName)
	}
	params := map[string]any{"input": base, "model": desc, "model_file": mf, "method": mf.Fit.Method,
		"parameters": names, "gos": src.Name(), "gos_reference": src.Reference(), "lowloss": useLL,
		"fit_ranges_eV": ranges, "channels_used": mask.Included(), "E0_V": mf.Instrument.E0,
		"alpha_rad": mf.Instrument.Alpha, "beta_rad": mf.Instrument.Beta}
	for k, v := range cfg.extra {
		params[k] = v
	}
	prov := g.provenance(cfg.command, params, multispectrum.Input{File: file, SHA256: sum, Datasets: inputs})
	var step *h5io.Step
	if cfg.resume {
		step, err = f.ResumeStep(cfg.step, prov, cfg.overwrite)
	} else {
		step, err = f.BeginStep(cfg.step, prov, cfg.overwrite)
	}
	if err != nil {
		return nil, err
	}
	defer step.Abort()
	n := ci.Axis.Size
	prog.message("eelsh5 %s: %d spectra of %d channels from %s, %d parameters (%s), %s, %d workers",
		cfg.command, ci.NY*ci.NX, n, base, fitter.Params(), strings.Join(names, ", "), mf.Fit.Method, g.workers())
	w, err := createFitOutputs(f, step, names, ci, core, !cfg.noModel)
	if err != nil {
		return nil, err
	}
	defer w.close()
	units, long := "edge amplitude A (counts eV per barn)", "edge amplitude"
	if cfg.quant {
		if useLL {
			units, long = "atoms/nm^2", "areal density"
		}
		if err := w.addQuant(f, step, edgeLabels, ci, core, units, long); err != nil {
			return nil, err
		}
	}
	if step.Resumed {
		prog.message("eelsh5 %s: resuming the interrupted /entry/%s", cfg.command, cfg.step)
	}
	cy, cx := core.ScanChunk()
	tl := multispectrum.NewTiling(ci.NY, ci.NX, cy, cx)
	rd := h5io.Reader{core}
	lay := multispectrum.Layout{In: []int{n}}
	if useLL {
		rd = append(rd, low)
		lay.In = append(lay.In, li.Axis.Size)
	}
	p := fitter.Params()
	lay.Out = []int{p, p, p, p * (p + 1) / 2, 1, 1, 1}
	if !cfg.noModel {
		lay.Out = append(lay.Out, n)
	}
	ne := len(edgeIdx)
	if cfg.quant {
		lay.Out = append(lay.Out, ne, ne, ne, ne)
	}
	acc := newMeanAccumulator(p, n)
	lay.Aux = len(acc.sums)
	k := &fitKernel{p: p, n: n, nl: li.Axis.Size, useLL: useLL, withModel: !cfg.noModel, quant: cfg.quant,
		edges: edgeIdx, disp: ci.Axis.Dispersion}
	ck, err := step.Checkpoint(tl.Len(), len(acc.sums))
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	done := make([]bool, tl.Len())
	if step.Resumed {
		if done, acc.sums, err = ck.Load(); err != nil {
			return nil, err
		}
		nd := 0
		for _, d := range done {
			if d {
				nd++
			}
		}
		prog.message("eelsh5 %s: %d of %d tiles were done", cfg.command, nd, tl.Len())
	}
	sink := &checkpointSink{w: w.writer, ck: ck, acc: acc, done: done, every: cfg.every, last: time.Now()}
	err = multispectrum.Process(g.ctx, rd, sink, tl, lay, k.newWorker(fitter), k.tile,
		multispectrum.Workers(g.workers()), multispectrum.Progress(prog.update), multispectrum.Skip(func(i int) bool { return done[i] }))
	if err != nil {
		if cerr := ck.Write(done, acc.sums); cerr == nil && g.ctx.Err() != nil {
			prog.message("eelsh5 %s: interrupted; run again with --resume to continue", cfg.command)
		}
		return nil, err
	}
	ck.Close()
	w.close()
	if err := writeMeanSpectrum(f, step.Path("mean_spectrum"), ci.Axis, acc, names, model); err != nil {
		return nil, err
	}
	res := &fitResult{spectra: ci.NY * ci.NX, names: names, elements: edgeLabels}
	def := "coefficients"
	if cfg.quant {
		res.summary, err = summarizeQuant(f, step, edgeLabels, edgeIdx, ci, cfg.regions, units)
		if err != nil {
			return nil, err
		}
		if err := step.WriteJSON("summary", res.summary); err != nil {
			return nil, err
		}
		def = "composition"
	}
	if err := step.Commit(def); err != nil {
		return nil, err
	}
	prog.message("eelsh5 %s: wrote step /entry/%s of %s", cfg.command, cfg.step, file)
	return res, nil
}

// edgesInWindow checks that every edge's onset lies inside the channels
// the fit uses: an edge beyond them has no data to determine it.
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
			return usageError{fmt.Errorf("the %s edge (onset %g eV) lies outside the fit window %g..%g eV", e.Name(), on, axis.Energy(max(lo, 0)), axis.Energy(max(hi, 0)))}
		}
	}
	return nil
}

// edgeParams returns the positions, among the free parameters, of the
// edge amplitudes and the edges' labels.
func edgeParams(m *components.Model) ([]int, []string) {
	var idx []int
	var labels []string
	k := 0
	for _, c := range m.Components {
		for pi, p := range c.Parameters() {
			if !p.Free() {
				continue
			}
			if e, ok := c.(*components.CoreLossEdge); ok && pi == components.EdgeA {
				idx = append(idx, k)
				labels = append(labels, e.Name())
			}
			k++
		}
	}
	return idx, labels
}

// fitOutputs are the datasets of a fit step, in tile-stream order:
// coefficients, errors, crlb, covariance, chi2, status, condition, model.
type fitOutputs struct {
	writer h5io.Writer
}

func (o *fitOutputs) close() {
	for _, d := range o.writer {
		d.Close()
	}
	o.writer = nil
}

func createFitOutputs(f *h5io.File, step *h5io.Step, names []string, ci h5io.CubeInfo, core *h5io.Dataset, withModel bool) (*fitOutputs, error) {
	o := &fitOutputs{}
	if step.Resumed {
		return o, o.reopen(f, step, withModel)
	}
	cy, cx := core.ScanChunk()
	chunk := [2]int{cy, cx}
	coef, errs, err := f.CreateStack(step.Path("coefficients"), h5io.StackSpec{NY: ci.NY, NX: ci.NX, Names: names, Signal: "coefficients",
		LongName: "fitted coefficient", Errors: true, Chunk: chunk, Scan: ci.Scan})
	if err != nil {
		return nil, err
	}
	o.writer = append(o.writer, coef, errs)
	crlb, _, err := f.CreateStack(step.Path("crlb"), h5io.StackSpec{NY: ci.NY, NX: ci.NX, Names: names, Signal: "crlb",
		LongName: "Cramer-Rao lower bound (variance)", Chunk: chunk, Scan: ci.Scan})
	if err != nil {
		o.close()
		return nil, err
	}
	o.writer = append(o.writer, crlb)
	cov, _, err := f.CreateStack(step.Path("covariance"), h5io.StackSpec{NY: ci.NY, NX: ci.NX, Names: quant.CovarianceNames(names), Signal: "covariance",
		LongName: "covariance (upper triangle)", Chunk: chunk, Scan: ci.Scan})
	if err != nil {
		o.close()
		return nil, err
	}
	o.writer = append(o.writer, cov)
	for _, m := range []h5io.MapSpec{
		{Signal: "chi2", LongName: "reduced chi-square", Units: ""},
		{Signal: "status", LongName: "fit status", DType: h5io.Int8, Codes: fitters.StatusCodes},
		{Signal: "condition", LongName: "condition number of the weighted, scaled design"},
	} {
		m.NY, m.NX, m.Chunk, m.Scan = ci.NY, ci.NX, chunk, ci.Scan
		d, err := f.CreateMap(step.Path(m.Signal), m)
		if err != nil {
			o.close()
			return nil, err
		}
		o.writer = append(o.writer, d)
	}
	if withModel {
		d, err := f.CreateCube(step.Path("model"), h5io.CubeSpec{NY: ci.NY, NX: ci.NX, Axis: ci.Axis, Scan: ci.Scan, Chunk: chunk,
			Units: "counts", LongName: "fitted model (counts)"})
		if err != nil {
			o.close()
			return nil, err
		}
		o.writer = append(o.writer, d)
	}
	return o, nil
}

// newFitter makes the fitter of the model file's method: the linear
// engine for ols, wls and nnls, the non-linear one for lsq and poisson.
func newFitter(mf *quant.ModelFile, model *components.Model, axis multispectrum.EnergyAxis, src gos.Source, mask multispectrum.Mask, ll *multispectrum.EnergyAxis) (quant.Fitter, error) {
	switch mf.Fit.Method {
	case "ols", "wls", "nnls":
		m := fitters.Method(mf.Fit.Method)
		return quant.NewLinearEngine(model, quant.LinearOptions{Method: m, Weights: m != fitters.OLS, Mask: mask, LowLoss: ll})
	case "lsq", "poisson":
		cache := gos.NewCache()
		build := func() (*components.Model, error) { return mf.Build(axis, src, cache) }
		obj := fitters.LeastSquares
		if mf.Fit.Method == "poisson" {
			obj = fitters.PoissonML
		}
		return quant.NewNonLinearEngine(build, quant.NonLinearOptions{Objective: obj, Weighted: true, Mask: mask, LowLoss: ll})
	}
	return nil, usageError{fmt.Errorf("fit method %q: use ols, wls, nnls, lsq or poisson", mf.Fit.Method)}
}
