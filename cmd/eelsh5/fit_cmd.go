package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// modelFlags describe the model of fit and quant.
type modelFlags struct {
	Model      string        `type:"existingfile" help:"Model file (TOML; see the README). Default: built from --elements and --edges."`
	Elements   []string      `placeholder:"C,N,O,Fe" help:"Elements for a model built from flags, comma separated."`
	Edges      []string      `placeholder:"K,K,K,L" help:"Edge of each element, comma separated."`
	BgTerms    string        `name:"background-terms" default:"auto" placeholder:"auto|N" help:"Power-law terms of the linear background of a model built from flags (exponents linspace(1, 5, N)): 1..12, or auto (default): the smallest number in 4..8 beyond which the edge amplitudes of a sample of the scan stop changing (doc/algorithms.md 9.1; the reference's default is 4)."`
	Onsets     bool          `name:"estimate-onsets" help:"Estimate each edge's onset shift (chemical shift or calibration error) on a sample of the scan, then fit every pixel with the shifts fixed (doc/algorithms.md 9.2)."`
	E0         *float64      `name:"E0" placeholder:"VOLTS" help:"Acceleration voltage in volts (default: the model file, else the file's instrument metadata)."`
	Alpha      *float64      `placeholder:"RAD" help:"Convergence semi-angle in radians (default: the model file, else the metadata)."`
	Beta       *float64      `placeholder:"RAD" help:"Collection semi-angle in radians (default: the model file, else the metadata)."`
	Method     string        `enum:",ols,wls,nnls,lsq,poisson" default:"" help:"Fitter: ols, wls (Poisson weights 1/max(y,1)) or nnls (linear); lsq (Levenberg-Marquardt, weighted) or poisson (maximum likelihood) for models with non-linear parameters. Default: the model file's, else wls."`
	Window     *energyRange  `placeholder:"LO:HI" help:"Fit window in eV (default: the model file's, else for fit the whole axis, for quant 100 eV below the first onset to 500 eV above the last)."`
	Exclude    []energyRange `placeholder:"LO:HI,..." help:"Energy ranges in eV to leave out of the fit."`
	NoLowLoss  bool          `name:"no-lowloss" help:"Do not convolve with the low loss (plural scattering ignored)."`
	Background string        `default:"linear" enum:"linear,convex" help:"Background of a model: linear (sum of power laws) or convex (the same, constrained to be convex over the fit window; linear methods only)."`
	Fine       []string      `name:"fine-structure" placeholder:"all|EL[=WIDTH],..." help:"Add a linear fine structure (a piecewise-linear curve over a window from --fine-structure-pre eV before the onset, convolved like its edge; doc/algorithms.md 3.12) to every edge (all) or to the edges of the elements given, each with an optional window width in eV (e.g. Ti=40,O=60). Its parameters are not part of the elemental amplitude."`
	FineN      int           `name:"fine-structure-points" default:"30" help:"Interior points of each fine-structure window."`
	FinePre    float64       `name:"fine-structure-pre" default:"5" placeholder:"EV" help:"Start of each fine-structure window, eV before the edge onset."`
	FineWidth  float64       `name:"fine-structure-width" default:"50" placeholder:"EV" help:"Width of each fine-structure window in eV (unless given per element)."`
	FineBethe  bool          `name:"fine-structure-bethe" help:"Constrain each fine structure to add no oscillator strength over its window (Bethe sum rule; one parameter fewer)."`
	ScaleErr   bool          `name:"scale-errors" help:"Multiply each pixel's uncertainties (coefficient errors, covariance, elemental and composition errors) by sqrt(reduced chi-square) where it exceeds 1; the crlb stays the bound."`
	gosFlags

	modelFile *quant.ModelFile // read by validate
}

