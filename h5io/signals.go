package h5io

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// SignalOptions choose what OpenSignal imports from a file that holds
// several signals. The zero value takes the first EELS signal, or the only
// signal.
type SignalOptions struct {
	Title string // HyperSpy signal group title; "" for the first EELS one
}

// ErrAmbiguousSignal is matched (errors.Is) by an *AmbiguousSignalError.
var ErrAmbiguousSignal = errors.New("h5io: no signal chosen")

// AmbiguousSignalError reports a HyperSpy file with several signals, none
// of them EELS, opened without SignalOptions.Title: which one to import
// has to be chosen.
type AmbiguousSignalError struct {
	File    string
	Signals []string // the signal titles, sorted
}

func (e *AmbiguousSignalError) Error() string {
	return fmt.Sprintf("h5io: %q has no EELS signal among %d signals (signals: %s)", e.File, len(e.Signals), strings.Join(e.Signals, ", "))
}

func (e *AmbiguousSignalError) Is(target error) bool { return target == ErrAmbiguousSignal }

// OpenSignal reads an HDF5 file with EELS data from another program,
// recognised by content: HyperSpy .hspy (doc/formats.md 2), pyEELSMODEL
// .hdf5 (6). Velox EMD and eelsh5 processing files are refused with the
// reason. The returned signal reads its data from the file, which stays
// open until close is called.
func OpenSignal(path string, opt SignalOptions) (*formats.Signal, func(), error) {
	f, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	closer := func() { f.Close() }
	var s *formats.Signal
	ff, _ := f.AttrString("/", AttrFileFormat)
	switch {
	case ff == FileFormat:
		err = fmt.Errorf("h5io: %q is already an eelsh5 processing file; process it directly", path)
	case ff == "HyperSpy" || f.Exists("/Experiments"):
		s, err = f.hyperspySignal(opt)
	case f.Exists("/Data") && f.Exists("/Energy_axis"):
		s, err = f.pyeelsmodelSignal()
	case f.Exists("/Version") && f.Exists("/Data"):
		err = fmt.Errorf("h5io: %q is a Velox EMD file; EMD EELS import is not supported yet (no sample file was available to verify it against)", path)
	default:
		err = fmt.Errorf("h5io: %q is an HDF5 file of an unknown kind (not HyperSpy, pyEELSMODEL, EMD or eelsh5)", path)
	}
	if err != nil {
		closer()
		return nil, nil, err
	}
	return s, closer, nil
}

// attrFloat reads a numeric attribute of the object at path.
func (f *File) attrFloat(path, name string) (float64, bool) {
	v := math.NaN()
	ok := false
	withObject(f.id(), path, func(o hid) error {
		if !attrExists(o, name) {
			return nil
		}
		if x, err := readFloats(o, name, true); err == nil && len(x) >= 1 {
			v, ok = x[0], true
		} else if x, err := readInt8s(o, name, true); err == nil && len(x) >= 1 {
			v, ok = float64(x[0]), true
		}
		return nil
	})
	return v, ok
}

// tree returns the attributes of the group at path and of its subgroups
// as nested maps (HyperSpy metadata trees).
func (f *File) tree(path string, depth int) map[string]any {
	out := map[string]any{}
	if depth > 32 {
		return out
	}
	withObject(f.id(), path, func(o hid) error {
		for k, v := range readAllAttrs(o) {
			if x, ok := v.(float64); ok && (math.IsNaN(x) || math.IsInf(x, 0)) {
				v = fmt.Sprint(x)
			}
			out[k] = v
		}
		ch, _ := children(o)
		for _, c := range ch {
			if c.isGroup {
				out[c.name] = f.tree(path+"/"+c.name, depth+1)
			}
		}
		return nil
	})
	return out
}

