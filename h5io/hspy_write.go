package h5io

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// HyperSpySpec describes a signal to write as a HyperSpy file.
type HyperSpySpec struct {
	Title            string
	OriginalFilename string
	NY, NX           int // 1 x 1: a spectrum (nE); 1 x n: a line scan (n, nE)
	Axis             multispectrum.EnergyAxis
	Scan             multispectrum.ScanCalibration
	Instrument       multispectrum.Instrument
	Float64          bool
	Gzip             int
	Created          time.Time
}

// HyperSpyFile is a HyperSpy file being written; stream its data through
// Data (rank 3) or write it whole with WriteAll.
type HyperSpyFile struct {
	f     *File
	spec  HyperSpySpec
	rank  int
	group string
	// Data streams a spectrum image (ny, nx, nE); nil for lower ranks.
	Data *Dataset
}

// CreateHyperSpy creates path as a HyperSpy 3.1 file holding one EELS
// signal (doc/formats.md 2.9): /Experiments/<title>/data with axis-k groups
// (bool-enum navigate and is_binned), the metadata tree with the
// microscope parameters in HyperSpy's units (keV, mrad), empty
// original_metadata and learning_results. TEM/exposure is written too,
// where pyEELSMODEL's importer looks for it.
func CreateHyperSpy(path string, spec HyperSpySpec) (*HyperSpyFile, error) {
	f, err := Create(path)
	if err != nil {
		return nil, err
	}
	hf := &HyperSpyFile{f: f, spec: spec}
	if err := hf.init(); err != nil {
		f.Close()
		return nil, err
	}
	return hf, nil
}

// hspyAxis is one axis-k group of a HyperSpy signal (doc/formats.md 2.4).
type hspyAxis struct {
	name, units   string
	size          int
	scale, offset float64
	nav, binned   bool
}

// hspyAttr is one metadata attribute at a group path.
type hspyAttr struct {
	path, name string
	value      any // string, float64 or bool
}

func (hf *HyperSpyFile) init() error {
	f, s := hf.f, hf.spec
	title := strings.ReplaceAll(s.Title, "/", "-")
	if title == "" {
		title = "EELS Spectrum"
	}
	hf.group = "/Experiments/" + title
	var code codeT = tF32
	esize := 4
	if s.Float64 {
		code, esize = tF64, 8
	}
	var dims, chunk []uint64
	energy := hspyAxis{"Energy loss", "eV", s.Axis.Size, s.Axis.Dispersion, s.Axis.Offset, false, true}
	var axes []hspyAxis
	switch {
	case s.NY == 1 && s.NX == 1:
		hf.rank = 1
		dims, chunk = u64(s.Axis.Size), u64(s.Axis.Size)
		axes = []hspyAxis{energy}
	case s.NY == 1:
		hf.rank = 2
		_, cx := ChunkScan(1, s.NX, s.Axis.Size*esize)
		dims, chunk = u64(s.NX, s.Axis.Size), u64(cx, s.Axis.Size)
		axes = []hspyAxis{{"x", s.Scan.Units, s.NX, s.Scan.Step, s.Scan.X0, true, false}, energy}
	default:
		hf.rank = 3
		cy, cx := ChunkScan(s.NY, s.NX, s.Axis.Size*esize)
		dims, chunk = u64(s.NY, s.NX, s.Axis.Size), u64(cy, cx, s.Axis.Size)
		axes = []hspyAxis{{"y", s.Scan.Units, s.NY, s.Scan.Step, s.Scan.Y0, true, false}, {"x", s.Scan.Units, s.NX, s.Scan.Step, s.Scan.X0, true, false}, energy}
	}
	attrs := []hspyAttr{
		{"Signal", "signal_type", "EELS"},
		{"Signal", "quantity", "Electrons (Counts)"},
		{"Signal", "record_by", "spectrum"},
	}
	attrs = append(attrs, instrumentAttrs(s.Instrument, s.NY*s.NX > 1)...)
	if err := writeHyperSpyTree(f, hf.group, title, s.OriginalFilename, s.Created, code, dims, chunk, s.Gzip, axes, attrs); err != nil {
		return err
	}
	if hf.rank == 3 {
		var err error
		hf.Data, err = f.openStream(hf.group+"/data", kindCube, Float32)
		return err
	}
	return nil
}

