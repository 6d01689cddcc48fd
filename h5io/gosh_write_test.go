package h5io

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
)

// WriteGOSH round trip: what OpenGOSH reads back is what was written, to
// the bit (q, energies, every GOS value, metadata, edges_info); an
// existing file is refused and no partial file is left.
func TestWriteGOSHRoundTrip(t *testing.T) {
	mk := func(el, name string, nq, ne int, ion float64) *gos.Table {
		tb := &gos.Table{Element: el, Name: name, Q: make([]float64, nq), FreeEnergies: make([]float64, ne),
			GOS: make([]float64, nq*ne), IonizationEnergy: ion, OnsetGuess: math.NaN()}
		for i := range tb.Q {
			tb.Q[i] = 1e8 * math.Pow(10, 4*float64(i)/float64(nq-1))
		}
		for i := range tb.FreeEnergies {
			tb.FreeEnergies[i] = 0.5 * float64(i*i)
		}
		for i := range tb.GOS {
			tb.GOS[i] = 1 / (1 + float64(i)) // distinct per element: catches a transposition
		}
		return tb
	}
	tabs := []*gos.Table{mk("Ti", "L23", 7, 5, 466.5), mk("Ti", "L1", 7, 5, 570), mk("O", "K1", 4, 9, 520)}
	dir := t.TempDir()
	path := filepath.Join(dir, "ti.gosh")
	meta := GOSHMeta{Title: "test", Version: "hs-test", EdgesInfo: map[string]gos.EdgeInfo{
		"L3": {Table: "L23", Occupancy: 2.0 / 3}, "L2": {Table: "L23", Occupancy: 1.0 / 3}, "L1": {Table: "L1", Occupancy: 1}}}
	if err := WriteGOSH(path, tabs, meta); err != nil {
		t.Fatal(err)
	}
	g, err := OpenGOSH(path, gos.DFT)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Warn != "" {
		t.Errorf("warning %q", g.Warn)
	}
	if els, _ := g.Elements(); strings.Join(els, ",") != "O,Ti" {
		t.Errorf("elements %v", els)
	}
	if ei := g.EdgesInfo()["L3"]; ei.Table != "L23" || ei.Occupancy != 2.0/3 {
		t.Errorf("edges_info L3 %+v", ei)
	}
	for _, want := range tabs {
		got, err := g.Table(want.Element, want.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.IonizationEnergy != want.IonizationEnergy || !math.IsNaN(got.OnsetGuess) {
			t.Errorf("%s/%s: ionization %g onset guess %g", want.Element, want.Name, got.IonizationEnergy, got.OnsetGuess)
		}
		for i := range want.Q {
			if got.Q[i] != want.Q[i] {
				t.Fatalf("%s/%s q[%d] %g, want %g", want.Element, want.Name, i, got.Q[i], want.Q[i])
			}
		}
		for i := range want.FreeEnergies {
			if got.FreeEnergies[i] != want.FreeEnergies[i] {
				t.Fatalf("%s/%s E[%d] %g", want.Element, want.Name, i, got.FreeEnergies[i])
			}
		}
		for i := range want.GOS {
			if got.GOS[i] != want.GOS[i] {
				t.Fatalf("%s/%s GOS[%d] %g, want %g", want.Element, want.Name, i, got.GOS[i], want.GOS[i])
			}
		}
	}
	if err := WriteGOSH(path, tabs, meta); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("overwrite: %v", err)
	}
	bad := filepath.Join(dir, "bad.gosh")
	if err := WriteGOSH(bad, []*gos.Table{tabs[0], tabs[0]}, meta); err == nil {
		t.Error("a table given twice was written")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files left: %v", ents)
	}
}
