package h5io

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// The errors a caller can act on are typed (errors.As) or match a sentinel
// (errors.Is), and their messages say what is wrong without naming any
// command-line flag or command.
func TestActionableErrors(t *testing.T) {
	noFlag := func(what string, err error) {
		t.Helper()
		if err != nil && (strings.Contains(err.Error(), "--") || strings.Contains(err.Error(), "eelsh5 import")) {
			t.Errorf("%s: %q names a command-line flag or command", what, err)
		}
	}
	f, path := newProcessingFile(t)
	prov := func(method string) *multispectrum.Provenance {
		return &multispectrum.Provenance{Program: "eelsh5 fit", Params: map[string]any{"method": method}, Created: testTime}
	}

	// Step exists.
	s, err := f.BeginStep("fit", prov("wls"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(""); err != nil {
		t.Fatal(err)
	}
	_, err = f.BeginStep("fit", prov("wls"), false)
	var se *StepExistsError
	if !errors.As(err, &se) || se.File != path || se.Path != "/entry/fit" || err.Error() != `h5io: "`+path+`" already has /entry/fit` {
		t.Errorf("step exists: %v", err)
	}
	noFlag("step exists", err)

	// An interrupted step (partial group with a checkpoint) resumed with
	// other parameters, then with a checkpoint of another size.
	s, err = f.BeginStep("q", prov("wls"), false)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := s.Checkpoint(4, 2)
	if err != nil {
		t.Fatal(err)
	}
	ck.Close()
	s.Abort() // keeps the partial step: it has a checkpoint
	_, err = f.ResumeStep("q", prov("poisson"), false)
	var re *ResumeError
	if !errors.Is(err, ErrResumeMismatch) || errors.Is(err, ErrResumeUnreadable) || !errors.As(err, &re) || re.Step != "q" ||
		err.Error() != `h5io: the interrupted q in "`+path+`" was started with other options: method "wls", now "poisson"` {
		t.Errorf("resume with other options: %v", err)
	}
	noFlag("resume mismatch", err)
	s, err = f.ResumeStep("q", prov("wls"), false)
	if err != nil || !s.Resumed {
		t.Fatalf("resume with the same options: %v", err)
	}
	_, err = s.Checkpoint(5, 2)
	if !errors.Is(err, ErrResumeUnreadable) || errors.Is(err, ErrResumeMismatch) || !strings.Contains(err.Error(), "checkpoint that does not match") {
		t.Errorf("checkpoint of another size: %v", err)
	}
	noFlag("checkpoint mismatch", err)
	f.Close()

	// Not a processing file: no file_format, or another one.
	bare := filepath.Join(t.TempDir(), "bare.h5")
	g, err := Create(bare)
	if err != nil {
		t.Fatal(err)
	}
	err = g.CheckVersion()
	g.Close()
	var np *NotProcessingFileError
	if !errors.As(err, &np) || np.HasFormat || err.Error() != `h5io: "`+bare+`" is not an eelsh5 processing file (no file_format attribute)` {
		t.Errorf("no file_format: %v", err)
	}
	noFlag("no file_format", err)
	hspy := copyTestFile(t, "../testdata/formats/hyperspy_eels_1d.hspy")
	g, err = Open(hspy)
	if err != nil {
		t.Fatal(err)
	}
	err = g.CheckVersion()
	g.Close()
	if !errors.As(err, &np) || !np.HasFormat || np.Format != "HyperSpy" || !strings.HasSuffix(err.Error(), `(file_format is "HyperSpy")`) {
		t.Errorf("HyperSpy file: %v", err)
	}
	noFlag("HyperSpy file", err)

	// A HyperSpy file with two signals, neither EELS.
	g, err = OpenWritable(hspy)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SetStringAttr("/Experiments/EELS Spectrum/metadata/Signal", "signal_type", "EDS_TEM"); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteFloats("/Experiments/other/data", []int{4}, []float64{1, 2, 3, 4}, ""); err != nil {
		t.Fatal(err)
	}
	g.Close()
	_, _, err = OpenSignal(hspy, SignalOptions{})
	var as *AmbiguousSignalError
	if !errors.Is(err, ErrAmbiguousSignal) || !errors.As(err, &as) || !slices.Equal(as.Signals, []string{"EELS Spectrum", "other"}) ||
		err.Error() != `h5io: "`+hspy+`" has no EELS signal among 2 signals (signals: EELS Spectrum, other)` {
		t.Errorf("two non-EELS signals: %v", err)
	}
	noFlag("ambiguous signal", err)
	// Chosen by title, the EDS signal is refused for what it is.
	if _, _, err = OpenSignal(hspy, SignalOptions{Title: "EELS Spectrum"}); err == nil || errors.Is(err, ErrAmbiguousSignal) || !strings.Contains(err.Error(), "not EELS") {
		t.Errorf("signal chosen by title: %v", err)
	}
}

func copyTestFile(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// A refused resume names each parameter that differs with both values,
// the shallowest first, down to the leaf of nested parameters.
func TestResumeMismatchNamesTheParameters(t *testing.T) {
	for _, test := range []struct {
		old, cur string // JSON, as the step parameters are stored
		want     string
	}{
		{`{"method": "wls", "terms": 4}`, `{"method": "poisson", "terms": 4}`, `method "wls", now "poisson"`},
		{`{"terms": 4}`, `{"terms": 6, "scale_errors": true}`, `scale_errors not set, now true; terms 4, now 6`},
		{`{"model_file": {"Fit": {"Method": "wls"}, "E0": 3e5}}`, `{"model_file": {"Fit": {"Method": "lsq"}, "E0": 3e5}}`,
			`model_file.Fit.Method "wls", now "lsq"`},
		{`{"elements": ["C", "N"]}`, `{"elements": ["C", "O"]}`, `elements[1] "N", now "O"`},
		{`{"elements": ["C", "N"]}`, `{"elements": ["C", "N", "O"]}`, `elements ["C","N"], now ["C","N","O"]`},
		{`{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}`, `{"a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 0}`,
			`a 1, now 0; b 2, now 0; c 3, now 0; d 4, now 0; and 2 more`},
		{`{"deep": {"x": 1}, "top": "a"}`, `{"deep": {"x": 2}, "top": "b"}`, `top "a", now "b"; deep.x 1, now 2`},
		{`{"model": "` + strings.Repeat("x", 60) + `"}`, `{"model": "y"}`, `model "` + strings.Repeat("x", 44) + `..., now "y"`},
	} {
		var old, cur map[string]any
		if err := json.Unmarshal([]byte(test.old), &old); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(test.cur), &cur); err != nil {
			t.Fatal(err)
		}
		if got := paramDifferences(old, cur); got != test.want {
			t.Errorf("paramDifferences(%s, %s)\n = %s\nwant %s", test.old, test.cur, got, test.want)
		}
	}
}
