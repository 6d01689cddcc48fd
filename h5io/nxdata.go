package h5io

import (
	"fmt"
	"math"
	"strings"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// DType is the on-disk element type of a dataset eelsh5 writes.
type DType int

const (
	Float32 DType = iota // as acquired; the default for cubes
	Float64
	Int8 // status maps
)

func (t DType) code() codeT {
	switch t {
	case Float64:
		return tF64
	case Int8:
		return tI8
	}
	return tF32
}

// ChunkScan returns the scan part (cy, cx) of the chunk shape of a cube
// with ny x nx spectra of bytesPerSpectrum bytes: HyperSpy's rule
// (doc/formats.md 2.3) with a target of 1e6 bytes per chunk, so that whole
// spectra sit in each chunk and HyperSpy's lazy loading stays efficient.
func ChunkScan(ny, nx, bytesPerSpectrum int) (cy, cx int) {
	k := int(1e6) / max(bytesPerSpectrum, 1)
	if k < 2 {
		return 1, 1
	}
	if k >= ny*nx {
		return ny, nx
	}
	dims := []int{ny, nx}
	out := []int{0, 0}
	free := []int{0, 1}
	for {
		c := int(math.Floor(math.Pow(float64(k), 1/float64(len(free))) + 1e-9))
		var still []int
		for _, d := range free {
			if dims[d] < c {
				out[d] = dims[d]
				k /= dims[d]
			} else {
				still = append(still, d)
			}
		}
		if len(still) == len(free) || len(still) == 0 {
			for _, d := range still {
				out[d] = c
			}
			break
		}
		free = still
	}
	return max(out[0], 1), max(out[1], 1)
}

// CubeSpec describes a spectrum-image NXdata group to create.
type CubeSpec struct {
	NY, NX   int
	Axis     multispectrum.EnergyAxis
	Scan     multispectrum.ScanCalibration
	DType    DType    // Float32 (default) or Float64
	Chunk    [2]int   // scan chunk (cy, cx); zero: ChunkScan
	Gzip     int      // deflate level 0-9, 0 for none
	Units    string   // of the signal, default "counts"
	LongName string   // of the signal, default "Intensity (counts)"
	Title    string   // optional plot title
	Extra    []string // names of further same-shape datasets (e.g. "expected"), written by the caller
}

// Dataset is an open dataset of a processing file that reads and writes
// scan regions in the pixel-major tile layout of multispectrum.Process.
// Cube datasets are (ny, nx, width); stacks are (width, ny, nx) on disk
// (one map per component, as NeXus viewers want) and are transposed on
// the fly; maps are (ny, nx) with width 1.
type Dataset struct {
	f       *File
	Path    string
	h       handle
	kind    int
	NY, NX  int
	Width   int
	Chunk   []int
	dtype   DType
	scratch []float64
	i8      []int8
}

const (
	kindCube = iota
	kindStack
	kindMap
)

// Close releases the dataset.
func (d *Dataset) Close() {
	if d != nil && d.h.obj != nil {
		d.h.close()
		d.h.obj = nil
	}
}

// ScanChunk returns the scan extent (cy, cx) of the dataset's chunks, the
// natural tile size for streaming it.
func (d *Dataset) ScanChunk() (cy, cx int) {
	switch {
	case len(d.Chunk) == 0:
		return d.NY, d.NX
	case d.kind == kindCube:
		return d.Chunk[0], d.Chunk[1]
	case d.kind == kindStack:
		return d.Chunk[1], d.Chunk[2]
	}
	return d.Chunk[0], d.Chunk[1]
}

// ReadRegion reads the pixels of r into dst (pixel-major), grown when it
// is too short, and returns dst[:r.Pixels()*Width].
func (d *Dataset) ReadRegion(dst []float64, r multispectrum.Region) ([]float64, error) {
	n := r.Pixels() * d.Width
	dst = grow(dst, n)
	var err error
	switch d.kind {
	case kindCube:
		err = rwBlock(d.h.id(), u64(r.Y0, r.X0, 0), u64(r.NY, r.NX, d.Width), dst, false)
	case kindMap:
		err = rwBlock(d.h.id(), u64(r.Y0, r.X0), u64(r.NY, r.NX), dst, false)
	case kindStack:
		d.scratch = grow(d.scratch, n)
		if err = rwBlock(d.h.id(), u64(0, r.Y0, r.X0), u64(d.Width, r.NY, r.NX), d.scratch, false); err == nil {
			p := r.Pixels()
			for c := 0; c < d.Width; c++ {
				for i := 0; i < p; i++ {
					dst[i*d.Width+c] = d.scratch[c*p+i]
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("h5io: could not read %q region %v from %q: %w", d.Path, r, d.f.path, err)
	}
	return dst, nil
}

// ReadComponent reads component k of a map stack (n, ny, nx) into dst,
// grown when too short, as a row-major (ny, nx) image: one hyperslab,
// without reading the other components.
func (d *Dataset) ReadComponent(dst []float64, k int) ([]float64, error) {
	if d.kind != kindStack {
		return nil, fmt.Errorf("h5io: %q in %q is not a map stack", d.Path, d.f.path)
	}
	if k < 0 || k >= d.Width {
		return nil, fmt.Errorf("h5io: component %d of %q in %q: the stack has %d", k, d.Path, d.f.path, d.Width)
	}
	dst = grow(dst, d.NY*d.NX)
	if err := rwBlock(d.h.id(), u64(k, 0, 0), u64(1, d.NY, d.NX), dst, false); err != nil {
		return nil, fmt.Errorf("h5io: could not read component %d of %q from %q: %w", k, d.Path, d.f.path, err)
	}
	return dst, nil
}

// WriteRegion writes the pixels of r from src (pixel-major).
func (d *Dataset) WriteRegion(r multispectrum.Region, src []float64) error {
	n := r.Pixels() * d.Width
	src = src[:n]
	var buf []float64 = src
	if d.kind == kindStack {
		d.scratch = grow(d.scratch, n)
		p := r.Pixels()
		for c := 0; c < d.Width; c++ {
			for i := 0; i < p; i++ {
				d.scratch[c*p+i] = src[i*d.Width+c]
			}
		}
		buf = d.scratch
	}
	var start, count []uint64
	switch d.kind {
	case kindCube:
		start, count = u64(r.Y0, r.X0, 0), u64(r.NY, r.NX, d.Width)
	case kindMap:
		start, count = u64(r.Y0, r.X0), u64(r.NY, r.NX)
	case kindStack:
		start, count = u64(0, r.Y0, r.X0), u64(d.Width, r.NY, r.NX)
	}
	var err error
	if d.dtype == Int8 {
		if cap(d.i8) < n {
			d.i8 = make([]int8, n)
		}
		b := d.i8[:n]
		for i, v := range buf {
			b[i] = int8(v)
		}
		err = rwBlock(d.h.id(), start, count, b, true)
	} else {
		err = rwBlock(d.h.id(), start, count, buf, true)
	}
	if err != nil {
		return fmt.Errorf("h5io: could not write %q region %v in %q: %w (disk full?)", d.Path, r, d.f.path, err)
	}
	return nil
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

func u64(v ...int) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = uint64(x)
	}
	return out
}

// Reader reads the In streams of a tile from datasets, one per stream.
type Reader []*Dataset

// ReadTile implements multispectrum.Source.
func (r Reader) ReadTile(t *multispectrum.Tile) error {
	for k, d := range r {
		if _, err := d.ReadRegion(t.In[k], t.Region); err != nil {
			return err
		}
	}
	return nil
}

// Writer writes the Out streams of a tile to datasets, one per stream.
type Writer []*Dataset

// WriteTile implements multispectrum.Sink.
func (w Writer) WriteTile(t *multispectrum.Tile) error {
	for k, d := range w {
		if err := d.WriteRegion(t.Region, t.Out[k]); err != nil {
			return err
		}
	}
	return nil
}

// CreateCube creates a spectrum-image NXdata group at path (doc/formats.md
// 3.3): the chunked signal dataset "data" (ny, nx, nE) and full axis
// arrays y, x and energy_loss with units and long names. The returned
// Dataset streams the signal; close it before committing the step.
func (f *File) CreateCube(path string, spec CubeSpec) (*Dataset, error) {
	if err := spec.Axis.Validate(); err != nil {
		return nil, fmt.Errorf("h5io: could not create %q: %w", path, err)
	}
	if spec.NY < 1 || spec.NX < 1 {
		return nil, fmt.Errorf("h5io: could not create %q: empty scan %dx%d", path, spec.NY, spec.NX)
	}
	if spec.Scan.Step == 0 {
		spec.Scan = multispectrum.PixelScan()
	}
	if spec.Units == "" {
		spec.Units, spec.LongName = "counts", "Intensity (counts)"
	}
	esize := 4
	if spec.DType == Float64 {
		esize = 8
	}
	cy, cx := spec.Chunk[0], spec.Chunk[1]
	if cy < 1 || cx < 1 {
		cy, cx = ChunkScan(spec.NY, spec.NX, spec.Axis.Size*esize)
	}
	cy, cx = min(cy, spec.NY), min(cx, spec.NX)
	g, err := f.createNXdata(path, SignalData, []string{AxisY, AxisX, AxisEnergyLoss}, "spectrum", spec.Title)
	if err != nil {
		return nil, err
	}
	defer g.close()
	if err := f.writeScanAxes(g, path, spec.NY, spec.NX, spec.Scan); err != nil {
		return nil, err
	}
	e := spec.Axis.Energies(nil)
	if err := f.writeAxis(g, path, AxisEnergyLoss, e, "eV", "Energy loss (eV)"); err != nil {
		return nil, err
	}
	dims := u64(spec.NY, spec.NX, spec.Axis.Size)
	chunk := u64(cy, cx, spec.Axis.Size)
	names := append([]string{SignalData}, spec.Extra...)
	for _, name := range names {
		if err := createChunked(g.id(), name, spec.DType.code(), dims, chunk, spec.Gzip); err != nil {
			return nil, f.wrapWrite(path+"/"+name, err)
		}
		if err := f.labelDataset(path+"/"+name, spec.Units, spec.LongName, "spectrum"); err != nil {
			return nil, err
		}
	}
	return f.openStream(path+"/"+SignalData, kindCube, spec.DType)
}

// OpenExtra opens a further same-shape dataset of a cube group created
// with CubeSpec.Extra.
func (f *File) OpenExtra(path, name string) (*Dataset, error) {
	return f.openStream(path+"/"+name, kindCube, Float32)
}

// StackSpec describes an NXdata group holding a stack of maps
// (n, ny, nx), one map per component (doc/formats.md 3.3-3.4).
type StackSpec struct {
	NY, NX   int
	Names    []string // component names, len n
	Signal   string   // signal dataset name, e.g. "coefficients"
	Units    string
	LongName string
	Errors   bool // also create <signal>_errors (standard deviations)
	Chunk    [2]int
	Scan     multispectrum.ScanCalibration
	DType    DType
}

// CreateStack creates a map-stack NXdata group at path and returns the
// signal stream and, when spec.Errors, the errors stream (else nil).
func (f *File) CreateStack(path string, spec StackSpec) (*Dataset, *Dataset, error) {
	n := len(spec.Names)
	if n < 1 || spec.NY < 1 || spec.NX < 1 {
		return nil, nil, fmt.Errorf("h5io: could not create %q: empty stack", path)
	}
	if spec.Scan.Step == 0 {
		spec.Scan = multispectrum.PixelScan()
	}
	if spec.DType == Float32 {
		spec.DType = Float64 // maps are small; keep full precision
	}
	g, err := f.createNXdata(path, spec.Signal, []string{AxisComponent, AxisY, AxisX}, "image", "")
	if err != nil {
		return nil, nil, err
	}
	defer g.close()
	if err := f.writeScanAxes(g, path, spec.NY, spec.NX, spec.Scan); err != nil {
		return nil, nil, err
	}
	comp := make([]int32, n)
	for i := range comp {
		comp[i] = int32(i)
	}
	if err := writeNumbers(g.id(), AxisComponent, false, false, comp); err != nil {
		return nil, nil, f.wrapWrite(path+"/"+AxisComponent, err)
	}
	if err := writeStrings(g.id(), ComponentNames, false, false, false, spec.Names...); err != nil {
		return nil, nil, f.wrapWrite(path+"/"+ComponentNames, err)
	}
	cy, cx := spec.Chunk[0], spec.Chunk[1]
	if cy < 1 || cx < 1 {
		cy, cx = min(spec.NY, 64), min(spec.NX, 64)
	}
	dims := u64(n, spec.NY, spec.NX)
	chunk := u64(n, min(cy, spec.NY), min(cx, spec.NX))
	names := []string{spec.Signal}
	if spec.Errors {
		names = append(names, spec.Signal+"_errors")
	}
	var out []*Dataset
	for _, name := range names {
		if err := createChunked(g.id(), name, spec.DType.code(), dims, chunk, 0); err != nil {
			return nil, nil, f.wrapWrite(path+"/"+name, err)
		}
		if err := f.labelDataset(path+"/"+name, spec.Units, spec.LongName, "image"); err != nil {
			return nil, nil, err
		}
		d, err := f.openStream(path+"/"+name, kindStack, spec.DType)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, d)
	}
	if len(out) == 1 {
		out = append(out, nil)
	}
	return out[0], out[1], nil
}

// MapSpec describes an NXdata group holding one map (ny, nx).
type MapSpec struct {
	NY, NX   int
	Signal   string
	Units    string
	LongName string
	DType    DType  // Float64 (default for Float32) or Int8 for status maps
	Codes    string // for status maps: meaning of each code, stored as attribute "codes"
	Chunk    [2]int
	Scan     multispectrum.ScanCalibration
}

// CreateMap creates a single-map NXdata group at path and returns its
// signal stream.
func (f *File) CreateMap(path string, spec MapSpec) (*Dataset, error) {
	if spec.NY < 1 || spec.NX < 1 {
		return nil, fmt.Errorf("h5io: could not create %q: empty map", path)
	}
	if spec.Scan.Step == 0 {
		spec.Scan = multispectrum.PixelScan()
	}
	if spec.DType == Float32 {
		spec.DType = Float64
	}
	g, err := f.createNXdata(path, spec.Signal, []string{AxisY, AxisX}, "image", "")
	if err != nil {
		return nil, err
	}
	defer g.close()
	if err := f.writeScanAxes(g, path, spec.NY, spec.NX, spec.Scan); err != nil {
		return nil, err
	}
	if spec.Codes != "" {
		if err := writeStrings(g.id(), AttrCodes, true, true, false, spec.Codes); err != nil {
			return nil, f.wrapWrite(path, err)
		}
	}
	cy, cx := spec.Chunk[0], spec.Chunk[1]
	if cy < 1 || cx < 1 {
		cy, cx = 64, 64
	}
	if err := createChunked(g.id(), spec.Signal, spec.DType.code(), u64(spec.NY, spec.NX), u64(min(cy, spec.NY), min(cx, spec.NX)), 0); err != nil {
		return nil, f.wrapWrite(path+"/"+spec.Signal, err)
	}
	if err := f.labelDataset(path+"/"+spec.Signal, spec.Units, spec.LongName, "image"); err != nil {
		return nil, err
	}
	if spec.Codes != "" {
		d, _, err := f.openDataset(path + "/" + spec.Signal)
		if err == nil {
			err = writeStrings(d.id(), AttrCodes, true, true, false, spec.Codes)
			d.close()
		}
		if err != nil {
			return nil, f.wrapWrite(path+"/"+spec.Signal, err)
		}
	}
	return f.openStream(path+"/"+spec.Signal, kindMap, spec.DType)
}

// createNXdata creates an NXdata group with its signal, axes (and
// <axis>_indices) and interpretation attributes, all fixed-length strings
// as HyperSpy's NeXus reader needs (doc/formats.md 3.2).
func (f *File) createNXdata(path, signal string, axes []string, interp, title string) (handle, error) {
	parent := path[:strings.LastIndex(path, "/")]
	if parent != "" {
		p, err := f.ensureGroup(parent)
		if err != nil {
			return handle{}, err
		}
		p.close()
	}
	if linkExists(f.id(), path) {
		return handle{}, fmt.Errorf("h5io: could not create %q in %q: it exists", path, f.path)
	}
	g, err := f.createGroup(path)
	if err != nil {
		return handle{}, err
	}
	id := g.id()
	err = firstErr(
		writeStrings(id, AttrNXClass, true, true, true, "NXdata"),
		writeStrings(id, AttrSignal, true, true, true, signal),
		writeStrings(id, AttrAxes, true, false, true, axes...),
		writeStrings(id, AttrInterpretation, true, true, true, interp),
	)
	for i, a := range axes {
		if err == nil {
			err = writeNumbers(id, a+"_indices", true, true, []int32{int32(i)})
		}
	}
	if err == nil && title != "" {
		err = writeStrings(id, "title", false, true, false, title)
	}
	if err != nil {
		g.close()
		return handle{}, f.wrapWrite(path, err)
	}
	return g, nil
}

func (f *File) writeScanAxes(g handle, path string, ny, nx int, sc multispectrum.ScanCalibration) error {
	y := make([]float64, ny)
	for i := range y {
		y[i] = sc.Y0 + float64(i)*sc.Step
	}
	x := make([]float64, nx)
	for i := range x {
		x[i] = sc.X0 + float64(i)*sc.Step
	}
	if err := f.writeAxis(g, path, AxisY, y, sc.Units, "y ("+sc.Units+")"); err != nil {
		return err
	}
	return f.writeAxis(g, path, AxisX, x, sc.Units, "x ("+sc.Units+")")
}

func (f *File) writeAxis(g handle, path, name string, v []float64, units, long string) error {
	if err := writeNumbers(g.id(), name, false, false, v); err != nil {
		return f.wrapWrite(path+"/"+name, err)
	}
	return f.labelDataset(path+"/"+name, units, long, "")
}

func (f *File) labelDataset(path, units, long, interp string) error {
	d, _, err := f.openDataset(path)
	if err != nil {
		return err
	}
	defer d.close()
	err = firstErr(
		writeStrings(d.id(), AttrUnits, true, true, true, units),
		writeStrings(d.id(), AttrLongName, true, true, true, long),
	)
	if err == nil && interp != "" {
		err = writeStrings(d.id(), AttrInterpretation, true, true, true, interp)
	}
	if err != nil {
		return f.wrapWrite(path, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// openStream opens a dataset as a tile stream of the given kind and
// checks its rank.
func (f *File) openStream(path string, kind int, dt DType) (*Dataset, error) {
	h, _, err := f.openDataset(path)
	if err != nil {
		return nil, err
	}
	in, err := getInfo(hid(f.f.ID()), path, false)
	if err != nil {
		h.close()
		return nil, fmt.Errorf("h5io: could not read %q in %q: %w", path, f.path, err)
	}
	if in.class != classFloat && in.class != classInteger {
		h.close()
		return nil, fmt.Errorf("h5io: dataset %q in %q is not numeric", path, f.path)
	}
	want := map[int]int{kindCube: 3, kindStack: 3, kindMap: 2}[kind]
	if len(in.dims) != want {
		h.close()
		return nil, fmt.Errorf("h5io: dataset %q in %q has rank %d (shape %v), expected rank %d", path, f.path, len(in.dims), in.dims, want)
	}
	if id := missingFilter(h.id()); id != 0 {
		h.close()
		return nil, fmt.Errorf("h5io: dataset %q in %q is compressed with HDF5 filter %d, which this libhdf5 cannot decode (e.g. Blosc/LZ4/Zstd plugins)", path, f.path, id)
	}
	d := &Dataset{f: f, Path: path, h: h, kind: kind, dtype: dt}
	d.Chunk, _ = layoutInfo(h.id(), len(in.dims))
	switch kind {
	case kindCube:
		d.NY, d.NX, d.Width = in.dims[0], in.dims[1], in.dims[2]
	case kindStack:
		d.Width, d.NY, d.NX = in.dims[0], in.dims[1], in.dims[2]
	case kindMap:
		d.NY, d.NX, d.Width = in.dims[0], in.dims[1], 1
	}
	if in.class == classInteger && in.size == 1 {
		d.dtype = Int8
	}
	return d, nil
}

// CubeInfo describes a spectrum-image NXdata group.
type CubeInfo struct {
	Path   string
	NY, NX int
	Axis   multispectrum.EnergyAxis
	Scan   multispectrum.ScanCalibration
}

// OpenCube opens the spectrum-image NXdata group at path for streaming:
// its signal dataset must be (ny, nx, nE) and it must have an energy_loss
// axis of nE uniformly spaced values.
func (f *File) OpenCube(path string) (*Dataset, CubeInfo, error) {
	info := CubeInfo{Path: path}
	if !linkExists(f.id(), path) {
		return nil, info, fmt.Errorf("h5io: %q has no spectrum image %q", f.path, path)
	}
	signal := SignalData
	if g, err := f.openGroup(path); err == nil {
		if attrExists(g.id(), AttrSignal) {
			if s, err := readStrings(g.id(), AttrSignal, true); err == nil && len(s) == 1 {
				signal = s[0]
			}
		}
		g.close()
	} else {
		return nil, info, fmt.Errorf("h5io: %q in %q is not a group holding a spectrum image", path, f.path)
	}
	d, err := f.openStream(path+"/"+signal, kindCube, Float32)
	if err != nil {
		return nil, info, err
	}
	info.NY, info.NX = d.NY, d.NX
	ax, err := f.readEnergyAxis(path+"/"+AxisEnergyLoss, d.Width)
	if err != nil {
		d.Close()
		return nil, info, err
	}
	info.Axis = ax
	info.Scan = multispectrum.PixelScan()
	if y, err := readFloats(f.id(), path+"/"+AxisY, false); err == nil && len(y) == d.NY {
		info.Scan.Y0 = y[0]
		if len(y) > 1 {
			info.Scan.Step = y[1] - y[0]
		}
		if x, err := readFloats(f.id(), path+"/"+AxisX, false); err == nil && len(x) > 0 {
			info.Scan.X0 = x[0]
		}
		if u, ok := f.AttrString(path+"/"+AxisY, AttrUnits); ok {
			info.Scan.Units = u
		}
	}
	return d, info, nil
}

func (f *File) readEnergyAxis(path string, n int) (multispectrum.EnergyAxis, error) {
	e, err := readFloats(f.id(), path, false)
	if err != nil {
		return multispectrum.EnergyAxis{}, fmt.Errorf("h5io: could not read energy axis %q in %q: %v", path, f.path, err)
	}
	if len(e) != n {
		return multispectrum.EnergyAxis{}, fmt.Errorf("h5io: energy axis %q in %q has %d values for %d channels", path, f.path, len(e), n)
	}
	ax := multispectrum.EnergyAxis{Offset: e[0], Size: n, Dispersion: 1}
	if n > 1 {
		ax.Dispersion = (e[n-1] - e[0]) / float64(n-1)
	}
	for i, v := range e {
		if math.IsNaN(v) || math.Abs(v-ax.Energy(i)) > 1e-6*math.Abs(ax.Dispersion)+1e-9*math.Abs(v) {
			return multispectrum.EnergyAxis{}, fmt.Errorf("h5io: energy axis %q in %q is not uniform (channel %d at %g eV)", path, f.path, i, v)
		}
	}
	if err := ax.Validate(); err != nil {
		return multispectrum.EnergyAxis{}, fmt.Errorf("h5io: energy axis %q in %q: %w", path, f.path, err)
	}
	return ax, nil
}

// ReadCube reads a whole spectrum-image group into memory (for small
// data and tests; commands stream with OpenCube).
func (f *File) ReadCube(path string) (*multispectrum.Cube, error) {
	d, info, err := f.OpenCube(path)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	c := multispectrum.NewCube(info.NY, info.NX, info.Axis)
	if _, err := d.ReadRegion(c.Data, c.Bounds()); err != nil {
		return nil, err
	}
	return c, nil
}

// ReadStack reads a whole map stack (n, ny, nx) at datasetPath into a
// pixel-major Array of width n, with the component names of its group
// when present.
func (f *File) ReadStack(datasetPath string) (*multispectrum.Array, []string, error) {
	d, err := f.openStream(datasetPath, kindStack, Float64)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	a := multispectrum.NewArray(d.NY, d.NX, d.Width)
	if _, err := d.ReadRegion(a.Data, a.Bounds()); err != nil {
		return nil, nil, err
	}
	group := datasetPath[:strings.LastIndex(datasetPath, "/")]
	names, _ := readStrings(f.id(), group+"/"+ComponentNames, false)
	return a, names, nil
}

// ReadMap reads a whole 2-D dataset (ny, nx) at datasetPath.
func (f *File) ReadMap(datasetPath string) (*multispectrum.Array, error) {
	d, err := f.openStream(datasetPath, kindMap, Float64)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	a := multispectrum.NewArray(d.NY, d.NX, 1)
	if _, err := d.ReadRegion(a.Data, a.Bounds()); err != nil {
		return nil, err
	}
	return a, nil
}

// OpenStack opens a map-stack dataset (n, ny, nx) for streaming.
func (f *File) OpenStack(datasetPath string) (*Dataset, error) {
	return f.openStream(datasetPath, kindStack, Float64)
}

// OpenMap opens a map dataset (ny, nx) for streaming.
func (f *File) OpenMap(datasetPath string) (*Dataset, error) {
	return f.openStream(datasetPath, kindMap, Float64)
}
