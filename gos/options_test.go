package gos

import (
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// The zero Cache and a nil *Cache work; a zero or unphysical Setup is an
// error, never a panic; element and edge names from a file that no source
// knows are errors.
func TestZeroAndBadOptions(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 200}
	good := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	want, _, err := NewCache().CrossSection(Hydrogenic(), "C", "K", axis, good, 0)
	if err != nil {
		t.Fatal(err)
	}
	var zero Cache
	var nilCache *Cache
	for name, c := range map[string]*Cache{"zero Cache": &zero, "nil *Cache": nilCache} {
		for range 2 {
			got, _, err := c.CrossSection(Hydrogenic(), "C", "K", axis, good, 0)
			if err != nil || len(got) != len(want) || got[100] != want[100] {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	if zero.Len() != 1 || nilCache.Len() != 0 {
		t.Errorf("zero Cache holds %d, nil %d", zero.Len(), nilCache.Len())
	}
	if _, _, err := zero.CrossSection(nil, "C", "K", axis, good, 0); err == nil {
		t.Error("nil source accepted")
	}

	tab := &memDB{kind: DFT, tables: map[string]*Table{"C/K1": tableFrom("C", "K1", analyticGOS{a: 0.01, q0: 5e10, e0: 200}, 32, 32, nil)}}
	sources := []Source{Hydrogenic(), NewTableSource("kohl", tab)}
	for _, s := range []Setup{
		{},
		{E0: 300e3},
		{E0: 300e3, Beta: 20e-3, QSteps: 1},
		{E0: 300e3, Beta: 20e-3, QSteps: -5},
		{E0: math.NaN(), Beta: 20e-3},
		{E0: 300e3, Beta: math.Inf(1)},
		{E0: 300e3, Beta: 20e-3, Alpha: -1e-3},
		{E0: 300e3, Beta: 20e-3, Alpha: math.NaN()},
	} {
		if s.Validate() == nil {
			t.Errorf("Setup %+v accepted", s)
		}
		for _, src := range sources {
			if _, _, err := zero.CrossSection(src, "C", "K", axis, s, 0); err == nil {
				t.Errorf("%s: Setup %+v accepted by the cache", src.Name(), s)
			}
			// Without validation the values may be meaningless, but
			// computing them does not panic.
			e, err := src.Edge("C", "K", axis, 0)
			if err != nil {
				t.Fatal(err)
			}
			e.CrossSection(nil, axis, s)
		}
	}
	for _, src := range sources {
		for _, c := range [][2]string{{"", "K"}, {"Xx", "K"}, {"C", ""}, {"C", "Q"}, {"C", "K9"}, {"C", "L7"}, {"Fe", "K"}} {
			if _, err := src.Edge(c[0], c[1], axis, 0); err == nil {
				t.Errorf("%s: element %q edge %q accepted", src.Name(), c[0], c[1])
			}
		}
	}
}
