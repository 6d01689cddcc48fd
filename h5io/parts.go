package h5io

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Children of a step written by one part of a partitioned run
// (doc/processing-file.md): which part it is, and for a fit or quant step
// the running sums over the part's pixels that the merge adds up.
const (
	PartNoteName = "part"
	PartSumsName = "part_sums"
)

// PartNote describes the part of a partitioned run that a part file's
// step holds, as stored in the step's "part" note. The merge checks it
// against the preparing run and the other parts.
type PartNote struct {
	K int `json:"k"`
	N int `json:"n"`
	// First and End are the part's tiles [First, End) of the run's
	// tiling (Tiling: scan and tile size), Regions their rectangles.
	First   int                    `json:"first_tile"`
	End     int                    `json:"end_tile"`
	Tiling  [4]int                 `json:"tiling"` // ny, nx, tile rows, tile columns
	Regions []multispectrum.Region `json:"regions"`
	// Input is the file the part read (as given), Prepare the preparing
	// run's identity (PrepareFile.ID) the part used: parts of one run
	// share both.
	Input   string `json:"input"`
	Prepare string `json:"prepare"`
	Version string `json:"version"`
}

// PartPath returns the file of part k of n of a step of the processing
// file file: FILE.STEP.partK-of-N.nxs beside it (without FILE's .nxs),
// or in dir when given.
func PartPath(file, dir, step string, k, n int) string {
	return filepath.Join(partDir(file, dir), fmt.Sprintf("%s.%s.part%d-of-%d.nxs", partStem(file), step, k, n))
}

// PreparePath returns the file a preparing run of a step writes
// (FILE.STEP.prepare.json), beside FILE or in dir when given.
func PreparePath(file, dir, step string) string {
	return filepath.Join(partDir(file, dir), fmt.Sprintf("%s.%s.prepare.json", partStem(file), step))
}

func partDir(file, dir string) string {
	if dir != "" {
		return dir
	}
	return filepath.Dir(file)
}

func partStem(file string) string {
	b := filepath.Base(file)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// CreatePartFile creates (or, when it exists, opens for writing, to
// resume) the part file at path, a processing file with the instrument of
// the input.
func CreatePartFile(path string, inst Instrument, title string, now time.Time) (*File, error) {
	if _, err := os.Stat(path); err == nil {
		f, err := OpenWritable(path)
		if err != nil {
			return nil, err
		}
		return f, f.CheckVersion()
	}
	f, err := Create(path)
	if err != nil {
		return nil, err
	}
	if err := f.InitProcessingFile(title, "eelsh5 (part of a partitioned run)", inst, now); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// writePart stores the part note (and the running sums, when given) in
// the step being written.
func writePart(s *Step, note *PartNote, sums []float64) error {
	if sums != nil {
		if err := s.f.WriteFloats(s.Path(PartSumsName), []int{len(sums)}, sums, ""); err != nil {
			return err
		}
	}
	return s.WriteJSON(PartNoteName, note)
}

// PartStep is the committed step of one part file, as a merge reads it.
type PartStep struct {
	File   string
	Note   PartNote
	Params map[string]any // the step's parameters (provenance)
	Sums   []float64      // nil for an alignment
}

// ErrPartUnfinished is wrapped by ReadPartStep for a part file whose step
// is not committed (the part is running, was killed, or failed).
var ErrPartUnfinished = errors.New("h5io: the part has not finished")

// ReadPartStep reads the part note, parameters and sums of step of the
// part file at path.
func ReadPartStep(path, step string) (*PartStep, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base := EntryPath + "/" + step
	if !f.Exists(base) {
		if f.Exists(EntryPath + "/" + partialPrefix + step + partialSuffix) {
			return nil, fmt.Errorf("%w: %s holds an unfinished %s (continue it with --resume)", ErrPartUnfinished, path, base)
		}
		return nil, fmt.Errorf("%w: %s has no %s", ErrPartUnfinished, path, base)
	}
	ps := &PartStep{File: path}
	if err := f.ReadNote(base+"/"+PartNoteName, &ps.Note); err != nil {
		return nil, fmt.Errorf("h5io: %s is not a part file of %s: %w", path, base, err)
	}
	if err := f.ReadNote(base+"/"+ProcParameters, &ps.Params); err != nil {
		return nil, fmt.Errorf("h5io: could not read the parameters of %s in %s: %w", base, path, err)
	}
	if p := base + "/" + PartSumsName; f.Exists(p) {
		if ps.Sums, _, err = f.ReadFloats(p); err != nil {
			return nil, err
		}
	}
	return ps, nil
}