// instrumentAttrs are the microscope parameters of the metadata tree in
// HyperSpy's units (keV, mrad; doc/formats.md 2.5), paths relative to
// metadata/; unknown values are left out.
func instrumentAttrs(in multispectrum.Instrument, scan bool) []hspyAttr {
	var attrs []hspyAttr
	tem := "Acquisition_instrument/TEM"
	num := func(path, name string, v, scale float64) {
		if !math.IsNaN(v) && v > 0 {
			attrs = append(attrs, hspyAttr{path, name, v * scale})
		}
	}
	num(tem, "beam_energy", in.BeamEnergy, 1e-3)
	num(tem, "convergence_angle", in.Convergence, 1e3)
	num(tem+"/Detector/EELS", "collection_angle", in.Collection, 1e3)
	if scan {
		num(tem+"/Detector/EELS", "dwell_time", in.DwellTime, 1)
	} else {
		num(tem+"/Detector/EELS", "exposure", in.DwellTime, 1)
	}
	num(tem, "exposure", in.DwellTime, 1) // pyEELSMODEL's importer reads it here
	if in.Microscope != "" {
		attrs = append(attrs, hspyAttr{tem, "microscope", in.Microscope})
	}
	return attrs
}

// writeHyperSpyTree writes the root attributes and the signal group of a
// new HyperSpy 3.1 file: the chunked data dataset (not filled), the axis-k
// groups, the metadata tree (General, FileIO, folding, then attrs,
// relative to metadata/) and empty original_metadata and learning_results
// groups.
func writeHyperSpyTree(f *File, group, title, original string, created time.Time, code codeT, dims, chunk []uint64, gzip int, axes []hspyAxis, attrs []hspyAttr) error {
	root, err := f.openGroup("/")
	if err != nil {
		return err
	}
	err = firstErr(writeStrings(root.id(), "file_format", true, true, false, "HyperSpy"),
		writeStrings(root.id(), "file_format_version", true, true, false, "3.1"))
	root.close()
	if err != nil {
		return f.wrapWrite("/", err)
	}
	g, err := f.ensureGroup(group)
	if err != nil {
		return err
	}
	err = firstErr(writeStrings(g.id(), "package", true, true, false, "hyperspy"),
		writeStrings(g.id(), "package_version", true, true, false, "1.7.3"))
	g.close()
	if err != nil {
		return f.wrapWrite(group, err)
	}
	if err := createChunked(f.id(), group+"/data", code, dims, chunk, gzip); err != nil {
		return f.wrapWrite(group+"/data", err)
	}
	for k, a := range axes {
		p := fmt.Sprintf("%s/axis-%d", group, k)
		g, err := f.ensureGroup(p)
		if err != nil {
			return err
		}
		id := g.id()
		err = firstErr(
			writeStrings(id, "name", true, true, false, a.name),
			writeNumbers(id, "size", true, true, []int64{int64(a.size)}),
			writeNumbers(id, "scale", true, true, []float64{a.scale}),
			writeNumbers(id, "offset", true, true, []float64{a.offset}),
			writeBoolEnum(id, "navigate", a.nav),
			writeBoolEnum(id, "is_binned", a.binned),
			writeStrings(id, "_type", true, true, false, "UniformDataAxis"),
		)
		if err == nil && a.units != "" && a.units != "pixel" {
			err = writeStrings(id, "units", true, true, false, a.units)
		}
		g.close()
		if err != nil {
			return f.wrapWrite(p, err)
		}
	}
	if created.IsZero() {
		created = time.Now()
	}
	meta := group + "/metadata"
	all := []hspyAttr{
		{"General", "title", title},
		{"General", "original_filename", original},
		{"General/FileIO/0", "io_plugin", "hyperspy.io_plugins.hspy"},
		{"General/FileIO/0", "operation", "save"},
		{"General/FileIO/0", "hyperspy_version", "1.7.3"},
		{"General/FileIO/0", "timestamp", created.UTC().Format(time.RFC3339)},
		{"_HyperSpy/Folding", "original_axes_manager", "_None_"},
		{"_HyperSpy/Folding", "original_shape", "_None_"},
		{"_HyperSpy/Folding", "signal_unfolded", false},
		{"_HyperSpy/Folding", "unfolded", false},
	}
	for _, a := range append(all, attrs...) {
		p := meta + "/" + a.path
		g, err := f.ensureGroup(p)
		if err != nil {
			return err
		}
		switch v := a.value.(type) {
		case string:
			err = writeStrings(g.id(), a.name, true, true, false, v)
		case float64:
			err = writeNumbers(g.id(), a.name, true, true, []float64{v})
		case bool:
			err = writeBoolEnum(g.id(), a.name, v)
		default:
			panic(fmt.Sprintf("h5io: metadata value of type %T", a.value))
		}
		g.close()
		if err != nil {
			return f.wrapWrite(p, err)
		}
	}
	for _, p := range []string{group + "/original_metadata", group + "/learning_results"} {
		g, err := f.ensureGroup(p)
		if err != nil {
			return err
		}
		g.close()
	}
	return nil
}

