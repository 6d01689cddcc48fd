package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
)

const fixtures = "../../testdata/formats/"

// TestImportFixtures imports every fixture (testdata/formats, expected
// outcomes from shared/testdata/README.md): EELS data load with their
// shapes and calibrations; other data are refused with the reason.
func TestImportFixtures(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file       string
		ny, nx, ne int
		offset     float64
		refuse     string
	}{
		{file: "dm3_eels_spectrum.dm3", ny: 1, nx: 1, ne: 2048, offset: -100},
		{file: "dm4_eels_spectrum_image.dm4", ny: 2, nx: 2, ne: 2048, offset: 300},
		{file: "msa_example1_eels_xy.msa", ny: 1, nx: 1, ne: 21, offset: 520.13},
		{file: "hl.msa", ny: 1, nx: 1, ne: 1024, offset: 357.5},
		{file: "ll.msa", ny: 1, nx: 1, ne: 1024, offset: -39.99999},
		{file: "hyperspy_eels_si.hspy", ny: 4, nx: 5, ne: 256, offset: 250},
		{file: "hyperspy_eels_1d.hspy", ny: 1, nx: 1, ne: 64, offset: -5},
		{file: "multi.hdf5", ny: 4, nx: 2, ne: 100, offset: 100},
		{file: "simulated_C_edge.hdf5", ny: 1, nx: 1, ne: 2048, offset: 150},
		{file: "ll_simulated_C_edge.hdf5", ny: 1, nx: 1, ne: 2048, offset: -100},
		{file: "dm3_stem_image.dm3", refuse: "2-D image (68x68, uint32) without spectrum/spectrum-image tags"},
		{file: "dm3_3d_image_stack.dm3", refuse: "3-D image stack"},
		{file: "dm4_3d_image_stack.dm4", refuse: "3-D image stack"},
		{file: "dm3_multi_image.dm3", refuse: "no EELS image among 2 images"},
		{file: "dm4_cl_linescan_si.dm4", refuse: "signal type CL"},
		{file: "dm3_1d_float32_uncalibrated.dm3", refuse: "not calibrated in eV"},
		{file: "dm4_1d_float32_uncalibrated.dm4", refuse: "not calibrated in eV"},
		{file: "msa_example2_eds_y.msa", refuse: "signal type EDS, not EELS"},
	} {
		out := filepath.Join(dir, c.file+".nxs")
		_, errs, code := eelsh5(t, "import", fixtures+c.file, "-o", out, "-q")
		if c.refuse != "" {
			if code != 1 || !strings.Contains(errs, c.refuse) || strings.Count(errs, "\n") != 1 {
				t.Errorf("%s: exit %d, stderr %q; want a one-line refusal with %q", c.file, code, errs, c.refuse)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: output written", c.file)
			}
			continue
		}
		if code != 0 {
			t.Errorf("%s: exit %d: %s", c.file, code, errs)
			continue
		}
		f, err := h5io.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		cube, err := f.ReadCube(h5io.CoreLossPath)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := f.ReadStrings("/entry/import/source_sha256")
		f.Close()
		if cube.NY != c.ny || cube.NX != c.nx || cube.Axis.Size != c.ne || !near6(cube.Axis.Offset, c.offset) || len(src) != 1 || len(src[0]) != 64 {
			t.Errorf("%s: %dx%d %v sha %v", c.file, cube.NY, cube.NX, cube.Axis, src)
		}
	}
	// An uncalibrated spectrum imports with an explicit calibration.
	out := filepath.Join(dir, "cal.nxs")
	if _, errs, code := eelsh5(t, "import", fixtures+"dm4_1d_float32_uncalibrated.dm4", "-o", out, "-q", "--energy", "100:0.5", "--E0", "200e3"); code != 0 {
		t.Errorf("--energy: %s", errs)
	}
	// Core and low loss together: mismatched scans are refused.
	if _, errs, code := eelsh5(t, "import", fixtures+"hyperspy_eels_si.hspy", "--lowloss", fixtures+"dm3_eels_spectrum.dm3", "-o", filepath.Join(dir, "m.nxs"), "-q"); code != 1 || !strings.Contains(errs, "is 1x1 but the core loss") {
		t.Errorf("mismatched scans: %d %s", code, errs)
	}
	if _, errs, code := eelsh5(t, "import", fixtures+"hl.msa", "--lowloss", fixtures+"ll.msa", "-o", filepath.Join(dir, "hl.nxs"), "-q"); code != 0 {
		t.Errorf("hl + ll: %s", errs)
	}
}

func near6(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-6*(1+max(a, -a))
}

