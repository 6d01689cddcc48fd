package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// newOutputFile creates the temporary file a command writes a new
// processing file into; commit renames it over path, so that path never
// holds a half-written file and an existing one is replaced only by a
// complete new one.
type newOutputFile struct {
	path, tmp string
	f         *h5io.File
}

func createOutput(path string, overwrite bool) (*newOutputFile, error) {
	if path == "" || strings.HasSuffix(path, "/") {
		return nil, usageError{fmt.Errorf("output file name %q is empty or a directory", path)}
	}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("output %q is a directory", path)
		}
		if !overwrite {
			return nil, fmt.Errorf("output %q exists (use --overwrite to replace it)", path)
		}
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".partial")
	os.Remove(tmp) // a leftover of an interrupted run
	f, err := h5io.Create(tmp)
	if err != nil {
		return nil, err
	}
	return &newOutputFile{path: path, tmp: tmp, f: f}, nil
}

// commit closes the file and moves it into place.
func (o *newOutputFile) commit() error {
	if err := o.f.Close(); err != nil {
		os.Remove(o.tmp)
		return err
	}
	if err := os.Rename(o.tmp, o.path); err != nil {
		os.Remove(o.tmp)
		return fmt.Errorf("could not move %q to %q: %w", o.tmp, o.path, err)
	}
	return nil
}

// abort closes and removes the temporary file.
func (o *newOutputFile) abort() {
	o.f.Close()
	os.Remove(o.tmp)
}

// provenance returns the provenance record of a command.
func (g *Globals) provenance(command string, params map[string]any, inputs ...multispectrum.Input) *multispectrum.Provenance {
	return &multispectrum.Provenance{Program: "eelsh5 " + command, Version: version, Step: command,
		CommandLine: g.args, Params: params, Inputs: inputs, Created: g.now()}
}

// splitDatasetRef splits FILE:DATASET at its last colon.
func splitDatasetRef(ref string) (file, dataset string, err error) {
	i := strings.LastIndex(ref, ":")
	if i <= 0 || i == len(ref)-1 || !strings.HasPrefix(ref[i+1:], "/") {
		return "", "", usageError{errors.New("expected FILE:/path/to/dataset, got " + fmt.Sprintf("%q", ref))}
	}
	return ref[:i], ref[i+1:], nil
}

// writeFile writes through fn into path, removing the file on failure.
func writeFile(path string, fn func(w io.Writer) (int64, error)) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("could not create %q: %w", path, err)
	}
	if _, err := fn(f); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("could not write %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("could not write %q: %w", path, err)
	}
	return nil
}

// num formats a measured or calibrated number for a message: 7
// significant digits, the precision of the float32 most instruments store
// calibrations in, so that a float32 0.18 read as 0.18000000715255737
// prints as 0.18 and an axis end 265.8 + 63 x 0.18 as 277.14, not with the
// rounding noise of the arithmetic. Integers print whole up to 1e21
// (300000, not 3e+05).
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 7, 64)
}

// axisText describes an energy axis: channels, first energy and
// dispersion, formatted by num.
func axisText(a multispectrum.EnergyAxis) string {
	return fmt.Sprintf("%d channels from %s eV, %s eV/channel", a.Size, num(a.Offset), num(a.Dispersion))
}
