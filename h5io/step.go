package h5io

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Step is a processing step being written: an NXprocess group under
// /entry, created under a temporary name (/entry/.<name>.partial) so that
// an incomplete step never looks complete. Commit moves it into place;
// Abort removes it.
type Step struct {
	f       *File
	Name    string
	tmp     string
	final   string
	done    bool
	Resumed bool // the step continues an interrupted run
}

// StepExistsError reports that a step of that name already exists (and
// replacing it was not asked for).
type StepExistsError struct{ File, Path string }

func (e *StepExistsError) Error() string {
	return fmt.Sprintf("h5io: %q already has %s", e.File, e.Path)
}

// Sentinels of a ResumeError, for errors.Is.
var (
	// ErrResumeMismatch: the interrupted step was started with other
	// parameters than the run that wants to continue it.
	ErrResumeMismatch = errors.New("h5io: the interrupted step was started with other options")
	// ErrResumeUnreadable: the interrupted step's parameters or checkpoint
	// cannot be read, or the checkpoint does not fit this run.
	ErrResumeUnreadable = errors.New("h5io: the interrupted step cannot be continued")
)

// ResumeError reports that ResumeStep or Checkpoint cannot continue the
// interrupted step Step of File. errors.Is matches Kind, which is
// ErrResumeMismatch or ErrResumeUnreadable; Unwrap gives the underlying
// error, if any. Starting the step afresh (BeginStep) is always possible.
type ResumeError struct {
	File, Step string
	Kind       error // ErrResumeMismatch or ErrResumeUnreadable
	Detail     string
	Err        error
}

func (e *ResumeError) Error() string {
	if e.Kind == ErrResumeMismatch {
		msg := fmt.Sprintf("h5io: the interrupted %s in %q was started with other options", e.Step, e.File)
		if e.Detail != "" {
			msg += ": " + e.Detail
		}
		return msg
	}
	msg := fmt.Sprintf("h5io: the interrupted %s in %q %s", e.Step, e.File, e.Detail)
	if e.Err != nil {
		msg += fmt.Sprintf(" (%v)", e.Err)
	}
	return msg
}

func (e *ResumeError) Is(target error) bool { return target == e.Kind }

func (e *ResumeError) Unwrap() error { return e.Err }

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
	// Make the new link in /entry durable now: from here to Commit only
	// the partial group changes, so a crash cannot damage /entry or
	// earlier steps.
	if err := f.Flush(); err != nil {
		return nil, err
	}
	return s, nil
}

// ResumeStep continues an interrupted run of step name when its partial
// group exists and was started with the same parameters; otherwise it
// begins the step afresh (resumed false).
func (f *File) ResumeStep(name string, prov *multispectrum.Provenance, overwrite bool) (*Step, error) {
	tmp := EntryPath + "/" + partialPrefix + name + partialSuffix
	if !linkExists(f.id(), tmp) || !linkExists(f.id(), tmp+"/"+checkpointName) {
		return f.BeginStep(name, prov, overwrite)
	}
	final := EntryPath + "/" + name
	if linkExists(f.id(), final) && !overwrite {
		return nil, &StepExistsError{File: f.path, Path: final}
	}
	var old map[string]any
	if err := f.ReadNote(tmp+"/"+ProcParameters, &old); err != nil {
		return nil, &ResumeError{File: f.path, Step: name, Kind: ErrResumeUnreadable, Detail: "is unreadable", Err: err}
	}
	b, _ := json.Marshal(prov.Params)
	var cur map[string]any
	json.Unmarshal(b, &cur)
	if !reflect.DeepEqual(old, cur) {
		return nil, &ResumeError{File: f.path, Step: name, Kind: ErrResumeMismatch, Detail: paramDifferences(old, cur)}
	}
	return &Step{f: f, Name: name, tmp: tmp, final: final, Resumed: true}, nil
}

// paramDifferences says which parameters of an interrupted step (old)
// differ from those of the run that wants to continue it (cur), each with
// both values: `method "wls", now "poisson"`. Maps are compared key by
// key and lists of equal length item by item, so that the parameter named
// is the one that differs (model_file.Fit.Method), not the whole
// structure; the shallowest differences come first, at most four.
func paramDifferences(old, cur map[string]any) string {
	type diff struct {
		path     string
		depth    int
		old, cur any
		had, has bool
	}
	var diffs []diff
	var walk func(path string, depth int, a, b any, had, has bool)
	walk = func(path string, depth int, a, b any, had, has bool) {
		if had && has && reflect.DeepEqual(a, b) {
			return
		}
		ma, okA := a.(map[string]any)
		mb, okB := b.(map[string]any)
		if had && has && okA && okB {
			keys := map[string]bool{}
			for k := range ma {
				keys[k] = true
			}
			for k := range mb {
				keys[k] = true
			}
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				va, inA := ma[k]
				vb, inB := mb[k]
				walk(strings.TrimPrefix(path+"."+k, "."), depth+1, va, vb, inA, inB)
			}
			return
		}
		la, okA := a.([]any)
		lb, okB := b.([]any)
		if had && has && okA && okB && len(la) == len(lb) {
			for i := range la {
				walk(fmt.Sprintf("%s[%d]", path, i), depth+1, la[i], lb[i], true, true)
			}
			return
		}
		diffs = append(diffs, diff{path, depth, a, b, had, has})
	}
	walk("", 0, old, cur, true, true)
	sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].depth < diffs[j].depth })
	value := func(v any, ok bool) string {
		if !ok {
			return "not set"
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		if s := string(b); len(s) <= 48 {
			return s
		}
		return string(b[:45]) + "..."
	}
	const most = 4
	var parts []string
	for i, d := range diffs {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(diffs)-most))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %s, now %s", d.path, value(d.old, d.had), value(d.cur, d.has)))
	}
	return strings.Join(parts, "; ")
}

