package h5io

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

func relClose(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b))
}

func TestGOSHFixtures(t *testing.T) {
	// Expected values: testdata README (shared/testdata/README.md).
	dft, err := OpenGOSH("../testdata/synthetic_dft.gosh", gos.DFT)
	if err != nil {
		t.Fatal(err)
	}
	defer dft.Close()
	if dft.DOI() != "10.0000/synthetic" || dft.Warn != "" {
		t.Errorf("doi %q warn %q", dft.DOI(), dft.Warn)
	}
	if ei := dft.EdgesInfo()["L3"]; ei.Table != "L23" || !relClose(ei.Occupancy, 2.0/3, 1e-15) {
		t.Errorf("edges_info L3 = %+v", ei)
	}
	ck, err := dft.Table("C", "K1")
	if err != nil {
		t.Fatal(err)
	}
	nq := len(ck.Q)
	for _, v := range []struct {
		iq, ie int
		want   float64
	}{{0, 0, 0.00999492129}, {10, 20, 0.009885693721}, {63, 59, 4.190239488e-10}} {
		if got := ck.GOS[v.ie*nq+v.iq]; !relClose(got, v.want, 1e-9) {
			t.Errorf("C/K1 data[%d,%d] = %v, want %v", v.iq, v.ie, got, v.want)
		}
	}
	if !relClose(ck.Q[1], 115742288.05920567, 1e-14) || !relClose(ck.FreeEnergies[1], 0.11689518164985782, 1e-14) || ck.IonizationEnergy != 284 {
		t.Errorf("axes: q[1] %v E[1] %v ionization %v", ck.Q[1], ck.FreeEnergies[1], ck.IonizationEnergy)
	}
	ti, err := dft.Table("Ti", "L23")
	if err != nil || !relClose(ti.GOS[20*len(ti.Q)+10], 0.01969763927, 1e-9) {
		t.Errorf("Ti/L23: %v", err)
	}
	if _, err := dft.Table("Fe", "L23"); !errors.Is(err, gos.ErrNotInDatabase) {
		t.Errorf("missing element: %v", err)
	}

	dirac, err := OpenGOSH("../testdata/synthetic_dirac.gosh", gos.Dirac)
	if err != nil {
		t.Fatal(err)
	}
	defer dirac.Close()
	l3, err := dirac.Table("Ti", "L3")
	if err != nil {
		t.Fatal(err)
	}
	if l3.FreeEnergies[0] != -3 || l3.FreeEnergies[1] != -1.5 || l3.FreeEnergies[2] < 0 {
		t.Errorf("bound states: %v", l3.FreeEnergies[:3])
	}
	if got := l3.GOS[20*len(l3.Q)+10]; !relClose(got, 0.01284078043, 1e-9) {
		t.Errorf("Ti/L3 data[10,20] = %v", got)
	}
}

// analytic is the GOS model the fixtures were generated from (doc/formats.md 1.8).
func analytic(a, q0, e0 float64) func(q, e float64) float64 {
	return func(q, e float64) float64 {
		x := q / q0
		return a * math.Exp(-math.Max(e, 0)/e0) / ((1 + x*x) * (1 + x*x))
	}
}

func TestGOSHCrossSectionIntegrates(t *testing.T) {
	// The C K cross section from the DFT fixture must equal the q integral
	// of doc/algorithms.md 3.3 applied to the analytic model it was generated
	// from, up to the interpolation error of its coarse 64 x 60 grid:
	// linear interpolation of exp(-E/200 eV) over a table step h errs by
	// at most h^2/(8 * 200^2) relative, the q direction (steps of 16%)
	// by about 0.5%.
	db, err := OpenGOSH("../testdata/synthetic_dft.gosh", gos.DFT)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	setup := gos.Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	edge, err := gos.NewTableSource("kohl", db).Edge("C", "K", axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	sigma := edge.CrossSection(nil, axis, setup)
	g := analytic(0.01, 5e10, 200)
	k := gos.NewKinematics(300e3)
	for _, e := range []float64{300, 400, 600, 1000} {
		want := setup.DSigmaDE(k, e, func(e, Q float64) float64 { return g(math.Sqrt(Q)/gos.BohrRadius, e-284) })
		got := sigma[axis.Index(e)]
		h := (e - 284) * (math.Pow(10, 4.0/59) - 1) // table step at this free energy
		tol := h*h/(8*200*200) + 0.005
		if !relClose(got, want, tol) {
			t.Errorf("C K at %g eV: %.6g, want %.6g (rel %.3g)", e, got, want, got/want-1)
		}
	}
}

func TestGOSHMalformed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.gosh")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := f.ensureGroup("/C/K1")
	writeNumbers(g.id(), "q", false, false, []float64{1e8, 1e9, 1e10})
	writeNumbers(g.id(), "free_energies", false, false, []float64{1, 2})
	writeNumbers(g.id(), "data", false, false, []float64{1, 2, 3, 4, 5}) // rank 1
	g.close()
	f.Close()
	db, err := OpenGOSH(path, gos.DFT)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Warn == "" {
		t.Error("missing file_format not reported")
	}
	if _, err := db.Table("C", "K1"); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("malformed table: %v", err)
	}
	if _, err := OpenGOSH("../testdata/README.md", gos.DFT); err == nil {
		t.Error("text file accepted as GOSH")
	}
}
