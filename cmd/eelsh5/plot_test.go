package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// writeFitFixture writes a processing file with a fit step of known
// content, independent of the fitting code: a calibrated ny x nx scan
// (2.5 nm pixels) with a two-component coefficient stack and its errors
// (one positive with an outlier pixel, one signed), a status map with
// documented and undocumented codes, and a mean spectrum with model,
// background and an edge, fitted in 110-195 eV without 140-145 eV.
func writeFitFixture(t testing.TB, path string, ny, nx int) {
	t.Helper()
	f, err := h5io.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.InitProcessingFile("figure fixture", "eelsh5 test", multispectrum.UnknownInstrument(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	axis := multispectrum.EnergyAxis{Offset: 100, Dispersion: 0.5, Size: 200}
	// The raw cube: the model of every pixel scaled by its first coefficient.
	e := axis.Energies(nil)
	bg, edge := make([]float64, len(e)), make([]float64, len(e))
	for i, x := range e {
		bg[i] = 2000 * math.Pow(x/100, -3)
		if x >= 150 {
			edge[i] = 120 * math.Pow(x/150, -2)
		}
	}
	scan := multispectrum.ScanCalibration{Y0: 0, X0: 10, Step: 2.5, Units: "nm"}
	cube, err := f.CreateCube(h5io.CoreLossPath, h5io.CubeSpec{NY: ny, NX: nx, Axis: axis, Scan: scan})
	must(err)
	px := make([]float64, ny*nx*len(e))
	coef := make([]float64, ny*nx*2)
	errs := make([]float64, ny*nx*2)
	status := make([]float64, ny*nx)
	for p := 0; p < ny*nx; p++ {
		iy, ix := p/nx, p%nx
		a := 1 + 0.1*float64(iy) + 0.05*float64(ix)
		b := math.Sin(float64(iy)+0.7*float64(ix)) * 0.8
		if p == ny*nx/2 {
			a = 5 // an outlier: clipped
		}
		coef[2*p], coef[2*p+1] = a, b
		errs[2*p], errs[2*p+1] = 0.02*a, 0.05+0.01*float64(ix)
		for i := range e {
			px[p*len(e)+i] = a*bg[i] + b*edge[i]
		}
		switch {
		case p%7 == 3:
			status[p] = 2
		case p%11 == 5:
			status[p] = 3
		case p == ny*nx-1:
			status[p] = 9 // undocumented
		}
	}
	must(cube.WriteRegion(multispectrum.Region{NY: ny, NX: nx}, px))
	cube.Close()
	params := map[string]any{"fit_ranges_eV": []any{[]any{110.0, 195.0}, []any{140.0, 145.0}}, "channels_used": 160.0, "method": "wls"}
	st, err := f.BeginStep("fit", &multispectrum.Provenance{Program: "eelsh5 test", Version: "test", Params: params}, false)
	must(err)
	v, ve, err := f.CreateStack(st.Path("coefficients"), h5io.StackSpec{NY: ny, NX: nx, Names: []string{"PowerLaw.A", "C K.A"},
		Signal: "coefficients", LongName: "fitted coefficient", Errors: true, Scan: scan})
	must(err)
	must(v.WriteRegion(multispectrum.Region{NY: ny, NX: nx}, coef))
	must(ve.WriteRegion(multispectrum.Region{NY: ny, NX: nx}, errs))
	v.Close()
	ve.Close()
	sm, err := f.CreateMap(st.Path("status"), h5io.MapSpec{NY: ny, NX: nx, Signal: "status", LongName: "fit status", DType: h5io.Int8, Codes: fitters.StatusCodes, Scan: scan})
	must(err)
	must(sm.WriteRegion(multispectrum.Region{NY: ny, NX: nx}, status))
	sm.Close()
	data, model := make([]float64, len(e)), make([]float64, len(e))
	for i := range e {
		model[i] = bg[i] + edge[i]
		data[i] = model[i] + 5*math.Sin(float64(i)*0.45)
		if e[i] >= 150 && e[i] < 155 {
			data[i] += 40 // a white line the model lacks
		}
	}
	must(f.WriteSpectra(st.Path(h5io.FitMeanSpectrum), axis, []h5io.Curve{
		{Name: "data", Values: data, LongName: "mean data"}, {Name: "model", Values: model, LongName: "mean fitted model"},
		{Name: "background", Values: bg, LongName: "background"}, {Name: "C_K", Values: edge, LongName: "C K edge"}}))
	must(st.Commit("coefficients"))
}

// comparePNG compares the decoded pixels of got with the golden image
// testdata/golden/name (rewritten with -regen): sizes must match and at
// most a few pixels may differ by more than a small amount (rasterisation
// on other platforms).
func comparePNG(t *testing.T, got, name string) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	gi, err := decodePNG(got)
	if err != nil {
		t.Fatal(err)
	}
	if *regen {
		// Re-encoded at best compression: the pixels are what is compared.
		var b bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, gi); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wi, err := decodePNG(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/eelsh5 -run Golden -regen to create it)", err)
	}
	if gi.Bounds() != wi.Bounds() {
		t.Errorf("%s: %v, golden %v (got %s)", name, gi.Bounds(), wi.Bounds(), got)
		return
	}
	diff, total := 0, gi.Bounds().Dx()*gi.Bounds().Dy()
	b := gi.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if colourDistance(gi.At(x, y), wi.At(x, y)) > 32 {
				diff++
			}
		}
	}
	if diff > max(20, total/20000) {
		keep := filepath.Join(os.TempDir(), "eelsh5_failed_"+name)
		data, _ := os.ReadFile(got)
		os.WriteFile(keep, data, 0o644)
		t.Errorf("%s: %d of %d pixels differ from the golden image; got: %s (regenerate with -regen if intended)", name, diff, total, keep)
	}
}

