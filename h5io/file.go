package h5io

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/hdf5"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// File is an open HDF5 file.
type File struct {
	f        *hdf5.File
	path     string
	writable bool
}

// Open opens an existing HDF5 file read-only.
func Open(path string) (*File, error) { return open(path, false) }

// OpenWritable opens an existing HDF5 file for reading and writing.
// It fails with a clear message when the file is read-only or another
// process has it open (HDF5 file locking).
func OpenWritable(path string) (*File, error) { return open(path, true) }

func open(path string, rdwr bool) (*File, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("h5io: could not open %q: no such file", path)
	case err != nil:
		return nil, fmt.Errorf("h5io: could not open %q: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("h5io: could not open %q: is a directory", path)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("h5io: could not open %q: %w", path, unwrapPathError(err))
	}
	fh.Close()
	lib.Lock()
	ok := hdf5.IsHDF5(path)
	lib.Unlock()
	if !ok {
		return nil, fmt.Errorf("h5io: %q is not an HDF5 file", path)
	}
	if rdwr {
		if err := syscall.Access(path, 2 /* W_OK */); err != nil {
			return nil, fmt.Errorf("h5io: could not open %q for writing: file is read-only", path)
		}
	}
	flags := hdf5.F_ACC_RDONLY
	if rdwr {
		flags = hdf5.F_ACC_RDWR
	}
	lib.Lock()
	f, err := hdf5.OpenFile(path, flags)
	lib.Unlock()
	if err != nil {
		if inUse(path) {
			return nil, fmt.Errorf("h5io: could not open %q: the file is in use by another process (HDF5 file lock): an eelsh5 command writing it, or a reader such as eelsh5 view (which holds it only while answering a request), h5web or HDFView; retry when it has finished", path)
		}
		return nil, fmt.Errorf("h5io: could not open %q: libhdf5 refused it (unsupported HDF5 feature or damaged file)", path)
	}
	return &File{f: f, path: path, writable: rdwr}, nil
}

