package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/formats/msa"
	"github.com/eelsh5/eelsh5/formats/tiff"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// exportQuantFile simulates an 8x8 seed scan and quantifies it: a real
// alignment and quant step to export from.
func exportQuantFile(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "q.nxs")
	for _, args := range [][]string{{"simulate", path, "--size", "8"}, {"quant", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}} {
		if _, errs, code := eelsh5(t, append(args, "-q")...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	return path
}

// exportMapsFixture writes a processing file whose step "fit" holds a
// calibrated (2.5 nm pixels, origin x 10 nm, y 20 nm) 3x4 map stack of
// two components with errors, values 100 k + 10 y + x + 0.125 (pixel
// (1, 2) of component 1 NaN, as failed pixels are), a status map (int8)
// and a mean spectrum of three curves on 5 channels from 100 eV in 0.5 eV
// steps.
func exportMapsFixture(t *testing.T, path string) {
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
	inst := multispectrum.UnknownInstrument()
	inst.BeamEnergy = 200e3
	must(f.InitProcessingFile("export fixture", "eelsh5 test", inst, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	const ny, nx = 3, 4
	scan := multispectrum.ScanCalibration{Y0: 20, X0: 10, Step: 2.5, Units: "nm"}
	d, de, err := f.CreateStack("/entry/fit/elements", h5io.StackSpec{NY: ny, NX: nx, Names: []string{"C K", "Fe L"}, Signal: "elements",
		Units: "atoms/nm^2", LongName: "areal density", Errors: true, Scan: scan})
	must(err)
	a := multispectrum.NewArray(ny, nx, 2)
	for y := range ny {
		for x := range nx {
			for k := range 2 {
				a.Pixel(y, x)[k] = float64(100*k+10*y+x) + 0.125
			}
		}
	}
	a.Pixel(1, 2)[1] = math.NaN()
	must(d.WriteRegion(a.Bounds(), a.Data))
	for i := range a.Data {
		a.Data[i] /= 8
	}
	must(de.WriteRegion(a.Bounds(), a.Data))
	d.Close()
	de.Close()
	st, err := f.CreateMap("/entry/fit/status", h5io.MapSpec{NY: ny, NX: nx, Signal: "status", LongName: "fit status", DType: h5io.Int8, Codes: "0 ok, 1 bad", Scan: scan})
	must(err)
	s := make([]float64, ny*nx)
	s[5] = 1
	must(st.WriteRegion(multispectrum.Region{NY: ny, NX: nx}, s))
	st.Close()
	axis := multispectrum.EnergyAxis{Offset: 100, Dispersion: 0.5, Size: 5}
	must(f.WriteSpectra("/entry/fit/mean_spectrum", axis, []h5io.Curve{
		{Name: "data", Values: []float64{10, 11, 12.5, 13, 14}, LongName: "mean data"},
		{Name: "model", Values: []float64{10.5, 11, 12, 13.25, 14}, LongName: "mean fitted model"},
		{Name: "C_K", Values: []float64{0, 0, 1, 2, 3}, LongName: "C K edge"},
	}))
}

// readTIFF reads an exported TIFF with formats/tiff.
func readTIFF(t *testing.T, path string) *tiff.File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := tiff.Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// storedMaps reads a map stack or map of a processing file as images
// (component-major) with the component names.
func storedMaps(t *testing.T, path, dataset string, stack bool) ([][]float64, []string, int, int) {
	t.Helper()
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var a *multispectrum.Array
	var names []string
	if stack {
		a, names, err = f.ReadStack(dataset)
	} else {
		a, err = f.ReadMap(dataset)
		names = []string{filepath.Base(dataset)}
	}
	if err != nil {
		t.Fatal(err)
	}
	imgs := make([][]float64, a.Width)
	for k := range imgs {
		imgs[k] = make([]float64, a.NY*a.NX)
		for p := range imgs[k] {
			imgs[k][p] = a.Data[p*a.Width+k]
		}
	}
	return imgs, names, a.NY, a.NX
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// TestExportMapsTIFF exports every map stack and map of a quant step and
// the alignment's shift map as TIFF and reads them back with formats/tiff:
// one float32 page per component, named after it, equal to the stored
// map rounded to float32, laid out as an ImageJ stack.
func TestExportMapsTIFF(t *testing.T) {
	dir := t.TempDir()
	path := exportQuantFile(t, dir)
	for _, test := range []struct {
		step, dataset, stored string
		stack                 bool
	}{
		{"quant", "composition", "/entry/quant/composition/composition", true},
		{"quant", "composition_errors", "/entry/quant/composition/composition_errors", true},
		{"quant", "elements", "/entry/quant/elements/elements", true},
		{"quant", "elements/elements_errors", "/entry/quant/elements/elements_errors", true},
		{"quant", "coefficients", "/entry/quant/coefficients/coefficients", true},
		{"quant", "crlb", "/entry/quant/crlb/crlb", true},
		{"quant", "chi2", "/entry/quant/chi2/chi2", false},
		{"quant", "status", "/entry/quant/status/status", false},
		{"alignment", "shifts", "/entry/alignment/shifts/shift", false},
		{"simulate", "truth/maps", "/entry/simulate/truth/maps", true},
		{"quant", "", "/entry/quant/composition/composition", true}, // the step's default
	} {
		out := filepath.Join(dir, strings.ReplaceAll(test.step+"_"+test.dataset, "/", "_")+".tif")
		args := []string{"export", path, test.step, "-o", out, "--format", "tiff", "-q"}
		if test.dataset != "" {
			args = append(args, "--dataset", test.dataset)
		}
		if _, errs, code := eelsh5(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		want, names, ny, nx := storedMaps(t, path, test.stored, test.stack)
		f := readTIFF(t, out)
		if len(f.Pages) != len(want) {
			t.Fatalf("%s: %d pages, want %d", test.dataset, len(f.Pages), len(want))
		}
		for k, p := range f.Pages {
			if p.Width != nx || p.Height != ny || p.BitsPerSample != 32 || p.SampleFormat != 3 {
				t.Errorf("%s page %d: %dx%d, %d bits, format %d", test.dataset, k, p.Width, p.Height, p.BitsPerSample, p.SampleFormat)
			}
			if test.dataset == "truth/maps" {
				names = []string{"C", "N", "O", "Fe"} // truth/element_names of the seed scenario
			}
			if test.stack && p.Name != names[k] || !test.stack && p.Name != names[0] {
				t.Errorf("%s page %d: name %q, want %q", test.dataset, k, p.Name, names[k])
			}
			for i, v := range p.Pix {
				if w := float64(float32(want[k][i])); !sameFloat(v, w) {
					t.Fatalf("%s page %d pixel %d: %v, want %v", test.dataset, k, i, v, w)
				}
			}
		}
		if len(want) > 1 && (f.ImageJ["images"] != strconv.Itoa(len(want)) || f.ImageJ["slices"] != strconv.Itoa(len(want))) || len(f.Labels) != len(want) {
			t.Errorf("%s: ImageJ header %v, %d labels", test.dataset, f.ImageJ, len(f.Labels))
		}
		// The simulated scan is uncalibrated: no resolution tags.
		if size, unit := f.PixelSize(); size != 0 || unit != "" {
			t.Errorf("%s: pixel size %v %q on a pixel scan", test.dataset, size, unit)
		}
	}
	// The composition's labels carry the component and the units.
	f := readTIFF(t, filepath.Join(dir, "quant_composition.tif"))
	if f.Labels[0] != "C K: relative composition (at.%)" || f.Pages[3].Description != "Fe L: relative composition (at.%)" {
		t.Errorf("labels %q, page 3 %q", f.Labels, f.Pages[3].Description)
	}
}

// TestExportCalibratedMaps: the scan calibration reaches the TIFF (pixel
// size, unit, origin), the HyperSpy stack (axes) and status codes reach the
// page description; a single map is a HyperSpy image without navigation.
func TestExportCalibratedMaps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.nxs")
	exportMapsFixture(t, path)
	run := func(args ...string) {
		t.Helper()
		if _, errs, code := eelsh5(t, append(append([]string{"export", path, "fit"}, args...), "-q")...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
	}
	tif := filepath.Join(dir, "e.tif")
	run("--dataset", "elements_errors", "--format", "tiff", "-o", tif)
	f := readTIFF(t, tif)
	size, unit := f.PixelSize()
	x0, y0 := f.Origin()
	if size != 2.5 || unit != "nm" || x0 != 10 || y0 != 20 {
		t.Errorf("calibration %v %q, origin %v, %v", size, unit, x0, y0)
	}
	if len(f.Pages) != 2 || f.Pages[1].Pix[1*4+2] == f.Pages[1].Pix[1*4+2] || f.Pages[1].Pix[0] != 100.125/8 || f.Pages[0].Pix[11] != (23.125/8) {
		t.Errorf("values %v / %v", f.Pages[0].Pix, f.Pages[1].Pix)
	}
	if f.Labels[1] != "Fe L: areal density (atoms/nm^2)" {
		t.Errorf("labels %q", f.Labels)
	}
	run("--dataset", "status", "--format", "tiff", "-o", filepath.Join(dir, "s.tif"))
	f = readTIFF(t, filepath.Join(dir, "s.tif"))
	if len(f.Pages) != 1 || f.Pages[0].Pix[5] != 1 || f.Labels[0] != "status: fit status; codes 0 ok, 1 bad" {
		t.Errorf("status: %v, labels %q", f.Pages[0].Pix, f.Labels)
	}

	for _, test := range []struct {
		dataset string
		dims    string
		axes    []string // name:size:scale:offset:units:navigate of axis-0...
	}{
		{"elements", "[2 3 4]", []string{"component:2:1:0::1", "y:3:2.5:20:nm:0", "x:4:2.5:10:nm:0"}},
		{"status", "[3 4]", []string{"y:3:2.5:20:nm:0", "x:4:2.5:10:nm:0"}},
	} {
		out := filepath.Join(dir, test.dataset+".hspy")
		run("--dataset", test.dataset, "--format", "hspy", "-o", out)
		h, err := h5io.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		g := "/Experiments/" + test.dataset
		data, dims, err := h.ReadFloats(g + "/data")
		if err != nil || fmt.Sprint(dims) != test.dims {
			t.Fatalf("%s: %v %v", test.dataset, dims, err)
		}
		nodes, _ := h.Walk()
		attrs := map[string]map[string]any{}
		for _, n := range nodes {
			attrs[n.Path] = n.Attrs
		}
		for k, want := range test.axes {
			a := attrs[fmt.Sprintf("%s/axis-%d", g, k)]
			units, _ := a["units"].(string)
			got := fmt.Sprintf("%v:%v:%v:%v:%s:%v", a["name"], a["size"], a["scale"], a["offset"], units, a["navigate"])
			if got != want {
				t.Errorf("%s axis-%d: %s, want %s", test.dataset, k, got, want)
			}
		}
		h.Close()
		if test.dataset == "elements" {
			for i, v := range data {
				k, p := i/12, i%12
				want := float64(100*k+10*(p/4)+p%4) + 0.125
				if k == 1 && p == 6 {
					want = math.NaN()
				}
				if !sameFloat(v, want) {
					t.Fatalf("elements value %d: %v, want %v", i, v, want)
				}
			}
		} else if data[5] != 1 || data[0] != 0 {
			t.Errorf("status values %v", data)
		}
	}
}

// TestExportSpectra exports a 1-D dataset: every curve as CSV columns, one
// curve as MSA (read back by formats/msa) and as a HyperSpy spectrum
// (read back by h5io.OpenSignal), all equal to the stored curves.
func TestExportSpectra(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.nxs")
	exportMapsFixture(t, path)
	run := func(args ...string) string {
		t.Helper()
		out := filepath.Join(dir, args[0])
		if _, errs, code := eelsh5(t, append([]string{"export", path, "fit", "-o", out, "-q"}, args[1:]...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return out
	}
	b, _ := os.ReadFile(run("ms.csv", "--dataset", "mean_spectrum", "--format", "csv"))
	r := csv.NewReader(bytes.NewReader(b))
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"energy_eV", "data", "model", "C_K"}, {"100", "10", "10.5", "0"}, {"100.5", "11", "11", "0"}, {"101", "12.5", "12", "1"},
		{"101.5", "13", "13.25", "2"}, {"102", "14", "14", "3"}}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("csv %v, want %v", rows, want)
	}
	b, _ = os.ReadFile(run("model.csv", "--dataset", "mean_spectrum/model", "--format", "csv"))
	if !strings.Contains(string(b), "energy_eV,model\n100,10.5\n") {
		t.Errorf("model csv %q", b)
	}
	for _, test := range []struct {
		dataset string
		want    []float64
	}{
		{"mean_spectrum", []float64{10, 11, 12.5, 13, 14}},
		{"mean_spectrum/model", []float64{10.5, 11, 12, 13.25, 14}},
	} {
		mf, err := os.Open(run("s.msa", "--dataset", test.dataset, "--format", "msa", "--overwrite"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := msa.Read(mf)
		mf.Close()
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Signal()
		if err != nil || fmt.Sprint(s.Values) != fmt.Sprint(test.want) || sig.Axis.Offset != 100 || sig.Axis.Dispersion != 0.5 || sig.Instrument.BeamEnergy != 200e3 {
			t.Errorf("%s msa: %v %+v %v", test.dataset, s.Values, sig, err)
		}
		hs := run(strings.ReplaceAll(test.dataset, "/", "_")+".hspy", "--dataset", test.dataset, "--format", "hspy")
		hsig, closeFn, err := h5io.OpenSignal(hs, h5io.SignalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, 5)
		err = hsig.Data.ReadRegion(got, multispectrum.Region{NY: 1, NX: 1})
		closeFn()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(test.want) || hsig.Axis != (multispectrum.EnergyAxis{Offset: 100, Dispersion: 0.5, Size: 5}) || hsig.SignalType != "EELS" {
			t.Errorf("%s hspy: %v %+v %v", test.dataset, got, hsig, err)
		}
	}
}

// TestExportRefusals: every refused export says why on one line, with
// exit status 2 for a format or flag that does not fit the dataset and 1
// for missing data or an existing output, and writes nothing.
func TestExportRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.nxs")
	exportMapsFixture(t, path)
	existing := filepath.Join(dir, "old.tif")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(dir, "raw.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"hyperspy_eels_si.hspy", "-o", raw, "-q"); code != 0 {
		t.Fatal(errs)
	}
	for _, test := range []struct {
		file string
		args []string
		code int
		want string
	}{
		{path, []string{"fit", "--dataset", "elements", "--format", "msa"}, 2, "elements is a map stack (2, 3, 4): export it with --format tiff, hspy or csv"},
		{path, []string{"fit", "--dataset", "status", "--format", "msa"}, 2, "status is a map (3, 4): export it with --format tiff, hspy or csv"},
		{path, []string{"fit", "--dataset", "mean_spectrum", "--format", "tiff"}, 2, "mean_spectrum is a 1-D dataset (5): export it with --format msa, csv or hspy"},
		{raw, []string{"raw", "--format", "tiff"}, 2, "coreloss is a spectrum image (4, 5, 256): export it with --format hspy, msa or csv"},
		{path, []string{"fit", "--dataset", "elements", "--format", "csv", "--pixel", "0,0"}, 2, "--pixel is for msa and csv spectra of a spectrum image"},
		{raw, []string{"raw", "--format", "msa", "--pixel", "4,0"}, 2, "--pixel 4,0: outside the 4x5 scan"},
		{path, []string{"fit", "--dataset", "composition", "--format", "tiff"}, 1, `/entry/fit has no dataset "composition" (it has: elements, elements_errors, mean_spectrum, status)`},
		{path, []string{"fit", "--dataset", "mean_spectrum/energy_loss", "--format", "csv"}, 1, "is 1-D but not a spectrum on an energy_loss axis"},
		{path, []string{"quant", "--dataset", "elements", "--format", "tiff"}, 1, "has no step /entry/quant"},
		{path, []string{"fit", "--dataset", "elements", "--format", "tiff", "-o", existing}, 1, `output "` + existing + `" exists (use --overwrite to replace it)`},
		{path, []string{"fit", "--dataset", "elements", "--format", "tiff", "-o", dir}, 2, `output "` + dir + `" is a directory`},
		{path, []string{"fit", "--dataset", "elements", "--format", "tiff", "-o", filepath.Join(dir, "no", "x.tif")}, 1, "does not exist"},
	} {
		out := filepath.Join(dir, "out.x")
		args := append([]string{"export", test.file}, test.args...)
		if !strings.Contains(strings.Join(test.args, " "), "-o ") {
			args = append(args, "-o", out)
		}
		_, errs, code := eelsh5(t, args...)
		first, _, _ := strings.Cut(errs, "\n")
		if code != test.code || !strings.HasPrefix(first, "eelsh5: error: ") || !strings.Contains(first, test.want) {
			t.Errorf("%v: exit %d, %q; want exit %d and %q", test.args, code, errs, test.code, test.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: wrote %s", test.args, out)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("existing output changed: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".partial") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	// --overwrite replaces it.
	if _, errs, code := eelsh5(t, "export", path, "fit", "--dataset", "elements", "--format", "tiff", "-o", existing, "--overwrite", "-q"); code != 0 {
		t.Errorf("--overwrite: %s", errs)
	}
	if f := readTIFF(t, existing); len(f.Pages) != 2 {
		t.Errorf("overwritten output has %d pages", len(f.Pages))
	}
}

// TestHyperSpyLoadsExportedMaps extends the HyperSpy interoperability
// test (TestHyperSpyLoadsOurFiles) to map exports: HyperSpy 1.7's hs.load
// reads the .hspy map stack of a quant step as a Signal2D with the
// component axis and the stored values, a single map without navigation,
// and the mean spectrum; tifffile reads the TIFF stack as an ImageJ
// hyperstack of the same values in float32. Skipped without HyperSpy.
func TestHyperSpyLoadsExportedMaps(t *testing.T) {
	py := hyperspyPython(t)
	dir := t.TempDir()
	path := exportQuantFile(t, dir)
	outs := map[string]string{}
	for _, e := range [][]string{{"comp.hspy", "composition", "hspy"}, {"comp.tif", "composition", "tiff"}, {"chi2.hspy", "chi2", "hspy"}, {"ms.hspy", "mean_spectrum", "hspy"}} {
		outs[e[0]] = filepath.Join(dir, e[0])
		if _, errs, code := eelsh5(t, "export", path, "quant", "--dataset", e[1], "--format", e[2], "-o", outs[e[0]], "-q"); code != 0 {
			t.Fatalf("%v: %s", e, errs)
		}
	}
	// The stored values, as JSON (NaN as null), for Python to compare.
	comp, names, ny, nx := storedMaps(t, path, "/entry/quant/composition/composition", true)
	chi2, _, _, _ := storedMaps(t, path, "/entry/quant/chi2/chi2", false)
	h, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mean, _, err := h.ReadFloats("/entry/quant/mean_spectrum/data")
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	nullNaN := func(v [][]float64) [][]any {
		out := make([][]any, len(v))
		for i, row := range v {
			out[i] = make([]any, len(row))
			for j, x := range row {
				if !math.IsNaN(x) {
					out[i][j] = x
				}
			}
		}
		return out
	}
	ref, _ := json.Marshal(map[string]any{"comp": nullNaN(comp), "names": names, "ny": ny, "nx": nx, "chi2": nullNaN(chi2)[0], "mean": mean})
	refPath := filepath.Join(dir, "ref.json")
	if err := os.WriteFile(refPath, ref, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, json, warnings
warnings.filterwarnings("ignore")
import numpy as np
import hyperspy.api as hs
import tifffile
d = sys.argv[1]
ref = json.load(open(d + "/ref.json"))
ny, nx = ref["ny"], ref["nx"]
comp = np.array([[np.nan if v is None else v for v in img] for img in ref["comp"]]).reshape(-1, ny, nx)
s = hs.load(d + "/comp.hspy")
assert s.__class__.__name__ == "Signal2D", type(s)
assert s.data.shape == comp.shape and s.data.dtype == np.float64, (s.data.shape, s.data.dtype)
assert np.array_equal(s.data, comp, equal_nan=True)
(c,) = s.axes_manager.navigation_axes
x, y = s.axes_manager.signal_axes
assert c.name == "component" and c.size == len(ref["names"]) and (x.size, y.size) == (nx, ny), (c, x, y)
assert x.scale == 1 and y.offset == 0, (x.scale, y.offset)
assert s.original_metadata.eelsh5.component_names == ref["names"], s.original_metadata
assert s.metadata.Signal.quantity == "relative composition (at.%)", s.metadata.Signal
m = hs.load(d + "/chi2.hspy")
chi2 = np.array([np.nan if v is None else v for v in ref["chi2"]]).reshape(ny, nx)
assert m.axes_manager.navigation_dimension == 0 and np.array_equal(m.data, chi2, equal_nan=True), m
e = hs.load(d + "/ms.hspy")
assert e.__class__.__name__ == "EELSSpectrum" and np.array_equal(e.data, np.array(ref["mean"])), e
with tifffile.TiffFile(d + "/comp.tif") as t:
    assert t.is_imagej
    a = t.series[0].asarray()
    assert a.dtype == np.float32 and t.series[0].axes == "ZYX", (a.dtype, t.series[0].axes)
    assert np.array_equal(a, comp.astype(np.float32), equal_nan=True)
    assert [l.split(":")[0] for l in t.imagej_metadata["Labels"]] == ref["names"], t.imagej_metadata
print("ok", s, m, e)
`
	out, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("HyperSpy/tifffile check failed: %v\n%s", err, out)
	}
	t.Logf("HyperSpy: %s", strings.TrimSpace(string(out)))
}