func decodePNG(path string) (image.Image, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return png.Decode(fh)
}

func colourDistance(a, b color.Color) int {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	d := 0
	for _, p := range [][2]uint32{{ar, br}, {ag, bg}, {ab, bb}, {aa, ba}} {
		d = max(d, int(math.Abs(float64(p[0]>>8)-float64(p[1]>>8))))
	}
	return d
}

// TestPlotGolden draws a map stack, a status map, a fit spectrum with
// residuals and a single spectrum (1x1 file), and compares them with the
// golden images (go test ./cmd/eelsh5 -run Golden -regen rewrites them).
func TestPlotGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fixture.nxs")
	writeFitFixture(t, path, 10, 12) // 120 pixels: the outlier is clipped
	out := filepath.Join(dir, "fig")
	if stdout, errs, code := eelsh5(t, "plot", path, "fit", "-o", out); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, errs)
	} else if want := []string{"coefficients.png", "coefficients_errors.png", "status.png", "spectrum.png"}; strings.Count(stdout, "\n") != len(want) {
		t.Errorf("plot wrote\n%s, want %v", stdout, want)
	}
	comparePNG(t, filepath.Join(out, "coefficients.png"), "map_coefficients.png")
	comparePNG(t, filepath.Join(out, "status.png"), "map_status.png")
	comparePNG(t, filepath.Join(out, "spectrum.png"), "spectrum_residuals.png")

	one := filepath.Join(dir, "hl.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"hl.msa", "--lowloss", fixtures+"ll.msa", "-o", one, "-q"); code != 0 {
		t.Fatal(errs)
	}
	out1 := filepath.Join(dir, "fig1")
	if stdout, errs, code := eelsh5(t, "plot", one, "-o", out1); code != 0 {
		t.Fatalf("plot of a 1x1 file: exit %d: %s", code, errs)
	} else if stdout != filepath.Join(out1, "coreloss.png")+"\n"+filepath.Join(out1, "lowloss.png")+"\n" {
		t.Errorf("plot of a 1x1 file wrote %q", stdout)
	}
	comparePNG(t, filepath.Join(out1, "lowloss.png"), "single_spectrum_lowloss.png")
}

// TestPlotShiftsGolden draws the shift map of align --plot on a scan
// calibrated in nm (axes in nm, as plot draws the alignment step) with
// whole-channel shifts and pixels without a usable peak, and compares it
// with its golden image.
func TestPlotShiftsGolden(t *testing.T) {
	const ny, nx = 10, 12
	shifts := multispectrum.NewArray(ny, nx, 1)
	status := make([]aligners.Status, ny*nx)
	for p := range shifts.Data {
		iy, ix := p/nx, p%nx
		shifts.Data[p] = 0.5 * math.Round(3*math.Sin(0.5*float64(iy)+0.3*float64(ix)))
		if p%17 == 4 {
			status[p] = aligners.NoPeak
			shifts.Data[p] = 0 // the median, as align stores it
		}
	}
	path := filepath.Join(t.TempDir(), "shifts.png")
	scan := multispectrum.ScanCalibration{Y0: 0, X0: 10, Step: 2.5, Units: "nm"}
	if err := plotShiftsOn(path, shifts, status, scan); err != nil {
		t.Fatal(err)
	}
	comparePNG(t, path, "align_shifts_calibrated.png")
}

// checkFigures checks that plot wrote PNG files that decode.
func checkFigures(t *testing.T, what, stdout string, want ...string) {
	t.Helper()
	files := strings.Fields(stdout)
	if len(files) == 0 {
		t.Errorf("%s: no figures", what)
	}
	for _, p := range files {
		img, err := decodePNG(p)
		if err != nil || img.Bounds().Dx() < 200 || img.Bounds().Dy() < 200 {
			t.Errorf("%s: %s: %v", what, p, err)
		}
	}
	for _, w := range want {
		found := false
		for _, p := range files {
			found = found || filepath.Base(p) == w
		}
		if !found {
			t.Errorf("%s: no %s among %v", what, w, files)
		}
	}
}

