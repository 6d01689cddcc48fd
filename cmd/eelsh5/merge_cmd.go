package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// partSpec is the flag --part K/N (1 <= K <= N).
type partSpec aligners.Part

func (p *partSpec) UnmarshalText(b []byte) error {
	s := string(b)
	a, c, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(c))
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return fmt.Errorf("%q: want K/N with 1 <= K <= N (e.g. 3/16)", s)
	}
	*p = partSpec{K: k, N: n}
	return nil
}

func (p partSpec) String() string { return aligners.Part(p).String() }

// partFlags are the flags of a partitioned run of align, fit and quant.
type partFlags struct {
	Part     *partSpec `placeholder:"K/N" group:"partitioned" help:"Process only the K-th of N parts of the scan (chunk-aligned tile ranges balanced by pixel count, K from 1) into the part file FILE.STEP.partK-of-N.nxs (beside FILE or in --parts-dir), with the options of the --prepare run, which must come first; FILE is only read. 'eelsh5 merge FILE' assembles the parts."`
	PartsDir string    `name:"parts-dir" type:"path" group:"partitioned" help:"Directory of the part files and of the preparing run's FILE.STEP.prepare.json (default: the directory of FILE)."`
	Prepare  bool      `group:"partitioned" help:"Prepare a partitioned run: make the choices that need the whole scan (the alignment's shifts, median and crop; quant's window, background terms and onsets) once, into FILE.STEP.prepare.json, which every --part run reads; FILE is only read."`
}

// partitioned reports whether the run is a --prepare or --part run.
func (p *partFlags) partitioned() bool { return p.Prepare || p.Part != nil }

// check refuses contradictory partition flags.
func (p *partFlags) check() error {
	if p.Prepare && p.Part != nil {
		return errors.New("--prepare and --part are separate runs: prepare first, then run each part")
	}
	if p.PartsDir != "" && !p.partitioned() {
		return errors.New("--parts-dir is for --prepare and --part runs")
	}
	return nil
}

// part returns the part of a --part run (the zero Part otherwise).
func (p *partFlags) part() aligners.Part {
	if p.Part == nil {
		return aligners.Part{}
	}
	return aligners.Part(*p.Part)
}

// prepareFile is what a --prepare run stores for the parts and the
// merge of a partitioned run: the command and its flags (so that every
// part runs the same command, and the merge can finish it), the input's
// SHA-256, and the choices made on the whole scan.
type prepareFile struct {
	// ID identifies the preparing run (SHA-256 of the rest); every part
	// records it.
	ID          string         `json:"id"`
	Command     string         `json:"command"` // align, fit or quant
	Step        string         `json:"step"`
	Input       string         `json:"input"`
	InputSHA256 string         `json:"input_sha256"`
	Version     string         `json:"version"`
	Created     time.Time      `json:"created"`
	Flags       map[string]any `json:"flags"`
	Tiles       int            `json:"tiles"` // of the run's tiling: at most this many parts
	// Model is the resolved model of fit and quant, Measured the
	// alignment's pass 1.
	Model    *quant.Prepared       `json:"model,omitempty"`
	Measured *aligners.Measurement `json:"measured,omitempty"`
	// StatusCounts are the alignment's pixel counts by status.
	StatusCounts map[string]int `json:"status_counts,omitempty"`
}

// runFlags are the flags of a command that do not change what a
// partitioned run computes: where and how it runs.
var runFlags = []string{"File", "Part", "PartsDir", "Prepare", "Resume", "CheckpointEvery", "Overwrite", "Plots", "OverwritePlots", "Plot"}

// commandFlags returns the flags of cmd (a command struct) that decide
// what it computes, as JSON values.
func commandFlags(cmd any) (map[string]any, error) {
	b, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("could not record the flags: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("could not record the flags: %w", err)
	}
	for _, k := range runFlags {
		delete(m, k)
	}
	return m, nil
}

// writePrepare stores p (with its ID) at path, atomically.
func writePrepare(path string, p *prepareFile) error {
	p.ID = ""
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	s := sha256.Sum256(b)
	p.ID = hex.EncodeToString(s[:])
	if b, err = json.MarshalIndent(p, "", " "); err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("could not create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("could not write %s: %w", path, err)
	}
	return nil
}

// readPrepare reads the preparing run's file at path.
func readPrepare(path string) (*prepareFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p prepareFile
	if err := json.Unmarshal(b, &p); err != nil || p.ID == "" {
		return nil, fmt.Errorf("%s is not the file of a preparing run (%v)", path, err)
	}
	return &p, nil
}

