package gos

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

func testAxis() multispectrum.EnergyAxis {
	return multispectrum.EnergyAxis{Offset: 100, Dispersion: 1, Size: 1000}
}

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

func TestKinematicsCheckValues(t *testing.T) {
	// Check values of doc/algorithms.md 3.3.
	k := NewKinematics(300e3)
	if !relClose(k.Gamma, 1.5869513859861875, 1e-12) || !relClose(k.T, 154082.13256909203, 1e-12) {
		t.Errorf("gamma = %.16g, T = %.16g", k.Gamma, k.T)
	}
	qmin, qmax := k.QLimits(300, 20e-3+1e-9)
	if !relClose(qmin, 0.010735086420, 1e-9) || !relClose(qmax, 11.41834385, 1e-9) {
		t.Errorf("Qmin = %.12g, Qmax = %.12g", qmin, qmax)
	}
}

func TestHydrogenicCheckValues(t *testing.T) {
	// Check values of doc/algorithms.md 3.5 (C K and Fe L, 300 kV, beta 20
	// mrad, q_steps 100), barn/eV, to 1e-6 relative.
	for _, test := range []struct {
		el, edge string
		alpha    float64
		e, want  float64
	}{
		{"C", "K", 1e-9, 284.5, 92.20406985},
		{"C", "K", 1e-9, 300, 76.90620912},
		{"C", "K", 1e-9, 400, 28.14734331},
		{"C", "K", 1e-9, 600, 6.219804002},
		{"C", "K", 1e-9, 1000, 0.7650834798},
		{"C", "K", 5e-3, 300, 76.45721727},
		{"Fe", "L", 1e-9, 750, 20.43049241},
		{"Fe", "L", 1e-9, 900, 16.51710691},
	} {
		h, err := newHydrogenic(test.el, test.edge)
		if err != nil {
			t.Fatal(err)
		}
		got := []float64{0}
		h.crossSection(got, []float64{test.e}, Setup{E0: 300e3, Alpha: test.alpha, Beta: 20e-3})
		if !relClose(got[0], test.want, 1e-6) {
			t.Errorf("%s %s alpha %g at %g eV: %.10g, want %.10g", test.el, test.edge, test.alpha, test.e, got[0], test.want)
		}
	}
	// At and below the onset (284 eV for C K) the cross section is 0.
	h, _ := newHydrogenic("C", "K")
	got := []float64{1, 1}
	h.crossSection(got, []float64{283.5, 284}, Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3})
	if got[0] != 0 || got[1] != 0 {
		t.Errorf("below/at onset: %v", got)
	}
	for _, c := range []struct{ el, edge, want string }{
		{"Fe", "K", "gos: the hydrogenic model has K edges for Z = 1..22 only, not Fe (Z = 26)"},
		{"C", "L", "gos: the hydrogenic model has L edges for Z = 13..36 only, not C (Z = 6)"},
		{"U", "N", `gos: the hydrogenic model has only K and L edges, not "N"`},
	} {
		_, err := Hydrogenic().Edge(c.el, c.edge, testAxis(), 0)
		if !errors.Is(err, ErrEdgeNotInModel) || err.Error() != c.want {
			t.Errorf("hydrogenic %s %s: %v, want %s", c.el, c.edge, err, c.want)
		}
	}
	if _, err := Hydrogenic().Edge("Xx", "K", testAxis(), 0); err == nil || errors.Is(err, ErrEdgeNotInModel) {
		t.Errorf("unknown element: %v", err)
	}
}

func TestConvergenceCorrection(t *testing.T) {
	// theta = 0 with alpha > beta: the aperture passes beta^2/alpha^2 of
	// the disc (analytic); alpha < 1e-6: no correction.
	if got := ConvergenceCorrection(0, 10e-3, 5e-3); !relClose(got, 0.25, 1e-12) {
		t.Errorf("F(0) = %v, want 0.25", got)
	}
	if got := ConvergenceCorrection(0.1, 1e-9, 5e-3); got != 1 {
		t.Errorf("parallel beam F = %v", got)
	}
	// Discs of equal radius a at distance a overlap in
	// (2 pi/3 - sqrt(3)/2) a^2 (analytic lens area).
	a := 2e-3
	want := (2*math.Pi/3 - math.Sqrt(3)/2) / math.Pi
	if got := ConvergenceCorrection(a, a, a); !relClose(got, want, 1e-12) {
		t.Errorf("F(equal discs) = %v, want %v", got, want)
	}
}

