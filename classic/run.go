package classic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Cube is one spectrum-image cube of an Input, read tile by tile.
type Cube struct {
	Name string // "lowloss", "coreloss", ...
	// Source fills stream 0 of a tile with the cube's spectra
	// (Axis.Size values a pixel, pixel-major).
	Source multispectrum.Source
	Axis   multispectrum.EnergyAxis
}

// Input is the scan an operation reads: every cube covers the same NY x NX
// pixels.
type Input struct {
	NY, NX int
	Cubes  []Cube
	// Tile is the tile size (rows, columns); zero takes 32 x 32. A file's
	// chunk shape is the best choice.
	Tile [2]int
}

// Names of the cubes of a processing file (and of CubeInput).
const (
	LowLoss  = "lowloss"
	CoreLoss = "coreloss"
)

// CubeInput is the Input of in-memory cubes, named LowLoss and CoreLoss;
// either may be nil (not both).
func CubeInput(low, core *multispectrum.Cube) Input {
	var in Input
	for _, c := range []struct {
		name string
		cube *multispectrum.Cube
	}{{LowLoss, low}, {CoreLoss, core}} {
		if c.cube == nil {
			continue
		}
		in.NY, in.NX = c.cube.NY, c.cube.NX
		in.Cubes = append(in.Cubes, Cube{Name: c.name, Source: multispectrum.ArraySource{&c.cube.Array}, Axis: c.cube.Axis})
	}
	return in
}

