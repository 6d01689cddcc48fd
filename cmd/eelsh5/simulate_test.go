package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/simulate"
)

func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.nxs")
	_, errs, code := eelsh5(t, "simulate", a, "--size", "12", "--seed", "7", "-j", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "eelsh5 simulate: 144 spectra in") || !strings.Contains(errs, "peak memory") {
		t.Errorf("no summary line: %q", errs)
	}
	f, err := h5io.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	core, err := f.ReadCube(h5io.CoreLossPath)
	if err != nil {
		t.Fatal(err)
	}
	low, err := f.ReadCube(h5io.LowLossPath)
	if err != nil {
		t.Fatal(err)
	}
	// Integer shifts of up to 5 channels crop 5 channels at each end.
	if core.NY != 12 || core.Axis.Size != 2038 || core.Axis.Offset != 202.5 || low.Axis.Offset != -7.5 {
		t.Errorf("core %dx%d %v, low %v", core.NY, core.NX, core.Axis, low.Axis)
	}
	maps, names, err := f.ReadStack("/entry/simulate/truth/maps")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := simulate.SeedMaps(12)
	if !slices.Equal(maps.Data, want.Data) || names != nil && len(names) != 0 {
		t.Errorf("truth maps differ from the seed maps")
	}
	if el, _ := f.ReadStrings("/entry/simulate/truth/element_names"); !slices.Equal(el, []string{"C", "N", "O", "Fe"}) {
		t.Errorf("element names %v", el)
	}
	shift, dims, err := f.ReadFloats("/entry/simulate/truth/shift")
	if err != nil || !slices.Equal(dims, []int{12, 12}) {
		t.Fatalf("shift: %v %v", dims, err)
	}
	// The zero-loss maximum of every pixel is at its true shift.
	for p := 0; p < 144; p++ {
		s := low.Data[p*2038 : (p+1)*2038]
		k := 0
		for i, v := range s {
			if v > s[k] {
				k = i
			}
		}
		if low.Axis.Energy(k) != shift[p] {
			t.Fatalf("pixel %d: zero loss at %v eV, true shift %v", p, low.Axis.Energy(k), shift[p])
		}
	}
	if p, err := f.ReadProvenance("simulate"); err != nil || p.Params["seed"] != 7.0 || p.Program != "eelsh5 simulate" {
		t.Errorf("provenance %+v, %v", p, err)
	}

	// Same seed, other worker count: identical data.
	b := filepath.Join(dir, "b.nxs")
	if _, errs, code := eelsh5(t, "simulate", b, "--size", "12", "--seed", "7", "-j", "1", "-q"); code != 0 {
		t.Fatal(errs)
	}
	g, _ := h5io.Open(b)
	core2, _ := g.ReadCube(h5io.CoreLossPath)
	g.Close()
	if !slices.Equal(core.Data, core2.Data) {
		t.Error("same seed gave different core loss")
	}

	// An existing output is kept unless --overwrite.
	before, _ := os.ReadFile(b)
	_, errs, code = eelsh5(t, "simulate", b, "--size", "4", "-q")
	if code != 1 || !strings.Contains(errs, "--overwrite") {
		t.Errorf("existing output: exit %d %q", code, errs)
	}
	if after, _ := os.ReadFile(b); !slices.Equal(before, after) {
		t.Error("existing output modified")
	}
	if _, errs, code = eelsh5(t, "simulate", b, "--size", "4", "-q", "--overwrite"); code != 0 {
		t.Errorf("--overwrite: %s", errs)
	}
	// Bad input: clear one-line errors, no file left behind.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--elements", "C,N", "--edges", "K"}, "entries"},
		{[]string{"--elements", "Si", "--edges", "K"}, "--maps"},
		{[]string{"--maps", filepath.Join(dir, "nope.h5") + ":/m"}, "no such file"},
		{[]string{"--maps", a + ":/entry/simulate/truth/shift"}, "rank"},
		{[]string{"--E0", "300"}, "volts"},
		{[]string{"--shift-spread", "600"}, "too large"},
	} {
		out := filepath.Join(dir, "bad.nxs")
		_, errs, code := eelsh5(t, append([]string{"simulate", out, "--size", "4", "-q"}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") > 2 {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: output left behind", c.args)
		}
		if _, err := os.Stat(filepath.Join(dir, ".bad.nxs.partial")); err == nil {
			t.Errorf("%v: partial file left behind", c.args)
		}
	}
	// Maps from a dataset: the truth maps of a as input.
	c := filepath.Join(dir, "c.nxs")
	if _, errs, code := eelsh5(t, "simulate", c, "-q", "--maps", a+":/entry/simulate/truth/maps"); code != 0 {
		t.Fatalf("--maps: %s", errs)
	}
	h, _ := h5io.Open(c)
	defer h.Close()
	if m, _, err := h.ReadStack("/entry/simulate/truth/maps"); err != nil || m.NY != 12 || !slices.Equal(m.Data, maps.Data) {
		t.Errorf("--maps not used: %v", err)
	}
}
