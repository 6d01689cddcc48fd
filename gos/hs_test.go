package gos

import (
	"encoding/csv"
	"flag"
	"math"
	"os"
	"strconv"
	"testing"
)

var allAtoms = flag.Bool("hs.allatoms", false, "solve the Hartree-Slater atom of every Z = 1..92 in TestHSAllAtoms")

// bareField is the potential -z/r everywhere (no electrons).
func bareField(z float64) *centralField {
	g := newRadialGrid(z)
	rV := make([]float64, len(g.r))
	for i := range rV {
		rV[i] = -z
	}
	return &centralField{grid: g, rV: rV, z: z, zion: z, rTail: g.r[0]}
}

// The bound-state solver reproduces the exact hydrogenic energies
// -z^2/(2 n^2) hartree.
func TestHSBoundCoulomb(t *testing.T) {
	for _, z := range []float64{1, 5.5, 40} {
		f := bareField(z)
		p := make([]float64, len(f.grid.r))
		for _, nl := range [][2]int{{1, 0}, {2, 0}, {2, 1}, {3, 2}, {4, 3}, {5, 1}} {
			if z == 1 && nl[0] > 3 {
				continue // beyond the 80 bohr grid
			}
			e, err := solveBound(f.grid, f.rV, z, nl[0], nl[1], -1, p)
			if err != nil {
				t.Fatalf("z %g n %d l %d: %v", z, nl[0], nl[1], err)
			}
			want := -z * z / float64(2*nl[0]*nl[0])
			if math.Abs(e/want-1) > 1e-7 {
				t.Errorf("z %g n %d l %d: e = %.10g, want %.10g", z, nl[0], nl[1], e, want)
			}
			norm := make([]float64, len(p))
			for i, v := range p {
				norm[i] = v * v
			}
			if s := f.grid.integrate(norm, 0, len(p)-1); math.Abs(s-1) > 1e-9 {
				t.Errorf("z %g n %d l %d: norm %g", z, nl[0], nl[1], s)
			}
		}
	}
}

// Coulomb limit (issue 17): with the screening switched off (bare
// nucleus of charge Zs = Z - 0.5), the computed K-shell GOS (bound state,
// continuum, Coulomb matching, Bessel matrix elements and partial-wave sum)
// equals the analytic hydrogenic K GOS of HydrogenicKGOS (Egerton's SIGMAK
// formula) to 1e-3 relative over the (E, q) grid, from the tables'
// threshold row (hsThreshold, 1 meV: 5.3e-4 there, the continuum
// normalisation at k -> 0) to 3 keV.
func TestHSCoulombLimitK(t *testing.T) {
	free := []float64{hsThreshold, 0.5, 3, 20, 100, 400, 1000, 3000} // eV above threshold
	q := []float64{0.01, 0.1, 0.5, 1, 2, 4, 8, 15, 25}               // 1/a0
	for _, z := range []int{6, 14, 22} {
		zs := float64(z) - 0.5
		f := bareField(zs)
		p := make([]float64, len(f.grid.r))
		eb, err := solveBound(f.grid, f.rV, zs, 1, 0, -1, p)
		if err != nil {
			t.Fatal(err)
		}
		fh := make([]float64, len(free))
		for i, e := range free {
			fh[i] = e / hartree
		}
		pr := &gosProblem{field: f, bound: p, l: 0, electrons: 2, binding: -eb, free: fh, q: q}
		got, err := pr.compute()
		if err != nil {
			t.Fatal(err)
		}
		var worst float64
		for ie, e := range free {
			for iq, qq := range q {
				E := e - eb*hartree
				want := HydrogenicKGOS(z, E, qq*qq) * hartree // 1/eV -> 1/hartree
				rel := math.Abs(got[ie*len(q)+iq]/want - 1)
				worst = math.Max(worst, rel)
				if rel > 1e-3 {
					t.Errorf("Z %d, %g eV above the edge, q a0 = %g: df/dE %.6g, hydrogenic %.6g (%.1e)", z, e, qq, got[ie*len(q)+iq], want, rel)
				}
			}
		}
		t.Logf("Z = %d: largest deviation from the analytic hydrogenic GOS %.1e", z, worst)
	}
}

