package main

import (
	"context"
	"encoding/json"
	"fmt"
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
	// The README's table: the defaults choose 6 background terms here
	// and give Ti/O 0.297 with fine structure; the other rows take the
	// reference's 4.
	out, errs, code := eelsh5(t, "quant", path, "--elements", "Ti,O", "--edges", "L,K", "--align", "none", "-q", "--step", "auto", "--fine-structure", "all")
	if code != 0 {
		t.Fatal(errs)
	}
	if ra, _, ca := ratio("auto"); math.Abs(ra-0.297) > 0.0005 || math.Abs(ca-0.85) > 0.005 {
		t.Errorf("defaults with fine structure: Ti/O %.4f, reduced chi-square %.4g; the README states 0.297 and 0.85", ra, ca)
	}
	base := []string{"quant", path, "--elements", "Ti,O", "--edges", "L,K", "--align", "none", "--background-terms", "4", "-q"}
	out, errs, code = eelsh5(t, append(base, "--step", "plain")...)
	if code != 0 {
		t.Fatal(errs)
	}
	r, sd, chi2 := ratio("plain")
	t.Logf("plain: Ti/O %.4f +- %.4f, reduced chi-square %.4g\n%s", r, sd, chi2, out)
	if !(chi2 > 100) || !strings.Contains(out, "warning: the model does not describe the data: reduced chi-square above 2 in 100% of the pixels") {
		t.Errorf("plain fit: chi-square %g, output:\n%s", chi2, out)
	}
	for _, want := range []string{"Ti L at.% +- err (spread)", "+- err: 1-sigma uncertainty (rms over the region's pixels) from the fit's CRLB (Cramer-Rao lower bound)", "reduced chi-square: median 161"} {
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

// cancelOn is a stderr that cancels a command's context once a line
// containing marker is written, as Ctrl-C at that moment would.
type cancelOn struct {
	buf    strings.Builder
	marker string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(b []byte) (int, error) {
	c.buf.Write(b)
	if strings.Contains(c.buf.String(), c.marker) {
		c.cancel()
	}
	return len(b), nil
}

// An interrupted quant says what it committed (the alignment) and what
// it did not; progress and messages name the stage (align, fit). Resuming
// with another option is refused with the option and both values named.
func TestQuantInterruptedAfterAlignment(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "32", "-q"); code != 0 {
		t.Fatal(errs)
	}
	args := []string{"quant", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "-j", "1"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOn{marker: "align: wrote step /entry/alignment", cancel: cancel}
	var stdout strings.Builder
	if code := runContext(ctx, args, &stdout, stderr); code != 1 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.buf.String())
	}
	errs := stderr.buf.String()
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if want := "eelsh5: interrupted; committed before the interruption: step /entry/alignment of " + path + "; nothing after it"; lines[len(lines)-1] != want {
		t.Errorf("last line\n %q\nwant\n %q", lines[len(lines)-1], want)
	}
	for _, want := range []string{"eelsh5 quant: align: measuring shifts on /entry/lowloss (fast)\n", "eelsh5 quant: align: 100% (",
		"eelsh5 quant: align: wrote step /entry/alignment of ", "eelsh5 quant: fit: 1024 spectra of 2028 channels from /entry/alignment"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	aligned, quantified := f.Exists("/entry/alignment/shifts/shift"), f.Exists("/entry/quant")
	f.Close()
	if !aligned || quantified {
		t.Errorf("after the interruption: alignment %v (want true), quant %v (want false)", aligned, quantified)
	}
	// Nothing committed: said so.
	if got := interrupted(nil); got != "eelsh5: interrupted; nothing was committed" {
		t.Errorf("interrupted(nil) = %q", got)
	}
	if strings.Contains(errs, "partial step is kept") {
		_, errs, code := eelsh5(t, append(args, "--resume", "--scale-errors", "-q")...)
		want := `eelsh5: error: h5io: the interrupted quant in "` + path + `" was started with other options: scale_errors false, now true; run it with the same options, or without --resume to start again` + "\n"
		if code != 1 || errs != want {
			t.Errorf("resume with another option: exit %d, stderr\n%q\nwant\n%q", code, errs, want)
		}
	}
}

// The results table, as printed for several elements (composition, with
// its legend, the chi-square line and the misfit warning, with and
// without --scale-errors) and for one element (its areal density, or its
// edge amplitude without a low loss, instead of a composition of 100 at.%
// +- 0). The numbers are made up; the golden file is the layout.
func TestPrintSummaryGolden(t *testing.T) {
	st := func(mean, sd, std float64) quant.Stats { return quant.Stats{Mean: mean, MeanSD: sd, Std: std} }
	misfit := &quant.Chi2Summary{Pixels: 64, Median: 3.2, Mean: 4.1, Limit: 2, Above: 0.75, MisfitFraction: 0.1, Misfit: true}
	several := &quant.Summary{Elements: []string{"Ti L", "O K"}, Units: "atoms/nm^2", Chi2: misfit, Regions: []quant.RegionSummary{
		{Name: "whole map", Pixels: 64, Composition: map[string]quant.Stats{"Ti L": st(24.95, 0.24, 1.5), "O K": st(75.05, 0.24, 1.5)}},
		{Name: "corner", Pixels: 1, Composition: map[string]quant.Stats{"Ti L": st(30, 0.3, 0), "O K": st(70, 0.3, 0)}},
	}}
	scaled := *several
	c := *misfit
	c.ErrorsScaled = true
	scaled.Chi2 = &c
	fine := &quant.Chi2Summary{Pixels: 64, Median: 1.02, Mean: 1.03, Limit: 2, Above: 0, MisfitFraction: 0.1}
	one := &quant.Summary{Elements: []string{"C K"}, Units: "atoms/nm^2", Chi2: fine, Regions: []quant.RegionSummary{
		{Name: "whole map", Pixels: 64, Composition: map[string]quant.Stats{"C K": st(100, 0, 0)}},
		{Name: "corner", Pixels: 16, Composition: map[string]quant.Stats{"C K": st(100, 0, 0)}},
		{Name: "centre", Pixels: 1, Composition: map[string]quant.Stats{"C K": st(100, 0, 0)}},
		{Name: "unknown to the command", Pixels: 3, Composition: map[string]quant.Stats{"C K": st(100, 0, 0)}},
	}}
	densities := map[string]quant.Stats{"whole map": st(689.1, 36.7, 245), "corner": st(554.4, 36.4, 389), "centre": st(612.25, 35, 0)}
	amplitude := &quant.Summary{Elements: []string{"C K"}, Units: "edge amplitude A (counts eV per barn)", Chi2: fine, Regions: one.Regions[:1]}
	var b strings.Builder
	for _, c := range []struct {
		what      string
		s         *quant.Summary
		densities map[string]quant.Stats
	}{
		{"two elements, misfit", several, nil},
		{"two elements, misfit, --scale-errors", &scaled, nil},
		{"one element with a low loss", one, densities},
		{"one element without a low loss", amplitude, map[string]quant.Stats{"whole map": st(0.8117, 0.0453, 0.235)}},
	} {
		fmt.Fprintf(&b, "== %s\n", c.what)
		printSummary(&b, c.s, c.densities)
	}
	golden(t, "quant_summary.golden", b.String())
}

// A one-element quant prints the areal density of the element (the
// mean of its elemental map with the rms of its errors), not 100 at.%.
func TestQuantOneElementAreal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "srtio3.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"hl.msa", "--lowloss", fixtures+"ll.msa", "-o", path, "-q",
		"--E0", "300e3", "--alpha", "0.9e-3", "--beta", "2.675e-3"); code != 0 {
		t.Fatal(errs)
	}
	out, errs, code := eelsh5(t, "quant", path, "--elements", "Ti", "--edges", "L", "--align", "none", "-q")
	if code != 0 {
		t.Fatal(errs)
	}
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err1 := f.ReadStack("/entry/quant/elements/elements")
	sd, _, err2 := f.ReadStack("/entry/quant/elements/elements_errors")
	f.Close()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	want := fmt.Sprintf("whole map                              1 %10.4g +- %-9.3g (-)\n", v.Data[0], sd.Data[0])
	if !strings.Contains(out, "Ti L areal density (atoms/nm^2) +- err (spread)") || !strings.Contains(out, want) || strings.Contains(out, "100.00") {
		t.Errorf("output\n%s\nwant the row\n%s", out, want)
	}
}