// TestPlotFixtures draws every importable fixture of testdata/formats
// (spectra, spectrum images, calibrated and not) as imported, quantifies
// the single spectra that have a low loss and draws that, and draws every
// step of the layout example (shared/testdata/eelsh5_layout_example.nxs).
func TestPlotFixtures(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file, lowloss string
		want          []string
		quant         []string // elements and edges, then E0 and beta
	}{
		{file: "dm3_eels_spectrum.dm3", want: []string{"coreloss.png"}},
		{file: "dm4_eels_spectrum_image.dm4", want: []string{"coreloss.png"}},
		{file: "msa_example1_eels_xy.msa", want: []string{"coreloss.png"}},
		{file: "hl.msa", lowloss: "ll.msa", want: []string{"coreloss.png", "lowloss.png"}, quant: []string{"Ti,O", "L,K", "200e3", "20e-3"}},
		{file: "ll.msa", want: []string{"coreloss.png"}},
		{file: "hyperspy_eels_si.hspy", want: []string{"coreloss.png"}},
		{file: "hyperspy_eels_1d.hspy", want: []string{"coreloss.png"}},
		{file: "multi.hdf5", want: []string{"coreloss.png"}},
		{file: "simulated_C_edge.hdf5", lowloss: "ll_simulated_C_edge.hdf5", want: []string{"coreloss.png", "lowloss.png"}, quant: []string{"C", "K", "300e3", "20e-3"}},
		{file: "ll_simulated_C_edge.hdf5", want: []string{"coreloss.png"}},
	} {
		path := filepath.Join(dir, c.file+".nxs")
		args := []string{"import", fixtures + c.file, "-o", path, "-q"}
		if c.lowloss != "" {
			args = append(args, "--lowloss", fixtures+c.lowloss)
		}
		if _, errs, code := eelsh5(t, args...); code != 0 {
			t.Errorf("%s: import: %s", c.file, errs)
			continue
		}
		stdout, errs, code := eelsh5(t, "plot", path)
		if code != 0 {
			t.Errorf("%s: plot: exit %d: %s", c.file, code, errs)
			continue
		}
		if !strings.Contains(stdout, strings.TrimSuffix(path, ".nxs")+"_raw_figures/") {
			t.Errorf("%s: plot wrote %q, want FILE_raw_figures/", c.file, stdout)
		}
		checkFigures(t, c.file, stdout, c.want...)
		if raceEnabled || testing.Short() {
		} else if stdout2, errs, code := eelsh5(t, "plot", path, "import", "-o", filepath.Join(dir, c.file+"_import")); code != 0 {
			t.Errorf("%s: plot import: exit %d: %s", c.file, code, errs)
		} else {
			checkFigures(t, c.file+" import", stdout2, c.want...)
		}
		if c.quant != nil {
			figs := filepath.Join(dir, c.file+"_quant")
			if _, errs, code := eelsh5(t, "quant", path, "--elements", c.quant[0], "--edges", c.quant[1], "--E0", c.quant[2], "--beta", c.quant[3],
				"--alpha", "1e-9", "-q", "--plots", figs); code != 0 {
				t.Errorf("%s: quant --plots: exit %d: %s", c.file, code, errs)
			}
			entries, _ := os.ReadDir(figs)
			if len(entries) != 1 || entries[0].Name() != "spectrum.png" {
				t.Errorf("%s: quant --plots of a single spectrum wrote %v, want spectrum.png only", c.file, entries)
			}
			stdout, errs, code := eelsh5(t, "plot", path) // the default step: quant
			if code != 0 {
				t.Errorf("%s: plot after quant: %s", c.file, errs)
			}
			checkFigures(t, c.file+" quant", stdout, "spectrum.png")
		}
	}

	layout := fixtures + "eelsh5_layout_example.nxs"
	for _, step := range []string{"", "fit", "alignment", "raw"} {
		out := filepath.Join(dir, "layout_"+step)
		args := []string{"plot", layout, "-o", out}
		if step != "" {
			args = []string{"plot", layout, step, "-o", out}
		}
		stdout, errs, code := eelsh5(t, args...)
		if code != 0 {
			t.Errorf("layout example %q: exit %d: %s", step, code, errs)
			continue
		}
		checkFigures(t, "layout example "+step, stdout)
	}
}

