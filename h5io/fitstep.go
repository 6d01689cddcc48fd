package h5io

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"gonum.org/v1/gonum/mat"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// Children of a fit or quant step besides its streams
// (doc/processing-file.md).
const (
	FitMeanSpectrum = "mean_spectrum"
	FitSummary      = "summary"
	FitParameters   = ProcParameters
)

// streamGroup places each quant stream in a step: the NXdata group that
// holds it and the dataset's name inside it. Errors live beside their
// values in one group, so that viewers draw them as error bars.
var streamGroup = map[quant.Stream][2]string{
	quant.StreamCoefficients:      {"coefficients", "coefficients"},
	quant.StreamCoefficientErrors: {"coefficients", "coefficients_errors"},
	quant.StreamCRLB:              {"crlb", "crlb"},
	quant.StreamCovariance:        {"covariance", "covariance"},
	quant.StreamChi2:              {"chi2", "chi2"},
	quant.StreamStatus:            {"status", "status"},
	quant.StreamCondition:         {"condition", "condition"},
	quant.StreamModel:             {"model", SignalData},
	quant.StreamElements:          {"elements", "elements"},
	quant.StreamElementErrors:     {"elements", "elements_errors"},
	quant.StreamComposition:       {"composition", "composition"},
	quant.StreamCompositionErrors: {"composition", "composition_errors"},
}

// StreamGroup returns the NXdata group (relative to the step) of a fit
// stream, e.g. "coefficients" or "model".
func StreamGroup(s quant.Stream) string { return streamGroup[s][0] }

// StreamDataset returns the dataset path of a fit stream relative to the
// step, e.g. "coefficients/coefficients_errors" or "model/data".
func StreamDataset(s quant.Stream) string {
	g := streamGroup[s]
	return g[0] + "/" + g[1]
}

// FitStepOptions configure the step a fit or quantification writes.
type FitStepOptions struct {
	Step      string // step name under /entry (StepFit, StepQuant, ...)
	Overwrite bool   // replace a committed step of that name once the new one is complete
	Resume    bool   // continue an interrupted run of the step from its checkpoint
	// Input is what the fit reads (OpenFitInput); its group is recorded
	// as the step's "input" parameter, which readers (OpenFitStep, the
	// viewer) follow to the fitted cubes.
	Input *FitInput
	// Provenance of the step; the plan's parameters (Plan.Params) are
	// added to its Params, keys already there win. Nil records only those.
	Provenance *multispectrum.Provenance
	// Scan calibrates the maps' axes; Chunk is their chunk shape (the
	// input's scan chunk), zero for the default.
	Scan  multispectrum.ScanCalibration
	Chunk [2]int
	// Part, for a part of a partitioned run (quant.Options.Part), is
	// stored with the part's running sums when the step is finished.
	Part *PartNote
	// Merge, for the merge of a partitioned run (quant.Plan.Merge), makes
	// every stream the merge of the parts' streams (virtual or copied).
	Merge *Merge
}

// FitStepDestination writes a quant.Run or fit into a step of f: it
// implements quant.Destination. Begin starts (or resumes) the step and
// creates its datasets, Finish writes the mean spectrum and the summary
// and commits. Close releases the datasets and removes the step unless it
// was committed (a step with a checkpoint is kept for a resumed run).
type FitStepDestination struct {
	f    *File
	opts FitStepOptions
	step *Step
	plan *quant.Plan
	ds   []*Dataset // by quant.Stream
	w    Writer
	ck   *Checkpoint
}

// NewFitStepDestination returns the destination of a fit step in f.
func (f *File) NewFitStepDestination(opts FitStepOptions) *FitStepDestination {
	return &FitStepDestination{f: f, opts: opts, ds: make([]*Dataset, len(quant.AllStreams()))}
}

// Step returns the step being written (nil before Begin).
func (d *FitStepDestination) Step() *Step { return d.step }

