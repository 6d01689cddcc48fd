package gos

import (
	"fmt"
	"os"
	"path/filepath"
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

// SourceNames are the values of the --gos flag.
var SourceNames = []string{"hydrogenic", "kohl", "zhang"}

// LookupSource returns the description of a tabulated source.
func LookupSource(name string) (SourceInfo, bool) {
	for _, s := range Sources {
		if s.Name == name {
			return s, true
		}
	}
	return SourceInfo{}, false
}

// SearchDirs returns the directories searched for GOS files, in order:
// $EELSH5_GOS_DIR, then <user config dir>/eelsh5/gos (e.g.
// ~/.config/eelsh5/gos).
func SearchDirs() []string {
	var dirs []string
	if d := os.Getenv("EELSH5_GOS_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if c, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(c, "eelsh5", "gos"))
	}
	return dirs
}

// Locate returns the path of the GOS file of source name: explicit when
// given (it must exist), else the first accepted file name found in
// SearchDirs. The error names the file, its DOI and where to put it.
func Locate(name, explicit string) (string, error) {
	info, ok := LookupSource(name)
	if !ok {
		return "", fmt.Errorf("gos: unknown GOS source %q (use %s)", name, strings.Join(SourceNames, ", "))
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("gos: GOS file %q for source %s not found", explicit, name)
		}
		return explicit, nil
	}
	dirs := SearchDirs()
	for _, d := range dirs {
		for _, f := range info.Files {
			p := filepath.Join(d, f)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	where := "set EELSH5_GOS_DIR"
	if len(dirs) > 0 {
		where = fmt.Sprintf("put it in %s (or set EELSH5_GOS_DIR, or pass --gos-file)", dirs[len(dirs)-1])
	}
	return "", fmt.Errorf("gos: the %s GOS table %s is not installed: download it from doi:%s and %s; or use --gos hydrogenic, which needs no file",
		name, info.Files[0], info.DOI, where)
}
