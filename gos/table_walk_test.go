package gos

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// The table integrand (cached energy bracket, forward q walk) returns
// exactly what interpolate returns, whatever the order of the calls: the
// q integral's increasing q, repeated energies, decreasing q, q below and
// beyond the table, energies below, inside and past it.
func TestTableIntegrandMatchesInterpolate(t *testing.T) {
	tab := &Table{Element: "X", Name: "K1", Q: make([]float64, 40), FreeEnergies: make([]float64, 30)}
	for i := range tab.Q {
		tab.Q[i] = 1e8 * math.Pow(1.3, float64(i))
	}
	for i := range tab.FreeEnergies {
		tab.FreeEnergies[i] = 0.7 * float64(i*i)
	}
	tab.GOS = make([]float64, len(tab.Q)*len(tab.FreeEnergies))
	for i := range tab.GOS {
		tab.GOS[i] = math.Sin(float64(i)) + 2
	}
	const onset = 100
	f := tab.integrand(onset)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		e := onset - 5 + rng.Float64()*700
		if n%3 == 0 {
			e = onset + tab.FreeEnergies[rng.IntN(30)] // on a grid energy
		}
		qlo := math.Log(5e7)
		for j := 0; j < 1+rng.IntN(8); j++ {
			q := math.Exp(qlo + rng.Float64()*(math.Log(1e13)-qlo))
			if j > 0 && rng.IntN(2) == 0 {
				q = tab.Q[rng.IntN(40)]
			}
			Q := (q * BohrRadius) * (q * BohrRadius)
			if got, want := f(e, Q), tab.interpolate(e, math.Sqrt(Q)/BohrRadius, onset); got != want {
				t.Fatalf("e %g q %g: integrand %v, interpolate %v", e, q, got, want)
			}
		}
	}
}

// Table.dsigmaDE, the table's own q integral, returns bit for bit what
// Setup.DSigmaDE returns with the table's integrand, for parallel and
// convergent beams, fewer q points than one block and several blocks, energies below, inside and past the table (whose first
// energy is above the onset, so the region before it is covered too), q
// ranges inside and beyond its q axis.
func TestTableDSigmaDEMatchesIntegrand(t *testing.T) {
	tab := &Table{Element: "X", Name: "K1", Q: make([]float64, 40), FreeEnergies: make([]float64, 30)}
	for i := range tab.Q {
		tab.Q[i] = 1e8 * math.Pow(1.3, float64(i))
	}
	for i := range tab.FreeEnergies {
		tab.FreeEnergies[i] = 0.5 + 0.7*float64(i*i)
	}
	tab.GOS = make([]float64, len(tab.Q)*len(tab.FreeEnergies))
	for i := range tab.GOS {
		tab.GOS[i] = math.Sin(float64(i)) + 2
	}
	hs, err := testHS.Table("O", "K1")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	setups := []Setup{
		{E0: 300e3, Alpha: 0, Beta: 20e-3}, {E0: 300e3, Alpha: 1e-9, Beta: 2e-3},
		{E0: 300e3, Alpha: 0.9e-3, Beta: 2.675e-3}, {E0: 200e3, Alpha: 30e-3, Beta: 20e-3},
		{E0: 60e3, Alpha: 10e-3, Beta: 100e-3}, {E0: 300e3, Alpha: 1e-3, Beta: 300e-3, QSteps: 37},
		{E0: 300e3, Alpha: 2e-3, Beta: 10e-3, QSteps: 300}, // several blocks of q points
	}
	for _, tb := range []struct {
		tab   *Table
		onset float64
	}{{tab, 100}, {hs, 532}} {
		last := tb.tab.FreeEnergies[len(tb.tab.FreeEnergies)-1] + tb.onset
		for _, s := range setups {
			k := NewKinematics(s.E0)
			for n := 0; n < 400; n++ {
				e := tb.onset - 5 + rng.Float64()*(last-tb.onset+50)
				if n%4 == 0 {
					e = tb.onset + tb.tab.FreeEnergies[rng.IntN(len(tb.tab.FreeEnergies))]
				}
				got := tb.tab.dsigmaDE(k, e, tb.onset, s)
				want := s.DSigmaDE(k, e, tb.tab.integrand(tb.onset))
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("%s, %+v, e %g: dsigmaDE %v, DSigmaDE with the integrand %v", tb.tab.Name, s, e, got, want)
				}
			}
		}
	}
}

// addCrossSectionSerial is Table.addCrossSection as it was before the
// channels were spread over the cores and the q integral had its own loop:
// the reference for TestTableCrossSectionParallelIdentical.
func (t *Table) addCrossSectionSerial(dst, energies []float64, onset, occupancy float64, s Setup) {
	k := NewKinematics(s.E0)
	s.QSteps = DefaultQSteps
	f := t.integrand(onset)
	ne := len(t.FreeEnergies)
	last := t.FreeEnergies[ne-1] + onset
	var ap, rp float64
	tail := false
	for i, e := range energies {
		switch {
		case e <= onset:
			continue
		case e <= last:
			dst[i] += occupancy * s.DSigmaDE(k, e, f)
		default:
			if !tail {
				e1, e2 := t.FreeEnergies[ne-2]+onset, last
				s1, s2 := s.DSigmaDE(k, e1, f), s.DSigmaDE(k, e2, f)
				rp = math.Log(s2/s1) / math.Log(e1/e2)
				ap = s1 / math.Pow(e1, -rp)
				tail = true
			}
			if v := ap * math.Pow(e, -rp); !math.IsNaN(v) && !math.IsInf(v, 0) {
				dst[i] += occupancy * v
			}
		}
	}
}

// The continuum of a table's cross section, computed by blocks of channels
// on several cores, is bit for bit the serial computation, on axes that
// start below the onset and end beyond the table (power-law tail), with
// 1 to 5 workers and blocks that do not divide the channels evenly.
func TestTableCrossSectionParallelIdentical(t *testing.T) {
	tab, err := testHS.Table("O", "K1")
	if err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	axes := []struct {
		offset, disp float64
		n            int
	}{{200, 0.5, 2048}, {500, 0.3, 1023}, {3300, 1, 700}, {531, 0.1, 300}}
	for _, procs := range []int{1, 2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		for _, ax := range axes {
			en := make([]float64, ax.n)
			for i := range en {
				en[i] = ax.offset + float64(i)*ax.disp
			}
			for _, s := range []Setup{{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}, {E0: 300e3, Alpha: 0.9e-3, Beta: 2.675e-3}} {
				got, want := make([]float64, len(en)), make([]float64, len(en))
				tab.addCrossSection(got, tableQGrid(en, ax.disp, s), 532, 0.7)
				tab.addCrossSectionSerial(want, en, 532, 0.7, s)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("GOMAXPROCS %d, axis %+v, %+v: channel %d (%g eV) %v, serial %v", procs, ax, s, i, en[i], got[i], want[i])
					}
				}
			}
		}
	}
}
