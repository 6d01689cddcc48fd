package h5io

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Step is a processing step being written: an NXprocess group under
// /entry, created under a temporary name (/entry/.<name>.partial) so that
// an incomplete step never looks complete. Commit moves it into place;
// Abort removes it.
type Step struct {
	f     *File
	Name  string
	tmp   string
	final string
	done  bool
}

// StepExistsError reports that a step of that name already exists.
type StepExistsError struct{ File, Path string }

func (e *StepExistsError) Error() string {
	return fmt.Sprintf("h5io: %q already has %s (use --overwrite to replace it, or --step NAME to keep both)", e.File, e.Path)
}

// BeginStep starts writing step name of /entry with its provenance.
// Without overwrite an existing step of that name is an error; with it,
// the old step stays intact until Commit replaces it. A leftover
// temporary group of an interrupted run is removed.
func (f *File) BeginStep(name string, prov *multispectrum.Provenance, overwrite bool) (*Step, error) {
	if !f.writable {
		return nil, fmt.Errorf("h5io: %q is open read-only", f.path)
	}
	if name == "" || strings.ContainsAny(name, "/.") {
		return nil, fmt.Errorf("h5io: bad step name %q (no '/' or '.')", name)
	}
	s := &Step{f: f, Name: name, final: EntryPath + "/" + name, tmp: EntryPath + "/" + partialPrefix + name + partialSuffix}
	if linkExists(f.id(), s.final) && !overwrite {
		return nil, &StepExistsError{File: f.path, Path: s.final}
	}
	if linkExists(f.id(), s.tmp) {
		if err := deleteLink(f.id(), s.tmp); err != nil {
			return nil, f.wrapWrite(s.tmp, err)
		}
	}
	seq := f.nextSequenceIndex()
	g, err := f.ensureGroup(s.tmp)
	if err != nil {
		return nil, err
	}
	defer g.close()
	if err := writeStrings(g.id(), AttrNXClass, true, true, true, "NXprocess"); err != nil {
		return nil, f.wrapWrite(s.tmp, err)
	}
	if err := f.writeProvenance(g, s.tmp, prov, seq); err != nil {
		return nil, err
	}
	return s, nil
}

// Path returns the absolute path of child inside the step being written.
func (s *Step) Path(child string) string { return s.tmp + "/" + child }

// FinalPath returns the absolute path the step will have once committed.
func (s *Step) FinalPath() string { return s.final }

// WriteJSON stores v as an NXnote (type application/json) child of the
// step, e.g. a summary.
func (s *Step) WriteJSON(child string, v any) error {
	return s.f.writeNote(s.tmp+"/"+child, v)
}

// Commit makes the step visible under its real name, replacing an older
// step of the same name only now that the new one is complete, sets the
// step's default child (for viewers) and, when there is one, points
// /entry's default at the step.
func (s *Step) Commit(defaultChild string) error {
	f := s.f
	if defaultChild != "" {
		if err := f.setStringAttr(s.tmp, AttrDefault, defaultChild); err != nil {
			return err
		}
	}
	if err := f.Flush(); err != nil {
		return err
	}
	old := EntryPath + "/" + partialPrefix + s.Name + oldSuffix
	hadOld := linkExists(f.id(), s.final)
	if hadOld {
		if linkExists(f.id(), old) {
			if err := deleteLink(f.id(), old); err != nil {
				return f.wrapWrite(old, err)
			}
		}
		if err := moveLink(f.id(), s.final, old); err != nil {
			return f.wrapWrite(s.final, err)
		}
	}
	if err := moveLink(f.id(), s.tmp, s.final); err != nil {
		return f.wrapWrite(s.final, err)
	}
	if hadOld {
		if err := deleteLink(f.id(), old); err != nil {
			return f.wrapWrite(old, err)
		}
	}
	if defaultChild != "" {
		if err := f.setStringAttr(EntryPath, AttrDefault, s.Name); err != nil {
			return err
		}
	}
	s.done = true
	return f.Flush()
}

// Abort removes the partly written step; the previous step of that name,
// if any, is untouched.
func (s *Step) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	if linkExists(s.f.id(), s.tmp) {
		return deleteLink(s.f.id(), s.tmp)
	}
	return nil
}

func (f *File) setStringAttr(path, name, value string) error {
	err := withObject(f.id(), path, func(o hid) error {
		return writeStrings(o, name, true, true, true, value)
	})
	if err != nil {
		return f.wrapWrite(path, err)
	}
	return nil
}

// AttrString reads a string attribute of the object at path.
func (f *File) AttrString(path, name string) (string, bool) {
	var out string
	ok := false
	withObject(f.id(), path, func(o hid) error {
		if !attrExists(o, name) {
			return nil
		}
		s, err := readStrings(o, name, true)
		if err == nil && len(s) >= 1 {
			out, ok = s[0], true
		}
		return nil
	})
	return out, ok
}