// TestRoundTrip: import -> export .hspy -> import gives identical data
// and axes (issue 8), for a DM4 SI, a HyperSpy SI and a 1-D spectrum;
// MSA export -> import too.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{"dm4_eels_spectrum_image.dm4", "hyperspy_eels_si.hspy", "dm3_eels_spectrum.dm3"} {
		a := filepath.Join(dir, src+".a.nxs")
		h := filepath.Join(dir, src+".hspy")
		b := filepath.Join(dir, src+".b.nxs")
		for _, args := range [][]string{{"import", fixtures + src, "-o", a}, {"export", a, "raw", "-o", h, "--format", "hspy"}, {"import", h, "-o", b}} {
			if _, errs, code := eelsh5(t, append(args, "-q")...); code != 0 {
				t.Fatalf("%v: %s", args, errs)
			}
		}
		fa, _ := h5io.Open(a)
		fb, _ := h5io.Open(b)
		ca, err1 := fa.ReadCube(h5io.CoreLossPath)
		cb, err2 := fb.ReadCube(h5io.CoreLossPath)
		ia, _ := fa.ReadInstrument()
		ib, _ := fb.ReadInstrument()
		_, infoA, _ := fa.OpenCube(h5io.CoreLossPath)
		_, infoB, _ := fb.OpenCube(h5io.CoreLossPath)
		fa.Close()
		fb.Close()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if ca.Axis != cb.Axis || ca.NY != cb.NY || ca.NX != cb.NX || !slices.Equal(ca.Data, cb.Data) {
			t.Errorf("%s: round trip differs: %v vs %v", src, ca.Axis, cb.Axis)
		}
		if infoA.Scan != infoB.Scan && ca.NY*ca.NX > 1 {
			t.Errorf("%s: scan axes %+v vs %+v", src, infoA.Scan, infoB.Scan)
		}
		if ia.BeamEnergy != ib.BeamEnergy || !near6(ia.Convergence, ib.Convergence) {
			t.Errorf("%s: instrument %+v vs %+v", src, ia, ib)
		}
	}
	// MSA: export the mean of hl.msa and import it again.
	a := filepath.Join(dir, "hl.nxs")
	m := filepath.Join(dir, "hl_out.msa")
	b := filepath.Join(dir, "hl2.nxs")
	for _, args := range [][]string{{"import", fixtures + "hl.msa", "-o", a}, {"export", a, "raw", "-o", m, "--format", "msa"}, {"import", m, "-o", b}} {
		if _, errs, code := eelsh5(t, append(args, "-q")...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	fa, _ := h5io.Open(a)
	fb, _ := h5io.Open(b)
	ca, _ := fa.ReadCube(h5io.CoreLossPath)
	cb, _ := fb.ReadCube(h5io.CoreLossPath)
	fa.Close()
	fb.Close()
	if ca.Axis != cb.Axis || !slices.Equal(ca.Data, cb.Data) {
		t.Errorf("msa round trip differs")
	}
	// CSV export of a spectrum and refusal of a stack as hspy.
	csv := filepath.Join(dir, "p.csv")
	if _, errs, code := eelsh5(t, "export", a, "raw", "-o", csv, "--format", "csv", "--pixel", "0,0", "-q"); code != 0 {
		t.Errorf("csv: %s", errs)
	}
	if b, _ := os.ReadFile(csv); !strings.Contains(string(b), "energy_eV,counts\n357.5,32830\n") {
		t.Errorf("csv content: %.200s", b)
	}
}

// hyperspyPython returns Debian's python3 when it can import HyperSpy.
func hyperspyPython(t *testing.T) string {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import hyperspy").Run(); err != nil {
		t.Skip("HyperSpy not installed (Debian package python3-hyperspy)")
	}
	return py
}

// TestHyperSpyLoadsOurFiles: HyperSpy 1.7 loads an exported .hspy with
// the right axes, values and EELS metadata, and reads the processing
// file's cubes through its NeXus reader (issue 8).
func TestHyperSpyLoadsOurFiles(t *testing.T) {
	py := hyperspyPython(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "a.nxs")
	h := filepath.Join(dir, "a.hspy")
	for _, args := range [][]string{{"import", fixtures + "hyperspy_eels_si.hspy", "-o", a}, {"export", a, "raw", "-o", h, "--format", "hspy"}} {
		if _, errs, code := eelsh5(t, append(args, "-q")...); code != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	script := `
import sys, warnings
warnings.filterwarnings("ignore")
import hyperspy.api as hs
s = hs.load(sys.argv[1])
assert s.__class__.__name__ == "EELSSpectrum", type(s)
assert s.data.shape == (4, 5, 256), s.data.shape
e = s.axes_manager.signal_axes[0]
assert abs(e.scale - 0.25) < 1e-12 and abs(e.offset - 250) < 1e-12 and e.units == "eV", (e.scale, e.offset, e.units)
x, y = s.axes_manager.navigation_axes
assert (x.size, y.size) == (5, 4) and abs(x.offset - 10) < 1e-12 and abs(y.offset - 20) < 1e-12 and x.units == "nm", (x, y)
assert float(s.data[2, 1, 17]) == 21017.0, s.data[2, 1, 17]
tem = s.metadata.Acquisition_instrument.TEM
assert tem.beam_energy == 200 and tem.convergence_angle == 21 and tem.Detector.EELS.collection_angle == 62, tem
ss = hs.load(sys.argv[2])
ss = ss if isinstance(ss, list) else [ss]
core = [t for t in ss if t.data.shape == (4, 5, 256)]
assert core, [t.data.shape for t in ss]
c = core[0]
ea = c.axes_manager.signal_axes[0]
assert abs(ea.scale - 0.25) < 1e-9 and abs(ea.offset - 250) < 1e-9, (ea.scale, ea.offset)
assert float(c.data[3, 4, 255]) == 34255.0
print("ok", len(ss), "signals")
`
	out, err := exec.Command(py, "-c", script, h, a).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("HyperSpy check failed: %v\n%s", err, out)
	}
	t.Logf("HyperSpy: %s", strings.TrimSpace(string(out)))
}