func TestElementTable(t *testing.T) {
	// Values of doc/algorithms.md 3.2.
	for _, test := range []struct {
		el, sub string
		onset   float64
		occ     float64
	}{
		{"C", "K1", 284, 1}, {"N", "K", 402, 1}, {"O", "K1", 532, 1},
		{"Fe", "L3", 708, 2.0 / 3}, {"Fe", "L2", 721, 1.0 / 3}, {"Fe", "L1", 846, 1},
	} {
		s, err := Lookup(test.el, test.sub)
		if err != nil || s.Onset != test.onset || !relClose(s.Occupancy, test.occ, 1e-15) {
			t.Errorf("%s %s = %+v, %v", test.el, test.sub, s, err)
		}
	}
	l, err := ExpandEdge("Fe", "L")
	if err != nil || len(l) != 3 || l[0].Name != "L3" || l[1].Name != "L2" || l[2].Name != "L1" {
		t.Errorf("ExpandEdge(Fe, L) = %v, %v", l, err)
	}
	if _, err := Element("Xx"); err == nil {
		t.Error("unknown element accepted")
	}
	if n := len(Elements()); n != 118 {
		t.Errorf("%d elements, want 118", n)
	}
}

func TestLocate(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	// The package reads no environment: a variable naming dir is ignored.
	t.Setenv("EELSH5_GOS_DIR", dir)
	l := Locator{Dirs: []string{other, filepath.Join(other, "gos")}}
	_, err := l.Locate("kohl")
	var ni *NotInstalledError
	if !errors.Is(err, ErrNotInstalled) || !errors.As(err, &ni) || ni.Source != "kohl" || ni.File != "Segger_Guzzinati_Kohl_1.5.0.gosh" ||
		ni.DOI != "10.5281/zenodo.7645765" || !slices.Equal(ni.Dirs, l.Dirs) {
		t.Errorf("missing file: %v (%+v)", err, ni)
	}
	want := "gos: the kohl GOS table Segger_Guzzinati_Kohl_1.5.0.gosh is not installed: download it from doi:10.5281/zenodo.7645765 and put it in " + filepath.Join(other, "gos")
	if err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %s", err, want)
	}
	if _, err := (Locator{}).Locate("zhang"); !errors.Is(err, ErrNotInstalled) || strings.Contains(err.Error(), "put it in") {
		t.Errorf("zero Locator: %v", err)
	}
	p := filepath.Join(dir, "Dirac_GOS.gosh")
	os.WriteFile(p, nil, 0o644)
	q := filepath.Join(other, "Dirac_GOS_compact.gosh")
	os.WriteFile(q, nil, 0o644)
	if got, err := (Locator{Dirs: []string{dir, other}}).Locate("zhang"); err != nil || got != p {
		t.Errorf("Locate(zhang) = %q, %v, want the first directory's file", got, err)
	}
	if got, err := (Locator{Dirs: []string{other, dir}}).Locate("zhang"); err != nil || got != q {
		t.Errorf("Locate(zhang) = %q, %v, want the first directory's file", got, err)
	}
	if got, err := (Locator{File: p, Dirs: []string{other}}).Locate("zhang"); err != nil || got != p {
		t.Errorf("explicit file: %q, %v", got, err)
	}
	if _, err := (Locator{File: filepath.Join(dir, "nope.gosh"), Dirs: []string{dir}}).Locate("zhang"); err == nil || errors.Is(err, ErrNotInstalled) {
		t.Errorf("missing explicit file: %v", err)
	}
	if _, err := (Locator{Dirs: []string{dir}}).Locate("bogus"); err == nil {
		t.Error("unknown source accepted")
	}
}
