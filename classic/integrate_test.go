package classic

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/formats/msa"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

// seedRegions simulates the five regions of the seed scenario (matrix, N
// square, N rectangle, O/Fe ring, Fe disc), one row of nx pixels each,
// every pixel with its region's composition and t/lambda (those of the
// 128 x 128 seed at the pixel named), Poisson noise and no shifts.
func seedRegions(t *testing.T, nx int) (*simulate.Scenario, *simulate.Cubes) {
	t.Helper()
	return seedRegionsDose(t, nx, 1, true)
}

// seedRegionsDose is seedRegions with the core-loss counts multiplied by
// dose before the Poisson sampling (Scenario.Noise), or not sampled. A
// pixel at dose n has the distribution of the sum of n spectra of its
// region: a sum of independent Poisson variables is a Poisson variable
// of the summed mean. The low loss is noise-free.
func seedRegionsDose(t *testing.T, nx int, dose float64, poisson bool) (*simulate.Scenario, *simulate.Cubes) {
	t.Helper()
	sc := simulate.SeedScenario(128)
	maps, tl := sc.Maps, sc.TLambda
	pix := [][2]int{{0, 0}, {10, 10}, {95, 100}, {64, 64 + 25}, {64, 64}}
	sc.NY, sc.NX = len(pix), nx
	sc.Maps, sc.TLambda = multispectrum.NewArray(sc.NY, nx, 4), multispectrum.NewArray(sc.NY, nx, 1)
	for y, p := range pix {
		for x := range nx {
			copy(sc.Maps.Pixel(y, x), maps.Pixel(p[0], p[1]))
			sc.TLambda.Pixel(y, x)[0] = tl.Pixel(p[0], p[1])[0]
		}
	}
	sc.Shifts, sc.Noise, sc.AddPoisson = simulate.NoShifts, dose, poisson
	c, err := simulate.Run(context.Background(), sc, 2)
	if err != nil {
		t.Fatal(err)
	}
	return sc, c
}