const checkpointName = ".checkpoint"

// Checkpoint records progress of a long step: which tiles are written
// and the values of accumulators consistent with them. Write overwrites
// both in place and flushes the file, so that after a crash the step can
// resume from the last checkpoint.
type Checkpoint struct {
	s            *Step
	done, sums   handle
	ntiles, nacc int
	i8           []int8
}

// Checkpoint creates (or, for a resumed step, opens) the checkpoint of
// ntiles tiles and nacc accumulator values.
func (s *Step) Checkpoint(ntiles, nacc int) (*Checkpoint, error) {
	f := s.f
	base := s.tmp + "/" + checkpointName
	if !s.Resumed {
		g, err := f.ensureGroup(base)
		if err != nil {
			return nil, err
		}
		g.close()
		if err := createChunked(f.id(), base+"/tiles_done", tI8, u64(ntiles), u64(min(ntiles, 1<<16)), 0); err != nil {
			return nil, f.wrapWrite(base, err)
		}
		if err := createChunked(f.id(), base+"/sums", tF64, u64(max(nacc, 1)), u64(max(nacc, 1)), 0); err != nil {
			return nil, f.wrapWrite(base, err)
		}
	}
	c := &Checkpoint{s: s, ntiles: ntiles, nacc: nacc, i8: make([]int8, ntiles)}
	var err error
	if c.done, _, err = f.openDataset(base + "/tiles_done"); err != nil {
		return nil, err
	}
	if c.sums, _, err = f.openDataset(base + "/sums"); err != nil {
		c.done.close()
		return nil, err
	}
	if in, err := getInfo(f.id(), base+"/tiles_done", false); err != nil || len(in.dims) != 1 || in.dims[0] != ntiles {
		c.Close()
		return nil, &ResumeError{File: f.path, Step: s.Name, Kind: ErrResumeUnreadable, Detail: "has a checkpoint that does not match this run"}
	}
	return c, nil
}

// Load returns the tiles recorded done and the accumulator values.
func (c *Checkpoint) Load() ([]bool, []float64, error) {
	if err := rwBlock(c.done.id(), u64(0), u64(c.ntiles), c.i8, false); err != nil {
		return nil, nil, fmt.Errorf("h5io: could not read the checkpoint in %q: %w", c.s.f.path, err)
	}
	sums := make([]float64, max(c.nacc, 1))
	if err := rwBlock(c.sums.id(), u64(0), u64(len(sums)), sums, false); err != nil {
		return nil, nil, fmt.Errorf("h5io: could not read the checkpoint in %q: %w", c.s.f.path, err)
	}
	done := make([]bool, c.ntiles)
	for i, v := range c.i8 {
		done[i] = v == 1
	}
	return done, sums[:c.nacc], nil
}

// Write records the tiles done and the accumulators, then flushes the
// whole file (the tiles' data first, as HDF5 writes raw data before the
// metadata that points at it).
func (c *Checkpoint) Write(done []bool, sums []float64) error {
	for i, d := range done {
		c.i8[i] = 0
		if d {
			c.i8[i] = 1
		}
	}
	if err := c.s.f.Flush(); err != nil {
		return err
	}
	if err := rwBlock(c.done.id(), u64(0), u64(c.ntiles), c.i8, true); err != nil {
		return c.s.f.wrapWrite(c.s.tmp, err)
	}
	if c.nacc > 0 {
		if err := rwBlock(c.sums.id(), u64(0), u64(c.nacc), sums, true); err != nil {
			return c.s.f.wrapWrite(c.s.tmp, err)
		}
	}
	return c.s.f.Flush()
}

// Close releases the checkpoint datasets.
func (c *Checkpoint) Close() {
	if c.done.obj != nil {
		c.done.close()
		c.done.obj = nil
	}
	if c.sums.obj != nil {
		c.sums.close()
		c.sums.obj = nil
	}
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
	if linkExists(f.id(), s.tmp+"/"+checkpointName) {
		if err := deleteLink(f.id(), s.tmp+"/"+checkpointName); err != nil {
			return f.wrapWrite(s.tmp, err)
		}
	}
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
// if any, is untouched. A step with a checkpoint is kept for ResumeStep.
func (s *Step) Abort() error {
	if s.done {
		return nil
	}
	s.done = true
	if linkExists(s.f.id(), s.tmp+"/"+checkpointName) {
		return s.f.Flush()
	}
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

// SetStringAttr sets a (fixed-length) string attribute of the object at
// path.
func (f *File) SetStringAttr(path, name, value string) error {
	return f.setStringAttr(path, name, value)
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

// NoStepError says that a file has no step of that name (Path is the
// step's group, /entry/NAME).
type NoStepError struct {
	File, Path string
}

func (e *NoStepError) Error() string { return fmt.Sprintf("h5io: %q has no step %s", e.File, e.Path) }

// ReadProvenance reads the provenance of a committed step.
func (f *File) ReadProvenance(step string) (*multispectrum.Provenance, error) {
	path := EntryPath + "/" + step
	if !linkExists(f.id(), path) {
		return nil, &NoStepError{File: f.path, Path: path}
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