// Begin implements quant.Destination.
func (d *FitStepDestination) Begin(p *quant.Plan) (quant.Output, error) {
	if d.step != nil {
		return nil, errors.New("h5io: a fit step destination takes one run")
	}
	var prov multispectrum.Provenance
	if d.opts.Provenance != nil {
		prov = *d.opts.Provenance
	}
	params := maps.Clone(p.Params())
	if d.opts.Input != nil {
		params["input"] = d.opts.Input.Base
	}
	maps.Copy(params, prov.Params)
	prov.Params = params
	var err error
	if d.opts.Resume {
		d.step, err = d.f.ResumeStep(d.opts.Step, &prov, d.opts.Overwrite)
	} else {
		d.step, err = d.f.BeginStep(d.opts.Step, &prov, d.opts.Overwrite)
	}
	if err != nil {
		return nil, err
	}
	d.plan = p
	if d.step.Resumed {
		err = d.reopen()
	} else {
		err = d.create()
	}
	if err == nil && d.opts.Merge != nil {
		if err = d.opts.Merge.attach(d.f, d.step, d.ds); err == nil {
			err = d.order()
		}
	}
	if err != nil {
		return nil, err
	}
	d.ck, err = d.step.Checkpoint(p.Tiling().Len(), p.SumsLen())
	if err != nil {
		return nil, err
	}
	return fitStepOutput{d}, nil
}

func (d *FitStepDestination) chunk() [2]int {
	if d.opts.Chunk[0] > 0 && d.opts.Chunk[1] > 0 {
		return d.opts.Chunk
	}
	ty := d.plan.Tiling()
	return [2]int{ty.TileY, ty.TileX}
}

// create makes the datasets of a new step, in stream order.
func (d *FitStepDestination) create() error {
	p, f := d.plan, d.f
	ny, nx := p.Scan()
	chunk, scan := d.chunk(), d.opts.Scan
	names := p.Names()
	units, long := p.ElementUnits()
	labels := p.Labels()
	stack := func(values, errs quant.Stream, spec StackSpec) error {
		if p.Index(values) < 0 {
			return nil
		}
		spec.NY, spec.NX, spec.Chunk, spec.Scan = ny, nx, chunk, scan
		spec.Signal = streamGroup[values][1]
		spec.Errors = errs >= 0
		v, e, err := f.CreateStack(d.step.Path(streamGroup[values][0]), spec)
		if err != nil {
			return err
		}
		d.ds[values] = v
		if errs >= 0 {
			d.ds[errs] = e
		}
		return nil
	}
	fitStacks := []struct {
		v, e quant.Stream
		spec StackSpec
	}{
		{quant.StreamCoefficients, quant.StreamCoefficientErrors, StackSpec{Names: names, LongName: "fitted coefficient"}},
		{quant.StreamCRLB, -1, StackSpec{Names: names, LongName: "Cramer-Rao lower bound (variance)"}},
		{quant.StreamCovariance, -1, StackSpec{Names: quant.CovarianceNames(names), LongName: "covariance (upper triangle)"}},
	}
	quantStacks := []struct {
		v, e quant.Stream
		spec StackSpec
	}{
		{quant.StreamElements, quant.StreamElementErrors, StackSpec{Names: labels, Units: units, LongName: long}},
		{quant.StreamComposition, quant.StreamCompositionErrors, StackSpec{Names: labels, Units: "at.%", LongName: "relative composition (at.%)"}},
	}
	for _, s := range fitStacks {
		if err := stack(s.v, s.e, s.spec); err != nil {
			return err
		}
	}
	for _, m := range []struct {
		s    quant.Stream
		spec MapSpec
	}{
		{quant.StreamChi2, MapSpec{LongName: "reduced chi-square"}},
		{quant.StreamStatus, MapSpec{LongName: "fit status", DType: Int8, Codes: fitters.StatusCodes}},
		{quant.StreamCondition, MapSpec{LongName: "condition number of the weighted, scaled design"}},
	} {
		if p.Index(m.s) < 0 {
			continue
		}
		m.spec.NY, m.spec.NX, m.spec.Chunk, m.spec.Scan, m.spec.Signal = ny, nx, chunk, scan, streamGroup[m.s][1]
		ds, err := f.CreateMap(d.step.Path(streamGroup[m.s][0]), m.spec)
		if err != nil {
			return err
		}
		d.ds[m.s] = ds
	}
	if p.Index(quant.StreamModel) >= 0 {
		ds, err := f.CreateCube(d.step.Path(StreamGroup(quant.StreamModel)), CubeSpec{NY: ny, NX: nx, Axis: p.Axis(), Scan: scan, Chunk: chunk,
			Units: "counts", LongName: "fitted model (counts)"})
		if err != nil {
			return err
		}
		d.ds[quant.StreamModel] = ds
	}
	for _, s := range quantStacks {
		if err := stack(s.v, s.e, s.spec); err != nil {
			return err
		}
	}
	return d.order()
}