// quant --plots refuses, before anything is written, a directory that
// holds figures the step would overwrite; --overwrite-plots replaces
// them. The figures it predicts are those drawStep writes.
func TestQuantPlotsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "a.nxs"), filepath.Join(dir, "b.nxs")
	for _, p := range []string{first, second} {
		if _, errs, code := eelsh5(t, "simulate", p, "--size", "8", "-q"); code != 0 {
			t.Fatal(errs)
		}
	}
	figs := filepath.Join(dir, "figs")
	model := []string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "-q", "--plots", figs}
	if _, errs, code := eelsh5(t, append([]string{"quant", first}, model...)...); code != 0 {
		t.Fatal(errs)
	}
	written, _ := filepath.Glob(filepath.Join(figs, "*.png"))
	f, err := h5io.OpenWritable(first)
	if err != nil {
		t.Fatal(err)
	}
	j, err := prepareFit(f, first, "quant", "", &modelFlags{Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, BgTerms: "4", gosFlags: gosFlags{GOS: "hydrogenic"}}, quant.Options{Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, BackgroundTerms: 4})
	if err != nil {
		t.Fatal(err)
	}
	predicted := plotNames(j.plan, true)
	j.close()
	f.Close()
	for _, w := range written {
		if !contains(predicted, filepath.Base(w)) {
			t.Errorf("quant wrote %s, which plotNames does not predict (%v)", filepath.Base(w), predicted)
		}
	}
	if len(written) < 8 {
		t.Errorf("only %d figures written: %v", len(written), written)
	}
	// The second file is not aligned yet: the refusal comes before the
	// alignment is written, and the file is unchanged.
	before, _ := os.ReadFile(second)
	_, errs, code := eelsh5(t, append([]string{"quant", second}, model...)...)
	if code != 1 || !strings.Contains(errs, "--plots "+figs+": "+strconv.Itoa(len(written))+" figures exist there (") ||
		!strings.Contains(errs, "(use --overwrite-plots to replace them, or another directory)") {
		t.Errorf("existing figures: exit %d, stderr %q", code, errs)
	}
	if after, _ := os.ReadFile(second); string(after) != string(before) {
		t.Error("the refused quant changed the file")
	}
	if _, errs, code := eelsh5(t, append([]string{"quant", second, "--overwrite-plots"}, model...)...); code != 0 {
		t.Errorf("--overwrite-plots: exit %d, %s", code, errs)
	}
	// One figure in the way is named.
	other := filepath.Join(dir, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "spectrum.png"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(other, "notes.png"), []byte("mine"), 0o644) // not a figure quant writes
	_, errs, code = eelsh5(t, "quant", first, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "-q", "--plots", other, "--step", "q2")
	if want := "eelsh5: error: --plots " + other + ": the figure spectrum.png exists there (use --overwrite-plots to replace it, or another directory)\n"; code != 1 || errs != want {
		t.Errorf("one figure: exit %d, stderr %q, want %q", code, errs, want)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "spectrum.png")); string(b) != "mine" {
		t.Error("spectrum.png was overwritten")
	}
}