func (f *File) hyperspySignal(opt SignalOptions) (*formats.Signal, error) {
	var groups []string
	withObject(f.id(), "/Experiments", func(o hid) error {
		ch, err := children(o)
		for _, c := range ch {
			if c.isGroup && linkExists(f.id(), "/Experiments/"+c.name+"/data") {
				groups = append(groups, c.name)
			}
		}
		return err
	})
	if len(groups) == 0 {
		return nil, fmt.Errorf("h5io: %q: HyperSpy file without signals", f.path)
	}
	sort.Strings(groups)
	pick := ""
	for _, g := range groups {
		st, _ := f.AttrString("/Experiments/"+g+"/metadata/Signal", "signal_type")
		switch {
		case opt.Title != "" && g == opt.Title:
			pick = g
		case opt.Title == "" && pick == "" && st == "EELS":
			pick = g
		}
	}
	if pick == "" {
		if opt.Title != "" {
			return nil, fmt.Errorf("h5io: %q has no signal %q (signals: %s)", f.path, opt.Title, strings.Join(groups, ", "))
		}
		if len(groups) > 1 {
			return nil, &AmbiguousSignalError{File: f.path, Signals: groups}
		}
		pick = groups[0]
	}
	base := "/Experiments/" + pick
	in, err := getInfo(f.id(), base+"/data", false)
	if err != nil || (in.class != classFloat && in.class != classInteger) {
		return nil, fmt.Errorf("h5io: %q: %s/data is not numeric", f.path, base)
	}
	rank := len(in.dims)
	if rank < 1 || rank > 3 {
		return nil, fmt.Errorf("h5io: %q: signal %q has %d dimensions; eelsh5 imports spectra, line scans and spectrum images (1-3)", f.path, pick, rank)
	}
	type axis struct {
		name, units      string
		scale, offset    float64
		navigate, hasNav bool
	}
	axes := make([]axis, rank)
	for k := range axes {
		p := fmt.Sprintf("%s/axis-%d", base, k)
		a := axis{scale: 1}
		a.name, _ = f.AttrString(p, "name")
		a.units, _ = f.AttrString(p, "units")
		if v, ok := f.attrFloat(p, "scale"); ok {
			a.scale = v
		}
		a.offset, _ = f.attrFloat(p, "offset")
		if v, ok := f.attrFloat(p, "navigate"); ok {
			a.navigate, a.hasNav = v != 0, true
		}
		if f.Exists(p + "/axis") {
			return nil, fmt.Errorf("h5io: %q: axis %d of %q is non-uniform; resample it in HyperSpy first", f.path, k, pick)
		}
		axes[k] = a
	}
	last := axes[rank-1]
	if last.hasNav && last.navigate {
		return nil, fmt.Errorf("h5io: %q: the last axis of %q is a navigation axis; eelsh5 needs the energy axis last", f.path, pick)
	}
	for k := 0; k < rank-1; k++ {
		if axes[k].hasNav && !axes[k].navigate {
			return nil, fmt.Errorf("h5io: %q: signal %q has more than one signal axis (an image?)", f.path, pick)
		}
	}
	st, _ := f.AttrString(base+"/metadata/Signal", "signal_type")
	if st != "" && st != "EELS" {
		return nil, fmt.Errorf("h5io: %q: signal %q has signal type %s, not EELS", f.path, pick, st)
	}
	s := &formats.Signal{Title: pick, Format: "HyperSpy " + mustAttr(f, "/", AttrFileVersion), SignalType: "EELS",
		Axis: multispectrum.EnergyAxis{Offset: last.offset, Dispersion: last.scale, Size: in.dims[rank-1]}, EnergyUnits: last.units,
		Scan: multispectrum.PixelScan(), Instrument: multispectrum.UnknownInstrument(), DType: typeName(in)}
	if t, ok := f.AttrString(base+"/metadata/General", "title"); ok && t != "" {
		s.Title = t
	}
	if last.units != "" && last.units != "eV" {
		return nil, fmt.Errorf("h5io: %q: the signal axis of %q is in %q, not eV", f.path, pick, last.units)
	}
	switch rank {
	case 1:
		s.NY, s.NX = 1, 1
	case 2:
		s.NY, s.NX = 1, in.dims[0]
		s.Scan = multispectrum.ScanCalibration{X0: axes[0].offset, Step: axes[0].scale, Units: axes[0].units}
	case 3:
		s.NY, s.NX = in.dims[0], in.dims[1]
		s.Scan = multispectrum.ScanCalibration{Y0: axes[0].offset, X0: axes[1].offset, Step: axes[1].scale, Units: axes[1].units}
	}
	tem := base + "/metadata/Acquisition_instrument/TEM"
	if v, ok := f.attrFloat(tem, "beam_energy"); ok && v > 0 {
		s.Instrument.BeamEnergy = v * 1e3
	}
	if v, ok := f.attrFloat(tem, "convergence_angle"); ok && v > 0 {
		s.Instrument.Convergence = v * 1e-3
	}
	if v, ok := f.attrFloat(tem+"/Detector/EELS", "collection_angle"); ok && v > 0 {
		s.Instrument.Collection = v * 1e-3
	}
	for _, k := range []string{"dwell_time", "exposure"} {
		if v, ok := f.attrFloat(tem+"/Detector/EELS", k); ok && v > 0 && math.IsNaN(s.Instrument.DwellTime) {
			s.Instrument.DwellTime = v
		}
	}
	if m, ok := f.AttrString(tem, "microscope"); ok {
		s.Instrument.Microscope = m
	}
	s.Original = map[string]any{"metadata": f.tree(base+"/metadata", 0), "original_metadata": f.tree(base+"/original_metadata", 0)}
	if err := s.Axis.Validate(); err != nil {
		return nil, fmt.Errorf("h5io: %q: %w", f.path, err)
	}
	s.Data, err = f.regionReader(base+"/data", rank, in.dims)
	return s, err
}

