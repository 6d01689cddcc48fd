package multispectrum

import (
	"maps"
	"slices"
	"time"
)

// Provenance records how a processing step was produced. It is written
// with every step by h5io, from one place.
type Provenance struct {
	Program     string         // "eelsh5 <command>"
	Version     string         // program version
	Step        string         // step name, e.g. "fit"
	CommandLine []string       // full argv
	Params      map[string]any // the exact options of the step (JSON-encodable)
	Inputs      []Input        // files and datasets read
	Created     time.Time      // UTC time the step was started
}

// Input names one input file of a step.
type Input struct {
	File     string   // path as given
	SHA256   string   // hex digest of the file content when the step started ("" if not computed)
	Datasets []string // dataset or group paths read from it
}

// SortedParamKeys returns the parameter names in sorted order, so that
// serialised provenance is deterministic.
func (p *Provenance) SortedParamKeys() []string {
	return slices.Sorted(maps.Keys(p.Params))
}