// loadPrepare reads the preparing run of a --part run of command on
// file and checks that it prepared this command with these flags.
func loadPrepare(file, dir, step, command string, cmd any) (*prepareFile, error) {
	path := h5io.PreparePath(file, dir, step)
	p, err := readPrepare(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no preparing run of /entry/%s for %s: run 'eelsh5 %s %s ... --prepare' first (%s does not exist)", step, file, command, file, path)
	}
	if err != nil {
		return nil, err
	}
	if p.Command != command || p.Step != step {
		return nil, fmt.Errorf("%s prepared 'eelsh5 %s' of /entry/%s, not 'eelsh5 %s' of /entry/%s", path, p.Command, p.Step, command, step)
	}
	if p.Version != version {
		return nil, fmt.Errorf("%s was prepared by eelsh5 %s, this is %s: prepare again", path, p.Version, version)
	}
	flags, err := commandFlags(cmd)
	if err != nil {
		return nil, err
	}
	if d := flagDifferences(p.Flags, flags); d != "" {
		return nil, usageError{fmt.Errorf("the options differ from those of the preparing run (%s): %s", path, d)}
	}
	return p, nil
}

// flagDifferences names the flags that differ between two flag sets.
func flagDifferences(old, cur map[string]any) string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	var d []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !reflect.DeepEqual(old[k], cur[k]) {
			a, _ := json.Marshal(old[k])
			b, _ := json.Marshal(cur[k])
			d = append(d, fmt.Sprintf("%s was %s, now %s", k, a, b))
		}
	}
	return strings.Join(d, "; ")
}

// partNote returns the note of part k/n over tiles [first, end) of tl.
func partNote(part aligners.Part, tl multispectrum.Tiling, first, end int, file string, p *prepareFile) *h5io.PartNote {
	return &h5io.PartNote{K: part.K, N: part.N, First: first, End: end, Tiling: [4]int{tl.NY, tl.NX, tl.TileY, tl.TileX},
		Regions: aligners.Regions(tl, first, end), Input: file, Prepare: p.ID, Version: version}
}

// openPartFile creates (or reopens, to resume) the file of a part.
func openPartFile(g *Globals, f *h5io.File, file, dir, step string, part aligners.Part) (*h5io.File, string, error) {
	path := h5io.PartPath(file, dir, step, part.K, part.N)
	inst, err := f.ReadInstrument()
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, "", fmt.Errorf("could not create %s: %w", filepath.Dir(path), err)
	}
	pf, err := h5io.CreatePartFile(path, inst, fmt.Sprintf("part %s of /entry/%s of %s", part, step, file), g.now())
	return pf, path, err
}

// partParams are the provenance parameters a part adds.
func partParams(part aligners.Part) map[string]any { return map[string]any{"part": part.String()} }

type mergeCmd struct {
	File      string `arg:"" type:"path" help:"Processing file whose partitioned run to finish."`
	Step      string `help:"Step to merge (default: the only step with a preparing run for FILE)."`
	PartsDir  string `name:"parts-dir" type:"path" help:"Directory of the part files (default: the directory of FILE)."`
	Parts     int    `help:"Number of parts N (default: that of the part files found)."`
	Copy      bool   `help:"Copy the parts' data into FILE (it then no longer needs the part files) instead of virtual datasets."`
	Overwrite bool   `help:"Replace an existing step of the same name."`
}

func (c *mergeCmd) Help() string {
	return `Finishes a partitioned run (align, fit or quant with --prepare and --part K/N): checks that
every part file FILE.STEP.partK-of-N.nxs is there once, finished, from the same preparing run,
options, version and input, then writes the step into FILE with every per-pixel dataset an
HDF5 virtual dataset mapping each part's tiles onto its part file (no copy: keep the part
files beside FILE; moving them together is fine), or with --copy a copy of the data. The mean
spectrum is the sum of the parts' running sums, the summaries (region statistics, reduced
chi-square) are made from the merged maps, as a whole run makes them. Any missing,
duplicated, unfinished or mismatched part is refused with one line naming it, before FILE
is opened for writing.`
}

// mergeSet is the checked parts of a partitioned run.
type mergeSet struct {
	prep    *prepareFile
	files   []string
	regions [][]multispectrum.Region
	sums    [][]float64
	copy    bool
	// sum is FILE's SHA-256 when checked: the preparing run's, or that
	// of FILE after an earlier merge of the same parts (remerge).
	sum     string
	remerge bool
}

