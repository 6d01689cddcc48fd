package h5io

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/eelsh5/eelsh5/gos"
)

// GOSH is an open GOSH file (doc/formats.md 1) decoded table by table into
// gos.Table values; it implements gos.Database. Tables are read on
// demand, never the whole database.
type GOSH struct {
	f    *File
	kind gos.DatabaseKind
	doi  string
	info map[string]gos.EdgeInfo
	mu   sync.Mutex
	Warn string // non-fatal remark about the file (e.g. file_format not "GOSH")
}

// OpenGOSH opens a GOSH file read-only as a database of the given kind
// (gos.DFT for Segger-Guzzinati-Kohl, gos.Dirac for Zhang).
func OpenGOSH(path string, kind gos.DatabaseKind) (*GOSH, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	g := &GOSH{f: f, kind: kind}
	if ff, ok := f.AttrString("/", "file_format"); !ok || ff != "GOSH" {
		g.Warn = fmt.Sprintf("%q has no file_format=\"GOSH\" attribute; reading it as a GOSH file anyway", path)
	}
	if doi, ok := f.AttrString("/metadata/data_ref", "data_doi"); ok {
		g.doi = doi
	}
	if linkExists(f.id(), "/metadata/edges_info") {
		g.info = map[string]gos.EdgeInfo{}
		withObject(f.id(), "/metadata/edges_info", func(o hid) error {
			ch, err := children(o)
			if err != nil {
				return err
			}
			for _, c := range ch {
				p := "/metadata/edges_info/" + c.name
				ei := gos.EdgeInfo{Occupancy: 1}
				ei.Table, _ = f.AttrString(p, "table")
				withObject(f.id(), p, func(o hid) error {
					if attrExists(o, "occupancy_ratio") {
						if v, err := readFloats(o, "occupancy_ratio", true); err == nil && len(v) == 1 {
							ei.Occupancy = v[0]
						}
					}
					return nil
				})
				g.info[c.name] = ei
			}
			return nil
		})
	}
	els, err := g.Elements()
	if err != nil {
		f.Close()
		return nil, err
	}
	if len(els) == 0 {
		f.Close()
		return nil, fmt.Errorf("h5io: %q is not a GOS table: it has no element groups", path)
	}
	return g, nil
}

// Close closes the file.
func (g *GOSH) Close() error { return g.f.Close() }

// Path implements gos.Database.
func (g *GOSH) Path() string { return g.f.path }

// DOI implements gos.Database.
func (g *GOSH) DOI() string { return g.doi }

// Kind implements gos.Database.
func (g *GOSH) Kind() gos.DatabaseKind { return g.kind }

// EdgesInfo implements gos.Database.
func (g *GOSH) EdgesInfo() map[string]gos.EdgeInfo { return g.info }

