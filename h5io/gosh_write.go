package h5io

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/eelsh5/eelsh5/gos"
)

// GOSHMeta is what WriteGOSH records besides the tables.
type GOSHMeta struct {
	Title       string // /metadata attr title
	Description string // /metadata attr description (method, references)
	Version     string // /metadata attr version (e.g. gos.HSVersion)
	DOI         string // /metadata/data_ref attr data_doi ("" for none)
	// EdgesInfo maps spectroscopic subshell names (K, L1, L2, L3, ...) to
	// their table and occupancy ratio: /metadata/edges_info/<Subshell>.
	EdgesInfo map[string]gos.EdgeInfo
}

// WriteGOSH writes tables to a new GOSH file at path (the layout of
// doc/formats.md 1.2; doc/algorithms.md 3.13), readable by OpenGOSH and by
// eXSpy: per table /<Element>/<Name>/q (1/m), free_energies (eV) and data
// (n_q, n_E) in 1/eV, with
// ionization_energy (and onset_energy_guess when known) on its metadata
// group; the root attribute file_format = "GOSH". The file is written
// beside path and renamed into place, so a failure leaves no partial file;
// an existing file is refused.
func WriteGOSH(path string, tables []*gos.Table, meta GOSHMeta) (err error) {
	if len(tables) == 0 {
		return fmt.Errorf("h5io: could not write %q: no GOS tables", path)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("h5io: could not write %q: file exists", path)
	}
	for _, t := range tables {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("h5io: could not write %q: %w", path, err)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial")
	os.Remove(tmp)
	f, err := Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return
		}
		if rerr := os.Rename(tmp, path); rerr != nil {
			os.Remove(tmp)
			err = fmt.Errorf("h5io: could not write %q: %w", path, rerr)
		}
	}()
	if err := f.setStringAttr("/", "file_format", "GOSH"); err != nil {
		return err
	}
	if err := f.setStringAttr("/", "file_format_version", "1.0"); err != nil {
		return err
	}
	mg, err := f.ensureGroup("/metadata")
	if err != nil {
		return err
	}
	for _, a := range [][2]string{{"title", meta.Title}, {"description", meta.Description}, {"version", meta.Version}} {
		if a[1] == "" {
			continue
		}
		if err := writeStrings(mg.id(), a[0], true, true, false, a[1]); err != nil {
			mg.close()
			return f.wrapWrite("/metadata", err)
		}
	}
	mg.close()
	if meta.DOI != "" {
		g, err := f.ensureGroup("/metadata/data_ref")
		if err != nil {
			return err
		}
		err = writeStrings(g.id(), "data_doi", true, true, false, meta.DOI)
		g.close()
		if err != nil {
			return f.wrapWrite("/metadata/data_ref", err)
		}
	}
	subs := make([]string, 0, len(meta.EdgesInfo))
	for s := range meta.EdgesInfo {
		subs = append(subs, s)
	}
	sort.Strings(subs)
	for _, s := range subs {
		ei := meta.EdgesInfo[s]
		p := "/metadata/edges_info/" + s
		g, err := f.ensureGroup(p)
		if err != nil {
			return err
		}
		err = writeStrings(g.id(), "table", true, true, false, ei.Table)
		if err == nil {
			err = writeNumbers(g.id(), "occupancy_ratio", true, true, []float64{ei.Occupancy})
		}
		g.close()
		if err != nil {
			return f.wrapWrite(p, err)
		}
	}
	for _, t := range tables {
		base := "/" + t.Element + "/" + t.Name
		if f.Exists(base) {
			return fmt.Errorf("h5io: could not write %q: table %s given twice", path, base)
		}
		nq, ne := len(t.Q), len(t.FreeEnergies)
		data := make([]float64, nq*ne) // (n_q, n_E): q first
		for iq := 0; iq < nq; iq++ {
			for ie := 0; ie < ne; ie++ {
				data[iq*ne+ie] = t.GOS[ie*nq+iq]
			}
		}
		if err := f.WriteFloats(base+"/q", []int{nq}, t.Q, "1/m"); err != nil {
			return err
		}
		if err := f.WriteFloats(base+"/free_energies", []int{ne}, t.FreeEnergies, "eV"); err != nil {
			return err
		}
		if err := f.WriteFloats(base+"/data", []int{nq, ne}, data, "1/eV"); err != nil {
			return err
		}
		g, err := f.ensureGroup(base + "/metadata")
		if err != nil {
			return err
		}
		for _, a := range []struct {
			name string
			v    float64
		}{{"ionization_energy", t.IonizationEnergy}, {"onset_energy_guess", t.OnsetGuess}} {
			if math.IsNaN(a.v) {
				continue
			}
			if err = writeNumbers(g.id(), a.name, true, true, []float64{a.v}); err != nil {
				break
			}
		}
		g.close()
		if err != nil {
			return f.wrapWrite(base+"/metadata", err)
		}
	}
	return nil
}