// inUse reports whether another process holds a lock on path.
func inUse(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	err = syscall.Flock(int(fh.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		syscall.Flock(int(fh.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Create creates a new HDF5 file; it fails if the file exists.
func Create(path string) (*File, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("h5io: could not create %q: file exists", path)
	}
	// Check the directory is writable, for a clear message.
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("h5io: could not create %q: %w", path, unwrapPathError(err))
	}
	fh.Close()
	os.Remove(path)
	lib.Lock()
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_EXCL)
	lib.Unlock()
	if err != nil {
		return nil, fmt.Errorf("h5io: could not create %q: %w", path, err)
	}
	return &File{f: f, path: path, writable: true}, nil
}

// Path returns the file name the file was opened with.
func (f *File) Path() string { return f.path }

// Writable reports whether the file was opened for writing.
func (f *File) Writable() bool { return f.writable }

// Close flushes and closes the file.
func (f *File) Close() error {
	if f == nil || f.f == nil {
		return nil
	}
	lib.Lock()
	err := f.f.Close()
	lib.Unlock()
	f.f = nil
	if err != nil {
		return fmt.Errorf("h5io: could not close %q: %w", f.path, err)
	}
	return nil
}

// Flush writes all buffered data and metadata of the file to disk.
func (f *File) Flush() error {
	if err := flushFile(f.id()); err != nil {
		return fmt.Errorf("h5io: could not flush %q: %w", f.path, err)
	}
	return nil
}

func (f *File) id() hid { return hid(f.f.ID()) }

// Exists reports whether an object exists at the absolute path.
func (f *File) Exists(path string) bool { return linkExists(f.id(), path) }

// ensureGroup opens the group at path, creating it and its parents if
// needed. The caller closes the returned handle.
func (f *File) ensureGroup(path string) (handle, error) {
	p := strings.Trim(path, "/")
	parts := strings.Split(p, "/")
	for i := range parts {
		if p == "" {
			break
		}
		sub := "/" + strings.Join(parts[:i+1], "/")
		if linkExists(f.id(), sub) {
			continue
		}
		g, err := f.createGroup(sub)
		if err != nil {
			return handle{}, err
		}
		g.close()
	}
	return f.openGroup("/" + p)
}

// Instrument holds the acquisition parameters of the processing file in
// eelsh5's working units. NaN means unknown.
type Instrument = multispectrum.Instrument

// InitProcessingFile writes the root and /entry of a new processing file:
// file identification attributes, the entry title and the instrument
// group (doc/formats.md 3.4).
func (f *File) InitProcessingFile(title, creator string, inst Instrument, now time.Time) error {
	rootH, err := f.openGroup("/")
	if err != nil {
		return err
	}
	defer rootH.close()
	root := rootH.id()
	ts := now.UTC().Format(time.RFC3339)
	for _, a := range [][2]string{{AttrNXClass, "NXroot"}, {AttrDefault, "entry"}, {AttrFileFormat, FileFormat}, {AttrFileVersion, FileFormatVersion}} {
		if err := writeStrings(root, a[0], true, true, true, a[1]); err != nil {
			return f.wrapWrite("/", err)
		}
	}
	if err := writeStrings(root, AttrCreator, true, true, false, creator); err != nil {
		return f.wrapWrite("/", err)
	}
	if err := writeStrings(root, AttrFileTime, true, true, false, ts); err != nil {
		return f.wrapWrite("/", err)
	}
	entryH, err := f.ensureGroup(EntryPath)
	if err != nil {
		return err
	}
	defer entryH.close()
	entry := entryH.id()
	if err := writeStrings(entry, AttrNXClass, true, true, true, "NXentry"); err != nil {
		return f.wrapWrite(EntryPath, err)
	}
	if err := writeStrings(entry, "title", false, true, false, title); err != nil {
		return f.wrapWrite(EntryPath, err)
	}
	return f.WriteInstrument(inst)
}

// WriteInstrument (re)writes /entry/instrument from inst: beam energy in
// keV and semi-angles in mrad on disk, as doc/formats.md 3.4 asks; unknown
// (NaN) values are left out.
func (f *File) WriteInstrument(inst Instrument) error {
	path := EntryPath + "/" + InstrumentName
	if linkExists(f.id(), path) {
		if err := deleteLink(f.id(), path); err != nil {
			return f.wrapWrite(path, err)
		}
	}
	gh, err := f.ensureGroup(path)
	if err != nil {
		return err
	}
	defer gh.close()
	g := gh.id()
	if err := writeStrings(g, AttrNXClass, true, true, true, "NXinstrument"); err != nil {
		return f.wrapWrite(path, err)
	}
	for _, v := range []struct {
		name, units string
		value       float64
	}{
		{"beam_energy", "keV", inst.BeamEnergy / 1e3},
		{"convergence_semi_angle", "mrad", inst.Convergence * 1e3},
		{"collection_semi_angle", "mrad", inst.Collection * 1e3},
		{"dwell_time", "s", inst.DwellTime},
	} {
		if v.value != v.value { // NaN: unknown
			continue
		}
		if err := writeNumbers(g, v.name, false, true, []float64{v.value}); err != nil {
			return f.wrapWrite(path, err)
		}
		d, _, err := f.openDataset(path + "/" + v.name)
		if err != nil {
			return err
		}
		err = writeStrings(d.id(), AttrUnits, true, true, true, v.units)
		d.close()
		if err != nil {
			return f.wrapWrite(path, err)
		}
	}
	if inst.Microscope != "" {
		if err := writeStrings(g, "microscope", false, true, false, inst.Microscope); err != nil {
			return f.wrapWrite(path, err)
		}
	}
	return nil
}

// ReadInstrument reads /entry/instrument; missing values are NaN.
func (f *File) ReadInstrument() (Instrument, error) {
	inst := multispectrum.UnknownInstrument()
	path := EntryPath + "/" + InstrumentName
	if !linkExists(f.id(), path) {
		return inst, nil
	}
	gh, err := f.openGroup(path)
	if err != nil {
		return inst, err
	}
	defer gh.close()
	g := gh.id()
	for _, v := range []struct {
		name  string
		scale float64
		dst   *float64
	}{
		{"beam_energy", 1e3, &inst.BeamEnergy},
		{"convergence_semi_angle", 1e-3, &inst.Convergence},
		{"collection_semi_angle", 1e-3, &inst.Collection},
		{"dwell_time", 1, &inst.DwellTime},
	} {
		if !linkExists(g, v.name) {
			continue
		}
		x, err := readFloats(g, v.name, false)
		if err != nil || len(x) != 1 {
			return inst, fmt.Errorf("h5io: could not read %q in %q: not a number", path+"/"+v.name, f.path)
		}
		*v.dst = x[0] * v.scale
	}
	if linkExists(g, "microscope") {
		if s, err := readStrings(g, "microscope", false); err == nil && len(s) == 1 {
			inst.Microscope = s[0]
		}
	}
	return inst, nil
}

// NotProcessingFileError reports an HDF5 file that is not an eelsh5
// processing file: it has no file_format attribute (HasFormat false), or
// another one, e.g. "HyperSpy" or "GOSH".
type NotProcessingFileError struct {
	File      string
	Format    string // the file_format attribute, when HasFormat
	HasFormat bool
}

func (e *NotProcessingFileError) Error() string {
	if !e.HasFormat {
		return fmt.Sprintf("h5io: %q is not an eelsh5 processing file (no %s attribute)", e.File, AttrFileFormat)
	}
	return fmt.Sprintf("h5io: %q is not an eelsh5 processing file (file_format is %q)", e.File, e.Format)
}

// CheckVersion verifies that the file is an eelsh5 processing file this
// build can read: file_format "eelsh5" and a major version not newer than
// SupportedMajor.
func (f *File) CheckVersion() error {
	rootH, err := f.openGroup("/")
	if err != nil {
		return err
	}
	defer rootH.close()
	root := rootH.id()
	if !attrExists(root, AttrFileFormat) {
		return &NotProcessingFileError{File: f.path}
	}
	ff, err := readStrings(root, AttrFileFormat, true)
	if err != nil || len(ff) != 1 || ff[0] != FileFormat {
		return &NotProcessingFileError{File: f.path, Format: strings.Join(ff, ","), HasFormat: true}
	}
	v, err := readStrings(root, AttrFileVersion, true)
	if err != nil || len(v) != 1 {
		return fmt.Errorf("h5io: %q has no readable %s", f.path, AttrFileVersion)
	}
	major, err := strconv.Atoi(strings.SplitN(v[0], ".", 2)[0])
	if err != nil {
		return fmt.Errorf("h5io: %q has a malformed %s %q", f.path, AttrFileVersion, v[0])
	}
	if major > SupportedMajor {
		return fmt.Errorf("h5io: %q was written by a newer eelsh5 (file format %s; this build reads up to %d.x): upgrade eelsh5", f.path, v[0], SupportedMajor)
	}
	return nil
}

func (f *File) wrapWrite(path string, err error) error {
	return fmt.Errorf("h5io: could not write %q in %q: %w", path, f.path, err)
}

// Delete removes the object at path (space is not reclaimed by HDF5; use
// h5repack to compact a file).
func (f *File) Delete(path string) error {
	if err := deleteLink(f.id(), path); err != nil {
		return f.wrapWrite(path, err)
	}
	return nil
}