// validate reads the model file and checks the model flags; it returns
// the library options (without the GOS source, opened later).
func (m *modelFlags) validate() (quant.Options, error) {
	m.Elements, m.Edges = trimList(m.Elements), trimList(m.Edges)
	if m.Model != "" && len(m.Elements) > 0 {
		return quant.Options{}, fmt.Errorf("give either --model or --elements, not both")
	}
	if m.Model == "" && len(m.Elements) == 0 {
		return quant.Options{}, fmt.Errorf("give a model: --model FILE.toml, or --elements and --edges")
	}
	if m.Model == "" && len(m.Elements) != len(m.Edges) {
		return quant.Options{}, fmt.Errorf("--elements has %d entries but --edges %d", len(m.Elements), len(m.Edges))
	}
	terms := 0
	if t := strings.TrimSpace(m.BgTerms); t != "auto" && t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > quant.MaxBackgroundTerms {
			return quant.Options{}, fmt.Errorf("--background-terms %s: give auto or a number 1..%d", m.BgTerms, quant.MaxBackgroundTerms)
		}
		terms = n
	}
	if m.Model != "" && m.modelFile == nil {
		f, err := os.Open(m.Model)
		if err != nil {
			return quant.Options{}, err
		}
		defer f.Close()
		if m.modelFile, err = quant.ReadModelFile(f, m.Model); err != nil {
			return quant.Options{}, err
		}
	}
	o := quant.Options{Model: m.modelFile, Elements: m.Elements, Edges: m.Edges, BackgroundTerms: terms, EstimateOnsets: m.Onsets,
		E0: m.E0, Alpha: m.Alpha, Beta: m.Beta, Method: m.Method, NoLowLoss: m.NoLowLoss, ScaleErrors: m.ScaleErr,
		ConvexBackground: m.Background == "convex"}
	fs, err := m.fineStructure()
	if err != nil {
		return o, err
	}
	o.FineStructure = fs
	if m.Window != nil {
		w := m.Window.array()
		o.Window = &w
	}
	for _, r := range m.Exclude {
		o.Exclude = append(o.Exclude, r.array())
	}
	if err := o.Validate(); err != nil {
		return o, flagError(err)
	}
	if e := o.E0; e != nil && *e > 0 && *e < 1000 {
		return o, fmt.Errorf("--E0 %g: give it in volts (e.g. 300e3)", *e)
	}
	return o, nil
}

// fineStructure parses --fine-structure: "all", or elements each with an
// optional width (Ti=40); nil when not given.
func (m *modelFlags) fineStructure() (*quant.FineStructure, error) {
	items := trimList(m.Fine)
	if len(items) == 0 {
		return nil, nil
	}
	pre := m.FinePre
	fs := &quant.FineStructure{Width: m.FineWidth, Pre: &pre, Points: m.FineN, Bethe: m.FineBethe}
	if !(m.FineWidth > 0) || math.IsInf(m.FineWidth, 0) {
		return nil, fmt.Errorf("--fine-structure-width %g: must be a positive number of eV", m.FineWidth)
	}
	least := 1
	if m.FineBethe {
		least = 2
	}
	if m.FineN < least {
		return nil, fmt.Errorf("--fine-structure-points %d: must be at least %d", m.FineN, least)
	}
	if math.IsNaN(pre) || math.IsInf(pre, 0) {
		return nil, fmt.Errorf("--fine-structure-pre %g: must be a number of eV", pre)
	}
	if len(items) == 1 && strings.EqualFold(items[0], "all") {
		return fs, nil
	}
	widths := false
	for _, it := range items {
		el, w, hasW := strings.Cut(it, "=")
		el = strings.TrimSpace(el)
		if strings.EqualFold(el, "all") {
			return nil, fmt.Errorf("--fine-structure %s: 'all' stands alone", strings.Join(items, ","))
		}
		if _, err := gos.Element(el); err != nil {
			return nil, fmt.Errorf("--fine-structure %q: %s is not an element (want all, or EL[=WIDTH],... e.g. Ti=40,O=60)", it, el)
		}
		width := 0.0
		if hasW {
			x, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil || !(x > 0) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("--fine-structure %q: the width must be a positive number of eV", it)
			}
			width, widths = x, true
		}
		fs.Elements = append(fs.Elements, el)
		fs.Widths = append(fs.Widths, width)
	}
	if !widths {
		fs.Widths = nil
	}
	return fs, nil
}

// gosSource returns the GOS source of the model: the flags', else the
// model file's.
func (m *modelFlags) gosSource() gosFlags {
	g := m.gosFlags
	if mf := m.modelFile; mf != nil && m.GOS == "hydrogenic" && mf.GOS.Source != "" {
		g.GOS = mf.GOS.Source
		if g.GOSFile == "" {
			g.GOSFile = mf.GOS.File
		}
	}
	return g
}

// flagError drops the library's package prefixes ("quant: gos: ...")
// from a validation error reported against the flags.
func flagError(err error) error {
	s := withPrecision(err).Error()
	for _, p := range []string{"quant: ", "gos: "} {
		s = strings.TrimPrefix(s, p)
	}
	return errors.New(s)
}

// fitJob is a fit or quantification of a processing file, checked and
// ready to run: nothing has been written yet.
type fitJob struct {
	command  string
	f        *h5io.File
	file     string
	in       *h5io.FitInput
	plan     *quant.Plan
	closeGOS func()
}

