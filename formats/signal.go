package formats

import (
	"bytes"
	"fmt"
	"io"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// RegionReader reads the spectra of a region of the scan, pixel-major
// (the layout of multispectrum.Array.ReadRegion).
type RegionReader interface {
	ReadRegion(dst []float64, r multispectrum.Region) error
}

// Signal is a spectrum, line scan or spectrum image read from a file:
// NY x NX spectra on an energy axis (a spectrum has NY = NX = 1, a line
// scan NY = 1).
type Signal struct {
	Title       string
	Format      string // e.g. "Gatan DM4", "EMSA/MSA"
	SignalType  string // "EELS", "EDS", "CL", ...
	NY, NX      int
	Axis        multispectrum.EnergyAxis
	EnergyUnits string
	Scan        multispectrum.ScanCalibration
	Instrument  multispectrum.Instrument
	DType       string         // element type in the source, e.g. "float32"
	Original    map[string]any // the source's metadata, JSON-encodable
	Warnings    []string
	Data        RegionReader
}

// Kind is a file format recognised from content.
type Kind string

const (
	Unknown Kind = ""
	DM3     Kind = "dm3"
	DM4     Kind = "dm4"
	MSA     Kind = "msa"
	HDF5    Kind = "hdf5" // .hspy, pyEELSMODEL, EMD or eelsh5: told apart by h5io
)

// Detect tells the format of a file from its first bytes (never from its
// name): DM3/DM4 by their version word, HDF5 by its signature, EMSA/MSA
// by a leading #FORMAT keyword.
func Detect(r io.ReaderAt) Kind {
	head := make([]byte, 512)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case len(head) >= 16 && bytes.Equal(head[:4], []byte{0, 0, 0, 3}):
		return DM3
	case len(head) >= 24 && bytes.Equal(head[:4], []byte{0, 0, 0, 4}):
		return DM4
	case bytes.HasPrefix(head, []byte("\x89HDF\r\n\x1a\n")):
		return HDF5
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(bytes.ToUpper(t), []byte("#FORMAT")) {
		return MSA
	}
	return Unknown
}

// Check validates a signal's shape and axis.
func (s *Signal) Check() error {
	if s.NY < 1 || s.NX < 1 {
		return fmt.Errorf("formats: empty scan %dx%d", s.NY, s.NX)
	}
	return s.Axis.Validate()
}