// reopen opens the datasets of a resumed step.
func (d *FitStepDestination) reopen() error {
	for _, s := range d.plan.Streams() {
		var ds *Dataset
		var err error
		switch s {
		case quant.StreamModel:
			ds, _, err = d.f.OpenCube(d.step.Path(StreamGroup(s)))
		case quant.StreamChi2, quant.StreamStatus, quant.StreamCondition:
			ds, err = d.f.OpenMap(d.step.Path(StreamDataset(s)))
		default:
			ds, err = d.f.OpenStack(d.step.Path(StreamDataset(s)))
		}
		if err != nil {
			return err
		}
		d.ds[s] = ds
	}
	return d.order()
}

// order lists the datasets in the plan's stream order.
func (d *FitStepDestination) order() error {
	d.w = d.w[:0]
	for _, s := range d.plan.Streams() {
		if d.ds[s] == nil {
			return fmt.Errorf("h5io: the fit step has no dataset for stream %s", s)
		}
		d.w = append(d.w, d.ds[s])
	}
	return nil
}

// Close releases the datasets and, unless the step was committed,
// removes it (keeping it when it has a checkpoint to resume from).
func (d *FitStepDestination) Close() {
	d.closeDatasets()
	if d.step != nil {
		d.step.Abort()
	}
}

func (d *FitStepDestination) closeDatasets() {
	for i, ds := range d.ds {
		if ds != nil {
			ds.Close()
			d.ds[i] = nil
		}
	}
	d.w = nil
	if d.ck != nil {
		d.ck.Close()
		d.ck = nil
	}
}

type fitStepOutput struct{ d *FitStepDestination }

func (o fitStepOutput) WriteTile(t *multispectrum.Tile) error { return o.d.w.WriteTile(t) }

func (o fitStepOutput) Resume() ([]bool, []float64, error) {
	if !o.d.step.Resumed {
		return nil, nil, nil
	}
	return o.d.ck.Load()
}

func (o fitStepOutput) Checkpoint(done []bool, sums []float64) error {
	if o.d.ck == nil {
		return nil
	}
	return o.d.ck.Write(done, sums)
}

func (o fitStepOutput) ReadStream(s quant.Stream) (*multispectrum.Array, error) {
	ds := o.d.ds[s]
	if ds == nil {
		return nil, fmt.Errorf("h5io: the step has no %s", s)
	}
	ny, nx := o.d.plan.Scan()
	a := multispectrum.NewArray(ny, nx, o.d.plan.Width(s))
	if _, err := ds.ReadRegion(a.Data, a.Bounds()); err != nil {
		return nil, err
	}
	return a, nil
}

// ReadStreamRegion reads the region r of stream s (quant.RegionReader).
func (o fitStepOutput) ReadStreamRegion(s quant.Stream, r multispectrum.Region) (*multispectrum.Array, error) {
	ds := o.d.ds[s]
	if ds == nil {
		return nil, fmt.Errorf("h5io: the step has no %s", s)
	}
	a := multispectrum.NewArray(r.NY, r.NX, o.d.plan.Width(s))
	if _, err := ds.ReadRegion(a.Data, r); err != nil {
		return nil, err
	}
	return a, nil
}

// Finish writes the mean spectrum and the summary and commits the step
// with its default child (composition for a quantification, else the
// coefficients).
func (o fitStepOutput) Finish(r *quant.Result) error {
	d := o.d
	if d.ck != nil {
		d.ck.Close()
		d.ck = nil
	}
	d.closeDatasets()
	if r.Mean != nil {
		curves := make([]Curve, len(r.Mean.Curves))
		for i, c := range r.Mean.Curves {
			curves[i] = Curve{Name: c.Name, Values: c.Values, LongName: c.LongName}
		}
		if err := d.f.WriteSpectra(d.step.Path(FitMeanSpectrum), r.Mean.Axis, curves); err != nil {
			return err
		}
	}
	if d.opts.Part != nil {
		if err := writePart(d.step, d.opts.Part, r.Sums); err != nil {
			return err
		}
	}
	def := StreamGroup(quant.StreamCoefficients)
	if r.Summary != nil {
		if err := d.step.WriteJSON(FitSummary, r.Summary); err != nil {
			return err
		}
		def = StreamGroup(quant.StreamComposition)
	}
	return d.step.Commit(def)
}