func (j *fitJob) close() {
	if j.in != nil {
		j.in.Close()
	}
	if j.closeGOS != nil {
		j.closeGOS()
	}
}

// prepareFit opens the input cubes (the step input, "" for
// alignment-or-raw) and the GOS source, and makes the plan of opts on
// them: every check of the fit against the file happens here.
func prepareFit(f *h5io.File, file, command, input string, m *modelFlags, opts quant.Options) (*fitJob, error) {
	j := &fitJob{command: command, f: f, file: file}
	inst, err := f.ReadInstrument()
	if err != nil {
		return nil, err
	}
	if j.in, err = f.OpenFitInput(input); err != nil {
		if ns := (*h5io.NoStepError)(nil); errors.As(err, &ns) {
			return nil, usageError{noStepError(f, file, input, ns)}
		}
		return nil, err
	}
	src, closeSrc, err := m.gosSource().openSource()
	if err != nil {
		j.close()
		return nil, err
	}
	j.closeGOS = closeSrc
	opts.GOS = src
	qin := j.in.QuantInput(inst, true)
	if !opts.FitOnly {
		qin.Truth = readTruth(f)
	}
	j.plan, err = quant.NewPlan(qin, opts)
	if err != nil {
		j.close()
		if errors.Is(err, quant.ErrNoLowLoss) {
			return nil, fmt.Errorf("%s has no low loss under %s: give --no-lowloss to fit without plural-scattering convolution", file, j.in.Base)
		}
		var ui *quant.UnknownInstrumentError
		if errors.As(err, &ui) {
			return nil, usageError{fmt.Errorf("%s is not known: give --%s (the file has no instrument metadata for it)", ui.Name, ui.Name)}
		}
		var oe *quant.OptionError
		if errors.As(err, &oe) {
			return nil, usageError{flagError(err)}
		}
		return nil, err
	}
	return j, nil
}

// readTruth returns the truth maps of a simulated file, or nil.
func readTruth(f *h5io.File) *multispectrum.Array {
	p := h5io.EntryPath + "/" + h5io.StepSimulate + "/truth/maps"
	if !f.Exists(p) {
		return nil
	}
	tm, _, err := f.ReadStack(p)
	if err != nil {
		return nil
	}
	return tm
}

// fitRun configures fitJob.run.
type fitRun struct {
	step      string
	overwrite bool
	resume    bool
	extra     map[string]any // more provenance parameters
	// target, for a part of a partitioned run, is the part file (path
	// targetPath) the step goes into instead of the input, with part.
	target     *h5io.File
	targetPath string
	part       *h5io.PartNote
	// merge, for the merge of a partitioned run, assembles the step from
	// the parts, whose running sums are sums.
	merge *h5io.Merge
	sums  [][]float64
}

// run fits every pixel into the step and commits it.
func (j *fitJob) run(g *Globals, prog *progress, sum string, r fitRun) (*quant.Result, error) {
	p := j.plan
	inputs := []string{j.in.CorePath}
	if p.UsesLowLoss() {
		inputs = append(inputs, j.in.LowPath)
	}
	params := map[string]any{}
	for k, v := range r.extra {
		params[k] = v
	}
	prov := g.provenance(j.command, params, multispectrum.Input{File: j.file, SHA256: sum, Datasets: inputs})
	cy, cx := j.in.CoreLoss.ScanChunk()
	target, targetPath := j.f, j.file
	if r.target != nil {
		target, targetPath = r.target, r.targetPath
	}
	dst := target.NewFitStepDestination(h5io.FitStepOptions{Step: r.step, Input: j.in, Overwrite: r.overwrite, Resume: r.resume,
		Provenance: prov, Scan: j.in.CoreInfo.Scan, Chunk: [2]int{cy, cx}, Part: r.part, Merge: r.merge})
	defer dst.Close()
	ny, nx := p.Scan()
	part, first, end := p.Part()
	switch {
	case r.merge != nil:
		prog.say("merging %d parts of %dx%d spectra into /entry/%s (%s)", len(r.sums), ny, nx, r.step, mergeKind(r.merge))
	case !part.Whole():
		prog.say("part %s: tiles %d..%d of %d of %dx%d spectra of %d channels from %s, %d parameters (%s), %s, %d workers",
			part, first, end-1, p.Tiling().Len(), ny, nx, p.Axis().Size, j.in.Base, p.NumParams(), shortList(p.Names(), 12), p.Method(), g.workers())
	default:
		prog.say("%d spectra of %d channels from %s, %d parameters (%s), %s, %d workers",
			ny*nx, p.Axis().Size, j.in.Base, p.NumParams(), shortList(p.Names(), 12), p.Method(), g.workers())
	}
	if ch := p.BackgroundChoice(); ch != nil {
		prog.say("background: %s", ch)
	}
	if on := p.Onsets(); len(on) > 0 {
		var d []string
		for _, e := range on {
			d = append(d, fmt.Sprintf("%s %+.2f +- %.2f eV", e.Edge, e.Shift, e.Error))
		}
		prog.say("onset shifts estimated on a sample of the scan: %s", strings.Join(d, ", "))
	}
	var res *quant.Result
	var err error
	if r.merge != nil {
		res, err = p.Merge(dst, r.sums)
	} else {
		res, err = p.Run(g.ctx, beginFit{dst: dst, prog: prog, command: j.command, step: r.step})
	}
	if err != nil {
		if g.ctx.Err() != nil && dst.Step() != nil {
			prog.say("interrupted; the partial step is kept: run again with --resume to continue it")
		}
		return nil, err
	}
	if res.Resumed > 0 {
		prog.say("%d of %d tiles were done", res.Resumed, p.Tiling().Len())
	}
	g.committed = append(g.committed, fmt.Sprintf("step /entry/%s of %s", r.step, targetPath))
	prog.say("wrote step /entry/%s of %s", r.step, targetPath)
	return res, nil
}

