package quant

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/internal/simd"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

// seedFit is the aligned-shape seed data (n x n, 2028 channels, no
// shifts, per-pixel low loss) with the seed model's WLS engine, and the
// output arrays and kernel of the seed fit: weighted fit, CRLB and
// covariance of all parameters, chi-square, condition, status and the
// model cube.
type seedFit struct {
	n         int
	core, low *multispectrum.Cube
	eng       *LinearEngine
	p, nc     int
	lay       multispectrum.Layout
}

// processCPUTime returns the CPU time (user and system, all threads) the
// test process has used so far, where the system reports it
// (ladder_test.go), else 0.
var processCPUTime = func() time.Duration { return 0 }

var (
	seedFitMu    sync.Mutex
	seedFitCache = map[int]*seedFit{}
)

// newSeedFit simulates the seed scenario of n x n pixels once per test
// binary and prepares its fit.
func newSeedFit(tb testing.TB, n int) *seedFit {
	tb.Helper()
	seedFitMu.Lock()
	defer seedFitMu.Unlock()
	if s, ok := seedFitCache[n]; ok {
		return s
	}
	sc := simulate.SeedScenario(n)
	sc.Shifts = simulate.NoShifts
	sc.Axis = multispectrum.EnergyAxis{Offset: 205, Dispersion: 0.5, Size: 2028}
	sim, err := simulate.New(sc)
	if err != nil {
		tb.Fatal(err)
	}
	core := multispectrum.NewCube(n, n, sim.CoreAxis())
	low := multispectrum.NewCube(n, n, sim.LowAxis())
	if err := multispectrum.Process(context.Background(), multispectrum.NoSource{}, multispectrum.ArraySink{&core.Array, &low.Array},
		multispectrum.NewTiling(n, n, 11, 11), sim.Layout(), sim.NewWorkspace, sim.Tile); err != nil {
		tb.Fatal(err)
	}
	lowAxis := low.Axis
	eng, err := NewLinearEngine(seedModel(tb), LinearOptions{Method: fitters.WLS, Weights: true, LowLoss: &lowAxis})
	if err != nil {
		tb.Fatal(err)
	}
	p, nc := eng.Params(), core.Axis.Size
	s := &seedFit{n: n, core: core, low: low, eng: eng, p: p, nc: nc,
		lay: multispectrum.Layout{In: []int{nc, nc}, Out: []int{p, p, p * (p + 1) / 2, 3, nc}}}
	seedFitCache[n] = s
	return s
}

// outputs returns zero output arrays of the whole scan.
func (s *seedFit) outputs() []*multispectrum.Array {
	n, p := s.n, s.p
	return []*multispectrum.Array{multispectrum.NewArray(n, n, p), multispectrum.NewArray(n, n, p),
		multispectrum.NewArray(n, n, p*(p+1)/2), multispectrum.NewArray(n, n, 3), multispectrum.NewArray(n, n, s.nc)}
}

// kernel fits every pixel of a tile into the tile's output streams.
func (s *seedFit) kernel(ws *LinearWorkspace, t *multispectrum.Tile) error {
	p, nc := s.p, s.nc
	for q := 0; q < t.Region.Pixels(); q++ {
		var st fitters.Status
		s.eng.Pixel(ws, t.In[0][q*nc:(q+1)*nc], t.In[1][q*nc:(q+1)*nc], PixelResult{
			Coef: t.Out[0][q*p : (q+1)*p], Variance: t.Out[1][q*p : (q+1)*p], Covariance: t.Out[2][q*p*(p+1)/2 : (q+1)*p*(p+1)/2],
			Chi2: &t.Out[3][3*q], Condition: &t.Out[3][3*q+1], Status: &st, Model: t.Out[4][q*nc : (q+1)*nc]})
		t.Out[3][3*q+2] = float64(st)
	}
	return nil
}

// run fits the whole scan into outs through the streaming driver.
func (s *seedFit) run(outs []*multispectrum.Array, opts ...multispectrum.ProcessOption) error {
	return multispectrum.Process(context.Background(), multispectrum.ArraySource{&s.core.Array, &s.low.Array}, multispectrum.ArraySink(outs),
		multispectrum.NewTiling(s.n, s.n, 11, 11), s.lay, s.eng.NewWorkspace, s.kernel, opts...)
}

// BenchmarkFitSeedScenario fits the aligned-shape seed data (128 x 128,
// 2028 channels, per-pixel low loss) with the seed model through the
// streaming driver on all cores: weighted fit, CRLB and covariance of all
// parameters and the model cube. It reports spectra per second and the
// process's CPU time per spectrum (all threads; the measure of work that
// other processes on a shared machine disturb least), with the
// normal equations on the AVX2/FMA kernels (kernel=simd; the Go loops on
// CPUs without them) and on the Go loops (kernel=go), one after the other
// in each round, so that -count N alternates them; compare with
//
//	go test -bench FitSeedScenario -count 10 ./quant > seed.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /kernel seed.txt
func BenchmarkFitSeedScenario(b *testing.B) {
	const n = 128
	s := newSeedFit(b, n)
	outs := s.outputs()
	for _, kernel := range []string{"simd", "go"} {
		b.Run("kernel="+kernel, func(b *testing.B) {
			was := simd.SetAccelerated(kernel == "simd")
			defer simd.SetAccelerated(was)
			cpu := processCPUTime()
			for b.Loop() {
				if err := s.run(outs); err != nil {
					b.Fatal(err)
				}
			}
			cpu = processCPUTime() - cpu
			b.ReportMetric(float64(b.N*n*n)/b.Elapsed().Seconds(), "spectra/s")
			if cpu > 0 {
				b.ReportMetric(cpu.Seconds()/float64(b.N*n*n)*1e6, "cpu-us/spectrum")
			}
			// Sanity: the carbon amplitude (true 1 everywhere) is recovered.
			if c := outs[0].Pixel(3, 3)[4]; math.Abs(c-1) > 0.5 {
				b.Fatalf("C amplitude %v", c)
			}
		})
	}
}

