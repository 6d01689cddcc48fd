package classic

import (
	"context"
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

// seed simulates the seed scenario on an n x n scan without shifts; with
// noisyLow the low loss is Poisson-sampled.
func seed(t *testing.T, n int, noisyLow bool) (*simulate.Scenario, *simulate.Cubes) {
	t.Helper()
	sc := simulate.SeedScenario(n)
	sc.Shifts = simulate.NoShifts
	sc.LowLossNoise = noisyLow
	c, err := simulate.Run(context.Background(), sc, 2)
	if err != nil {
		t.Fatal(err)
	}
	return sc, c
}

// TestThicknessSeed: the log-ratio map of the seed simulation against its
// truth t/lambda (the simulator's low loss has total/zero loss = exp(t),
// doc/algorithms.md 8.1): within 1% per pixel on the noise-free low loss
// for both zero-loss methods, and within 4 standard deviations (the stated
// error) on the Poisson-sampled one, with a reduced chi-square near 1.
func TestThicknessSeed(t *testing.T) {
	for _, m := range []ZeroLossMethod{FirstMinimum, GaussianFit} {
		sc, c := seed(t, 16, false)
		var mem Memory
		res, err := Thickness(CubeInput(c.LowLoss, c.CoreLoss), ThicknessOptions{ZeroLoss: m}, &mem, RunOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		tl, st := mem.Array(TLambdaName), mem.Array(StatusName)
		worst := 0.0
		for p, want := range sc.TLambda.Data {
			if st.Data[p] != StatusOK {
				t.Fatalf("%s: pixel %d status %v", m, p, st.Data[p])
			}
			worst = math.Max(worst, math.Abs(tl.Data[p]/want-1))
		}
		if worst > 0.01 {
			t.Errorf("%s: noise-free t/lambda off the truth by up to %.3g%%", m, 100*worst)
		}
		t.Logf("%s: noise-free worst relative error %.2e; summary %v", m, worst, res.Summary)
	}

	sc, c := seed(t, 24, true)
	var mem Memory
	if _, err := Thickness(CubeInput(c.LowLoss, nil), ThicknessOptions{}, &mem, RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	tl, sd := mem.Array(TLambdaName), mem.Array(TLambdaErrorName)
	chi2, worst := 0.0, 0.0
	for p, want := range sc.TLambda.Data {
		z := (tl.Data[p] - want) / sd.Data[p]
		chi2 += z * z
		worst = math.Max(worst, math.Abs(z))
	}
	chi2 /= float64(len(sc.TLambda.Data))
	if worst > 4 || chi2 < 0.7 || chi2 > 1.3 {
		t.Errorf("noisy low loss: max |error|/sd %.2f, mean (error/sd)^2 %.3f (want <= 4 and 0.7..1.3)", worst, chi2)
	}
	t.Logf("noisy: max |z| %.2f, mean z^2 %.3f over %d pixels", worst, chi2, len(sc.TLambda.Data))
}

// TestMeanFreePath checks the parameterisations against values computed
// by hand (python3, double precision) from the published formulas:
// Malis et al. (1988) for Si (Zeff = 14) at 200 kV, beta = 10 mrad:
// F = 0.617622, Em = 19.6526 eV, lambda = 125.333 nm; Iakoubovskii et al.
// (2008) for rho = 2.33 g/cm^3, alpha = 0, beta = 10 mrad, 200 kV:
// thetaE = 0.0573874 mrad, lambda = 172.565 nm; Zeff of SrTiO3
// (3 O, 1 Ti, 1 Sr) = 19.2329.
func TestMeanFreePath(t *testing.T) {
	for _, test := range []struct {
		name      string
		got, want float64
	}{
		{"Malis Si 200 kV 10 mrad", MalisMFP(200e3, 10e-3, 14), 125.33348690500023},
		{"Iakoubovskii 2.33 g/cm3 200 kV 10 mrad", IakoubovskiiMFP(200e3, 0, 10e-3, 2.33), 172.5645129686631},
		{"Zeff SrTiO3", EffectiveZ([]int{8, 22, 38}, []float64{3, 1, 1}), 19.23291637123912},
	} {
		if math.Abs(test.got/test.want-1) > 1e-12 {
			t.Errorf("%s: %.15g, want %.15g", test.name, test.got, test.want)
		}
	}
	// The absolute thickness is t/lambda times lambda.
	low := multispectrum.NewCube(1, 1, multispectrum.EnergyAxis{Offset: -5, Dispersion: 0.5, Size: 200})
	for i := range low.Width {
		e := low.Axis.Energy(i)
		low.Data[i] = 1000*math.Exp(-e*e/0.5) + 10
	}
	var mem Memory
	opts := ThicknessOptions{MeanFreePath: Malis, E0: 200e3, Beta: 10e-3, Zeff: 14}
	if _, err := Thickness(CubeInput(low, nil), opts, &mem, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	tl, th := mem.Array(TLambdaName).Data[0], mem.Array(ThicknessName).Data[0]
	if math.Abs(th-tl*125.33348690500023) > 1e-9*th {
		t.Errorf("thickness %g nm, want t/lambda %g x 125.333 nm", th, tl)
	}
}

// TestThicknessBadInput: options and data the operation refuses or flags.
func TestThicknessBadInput(t *testing.T) {
	low := multispectrum.NewCube(1, 3, multispectrum.EnergyAxis{Offset: -5, Dispersion: 0.5, Size: 64})
	for i := range low.Width {
		e := low.Axis.Energy(i)
		low.Data[i] = 1000*math.Exp(-e*e) + 5 // pixel 0: fine
		low.Data[low.Width+i] = math.NaN()    // pixel 1: NaN
	}
	var mem Memory
	if _, err := Thickness(CubeInput(low, nil), ThicknessOptions{}, &mem, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := mem.Array(StatusName).Data; got[0] != StatusOK || got[1] != StatusNonFinite || got[2] != StatusNoPeak {
		t.Errorf("status %v, want [0 1 2]", got)
	}
	for _, o := range []ThicknessOptions{
		{ZeroLoss: "mirror"},
		{MeanFreePath: Malis, E0: 300, Beta: 10e-3, Zeff: 14},
		{MeanFreePath: Malis, E0: 300e3, Beta: 10, Zeff: 14},
		{MeanFreePath: Iakoubovskii, E0: 300e3, Beta: 10e-3},
		{MeanFreePath: "tpp2m"},
	} {
		if _, err := Thickness(CubeInput(low, nil), o, &Memory{}, RunOptions{}); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	if _, err := Thickness(CubeInput(nil, low), ThicknessOptions{}, &Memory{}, RunOptions{}); err == nil {
		t.Error("no low loss: no error")
	}
}
