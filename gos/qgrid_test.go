package gos

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// edgeSerial is an edge's cross section computed part by part with
// addCrossSectionSerial (Setup.DSigmaDE of each channel with the table's
// integrand, no shared q points, one core): the reference of the shared
// grid tests.
func edgeSerial(t *testing.T, src *TableSource, element, edge string, axis multispectrum.EnergyAxis, s Setup) []float64 {
	t.Helper()
	e, err := src.Edge(element, edge, axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	en := axis.Energies(nil)
	out := make([]float64, axis.Size)
	for _, p := range e.Parts {
		tab, err := src.table(e.Element, p.Table)
		if err != nil {
			t.Fatal(err)
		}
		if tab.boundStates() != 0 {
			t.Fatalf("%s %s: table %s has bound states, which addCrossSectionSerial leaves out", element, edge, p.Table)
		}
		tab.addCrossSectionSerial(out, en, p.Onset, p.Occupancy, s)
	}
	return out
}

// sameBits fails unless got and want are bit for bit equal.
func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d channels, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: channel %d is %v, serial %v", what, i, got[i], want[i])
		}
	}
}

// The q points shared by all tables and edges on one axis and setup give
// bit for bit the cross sections of the serial per-channel integral
// (Setup.DSigmaDE, which computes its own points): for the four seed edges
// (Fe L: three parts, two on one table) in the seed order, reversed, all
// four at once on several cores (the grid's blocks then filled by whichever
// edge reaches them first), and with the grids of two axes and two setups
// (parallel and convergent beam) alternating in the memo (in short mode
// two of the four combinations, on three cores only).
func TestSharedQGridBitIdentical(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer forgetQGrids()
	src := NewTableSource("hs", testHS)
	axes := []multispectrum.EnergyAxis{{Offset: 200, Dispersion: 0.5, Size: 2048}, {Offset: 251, Dispersion: 0.3, Size: 1500}}
	setups := []Setup{{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}, {E0: 200e3, Alpha: 2e-3, Beta: 10e-3, QSteps: 37}}
	type combo struct {
		axis multispectrum.EnergyAxis
		s    Setup
		want [][]float64 // per seed edge
	}
	var combos []combo
	procsList := []int{1, 3}
	for i, ax := range axes {
		for j, s := range setups {
			if testing.Short() && i != j {
				continue // short mode (-race): two of the four combinations, on 3 cores
			}
			c := combo{axis: ax, s: s}
			for _, e := range seedEdges {
				c.want = append(c.want, edgeSerial(t, src, e[0], e[1], ax, s))
			}
			combos = append(combos, c)
		}
	}
	compute := func(c combo, k int) []float64 {
		e, err := src.Edge(seedEdges[k][0], seedEdges[k][1], c.axis, 0)
		if err != nil {
			t.Error(err)
			return nil
		}
		return e.CrossSection(nil, c.axis, c.s)
	}
	if testing.Short() {
		procsList = []int{3}
	}
	for _, procs := range procsList {
		runtime.GOMAXPROCS(procs)
		for _, c := range combos {
			forgetQGrids()
			for k := range seedEdges {
				sameBits(t, "seed order "+seedEdges[k][0], compute(c, k), c.want[k])
			}
			forgetQGrids()
			for k := len(seedEdges) - 1; k >= 0; k-- {
				sameBits(t, "reversed "+seedEdges[k][0], compute(c, k), c.want[k])
			}
			for rep := 0; rep < 3; rep++ {
				forgetQGrids()
				got := make([][]float64, len(seedEdges))
				var wg sync.WaitGroup
				for k := range seedEdges {
					wg.Add(1)
					go func() {
						defer wg.Done()
						got[k] = compute(c, k)
					}()
				}
				wg.Wait()
				for k := range seedEdges {
					sameBits(t, "concurrent "+seedEdges[k][0], got[k], c.want[k])
				}
			}
		}
		// All four combinations in turn, the memo holding their grids.
		forgetQGrids()
		for rep := 0; rep < 2; rep++ {
			for _, c := range combos {
				for k := range seedEdges {
					sameBits(t, "alternating "+seedEdges[k][0], compute(c, k), c.want[k])
				}
			}
		}
	}
}

