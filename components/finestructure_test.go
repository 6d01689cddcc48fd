package components

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// srtioAxis is the SrTiO3 fixture's core-loss axis.
var srtioAxis = multispectrum.EnergyAxis{Offset: 357.5, Dispersion: 0.3, Size: 1024}

func tiL(t *testing.T, alpha float64) *CoreLossEdge {
	t.Helper()
	e, err := NewCoreLossEdge(srtioAxis, gos.Hydrogenic(), nil, "Ti", "L", gos.Setup{E0: 300e3, Alpha: alpha, Beta: 2.675e-3}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestFineStructureShape checks the GDOSLin construction (doc/algorithms.md
// 3.12): the window from 5 eV before the onset, 50 eV wide, knots equally
// spaced between its end channels, hats of unit channel sum, zero outside
// the window, a piecewise-linear curve through the knot values, analytic
// gradients.
func TestFineStructureShape(t *testing.T) {
	edge := tiL(t, 1e-9)
	f, err := NewFineStructure(edge, FineStructureOptions{Pre: DefaultFinePre, Width: DefaultFineWidth, Points: DefaultFinePoints})
	if err != nil {
		t.Fatal(err)
	}
	on := edge.Edge().Onset
	if a, b := f.Window(); a != on-5 || b != on+45 {
		t.Errorf("window %g..%g for onset %g", a, b, on)
	}
	lo, hi := f.Channels()
	if lo != srtioAxis.Index(on-5) || hi != srtioAxis.Index(on+45) {
		t.Errorf("channels %d..%d", lo, hi)
	}
	k := f.Knots()
	if len(k) != 32 || k[0] != srtioAxis.Energy(lo) || math.Abs(k[31]-srtioAxis.Energy(hi)) > 1e-9 {
		t.Errorf("knots %v", k)
	}
	if f.Name() != "Ti L fine structure" || len(f.Parameters()) != 30 || f.Parameters()[29].Name != "a29" || !f.Convolved() {
		t.Errorf("name %q, %d parameters", f.Name(), len(f.Parameters()))
	}
	n := srtioAxis.Size
	g := make([]float64, n)
	for j := range f.Parameters() {
		if !f.Gradient(g, j) {
			t.Fatal("no gradient")
		}
		s := 0.0
		for i, v := range g {
			s += v
			if v != 0 && (i < lo || i >= hi || math.Abs(srtioAxis.Energy(i)-k[j+1]) >= k[1]-k[0]) {
				t.Errorf("hat %d non-zero at channel %d", j, i)
			}
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("hat %d sums to %v", j, s)
		}
	}
	// Values a_j at the knots: the curve interpolates a_j/norm_j linearly.
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range f.Parameters() {
		p.Value = r.NormFloat64()
	}
	v := make([]float64, n)
	f.Eval(v)
	for i := lo + 1; i < hi; i++ {
		// Between two knots the second difference vanishes.
		e := srtioAxis.Energy(i)
		kink := false
		for _, x := range k {
			if math.Abs(e-x) < srtioAxis.Dispersion+1e-9 {
				kink = true
			}
		}
		if !kink && math.Abs(v[i+1]-2*v[i]+v[i-1]) > 1e-12 {
			t.Errorf("curve not linear between knots at %g eV", e)
		}
	}
	checkGradients(t, f, 1e-7)
	for i := range v {
		if (i < lo || i >= hi) && v[i] != 0 {
			t.Fatalf("curve non-zero outside the window at channel %d", i)
		}
	}
}

// TestFineStructureBethe checks the constrained variant: one parameter
// fewer, and every basis function (hence every curve) integrates to zero
// against E/Theta(E), for a parallel and a convergent probe.
func TestFineStructureBethe(t *testing.T) {
	for _, alpha := range []float64{1e-9, 0.9e-3, 4e-3} {
		edge := tiL(t, alpha)
		f, err := NewFineStructure(edge, FineStructureOptions{Pre: 5, Width: 50, Points: 30, Bethe: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Parameters()) != 29 || len(f.BetheWeights()) != 30 {
			t.Fatalf("%d parameters, %d weights", len(f.Parameters()), len(f.BetheWeights()))
		}
		kin := gos.NewKinematics(300e3)
		weight := make([]float64, srtioAxis.Size)
		lo, hi := f.Channels()
		for i := lo; i < hi; i++ {
			e := srtioAxis.Energy(i)
			weight[i] = e / AngularFactor(e/(2*kin.Gamma*kin.T), alpha, 2.675e-3)
		}
		g := make([]float64, srtioAxis.Size)
		basis := make([][]float64, 29)
		for j := range f.Parameters() {
			f.Gradient(g, j)
			basis[j] = append([]float64(nil), g...)
			s, abs := 0.0, 0.0
			for i, v := range g {
				s += v * weight[i]
				abs += math.Abs(v * weight[i])
			}
			if math.Abs(s) > 1e-12*abs {
				t.Errorf("alpha %g: basis %d has weighted integral %g (scale %g)", alpha, j, s, abs)
			}
		}
		// The basis functions are independent: their Gram matrix is that of
		// orthonormal coefficient vectors over the hats, well conditioned.
		for a := 0; a < 29; a++ {
			for b := a + 1; b < 29; b++ {
				dot, na, nb := 0.0, 0.0, 0.0
				for i := range basis[a] {
					dot += basis[a][i] * basis[b][i]
					na += basis[a][i] * basis[a][i]
					nb += basis[b][i] * basis[b][i]
				}
				if math.Abs(dot) > 0.99*math.Sqrt(na*nb) {
					t.Fatalf("alpha %g: basis %d and %d are nearly parallel", alpha, a, b)
				}
			}
		}
		checkGradients(t, f, 1e-7)
	}
}

// TestAngularFactor: ln(1 + beta^2/thetaE^2) for a parallel beam, the
// same in the limit of a small convergence, and a brute-force midpoint
// sum of the angular integral for a convergent probe (alpha below and
// above beta).
func TestAngularFactor(t *testing.T) {
	te := 1.02e-3
	if v, want := AngularFactor(te, 0, 2.675e-3), math.Log1p(2.675e-3*2.675e-3/(te*te)); math.Abs(v-want) > 1e-15 {
		t.Errorf("parallel %v, want %v", v, want)
	}
	if v, want := AngularFactor(te, 2e-6, 2.675e-3), math.Log1p(2.675e-3*2.675e-3/(te*te)); math.Abs(v-want) > 1e-5*want {
		t.Errorf("alpha 2 urad: %v, want %v", v, want)
	}
	for _, c := range [][2]float64{{0.9e-3, 2.675e-3}, {4e-3, 2.675e-3}} {
		alpha, beta := c[0], c[1]
		const n = 400000
		h := (alpha + beta) / n
		s := 0.0
		for i := 0; i < n; i++ {
			th := (float64(i) + 0.5) * h
			s += gos.ConvergenceCorrection(th, alpha, beta) * 2 * th / (th*th + te*te) * h
		}
		if v := AngularFactor(te, alpha, beta); math.Abs(v-s) > 1e-6*s {
			t.Errorf("alpha %g beta %g: %v, brute force %v", alpha, beta, v, s)
		}
	}
}

func TestFineStructureErrors(t *testing.T) {
	edge := tiL(t, 1e-9)
	for _, c := range []struct {
		o    FineStructureOptions
		want string
	}{
		{FineStructureOptions{Pre: 5, Width: 0, Points: 30}, "positive width"},
		{FineStructureOptions{Pre: math.NaN(), Width: 50, Points: 30}, "finite start"},
		{FineStructureOptions{Pre: 5, Width: 50, Points: 0}, "at least 1"},
		{FineStructureOptions{Pre: 5, Width: 50, Points: 1, Bethe: true}, "at least 2"},
		{FineStructureOptions{Pre: 5, Width: 50, Points: 400}, "closer than the channels"},
		{FineStructureOptions{Pre: 5, Width: 50, Points: 1 << 40}, "closer than the channels"},
		{FineStructureOptions{Pre: 5, Width: 50, Points: 170}, "closer than the channels"},
		{FineStructureOptions{Pre: 200, Width: 50, Points: 10}, "not on the axis"},
		{FineStructureOptions{Pre: -300, Width: 50, Points: 10}, "not on the axis"},
	} {
		_, err := NewFineStructure(edge, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
	if _, err := NewFineStructure(nil, FineStructureOptions{Pre: 5, Width: 50, Points: 3}); err == nil {
		t.Error("no edge accepted")
	}
}