// TestPlotStepKinds draws every step kind (simulate, alignment, fit,
// quant, raw, the default) of simulated files of 1x1, 2x2 and 4x4 pixels
// with quant --plots of each, and the fit and raw steps of 1x5 and 5x1
// (line scans) and 1x1 synthetic files.
func TestPlotStepKinds(t *testing.T) {
	dir := t.TempDir()
	sizes := []int{1, 2, 4}
	if raceEnabled || testing.Short() {
		sizes = sizes[:2] // drawing is slow under the race detector
	}
	for _, n := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("s%d.nxs", n))
		// 512 channels of 2 eV: the seed's edges, a quarter of the work.
		if _, errs, code := eelsh5(t, "simulate", path, "--size", fmt.Sprint(n), "--channels", "512", "--dispersion", "2", "-q"); code != 0 {
			t.Fatal(errs)
		}
		align := []string{"align", path, "-q"}
		if n == 1 {
			align = append(align, "--single")
		}
		if _, errs, code := eelsh5(t, align...); code != 0 {
			t.Fatalf("%d: align: %s", n, errs)
		}
		if _, errs, code := eelsh5(t, "fit", path, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L"); code != 0 {
			t.Fatalf("%d: fit: %s", n, errs)
		}
		figs := filepath.Join(dir, fmt.Sprintf("q%d", n))
		if _, errs, code := eelsh5(t, "quant", path, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--plots", figs); code != 0 {
			t.Fatalf("%d: quant --plots: %s", n, errs)
		}
		if _, err := os.Stat(filepath.Join(figs, "spectrum.png")); err != nil {
			t.Errorf("%d: quant --plots: %v", n, err)
		}
		maps := []string{"elements.png", "composition.png", "status.png", "chi2.png"}
		for _, c := range []struct {
			step string
			want []string
		}{
			{"simulate", []string{"coreloss.png", "lowloss.png"}},
			{"raw", []string{"coreloss.png", "lowloss.png"}},
			{"alignment", []string{"coreloss.png", "lowloss.png"}},
			{"fit", []string{"spectrum.png"}},
			{"quant", []string{"spectrum.png"}},
			{"", []string{"spectrum.png"}},
		} {
			args := []string{"plot", path, c.step, "-o", filepath.Join(dir, fmt.Sprintf("p%d_%s", n, c.step))}
			if c.step == "" {
				args = []string{"plot", path, "-o", filepath.Join(dir, fmt.Sprintf("p%d_default", n))}
			}
			stdout, errs, code := eelsh5(t, args...)
			if code != 0 {
				t.Errorf("%dx%d %s: exit %d: %s", n, n, c.step, code, errs)
				continue
			}
			want := c.want
			if n > 1 && (c.step == "quant" || c.step == "") {
				want = append(want, maps...)
			}
			if n > 1 && c.step == "alignment" {
				want = append(want, "shifts.png", "status.png")
			}
			if n > 1 && c.step == "simulate" {
				want = append(want, "truth_maps.png")
			}
			checkFigures(t, fmt.Sprintf("%dx%d %s", n, n, c.step), stdout, want...)
			if n == 1 {
				for _, m := range maps {
					if strings.Contains(stdout, "/"+m) {
						t.Errorf("1x1 %s: a map %s", c.step, m)
					}
				}
			}
		}
	}
	// A line scan and a single pixel of the synthetic fit step.
	for _, s := range [][2]int{{1, 5}, {5, 1}, {1, 1}} {
		path := filepath.Join(dir, fmt.Sprintf("line%dx%d.nxs", s[0], s[1]))
		writeFitFixture(t, path, s[0], s[1])
		for _, step := range []string{"fit", "raw"} {
			stdout, errs, code := eelsh5(t, "plot", path, step)
			if code != 0 {
				t.Errorf("%dx%d %s: exit %d: %s", s[0], s[1], step, code, errs)
				continue
			}
			checkFigures(t, fmt.Sprintf("%dx%d %s", s[0], s[1], step), stdout)
		}
	}
}

// TestPlotOutput checks the default directory (FILE_STEP_figures), the
// refusal to overwrite, --overwrite and the errors for missing steps.
func TestPlotOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.nxs")
	writeFitFixture(t, path, 3, 3)
	stdout, errs, code := eelsh5(t, "plot", path)
	if code != 0 || !strings.HasPrefix(stdout, filepath.Join(dir, "f_fit_figures", "coefficients.png")+"\n") {
		t.Fatalf("plot: exit %d, %q, %q", code, stdout, errs)
	}
	want := `eelsh5: error: figure "` + filepath.Join(dir, "f_fit_figures", "coefficients.png") + `" exists (use --overwrite to replace it, or -o DIR)` + "\n"
	if _, errs, code := eelsh5(t, "plot", path, "fit"); code != 1 || errs != want {
		t.Errorf("second plot: exit %d, %q, want %q", code, errs, want)
	}
	if _, errs, code := eelsh5(t, "plot", path, "fit", "--overwrite"); code != 0 {
		t.Errorf("--overwrite: exit %d, %q", code, errs)
	}
	if stdout, errs, code := eelsh5(t, "plot", path, "raw"); code != 0 || stdout != filepath.Join(dir, "f_raw_figures", "coreloss.png")+"\n" {
		t.Errorf("plot raw: exit %d, %q, %q", code, stdout, errs)
	}
	if _, errs, code := eelsh5(t, "plot", path, "quant"); code != 1 || !strings.Contains(errs, "has no step /entry/quant (it has: raw, fit)") {
		t.Errorf("missing step: exit %d, %q", code, errs)
	}
}