// simulatePixels simulates a 1 x len(maps) scan of the seed scenario's
// settings, pixel x with the edge amplitudes maps[x] (C, N, O, Fe) and
// t/lambda tl[x], noise-free, the core loss multiplied by dose.
func simulatePixels(t *testing.T, maps [][]float64, tl []float64, dose float64) *simulate.Cubes {
	t.Helper()
	sc := simulate.SeedScenario(128)
	sc.NY, sc.NX = 1, len(maps)
	sc.Maps, sc.TLambda = multispectrum.NewArray(1, len(maps), 4), multispectrum.NewArray(1, len(maps), 1)
	for x := range maps {
		copy(sc.Maps.Pixel(0, x), maps[x])
		sc.TLambda.Pixel(0, x)[0] = tl[x]
	}
	sc.Shifts, sc.Noise, sc.AddPoisson = simulate.NoShifts, dose, false
	c, err := simulate.Run(context.Background(), sc, 2)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedEdges are the seed's edges with the default windows.
func seedEdges() []EdgeWindows {
	return []EdgeWindows{{Element: "C", Edge: "K"}, {Element: "N", Edge: "K"}, {Element: "O", Edge: "K"}, {Element: "Fe", Edge: "L"}}
}

// seedChecks are the ratios of the seed regions (rows of seedRegions):
// edge k over C, with the truth of the seed's maps (doc/algorithms.md 8.6).
var seedChecks = []struct {
	row, k int
	truth  float64
}{{1, 1, 2}, {2, 1, 1}, {3, 2, 1}, {3, 3, 0.5}, {4, 3, 1}}

var seedRegionNames = []string{"matrix", "N square", "N rectangle", "O/Fe ring", "Fe disc"}

// integrateSeed runs Integrate with the default windows on the seed
// regions' cubes.
func integrateSeed(t *testing.T, sc *simulate.Scenario, c *simulate.Cubes, m BackgroundMethod) *Memory {
	t.Helper()
	opts := IntegrateOptions{Edges: seedEdges(), Method: m, Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}
	var px Memory
	if _, err := Integrate(CubeInput(c.LowLoss, c.CoreLoss), opts, &px, RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	return &px
}

// TestIntegrateSeed: the conventional method on the seed scenario's
// regions with the default windows and both background methods.
//
// The method's bias, on the noise-free spectra at the counts of 200
// spectra (so that the 1/2 of the log-log fit is negligible): every
// ratio within 5% of the truth, and each bias equal to the value this
// code gave when written (percent: log-log N/C +1.10, +1.17, O/C +2.09,
// Fe/C -3.30 in the ring and -3.98 in the disc; two areas +1.00, +1.16,
// +2.08, -3.29, -4.03) within 0.1 percentage point. Why the method is
// biased is TestIntegrateSeedBias's subject.
//
// The noise, on 100 independent Poisson realisations of each region at
// the dose of 200 spectra (one pixel each, seedRegionsDose): the
// deviations from the noise-free ratio divided by the stated standard
// deviation have a mean square inside the 99.9% interval of the
// chi-square with 100 degrees of freedom divided by 100 (0.62..1.49),
// and the mean ratio is within 3 standard errors of the noise-free one,
// i.e. the error estimate is right and the noise adds no bias. A single
// 200-spectrum sum is not a 5% measurement: Fe/C in the ring has a
// standard deviation of 3.8% (log-log), and the fraction of realisations
// more than 5% off the truth is logged. (The earlier version of this
// test summed one such realisation and found -12.9% there, 2.7 standard
// deviations from the method's -3.3%, and blamed the O K tail.)
func TestIntegrateSeed(t *testing.T) {
	sc, c := seedRegionsDose(t, 1, 200, false)
	pinned := map[BackgroundMethod][]float64{LogLog: {1.10, 1.17, 2.09, -3.30, -3.98}, TwoArea: {1.00, 1.16, 2.08, -3.29, -4.03}}
	const k = 100
	scn, cn := seedRegionsDose(t, k, 200, true)
	for _, m := range []BackgroundMethod{LogLog, TwoArea} {
		exact := integrateSeed(t, sc, c, m).Array(RatiosName)
		noisy := integrateSeed(t, scn, cn, m)
		nr, ne := noisy.Array(RatiosName), noisy.Array(RatioErrorName)
		for i, ch := range seedChecks {
			r0 := exact.Pixel(ch.row, 0)[ch.k-1]
			bias := 100 * (r0/ch.truth - 1)
			var chi2, mean, vmean float64
			off := 0
			for x := range k {
				r, e := nr.Pixel(ch.row, x)[ch.k-1], ne.Pixel(ch.row, x)[ch.k-1]
				z := (r - r0) / e
				chi2 += z * z
				mean += r
				vmean += e * e
				if math.Abs(r/ch.truth-1) > 0.05 {
					off++
				}
			}
			chi2, mean = chi2/k, mean/k
			se := math.Sqrt(vmean) / k
			t.Logf("%-8s %-11s %s/C: noise-free %.4f (bias %+.2f%%); 200 spectra: sd %.2f%%, mean %.4f (%+.1f se), mean square of z %.2f, %d%% beyond 5%% of the truth; truth %g",
				m, seedRegionNames[ch.row], sc.Elements[ch.k], r0, bias, 100*math.Sqrt(vmean/k)/r0, mean, (mean-r0)/se, chi2, 100*off/k, ch.truth)
			if math.Abs(bias) > 5 {
				t.Errorf("%s: %s %s/C = %.4f, truth %g: bias %+.2f%% beyond 5%%", m, seedRegionNames[ch.row], sc.Elements[ch.k], r0, ch.truth, bias)
			}
			if want := pinned[m][i]; math.Abs(bias-want) > 0.1 {
				t.Errorf("%s: %s %s/C: bias %+.2f%%, was %+.2f%% when written", m, seedRegionNames[ch.row], sc.Elements[ch.k], bias, want)
			}
			if chi2 < 0.62 || chi2 > 1.49 {
				t.Errorf("%s: %s %s/C: mean square of the standardised deviations %.2f outside 0.62..1.49", m, seedRegionNames[ch.row], sc.Elements[ch.k], chi2)
			}
			if math.Abs(mean-r0) > 3*se {
				t.Errorf("%s: %s %s/C: mean of %d realisations %.4f, noise-free %.4f: %.1f standard errors", m, seedRegionNames[ch.row], sc.Elements[ch.k], k, mean, r0, (mean-r0)/se)
			}
		}
	}
}

// TestIntegrateSeedBias shows where the conventional method's bias on
// the seed comes from, on the noise-free regions at the counts of 200
// spectra, with exact references: the net counts of an edge are the
// spectrum minus the same pixel simulated without that edge.
//
//  1. The O K tail under the Fe L background window is not the cause: in
//     the ring the log-log power law follows the spectrum over that window
//     to 0.016% and its extrapolation under Delta misses the Fe L net
//     counts by -0.5% (the background is 9.3 times the Fe L signal
//     there; the simulated background alone, 2, makes -0.5%), and Fe/C is
//     the same within 0.2 percentage points with and without O (-3.30%
//     and -3.17%).
//  2. The C K background: the simulator's background is the power law of
//     E + 99.5 eV convolved with the low loss (doc/algorithms.md 8.3),
//     whose log-log slope goes from -2.4 at 270 eV to -2.7 at 700 eV, so
//     a single power law fitted over the 28 eV before C K and extrapolated
//     over the 50 eV after it is too high: the C K net counts are 4.0 to
//     4.3% low in every region. On a pure power law (the same edges on
//     A E^-3) they are within 0.1%.
//  3. The plural scattering: I_l(Delta) corrects exactly only an edge
//     whose intensity sits at its onset; the hydrogenic Fe L edge rises
//     to a delayed maximum, so at t/lambda 0.84 more of it is scattered
//     beyond Delta than of O K or C K: Fe/O in the ring is -5.3%, and
//     within 0.5% after Fourier-ratio deconvolution (then no I_l). On the
//     pure power law, where 2 is absent, Fe/C in the ring is -7.3%; the
//     seed's -3.3% is 3 partly cancelled by 2.
func TestIntegrateSeedBias(t *testing.T) {
	sc, c := seedRegionsDose(t, 1, 200, false)
	ring := 3
	// Variants: each region without C, each region's background alone,
	// the ring without O and without Fe.
	var maps [][]float64
	var tls []float64
	add := func(y int, drop ...int) {
		m := append([]float64(nil), sc.Maps.Pixel(y, 0)...)
		for _, k := range drop {
			m[k] = 0
		}
		maps, tls = append(maps, m), append(tls, sc.TLambda.Pixel(y, 0)[0])
	}
	for y := range sc.NY {
		add(y, 0)          // 2y: without C
		add(y, 0, 1, 2, 3) // 2y+1: background only
	}
	add(ring, 2) // 10: the ring without O
	add(ring, 3) // 11: the ring without Fe
	v := simulatePixels(t, maps, tls, 200)
	ax := c.CoreLoss.Axis
	exactNet := func(full, without []float64, w EdgeWindows) float64 {
		on, _ := EdgeOnset(w.Element, w.Edge)
		i0, i1, err := window(ax, on, on+50, "")
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i := i0; i < i1; i++ {
			s += full[i] - without[i]
		}
		return s
	}
	edges := seedEdges()
	opts := IntegrateOptions{Edges: edges, Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}
	integrate := func(low, core *multispectrum.Cube) *Memory {
		var m Memory
		if _, err := Integrate(CubeInput(low, core), opts, &m, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	seed := integrate(c.LowLoss, c.CoreLoss)

	// 1. Fe L in the ring.
	full := c.CoreLoss.Pixel(ring, 0)
	p, ws, err := integratePlan(CubeInput(c.LowLoss, c.CoreLoss), opts)
	if err != nil || p == nil {
		t.Fatal(err)
	}
	fe := ws[3]
	worst := 0.0
	for j := fe.b0; j < fe.b1; j++ { // the fit's residuals, channel by channel
		one := fe
		one.i0, one.i1, one.lnEi = j, j+1, fe.lnE[j-fe.b0:j-fe.b0+1]
		_, _, bg, _, _ := edgeSignal(full, ax, &one, LogLog)
		worst = math.Max(worst, math.Abs(full[j]/bg-1))
	}
	feExact := exactNet(full, v.CoreLoss.Pixel(0, 11), edges[3])
	feGot := seed.Array(SignalName).Pixel(ring, 0)[3]
	feBg := seed.Array(BackgroundName).Pixel(ring, 0)[3]
	withO := seed.Array(RatiosName).Pixel(ring, 0)[2]/0.5 - 1
	var noO Memory
	noOCore := multispectrum.NewCube(1, 1, ax)
	copy(noOCore.Data, v.CoreLoss.Pixel(0, 10))
	noOLow := multispectrum.NewCube(1, 1, c.LowLoss.Axis)
	copy(noOLow.Data, c.LowLoss.Pixel(ring, 0))
	if _, err := Integrate(CubeInput(noOLow, noOCore), opts, &noO, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	withoutO := noO.Array(RatiosName).Data[2]/0.5 - 1
	t.Logf("ring, Fe L background window %g..%g eV: largest residual of the power law %.4f%%; Fe L net %.1f, extrapolation error %+.2f%% of it, background/net %.1f; Fe/C bias %+.2f%% with O, %+.2f%% without",
		ax.Energy(fe.b0), ax.Energy(fe.b1), 100*worst, feExact, 100*(feGot/feExact-1), feBg/feExact, 100*withO, 100*withoutO)
	if worst > 5e-4 || math.Abs(feGot/feExact-1) > 0.01 || math.Abs(withO-withoutO) > 0.002 {
		t.Errorf("ring: residual %.4f%%, Fe L net off by %+.2f%%, Fe/C %+.2f%% with O and %+.2f%% without: the O K tail matters", 100*worst, 100*(feGot/feExact-1), 100*withO, 100*withoutO)
	}

	// 2. C K net counts, on the simulated background and on A E^-3.
	pure := multispectrum.NewCube(sc.NY, 1, ax)
	e0 := ax.Energy(0) + ax.Dispersion/2
	for y := range sc.NY {
		bg := v.CoreLoss.Pixel(0, 2*y+1)
		for i, f := range c.CoreLoss.Pixel(y, 0) {
			e := ax.Energy(i) + ax.Dispersion/2
			pure.Pixel(y, 0)[i] = f - bg[i] + bg[0]*math.Pow(e/e0, -3)
		}
	}
	pl := integrate(c.LowLoss, pure)
	for y := range sc.NY {
		exact := exactNet(c.CoreLoss.Pixel(y, 0), v.CoreLoss.Pixel(0, 2*y), edges[0])
		got, gotPure := seed.Array(SignalName).Pixel(y, 0)[0]/exact-1, pl.Array(SignalName).Pixel(y, 0)[0]/exact-1
		t.Logf("%-11s C K net counts %+.2f%% on the simulated background, %+.2f%% on A E^-3", seedRegionNames[y], 100*got, 100*gotPure)
		if got > -0.03 || got < -0.05 || math.Abs(gotPure) > 0.001 {
			t.Errorf("%s: C K net counts %+.2f%% (simulated background), %+.2f%% (A E^-3)", seedRegionNames[y], 100*got, 100*gotPure)
		}
	}
	fePure := pl.Array(RatiosName).Pixel(ring, 0)[2]/0.5 - 1

	// 3. Fe/O in the ring, as it is and after Fourier-ratio.
	var d, fr Memory
	if _, err := Deconvolve(CubeInput(c.LowLoss, c.CoreLoss), DeconvolveOptions{Method: FourierRatio, FWHM: 1}, &d, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Integrate(CubeInput(nil, d.Cubes[CoreLoss]), opts, &fr, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	feO := func(m *Memory) float64 { r := m.Array(RatiosName).Pixel(ring, 0); return r[2]/r[1]/0.5 - 1 }
	t.Logf("ring: Fe/O %+.2f%%, after Fourier-ratio %+.2f%%; Fe/C on A E^-3 %+.2f%% (on the simulated background %+.2f%%)", 100*feO(seed), 100*feO(&fr), 100*fePure, 100*withO)
	if feO(seed) > -0.04 || math.Abs(feO(&fr)) > 0.005 || fePure > -0.05 {
		t.Errorf("ring: Fe/O %+.2f%%, after Fourier-ratio %+.2f%%, Fe/C on A E^-3 %+.2f%%", 100*feO(seed), 100*feO(&fr), 100*fePure)
	}
}

// TestIntegrateAbsentElements: what the method reports for an element
// that is absent, on noise-free spectra at the counts of 200 spectra
// (values computed by this code when written). In the matrix (C only,
// t/lambda 0.19) N/C, O/C and Fe/C are -0.018, -0.009 and -0.002, within
// 0.025 of 0: the background's shape (TestIntegrateSeedBias, 2). In the
// Fe disc (C and Fe, t/lambda 1) N/C is -0.160: the seed simulates five
// plasmon orders, and the fourth and fifth plasmon replicas of the C K
// onset (284 + 4 x 22 = 372 eV and 394 eV) lie in the N K background
// window (357..397 eV), a step no power law follows; simulated with
// three orders, whose last replica is at 350 eV, the same pixel gives
// -0.039.
func TestIntegrateAbsentElements(t *testing.T) {
	sim := func(m []float64, tl float64, orders int) *simulate.Cubes {
		sc := simulate.SeedScenario(128)
		sc.NY, sc.NX = 1, 1
		sc.Maps, sc.TLambda = multispectrum.NewArray(1, 1, 4), multispectrum.NewArray(1, 1, 1)
		copy(sc.Maps.Data, m)
		sc.TLambda.Data[0] = tl
		sc.Shifts, sc.Noise, sc.AddPoisson, sc.PlasmonOrders = simulate.NoShifts, 200, false, orders
		c, err := simulate.Run(context.Background(), sc, 1)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	sc := simulate.SeedScenario(128)
	ratios := func(c *simulate.Cubes) []float64 {
		var m Memory
		opts := IntegrateOptions{Edges: seedEdges(), Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}
		if _, err := Integrate(CubeInput(c.LowLoss, c.CoreLoss), opts, &m, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		return m.Array(RatiosName).Data
	}
	matrix := ratios(sim([]float64{1, 0, 0, 0}, 6.0/32, 5))
	t.Logf("matrix: N/C %.4f, O/C %.4f, Fe/C %.4f", matrix[0], matrix[1], matrix[2])
	for k, v := range matrix {
		if math.Abs(v) > 0.025 {
			t.Errorf("matrix: %s/C = %.4f for an absent element", sc.Elements[k+1], v)
		}
	}
	five, three := ratios(sim([]float64{1, 0, 0, 1}, 1, 5))[0], ratios(sim([]float64{1, 0, 0, 1}, 1, 3))[0]
	t.Logf("Fe disc: N/C %.4f with 5 plasmon orders, %.4f with 3", five, three)
	if five > -0.1 || three < -0.05 {
		t.Errorf("Fe disc: N/C %.4f with 5 plasmon orders, %.4f with 3: want below -0.1 and above -0.05", five, three)
	}
}

// readMSA reads a shared fixture as a 1 x 1 cube.
func readMSA(t *testing.T, name string) *multispectrum.Cube {
	t.Helper()
	f, err := os.Open("/work/shared/testdata/" + name)
	if err != nil {
		t.Skipf("fixture %s: %v", name, err)
	}
	defer f.Close()
	s, err := msa.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	disp, _ := s.Float("XPERCHAN")
	off, _ := s.Float("OFFSET")
	c := multispectrum.NewCube(1, 1, multispectrum.EnergyAxis{Offset: off, Dispersion: disp, Size: len(s.Values)})
	copy(c.Data, s.Values)
	return c
}

// TestIntegrateSrTiO3 runs pyEELSMODEL's conventional quantification of
// its SrTiO3 example (hl.msa, ll.msa: 300 kV, alpha 0.9 mrad, beta 2.675
// mrad; background 380-450 eV and 512-527 eV, integration 454-500 eV and
// 530-590 eV) with the built-in hydrogenic Ti L and O K edges. The
// reference's notebook reports Ti/O = 0.276 with its Dirac tables for the
// same windows; the stoichiometry is 1/3. The hydrogenic L edge has no
// white lines, so over 454-500 eV its cross section is smaller than the
// tabulated ones' and Ti/O comes out higher: the test pins our value
// (0.3554 with log-log and 0.3536 with two areas, computed by this code
// when written) and checks the
// error estimate is sane.
func TestIntegrateSrTiO3(t *testing.T) {
	hl, ll := readMSA(t, "hl.msa"), readMSA(t, "ll.msa")
	tests := []struct {
		src  gos.Source
		m    BackgroundMethod
		want float64
	}{{gos.Hydrogenic(), LogLog, 0.3554}, {gos.Hydrogenic(), TwoArea, 0.3536}}
	if !testing.Short() {
		// Hartree-Slater tables computed in-process (about 4 s).
		hs := gos.HS(t.TempDir())
		tests = append(tests, struct {
			src  gos.Source
			m    BackgroundMethod
			want float64
		}{hs, LogLog, 0.3109}, struct {
			src  gos.Source
			m    BackgroundMethod
			want float64
		}{hs, TwoArea, 0.3092})
	}
	for _, test := range tests {
		opts := IntegrateOptions{Method: test.m, Source: test.src, E0: 300e3, Alpha: 0.9e-3, Beta: 2.675e-3, Reference: 1,
			Edges: []EdgeWindows{{Element: "Ti", Edge: "L", Background: [2]float64{380, 450}, Integration: [2]float64{454, 500}},
				{Element: "O", Edge: "K", Background: [2]float64{512, 527}, Integration: [2]float64{530, 590}}}}
		var mem Memory
		res, err := Integrate(CubeInput(ll, hl), opts, &mem, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, e := mem.Array(RatiosName).Data[0], mem.Array(RatioErrorName).Data[0]
		t.Logf("%s, %s: Ti/O = %.4f +- %.4f (pyEELSMODEL, Dirac GOS: 0.276; stoichiometry 0.333); exponents %v; summary %v",
			test.src.Name(), test.m, r, e, mem.Array(ExponentName).Data, res.Summary)
		if math.Abs(r-test.want) > 5e-4 {
			t.Errorf("%s, %s: Ti/O = %.4f, want %.4f", test.src.Name(), test.m, r, test.want)
		}
		if !(e > 0 && e < 0.1*r) {
			t.Errorf("%s: error %g of Ti/O %g", test.m, e, r)
		}
	}
}

// TestIntegrateDefaultWindows: the default windows (EdgeWindows). On the
// seed no edge's background window reaches the integration window of the
// edge below, so they are the plain rule's. On SrTiO3 the plain rule
// would start the O K window (477..527 eV) 21 eV above the Ti L onset,
// on the Ti L white lines, and give Ti/O = 0.7931 (hydrogenic, log-log;
// computed by this code); started at the end of Ti L's integration window
// (506 eV) it gives 0.4004, against 0.3554 with pyEELSMODEL's 512..527 eV
// (TestIntegrateSrTiO3), the Ti L tail being still no power law just
// above 506 eV. Edges too close for a default (N K at 402 eV, Ti L at
// 456 eV) are refused with the reason.
func TestIntegrateDefaultWindows(t *testing.T) {
	edges := seedEdges()
	if err := integrateDefaults(edges); err != nil {
		t.Fatal(err)
	}
	for k, want := range [][2]float64{{250.6, 279}, {356.8, 397}, {477, 527}, {653, 703}} {
		if got := edges[k].Background; math.Abs(got[0]-want[0]) > 1e-9 || got[1] != want[1] {
			t.Errorf("%s %s: background window %v, want %v", edges[k].Element, edges[k].Edge, got, want)
		}
	}

	hl, ll := readMSA(t, "hl.msa"), readMSA(t, "ll.msa")
	for _, test := range []struct {
		o    [2]float64
		want float64
	}{{[2]float64{}, 0.4004}, {[2]float64{477, 527}, 0.7931}} {
		opts := IntegrateOptions{Source: gos.Hydrogenic(), E0: 300e3, Alpha: 0.9e-3, Beta: 2.675e-3, Reference: 1,
			Edges: []EdgeWindows{{Element: "Ti", Edge: "L"}, {Element: "O", Edge: "K", Background: test.o}}}
		var mem Memory
		if _, err := Integrate(CubeInput(ll, hl), opts, &mem, RunOptions{}); err != nil {
			t.Fatal(err)
		}
		r := mem.Array(RatiosName).Data[0]
		t.Logf("O K background %v: windows %v, Ti/O = %.4f", test.o, mem.Plan.Params["background_windows_eV"], r)
		if math.Abs(r-test.want) > 5e-4 {
			t.Errorf("O K background %v: Ti/O = %.4f, want %.4f", test.o, r, test.want)
		}
	}

	near := []EdgeWindows{{Element: "N", Edge: "K"}, {Element: "Ti", Edge: "L"}}
	err := integrateDefaults(near)
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "Ti L") || !strings.Contains(err.Error(), "N K") {
		t.Errorf("N K and Ti L: %v, want the default background window of Ti L refused", err)
	}
	near[1].Background = [2]float64{420, 450}
	if err := integrateDefaults(near); err != nil {
		t.Errorf("N K and Ti L with a given window: %v", err)
	}
}

// TestJumpRatio: on the seed regions the jump ratio of each edge (but C,
// present everywhere) is higher in every region that holds the element
// than in every region that does not, and the edge map equals Integrate's
// net counts for the same windows.
func TestJumpRatio(t *testing.T) {
	sc, c := seedRegions(t, 4)
	edges := []EdgeWindows{{Element: "C", Edge: "K"}, {Element: "N", Edge: "K"}, {Element: "O", Edge: "K"}, {Element: "Fe", Edge: "L"}}
	var jm, im Memory
	if _, err := JumpRatio(CubeInput(nil, c.CoreLoss), JumpRatioOptions{Edges: edges}, &jm, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	jr := jm.Array(JumpRatioName)
	for k := 1; k < 4; k++ { // C is everywhere
		lo, hi := math.Inf(1), math.Inf(-1)
		for y := range sc.NY {
			if v := jr.Pixel(y, 0)[k]; sc.Maps.Pixel(y, 0)[k] > 0 {
				lo = math.Min(lo, v)
			} else {
				hi = math.Max(hi, v)
			}
		}
		if !(lo > hi) {
			t.Errorf("%s: jump ratio %.4f at least where present, %.4f at most where absent", sc.Elements[k], lo, hi)
		}
		t.Logf("%s: jump ratio >= %.4f where present, <= %.4f where absent", sc.Elements[k], lo, hi)
	}
	// The same windows through Integrate.
	win := append([]EdgeWindows(nil), edges...)
	if err := jumpDefaults(win); err != nil {
		t.Fatal(err)
	}
	for k, w := range win { // far apart: the plain defaults
		on, _ := EdgeOnset(w.Element, w.Edge)
		if w.Background != [2]float64{on - 25, on - 5} || w.Integration != [2]float64{on, on + 20} {
			t.Errorf("%s %s: default windows %v %v", edges[k].Element, edges[k].Edge, w.Background, w.Integration)
		}
	}
	// O K (532 eV) and Cr L (575 eV): Cr's pre-edge window starts where
	// O's post-edge window ends, 552 eV, not at 550 eV on the O K edge.
	near := []EdgeWindows{{Element: "O", Edge: "K"}, {Element: "Cr", Edge: "L"}}
	if err := jumpDefaults(near); err != nil {
		t.Fatal(err)
	}
	oOn, _ := EdgeOnset("O", "K")
	crOn, _ := EdgeOnset("Cr", "L")
	if want := [2]float64{oOn + 20, crOn - 5}; near[1].Background != want {
		t.Errorf("Cr L pre-edge window beside O K: %v, want %v", near[1].Background, want)
	}
	if _, err := Integrate(CubeInput(nil, c.CoreLoss), IntegrateOptions{Edges: win, Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}, &im, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, v := range jm.Array(SignalName).Data {
		if w := im.Array(SignalName).Data[i]; v != w {
			t.Fatalf("edge map %d: %g, Integrate %g", i, v, w)
		}
	}
	for _, o := range []JumpRatioOptions{
		{},
		{Edges: []EdgeWindows{{Element: "C", Edge: "K", Background: [2]float64{100, 150}, Integration: [2]float64{284, 300}}}},
		{Edges: []EdgeWindows{{Element: "C", Edge: "K", Background: [2]float64{250, 290}, Integration: [2]float64{284, 300}}}},
		{Edges: []EdgeWindows{{Element: "C", Edge: "K"}}, Method: "spline"},
		{Edges: []EdgeWindows{{Element: "Q", Edge: "K"}}},
	} {
		if _, err := JumpRatio(CubeInput(nil, c.CoreLoss), o, &Memory{}, RunOptions{}); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
