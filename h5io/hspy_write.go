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

func (hf *HyperSpyFile) init() error {
	f, s := hf.f, hf.spec
	title := strings.ReplaceAll(s.Title, "/", "-")
	if title == "" {
		title = "EELS Spectrum"
	}
	hf.group = "/Experiments/" + title
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
	g, err := f.ensureGroup(hf.group)
	if err != nil {
		return err
	}
	err = firstErr(writeStrings(g.id(), "package", true, true, false, "hyperspy"),
		writeStrings(g.id(), "package_version", true, true, false, "1.7.3"))
	g.close()
	if err != nil {
		return f.wrapWrite(hf.group, err)
	}
	var code codeT = tF32
	esize := 4
	if s.Float64 {
		code, esize = tF64, 8
	}
	var dims, chunk []uint64
	type ax struct {
		name, units   string
		size          int
		scale, offset float64
		nav, binned   bool
	}
	energy := ax{"Energy loss", "eV", s.Axis.Size, s.Axis.Dispersion, s.Axis.Offset, false, true}
	var axes []ax
	switch {
	case s.NY == 1 && s.NX == 1:
		hf.rank = 1
		dims, chunk = u64(s.Axis.Size), u64(s.Axis.Size)
		axes = []ax{energy}
	case s.NY == 1:
		hf.rank = 2
		_, cx := ChunkScan(1, s.NX, s.Axis.Size*esize)
		dims, chunk = u64(s.NX, s.Axis.Size), u64(cx, s.Axis.Size)
		axes = []ax{{"x", s.Scan.Units, s.NX, s.Scan.Step, s.Scan.X0, true, false}, energy}
	default:
		hf.rank = 3
		cy, cx := ChunkScan(s.NY, s.NX, s.Axis.Size*esize)
		dims, chunk = u64(s.NY, s.NX, s.Axis.Size), u64(cy, cx, s.Axis.Size)
		axes = []ax{{"y", s.Scan.Units, s.NY, s.Scan.Step, s.Scan.Y0, true, false}, {"x", s.Scan.Units, s.NX, s.Scan.Step, s.Scan.X0, true, false}, energy}
	}
	if err := createChunked(f.id(), hf.group+"/data", code, dims, chunk, s.Gzip); err != nil {
		return f.wrapWrite(hf.group+"/data", err)
	}
	for k, a := range axes {
		p := fmt.Sprintf("%s/axis-%d", hf.group, k)
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
	created := s.Created
	if created.IsZero() {
		created = time.Now()
	}
	meta := hf.group + "/metadata"
	type attr struct {
		path, name string
		value      any
	}
	attrs := []attr{
		{meta + "/General", "title", title},
		{meta + "/General", "original_filename", s.OriginalFilename},
		{meta + "/General/FileIO/0", "io_plugin", "hyperspy.io_plugins.hspy"},
		{meta + "/General/FileIO/0", "operation", "save"},
		{meta + "/General/FileIO/0", "hyperspy_version", "1.7.3"},
		{meta + "/General/FileIO/0", "timestamp", created.UTC().Format(time.RFC3339)},
		{meta + "/Signal", "signal_type", "EELS"},
		{meta + "/Signal", "quantity", "Electrons (Counts)"},
		{meta + "/Signal", "record_by", "spectrum"},
		{meta + "/_HyperSpy/Folding", "original_axes_manager", "_None_"},
		{meta + "/_HyperSpy/Folding", "original_shape", "_None_"},
		{meta + "/_HyperSpy/Folding", "signal_unfolded", false},
		{meta + "/_HyperSpy/Folding", "unfolded", false},
	}
	in := s.Instrument
	tem := meta + "/Acquisition_instrument/TEM"
	num := func(path, name string, v, scale float64) {
		if !math.IsNaN(v) && v > 0 {
			attrs = append(attrs, attr{path, name, v * scale})
		}
	}
	num(tem, "beam_energy", in.BeamEnergy, 1e-3)
	num(tem, "convergence_angle", in.Convergence, 1e3)
	num(tem+"/Detector/EELS", "collection_angle", in.Collection, 1e3)
	if s.NY*s.NX > 1 {
		num(tem+"/Detector/EELS", "dwell_time", in.DwellTime, 1)
	} else {
		num(tem+"/Detector/EELS", "exposure", in.DwellTime, 1)
	}
	num(tem, "exposure", in.DwellTime, 1) // pyEELSMODEL's importer reads it here
	if in.Microscope != "" {
		attrs = append(attrs, attr{tem, "microscope", in.Microscope})
	}
	for _, a := range attrs {
		g, err := f.ensureGroup(a.path)
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
		}
		g.close()
		if err != nil {
			return f.wrapWrite(a.path, err)
		}
	}
	for _, p := range []string{hf.group + "/original_metadata", hf.group + "/learning_results"} {
		g, err := f.ensureGroup(p)
		if err != nil {
			return err
		}
		g.close()
	}
	if hf.rank == 3 {
		hf.Data, err = f.openStream(hf.group+"/data", kindCube, Float32)
		return err
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
