package gos

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SourceInfo describes a GOS database users install themselves.
type SourceInfo struct {
	Name  string // "kohl" or "zhang"
	Kind  DatabaseKind
	Files []string // accepted file names, preferred first; a directory name for the per-element layout
	DOI   string
	Title string
}

// Sources lists the tabulated GOS databases eelsh5 reads (doc/formats.md 1.1).
var Sources = []SourceInfo{
	{Name: "kohl", Kind: DFT, Files: []string{"Segger_Guzzinati_Kohl_1.5.0.gosh", "Segger_Guzzinati_Kohl_1.0.0.gos"},
		DOI: "10.5281/zenodo.7645765", Title: "Segger, Guzzinati and Kohl DFT GOS (GOSH 1.5)"},
	{Name: "zhang", Kind: Dirac, Files: []string{"Dirac_GOS.gosh", "Dirac_GOS_compact.gosh", "zhang"},
		DOI: "10.5281/zenodo.11199911", Title: "Zhang relativistic Dirac GOS"},
}

// SourceNames are the names of the GOS sources: the built-in hydrogenic
// model, the built-in Hartree-Slater calculation (HS), then the tabulated
// Sources.
var SourceNames = []string{"hydrogenic", "hs", "kohl", "zhang"}

// LookupSource returns the description of a tabulated source.
func LookupSource(name string) (SourceInfo, bool) {
	for _, s := range Sources {
		if s.Name == name {
			return s, true
		}
	}
	return SourceInfo{}, false
}

// Locator finds the installed file of a tabulated GOS source. Where to
// look is the caller's choice (the command line builds it from its flags,
// environment and configuration directory); the package reads no
// environment. The zero Locator searches nowhere, so every tabulated
// source is reported not installed (a *NotInstalledError).
type Locator struct {
	// File, when not empty, is the table file (or per-element directory)
	// to use; it must exist.
	File string
	// Dirs are searched in order for the source's accepted file names.
	Dirs []string
}

// Locate returns the path of the GOS file of source name: l.File when
// given, else the first accepted file name (SourceInfo.Files, preferred
// first) found in the first of l.Dirs that has one. A missing file is a
// *NotInstalledError naming the file, its DOI and the directories searched.
func (l Locator) Locate(name string) (string, error) {
	info, ok := LookupSource(name)
	if !ok {
		return "", fmt.Errorf("gos: unknown GOS source %q (use %s)", name, strings.Join(SourceNames, ", "))
	}
	if l.File != "" {
		if _, err := os.Stat(l.File); err != nil {
			return "", fmt.Errorf("gos: GOS file %q for source %s not found", l.File, name)
		}
		return l.File, nil
	}
	for _, d := range l.Dirs {
		for _, f := range info.Files {
			p := filepath.Join(d, f)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", &NotInstalledError{Source: name, File: info.Files[0], DOI: info.DOI, Dirs: slices.Clone(l.Dirs)}
}

// ErrNotInstalled is matched (errors.Is) by a *NotInstalledError.
var ErrNotInstalled = errors.New("gos: GOS table not installed")

// NotInstalledError reports that the table of a tabulated source is in
// none of the directories searched.
type NotInstalledError struct {
	Source string   // "kohl" or "zhang"
	File   string   // the preferred file name
	DOI    string   // where to download it
	Dirs   []string // the directories searched, in order
}

// Error says what is missing and where it comes from; with directories,
// it suggests the last one searched (the most general, e.g. a per-user
// directory) as the place to put the file.
func (e *NotInstalledError) Error() string {
	msg := fmt.Sprintf("gos: the %s GOS table %s is not installed: download it from doi:%s", e.Source, e.File, e.DOI)
	if len(e.Dirs) > 0 {
		msg += " and put it in " + e.Dirs[len(e.Dirs)-1]
	}
	return msg
}

func (e *NotInstalledError) Is(target error) bool { return target == ErrNotInstalled }