func TestFigureTicks(t *testing.T) {
	labels := func(ticks []scanTicks, lo, hi float64) [][]string {
		var out [][]string
		for _, tk := range ticks {
			var l []string
			for _, x := range tk.Ticks(lo, hi) {
				if x.Label != "" {
					l = append(l, x.Label)
				}
			}
			out = append(out, l)
		}
		return out
	}
	// A 2x2 pixel map: ticks at the pixel centres 0 and 1 only.
	g := newScanGeom(2, 2, multispectrum.PixelScan())
	if got := labels([]scanTicks{{step: g.step, integer: true}}, g.x0-0.5, g.x0+1.5); fmt.Sprint(got) != "[[0 1]]" {
		t.Errorf("2x2 x ticks: %v", got)
	}
	for _, tk := range (scanTicks{step: 1, integer: true, flip: true}).Ticks(-1.5, 0.5) {
		if tk.Value != math.Trunc(tk.Value) {
			t.Errorf("2x2 y tick at %g", tk.Value)
		}
	}
	// 128 pixels: a few whole-number ticks.
	if got := labels([]scanTicks{{step: 1, integer: true}}, -0.5, 127.5); fmt.Sprint(got) != "[[0 25 50 75 100 125]]" {
		t.Errorf("128 ticks: %v", got)
	}
	// A calibrated scan of 2 nm pixels (2x2 of 0.0019920736 um): metres
	// converted to nm, no tick closer than a pixel.
	g = newScanGeom(2, 2, multispectrum.ScanCalibration{Step: 0.0019920736, Units: "um"})
	if g.unit != "nm" || math.Abs(g.step-1.9920736) > 1e-9 {
		t.Errorf("calibration: %+v", g)
	}
	if got := labels([]scanTicks{{step: g.step}}, -g.step/2, 1.5*g.step); fmt.Sprint(got) != "[[0 2]]" {
		t.Errorf("calibrated ticks: %v", got)
	}
	// Labels: as many digits as the step needs; a power of ten factored out.
	for _, c := range []struct {
		lo, hi float64
		want   string
		exp    int
	}{
		{0, 80, "[0 20 40 60 80]", 0},
		{0, 1, "[0 0.2 0.4 0.6 0.8 1.0]", 0},
		{1.725e6, 1.85e6, "[1.725 1.750 1.775 1.800 1.825 1.850]", 6},
		{0, 4e-5, "[0 1 2 3 4]", -5},
	} {
		vals, step := tickValues(c.lo, c.hi, 6, 0, false)
		l, exp := tickLabels(vals, step)
		if fmt.Sprint(l) != c.want || exp != c.exp {
			t.Errorf("ticks of %g..%g: %v x10^%d, want %s x10^%d", c.lo, c.hi, l, exp, c.want, c.exp)
		}
	}
}

func TestFigureColourScale(t *testing.T) {
	// 1st-99th percentile of 1000 values; clipping counted.
	z := make([]float64, 1000)
	for i := range z {
		z[i] = float64(i)
	}
	z[0], z[999] = -1e6, 1e6
	s := newColourScale(z, sequential)
	if s.lo != 9 || s.hi != 990 || s.below != 9 || s.above != 9 || s.diverging || len(s.notes()) != 1 {
		t.Errorf("robust limits: %+v %v", s, s.notes())
	}
	// Small maps are not clipped; signed data diverge symmetrically.
	s = newColourScale([]float64{-1, 3, 2, 0.5}, autoScale)
	if !s.diverging || s.lo != -3 || s.hi != 3 || s.below+s.above != 0 {
		t.Errorf("signed: %+v", s)
	}
	if s.colour(0) != divergingTable[128] && s.colour(0) != divergingTable[127] {
		t.Errorf("0 is not the centre: %v", s.colour(0))
	}
	s = newColourScale([]float64{1, 3, 2, 0.5}, autoScale)
	if s.diverging || s.lo != 0.5 || s.hi != 3 {
		t.Errorf("positive: %+v", s)
	}
	// Non-negative with noise below 0 (under a tenth of the positive
	// range): sequential, limits kept; beyond a tenth: signed.
	s = newColourScale([]float64{-0.05, 0.2, 1, 0.5}, autoScale)
	if s.diverging || s.lo != -0.05 || s.hi != 1 {
		t.Errorf("noisy non-negative: %+v", s)
	}
	if s = newColourScale([]float64{-0.2, 0.2, 1, 0.5}, autoScale); !s.diverging || s.lo != -1 || s.hi != 1 {
		t.Errorf("signed: %+v", s)
	}
	// A uniform map, NaN pixels.
	s = newColourScale([]float64{2, 2, math.NaN(), 2}, sequential)
	if !s.uniform || s.missing != 1 || s.colour(2) != viridis(0.5) || s.colour(math.NaN()) != missingColour {
		t.Errorf("uniform: %+v", s)
	}
	// Status codes from the attributes.
	for _, codes := range []string{fitters.StatusCodes, aligners.StatusCodes} {
		sc := parseStatusCodes(codes)
		if len(sc.codes) != 6 || sc.codes[0] != 0 || sc.labels[0] != "ok" || sc.codes[5] != 5 {
			t.Errorf("codes %q: %+v", codes, sc)
		}
	}
	if sc := parseStatusCodes(fitters.StatusCodes); sc.labels[2] != "singular (rank-deficient) design" {
		t.Errorf("labels: %q", sc.labels)
	}
}

