package gos

import (
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

var seedEdges = [][2]string{{"C", "K"}, {"N", "K"}, {"O", "K"}, {"Fe", "L"}}

// BenchmarkSeedEdgesCold computes the four seed edges (hydrogenic) on a
// 2048-channel axis from scratch.
func BenchmarkSeedEdgesCold(b *testing.B) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	for b.Loop() {
		c := NewCache()
		for _, e := range seedEdges {
			if _, _, err := c.CrossSection(Hydrogenic(), e[0], e[1], axis, s, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkSeedEdgesCached serves the same four edges from the cache.
func BenchmarkSeedEdgesCached(b *testing.B) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	c := NewCache()
	for _, e := range seedEdges {
		c.CrossSection(Hydrogenic(), e[0], e[1], axis, s, 0)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range seedEdges {
			if _, _, err := c.CrossSection(Hydrogenic(), e[0], e[1], axis, s, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}
