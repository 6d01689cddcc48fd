package aligners

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Cube is one spectrum-image cube to align, read tile by tile.
type Cube struct {
	Name string // e.g. "lowloss", "coreloss"
	// Source fills stream 0 of a tile with the cube's spectra
	// (Axis.Size values a pixel).
	Source multispectrum.Source
	Axis   multispectrum.EnergyAxis
}

// Input is the scan to align: its cubes share the scan and the
// dispersion; the shifts are measured on Cubes[Measure] and applied to
// every cube.
type Input struct {
	NY, NX int
	Cubes  []Cube
	// Measure is the index of the cube the shifts are measured on.
	Measure int
	// Relative marks a measured cube without a zero-loss peak (a core
	// loss): the shifts are then relative to the reference pixel, found by
	// cross-correlation. Otherwise they are absolute: each pixel's zero
	// loss moves to 0 eV.
	Relative bool
	// Tile is the tile size (rows, columns); zero takes 32 x 32. A file's
	// chunk shape is the best choice.
	Tile [2]int
}

// CubeInput is the Input of in-memory cubes: the shifts are measured on
// the low loss and applied to the low loss and, when given, the core loss
// (in that order).
func CubeInput(low, core *multispectrum.Cube) Input {
	in := Input{NY: low.NY, NX: low.NX, Cubes: []Cube{{Name: "lowloss", Source: multispectrum.ArraySource{&low.Array}, Axis: low.Axis}}}
	if core != nil {
		in.Cubes = append(in.Cubes, Cube{Name: "coreloss", Source: multispectrum.ArraySource{&core.Array}, Axis: core.Axis})
	}
	return in
}

// RunOptions configure Run: the estimator, the reference pixel of the
// cross-correlation, and how to run. The zero value aligns with the fast
// method (argmax, whole channels) on all cores.
type RunOptions struct {
	Options
	// Reference is the pixel (row, column) whose spectrum is the
	// cross-correlation's reference (default 0, 0).
	Reference [2]int
	// Workers is the number of compute goroutines (0: runtime.GOMAXPROCS(0)).
	Workers int
	// Progress, when set, is called with the stage (Measuring, Applying),
	// the tiles done and the total.
	Progress func(stage Stage, done, total int)
	// Single aligns a single spectrum (a 1 x 1 scan), which Check
	// otherwise refuses with ErrSingleSpectrum: a separately recorded
	// core loss must not take the zero-loss offset of its low loss, and
	// with one pixel there is no drift to correct. Aligned, the single
	// pixel's axes are relabelled so that its zero loss is at 0 eV.
	Single bool
	// Part, when set, applies the shifts to the tiles of that part only
	// (pass 2): the others are neither read nor written. The plan (the
	// median and the crop) needs every pixel's shift, so a part takes
	// Measured from a preparing run (Measure) rather than measuring.
	Part Part
	// Measured, when set, are the shifts and status of every pixel as a
	// preparing run measured them: Run skips pass 1 and makes its plan
	// from them, so that every part applies the same plan.
	Measured *Measurement
}

// Measurement is pass 1 of an alignment: each pixel's measured shift
// (eV; 0 where the status is not OK, which the plan replaces by the
// median) and status, row-major.
type Measurement struct {
	Shifts []float64 `json:"shifts"`
	Status []Status  `json:"status"`
}

// Stage is a pass of Run.
type Stage int

const (
	Measuring Stage = iota // measuring each pixel's shift
	Applying               // writing the aligned cubes
)

// Destination receives the aligned cubes. Begin is called once the
// shifts are measured, before anything is written, with the result so
// far (plan, status and output axes); a processing file creates its step
// there (h5io.AlignmentDestination), memory its arrays (Memory).
type Destination interface {
	Begin(r *Result) (Output, error)
}

// Output stores the aligned cubes: WriteTile receives stream k as the
// aligned Input.Cubes[k]; Finish is called once all tiles are written.
type Output interface {
	multispectrum.Sink
	Finish(r *Result) error
}