func TestFigureHistogramBins(t *testing.T) {
	// Whole-channel shifts (0.5 eV): one bin per channel, centred on it,
	// contiguous, never finer than the quantisation.
	var v []float64
	for i := -5; i <= 5; i++ {
		for k := 0; k < 6-abs(i); k++ {
			v = append(v, 0.5*float64(i))
		}
	}
	bins := histogramBins(v)
	if len(bins) != 11 {
		t.Fatalf("%d bins", len(bins))
	}
	for i, b := range bins {
		if math.Abs(b.Max-b.Min-0.5) > 1e-12 || math.Abs((b.Min+b.Max)/2-(-2.5+0.5*float64(i))) > 1e-12 || b.Weight == 0 {
			t.Errorf("bin %d: %+v", i, b)
		}
		if i > 0 && b.Min != bins[i-1].Max {
			t.Errorf("bins %d and %d are not contiguous", i-1, i)
		}
	}
	// Many channels: bins of whole numbers of channels.
	v = v[:0]
	for i := 0; i < 200; i++ {
		v = append(v, 0.25*float64(i%97))
	}
	bins = histogramBins(v)
	if w := bins[0].Max - bins[0].Min; math.Abs(w/0.25-math.Round(w/0.25)) > 1e-9 || len(bins) > 41 {
		t.Errorf("width %g, %d bins", w, len(bins))
	}
	for _, b := range bins {
		if b.Weight == 0 {
			t.Errorf("empty bin %+v", b)
		}
	}
	// Continuous shifts, a single value, nothing.
	v = v[:0]
	for i := 0; i < 500; i++ {
		v = append(v, math.Sin(float64(i)*1.3)*0.7)
	}
	if bins = histogramBins(v); len(bins) < 5 || len(bins) > 51 {
		t.Errorf("continuous: %d bins", len(bins))
	}
	if bins = histogramBins([]float64{1.5}); len(bins) != 1 || bins[0].Weight != 1 {
		t.Errorf("one value: %+v", bins)
	}
	if bins = histogramBins([]float64{math.NaN()}); bins != nil {
		t.Errorf("NaN: %+v", bins)
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// TestFigureSeamless checks that maps are painted pixel-exact: a uniform
// map is one solid rectangle of its colour, every cell of a checkerboard
// an exact square of the same size.
func TestFigureSeamless(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ ny, nx int }{{2, 2}, {7, 5}, {128, 128}, {3, 200}} {
		n := c.ny * c.nx
		z := make([]float64, n)
		for i := range z {
			z[i] = float64((i/c.nx + i%c.nx) % 2)
		}
		g := newScanGeom(c.ny, c.nx, multispectrum.PixelScan())
		path := filepath.Join(dir, fmt.Sprintf("m%dx%d.png", c.ny, c.nx))
		if err := drawMapGrid(path, header{"checkerboard"}, g, []mapPanel{{title: "z", z: z, kind: sequential}}, nil, 0); err != nil {
			t.Fatal(err)
		}
		img, err := decodePNG(path)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := viridis(0), viridis(1)
		// The map is the leftmost region of these colours (the colour bar
		// right of it has them too): its box, from its columns only.
		isCell := func(x, y int) bool {
			cl := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			return cl == lo || cl == hi
		}
		b := img.Bounds()
		left := -1
		for x := b.Min.X; x < b.Max.X && left < 0; x++ {
			for y := b.Min.Y; y < b.Max.Y; y++ {
				if isCell(x, y) {
					left = x
					break
				}
			}
		}
		box := image.Rectangle{Min: image.Pt(1<<30, 1<<30)}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := left; x < left+c.nx*g.cellW && x < b.Max.X; x++ {
				if isCell(x, y) {
					box = box.Union(image.Rect(x, y, x+1, y+1))
				}
			}
		}
		if box.Dx() != c.nx*g.cellW || box.Dy() != c.ny*g.cellH {
			t.Errorf("%dx%d: map %v, want %d x %d px", c.ny, c.nx, box, c.nx*g.cellW, c.ny*g.cellH)
			continue
		}
		bad := 0
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				iy, ix := (y-box.Min.Y)/g.cellH, (x-box.Min.X)/g.cellW
				want := lo
				if (iy+ix)%2 == 1 {
					want = hi
				}
				if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) != want {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%dx%d: %d pixels of the map are not their cell's colour", c.ny, c.nx, bad)
		}
	}
}

// TestFigureDegenerate draws maps and spectra without finite values, of
// one channel, one value, infinities: figures, never errors or panics.
func TestFigureDegenerate(t *testing.T) {
	dir := t.TempDir()
	nan, inf := math.NaN(), math.Inf(1)
	for i, z := range [][]float64{{nan, nan, nan, nan}, {inf, -inf, 1, nan}, {0, 0, 0, 0}, {1e300, -1e300, 0, 1}, {1e-300, 2e-300, 3e-300, 0}} {
		for _, kind := range []scaleKind{sequential, diverging, autoScale} {
			path := filepath.Join(dir, fmt.Sprintf("m%d_%d.png", i, kind))
			if err := drawMapGrid(path, header{"degenerate"}, newScanGeom(2, 2, multispectrum.PixelScan()), []mapPanel{{title: "z", z: z, kind: kind, units: "u"}}, nil, 0); err != nil {
				t.Errorf("map %v: %v", z, err)
			}
		}
		sc := parseStatusCodes(fitters.StatusCodes)
		if err := drawMapGrid(filepath.Join(dir, fmt.Sprintf("s%d.png", i)), nil, newScanGeom(1, 4, multispectrum.ScanCalibration{Step: math.NaN()}), []mapPanel{{title: "status", z: z, codes: &sc}}, nil, 0); err != nil {
			t.Errorf("status %v: %v", z, err)
		}
	}
	for i, sf := range []spectrumFigure{
		{e: []float64{100}, data: []float64{1}},
		{e: []float64{100, 101}, data: []float64{nan, nan}, model: []float64{nan, nan}},
		{e: []float64{100, 101, 102}, data: []float64{-1, 0, -2}, logY: true},
		{e: []float64{100, 101, 102}, data: []float64{1, 2, 3}, model: []float64{1, 2, 3}, window: &[2]float64{500, 600}},
	} {
		if err := sf.save(filepath.Join(dir, fmt.Sprintf("sp%d.png", i))); err != nil {
			t.Errorf("spectrum %d: %v", i, err)
		}
	}
	if err := plotSingleShift(filepath.Join(dir, "one.png"), []float64{nan}, nil); err != nil {
		t.Error(err)
	}
	if err := plotShifts(filepath.Join(dir, "sh.png"), &multispectrum.Array{NY: 2, NX: 1, Width: 1, Data: []float64{nan, 1}}, []aligners.Status{aligners.OK, aligners.NoPeak}); err != nil {
		t.Error(err)
	}
}

