package main

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

var regen = flag.Bool("regen", false, "rewrite the golden files in testdata/")

// eelsh5 runs the CLI in-process and returns stdout, stderr and the exit code.
func eelsh5(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// golden compares got with testdata/name, rewriting it with -regen.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *regen {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -regen to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestHelpAndUsage(t *testing.T) {
	out, _, code := eelsh5(t, "--help")
	if code != 0 || !strings.Contains(out, "xsec") || !strings.Contains(out, "info") {
		t.Errorf("--help: code %d\n%s", code, out)
	}
	for _, args := range [][]string{{"nonsense"}, {"xsec", "--element", "C"}, {"info"}, {"--jobs", "x", "info", "f"}, {}} {
		_, errs, code := eelsh5(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errs)
		}
	}
	out, _, code = eelsh5(t, "version")
	if code != 0 || !strings.HasPrefix(out, "eelsh5 ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestXsecCSV(t *testing.T) {
	out, errs, code := eelsh5(t, "xsec", "--element", "C", "--edge", "K", "--E0", "300e3", "--alpha", "1e-9",
		"--beta", "20e-3", "--gos", "hydrogenic", "--range", "280:300:2.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	out = strings.Replace(out, version, "VERSION", 1)
	golden(t, "xsec_ck.golden", out)
}

func TestXsecErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--element", "Xx", "--edge", "K"}, 1, "unknown element"},
		{[]string{"--element", "Fe", "--edge", "K"}, 1, "Z = 1..22"},
		{[]string{"--element", "C", "--edge", "K", "--E0", "300"}, 2, "in volts"},
		{[]string{"--element", "C", "--edge", "K", "--beta", "20"}, 2, "in radians"},
		{[]string{"--element", "C", "--edge", "K", "--range", "300:200:1"}, 2, "start < stop"},
		{[]string{"--element", "C", "--edge", "K", "--gos", "kohl", "--gos-file", "/nonexistent.gosh"}, 1, "not found"},
	} {
		args := []string{"xsec", "--E0", "300e3", "--beta", "20e-3", "--range", "200:300:1"}
		args = append(args, c.args...)
		_, errs, code := eelsh5(t, args...)
		if code != c.code || !strings.Contains(errs, c.want) || !strings.HasPrefix(errs, "eelsh5: error: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}

func TestGOSListAndTables(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EELSH5_GOS_DIR", dir)
	t.Setenv("XDG_CONFIG_HOME", "/nonexistent/config")
	// The synthetic fixtures installed under the real databases' names.
	for src, dst := range map[string]string{"synthetic_dft.gosh": "Segger_Guzzinati_Kohl_1.5.0.gosh", "synthetic_dirac.gosh": "Dirac_GOS.gosh"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, dst), b, 0o644)
	}
	out, errs, code := eelsh5(t, "gos", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	out = strings.ReplaceAll(out, dir, "GOSDIR")
	golden(t, "gos_list.golden", out)
	out, errs, code = eelsh5(t, "xsec", "--element", "Ti", "--edge", "L", "--E0", "300e3", "--beta", "20e-3", "--gos", "kohl", "--range", "450:470:5")
	if code != 0 || !strings.Contains(out, "L3 onset 456 eV x0.666667; L2 onset 462 eV x0.333333; L1 onset 564 eV x1") {
		t.Errorf("kohl Ti L: exit %d %s\n%s", code, errs, out)
	}
}

// num prints numbers to the precision of their storage (7 significant
// digits, float32's), integers whole. The inputs are the float32 values
// of the decimals on the right.
func TestNum(t *testing.T) {
	f32 := func(v float64) float64 { return float64(float32(v)) }
	for _, test := range []struct {
		v    float64
		want string
	}{
		{f32(0.18), "0.18"},
		{f32(265.8), "265.8"},
		{f32(265.8) + 63*f32(0.18), "277.14"},
		{0.2999999, "0.2999999"}, // hl.msa's XPERCHAN, as written
		{-39.99999 + 1023*0.2999999, "266.8999"},
		{300e3, "300000"},
		{1.0000000000000003e-9, "1e-09"},
		{-5, "-5"},
		{0, "0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
	} {
		if got := num(test.v); got != test.want {
			t.Errorf("num(%v) = %q, want %q", test.v, got, test.want)
		}
	}
	if got, want := axisText(multispectrum.EnergyAxis{Offset: f32(265.8), Dispersion: f32(0.18), Size: 2048}), "2048 channels from 265.8 eV, 0.18 eV/channel"; got != want {
		t.Errorf("axisText = %q, want %q", got, want)
	}
}

func TestInfo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.nxs")
	f, err := h5io.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// Calibrations as float32 files store them (issue 15): info prints
	// 0.9 mrad and 265.8 .. 277.14 eV, not 0.8999999845 and
	// 265.800003237724 .. 277.1400077.
	f32 := func(v float64) float64 { return float64(float32(v)) }
	f.InitProcessingFile("info test", "eelsh5 test", multispectrum.Instrument{BeamEnergy: 300e3, Convergence: f32(0.9e-3), Collection: 20e-3, DwellTime: 0.01}, when)
	d, _ := f.CreateCube(h5io.CoreLossPath, h5io.CubeSpec{NY: 3, NX: 4, Axis: multispectrum.EnergyAxis{Offset: f32(265.8), Dispersion: f32(0.18), Size: 64}})
	d.Close()
	step, _ := f.BeginStep("demo", &multispectrum.Provenance{Program: "eelsh5 demo", Version: "test", CommandLine: []string{"eelsh5", "demo"},
		Params: map[string]any{"size": 3}, Created: when}, false)
	step.Commit("")
	f.Close()
	out, errs, code := eelsh5(t, "info", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "info.golden", strings.Replace(out, path, "FILE", 1))
	out, _, code = eelsh5(t, "info", "--json", path)
	if code != 0 || !strings.Contains(out, `"nx_class": "NXprocess"`) {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
	_, errs, code = eelsh5(t, "info", filepath.Join(t.TempDir(), "missing.nxs"))
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func rawCoreInstrument() multispectrum.Instrument {
	return multispectrum.Instrument{BeamEnergy: 300e3, Convergence: 1e-9, Collection: 20e-3, DwellTime: math.NaN()}
}

// rescan returns the pixels of c arranged as an ny x nx scan (ny*nx
// must equal c's pixel count).
func rescan(c *multispectrum.Cube, ny, nx int) *multispectrum.Cube {
	out := multispectrum.NewCube(ny, nx, c.Axis)
	copy(out.Data, c.Data)
	return out
}