// FitStep reads a committed fit or quant step: its parameter names, edge
// labels, recorded options and streams.
type FitStep struct {
	f    *File
	Path string // absolute path of the step, e.g. /entry/quant
	// Names are the free parameters, in coefficient order; Labels the
	// edges of the elemental maps (nil for a fit step).
	Names, Labels []string
	// Input is the step the fit read its cubes from (/entry or
	// /entry/alignment); LowLoss the low-loss cube it convolved with, ""
	// when none.
	Input, CoreLoss, LowLoss string
	Method                   string
	ModelFile                *quant.ModelFile
	// NY, NX is the scan.
	NY, NX int
}

// ErrNotFitStep is returned by OpenFitStep for a step that is not a fit.
var ErrNotFitStep = errors.New("h5io: not a fit step")

// OpenFitStep reads the description of the fit or quant step at path (an
// absolute path such as /entry/quant). A step that is not a fit gives an
// error wrapping ErrNotFitStep.
func (f *File) OpenFitStep(path string) (*FitStep, error) {
	txt, err := f.ReadStrings(path + "/" + FitParameters + "/" + SignalData)
	if err != nil || len(txt) != 1 {
		return nil, fmt.Errorf("%w: %s has no parameters", ErrNotFitStep, path)
	}
	var p struct {
		Input     json.RawMessage  `json:"input"`
		ModelFile *quant.ModelFile `json:"model_file"`
		Method    string           `json:"method"`
		LowLoss   bool             `json:"lowloss"`
	}
	if err := json.Unmarshal([]byte(txt[0]), &p); err != nil {
		return nil, fmt.Errorf("h5io: the parameters of %s in %q: %w", path, f.path, err)
	}
	if p.ModelFile == nil {
		return nil, fmt.Errorf("%w: %s has no model", ErrNotFitStep, path)
	}
	var input string
	if err := json.Unmarshal(p.Input, &input); err != nil {
		return nil, fmt.Errorf("%w: %s names no input step", ErrNotFitStep, path)
	}
	s := &FitStep{f: f, Path: path, Input: input, CoreLoss: input + "/" + CoreLossName, Method: p.Method, ModelFile: p.ModelFile}
	if p.LowLoss {
		s.LowLoss = input + "/" + LowLossName
	}
	coef := path + "/" + StreamDataset(quant.StreamCoefficients)
	if !f.Exists(coef) {
		return nil, fmt.Errorf("h5io: the fit step %s in %q has no %s", path, f.path, StreamDataset(quant.StreamCoefficients))
	}
	d, err := f.OpenStack(coef)
	if err != nil {
		return nil, err
	}
	s.NY, s.NX = d.NY, d.NX
	d.Close()
	if s.Names, err = f.ReadStrings(path + "/" + StreamGroup(quant.StreamCoefficients) + "/" + ComponentNames); err != nil {
		return nil, fmt.Errorf("h5io: the parameter names of %s in %q: %w", path, f.path, err)
	}
	if lp := path + "/" + StreamGroup(quant.StreamElements) + "/" + ComponentNames; f.Exists(lp) {
		if s.Labels, err = f.ReadStrings(lp); err != nil {
			return nil, fmt.Errorf("h5io: the edge labels of %s in %q: %w", path, f.path, err)
		}
	}
	return s, nil
}

// Has reports whether the step stored stream st.
func (s *FitStep) Has(st quant.Stream) bool { return s.f.Exists(s.Path + "/" + StreamDataset(st)) }

// DatasetPath returns the absolute path of a stream's dataset.
func (s *FitStep) DatasetPath(st quant.Stream) string { return s.Path + "/" + StreamDataset(st) }

// GroupPath returns the absolute path of a stream's NXdata group.
func (s *FitStep) GroupPath(st quant.Stream) string { return s.Path + "/" + StreamGroup(st) }

// ReadStream reads a whole map stream (not the model cube).
func (s *FitStep) ReadStream(st quant.Stream) (*multispectrum.Array, error) {
	if st == quant.StreamModel {
		c, err := s.f.ReadCube(s.GroupPath(st))
		if err != nil {
			return nil, err
		}
		return &c.Array, nil
	}
	switch st {
	case quant.StreamChi2, quant.StreamStatus, quant.StreamCondition:
		return s.f.ReadMap(s.DatasetPath(st))
	}
	a, _, err := s.f.ReadStack(s.DatasetPath(st))
	return a, err
}