// BenchmarkDrawQuantFigures draws the figures of the quant step of a
// 128x128 seed simulation (quant --plots; 512 channels of 2 eV so that the
// set-up is quick: the figures do not depend on the channel count except
// for the spectrum).
func BenchmarkDrawQuantFigures(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "seed.nxs")
	if _, errs, code := eelsh5(b, "simulate", path, "--channels", "512", "--dispersion", "2", "-q"); code != 0 {
		b.Fatal(errs)
	}
	if _, errs, code := eelsh5(b, "quant", path, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--background-terms", "6"); code != 0 {
		b.Fatal(errs)
	}
	f, err := h5io.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(dir, "figs")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := drawStep(f, "quant", out); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodePNG checks that image/png decodes what encodePNG writes to
// the same pixels: opaque images (written by encodePNG itself) of one
// pixel, odd sizes, random content spanning several IDAT chunks and a
// sub-image, and a translucent one (handed to image/png); and that a
// failing writer gives an error.
func TestEncodePNG(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	fill := func(m *image.RGBA, opaque bool) {
		for i := range m.Pix {
			m.Pix[i] = uint8(rnd.IntN(256))
			if i%4 == 3 {
				if opaque {
					m.Pix[i] = 255
				} else {
					m.Pix[i] = 128 // premultiplied: colours below it
					for c := i - 3; c < i; c++ {
						m.Pix[c] /= 2
					}
				}
			}
		}
	}
	var images []*image.RGBA
	for _, sz := range [][2]int{{1, 1}, {7, 3}, {3, 7}, {700, 50}} {
		m := image.NewRGBA(image.Rect(0, 0, sz[0], sz[1]))
		fill(m, true)
		images = append(images, m)
	}
	big := image.NewRGBA(image.Rect(0, 0, 40, 30))
	fill(big, true)
	images = append(images, big.SubImage(image.Rect(5, 7, 33, 21)).(*image.RGBA))
	translucent := image.NewRGBA(image.Rect(0, 0, 9, 4))
	fill(translucent, false)
	images = append(images, translucent)
	for _, m := range images {
		var b bytes.Buffer
		if err := encodePNG(&b, m); err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(&b)
		if err != nil {
			t.Errorf("%v: %v", m.Bounds(), err)
			continue
		}
		r := m.Bounds()
		if got.Bounds() != r.Sub(r.Min) {
			t.Errorf("%v: decoded %v", r, got.Bounds())
			continue
		}
		bad := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				// Compared as the straight-alpha colours a PNG holds.
				want := color.NRGBAModel.Convert(m.At(x, y))
				if color.NRGBAModel.Convert(got.At(x-r.Min.X, y-r.Min.Y)) != want {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%v: %d pixels differ", r, bad)
		}
	}
	if err := encodePNG(failingWriter{}, images[3]); err == nil {
		t.Error("no error from a failing writer")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestNthSmallest compares the selection with sorting: random values with
// and without ties, sorted, reversed and constant input, every rank of
// small slices and the percentile ranks of large ones; the values before
// the selected one are never larger, those after never smaller.
func TestNthSmallest(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var inputs [][]float64
	for _, n := range []int{1, 2, 3, 5, 17, 100, 1000, 16384} {
		for kind := 0; kind < 5; kind++ {
			v := make([]float64, n)
			for i := range v {
				switch kind {
				case 0:
					v[i] = rnd.NormFloat64()
				case 1:
					v[i] = float64(rnd.IntN(4)) // many ties
				case 2:
					v[i] = float64(i)
				case 3:
					v[i] = float64(n - i)
				case 4:
					v[i] = 7
				}
			}
			inputs = append(inputs, v)
		}
	}
	for _, v := range inputs {
		want := append([]float64(nil), v...)
		sort.Float64s(want)
		n := len(v)
		ranks := []int{0, n - 1, int(math.Floor(0.01 * float64(n-1))), int(math.Ceil(0.99 * float64(n-1))), n / 2}
		if n <= 17 {
			ranks = ranks[:0]
			for k := range n {
				ranks = append(ranks, k)
			}
		}
		for _, k := range ranks {
			w := append([]float64(nil), v...)
			if got := nthSmallest(w, k); got != want[k] {
				t.Errorf("n %d, k %d: %g, want %g", n, k, got, want[k])
			}
			for i := range w {
				if (i < k && w[i] > w[k]) || (i > k && w[i] < w[k]) {
					t.Errorf("n %d, k %d: v[%d] = %g on the wrong side of %g", n, k, i, w[i], w[k])
					break
				}
			}
		}
	}
}

// TestRenderFigures checks the concurrent drawing of a step's figures:
// every figure prepared in order on the calling goroutine and never two
// at once, at most the given number drawn at once, the paths returned in
// order; a failed preparation or drawing stops it and returns the figures
// before the failure; a panic while drawing reaches the caller.
func TestRenderFigures(t *testing.T) {
	const n, workers = 12, 3
	var (
		mu                     sync.Mutex
		prepared               []int
		preparing, active, top int
	)
	figs := func(failPrepare, failDraw, panicDraw int) ([]figure, []string) {
		prepared = prepared[:0]
		var out []figure
		var paths []string
		for i := range n {
			paths = append(paths, fmt.Sprintf("f%d.png", i))
			out = append(out, figure{name: paths[i], prepare: func() (render, error) {
				mu.Lock()
				preparing++
				if preparing > 1 {
					t.Error("two figures prepared at once")
				}
				prepared = append(prepared, i)
				mu.Unlock()
				defer func() { mu.Lock(); preparing--; mu.Unlock() }()
				if i == failPrepare {
					return nil, errors.New("unreadable")
				}
				return func(path string) error {
					mu.Lock()
					active++
					top = max(top, active)
					mu.Unlock()
					time.Sleep(2 * time.Millisecond)
					mu.Lock()
					active--
					mu.Unlock()
					if path != paths[i] {
						t.Errorf("figure %d drawn into %s", i, path)
					}
					switch i {
					case failDraw:
						return errors.New("disk full")
					case panicDraw:
						panic("drawing failed")
					}
					return nil
				}, nil
			}})
		}
		return out, paths
	}
	f, paths := figs(-1, -1, -1)
	got, err := renderFigures(f, paths, workers)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(paths) || len(prepared) != n {
		t.Errorf("all figures: %v, %v, prepared %v", got, err, prepared)
	}
	for i, p := range prepared {
		if p != i {
			t.Errorf("prepared in the order %v", prepared)
			break
		}
	}
	if top != workers {
		t.Errorf("%d figures drawn at once, want %d", top, workers)
	}
	f, paths = figs(5, -1, -1)
	if got, err := renderFigures(f, paths, workers); err == nil || err.Error() != "unreadable" || len(got) != 5 || len(prepared) != 6 {
		t.Errorf("failed preparation: %v, %v, prepared %v", got, err, prepared)
	}
	f, paths = figs(-1, 4, -1)
	if got, err := renderFigures(f, paths, workers); err == nil || err.Error() != "disk full" || len(got) != 4 {
		t.Errorf("failed drawing: %v, %v", got, err)
	}
	f, paths = figs(-1, -1, 2)
	func() {
		defer func() {
			if r := recover(); r != "drawing failed" {
				t.Errorf("panic: %v", r)
			}
		}()
		renderFigures(f, paths, workers)
		t.Error("no panic")
	}()
}

// BenchmarkEncodePNG writes a figure of ten 128x128 maps (as the seed's
// coefficient maps: noise, regions, a diverging and a sequential scale)
// with image/png at png.BestSpeed and with encodePNG, side by side; it
// reports the file sizes.
func BenchmarkEncodePNG(b *testing.B) {
	const n = 128
	rnd := rand.New(rand.NewPCG(5, 6))
	var panels []mapPanel
	for k := range 10 {
		z := make([]float64, n*n)
		for i := range z {
			iy, ix := i/n, i%n
			z[i] = rnd.NormFloat64()
			if k >= 6 && (iy-64)*(iy-64)+(ix-64)*(ix-64) < 900 {
				z[i] += 5
			}
		}
		panels = append(panels, mapPanel{title: fmt.Sprintf("component %d", k), z: z, kind: autoScale})
	}
	path := filepath.Join(b.TempDir(), "maps.png")
	if err := drawMapGrid(path, header{"Ten maps", "128 x 128 pixels"}, newScanGeom(n, n, multispectrum.PixelScan()), panels, nil, 0); err != nil {
		b.Fatal(err)
	}
	src, err := decodePNG(path)
	if err != nil {
		b.Fatal(err)
	}
	img := image.NewRGBA(src.Bounds())
	stddraw.Draw(img, img.Bounds(), src, image.Point{}, stddraw.Src)
	for _, c := range []struct {
		name   string
		encode func(w io.Writer, m image.Image) error
	}{
		{"image_png_BestSpeed", func(w io.Writer, m image.Image) error {
			return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, m)
		}},
		{"encodePNG", encodePNG},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size countingWriter
			for i := 0; i < b.N; i++ {
				size = 0
				if err := c.encode(&size, img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "bytes/file")
			b.SetBytes(int64(len(img.Pix)))
		})
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
