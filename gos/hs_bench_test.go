package gos

import (
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// forgetAtoms empties the memo of self-consistent atoms, so that the next
// table starts from the SCF.
func forgetAtoms() {
	atomMu.Lock()
	atomMemo = map[int]*atomEntry{}
	atomMu.Unlock()
}

// forgetQGrids empties the memo of shared q-integral grids (qGrid), as a
// new process starts without them.
func forgetQGrids() {
	m := &qGridMemo
	m.mu.Lock()
	m.keys, m.grids = nil, nil
	m.mu.Unlock()
}

// BenchmarkHSTableCold computes one subshell's table from nothing: the C
// atom's SCF and the C K1 GOS (90 energies x 100 q). Run with -cpu 1 for
// one core.
func BenchmarkHSTableCold(b *testing.B) {
	for b.Loop() {
		forgetAtoms()
		if _, err := ComputeHSTable(6, 1, 0, 284); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHSTableDiskCache reads the C K1 table from the disk cache into a
// fresh database (a new process's first lookup).
func BenchmarkHSTableDiskCache(b *testing.B) {
	dir := b.TempDir()
	if _, err := NewHSDatabase(dir).Table("C", "K1"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NewHSDatabase(dir).Table("C", "K1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHSSeedEdgesCold: the four seed edges (C K, N K, O K, Fe L: five
// tables and four atoms) from nothing, cross sections on 2048 channels.
func BenchmarkHSSeedEdgesCold(b *testing.B) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	for b.Loop() {
		forgetAtoms()
		forgetQGrids()
		src, c := HS(""), NewCache()
		for _, e := range seedEdges {
			if _, _, err := c.CrossSection(src, e[0], e[1], axis, s, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkHSSeedEdgesWarm: the same with the tables in the disk cache (a
// new process after the first run): five table reads, the q points of the
// axis (shared by the edges, forgotten between iterations as a new process
// has none) and four cross sections.
func BenchmarkHSSeedEdgesWarm(b *testing.B) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	dir := b.TempDir()
	c := NewCache()
	for _, e := range seedEdges {
		if _, _, err := c.CrossSection(HS(dir), e[0], e[1], axis, s, 0); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		forgetQGrids()
		src, c := HS(dir), NewCache()
		for _, e := range seedEdges {
			if _, _, err := c.CrossSection(src, e[0], e[1], axis, s, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkHSSeedEdgesCached serves the four edges from a gos.Cache.
func BenchmarkHSSeedEdgesCached(b *testing.B) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	src, c := HS(""), NewCache()
	for _, e := range seedEdges {
		if _, _, err := c.CrossSection(src, e[0], e[1], axis, s, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range seedEdges {
			if _, _, err := c.CrossSection(src, e[0], e[1], axis, s, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}