// Result describes an alignment.
type Result struct {
	Input Input
	// Plan holds the applied per-pixel shifts (eV; pixels without a
	// usable peak take the median), the median and the crop, and applies
	// them.
	Plan *Plan
	// Measured are the shifts as measured (meaningless where the status
	// is not OK), Status each pixel's outcome.
	Measured []float64
	Status   []Status
	// Counts counts the pixels of each status.
	Counts map[Status]int
	// Axes are the aligned axes of the input cubes, in input order.
	Axes []multispectrum.EnergyAxis
	// Options are the options resolved against the measured cube's axis.
	Options RunOptions
}

// Failed returns the number of pixels without a usable peak.
func (r *Result) Failed() int { return len(r.Status) - r.Counts[OK] }

// StatusCounts returns the counts by status name (for provenance).
func (r *Result) StatusCounts() map[string]int {
	out := map[string]int{}
	for k, v := range r.Counts {
		out[k.String()] = v
	}
	return out
}

// describeCounts lists the pixels of each status, e.g. "pixels: no
// peak 3, non-finite values 1".
func (r *Result) describeCounts() string {
	var parts []string
	for st := OK; st <= OutOfRange; st++ {
		if n := r.Counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%v %d", st, n))
		}
	}
	return "pixels: " + strings.Join(parts, ", ")
}