// groups lists the subgroups of path, sorted, without the metadata group
// (elements at the root, edge tables under an element).
func (g *GOSH) groups(path string) ([]string, error) {
	var out []string
	err := withObject(g.f.id(), path, func(o hid) error {
		ch, err := children(o)
		for _, c := range ch {
			if c.isGroup && c.name != "metadata" {
				out = append(out, c.name)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("h5io: could not list %q in %q: %w", path, g.f.path, err)
	}
	sort.Strings(out)
	return out, nil
}

// Elements implements gos.Database.
func (g *GOSH) Elements() ([]string, error) {
	return g.groups("/")
}

// Tables implements gos.Database.
func (g *GOSH) Tables(element string) ([]string, error) {
	if !linkExists(g.f.id(), "/"+element) {
		return nil, fmt.Errorf("h5io: element %s: %w (%s)", element, gos.ErrNotInDatabase, g.f.path)
	}
	return g.groups("/" + element)
}

// Table implements gos.Database: it reads q (1/m), free_energies (or
// free_energy) and data (rank 2 or 3, q first; variant 0 of rank 3) and
// transposes data to [E, q].
func (g *GOSH) Table(element, name string) (*gos.Table, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	base := "/" + element + "/" + name
	if !linkExists(g.f.id(), base) {
		return nil, fmt.Errorf("h5io: table %s/%s: %w (%s)", element, name, gos.ErrNotInDatabase, g.f.path)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("h5io: malformed GOS table %s in %q: %s", base, g.f.path, fmt.Sprintf(format, a...))
	}
	q, err := readFloats(g.f.id(), base+"/q", false)
	if err != nil {
		return nil, bad("no readable q dataset")
	}
	epath := base + "/free_energies"
	if !linkExists(g.f.id(), epath) {
		epath = base + "/free_energy"
	}
	e, err := readFloats(g.f.id(), epath, false)
	if err != nil {
		return nil, bad("no readable free_energies dataset")
	}
	in, err := getInfo(g.f.id(), base+"/data", false)
	if err != nil {
		return nil, bad("no readable data dataset")
	}
	if len(in.dims) < 2 || len(in.dims) > 3 {
		return nil, bad("data has rank %d, expected 2 or 3", len(in.dims))
	}
	if in.dims[0] != len(q) || in.dims[1] != len(e) {
		return nil, bad("data shape %v does not match %d q x %d energies", in.dims, len(q), len(e))
	}
	if in.n > 1<<28 {
		return nil, bad("data too large (%d values)", in.n)
	}
	d, err := readFloats(g.f.id(), base+"/data", false)
	if err != nil {
		return nil, bad("data not numeric")
	}
	nv := 1
	if len(in.dims) == 3 {
		nv = in.dims[2]
	}
	t := &gos.Table{Element: element, Name: name, Q: q, FreeEnergies: e, GOS: make([]float64, len(q)*len(e)),
		IonizationEnergy: math.NaN(), OnsetGuess: math.NaN()}
	for iq := range q {
		for ie := range e {
			t.GOS[ie*len(q)+iq] = d[(iq*len(e)+ie)*nv]
		}
	}
	meta := base + "/metadata"
	if linkExists(g.f.id(), meta) {
		withObject(g.f.id(), meta, func(o hid) error {
			for _, a := range []struct {
				name string
				dst  *float64
			}{{"ionization_energy", &t.IonizationEnergy}, {"onset_energy_guess", &t.OnsetGuess}} {
				if attrExists(o, a.name) {
					if v, err := readFloats(o, a.name, true); err == nil && len(v) >= 1 {
						*a.dst = v[0]
					}
				}
			}
			return nil
		})
	}
	if err := t.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	return t, nil
}

// ZhangDir is a directory of per-element Zhang GOS files in the layout
// pyEELSMODEL used before May 2024 (doc/formats.md 1.7): <El>.hdf5 holding
// /<El>/<Edge>/data (n_E, n_q), free_energy (eV) and q (1/Å). It
// implements gos.Database (Dirac kind) and converts q to 1/m.
type ZhangDir struct {
	dir string
}

// OpenZhangDir opens a directory of per-element Zhang files.
func OpenZhangDir(dir string) (*ZhangDir, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("h5io: %q is not a directory of per-element GOS files", dir)
	}
	z := &ZhangDir{dir: dir}
	els, _ := z.Elements()
	if len(els) == 0 {
		return nil, fmt.Errorf("h5io: %q holds no <Element>.hdf5 GOS files", dir)
	}
	return z, nil
}

// Path implements gos.Database.
func (z *ZhangDir) Path() string { return z.dir }

// DOI implements gos.Database.
func (z *ZhangDir) DOI() string { return "" }

// Kind implements gos.Database.
func (z *ZhangDir) Kind() gos.DatabaseKind { return gos.Dirac }

// EdgesInfo implements gos.Database.
func (z *ZhangDir) EdgesInfo() map[string]gos.EdgeInfo { return nil }

// Elements implements gos.Database.
func (z *ZhangDir) Elements() ([]string, error) {
	m, _ := filepath.Glob(filepath.Join(z.dir, "*.hdf5"))
	var out []string
	for _, p := range m {
		el := strings.TrimSuffix(filepath.Base(p), ".hdf5")
		if _, err := gos.Element(el); err == nil {
			out = append(out, el)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (z *ZhangDir) open(element string) (*File, error) {
	p := filepath.Join(z.dir, element+".hdf5")
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("h5io: element %s: %w (%s)", element, gos.ErrNotInDatabase, z.dir)
	}
	return Open(p)
}

// Tables implements gos.Database.
func (z *ZhangDir) Tables(element string) ([]string, error) {
	f, err := z.open(element)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g := &GOSH{f: f}
	return g.groups("/" + element)
}

// Table implements gos.Database.
func (z *ZhangDir) Table(element, name string) (*gos.Table, error) {
	f, err := z.open(element)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base := "/" + element + "/" + name
	if !linkExists(f.id(), base) {
		return nil, fmt.Errorf("h5io: table %s/%s: %w (%s)", element, name, gos.ErrNotInDatabase, f.path)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("h5io: malformed GOS table %s in %q: %s", base, f.path, fmt.Sprintf(format, a...))
	}
	qi, err1 := getInfo(f.id(), base+"/q", false)
	ei, err2 := getInfo(f.id(), base+"/free_energy", false)
	di, err3 := getInfo(f.id(), base+"/data", false)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, bad("needs datasets q, free_energy and data")
	}
	q, _ := readFloats(f.id(), base+"/q", false)
	e, _ := readFloats(f.id(), base+"/free_energy", false)
	// The oldest variant stores meshgrids: q varies along columns, energy
	// along rows of 2-D arrays of the data's shape.
	if len(qi.dims) == 2 && len(di.dims) == 2 {
		q = q[:qi.dims[1]]
	}
	if len(ei.dims) == 2 && len(di.dims) == 2 {
		col := make([]float64, ei.dims[0])
		for i := range col {
			col[i] = e[i*ei.dims[1]]
		}
		e = col
	}
	if len(di.dims) != 2 || di.dims[0] != len(e) || di.dims[1] != len(q) {
		return nil, bad("data shape %v does not match %d energies x %d q", di.dims, len(e), len(q))
	}
	d, err := readFloats(f.id(), base+"/data", false)
	if err != nil {
		return nil, bad("data not numeric")
	}
	for i := range q {
		q[i] *= 1e10 // 1/Å -> 1/m
	}
	t := &gos.Table{Element: element, Name: name, Q: q, FreeEnergies: e, GOS: d, IonizationEnergy: math.NaN(), OnsetGuess: math.NaN()}
	if err := t.Validate(); err != nil {
		return nil, bad("%v", err)
	}
	return t, nil
}