// Find returns the index of the cube called name, or -1.
func (in Input) Find(name string) int {
	for i, c := range in.Cubes {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// check validates the scan and the cubes.
func (in Input) check() error {
	if in.NY < 1 || in.NX < 1 {
		return fmt.Errorf("classic: the scan is %dx%d", in.NY, in.NX)
	}
	if len(in.Cubes) == 0 {
		return errors.New("classic: no cube to process")
	}
	for _, c := range in.Cubes {
		if c.Source == nil {
			return fmt.Errorf("classic: cube %s has no source", c.Name)
		}
		if err := c.Axis.Validate(); err != nil {
			return fmt.Errorf("classic: cube %s: %w", c.Name, err)
		}
	}
	return nil
}

// need returns the cube called name or an error saying the operation
// needs it.
func (in Input) need(op, name string) (Cube, int, error) {
	k := in.Find(name)
	if k < 0 {
		return Cube{}, -1, fmt.Errorf("classic: %s needs a %s cube", op, name)
	}
	return in.Cubes[k], k, nil
}

func (in Input) tiling() multispectrum.Tiling {
	ty, tx := in.Tile[0], in.Tile[1]
	if ty <= 0 || tx <= 0 {
		ty, tx = 32, 32
	}
	return multispectrum.NewTiling(in.NY, in.NX, min(ty, in.NY), min(tx, in.NX))
}

// Kind is the shape of an output stream.
type Kind int

const (
	CubeStream   Kind = iota // a spectrum image on Stream.Axis
	MapStream                // one value a pixel
	StackStream              // Stream.Width values a pixel, named by Stream.Components
	StatusStream             // one status code a pixel, explained by Stream.Codes
)

// Stream describes one output of an operation.
type Stream struct {
	Name       string // dataset (group) name in a step, e.g. "tlambda"
	Kind       Kind
	Width      int                      // values a pixel (the channel count of a cube)
	Axis       multispectrum.EnergyAxis // of a cube
	Units      string                   // of the values
	LongName   string                   // axis label and, capitalised, figure title: begins with a word, e.g. "relative thickness t/lambda"
	Components []string                 // of a stack
	Codes      string                   // of a status map: "0 ok, 1 ..."
}

// Plan is what an operation will write, known before the first tile.
type Plan struct {
	Operation string // "thickness", "deconvolve", ...
	NY, NX    int    // the output scan
	Streams   []Stream
	// Default is the stream a viewer shows first.
	Default string
	// Params are the resolved options (JSON-encodable), for provenance.
	Params map[string]any
	// Scan maps an output pixel to the input pixel of its top-left corner:
	// input (Y0 + iy*FY, X0 + ix*FX). Identity for most operations.
	Y0, X0, FY, FX int
}

// Destination receives the outputs of an operation. Begin is called once,
// with the plan, before the first tile; a processing file creates its step
// and datasets there (h5io.ClassicDestination), memory its arrays
// (Memory).
type Destination interface {
	Begin(p *Plan) (Output, error)
}

// Output stores the streams of one run: WriteTile receives tile.Out[k] as
// Plan.Streams[k] (on the output scan); Finish is called once after the
// last tile with the result.
type Output interface {
	multispectrum.Sink
	Finish(r *Result) error
}

// Result describes a finished operation.
type Result struct {
	Plan *Plan
	// Spectra is the number of input spectra read (per cube).
	Spectra int
	// Status counts the pixels of each status code (operations with a
	// status map).
	Status map[int]int
	// Summary holds the operation's scalar results (means, the measured
	// calibration shift, ...), JSON-encodable.
	Summary map[string]any
}

// RunOptions configure how an operation runs.
type RunOptions struct {
	Workers  int                   // compute goroutines (0: runtime.GOMAXPROCS(0))
	Progress func(done, total int) // called after each tile is written
	Context  context.Context       // nil: context.Background()
}

func (o RunOptions) process() []multispectrum.ProcessOption {
	w := o.Workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	opts := []multispectrum.ProcessOption{multispectrum.Workers(w)}
	if o.Progress != nil {
		opts = append(opts, multispectrum.Progress(o.Progress))
	}
	return opts
}

func (o RunOptions) ctx() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

// streamWidths returns the per-pixel widths of the plan's streams.
func (p *Plan) streamWidths() []int {
	w := make([]int, len(p.Streams))
	for k, s := range p.Streams {
		w[k] = s.Width
	}
	return w
}

// Stream returns the index of the stream called name, or -1.
func (p *Plan) Stream(name string) int {
	for k, s := range p.Streams {
		if s.Name == name {
			return k
		}
	}
	return -1
}

// cubeSource reads stream k of a tile from cube picks[k] of the input,
// over the input region the output region maps to (Plan.Y0, X0, FY, FX).
type cubeSource struct {
	cubes []Cube
	plan  *Plan
	in    []multispectrum.Region // scratch
}

func (s *cubeSource) ReadTile(t *multispectrum.Tile) error {
	r := t.Region
	ir := multispectrum.Region{Y0: s.plan.Y0 + r.Y0*s.plan.FY, X0: s.plan.X0 + r.X0*s.plan.FX, NY: r.NY * s.plan.FY, NX: r.NX * s.plan.FX}
	in, region := t.In, t.Region
	defer func() { t.In, t.Region = in, region }()
	t.Region = ir
	for k, c := range s.cubes {
		t.In = in[k : k+1]
		t.In[0] = t.In[0][:ir.Pixels()*c.Axis.Size]
		if err := c.Source.ReadTile(t); err != nil {
			return err
		}
	}
	return nil
}

// statusSink wraps an Output, counting the status codes of stream k and
// showing each finished tile to tap first.
type statusSink struct {
	Output
	k      int
	counts map[int]int
	tap    func(t *multispectrum.Tile)
}

func (s *statusSink) WriteTile(t *multispectrum.Tile) error {
	if s.k >= 0 {
		for _, v := range t.Out[s.k] {
			s.counts[int(v)]++
		}
	}
	if s.tap != nil {
		s.tap(t)
	}
	return s.Output.WriteTile(t)
}

// hooks let an operation look at every finished tile (on the I/O
// goroutine, in tile order) and fill the result's summary before Finish.
type hooks struct {
	tap       func(t *multispectrum.Tile)
	summarize func(r *Result)
}

// run streams fn over the output scan of plan: stream k of a tile's In
// holds cubes[k] over the input region of the tile (FY*FX input pixels per
// output pixel), Out the plan's streams.
func run[W any](in Input, cubes []Cube, plan *Plan, dst Destination, ro RunOptions, newWS func() W, fn func(W, *multispectrum.Tile) error, h hooks) (*Result, error) {
	if plan.FY == 0 {
		plan.FY, plan.FX = 1, 1
	}
	if dst == nil {
		return nil, errors.New("classic: no destination")
	}
	out, err := dst.Begin(plan)
	if err != nil {
		return nil, err
	}
	lin := make([]int, len(cubes))
	for k, c := range cubes {
		lin[k] = c.Axis.Size * plan.FY * plan.FX
	}
	ty, tx := in.Tile[0], in.Tile[1]
	if ty <= 0 || tx <= 0 {
		ty, tx = 32, 32
	}
	tl := multispectrum.NewTiling(plan.NY, plan.NX, max(1, min(ty/plan.FY, plan.NY)), max(1, min(tx/plan.FX, plan.NX)))
	sink := &statusSink{Output: out, k: -1, counts: map[int]int{}, tap: h.tap}
	for k, s := range plan.Streams {
		if s.Kind == StatusStream {
			sink.k = k
		}
	}
	src := &cubeSource{cubes: cubes, plan: plan}
	err = multispectrum.Process(ro.ctx(), src, sink, tl, multispectrum.Layout{In: lin, Out: plan.streamWidths()}, newWS, fn, ro.process()...)
	if err != nil {
		return nil, err
	}
	res := &Result{Plan: plan, Spectra: plan.NY * plan.NX * plan.FY * plan.FX, Summary: map[string]any{}}
	if sink.k >= 0 {
		res.Status = sink.counts
	}
	if h.summarize != nil {
		h.summarize(res)
	}
	if err := out.Finish(res); err != nil {
		return nil, err
	}
	return res, nil
}

// meanTap returns a tap that sums the finite values of stream k where
// the status stream st (-1: none) is 0, and a function of their mean.
func meanTap(k, st int) (func(t *multispectrum.Tile), func() (float64, bool)) {
	var sum, n float64
	tap := func(t *multispectrum.Tile) {
		for q, v := range t.Out[k] {
			if (st < 0 || t.Out[st][q] == 0) && !math.IsNaN(v) && !math.IsInf(v, 0) {
				sum += v
				n++
			}
		}
	}
	return tap, func() (float64, bool) { return sum / n, n > 0 }
}

// Memory is a Destination that keeps the outputs in memory.
type Memory struct {
	Plan *Plan
	// Arrays are the outputs in the plan's stream order; Cubes holds the
	// cube streams by name (aliasing Arrays).
	Arrays []*multispectrum.Array
	Cubes  map[string]*multispectrum.Cube
	Result *Result
}

// Begin implements Destination.
func (m *Memory) Begin(p *Plan) (Output, error) {
	m.Plan, m.Arrays, m.Cubes = p, nil, map[string]*multispectrum.Cube{}
	for _, s := range p.Streams {
		if s.Kind == CubeStream {
			c := multispectrum.NewCube(p.NY, p.NX, s.Axis)
			m.Cubes[s.Name] = c
			m.Arrays = append(m.Arrays, &c.Array)
			continue
		}
		m.Arrays = append(m.Arrays, multispectrum.NewArray(p.NY, p.NX, s.Width))
	}
	return memoryOutput{m}, nil
}

// Array returns the output stream called name (nil when there is none).
func (m *Memory) Array(name string) *multispectrum.Array {
	if k := m.Plan.Stream(name); k >= 0 {
		return m.Arrays[k]
	}
	return nil
}

type memoryOutput struct{ m *Memory }

func (o memoryOutput) WriteTile(t *multispectrum.Tile) error {
	return multispectrum.ArraySink(o.m.Arrays).WriteTile(t)
}

func (o memoryOutput) Finish(r *Result) error { o.m.Result = r; return nil }

// finite reports whether every value of x is finite.
func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// window returns the channel range [i0, i1) of axis whose start energies
// lie in [lo, hi), or an error naming what when it is empty or outside
// the axis.
func window(axis multispectrum.EnergyAxis, lo, hi float64, what string) (int, int, error) {
	if !(hi > lo) || math.IsNaN(lo) {
		return 0, 0, &WindowError{What: what, Lo: lo, Hi: hi, Axis: axis}
	}
	if lo < axis.Offset-1e-9*math.Abs(axis.Offset)-1e-9 || hi > axis.Energy(axis.Size)+1e-9*math.Abs(hi)+1e-9 {
		return 0, 0, &WindowError{What: what, Lo: lo, Hi: hi, Axis: axis}
	}
	i0 := int(math.Ceil((lo-axis.Offset)/axis.Dispersion - 1e-9))
	i1 := int(math.Ceil((hi-axis.Offset)/axis.Dispersion - 1e-9))
	i0, i1 = max(i0, 0), min(i1, axis.Size)
	if i1-i0 < 1 {
		return 0, 0, &WindowError{What: what, Lo: lo, Hi: hi, Axis: axis}
	}
	return i0, i1, nil
}

// WindowError is an energy window that is empty or not inside an axis.
type WindowError struct {
	What   string // "background window of Ti L", ...
	Lo, Hi float64
	Axis   multispectrum.EnergyAxis
}

func (e *WindowError) Error() string {
	if !(e.Hi > e.Lo) {
		return fmt.Sprintf("classic: %s %g..%g eV is empty", e.What, e.Lo, e.Hi)
	}
	return fmt.Sprintf("classic: %s %g..%g eV lies outside the axis %g..%g eV", e.What, e.Lo, e.Hi, e.Axis.Offset, e.Axis.Energy(e.Axis.Size))
}