// merge returns the h5io merge of the parts into file.
func (s *mergeSet) merge(file, step string) *h5io.Merge {
	return h5io.NewMerge(file, s.files, s.regions, step, s.copy)
}

// params are the provenance parameters the merge adds.
func (s *mergeSet) params(m *h5io.Merge) map[string]any {
	var links []string
	for _, src := range m.Sources {
		links = append(links, src.Link)
	}
	return map[string]any{"parts": map[string]any{"n": len(s.files), "files": links, "virtual": !s.copy, "prepare": s.prep.ID}}
}

func (c *mergeCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 merge")
	set, err := c.check()
	if err != nil {
		return err
	}
	prep := set.prep
	flags, _ := json.Marshal(prep.Flags)
	var spectra int
	switch prep.Command {
	case "quant":
		q := &quantCmd{}
		if err := json.Unmarshal(flags, q); err != nil {
			return fmt.Errorf("could not read the flags of the preparing run: %w", err)
		}
		q.File, q.Overwrite = c.File, c.Overwrite
		rep, err := q.merge(g, prog, set)
		if err != nil {
			return err
		}
		printSummary(g.stdout, rep.res.Summary, rep.densities)
		spectra = rep.res.Spectra
	case "fit":
		q := &fitCmd{}
		if err := json.Unmarshal(flags, q); err != nil {
			return fmt.Errorf("could not read the flags of the preparing run: %w", err)
		}
		q.File, q.Overwrite = c.File, c.Overwrite
		res, err := q.merge(g, prog, set)
		if err != nil {
			return err
		}
		printChi2(g.stdout, res.Chi2)
		spectra = res.Spectra
	case "align":
		a := &alignCmd{}
		if err := json.Unmarshal(flags, a); err != nil {
			return fmt.Errorf("could not read the flags of the preparing run: %w", err)
		}
		a.File, a.Overwrite = c.File, c.Overwrite
		res, err := a.merge(g, prog, set)
		if err != nil {
			return err
		}
		spectra = len(res.Status)
	default:
		return fmt.Errorf("the preparing run of %s is of an unknown command %q", c.File, prep.Command)
	}
	prog.summary(spectra)
	return nil
}

