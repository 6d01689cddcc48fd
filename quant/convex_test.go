package quant

import (
	"context"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/simulate"
)

// convexSeed returns the aligned 32 x 32 seed input (Poisson noise).
func convexSeed(t testing.TB) (Input, *simulate.Scenario) {
	t.Helper()
	ctx := context.Background()
	sc := simulate.SeedScenario(32)
	sim, err := simulate.Run(ctx, sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	al := &aligners.Memory{}
	if _, err := aligners.Run(ctx, aligners.CubeInput(sim.LowLoss, sim.CoreLoss), al, aligners.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	return CubeInput(al.Cubes[1], al.Cubes[0], sc.Instrument()), sc
}

// TestConvexBackground (issue 14 item 2) on the seed scenario with 6
// background terms: the constrained background satisfies the convexity
// constraints on every pixel; where the unconstrained fit already does,
// the constrained fit is that fit, to the bit; elsewhere its chi-square
// can only be larger (it is the optimum over a smaller set).
func TestConvexBackground(t *testing.T) {
	in, sc := convexSeed(t)
	run := func(convex bool) (*Plan, *Memory) {
		p, err := NewPlan(in, Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 6, ConvexBackground: convex, FitOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		m := NewMemory()
		if _, err := p.Run(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		return p, m
	}
	pc, mc := run(true)
	_, mu := run(false)
	eng := pc.fit.(*LinearEngine)
	if eng.convM != convexSamples {
		t.Fatalf("%d convexity samples", eng.convM)
	}
	active := 0
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			c, u := mc.Pixel(StreamCoefficients, y, x), mu.Pixel(StreamCoefficients, y, x)
			if !eng.feasible(c) {
				t.Fatalf("pixel %d,%d: the convex fit violates the constraints", y, x)
			}
			if eng.feasible(u) {
				for k := range c {
					if c[k] != u[k] {
						t.Fatalf("pixel %d,%d: constraint inactive but coefficient %d differs: %g vs %g", y, x, k, c[k], u[k])
					}
				}
				continue
			}
			active++
			if cc, cu := mc.Pixel(StreamChi2, y, x)[0], mu.Pixel(StreamChi2, y, x)[0]; cc < cu*(1-1e-9) {
				t.Errorf("pixel %d,%d: constrained chi-square %g below the unconstrained %g", y, x, cc, cu)
			}
		}
	}
	t.Logf("%d of 1024 pixels needed the constraint", active)
}

// BenchmarkConvexBackground times the 32 x 32 seed fit (6 background
// terms, CRLB and covariance) with and without the convexity
// constraint, side by side.
func BenchmarkConvexBackground(b *testing.B) {
	in, sc := convexSeed(b)
	for _, convex := range []bool{false, true} {
		name := "unconstrained"
		if convex {
			name = "convex"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := NewPlan(in, Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 6, ConvexBackground: convex, FitOnly: true, Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Run(context.Background(), NewMemory()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1024)/b.Elapsed().Seconds(), "spectra/s")
		})
	}
}
