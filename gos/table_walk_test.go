package gos

import (
	"math"
	"math/rand/v2"
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
