package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
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