// nextSequenceIndex returns one more than the largest sequence_index of
// the NXprocess groups in /entry.
func (f *File) nextSequenceIndex() int {
	if !linkExists(f.id(), EntryPath) {
		return 0
	}
	best := -1
	withObject(f.id(), EntryPath, func(o hid) error {
		ch, err := children(o)
		if err != nil {
			return err
		}
		for _, c := range ch {
			p := EntryPath + "/" + c.name + "/" + ProcSequenceIndex
			if c.isGroup && linkExists(f.id(), p) {
				if v, err := readFloats(f.id(), p, false); err == nil && len(v) == 1 {
					best = max(best, int(v[0]))
				}
			}
		}
		return nil
	})
	return best + 1
}

// writeProvenance is the one place provenance is serialised: program,
// version, date, command line, sequence index, the parameters as a JSON
// NXnote and the inputs (file, SHA-256, datasets) as a JSON NXnote.
func (f *File) writeProvenance(g handle, path string, p *multispectrum.Provenance, seq int) error {
	id := g.id()
	created := p.Created
	if created.IsZero() {
		created = time.Now()
	}
	err := firstErr(
		writeStrings(id, ProcProgram, false, true, false, p.Program),
		writeStrings(id, ProcVersion, false, true, false, p.Version),
		writeStrings(id, ProcDate, false, true, false, created.UTC().Format(time.RFC3339)),
		writeStrings(id, ProcCommandLine, false, true, false, strings.Join(quoteArgs(p.CommandLine), " ")),
		writeNumbers(id, ProcSequenceIndex, false, true, []int64{int64(seq)}),
	)
	if err != nil {
		return f.wrapWrite(path, err)
	}
	params := p.Params
	if params == nil {
		params = map[string]any{}
	}
	if err := f.writeNote(path+"/"+ProcParameters, params); err != nil {
		return err
	}
	inputs := p.Inputs
	if inputs == nil {
		inputs = []multispectrum.Input{}
	}
	return f.writeNote(path+"/"+ProcInputs, inputs)
}

// writeNote writes v as JSON in an NXnote group (type application/json,
// dataset data). Map keys are sorted by encoding/json, so the text is
// deterministic.
func (f *File) writeNote(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("h5io: could not encode %q: %w", path, err)
	}
	g, err := f.ensureGroup(path)
	if err != nil {
		return err
	}
	defer g.close()
	err = firstErr(
		writeStrings(g.id(), AttrNXClass, true, true, true, "NXnote"),
		writeStrings(g.id(), "type", false, true, false, "application/json"),
		writeStrings(g.id(), "data", false, true, false, string(b)),
	)
	if err != nil {
		return f.wrapWrite(path, err)
	}
	return nil
}

// ReadNote decodes the JSON NXnote at path into v.
func (f *File) ReadNote(path string, v any) error {
	s, err := readStrings(f.id(), path+"/data", false)
	if err != nil || len(s) != 1 {
		return fmt.Errorf("h5io: could not read note %q in %q", path, f.path)
	}
	if err := json.Unmarshal([]byte(s[0]), v); err != nil {
		return fmt.Errorf("h5io: note %q in %q is not valid JSON: %w", path, f.path, err)
	}
	return nil
}

// ReadProvenance reads the provenance of a committed step.
func (f *File) ReadProvenance(step string) (*multispectrum.Provenance, error) {
	path := EntryPath + "/" + step
	if !linkExists(f.id(), path) {
		return nil, fmt.Errorf("h5io: %q has no step %q", f.path, path)
	}
	p := &multispectrum.Provenance{Step: step}
	str := func(name string) string {
		s, err := readStrings(f.id(), path+"/"+name, false)
		if err != nil || len(s) != 1 {
			return ""
		}
		return s[0]
	}
	p.Program, p.Version = str(ProcProgram), str(ProcVersion)
	if t, err := time.Parse(time.RFC3339, str(ProcDate)); err == nil {
		p.Created = t
	}
	if cl := str(ProcCommandLine); cl != "" {
		p.CommandLine = strings.Fields(cl)
	}
	if err := f.ReadNote(path+"/"+ProcParameters, &p.Params); err != nil {
		return nil, err
	}
	if linkExists(f.id(), path+"/"+ProcInputs) {
		if err := f.ReadNote(path+"/"+ProcInputs, &p.Inputs); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			out[i] = fmt.Sprintf("%q", a)
		} else {
			out[i] = a
		}
	}
	return out
}

// FileSHA256 returns the hex SHA-256 of a file's content.
func FileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("h5io: could not hash %q: %w", path, unwrapPathError(err))
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", fmt.Errorf("h5io: could not hash %q: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// AttrStrings reads a string (array) attribute of the object at path.
func (f *File) AttrStrings(path, name string) ([]string, bool) {
	var out []string
	ok := false
	withObject(f.id(), path, func(o hid) error {
		if !attrExists(o, name) {
			return nil
		}
		s, err := readStrings(o, name, true)
		if err == nil {
			out, ok = s, true
		}
		return nil
	})
	return out, ok
}
