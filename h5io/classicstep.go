package h5io

import (
	"errors"
	"fmt"
	"maps"

	"github.com/eelsh5/eelsh5/classic"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// ClassicSummary is the JSON child of a classic step holding the
// operation's summary (classic.Result.Summary) and status counts.
const ClassicSummary = "summary"

// ClassicOptions configure the step a classic operation writes.
type ClassicOptions struct {
	Step       string // step name, e.g. "thickness"
	Overwrite  bool
	Provenance *multispectrum.Provenance
	// Scan calibrates the input scan; the step's axes follow the
	// operation's crop or binning (classic.Plan Y0, X0, FY, FX). Chunk is
	// the chunk shape of the cubes and maps (zero: ChunkScan).
	Scan  multispectrum.ScanCalibration
	Chunk [2]int
}

// ClassicDestination writes any classic operation into a step of f: it
// implements classic.Destination. Begin starts the step with the
// provenance (the operation's resolved parameters merged in) and creates
// one NXdata group per output stream, named as the stream: cubes (the
// operation's spectrum images, readable by fit and quant as a step's
// lowloss and coreloss), maps, map stacks and the status map; Finish
// writes the summary and commits. Close releases the datasets and
// removes an uncommitted step.
type ClassicDestination struct {
	f    *File
	opts ClassicOptions
	step *Step
	w    Writer
}

// NewClassicDestination returns the destination of a classic step.
func (f *File) NewClassicDestination(opts ClassicOptions) *ClassicDestination {
	return &ClassicDestination{f: f, opts: opts}
}

// Step returns the step being written (nil before Begin).
func (d *ClassicDestination) Step() *Step { return d.step }

// outputScan returns the calibration of the plan's output scan.
func outputScan(sc multispectrum.ScanCalibration, p *classic.Plan) multispectrum.ScanCalibration {
	if sc.Step == 0 {
		sc = multispectrum.PixelScan()
	}
	fy := max(p.FY, 1)
	out := sc
	out.Y0 = sc.Y0 + float64(p.Y0)*sc.Step
	out.X0 = sc.X0 + float64(p.X0)*sc.Step
	out.Step = sc.Step * float64(fy)
	return out
}

// Begin implements classic.Destination.
func (d *ClassicDestination) Begin(p *classic.Plan) (classic.Output, error) {
	if d.step != nil {
		return nil, errors.New("h5io: a classic step destination takes one run")
	}
	var prov multispectrum.Provenance
	if d.opts.Provenance != nil {
		prov = *d.opts.Provenance
	}
	params := maps.Clone(p.Params)
	if params == nil {
		params = map[string]any{}
	}
	params["operation"] = p.Operation
	maps.Copy(params, prov.Params)
	prov.Params = params
	var err error
	if d.step, err = d.f.BeginStep(d.opts.Step, &prov, d.opts.Overwrite); err != nil {
		return nil, err
	}
	scan := outputScan(d.opts.Scan, p)
	for _, s := range p.Streams {
		ds, err := d.create(p, s, scan)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.w = append(d.w, ds)
	}
	return classicOutput{d}, nil
}

// create makes the NXdata group of one stream.
func (d *ClassicDestination) create(p *classic.Plan, s classic.Stream, scan multispectrum.ScanCalibration) (*Dataset, error) {
	path := d.step.Path(s.Name)
	chunk := d.opts.Chunk
	switch s.Kind {
	case classic.CubeStream:
		dt := Float32
		if p.NY*p.NX == 1 {
			dt = Float64 // a sum of counts: keep every digit
		}
		if chunk[0] < 1 || chunk[1] < 1 {
			chunk[0], chunk[1] = ChunkScan(p.NY, p.NX, 4*s.Width)
		}
		spec := CubeSpec{NY: p.NY, NX: p.NX, Axis: s.Axis, Scan: scan, DType: dt, Chunk: chunk, Units: s.Units, LongName: s.LongName}
		if spec.Units == "" {
			spec.Units = "counts"
		}
		if spec.LongName == "" {
			spec.LongName = "Intensity (" + spec.Units + ")"
		}
		return d.f.CreateCube(path, spec)
	case classic.MapStream, classic.StatusStream:
		spec := MapSpec{NY: p.NY, NX: p.NX, Signal: s.Name, Units: s.Units, LongName: s.LongName, Chunk: chunk, Scan: scan, DType: Float64}
		if s.Kind == classic.StatusStream {
			spec.DType, spec.Codes = Int8, s.Codes
		}
		return d.f.CreateMap(path, spec)
	case classic.StackStream:
		if s.Width == 0 {
			// An empty stack (ratios of a single edge): nothing to store.
			return nil, nil
		}
		sd, _, err := d.f.CreateStack(path, StackSpec{NY: p.NY, NX: p.NX, Names: s.Components, Signal: s.Name, Units: s.Units, LongName: s.LongName, Chunk: chunk, Scan: scan})
		return sd, err
	}
	return nil, fmt.Errorf("h5io: unknown kind %d of stream %s", s.Kind, s.Name)
}

// Close releases the datasets and removes the step unless it was
// committed.
func (d *ClassicDestination) Close() {
	d.closeDatasets()
	if d.step != nil {
		d.step.Abort()
	}
}

func (d *ClassicDestination) closeDatasets() {
	for _, ds := range d.w {
		ds.Close()
	}
	d.w = nil
}

type classicOutput struct{ d *ClassicDestination }

// WriteTile implements multispectrum.Sink (streams without a dataset,
// the empty stacks, are skipped).
func (o classicOutput) WriteTile(t *multispectrum.Tile) error {
	for k, ds := range o.d.w {
		if ds == nil {
			continue
		}
		if err := ds.WriteRegion(t.Region, t.Out[k]); err != nil {
			return err
		}
	}
	return nil
}

// Finish writes the summary (with the status counts) and commits the
// step with the plan's default stream as its default.
func (o classicOutput) Finish(r *classic.Result) error {
	d := o.d
	d.closeDatasets()
	sum := maps.Clone(r.Summary)
	if sum == nil {
		sum = map[string]any{}
	}
	if r.Status != nil {
		counts := map[string]int{}
		for k, v := range r.Status {
			counts[fmt.Sprint(k)] = v
		}
		sum["status_counts"] = counts
	}
	sum["spectra"] = r.Spectra
	if err := d.step.WriteJSON(ClassicSummary, sum); err != nil {
		return err
	}
	return d.step.Commit(r.Plan.Default)
}

// ClassicInput opens the cubes of a step ("raw" or "" for /entry's, else
// /entry/STEP) as a classic.Input named lowloss and coreloss, each cube
// that exists; close the returned datasets when done. The tile is the
// first cube's chunk shape; scan is its calibration.
func (f *File) ClassicInput(step string) (in classic.Input, ds []*Dataset, paths []string, scan multispectrum.ScanCalibration, err error) {
	base := EntryPath
	if step != "" && step != "raw" {
		base = EntryPath + "/" + step
		if !f.Exists(base) {
			return in, nil, nil, scan, &NoStepError{File: f.path, Path: base}
		}
	}
	closeAll := func() {
		for _, d := range ds {
			d.Close()
		}
	}
	var infos []CubeInfo
	for _, name := range []string{LowLossName, CoreLossName} {
		p := base + "/" + name
		if !f.Exists(p) {
			continue
		}
		d, info, err := f.OpenCube(p)
		if err != nil {
			closeAll()
			return in, nil, nil, scan, err
		}
		ds, paths = append(ds, d), append(paths, p)
		if len(infos) > 0 && (info.NY != infos[0].NY || info.NX != infos[0].NX) {
			closeAll()
			return in, nil, nil, scan, fmt.Errorf("h5io: in %q the low loss is %dx%d but the core loss %dx%d", f.path, infos[0].NY, infos[0].NX, info.NY, info.NX)
		}
		infos = append(infos, info)
		in.Cubes = append(in.Cubes, classic.Cube{Name: name, Source: Reader{d}, Axis: info.Axis})
	}
	if len(ds) == 0 {
		return in, nil, nil, scan, fmt.Errorf("h5io: %q has no spectrum image under %s", f.path, base)
	}
	in.NY, in.NX = infos[0].NY, infos[0].NX
	cy, cx := ds[0].ScanChunk()
	in.Tile = [2]int{cy, cx}
	return in, ds, paths, infos[0].Scan, nil
}
