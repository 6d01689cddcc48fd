package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/formats/dm"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/quant"
)

// withHint adds to an error of the library packages the command-line
// advice for it: which flag, environment variable or command helps. The
// libraries say what is wrong in their own terms (typed or sentinel
// errors) and know no flags; the advice is the command's policy, given
// here only. A usage error stays one (with the advice on the error it
// wraps). Errors without advice are returned unchanged.
func withHint(err error) error {
	var ue usageError
	if errors.As(err, &ue) {
		if h := hint(ue.error); h != "" {
			return usageError{&hintedError{err: ue.error, hint: h}}
		}
		return err
	}
	if h := hint(err); h != "" {
		return &hintedError{err: err, hint: h}
	}
	return err
}

// hint returns the advice for err, "" if there is none. It starts with the
// separator that fits the end of the error's message.
func hint(err error) string {
	var (
		stepExists *h5io.StepExistsError
		notProc    *h5io.NotProcessingFileError
		notInst    *gos.NotInstalledError
		source     *sourceFileError
	)
	switch {
	case errors.As(err, &stepExists):
		return " (use --overwrite to replace it, or --step NAME to keep both)"
	case errors.Is(err, h5io.ErrResumeMismatch):
		return "; run it with the same options, or without --resume to start again"
	case errors.Is(err, h5io.ErrResumeUnreadable):
		return "; run without --resume to start again"
	case errors.Is(err, h5io.ErrAmbiguousSignal):
		return "; choose one with --signal (--lowloss-signal for the low loss)"
	case errors.Is(err, dm.ErrAmbiguousImage):
		return "; choose one with --image (--lowloss-image for the low loss)"
	case errors.Is(err, dm.ErrUncalibrated):
		return ": give the calibration with --energy OFFSET:DISPERSION if it is EELS"
	case errors.As(err, &notInst):
		if len(notInst.Dirs) == 0 {
			return " and set EELSH5_GOS_DIR or pass --gos-file; or use --gos hydrogenic, which needs no file"
		}
		return " (or set EELSH5_GOS_DIR, or pass --gos-file); or use --gos hydrogenic, which needs no file"
	case errors.Is(err, gos.ErrEdgeNotInModel):
		return "; use a tabulated GOS (--gos kohl or zhang)"
	case errors.As(err, &source):
		return fmt.Sprintf(" but %s file: make a processing file from it with %s", sourceKinds[source.Kind], importCommand(source.File))
	case errors.As(err, &notProc):
		if !notProc.HasFormat {
			return "; if it holds EELS data (pyEELSMODEL), make a processing file from it with " + importCommand(notProc.File)
		}
		if notProc.Format == "HyperSpy" {
			return "; make a processing file from it with " + importCommand(notProc.File)
		}
	}
	return ""
}

// sourceFileError reports that a file given where an HDF5 file is needed
// is an instrument or exchange file that eelsh5 import reads.
type sourceFileError struct {
	File string
	Kind formats.Kind
	Err  error // h5io's: not an HDF5 file
}

func (e *sourceFileError) Error() string { return e.Err.Error() }

func (e *sourceFileError) Unwrap() error { return e.Err }

// sourceKinds names the formats of a sourceFileError.
var sourceKinds = map[formats.Kind]string{formats.DM3: "a Gatan DM3", formats.DM4: "a Gatan DM4", formats.MSA: "an EMSA/MSA"}

// importCommand is the command line that makes a processing file from
// source, beside it with the extension .nxs; paths below the working
// directory are given relative to it.
func importCommand(source string) string {
	if wd, err := os.Getwd(); err == nil && filepath.IsAbs(source) {
		if rel, err := filepath.Rel(wd, source); err == nil && !strings.HasPrefix(rel, "..") {
			source = rel
		}
	}
	out := strings.TrimSuffix(source, filepath.Ext(source)) + ".nxs"
	return fmt.Sprintf("'eelsh5 import %s -o %s' (--lowloss LOWLOSS for its low loss)", shellQuote(source), shellQuote(out))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+./:@%=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// withPrecision restates the energies in the library's window errors
// (fit window, edge outside it) at the precision of their storage (num):
// an axis read from float32 calibrations ends at 277.14 eV, not at
// 277.1400077. Other errors are returned unchanged; a usage error stays
// one. errors.Is and errors.As see the original error.
func withPrecision(err error) error {
	var ue usageError
	if errors.As(err, &ue) {
		if r := withPrecision(ue.error); r != ue.error {
			return usageError{r}
		}
		return err
	}
	s := err.Error()
	var edge *quant.EdgeOutsideError
	if errors.As(err, &edge) {
		s = strings.Replace(s, edge.Error(), fmt.Sprintf("quant: the %s edge (onset %s eV) lies outside the fit window %s..%s eV",
			edge.Edge, num(edge.Onset), num(edge.Lo), num(edge.Hi)), 1)
	}
	var win *quant.WindowError
	if errors.As(err, &win) {
		s = strings.Replace(s, win.Error(), fmt.Sprintf("quant: fit window %s:%s eV is empty or outside the axis %s..%s eV",
			num(win.Lo), num(win.Hi), num(win.Axis.Offset), num(win.Axis.Last())), 1)
	}
	if s == err.Error() {
		return err
	}
	return &restatedError{msg: s, err: err}
}

// restatedError is an error with its message restated.
type restatedError struct {
	msg string
	err error
}

func (e *restatedError) Error() string { return e.msg }

func (e *restatedError) Unwrap() error { return e.err }

// hintedError is an error with advice appended to its message; errors.Is
// and errors.As see the original error.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return fmt.Sprintf("%v%s", e.err, e.hint) }

func (e *hintedError) Unwrap() error { return e.err }
