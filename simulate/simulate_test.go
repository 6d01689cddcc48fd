package simulate

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// run simulates sc into in-memory arrays with the given tiling.
func run(t testing.TB, sc *Scenario, ty, tx, workers int) (*Simulator, []*multispectrum.Array) {
	t.Helper()
	s, err := New(sc)
	if err != nil {
		t.Fatal(err)
	}
	lay := s.Layout()
	var outs []*multispectrum.Array
	for _, w := range lay.Out {
		outs = append(outs, multispectrum.NewArray(sc.NY, sc.NX, w))
	}
	err = multispectrum.Process(context.Background(), multispectrum.NoSource{}, multispectrum.ArraySink(outs),
		multispectrum.NewTiling(sc.NY, sc.NX, ty, tx), lay, s.NewWorkspace, s.Tile, multispectrum.Workers(workers))
	if err != nil {
		t.Fatal(err)
	}
	return s, outs
}

// uniform returns an n x n scenario with the same maps and thickness in
// every pixel.
func uniform(n int, amps []float64, tl float64) *Scenario {
	sc := SeedScenario(n)
	for p := 0; p < n*n; p++ {
		copy(sc.Maps.Data[p*4:(p+1)*4], amps)
		sc.TLambda.Data[p] = tl
	}
	sc.Shifts = NoShifts
	sc.KeepExpected = true
	return sc
}

func TestLowLossMatchesComponents(t *testing.T) {
	// Noise free and unshifted, the low loss is exactly the zero-loss
	// Gaussian plus the reference Plasmon component (doc/algorithms.md 8.1),
	// times the low-loss scale.
	sc := uniform(2, []float64{1, 0, 0, 0}, 0.7)
	s, outs := run(t, sc, 2, 2, 1)
	ax := s.LowAxis()
	zlp := make([]float64, ax.Size)
	components.NewGaussian(ax, 1, 0, 1).Eval(zlp)
	a := 0.0
	for _, v := range zlp {
		a += v
	}
	pl := make([]float64, ax.Size)
	components.NewPlasmon(ax, a, 22, 5, 5, 0.7, 20e-3, 300e3).Eval(pl)
	got := outs[1].Pixel(1, 1)
	for i := range got {
		want := (zlp[i] + pl[i]) * 1e4
		if math.Abs(got[i]-want) > 1e-9*math.Max(want, 1) {
			t.Fatalf("low loss channel %d (%g eV): %v, want %v", i, ax.Energy(i), got[i], want)
		}
	}
	// Total over zero loss = exp(t): the log-ratio gives t back.
	tot := 0.0
	for _, v := range got {
		tot += v
	}
	if r := math.Log(tot / (a * 1e4)); math.Abs(r-0.7) > 1e-6 {
		t.Errorf("log-ratio thickness %v, want 0.7", r)
	}
}

