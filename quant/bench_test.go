package quant

import (
	"context"
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

// BenchmarkFitSeedScenario fits the aligned-shape seed data (128 x 128,
// 2028 channels, per-pixel low loss) with the seed model through the
// streaming driver on all cores: weighted fit, CRLB and covariance of all
// parameters and the model cube. It reports spectra per second.
func BenchmarkFitSeedScenario(b *testing.B) {
	const n = 128
	sc := simulate.SeedScenario(n)
	sc.Shifts = simulate.NoShifts
	sc.Axis = multispectrum.EnergyAxis{Offset: 205, Dispersion: 0.5, Size: 2028}
	sim, err := simulate.New(sc)
	if err != nil {
		b.Fatal(err)
	}
	core := multispectrum.NewCube(n, n, sim.CoreAxis())
	low := multispectrum.NewCube(n, n, sim.LowAxis())
	if err := multispectrum.Process(context.Background(), multispectrum.NoSource{}, multispectrum.ArraySink{&core.Array, &low.Array},
		multispectrum.NewTiling(n, n, 11, 11), sim.Layout(), sim.NewWorkspace, sim.Tile); err != nil {
		b.Fatal(err)
	}
	m := seedModel(b)
	lowAxis := low.Axis
	eng, err := NewLinearEngine(m, LinearOptions{Method: fitters.WLS, Weights: true, LowLoss: &lowAxis})
	if err != nil {
		b.Fatal(err)
	}
	p, nc := eng.Params(), core.Axis.Size
	outs := []*multispectrum.Array{multispectrum.NewArray(n, n, p), multispectrum.NewArray(n, n, p),
		multispectrum.NewArray(n, n, p*(p+1)/2), multispectrum.NewArray(n, n, 3), multispectrum.NewArray(n, n, nc)}
	kernel := func(ws *LinearWorkspace, t *multispectrum.Tile) error {
		for q := 0; q < t.Region.Pixels(); q++ {
			var st fitters.Status
			eng.Pixel(ws, t.In[0][q*nc:(q+1)*nc], t.In[1][q*nc:(q+1)*nc], PixelResult{
				Coef: t.Out[0][q*p : (q+1)*p], Variance: t.Out[1][q*p : (q+1)*p], Covariance: t.Out[2][q*p*(p+1)/2 : (q+1)*p*(p+1)/2],
				Chi2: &t.Out[3][3*q], Condition: &t.Out[3][3*q+1], Status: &st, Model: t.Out[4][q*nc : (q+1)*nc]})
			t.Out[3][3*q+2] = float64(st)
		}
		return nil
	}
	lay := multispectrum.Layout{In: []int{nc, nc}, Out: []int{p, p, p * (p + 1) / 2, 3, nc}}
	b.ResetTimer()
	for b.Loop() {
		err := multispectrum.Process(context.Background(), multispectrum.ArraySource{&core.Array, &low.Array}, multispectrum.ArraySink(outs),
			multispectrum.NewTiling(n, n, 11, 11), lay, eng.NewWorkspace, kernel)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n*n)/b.Elapsed().Seconds(), "spectra/s")
	// Sanity: the carbon amplitude (true 1 everywhere) is recovered.
	if c := outs[0].Pixel(3, 3)[4]; math.Abs(c-1) > 0.5 {
		b.Fatalf("C amplitude %v", c)
	}
}
