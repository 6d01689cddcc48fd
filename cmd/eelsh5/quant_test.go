package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
)

// quantRatios runs quant on path and returns the summary.
func quantRatios(t *testing.T, path string, args ...string) *quantSummary {
	t.Helper()
	out, errs, code := eelsh5(t, append([]string{"quant", path, "-q", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}, args...)...)
	if code != 0 {
		t.Fatalf("quant %v: exit %d: %s", args, code, errs)
	}
	t.Logf("quant %v:\n%s", args, out)
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	step := "quant"
	for i, a := range args {
		if a == "--step" {
			step = args[i+1]
		}
	}
	var s quantSummary
	if err := f.ReadNote("/entry/"+step+"/summary", &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestQuantSeedScenario quantifies the seed simulation (128 x 128,
// ALGORITHMS.md 8) and reports the recovered N/C, O/C and Fe/C ratios in
// every region against the truth (issue 7). With the reference's 4-term
// background the ratios are biased by 3-8%: the simulator's background
// is a power law of E + 99.5 eV (relabelled, ALGORITHMS.md 8.3), which
// four power laws of E/205 eV cannot follow; noise-free data show the
// same bias, and Poisson ML does not remove it. With 6 terms the bias of
// the ratio of mean amplitudes is below 2% in every region, and the
// pixel-to-pixel spread of each ratio equals its propagated uncertainty
// within 15%.
func TestQuantSeedScenario(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("the full seed scenario is too slow under the race detector")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "-q"); code != 0 {
		t.Fatal(errs)
	}
	four := quantRatios(t, path, "--step", "quant4")
	six := quantRatios(t, path, "--step", "quant6", "--background-terms", "6")
	worst4 := 0.0
	for _, r := range four.Regions {
		for _, st := range r.Ratios {
			if st.Bias != nil {
				worst4 = math.Max(worst4, math.Abs(*st.Bias))
			}
		}
	}
	if worst4 < 2 {
		t.Errorf("4-term background: worst bias %.2f%%; the documented mismatch has gone?", worst4)
	}
	regions := 0
	for _, r := range six.Regions {
		for name, st := range r.Ratios {
			if st.Truth == 0 {
				continue
			}
			regions++
			if math.Abs(*st.Bias) > 2 {
				t.Errorf("%s %s: bias %.2f%% with 6 background terms", r.Name, name, *st.Bias)
			}
			if q := st.PerPixel.Std / st.PerPixel.MeanSD; math.Abs(q-1) > 0.15 {
				t.Errorf("%s %s: spread %.4g vs propagated %.4g", r.Name, name, st.PerPixel.Std, st.PerPixel.MeanSD)
			}
		}
	}
	if regions != 5 {
		t.Errorf("%d region ratios with a non-zero truth, want 5 (N square, N rectangle, ring O and Fe, disc Fe)", regions)
	}
}

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
	var s quantSummary
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
		{[]string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--region", "r=0:99,0:4", "--step", "q2"}, 1, "outside"},
		{[]string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}, 1, "--overwrite"},
	} {
		_, errs, code := eelsh5(t, append([]string{"quant", path, "-q"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
}