// Core eigenvalues of the self-consistent HFS atoms against the
// experimental edge energies of the element table (data/element_edges.csv,
// pyEELSMODEL's element_info.hdf5): within 2.5% for the deep levels of
// Ne..Kr, where relativity and relaxation are small; spin-orbit pairs are
// compared with their occupancy-weighted mean onset. This checks the
// model against nature (relativity and relaxation are missing from it);
// TestHSEigenvaluesHermanSkillman checks the implementation against
// another implementation of the same model.
func TestHSEigenvalues(t *testing.T) {
	cases := []struct {
		el, table string
		tol       float64
	}{
		{"Ne", "K1", 0.025}, {"Ar", "K1", 0.025}, {"Ar", "L23", 0.025}, {"Ti", "K1", 0.025}, {"Ti", "L23", 0.025},
		{"Fe", "K1", 0.025}, {"Fe", "L23", 0.025}, {"Kr", "K1", 0.025}, {"Kr", "L23", 0.025}, {"U", "N45", 0.025},
	}
	for _, c := range cases {
		z, _ := AtomicNumber(c.el)
		a, err := HSAtom(z)
		if err != nil {
			t.Fatal(err)
		}
		n, l, _ := hsOrbitalOf(c.table)
		var eig float64
		for _, o := range a.Orbitals {
			if o.N == n && o.L == l {
				eig = -o.Eigenvalue
			}
		}
		on, _ := hsOnset(c.el, c.table)
		if rel := math.Abs(eig/on - 1); rel > c.tol || eig == 0 {
			t.Errorf("%s %s: -eigenvalue %.1f eV, experiment %.1f eV (%.1f%%)", c.el, c.table, eig, on, 100*rel)
		} else {
			t.Logf("%s %s: -eigenvalue %.1f eV, experiment %.1f eV (%+.1f%%)", c.el, c.table, eig, on, 100*(eig/on-1))
		}
	}
}

