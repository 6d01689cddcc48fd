package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
)

func TestFitCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "8", "-q"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := eelsh5(t, "align", path, "-q"); code != 0 {
		t.Fatal(errs)
	}
	model := filepath.Join("..", "..", "testdata", "seed_model.toml")
	_, errs, code := eelsh5(t, "fit", path, "--model", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "from /entry/alignment") || !strings.Contains(errs, "eelsh5 fit: 64 spectra in") {
		t.Errorf("stderr: %s", errs)
	}
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	coef, names, err := f.ReadStack("/entry/fit/coefficients/coefficients")
	if err != nil {
		t.Fatal(err)
	}
	errsMap, _, _ := f.ReadStack("/entry/fit/coefficients/coefficients_errors")
	crlb, _, _ := f.ReadStack("/entry/fit/crlb/crlb")
	status, _ := f.ReadMap("/entry/fit/status/status")
	model2, err := f.ReadCube("/entry/fit/model")
	if err != nil {
		t.Fatal(err)
	}
	core, _ := f.ReadCube("/entry/alignment/coreloss")
	prov, _ := f.ReadProvenance("fit")
	f.Close()
	if len(names) != 8 || names[4] != "C K.A" || names[7] != "Fe L.A" {
		t.Errorf("names %v", names)
	}
	for p := 0; p < 64; p++ {
		if status.Data[p] != 0 {
			t.Errorf("pixel %d status %v", p, status.Data[p])
		}
		// C = 1 everywhere in the seed scenario: the fitted amplitude is
		// within 5 standard errors of it.
		c, e := coef.Data[p*8+4], errsMap.Data[p*8+4]
		if math.Abs(c-1) > 5*e || math.Abs(e-math.Sqrt(crlb.Data[p*8+4])) > 1e-12 {
			t.Errorf("pixel %d: C = %v +- %v", p, c, e)
		}
	}
	// The model cube follows the data: mean counts agree to 1%.
	var sm, sd float64
	for i := range core.Data {
		sm += model2.Data[i]
		sd += core.Data[i]
	}
	if math.Abs(sm/sd-1) > 0.01 {
		t.Errorf("model total %v vs data %v", sm, sd)
	}
	if prov.Params["input"] != "/entry/alignment" || prov.Params["method"] != "wls" || len(prov.Inputs) != 1 || len(prov.Inputs[0].SHA256) != 64 {
		t.Errorf("provenance %+v", prov)
	}
	// From flags, Poisson ML, a window and an exclusion, into another step.
	_, errs, code = eelsh5(t, "fit", path, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--method", "poisson",
		"--window", "250:1200", "--exclude", "690:700", "--step", "fitml")
	if code != 0 {
		t.Fatalf("poisson: %s", errs)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", model}, 1, "--overwrite"},
		{[]string{"--step", "x"}, 2, "give a model"},
		{[]string{"--step", "x", "--model", model, "--elements", "C", "--edges", "K"}, 2, "either"},
		{[]string{"--step", "x", "--elements", "C,N", "--edges", "K"}, 2, "entries"},
		{[]string{"--step", "x", "--elements", "Xx", "--edges", "K"}, 2, "unknown element"},
		{[]string{"--step", "x", "--model", model, "--window", "5000:6000"}, 2, "outside the axis"},
		{[]string{"--step", "x", "--model", model, "--E0", "300"}, 2, "volts"},
		{[]string{"--step", "x", "--model", model, "--input", "nothere"}, 2, "no step"},
		{[]string{"--step", "x", "--model", model, "--gos", "zhang", "--gos-file", "/nonexistent.gosh"}, 1, "not found"},
	} {
		_, errs, code := eelsh5(t, append([]string{"fit", path, "-q"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}

// fit prints the reduced chi-square line and the misfit warning as quant
// does: the SrTiO3 fixture without fine structure has a reduced
// chi-square of 161 over the whole axis, the window quant chooses here
// (README, fine-structure table: 4 background terms), with it 0.93.
func TestFitPrintsChiSquare(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "srtio3.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"hl.msa", "--lowloss", fixtures+"ll.msa", "-o", path, "-q",
		"--E0", "300e3", "--alpha", "0.9e-3", "--beta", "2.675e-3"); code != 0 {
		t.Fatal(errs)
	}
	args := []string{path, "--elements", "Ti,O", "--edges", "L,K", "--background-terms", "4", "-q"}
	quantOut, errs, code := eelsh5(t, append([]string{"quant", "--align", "none"}, args...)...)
	if code != 0 {
		t.Fatal(errs)
	}
	fitOut, errs, code := eelsh5(t, append([]string{"fit"}, args...)...)
	if code != 0 {
		t.Fatal(errs)
	}
	chi2Lines := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "reduced chi-square:") || strings.HasPrefix(l, "warning:") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	want := "reduced chi-square: median 161.5, mean 161.5 over 1 pixels; 100.0% of the pixels above 2\n" +
		"warning: the model does not describe the data: reduced chi-square above 2 in 100% of the pixels (median 161); " +
		"the uncertainties (CRLB) are too small: add fine structure or background terms, or scale the uncertainties by sqrt(reduced chi-square) (--scale-errors)"
	if got := chi2Lines(fitOut); got != want || chi2Lines(quantOut) != want {
		t.Errorf("fit prints\n%s\nquant prints\n%s\nwant both\n%s", fitOut, chi2Lines(quantOut), want)
	}
	fitOut, errs, code = eelsh5(t, append([]string{"fit", "--step", "fine", "--fine-structure", "all"}, args...)...)
	if code != 0 || !strings.HasPrefix(fitOut, "reduced chi-square: median 0.9321,") || strings.Contains(fitOut, "warning") {
		t.Errorf("fit with fine structure: exit %d, stdout %q, stderr %q", code, fitOut, errs)
	}
}
