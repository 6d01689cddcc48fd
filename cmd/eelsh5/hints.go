package main

import (
	"errors"
	"fmt"

	"github.com/eelsh5/eelsh5/formats/dm"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
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
	case errors.As(err, &notProc):
		if !notProc.HasFormat {
			return "; use 'eelsh5 import' for other files"
		}
		if notProc.Format == "HyperSpy" {
			return "; use 'eelsh5 import' to make one from it"
		}
	}
	return ""
}

// hintedError is an error with advice appended to its message; errors.Is
// and errors.As see the original error.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return fmt.Sprintf("%v%s", e.err, e.hint) }

func (e *hintedError) Unwrap() error { return e.err }