// A grid is shared only by the same setup and axis, bit for bit: any other
// E0, alpha, beta, number of q points, offset, dispersion or size, even by
// one unit in the last place, gets a grid of its own that holds that setup
// and those energies; the memo keeps the 4 most recently used and forgets
// the rest.
func TestSharedQGridKeys(t *testing.T) {
	defer forgetQGrids()
	forgetQGrids()
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3, QSteps: DefaultQSteps}
	up := func(v float64) float64 { return math.Nextafter(v, math.Inf(1)) }
	variants := []struct {
		name string
		axis multispectrum.EnergyAxis
		s    Setup
	}{
		{"E0", axis, Setup{E0: up(s.E0), Alpha: s.Alpha, Beta: s.Beta}},
		{"alpha", axis, Setup{E0: s.E0, Alpha: up(s.Alpha), Beta: s.Beta}},
		{"beta", axis, Setup{E0: s.E0, Alpha: s.Alpha, Beta: up(s.Beta)}},
		{"q steps", axis, Setup{E0: s.E0, Alpha: s.Alpha, Beta: s.Beta, QSteps: 99}},
		{"offset", multispectrum.EnergyAxis{Offset: up(200), Dispersion: 0.5, Size: 2048}, s},
		{"dispersion", multispectrum.EnergyAxis{Offset: 200, Dispersion: up(0.5), Size: 2048}, s},
		{"size", multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2047}, s},
	}
	for _, v := range variants {
		base := sharedQGrid(axis, s)
		if again := sharedQGrid(axis, Setup{E0: s.E0, Alpha: s.Alpha, Beta: s.Beta}); again != base {
			t.Fatalf("QSteps 0 and %d (the same integral) got different grids", DefaultQSteps)
		}
		g := sharedQGrid(v.axis, v.s)
		if g == base {
			t.Fatalf("%s: a different %s got the grid of the base setup", v.name, v.name)
		}
		want := v.s
		want.QSteps = want.qsteps()
		if g.s != want || g.disp != v.axis.Dispersion || len(g.energies) != v.axis.Size {
			t.Fatalf("%s: grid of %+v, %d channels of %g eV for %+v on %+v", v.name, g.s, len(g.energies), g.disp, v.s, v.axis)
		}
		sameBits(t, v.name+" energies", g.energies, v.axis.Energies(nil))
		if sharedQGrid(v.axis, v.s) != g {
			t.Fatalf("%s: the same setup and axis again got a new grid", v.name)
		}
	}
	// The last four used are kept, the older ones recomputed.
	forgetQGrids()
	grids := make([]*qGrid, len(variants))
	for i, v := range variants {
		grids[i] = sharedQGrid(v.axis, v.s)
	}
	for i := len(variants) - 1; i >= 0; i-- {
		v := variants[i]
		g := sharedQGrid(v.axis, v.s)
		if kept := i >= len(variants)-qGridMemoMax; kept != (g == grids[i]) {
			t.Fatalf("%s (used %d of %d): kept %v, want %v", v.name, i+1, len(variants), g == grids[i], kept)
		}
	}
	if n := len(qGridMemo.grids); n != qGridMemoMax {
		t.Fatalf("memo holds %d grids, want %d", n, qGridMemoMax)
	}
	// A grid larger than the memory bound is kept alone.
	perChannel := newQGrid(make([]float64, 1), 1, s).bytes()
	big := multispectrum.EnergyAxis{Offset: 100, Dispersion: 0.01, Size: qGridMemoBytes/perChannel + 1}
	sharedQGrid(big, s)
	if n := len(qGridMemo.grids); n != 1 {
		t.Fatalf("after a grid of %d MiB the memo holds %d grids, want 1", sharedQGrid(big, s).bytes()>>20, n)
	}
}

// Tables share the brackets of their q points when their q axes are equal
// (by value, not by slice), up to qBracketsMax axes per grid; tables with
// further axes walk their own. Every one of them gives the serial cross
// section bit for bit, on a parallel and a convergent beam.
func TestQBracketsAxes(t *testing.T) {
	oxygen, err := testHS.Table("O", "K1")
	if err != nil {
		t.Fatal(err)
	}
	// Copies of the O K1 table on stretched q axes: 0 and 1 equal by
	// value, then five others.
	stretch := []float64{1, 1, 1.001, 0.97, 1.2, 0.5, 2}
	tabs := make([]*Table, len(stretch))
	for k, f := range stretch {
		c := *oxygen
		c.Q = make([]float64, len(oxygen.Q))
		for i, q := range oxygen.Q {
			c.Q[i] = q * f
		}
		tabs[k] = &c
	}
	axis := multispectrum.EnergyAxis{Offset: 300, Dispersion: 0.7, Size: 1800}
	en := axis.Energies(nil)
	for _, s := range []Setup{{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}, {E0: 120e3, Alpha: 5e-3, Beta: 15e-3}} {
		g := tableQGrid(en, axis.Dispersion, s)
		for k, tab := range tabs {
			got, want := make([]float64, len(en)), make([]float64, len(en))
			tab.addCrossSection(got, g, 532, 1)
			tab.addCrossSectionSerial(want, en, 532, 1, s)
			sameBits(t, fmt.Sprintf("q axis x %g (table %d), %+v", stretch[k], k, s), got, want)
		}
		if len(g.brackets) != qBracketsMax {
			t.Fatalf("%d distinct q axes: the grid holds the brackets of %d, want %d", len(stretch)-1, len(g.brackets), qBracketsMax)
		}
		if !slices.Equal(g.brackets[0].axis, tabs[1].Q) || !slices.Equal(g.brackets[1].axis, tabs[2].Q) {
			t.Fatalf("the second table, on the first one's q axis, did not share its brackets")
		}
	}
}

// BenchmarkQGrid prepares the q points of the seed axis (2048 channels, 100
// points each) for a parallel beam.
func BenchmarkQGrid(b *testing.B) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	en := axis.Energies(nil)
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	for b.Loop() {
		g := tableQGrid(en, axis.Dispersion, s)
		for i := 0; i < len(en); i += qGridBlock {
			g.block(i / qGridBlock)
		}
	}
}

// BenchmarkTableContinuum adds the O K1 continuum on the seed axis (1384
// channels above 532 eV) with the q points prepared: the per-table cost of
// a cross section once the axis's grid exists.
func BenchmarkTableContinuum(b *testing.B) {
	tab, err := testHS.Table("O", "K1")
	if err != nil {
		b.Fatal(err)
	}
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	g := tableQGrid(axis.Energies(nil), axis.Dispersion, Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3})
	dst := make([]float64, axis.Size)
	tab.addCrossSection(dst, g, 532, 1)
	for b.Loop() {
		tab.addCrossSection(dst, g, 532, 1)
	}
}