func TestBackgroundAndEdgeShapes(t *testing.T) {
	// Thin sample, no edges: the background is A_bg ((E + 99.5)/299.5)^-3
	// (the relabelled power law, doc/algorithms.md 8.3) blurred only by the
	// 1 eV zero loss, so within 1e-3 of it.
	sc := uniform(1, []float64{0, 0, 0, 0}, 1e-6)
	sc.AddPoisson = false
	s, outs := run(t, sc, 1, 1, 1)
	ax := s.CoreAxis()
	got := outs[0].Pixel(0, 0)
	for _, e := range []float64{200, 300, 500, 900, 1200} {
		i := ax.Index(e)
		want := 1000 * math.Pow((ax.Energy(i)+99.5)/299.5, -3)
		if math.Abs(got[i]/want-1) > 1e-3 {
			t.Errorf("background at %g eV: %v, want %v", ax.Energy(i), got[i], want)
		}
	}
	// One edge and no background: the counts are the cross section
	// convolved with the unit-sum low loss, so its total is preserved.
	sc = uniform(1, []float64{2, 0, 0, 0}, 0.3)
	sc.AddPoisson, sc.BackgroundA = false, 0
	s, outs = run(t, sc, 1, 1, 1)
	sigma := make([]float64, s.CoreAxis().Size)
	edge, err := components.NewCoreLossEdge(s.CoreAxis(), sc.Source, nil, "C", "K", gosSetup(sc), 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	edge.Eval(sigma)
	var a, b float64
	for i := range sigma {
		a += sigma[i]
		b += outs[0].Pixel(0, 0)[i]
	}
	// The plasmon tail carries a few per mille beyond the window's end.
	if math.Abs(b/a-1) > 0.02 {
		t.Errorf("edge total %v after convolution, %v before", b, a)
	}
}

func TestPoissonMeansMatchExpectation(t *testing.T) {
	// 1600 identical pixels: the per-channel mean of the counts must
	// equal the noise-free expectation within 5 standard errors.
	const n = 40
	sc := uniform(n, []float64{1, 0.5, 0.5, 0.3}, 0.5)
	_, outs := run(t, sc, 7, 9, 2)
	core, exp := outs[0], outs[2]
	nc := core.Width
	mean := make([]float64, nc)
	for p := 0; p < n*n; p++ {
		multispectrum.AddTo(mean, core.Data[p*nc:(p+1)*nc])
	}
	bad := 0
	for i := range mean {
		mean[i] /= n * n
		m := exp.Data[i]
		if math.Abs(mean[i]-m) > 5*math.Sqrt(m/(n*n)) {
			bad++
			t.Logf("channel %d: mean %v, expected %v", i, mean[i], m)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d channels off by more than 5 standard errors", bad, nc)
	}
	// Total counts per pixel: Poisson around the expected total.
	tot := 0.0
	for _, v := range exp.Data[:nc] {
		tot += v
	}
	for p := 0; p < 50; p++ {
		s := 0.0
		for _, v := range core.Data[p*nc : (p+1)*nc] {
			s += v
		}
		if math.Abs(s-tot) > 5*math.Sqrt(tot) {
			t.Errorf("pixel %d: %v counts, expected %v", p, s, tot)
		}
	}
}

func TestShiftsAppearInBothCubes(t *testing.T) {
	for _, mode := range []ShiftMode{IntegerShifts, SubchannelShifts, ReferenceShifts} {
		sc := SeedScenario(16)
		sc.Shifts = mode
		sc.KeepExpected = true
		s, outs := run(t, sc, 5, 3, 2)
		ax := s.LowAxis()
		for p := 0; p < 16*16; p++ {
			ll := outs[1].Data[p*ax.Size : (p+1)*ax.Size]
			k := 0
			for i, v := range ll {
				if v > ll[k] {
					k = i
				}
			}
			// Peak position from a parabola through log counts (exact for
			// a Gaussian).
			l0, l1, l2 := math.Log(ll[k-1]), math.Log(ll[k]), math.Log(ll[k+1])
			pos := ax.Energy(k) + ax.Dispersion*0.5*(l0-l2)/(l0-2*l1+l2)
			// The plasmon tail pulls the apparent peak by < 0.002 eV.
			if d := pos - s.Shifts()[p]; math.Abs(d) > 0.005 {
				t.Fatalf("%s: pixel %d zero-loss peak at %.4f eV, true shift %.4f eV", mode, p, pos, s.Shifts()[p])
			}
			if mode == IntegerShifts && math.Abs(ax.Energy(k)-s.Shifts()[p]) > 1e-9 {
				t.Fatalf("integer: argmax at %v, shift %v", ax.Energy(k), s.Shifts()[p])
			}
		}
		// The core loss moves with the low loss: the noise-free C K onset
		// jump sits at 284 eV + shift.
		cax := s.CoreAxis()
		for p := 0; p < 16*16; p += 17 {
			exp := outs[2].Data[p*cax.Size : (p+1)*cax.Size]
			best, at := 0.0, 0
			for i := cax.Index(270); i < cax.Index(300); i++ {
				if d := exp[i+1] - exp[i]; d > best {
					best, at = d, i
				}
			}
			if onset := cax.Energy(at); math.Abs(onset-(284+s.Shifts()[p])) > 1.01 {
				t.Errorf("%s: pixel %d C K jump at %v eV, want %v", mode, p, onset, 284+s.Shifts()[p])
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	sc := SeedScenario(12)
	sc.Shifts = SubchannelShifts
	_, a := run(t, sc, 12, 12, 1)
	_, b := run(t, sc, 5, 7, 3)
	if !slices.Equal(a[0].Data, b[0].Data) || !slices.Equal(a[1].Data, b[1].Data) {
		t.Error("same seed, different tiling: different data")
	}
	sc.Seed = 2
	_, c := run(t, sc, 12, 12, 2)
	if slices.Equal(a[0].Data, c[0].Data) {
		t.Error("different seeds gave the same data")
	}
}

func TestSeedGeometry(t *testing.T) {
	// The seed masks of doc/algorithms.md 8 on 128 x 128.
	maps, tl := SeedMaps(128)
	count := map[SeedRegion]int{}
	for iy := 0; iy < 128; iy++ {
		for ix := 0; ix < 128; ix++ {
			count[SeedRegionOf(128, iy, ix)]++
		}
	}
	if count[NSquare] != 400 || count[NRectangle] != 600 {
		t.Errorf("N regions: %v", count)
	}
	if m := maps.Pixel(10, 10); m[1] != 2 || m[0] != 1 {
		t.Errorf("N square pixel: %v", m)
	}
	if m := maps.Pixel(64, 64); m[3] != 1 || m[2] != 0 {
		t.Errorf("disc centre: %v", m)
	}
	if m := maps.Pixel(64, 64+25); m[3] != 0.5 || m[2] != 1 {
		t.Errorf("ring: %v", m)
	}
	// Thickness: the disc (6 + 26) is the thickest, scaled to 1.
	if tl.Pixel(64, 64)[0] != 1 || math.Abs(tl.Pixel(0, 0)[0]-6.0/32) > 1e-15 {
		t.Errorf("t/lambda %v %v", tl.Pixel(64, 64)[0], tl.Pixel(0, 0)[0])
	}
}

func TestValidate(t *testing.T) {
	for name, f := range map[string]func(*Scenario){
		"negative map":  func(s *Scenario) { s.Maps.Data[3] = -1 },
		"NaN thickness": func(s *Scenario) { s.TLambda.Data[0] = math.NaN() },
		"E0 in kV":      func(s *Scenario) { s.E0 = 300 },
		"bad mode":      func(s *Scenario) { s.Shifts = "sideways" },
		"edges":         func(s *Scenario) { s.Edges = s.Edges[:2] },
	} {
		sc := SeedScenario(4)
		f(sc)
		if _, err := New(sc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	sc := SeedScenario(4)
	sc.Elements[3] = "U" // no hydrogenic L for U
	if _, err := New(sc); err == nil {
		t.Error("U L accepted by the hydrogenic source")
	}
}

// BenchmarkSeedScenario simulates the default 128 x 128 scenario
// (2048 channels, shifts, noise) and reports spectra per second.
func BenchmarkSeedScenario(b *testing.B) {
	benchmarkScenario(b, SeedScenario(128))
}

// BenchmarkContinuousThickness is the seed scenario with a distinct
// t/lambda in every pixel, so the per-thickness cache never hits.
func BenchmarkContinuousThickness(b *testing.B) {
	sc := SeedScenario(128)
	for p := range sc.TLambda.Data {
		sc.TLambda.Data[p] = 0.2 + 0.8*float64(p)/float64(len(sc.TLambda.Data))
	}
	benchmarkScenario(b, sc)
}

// benchmarkScenario simulates a 128 x 128 scenario into memory and
// reports spectra per second.
func benchmarkScenario(b *testing.B, sc *Scenario) {
	s, err := New(sc)
	if err != nil {
		b.Fatal(err)
	}
	lay := s.Layout()
	var outs []*multispectrum.Array
	for _, w := range lay.Out {
		outs = append(outs, multispectrum.NewArray(sc.NY, sc.NX, w))
	}
	for b.Loop() {
		err := multispectrum.Process(context.Background(), multispectrum.NoSource{}, multispectrum.ArraySink(outs),
			multispectrum.NewTiling(sc.NY, sc.NX, 11, 11), lay, s.NewWorkspace, s.Tile)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*sc.NY*sc.NX)/b.Elapsed().Seconds(), "spectra/s")
}