// WriteAll writes the data of a spectrum (len nE) or line scan (nx*nE,
// pixel-major).
func (hf *HyperSpyFile) WriteAll(data []float64) error {
	s := hf.spec
	h, _, err := hf.f.openDataset(hf.group + "/data")
	if err != nil {
		return err
	}
	defer h.close()
	switch hf.rank {
	case 1:
		err = rwBlock(h.id(), u64(0), u64(s.Axis.Size), data, true)
	case 2:
		err = rwBlock(h.id(), u64(0, 0), u64(s.NX, s.Axis.Size), data, true)
	default:
		return fmt.Errorf("h5io: WriteAll on a spectrum image; stream through Data")
	}
	if err != nil {
		return hf.f.wrapWrite(hf.group+"/data", err)
	}
	return nil
}

// Close finishes the file.
func (hf *HyperSpyFile) Close() error {
	hf.Data.Close()
	return hf.f.Close()
}

// Path returns the file's name.
func (hf *HyperSpyFile) Path() string { return hf.f.path }

// HyperSpyImagesSpec describes a stack of maps to write as a HyperSpy
// Signal2D (doc/formats.md 2.11): one image per component of a map stack
// (composition, elements, coefficients, their errors, CRLB) or a single
// map (chi-square, status, the alignment shifts).
type HyperSpyImagesSpec struct {
	Title            string
	OriginalFilename string
	// Names are the components, one image each; with Stack false and one
	// name the file holds a single image without a navigation axis.
	Names  []string
	Stack  bool
	NY, NX int
	Scan   multispectrum.ScanCalibration
	// Quantity is metadata/Signal/quantity, HyperSpy's "name (units)"
	// label of the values, e.g. "relative composition (at.%)".
	Quantity string
	// Source is the dataset's path in the processing file, kept with
	// Units and the component names in original_metadata/eelsh5.
	Source     string
	Units      string
	Instrument multispectrum.Instrument
	Created    time.Time
}

// HyperSpyImages is a HyperSpy Signal2D file being written, image by image.
type HyperSpyImages struct {
	f     *File
	spec  HyperSpyImagesSpec
	group string
	data  handle
}

