package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/quant"
)

func TestQuantCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "16", "-q"); code != 0 {
		t.Fatal(errs)
	}
	figs := filepath.Join(dir, "figs")
	out, errs, code := eelsh5(t, "quant", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--region", "corner=0:4,0:4", "--plots", figs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"whole map", "corner", "truth C=1 N=2", "ratio(mean)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "measuring shifts") || !strings.Contains(errs, "eelsh5 quant: 256 spectra in") {
		t.Errorf("stderr: %s", errs)
	}
	for _, fig := range []string{"elements.png", "composition.png", "composition_errors.png", "spectrum.png", "shifts.png"} {
		if st, err := os.Stat(filepath.Join(figs, fig)); err != nil || st.Size() < 1000 {
			t.Errorf("figure %s: %v", fig, err)
		}
	}
	f, _ := h5io.Open(path)
	comp, names, err := f.ReadStack("/entry/quant/composition/composition")
	if err != nil {
		t.Fatal(err)
	}
	units, _ := f.AttrString("/entry/quant/elements/elements", "units")
	var s quant.Summary
	f.ReadNote("/entry/quant/summary", &s)
	f.Close()
	if units != "atoms/nm^2" || len(names) != 4 || names[0] != "C K" {
		t.Errorf("units %q names %v", units, names)
	}
	for p := 0; p < 256; p++ {
		sum := 0.0
		for e := 0; e < 4; e++ {
			sum += comp.Data[p*4+e]
		}
		if math.Abs(sum-100) > 1e-9 {
			t.Fatalf("pixel %d: composition sums to %v", p, sum)
		}
	}
	b, _ := json.Marshal(s)
	if len(s.Regions) < 3 || !strings.Contains(string(b), `"corner"`) {
		t.Errorf("summary %s", b)
	}
	// plot redraws a step; bad input fails cleanly.
	if out, errs, code := eelsh5(t, "plot", path, "quant", "-o", filepath.Join(dir, "p2")); code != 0 || !strings.Contains(out, "spectrum.png") {
		t.Errorf("plot: %d %s %s", code, out, errs)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--elements", "C"}, 2, "entries"},
		{[]string{}, 2, "--elements"},
		{[]string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--region", "bad"}, 2, "NAME=Y0:Y1,X0:X1"},
		{[]string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--region", "r=0:99,0:4", "--step", "q2"}, 2, "outside"},
		{[]string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}, 1, "--overwrite"},
	} {
		_, errs, code := eelsh5(t, append([]string{"quant", path, "-q"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}

// TestQuantSrTiO3FineStructure quantifies the SrTiO3 fixture (one
// spectrum, Ti L and O K, 300 kV, alpha 0.9 mrad, beta 2.675 mrad; Ti/O
// = 1/3) without and with fine structure (issue 14). Without it the
// hydrogenic edges cannot follow the white lines and the O K near-edge
// structure: reduced chi-square 161 and the warning line; the fine
// structure brings it to about 1, and Ti/O to the stoichiometry.
func TestQuantSrTiO3FineStructure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "srtio3.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"hl.msa", "--lowloss", fixtures+"ll.msa", "-o", path, "-q",
		"--E0", "300e3", "--alpha", "0.9e-3", "--beta", "2.675e-3"); code != 0 {
		t.Fatal(errs)
	}
	ratio := func(step string) (r, sd, chi2 float64) {
		t.Helper()
		f, err := h5io.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		coef, names, err := f.ReadStack("/entry/" + step + "/coefficients/coefficients")
		if err != nil {
			t.Fatal(err)
		}
		cov, _, err := f.ReadStack("/entry/" + step + "/covariance/covariance")
		if err != nil {
			t.Fatal(err)
		}
		var s quant.Summary
		if err := f.ReadNote("/entry/"+step+"/summary", &s); err != nil || s.Chi2 == nil {
			t.Fatalf("summary: %v %+v", err, s)
		}
		i, j := -1, -1
		for k, n := range names {
			switch n {
			case "Ti L.A":
				i = k
			case "O K.A":
				j = k
			}
		}
		p := len(names)
		c := coef.Data
		r, sd = quant.Ratio(c[i], c[j], quant.Triangle(cov.Data, p, i, i), quant.Triangle(cov.Data, p, j, j), quant.Triangle(cov.Data, p, i, j))
		return r, sd, s.Chi2.Median
	}
	base := []string{"quant", path, "--elements", "Ti,O", "--edges", "L,K", "--align", "none", "-q"}
	out, errs, code := eelsh5(t, append(base, "--step", "plain")...)
	if code != 0 {
		t.Fatal(errs)
	}
	r, sd, chi2 := ratio("plain")
	t.Logf("plain: Ti/O %.4f +- %.4f, reduced chi-square %.4g\n%s", r, sd, chi2, out)
	if !(chi2 > 100) || !strings.Contains(out, "warning: the model does not describe the data: reduced chi-square above 2 in 100% of the pixels") {
		t.Errorf("plain fit: chi-square %g, output:\n%s", chi2, out)
	}
	for _, want := range []string{"Ti L at.% +- err (spread)", "+- err: rms of the per-pixel uncertainties (propagated from the CRLB", "reduced chi-square: median 161"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, errs, code = eelsh5(t, append(base, "--step", "fine", "--fine-structure", "all")...)
	if code != 0 {
		t.Fatal(errs)
	}
	rf, sdf, chi2f := ratio("fine")
	t.Logf("fine structure: Ti/O %.4f +- %.4f, reduced chi-square %.4g\n%s", rf, sdf, chi2f, out)
	if !(chi2f < 2) || strings.Contains(out, "warning") {
		t.Errorf("fine structure: chi-square %g, output:\n%s", chi2f, out)
	}
	if math.Abs(rf-1.0/3) > 0.02 || !(sdf > sd) {
		t.Errorf("fine structure: Ti/O %g +- %g (plain %g +- %g), truth 1/3", rf, sdf, r, sd)
	}
	// Scaled errors: sqrt(161) times wider, recorded in the summary.
	out, errs, code = eelsh5(t, append(base, "--step", "scaled", "--scale-errors")...)
	if code != 0 {
		t.Fatal(errs)
	}
	rs, sds, _ := ratio("scaled")
	if rs != r || math.Abs(sds/sd-math.Sqrt(chi2)) > 1e-6*sds/sd || !strings.Contains(out, "scaled by sqrt(reduced chi-square)") {
		t.Errorf("scaled: Ti/O %g +- %g, unscaled %g +- %g, chi-square %g:\n%s", rs, sds, r, sd, chi2, out)
	}
	// Per element, with the reference's fine_intervals, and Bethe-constrained.
	for _, args := range [][]string{{"--fine-structure", "Ti=50,O=50", "--fine-structure-pre", "0", "--fine-structure-points", "29"}, {"--fine-structure", "all", "--fine-structure-bethe"}} {
		step := "fs" + strconv.Itoa(len(args))
		if _, errs, code := eelsh5(t, append(append(base, "--step", step), args...)...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
		r, sd, c := ratio(step)
		t.Logf("%v: Ti/O %.4f +- %.4f, reduced chi-square %.4g", args, r, sd, c)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--fine-structure", "Xx"}, "is not an element"},
		{[]string{"--fine-structure", "Fe"}, "no edge of that element"},
		{[]string{"--fine-structure", "Ti=-4"}, "positive number of eV"},
		{[]string{"--fine-structure", "all,Ti"}, "stands alone"},
		{[]string{"--fine-structure", "all", "--fine-structure-points", "0"}, "at least 1"},
		{[]string{"--fine-structure", "all", "--fine-structure-pre", "200"}, "is not on the axis"},
		{[]string{"--fine-structure", "all", "--fine-structure-points", "400"}, "closer than the channels"},
	} {
		_, errs, code := eelsh5(t, append(append(base, "--step", "bad"), c.args...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}