// TestSeedFitKernels fits the 32 x 32 seed scan on the AVX2/FMA kernels
// and on the Go loops (the code before the kernels, to the bit) and
// bounds the differences. The kernels only change the order and rounding
// of the sums of the normal equations, so the results move by the
// rounding of those sums (about 1e-15 relative) times the condition
// number of the scaled Gram and Fisher matrices (about 260^2, 7e4):
// measured (2026-12-02, both FFT backends) at most 1.1e-10 relative in
// the CRLB and the covariance, 3e-10 standard errors in the coefficients,
// 2e-12 relative in the model and 1.2e-12 in the chi-square (on 48 x 48
// pixels: 1.4e-10, 3.3e-10, 2e-12, 1.3e-12). The bounds below are about
// 10x those; a kernel that loses or repeats a row changes the results by far
// more.
func TestSeedFitKernels(t *testing.T) {
	if !simd.Accelerated() {
		t.Skip("no assembly kernels on this CPU or build")
	}
	s := newSeedFit(t, 32)
	fit := func(accelerated bool) []*multispectrum.Array {
		was := simd.SetAccelerated(accelerated)
		defer simd.SetAccelerated(was)
		outs := s.outputs()
		if err := s.run(outs); err != nil {
			t.Fatal(err)
		}
		return outs
	}
	got, ref := fit(true), fit(false)
	p := s.p
	var coef, crlb, cov, model, chi2 float64
	rel := func(a, b float64) float64 {
		if a == b {
			return 0
		}
		return math.Abs(a-b) / math.Abs(b)
	}
	for y := 0; y < s.n; y++ {
		for x := 0; x < s.n; x++ {
			vg, vr := got[1].Pixel(y, x), ref[1].Pixel(y, x)
			if st := got[3].Pixel(y, x)[2]; st != ref[3].Pixel(y, x)[2] || st != float64(fitters.OK) {
				t.Fatalf("pixel (%d, %d): status %v, Go loops %v", y, x, st, ref[3].Pixel(y, x)[2])
			}
			for k := 0; k < p; k++ {
				coef = math.Max(coef, math.Abs(got[0].Pixel(y, x)[k]-ref[0].Pixel(y, x)[k])/math.Sqrt(vr[k]))
				crlb = math.Max(crlb, rel(vg[k], vr[k]))
			}
			q := 0
			for k := 0; k < p; k++ {
				for l := k; l < p; l++ {
					d := math.Abs(got[2].Pixel(y, x)[q] - ref[2].Pixel(y, x)[q])
					cov = math.Max(cov, d/math.Sqrt(vr[k]*vr[l]))
					q++
				}
			}
			for i, m := range ref[4].Pixel(y, x) {
				model = math.Max(model, rel(got[4].Pixel(y, x)[i], m))
			}
			chi2 = math.Max(chi2, rel(got[3].Pixel(y, x)[0], ref[3].Pixel(y, x)[0]))
		}
	}
	t.Logf("largest differences, kernels against Go loops: coefficients %.2g standard errors, CRLB %.2g, covariance %.2g (of sqrt(c_kk c_ll)), model %.2g, chi2 %.2g relative",
		coef, crlb, cov, model, chi2)
	for _, c := range []struct {
		name       string
		got, bound float64
	}{{"coefficients", coef, 3e-9}, {"CRLB", crlb, 1.5e-9}, {"covariance", cov, 1.5e-9}, {"model", model, 2e-11}, {"chi2", chi2, 1.5e-11}} {
		if !(c.got <= c.bound) {
			t.Errorf("%s differ by %.3g, more than %.3g", c.name, c.got, c.bound)
		}
	}
}

// TestSeedPixelAllocatesNothing: a seed pixel (fit with the low loss,
// CRLB, covariance and model) allocates nothing on either kernel.
func TestSeedPixelAllocatesNothing(t *testing.T) {
	s := newSeedFit(t, 16)
	ws := s.eng.NewWorkspace()
	p := s.p
	coef, vr, cov, model := make([]float64, p), make([]float64, p), make([]float64, p*(p+1)/2), make([]float64, s.nc)
	var chi2, cond float64
	var st fitters.Status
	for _, accelerated := range []bool{true, false} {
		was := simd.SetAccelerated(accelerated)
		allocs := testing.AllocsPerRun(10, func() {
			s.eng.Pixel(ws, s.core.Pixel(5, 7), s.low.Pixel(5, 7), PixelResult{Coef: coef, Variance: vr, Covariance: cov,
				Model: model, Chi2: &chi2, Condition: &cond, Status: &st})
		})
		simd.SetAccelerated(was)
		if allocs != 0 || st != fitters.OK {
			t.Errorf("accelerated %v: status %v, %v allocations per pixel", accelerated && simd.Accelerated(), st, allocs)
		}
	}
}
