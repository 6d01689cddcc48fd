package classic

import (
	"context"
	"math"
	"os"
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
	sc.Shifts = simulate.NoShifts
	c, err := simulate.Run(context.Background(), sc, 2)
	if err != nil {
		t.Fatal(err)
	}
	return sc, c
}

// TestIntegrateSeed: the conventional method on the seed scenario's
// regions (Poisson noise, default windows, 200 spectra a region summed
// into one, as one quantifies a region) gives the atomic ratios within 5%
// of the truth, with both background methods, except Fe/C in the O/Fe
// ring (-13% and -15%: the O K tail under the Fe L background window is
// not the power law the method assumes). The method is biased; the
// biases are logged and stated in doc/algorithms.md 12.3: the pre-edge
// power law does not follow the tails of the edges below (C K under N K
// and O K, O K under Fe L) over the 50 eV extrapolation; the plural
// scattering moves edge intensity beyond Delta in proportion to t/lambda,
// which the low-loss intensity I_l(Delta) corrects to first order only;
// and per pixel, at the few counts of a single spectrum, the nonlinear
// background extrapolation is biased (the per-pixel ratios averaged over
// a region are logged too).
func TestIntegrateSeed(t *testing.T) {
	sc, c := seedRegions(t, 200)
	edges := []EdgeWindows{{Element: "C", Edge: "K"}, {Element: "N", Edge: "K"}, {Element: "O", Edge: "K"}, {Element: "Fe", Edge: "L"}}
	checks := []struct {
		row, k int // region row, edge over C
		truth  float64
	}{{1, 1, 2}, {2, 1, 1}, {3, 2, 1}, {3, 3, 0.5}, {4, 3, 1}}
	names := []string{"matrix", "N square", "N rectangle", "O/Fe ring", "Fe disc"}
	for _, m := range []BackgroundMethod{LogLog, TwoArea} {
		opts := IntegrateOptions{Edges: edges, Method: m, Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}
		// Per pixel, then the region means.
		var px Memory
		if _, err := Integrate(CubeInput(c.LowLoss, c.CoreLoss), opts, &px, RunOptions{Workers: 2}); err != nil {
			t.Fatal(err)
		}
		for _, ch := range checks {
			// Each region's summed spectra.
			region := multispectrum.Region{Y0: ch.row, NY: 1, NX: sc.NX}
			var sum, one Memory
			if _, err := Sum(CubeInput(c.LowLoss, c.CoreLoss), SumOptions{Region: &region}, &sum, RunOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := Integrate(CubeInput(sum.Cubes[LowLoss], sum.Cubes[CoreLoss]), opts, &one, RunOptions{}); err != nil {
				t.Fatal(err)
			}
			a := one.Array(ElementsName).Data
			e := one.Array(ElementErrorName).Data
			got := a[ch.k] / a[0]
			sd := got * math.Hypot(e[ch.k]/a[ch.k], e[0]/a[0])
			var sk, s0 float64
			for x := range sc.NX {
				p := px.Array(ElementsName).Pixel(ch.row, x)
				sk, s0 = sk+p[ch.k], s0+p[0]
			}
			perPixel := sk / s0
			bias := got/ch.truth - 1
			t.Logf("%-8s %-11s %s/C: summed spectrum %.4f +- %.4f (bias %+.2f%%), mean of pixels %.4f (bias %+.2f%%); truth %g",
				m, names[ch.row], sc.Elements[ch.k], got, sd, 100*bias, perPixel, 100*(perPixel/ch.truth-1), ch.truth)
			limit := 0.05
			if ch.row == 3 && ch.k == 3 {
				// Fe/C in the ring: the O K tail under the Fe L
				// background window is not a power law, and the bias
				// is -13% (log-log) and -15% (two areas).
				limit = 0.16
			}
			if math.Abs(bias) > limit {
				t.Errorf("%s: %s %s/C = %.4f, truth %g: bias %+.1f%% beyond 5%%", m, names[ch.row], sc.Elements[ch.k], got, ch.truth, 100*bias)
			}
		}
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
	for k := range win {
		on, _ := EdgeOnset(win[k].Element, win[k].Edge)
		jumpDefaults(&win[k], on)
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
