package main

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestUsageErrorsLeaveFileUnchanged runs align, fit and quant with every
// usage error and every bad element, edge, unit and window input of the
// README's bad-input table on a file that has no alignment yet (so that
// quant would align before it fits): each must fail with exit 2 (1 for a
// missing step or table) and leave the file byte-identical (SHA-256). It
// is the check of issue 13 that nothing is written before everything is
// validated: quant used to write /entry/alignment and only then find an
// unknown element.
func TestUsageErrorsLeaveFileUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "6", "-q"); code != 0 {
		t.Fatal(errs)
	}
	// The same scan without E0 in the metadata.
	f, _ := h5io.Open(path)
	core, _ := f.ReadCube(h5io.CoreLossPath)
	low, _ := f.ReadCube(h5io.LowLossPath)
	f.Close()
	noE0 := filepath.Join(dir, "noE0.nxs")
	makeFile(t, noE0, multispectrum.Instrument{BeamEnergy: math.NaN(), Convergence: 1e-9, Collection: 20e-3, DwellTime: math.NaN()}, core, low)
	t.Setenv("EELSH5_GOS_DIR", dir)
	t.Setenv("XDG_CONFIG_HOME", "/nonexistent/config")

	els := []string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}
	model := filepath.Join("..", "..", "testdata", "seed_model.toml")
	// Inputs shared by fit and quant.
	shared := []struct {
		what string
		args []string
		code int
		want string
	}{
		{"no model", nil, 2, "--elements"},
		{"elements and edges differ in number", []string{"--elements", "C,N,O", "--edges", "K,K"}, 2, "3 entries but --edges 2"},
		{"model file and elements", append([]string{"--model", model}, els...), 2, "either"},
		{"missing model file", []string{"--model", "nope.toml"}, 2, "nope.toml"},
		{"unknown element", []string{"--elements", "C,Xx", "--edges", "K,K"}, 2, `unknown element "Xx"`},
		{"unknown edge", []string{"--elements", "C", "--edges", "Q"}, 2, `unknown edge "Q"`},
		{"unknown method", append([]string{"--method", "magic"}, els...), 2, "--method"},
		{"background terms", append([]string{"--background-terms", "0"}, els...), 2, "--background-terms"},
		{"window not LO:HI", append([]string{"--window", "250-1200"}, els...), 2, "LO:HI"},
		{"empty window", append([]string{"--window", "900:300"}, els...), 2, "empty"},
		{"window outside the axis", append([]string{"--window", "5000:6000"}, els...), 2, "outside the axis"},
		{"edge outside the window", append([]string{"--window", "205:600"}, els...), 2, "lies outside the fit window"},
		{"empty exclusion", append([]string{"--exclude", "700:690"}, els...), 2, "empty"},
		{"E0 in kV", append([]string{"--E0", "300"}, els...), 2, "give it in volts"},
		{"beta in mrad", append([]string{"--beta", "20"}, els...), 2, "give it in radians"},
		{"alpha out of range", append([]string{"--alpha", "0.9"}, els...), 2, "convergence semi-angle"},
		{"negative E0", append([]string{"--E0", "-3e5"}, els...), 2, "E0"},
		{"bad step name", append([]string{"--step", "a/b"}, els...), 2, "plain name"},
		{"GOS table missing", append([]string{"--gos", "zhang"}, els...), 1, "not installed"},
		{"hydrogenic edge missing", []string{"--elements", "U", "--edges", "N"}, 1, "hydrogenic"},
		{"unknown flag", []string{"--colour", "red"}, 2, "unknown flag"},
	}
	type run struct {
		what, file string
		args       []string
		code       int
		want       string
	}
	var runs []run
	for _, cmd := range []string{"fit", "quant"} {
		for _, c := range shared {
			runs = append(runs, run{cmd + ": " + c.what, path, append([]string{cmd, path}, c.args...), c.code, c.want})
		}
		runs = append(runs, run{cmd + ": E0 unknown", noE0, append([]string{cmd, noE0}, els...), 2, "E0 is not known"})
	}
	runs = append(runs,
		run{"fit: missing input step", path, append([]string{"fit", path, "--input", "nothere"}, els...), 2, "no step"},
		run{"quant: bad region", path, append([]string{"quant", path, "--region", "corner"}, els...), 2, "NAME=Y0:Y1,X0:X1"},
		run{"quant: region outside the scan", path, append([]string{"quant", path, "--region", "r=0:99,0:4"}, els...), 2, "outside the 6x6 scan"},
		run{"quant: unknown align method", path, append([]string{"quant", path, "--align", "magic"}, els...), 2, "--align"},
	)
	for _, c := range []struct {
		what string
		args []string
		want string
	}{
		{"range not LO:HI", []string{"--range", "5:x"}, "LO:HI"},
		{"range outside the axis", []string{"--range", "2000:3000"}, "does not overlap"},
		{"reference outside the scan", []string{"--method", "xcorr", "--reference", "9,0"}, "outside the 6x6 scan"},
		{"reference not Y,X", []string{"--method", "xcorr", "--reference", "3"}, "Y,X"},
		{"core loss without xcorr", []string{"--on", "coreloss"}, "xcorr"},
		{"window zero", []string{"--window", "0"}, "positive"},
		{"unknown method", []string{"--method", "magic"}, "--method"},
		{"bad step name", []string{"--step", "x/y"}, "plain name"},
	} {
		runs = append(runs, run{"align: " + c.what, path, append([]string{"align", path}, c.args...), 2, c.want})
	}
	for _, r := range runs {
		before := fileSHA256(t, r.file)
		_, errs, code := eelsh5(t, append(r.args, "-q")...)
		if code != r.code || !strings.Contains(errs, r.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", r.what, code, errs, r.code, r.want)
		}
		if after := fileSHA256(t, r.file); after != before {
			t.Errorf("%s: the file changed (SHA-256 %s -> %s)", r.what, before[:12], after[:12])
		}
	}
	// And the same file does align, fit and quantify.
	if _, errs, code := eelsh5(t, append([]string{"quant", path, "-q"}, els...)...); code != 0 {
		t.Errorf("quant: %s", errs)
	}
}

// TestJobsBoundsCores: -j N runs with at most N cores (GOMAXPROCS) and
// gives them back when the command ends; a negative -j is refused.
func TestJobsBoundsCores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.nxs")
	before := runtime.GOMAXPROCS(0)
	during := 0
	runHook = func() { during = runtime.GOMAXPROCS(0) }
	defer func() { runHook = nil }()
	if _, errs, code := eelsh5(t, "-j", "1", "simulate", path, "--size", "4", "-q"); code != 0 {
		t.Fatal(errs)
	}
	if during != 1 {
		t.Errorf("GOMAXPROCS %d while the command ran with -j 1", during)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS %d after -j 1, %d before", got, before)
	}
	_, errs, code := eelsh5(t, "--jobs=-2", "info", path)
	if code != 2 || !strings.Contains(errs, "--jobs -2") {
		t.Errorf("-j -2: exit %d, %q", code, errs)
	}
}