// CreateHyperSpyImages creates path as a HyperSpy 3.1 file holding a
// Signal2D of len(spec.Names) float64 images (ny, nx): data (n, ny, nx)
// with a navigation axis "component" (index, scale 1) and signal axes y
// and x on the scan calibration, or (ny, nx) for a single map. The
// component names, the source dataset and its units are kept in
// original_metadata/eelsh5 (component_names as HyperSpy's _list_
// encoding, doc/formats.md 2.6). Write every image with WriteImage.
func CreateHyperSpyImages(path string, spec HyperSpyImagesSpec) (*HyperSpyImages, error) {
	n := len(spec.Names)
	if n < 1 || spec.NY < 1 || spec.NX < 1 || (n > 1 && !spec.Stack) {
		return nil, fmt.Errorf("h5io: could not create %q: %d images of %dx%d pixels (a single map has one name)", path, n, spec.NY, spec.NX)
	}
	if spec.Scan.Step == 0 {
		spec.Scan = multispectrum.PixelScan()
	}
	f, err := Create(path)
	if err != nil {
		return nil, err
	}
	hi := &HyperSpyImages{f: f, spec: spec}
	if err := hi.init(); err != nil {
		f.Close()
		return nil, err
	}
	return hi, nil
}

func (hi *HyperSpyImages) init() error {
	f, s := hi.f, hi.spec
	title := strings.ReplaceAll(s.Title, "/", "-")
	if title == "" {
		title = "maps"
	}
	hi.group = "/Experiments/" + title
	sig := []hspyAxis{{"y", s.Scan.Units, s.NY, s.Scan.Step, s.Scan.Y0, false, false}, {"x", s.Scan.Units, s.NX, s.Scan.Step, s.Scan.X0, false, false}}
	dims, chunk := u64(s.NY, s.NX), u64(s.NY, s.NX)
	axes := sig
	if s.Stack {
		// HyperSpy's chunk rule (doc/formats.md 2.3) with whole images:
		// about 1e6 bytes per chunk.
		n := len(s.Names)
		per := min(max(1e6/(s.NY*s.NX*8), 1), n)
		dims, chunk = u64(n, s.NY, s.NX), u64(per, s.NY, s.NX)
		axes = append([]hspyAxis{{"component", "", n, 1, 0, true, false}}, sig...)
	}
	attrs := []hspyAttr{{"Signal", "signal_type", ""}, {"Signal", "record_by", "image"}}
	if s.Quantity != "" {
		attrs = append(attrs, hspyAttr{"Signal", "quantity", s.Quantity})
	}
	attrs = append(attrs, instrumentAttrs(s.Instrument, s.NY*s.NX > 1)...)
	if err := writeHyperSpyTree(f, hi.group, title, s.OriginalFilename, s.Created, tF64, dims, chunk, 0, axes, attrs); err != nil {
		return err
	}
	p := hi.group + "/original_metadata/eelsh5"
	g, err := f.ensureGroup(p)
	if err != nil {
		return err
	}
	err = firstErr(
		writeStrings(g.id(), "dataset", true, true, false, s.Source),
		writeStrings(g.id(), "units", true, true, false, s.Units),
		writeStrings(g.id(), "_list_component_names", false, false, false, s.Names...),
	)
	g.close()
	if err != nil {
		return f.wrapWrite(p, err)
	}
	hi.data, _, err = f.openDataset(hi.group + "/data")
	return err
}

// WriteImage writes image k (ny x nx values, row-major, the top row
// first). It panics when len(img) is not ny x nx or k is out of range.
func (hi *HyperSpyImages) WriteImage(k int, img []float64) error {
	s := hi.spec
	if len(img) != s.NY*s.NX || k < 0 || k >= len(s.Names) {
		panic("h5io: image size or index does not match the HyperSpy stack")
	}
	var err error
	if s.Stack {
		err = rwBlock(hi.data.id(), u64(k, 0, 0), u64(1, s.NY, s.NX), img, true)
	} else {
		err = rwBlock(hi.data.id(), u64(0, 0), u64(s.NY, s.NX), img, true)
	}
	if err != nil {
		return hi.f.wrapWrite(hi.group+"/data", err)
	}
	return nil
}

// Close finishes the file.
func (hi *HyperSpyImages) Close() error {
	hi.data.close()
	return hi.f.Close()
}