// beginFit reports a resumed step when the destination begins.
type beginFit struct {
	dst     *h5io.FitStepDestination
	prog    *progress
	command string
	step    string
}

func (b beginFit) Begin(p *quant.Plan) (quant.Output, error) {
	out, err := b.dst.Begin(p)
	if err == nil && b.dst.Step().Resumed {
		b.prog.say("resuming the interrupted /entry/%s", b.step)
	}
	return out, err
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
	partFlags

	opts quant.Options
}

func (c *fitCmd) Help() string {
	return `Fits a model to every pixel and writes a fit step (doc/processing-file.md): coefficients
(n_params, ny, nx) with their names and coefficients_errors = sqrt(CRLB); crlb (variances);
covariance (upper triangle, for ratios); the model cube; reduced chi-square, condition
number and status maps. Edges are convolved with each pixel's own low loss (doc/algorithms.md
4), the CRLB uses the fitted model as the Poisson variance (6.4). The model comes from
--model FILE.toml (format in the README; testdata/seed_model.toml is the seed model) or
from --elements/--edges with a linear background.`
}

// Validate checks the flags before any file is opened.
func (c *fitCmd) Validate() error {
	if err := validStep(c.Step); err != nil {
		return err
	}
	if err := c.partFlags.check(); err != nil {
		return err
	}
	var err error
	c.opts, err = c.modelFlags.validate()
	c.opts.FitOnly, c.opts.NoModelCube = true, c.NoModel
	return err
}

// validStep checks a --step name.
func validStep(s string) error {
	if s == "" || strings.ContainsAny(s, "/.") || s == "raw" {
		return fmt.Errorf("--step %q: want a plain name", s)
	}
	return nil
}

func (c *fitCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 fit")
	if c.partitioned() {
		f, _, err := openProcessing(c.File, false)
		if err != nil {
			return err
		}
		defer f.Close()
		opts := c.opts
		opts.Workers, opts.CheckpointEvery, opts.Progress = g.workers(), c.CheckpointEvery, prog.update
		n, err := partitionedFit(g, prog, f, c.File, "fit", c.Input, c.Step, &c.modelFlags, &c.partFlags, opts, c, map[string]any{}, c.Resume, c.Overwrite)
		if err != nil {
			return err
		}
		if n > 0 {
			prog.summary(n)
		}
		return nil
	}
	f, sum, err := openProcessing(c.File, true)
	if err != nil {
		return err
	}
	defer f.Close()
	c.opts.Workers = g.workers()
	c.opts.CheckpointEvery = c.CheckpointEvery
	c.opts.Progress = prog.update
	j, err := prepareFit(f, c.File, "fit", c.Input, &c.modelFlags, c.opts)
	if err != nil {
		return err
	}
	defer j.close()
	res, err := j.run(g, prog, sum, fitRun{step: c.Step, overwrite: c.Overwrite, resume: c.Resume})
	if err != nil {
		return err
	}
	printChi2(g.stdout, res.Chi2)
	prog.summary(res.Spectra)
	return nil
}