// check finds the preparing run and the part files and checks them,
// reading only: every refusal leaves FILE untouched.
func (c *mergeCmd) check() (*mergeSet, error) {
	dir := c.PartsDir
	if dir == "" {
		dir = filepath.Dir(c.File)
	}
	if _, err := os.Stat(c.File); err != nil {
		return nil, fmt.Errorf("could not open %s: %w", c.File, unwrapPathErr(err))
	}
	step := c.Step
	if step == "" {
		found, _ := filepath.Glob(h5io.PreparePath(c.File, dir, "*"))
		var steps []string
		prefix := strings.TrimSuffix(filepath.Base(h5io.PreparePath(c.File, dir, "@")), "@.prepare.json")
		for _, p := range found {
			steps = append(steps, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), prefix), ".prepare.json"))
		}
		switch len(steps) {
		case 0:
			return nil, fmt.Errorf("no partitioned run of %s in %s: run align, fit or quant with --prepare and --part K/N first", c.File, dir)
		case 1:
			step = steps[0]
		default:
			return nil, usageError{fmt.Errorf("%s has partitioned runs of several steps (%s): give --step", c.File, strings.Join(steps, ", "))}
		}
	}
	pp := h5io.PreparePath(c.File, dir, step)
	prep, err := readPrepare(pp)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no preparing run of /entry/%s for %s (%s does not exist)", step, c.File, pp)
	}
	if err != nil {
		return nil, err
	}
	// The part files present, by name.
	pattern := strings.Replace(h5io.PartPath(c.File, dir, step, 1, 1), ".part1-of-1.nxs", ".part*-of-*.nxs", 1)
	found, _ := filepath.Glob(pattern)
	ns := map[int][]string{}
	head := strings.TrimSuffix(pattern, "*-of-*.nxs")
	for _, p := range found {
		var k, n int
		if _, err := fmt.Sscanf(strings.TrimPrefix(p, head), "%d-of-%d.nxs", &k, &n); err != nil || p != h5io.PartPath(c.File, dir, step, k, n) {
			continue
		}
		ns[n] = append(ns[n], p)
	}
	n := c.Parts
	if n == 0 {
		switch len(ns) {
		case 0:
			return nil, fmt.Errorf("no part files of /entry/%s of %s in %s (%s): run the parts with --part K/N", step, c.File, dir, filepath.Base(pattern))
		case 1:
			for k := range ns {
				n = k
			}
		default:
			var sizes []string
			for _, k := range slices.Sorted(maps.Keys(ns)) {
				sizes = append(sizes, strconv.Itoa(k))
			}
			return nil, usageError{fmt.Errorf("part files of runs of %s parts in %s: give --parts N", strings.Join(sizes, " and "), dir)}
		}
	}
	for _, p := range ns[n] {
		var k, nn int
		fmt.Sscanf(strings.TrimPrefix(p, head), "%d-of-%d.nxs", &k, &nn)
		if k < 1 || k > n {
			return nil, fmt.Errorf("%s: a %d-part run has no part %d", p, n, k)
		}
	}
	if n > prep.Tiles {
		return nil, fmt.Errorf("%d parts of a scan of %d tiles: at most %d parts", n, prep.Tiles, prep.Tiles)
	}
	set := &mergeSet{prep: prep, copy: c.Copy}
	var first map[string]any
	for k := 1; k <= n; k++ {
		path := h5io.PartPath(c.File, dir, step, k, n)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("part %d/%d is missing: %s does not exist", k, n, path)
		}
		ps, err := h5io.ReadPartStep(path, step)
		if err != nil {
			return nil, err
		}
		note := ps.Note
		switch {
		case note.K != k || note.N != n:
			return nil, fmt.Errorf("%s holds part %d/%d, not %d/%d: a duplicate of part %d", path, note.K, note.N, k, n, note.K)
		case note.Prepare != prep.ID:
			return nil, fmt.Errorf("%s was computed with another preparing run (another input, options or version) than %s", path, pp)
		case note.Version != version:
			return nil, fmt.Errorf("%s was computed by eelsh5 %s, this is %s", path, note.Version, version)
		}
		params := maps.Clone(ps.Params)
		delete(params, "part")
		if first == nil {
			first = params
		} else if d := paramsDifference(first, params); d != "" {
			return nil, fmt.Errorf("%s was run with other options than part 1: %s", path, d)
		}
		set.files = append(set.files, path)
		set.regions = append(set.regions, note.Regions)
		set.sums = append(set.sums, ps.Sums)
	}
	sum, err := h5io.FileSHA256(c.File)
	if err != nil {
		return nil, err
	}
	set.sum = sum
	if sum != prep.InputSHA256 {
		if !mergedBefore(c.File, step, prep.ID) {
			return nil, fmt.Errorf("%s has changed since the preparing run (%s): its parts were computed from other data", c.File, pp)
		}
		if !c.Overwrite {
			return nil, fmt.Errorf("%s already holds /entry/%s merged from these parts: give --overwrite to merge them again (e.g. with --copy)", c.File, step)
		}
		set.remerge = true
	}
	return set, nil
}

// mergedBefore reports whether step of file is the merge of the parts of
// the preparing run id: a later merge of them may replace it (FILE then
// differs from the preparing run's only by that merge, as far as the
// step's provenance tells).
func mergedBefore(file, step, id string) bool {
	f, err := h5io.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	p, err := f.ReadProvenance(step)
	if err != nil {
		return false
	}
	parts, _ := p.Params["parts"].(map[string]any)
	return parts != nil && parts["prepare"] == id
}

// paramsDifference names the provenance parameters that differ.
func paramsDifference(a, b map[string]any) string { return flagDifferences(a, b) }

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// openForMerge opens FILE, checked by mergeCmd.check, for writing and
// returns it with its SHA-256 (the provenance's input hash).
func openForMerge(file string, set *mergeSet) (*h5io.File, string, error) {
	f, err := openHDF5(file, true)
	if err != nil {
		return nil, "", err
	}
	if err := f.CheckVersion(); err != nil {
		f.Close()
		return nil, "", err
	}
	return f, set.sum, nil
}

// Flag values are recorded in a preparing run's file as their command-line
// text, which their UnmarshalText reads back.

func (p partSpec) MarshalText() ([]byte, error)    { return []byte(p.String()), nil }
func (p pixel) MarshalText() ([]byte, error)       { return []byte(p.String()), nil }
func (r energyRange) MarshalText() ([]byte, error) { return []byte(r.String()), nil }
func (r region) MarshalText() ([]byte, error)      { return []byte(r.String()), nil }