// ShiftRange returns the smallest and largest applied shift, eV.
func (r *Result) ShiftRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range r.Plan.Shifts {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

// Check validates the input and options without reading any spectrum:
// the scan, the cubes' dispersions, the method against the measured
// cube, the options against its axis and the reference pixel.
func Check(in Input, opts RunOptions) error {
	if in.NY <= 0 || in.NX <= 0 {
		return fmt.Errorf("aligners: the scan is %dx%d", in.NY, in.NX)
	}
	if len(in.Cubes) == 0 {
		return errors.New("aligners: no cube to align")
	}
	if in.Measure < 0 || in.Measure >= len(in.Cubes) {
		return fmt.Errorf("aligners: measured cube %d of %d", in.Measure, len(in.Cubes))
	}
	for _, c := range in.Cubes {
		if c.Source == nil {
			return fmt.Errorf("aligners: cube %s has no source", c.Name)
		}
		if err := c.Axis.Validate(); err != nil {
			return fmt.Errorf("aligners: cube %s: %w", c.Name, err)
		}
	}
	if in.Relative && opts.Method != CrossCorrelation {
		return ErrRelativeNeedsXCorr
	}
	if err := opts.Validate(in.Cubes[in.Measure].Axis); err != nil {
		return err
	}
	if opts.Window < 0 || math.IsNaN(opts.Window) {
		return fmt.Errorf("aligners: window %g eV: must be positive", opts.Window)
	}
	if ry, rx := opts.Reference[0], opts.Reference[1]; ry < 0 || ry >= in.NY || rx < 0 || rx >= in.NX {
		return &ReferenceError{Y: ry, X: rx, NY: in.NY, NX: in.NX}
	}
	if opts.Workers < 0 {
		return fmt.Errorf("aligners: %d workers", opts.Workers)
	}
	if in.NY*in.NX == 1 && !opts.Single {
		return ErrSingleSpectrum
	}
	return nil
}

// ErrSingleSpectrum: single spectra (1 x 1 scans) are not aligned unless
// RunOptions.Single is set, as the reference aligns only spectrum images.
var ErrSingleSpectrum = errors.New("aligners: a single spectrum (1x1 scan) is not aligned: its core loss may be calibrated on its own, and one pixel has no drift to correct")

// ErrRelativeNeedsXCorr: a cube without a zero-loss peak can only be
// aligned by cross-correlation.
var ErrRelativeNeedsXCorr = errors.New("aligners: a cube without a zero-loss peak (the core loss) can only be aligned by cross-correlation")

// ReferenceError is a reference pixel outside the scan.
type ReferenceError struct{ Y, X, NY, NX int }

func (e *ReferenceError) Error() string {
	return fmt.Sprintf("aligners: reference pixel %d,%d is outside the %dx%d scan", e.Y, e.X, e.NY, e.NX)
}

// tiling returns the tiles of a run over in.
func (in Input) tiling() multispectrum.Tiling {
	ty, tx := in.Tile[0], in.Tile[1]
	if ty <= 0 || tx <= 0 {
		ty, tx = 32, 32
	}
	return multispectrum.NewTiling(in.NY, in.NX, min(ty, in.NY), min(tx, in.NX))
}

// Tiling returns the tiles of a run over in (the chunks of Input.Tile),
// which RunOptions.Part divides.
func (in Input) Tiling() multispectrum.Tiling { return in.tiling() }

// Measure is pass 1 of Run: it checks the input and options, measures
// every pixel's shift on the measured cube (or takes opts.Measured) and
// makes the plan and the aligned axes, writing nothing. A preparing run
// stores Result.Measurement for the parts of a partitioned run.
func Measure(ctx context.Context, in Input, opts RunOptions) (*Result, error) {
	if err := Check(in, opts); err != nil {
		return nil, err
	}
	if _, _, err := opts.Part.Tiles(in.tiling()); err != nil {
		return nil, err
	}
	opts.defaults(in.Cubes[in.Measure].Axis)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	tl := in.tiling()
	mc := in.Cubes[in.Measure]
	axis := mc.Axis
	ref := make([]float64, axis.Size)
	rt := &multispectrum.Tile{Region: multispectrum.Region{Y0: opts.Reference[0], X0: opts.Reference[1], NY: 1, NX: 1}, In: [][]float64{ref}}
	if err := mc.Source.ReadTile(rt); err != nil {
		return nil, err
	}
	absolute := !in.Relative
	if _, err := NewEstimator(opts.Options, axis, ref, absolute); err != nil {
		return nil, err
	}
	np := in.NY * in.NX
	res := &Result{Input: in, Measured: make([]float64, np), Status: make([]Status, np), Counts: map[Status]int{}, Options: opts}
	if m := opts.Measured; m != nil {
		if len(m.Shifts) != np || len(m.Status) != np {
			return nil, fmt.Errorf("aligners: %d prepared shifts and %d status values for %d pixels", len(m.Shifts), len(m.Status), np)
		}
		copy(res.Measured, m.Shifts)
		copy(res.Status, m.Status)
	} else {
		w := axis.Size
		est := multispectrum.NewArray(in.NY, in.NX, 2)
		newEst := func() *Estimator {
			e, _ := NewEstimator(opts.Options, axis, ref, absolute) // checked above
			return e
		}
		measure := func(e *Estimator, t *multispectrum.Tile) error {
			for p := 0; p < t.Region.Pixels(); p++ {
				s, st := e.Estimate(t.In[0][p*w : (p+1)*w])
				t.Out[0][2*p], t.Out[0][2*p+1] = s, float64(st)
			}
			return nil
		}
		err := multispectrum.Process(ctx, mc.Source, multispectrum.ArraySink{est}, tl,
			multispectrum.Layout{In: []int{w}, Out: []int{2}}, newEst, measure, multispectrum.Workers(workers), opts.progress(Measuring))
		if err != nil {
			return nil, err
		}
		for p := 0; p < np; p++ {
			res.Measured[p], res.Status[p] = est.Data[2*p], Status(est.Data[2*p+1])
		}
	}
	for p := 0; p < np; p++ {
		res.Counts[res.Status[p]]++
	}
	var err error
	res.Plan, err = NewPlan(res.Measured, res.Status, axis, opts.Method == Fast)
	if errors.Is(err, ErrNoUsablePeak) {
		return nil, fmt.Errorf("%w (%s)", err, res.describeCounts())
	}
	if err != nil {
		return nil, err
	}
	for _, c := range in.Cubes {
		ax, err := res.Plan.Axis(c.Axis)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		res.Axes = append(res.Axes, ax)
	}
	return res, nil
}

// Measurement returns pass 1 of the alignment, for the parts of a
// partitioned run (RunOptions.Measured): the measured shifts, 0 where
// the status is not OK (the plan takes the median there), and the status.
func (r *Result) Measurement() *Measurement {
	m := &Measurement{Shifts: make([]float64, len(r.Measured)), Status: append([]Status(nil), r.Status...)}
	for p, v := range r.Measured {
		if r.Status[p] == OK {
			m.Shifts[p] = v
		}
	}
	return m
}

func (o *RunOptions) progress(s Stage) multispectrum.ProcessOption {
	return multispectrum.Progress(func(done, total int) {
		if o.Progress != nil {
			o.Progress(s, done, total)
		}
	})
}

// Run measures every pixel's shift on the measured cube (pass 1: one
// shift and status per pixel in memory; Measure), makes the plan (median
// for pixels without a peak; cropped by the spread of the shifts about
// their median and relabelled so that the zero loss is at 0 eV,
// doc/algorithms.md 7.1, 7.2 and 7.5), and applies it to every cube
// (pass 2), streaming tile by tile into dst. Nothing reaches dst before
// pass 1 has succeeded. A single spectrum is refused (ErrSingleSpectrum)
// unless opts.Single is set; when no pixel has a usable peak the error
// wraps ErrNoUsablePeak. With opts.Part only the part's tiles are
// applied and written.
func Run(ctx context.Context, in Input, dst Destination, opts RunOptions) (*Result, error) {
	res, err := Measure(ctx, in, opts)
	if err != nil {
		return nil, err
	}
	opts = res.Options
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	tl := in.tiling()
	first, end, err := opts.Part.Tiles(tl)
	if err != nil {
		return nil, err
	}

	// Pass 2: apply the shifts to every cube.
	out, err := dst.Begin(res)
	if err != nil {
		return nil, err
	}
	srcs := make(multiSource, len(in.Cubes))
	lin, lout := make([]int, len(in.Cubes)), make([]int, len(in.Cubes))
	for i, c := range in.Cubes {
		srcs[i] = c.Source
		lin[i], lout[i] = c.Axis.Size, res.Axes[i].Size
	}
	nx := in.NX
	plan := res.Plan
	apply := func(_ struct{}, t *multispectrum.Tile) error {
		r := t.Region
		for k := range t.In {
			wi, wo := lin[k], lout[k]
			q := 0
			for y := r.Y0; y < r.Y0+r.NY; y++ {
				for x := r.X0; x < r.X0+r.NX; x++ {
					plan.Apply(t.Out[k][q*wo:(q+1)*wo], t.In[k][q*wi:(q+1)*wi], y*nx+x)
					q++
				}
			}
		}
		return nil
	}
	popts := []multispectrum.ProcessOption{multispectrum.Workers(workers), opts.progress(Applying)}
	if !opts.Part.Whole() {
		popts = append(popts, multispectrum.Skip(func(i int) bool { return i < first || i >= end }))
	}
	err = multispectrum.Process(ctx, srcs, out, tl, multispectrum.Layout{In: lin, Out: lout},
		func() struct{} { return struct{}{} }, apply, popts...)
	if err != nil {
		return nil, err
	}
	if err := out.Finish(res); err != nil {
		return nil, err
	}
	return res, nil
}

// multiSource reads stream k of a tile from source k (each a
// one-stream source).
type multiSource []multispectrum.Source

func (m multiSource) ReadTile(t *multispectrum.Tile) error {
	in := t.In
	defer func() { t.In = in }()
	for k, s := range m {
		t.In = in[k : k+1]
		if err := s.ReadTile(t); err != nil {
			return err
		}
	}
	return nil
}

// Memory is a Destination that keeps the aligned cubes in memory.
type Memory struct {
	// Cubes are the aligned cubes, in input order, once Run has begun
	// writing.
	Cubes []*multispectrum.Cube
}

// Begin implements Destination.
func (m *Memory) Begin(r *Result) (Output, error) {
	var sink multispectrum.ArraySink
	for _, ax := range r.Axes {
		c := multispectrum.NewCube(r.Input.NY, r.Input.NX, ax)
		m.Cubes = append(m.Cubes, c)
		sink = append(sink, &c.Array)
	}
	return memoryOutput{sink}, nil
}

type memoryOutput struct{ multispectrum.ArraySink }

func (memoryOutput) Finish(*Result) error { return nil }