// checkpointFlag is the (hidden) checkpoint interval of long commands.
type checkpointFlag struct {
	CheckpointEvery time.Duration `name:"checkpoint-every" default:"1s" hidden:"" help:"Interval between checkpoints."`
}

// mergeKind says how a merge stores the parts' data.
func mergeKind(m *h5io.Merge) string {
	if m.Copy {
		return "copied"
	}
	return "virtual datasets"
}

// partitionedFit runs the --prepare or --part run of a fit or quant of
// file (open read-only) on the input step input: the preparing run makes
// the plan on the whole scan (the data-driven choices on its sample) and
// stores its model, a part fits its tiles with that model into its part
// file. It returns the spectra fitted (0 for a preparing run).
func partitionedFit(g *Globals, prog *progress, f *h5io.File, file, command, input, step string, m *modelFlags, pf *partFlags,
	opts quant.Options, cmd any, extra map[string]any, resume, overwrite bool) (int, error) {
	if pf.Prepare {
		j, err := prepareFit(f, file, command, input, m, opts)
		if err != nil {
			return 0, err
		}
		defer j.close()
		sum, err := h5io.FileSHA256(file)
		if err != nil {
			return 0, err
		}
		flags, err := commandFlags(cmd)
		if err != nil {
			return 0, err
		}
		p := &prepareFile{Command: command, Step: step, Input: file, InputSHA256: sum, Version: version, Created: g.now(), Flags: flags,
			Tiles: j.plan.Tiling().Len(), Model: j.plan.Prepared()}
		path := h5io.PreparePath(file, pf.PartsDir, step)
		if err := writePrepare(path, p); err != nil {
			return 0, err
		}
		if ch := j.plan.BackgroundChoice(); ch != nil {
			prog.say("background: %s", ch)
		}
		if on := j.plan.Onsets(); len(on) > 0 {
			var d []string
			for _, e := range on {
				d = append(d, fmt.Sprintf("%s %+.2f +- %.2f eV", e.Edge, e.Shift, e.Error))
			}
			prog.say("onset shifts estimated on a sample of the scan: %s", strings.Join(d, ", "))
		}
		g.committed = append(g.committed, path)
		prog.say("prepared /entry/%s of %s in %s: %s; %d tiles, so up to %d parts (--part K/N)", step, file, path, j.plan.Description(), p.Tiles, p.Tiles)
		return 0, nil
	}
	prep, err := loadPrepare(file, pf.PartsDir, step, command, cmd)
	if err != nil {
		return 0, err
	}
	opts.Prepared, opts.Part = prep.Model, pf.part()
	j, err := prepareFit(f, file, command, input, m, opts)
	if err != nil {
		return 0, err
	}
	defer j.close()
	part, first, end := j.plan.Part()
	target, path, err := openPartFile(g, f, file, pf.PartsDir, step, part)
	if err != nil {
		return 0, err
	}
	defer target.Close()
	for k, v := range partParams(part) {
		extra[k] = v
	}
	res, err := j.run(g, prog, prep.InputSHA256, fitRun{step: step, resume: resume, overwrite: overwrite, extra: extra, target: target, targetPath: path,
		part: partNote(part, j.plan.Tiling(), first, end, file, prep)})
	if err != nil {
		return 0, err
	}
	return res.Spectra, nil
}

// merge finishes a partitioned fit of c.File from the checked parts.
func (c *fitCmd) merge(g *Globals, prog *progress, set *mergeSet) (*quant.Result, error) {
	if err := c.Validate(); err != nil {
		return nil, usageError{err}
	}
	f, sum, err := openForMerge(c.File, set)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts := c.opts
	opts.Workers, opts.Prepared = g.workers(), set.prep.Model
	j, err := prepareFit(f, c.File, "fit", c.Input, &c.modelFlags, opts)
	if err != nil {
		return nil, err
	}
	defer j.close()
	m := set.merge(c.File, c.Step)
	return j.run(g, prog, sum, fitRun{step: c.Step, overwrite: c.Overwrite, extra: set.params(m), merge: m, sums: set.sums})
}

// shortList joins names, at most max of them: a fine structure adds tens
// of parameters, which would make the progress line unreadable.
func shortList(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, ... and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

// noStepError is the message for an --input step that file does not
// have, with the steps it has.
func noStepError(f *h5io.File, file, input string, ns *h5io.NoStepError) error {
	return fmt.Errorf("--input %s: %s has no step %s (it has: %s)", input, file, ns.Path, strings.Join(stepNames(f), ", "))
}