// Covariance returns the covariance matrix of the free parameters at
// pixel (y, x).
func (s *FitStep) Covariance(y, x int) (*mat.SymDense, error) {
	if y < 0 || y >= s.NY || x < 0 || x >= s.NX {
		return nil, fmt.Errorf("h5io: pixel %d,%d is outside the %dx%d scan", y, x, s.NY, s.NX)
	}
	d, err := s.f.OpenStack(s.DatasetPath(quant.StreamCovariance))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	p := len(s.Names)
	tri := make([]float64, p*(p+1)/2)
	if _, err := d.ReadRegion(tri, multispectrum.Region{Y0: y, X0: x, NY: 1, NX: 1}); err != nil {
		return nil, err
	}
	return quant.UnpackCovariance(tri, p), nil
}

// Summary reads the quantification summary (an error for a fit step).
func (s *FitStep) Summary() (*quant.Summary, error) {
	var sum quant.Summary
	if err := s.f.ReadNote(s.Path+"/"+FitSummary, &sum); err != nil {
		return nil, err
	}
	return &sum, nil
}

// FitInput is what a fit reads from a processing file: the core loss
// and, when present, the low loss of one step.
type FitInput struct {
	// Base is the group the cubes were read from: /entry for the raw
	// cubes, else a step such as /entry/alignment.
	Base              string
	CoreLoss, LowLoss *Dataset // LowLoss nil when the step has none
	CoreInfo, LowInfo CubeInfo
	CorePath, LowPath string
}

// OpenFitInput opens the cubes a fit reads: those of the named step,
// "raw" for /entry, or for "" the alignment step when there is one, else
// the raw cubes.
func (f *File) OpenFitInput(step string) (*FitInput, error) {
	in := &FitInput{}
	switch {
	case step == "raw":
		in.Base = EntryPath
	case step != "":
		in.Base = EntryPath + "/" + step
		if !f.Exists(in.Base) {
			return nil, &NoStepError{File: f.path, Path: in.Base}
		}
	case f.Exists(EntryPath + "/" + StepAlignment + "/" + CoreLossName):
		in.Base = EntryPath + "/" + StepAlignment
	default:
		in.Base = EntryPath
	}
	in.CorePath = in.Base + "/" + CoreLossName
	var err error
	if in.CoreLoss, in.CoreInfo, err = f.OpenCube(in.CorePath); err != nil {
		return nil, err
	}
	if lp := in.Base + "/" + LowLossName; f.Exists(lp) {
		if in.LowLoss, in.LowInfo, err = f.OpenCube(lp); err != nil {
			in.Close()
			return nil, err
		}
		in.LowPath = lp
		if in.LowInfo.NY != in.CoreInfo.NY || in.LowInfo.NX != in.CoreInfo.NX {
			in.Close()
			return nil, fmt.Errorf("h5io: in %q the low loss is %dx%d but the core loss %dx%d", f.path, in.LowInfo.NY, in.LowInfo.NX, in.CoreInfo.NY, in.CoreInfo.NX)
		}
	}
	return in, nil
}

// Close releases the cubes.
func (in *FitInput) Close() {
	if in.CoreLoss != nil {
		in.CoreLoss.Close()
	}
	if in.LowLoss != nil {
		in.LowLoss.Close()
	}
}

// QuantInput returns the input of quant.NewPlan over these cubes, with
// the file's instrument metadata; withLowLoss false leaves the low loss
// out.
func (in *FitInput) QuantInput(inst multispectrum.Instrument, withLowLoss bool) quant.Input {
	cy, cx := in.CoreLoss.ScanChunk()
	q := quant.Input{NY: in.CoreInfo.NY, NX: in.CoreInfo.NX, CoreLoss: in.CoreInfo.Axis, Tile: [2]int{cy, cx},
		Instrument: inst, Source: Reader{in.CoreLoss}}
	if withLowLoss && in.LowLoss != nil {
		ax := in.LowInfo.Axis
		q.LowLoss = &ax
		q.Source = Reader{in.CoreLoss, in.LowLoss}
	}
	return q
}
