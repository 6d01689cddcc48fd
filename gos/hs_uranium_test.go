package gos

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Coverage (issue 17): a uranium oxide spectrum, U N6,7 (381/392 eV), U
// N4,5 (738/780 eV) and O K (532 eV) on a four-term power-law background,
// simulated from the hs tables (300 kV, beta 20 mrad) with Poisson noise,
// is fitted by weighted least squares with the same cross sections: the
// three edge amplitudes come back within 4 standard errors of the truth,
// and exactly without noise. With the hydrogenic source these edges do not
// exist (its error is the one the issue quotes).
func TestHSUraniumOxide(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 330, Dispersion: 0.5, Size: 1400}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	src := NewTableSource("hs", testHS)
	var cols [][]float64
	for _, e := range [][2]string{{"U", "N67"}, {"U", "N45"}, {"O", "K"}} {
		edge, err := src.Edge(e[0], e[1], axis, 0)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, edge.CrossSection(nil, axis, s))
	}
	if _, err := Hydrogenic().Edge("U", "N", axis, 0); err == nil {
		t.Error("the hydrogenic model has a U N edge")
	}
	en := axis.Energies(nil)
	for _, r := range []float64{2, 3, 4, 5} {
		c := make([]float64, axis.Size)
		for i, e := range en {
			c[i] = math.Pow(e/330, -r)
		}
		cols = append(cols, c)
	}
	truth := []float64{400, 150, 900, 2e5, 5e5, -3e5, 1e5} // counts per barn/eV; background counts
	n, p := axis.Size, len(cols)
	model := make([]float64, n)
	for i := range model {
		for j, c := range cols {
			model[i] += truth[j] * c[i]
		}
		if !(model[i] > 0) {
			t.Fatalf("negative model at %g eV", en[i])
		}
	}
	fit := func(y []float64) (coef, sigma []float64) {
		a := mat.NewDense(n, p, nil)
		b := mat.NewVecDense(n, nil)
		for i := 0; i < n; i++ {
			w := 1 / math.Sqrt(math.Max(y[i], 1))
			for j := range cols {
				a.Set(i, j, w*cols[j][i])
			}
			b.SetVec(i, w*y[i])
		}
		var qr mat.QR
		qr.Factorize(a)
		var x mat.VecDense
		if err := qr.SolveVecTo(&x, false, b); err != nil {
			t.Fatal(err)
		}
		var ata, inv mat.Dense
		ata.Mul(a.T(), a)
		if err := inv.Inverse(&ata); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < p; j++ {
			coef = append(coef, x.AtVec(j))
			sigma = append(sigma, math.Sqrt(inv.At(j, j)))
		}
		return coef, sigma
	}
	coef, _ := fit(model)
	for j := 0; j < 3; j++ {
		if math.Abs(coef[j]/truth[j]-1) > 1e-6 {
			t.Errorf("noise free: amplitude %d = %g, want %g", j, coef[j], truth[j])
		}
	}
	rng := rand.New(rand.NewPCG(17, 92))
	y := make([]float64, n)
	for i, m := range model {
		y[i] = distuv.Poisson{Lambda: m, Src: rng}.Rand()
	}
	coef, sigma := fit(y)
	for j, name := range []string{"U N67", "U N45", "O K"} {
		z := (coef[j] - truth[j]) / sigma[j]
		t.Logf("%s: %.2f +- %.2f (truth %g, %.1f sigma)", name, coef[j], sigma[j], truth[j], z)
		if math.Abs(z) > 4 {
			t.Errorf("%s: %.2f +- %.2f, truth %g", name, coef[j], sigma[j], truth[j])
		}
	}
}
