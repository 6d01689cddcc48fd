package h5io

import (
	"errors"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Children of an alignment step (doc/processing-file.md): the shift and
// status maps beside one aligned cube per input cube, named as the input
// (lowloss, coreloss).
const (
	AlignShifts      = "shifts"
	AlignShiftSignal = "shift"
	AlignStatus      = "status"
)

// AlignmentOptions configure the step an alignment writes.
type AlignmentOptions struct {
	Step       string // step name, usually StepAlignment
	Overwrite  bool
	Provenance *multispectrum.Provenance
	// Scan calibrates the maps' axes; Chunk is the chunk shape of the
	// aligned cubes.
	Scan  multispectrum.ScanCalibration
	Chunk [2]int
	// Part, for a part of a partitioned run (aligners.RunOptions.Part),
	// is stored in the step; Merge, for the merge of one, makes the
	// aligned cubes the merge of the parts' cubes (virtual or copied).
	Part  *PartNote
	Merge *Merge
}

// AlignmentDestination writes an aligners.Run into a step of f: it
// implements aligners.Destination. Begin starts the step (once the shifts
// are measured) and creates the aligned cubes, named after the input
// cubes; Finish writes the shift and status maps and commits. Close
// releases the cubes and removes an uncommitted step.
type AlignmentDestination struct {
	f    *File
	opts AlignmentOptions
	step *Step
	w    Writer
}

// NewAlignmentDestination returns the destination of an alignment step.
func (f *File) NewAlignmentDestination(opts AlignmentOptions) *AlignmentDestination {
	return &AlignmentDestination{f: f, opts: opts}
}

// Step returns the step being written (nil before Begin).
func (d *AlignmentDestination) Step() *Step { return d.step }

// Begin implements aligners.Destination.
func (d *AlignmentDestination) Begin(r *aligners.Result) (aligners.Output, error) {
	if d.step != nil {
		return nil, errors.New("h5io: an alignment destination takes one run")
	}
	var err error
	if d.step, err = d.f.BeginStep(d.opts.Step, d.opts.Provenance, d.opts.Overwrite); err != nil {
		return nil, err
	}
	for i, c := range r.Input.Cubes {
		ds, err := d.f.CreateCube(d.step.Path(c.Name), CubeSpec{NY: r.Input.NY, NX: r.Input.NX, Axis: r.Axes[i], Scan: d.opts.Scan, Chunk: d.opts.Chunk})
		if err != nil {
			return nil, err
		}
		d.w = append(d.w, ds)
	}
	if d.opts.Merge != nil {
		if err := d.opts.Merge.attach(d.f, d.step, d.w); err != nil {
			return nil, err
		}
	}
	return alignmentOutput{d}, nil
}

// Close releases the cubes and removes the step unless it was committed.
func (d *AlignmentDestination) Close() {
	for _, ds := range d.w {
		ds.Close()
	}
	d.w = nil
	if d.step != nil {
		d.step.Abort()
	}
}

type alignmentOutput struct{ d *AlignmentDestination }

func (o alignmentOutput) WriteTile(t *multispectrum.Tile) error { return o.d.w.WriteTile(t) }

// Finish writes the applied shift map (eV) and the status map and
// commits.
func (o alignmentOutput) Finish(r *aligners.Result) error {
	d := o.d
	for _, ds := range d.w {
		ds.Close()
	}
	d.w = nil
	ny, nx := r.Input.NY, r.Input.NX
	shift, status := multispectrum.NewArray(ny, nx, 1), multispectrum.NewArray(ny, nx, 1)
	for p := range ny * nx {
		shift.Data[p] = r.Plan.Shifts[p] // applied: the median where the status is not 0
		status.Data[p] = float64(r.Status[p])
	}
	if err := d.f.writeWholeMap(d.step.Path(AlignShifts), MapSpec{Signal: AlignShiftSignal, Units: "eV", LongName: "zero-loss shift (eV)", DType: Float64, Scan: d.opts.Scan}, shift); err != nil {
		return err
	}
	if err := d.f.writeWholeMap(d.step.Path(AlignStatus), MapSpec{Signal: AlignStatus, LongName: "alignment status", DType: Int8, Codes: aligners.StatusCodes, Scan: d.opts.Scan}, status); err != nil {
		return err
	}
	if d.opts.Part != nil {
		if err := writePart(d.step, d.opts.Part, nil); err != nil {
			return err
		}
	}
	return d.step.Commit(AlignShifts)
}

// writeWholeMap writes a whole map as an NXdata group.
func (f *File) writeWholeMap(path string, spec MapSpec, a *multispectrum.Array) error {
	spec.NY, spec.NX = a.NY, a.NX
	d, err := f.CreateMap(path, spec)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.WriteRegion(a.Bounds(), a.Data)
}