// Every orbital eigenvalue of Ne, Ar, Ti, Fe, Kr and U agrees with the
// Hartree-Fock-Slater values of the Herman-Skillman program
// (testdata/hfs_eigenvalues.csv, in rydberg; its header names the source)
// within 0.5%: issue 17 asks for 2%. The deep levels agree to better than
// 0.06%; the largest differences are the open valence shells (Fe 3d
// +0.37%, U 6d +0.31%), the orbitals most sensitive to the Latter radius
// and the outer mesh. The configurations (occupancies) must match too, so
// a change of the configuration table cannot pass unnoticed.
func TestHSEigenvaluesHermanSkillman(t *testing.T) {
	f, err := os.Open("testdata/hfs_eigenvalues.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	const tol = 0.005
	checked := map[string]int{}
	for _, row := range rows[1:] { // rows[0] is the header
		z, err1 := strconv.Atoi(row[1])
		occ, err2 := strconv.ParseFloat(row[3], 64)
		want, err3 := strconv.ParseFloat(row[4], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("bad row %q", row)
		}
		a, err := HSAtom(z)
		if err != nil {
			t.Fatal(err)
		}
		var o *Orbital
		for i := range a.Orbitals {
			if a.Orbitals[i].Name() == row[2] {
				o = &a.Orbitals[i]
			}
		}
		if o == nil {
			t.Errorf("%s %s: not in the configuration", row[0], row[2])
			continue
		}
		if o.Occupancy != occ {
			t.Errorf("%s %s: occupancy %g, Herman-Skillman deck %g", row[0], row[2], o.Occupancy, occ)
		}
		got := o.Eigenvalue / Rydberg
		if rel := got/want - 1; math.Abs(rel) > tol {
			t.Errorf("%s %s: eigenvalue %.4f Ry, Herman-Skillman %.4f Ry (%+.3f%%)", row[0], row[2], got, want, 100*rel)
		} else {
			t.Logf("%s %s: %.4f Ry, Herman-Skillman %.4f Ry (%+.3f%%)", row[0], row[2], got, want, 100*rel)
		}
		checked[row[0]]++
	}
	for _, el := range []string{"Ne", "Ar", "Ti", "Fe", "Kr", "U"} {
		if checked[el] == 0 {
			t.Errorf("%s: no reference eigenvalues", el)
		}
	}
	// Every occupied orbital of each atom has a reference value.
	for el, n := range checked {
		z, _ := AtomicNumber(el)
		a, _ := HSAtom(z)
		if n != len(a.Orbitals) {
			t.Errorf("%s: %d reference eigenvalues for %d orbitals", el, n, len(a.Orbitals))
		}
	}
}

// The neutral atoms of Z = 1..92 converge; eigenvalues are negative and the
// subshells of one l are ordered by n; the total energy is negative and
// grows in magnitude with Z.
//
// By default every fifth Z (and U) is solved; -hs.allatoms solves all 92
// (about 5 s of one core).
func TestHSAllAtoms(t *testing.T) {
	if testing.Short() {
		t.Skip("SCF calculations")
	}
	step := 5
	if *allAtoms {
		step = 1
	}
	prev := 0.0
	for z := 1; z <= 92; z++ {
		if z%step != 1 && step > 1 && z != 92 {
			continue
		}
		a, err := HSAtom(z)
		if err != nil {
			t.Fatal(err)
		}
		last := map[int]float64{}
		for _, o := range a.Orbitals {
			if !(o.Eigenvalue < 0) {
				t.Errorf("Z %d %s: eigenvalue %g", z, o.Name(), o.Eigenvalue)
			}
			if e, ok := last[o.L]; ok && !(o.Eigenvalue > e) {
				t.Errorf("Z %d %s: eigenvalue %g not above the lower n (%g)", z, o.Name(), o.Eigenvalue, e)
			}
			last[o.L] = o.Eigenvalue
		}
		if !(a.TotalEnergy < prev) {
			t.Errorf("Z %d: total energy %g eV not below the lighter atom's %g", z, a.TotalEnergy, prev)
		}
		prev = a.TotalEnergy
	}
}

// The configurations add up to Z electrons and contain the NIST ASD
// exceptions to the Madelung order.
func TestGroundConfiguration(t *testing.T) {
	for z := 1; z <= 92; z++ {
		c, err := GroundConfiguration(z)
		if err != nil {
			t.Fatal(err)
		}
		var n float64
		for _, o := range c {
			n += o.Occupancy
		}
		if int(n) != z {
			t.Errorf("Z %d: %g electrons", z, n)
		}
	}
	occ := func(z int, name string) float64 {
		c, _ := GroundConfiguration(z)
		for _, o := range c {
			if o.Name() == name {
				return o.Occupancy
			}
		}
		return 0
	}
	for _, c := range []struct {
		z    int
		name string
		want float64
	}{{24, "3d", 5}, {24, "4s", 1}, {29, "4s", 1}, {46, "5s", 0}, {46, "4d", 10}, {64, "5d", 1}, {92, "5f", 3}, {92, "6d", 1}, {22, "3d", 2}} {
		if got := occ(c.z, c.name); got != c.want {
			t.Errorf("Z %d %s: %g electrons, want %g", c.z, c.name, got, c.want)
		}
	}
	if _, err := GroundConfiguration(93); err == nil {
		t.Error("Z = 93 has a configuration")
	}
}

// sphericalBessels against the closed forms of j0..j3 (Abramowitz and
// Stegun 10.1.11) on both sides of every branch (series, Miller, upward).
func TestSphericalBessels(t *testing.T) {
	out := make([]float64, 25)
	for _, x := range []float64{1e-6, 0.01, 0.3, 0.49, 0.5, 0.7, 2, 5.3, 11, 24.9, 25, 40, 80} {
		sphericalBessels(x, out)
		s, c := math.Sin(x), math.Cos(x)
		want := []float64{
			s / x,
			s/(x*x) - c/x,
			(3/(x*x)-1)*s/x - 3*c/(x*x),
			(15/(x*x*x)-6/x)*s/x - (15/(x*x)-1)*c/x,
		}
		for l, w := range want {
			if x < 0.05 {
				// Leading terms of the series (the closed forms cancel).
				df := 1.0
				for k := 3; k <= 2*l+1; k += 2 {
					df *= float64(k)
				}
				w = math.Pow(x, float64(l)) / df * (1 - x*x/float64(2*(2*l+3)))
			}
			if math.Abs(out[l]-w) > 1e-10*math.Max(1e-3, math.Abs(w)) && math.Abs(out[l]/w-1) > 1e-6 {
				t.Errorf("j%d(%g) = %.15g, want %.15g", l, x, out[l], w)
			}
		}
		// Recurrence check of the high orders: j_(l-1) + j_(l+1) = (2l+1)/x j_l.
		for l := 1; l < len(out)-1; l++ {
			lhs, rhs := out[l-1]+out[l+1], float64(2*l+1)/x*out[l]
			if math.Abs(lhs-rhs) > 1e-9*math.Max(math.Abs(lhs), 1e-300) && math.Abs(lhs-rhs) > 1e-300 {
				t.Errorf("x %g l %d: recurrence %g vs %g", x, l, lhs, rhs)
				break
			}
		}
	}
}

// threeJ0Squared against tabulated values (Edmonds 3.7.17 by hand):
// (1 1 0;000)^2 = 1/3, (1 1 2)^2 = 2/15, (2 2 2)^2 = 2/35, (1 2 3)^2 = 3/35,
// odd sums and broken triangles are 0.
func TestThreeJ0(t *testing.T) {
	for _, c := range []struct {
		a, b, c int
		want    float64
	}{{1, 1, 0, 1.0 / 3}, {1, 1, 2, 2.0 / 15}, {2, 2, 2, 2.0 / 35}, {1, 2, 3, 3.0 / 35}, {0, 0, 0, 1}, {1, 1, 1, 0}, {1, 4, 1, 0}, {3, 3, 0, 1.0 / 7}} {
		if got := threeJ0Squared(c.a, c.b, c.c); math.Abs(got-c.want) > 1e-14 {
			t.Errorf("(%d %d %d; 0 0 0)^2 = %g, want %g", c.a, c.b, c.c, got, c.want)
		}
	}
}