func mustAttr(f *File, path, name string) string {
	v, _ := f.AttrString(path, name)
	return v
}

// regionReader reads a dataset of rank 1 (nE), 2 (n, nE) or 3 (ny, nx,
// nE) by regions.
func (f *File) regionReader(path string, rank int, dims []int) (formats.RegionReader, error) {
	h, _, err := f.openDataset(path)
	if err != nil {
		return nil, err
	}
	if id := missingFilter(h.id()); id != 0 {
		h.close()
		return nil, fmt.Errorf("h5io: %q in %q is compressed with HDF5 filter %d, which this libhdf5 cannot decode (e.g. Blosc/LZ4/Zstd plugins)", path, f.path, id)
	}
	return &datasetRegions{h: h, rank: rank, dims: dims, f: f, path: path}, nil
}

type datasetRegions struct {
	f    *File
	path string
	h    handle
	rank int
	dims []int
}

func (d *datasetRegions) ReadRegion(dst []float64, r multispectrum.Region) error {
	ne := d.dims[d.rank-1]
	var err error
	switch d.rank {
	case 1:
		err = rwBlock(d.h.id(), u64(0), u64(ne), dst, false)
	case 2:
		err = rwBlock(d.h.id(), u64(r.X0, 0), u64(r.NX, ne), dst, false)
	case 3:
		err = rwBlock(d.h.id(), u64(r.Y0, r.X0, 0), u64(r.NY, r.NX, ne), dst, false)
	}
	if err != nil {
		return fmt.Errorf("h5io: could not read %q region %v from %q: %w", d.path, r, d.f.path, err)
	}
	return nil
}

// pyeelsmodelSignal reads a pyEELSMODEL file (doc/formats.md 6): /Data and
// the Energy_axis attributes (any numeric type); dimension 0 maps to the
// scan rows (y), dimension 1 to the columns (x).
func (f *File) pyeelsmodelSignal() (*formats.Signal, error) {
	in, err := getInfo(f.id(), "/Data", false)
	if err != nil || (in.class != classFloat && in.class != classInteger) {
		return nil, fmt.Errorf("h5io: %q: /Data is not numeric", f.path)
	}
	rank := len(in.dims)
	if rank != 1 && rank != 3 {
		return nil, fmt.Errorf("h5io: %q: pyEELSMODEL /Data has rank %d (want 1 or 3)", f.path, rank)
	}
	disp, ok1 := f.attrFloat("/Energy_axis", "Dispersion")
	off, ok2 := f.attrFloat("/Energy_axis", "Offset")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("h5io: %q: /Energy_axis lacks Dispersion or Offset", f.path)
	}
	if size, ok := f.attrFloat("/Energy_axis", "Size"); ok && int(size) != in.dims[rank-1] {
		return nil, fmt.Errorf("h5io: %q: Energy_axis Size %g but /Data has %d channels", f.path, size, in.dims[rank-1])
	}
	s := &formats.Signal{Title: "pyEELSMODEL data", Format: "pyEELSMODEL", SignalType: "EELS", NY: 1, NX: 1,
		Axis: multispectrum.EnergyAxis{Offset: off, Dispersion: disp, Size: in.dims[rank-1]}, EnergyUnits: "eV",
		Scan: multispectrum.PixelScan(), Instrument: multispectrum.UnknownInstrument(), DType: typeName(in)}
	if rank == 3 {
		s.NY, s.NX = in.dims[0], in.dims[1]
		s.Warnings = append(s.Warnings, "pyEELSMODEL's first scan dimension (xsize) is taken as the rows (y)")
	}
	if v, ok := f.attrFloat("/Energy_axis", "E0"); ok && v > 0 {
		s.Instrument.BeamEnergy = v
	}
	if v, ok := f.attrFloat("/Energy_axis", "alpha"); ok && v > 0 {
		s.Instrument.Convergence = v
	}
	if v, ok := f.attrFloat("/Energy_axis", "beta"); ok && v > 0 {
		s.Instrument.Collection = v
	}
	s.Original = map[string]any{"Energy_axis": f.tree("/Energy_axis", 0)}
	if err := s.Axis.Validate(); err != nil {
		return nil, fmt.Errorf("h5io: %q: %w", f.path, err)
	}
	s.Data, err = f.regionReader("/Data", rank, in.dims)
	return s, err
}