// TestQuantInputStep: quant --input fits the step it names as it is.
// A scan crop holds the raw spectra of its rows, so its elemental maps,
// their errors and the composition equal those rows of a quant of the
// raw cubes to the bit (same fixed background, no alignment on either).
// The usage errors of --input exit 2 with the file unchanged.
func TestQuantInputStep(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	els := []string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--background-terms", "4", "-q"}
	for _, args := range [][]string{
		{"simulate", path, "--size", "8", "--shifts", "none", "-q"},
		{"crop", path, "--region", "2:5,0:8", "-q"},
		append([]string{"quant", path, "--align", "none", "--step", "whole"}, els...),
		append([]string{"quant", path, "--input", "crop", "--step", "fromcrop"}, els...),
	} {
		if out, errs, code := eelsh5(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ds := range []string{"elements/elements", "elements/elements_errors", "composition/composition", "composition/composition_errors"} {
		whole, _, err1 := f.ReadStack("/entry/whole/" + ds)
		crop, _, err2 := f.ReadStack("/entry/fromcrop/" + ds)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if crop.NY != 3 || crop.NX != 8 {
			t.Fatalf("%s of the crop: %dx%d", ds, crop.NY, crop.NX)
		}
		for y := 0; y < crop.NY; y++ {
			for x := 0; x < crop.NX; x++ {
				for k, v := range crop.Pixel(y, x) {
					if w := whole.Pixel(y+2, x)[k]; math.Float64bits(v) != math.Float64bits(w) {
						t.Fatalf("%s (%d, %d)[%d]: %v from the crop, %v in row %d of the whole quant", ds, y, x, k, v, w, y+2)
					}
				}
			}
		}
	}
	p, err := f.ReadProvenance("fromcrop")
	f.Close()
	if err != nil || p.Params["input"] != h5io.EntryPath+"/crop" || p.Params["align"] != "none" {
		t.Fatalf("provenance input %v, align %v (%v)", p.Params["input"], p.Params["align"], err)
	}
	// A Fourier-ratio deconvolve step has no low loss: quant fits its
	// single-scattering core loss without convolution, and says so.
	if _, errs, code := eelsh5(t, "deconvolve", path, "--method", "fourier-ratio", "-q"); code != 0 {
		t.Fatal(errs)
	}
	_, errs, code := eelsh5(t, append([]string{"quant", path, "--input", "deconvolve", "--step", "fromdeconv"}, els[:len(els)-1]...)...)
	if code != 0 || !strings.Contains(errs, "step deconvolve has no low loss") {
		t.Fatalf("quant --input deconvolve: exit %d, %s", code, errs)
	}
	before := fileSHA256(t, path)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--input", "crop", "--realign"}, "exclude each other"},
		{[]string{"--input", "crop", "--align", "xcorr"}, "exclude each other"},
		{[]string{"--input", "entry/crop"}, "want a step name"},
		{[]string{"--input", "quant"}, "both name"},
		{[]string{"--input", "nothere", "--step", "q2"}, "no step"},
	} {
		_, errs, code := eelsh5(t, append(append([]string{"quant", path}, c.args...), els...)...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("quant %v: exit %d, %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
	if fileSHA256(t, path) != before {
		t.Error("a refused quant --input changed the file")
	}
}
