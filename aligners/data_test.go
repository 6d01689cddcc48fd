package aligners_test

import (
	"bufio"
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Tests of issue 14 item 4, "alignment that respects the data".

// gaussianCube returns a 1 x len(centres) scan on axis whose pixel p is a
// noise-free Gaussian zero loss of FWHM 1 eV and height 1e4 at centres[p]
// (eV) on a background of 5 counts.
func gaussianCube(axis multispectrum.EnergyAxis, centres []float64) *multispectrum.Cube {
	c := multispectrum.NewCube(1, len(centres), axis)
	sigma := 1 / (2 * math.Sqrt(2*math.Ln2))
	for p, e0 := range centres {
		s := c.Pixel(0, p)
		for i := range s {
			d := (axis.Energy(i) - e0) / sigma
			s[i] = 5 + 1e4*math.Exp(-0.5*d*d)
		}
	}
	return c
}

func argmax(s []float64) int {
	k := 0
	for i, v := range s {
		if v > s[k] {
			k = i
		}
	}
	return k
}

// referenceCrop is the number of channels the reference keeps
// (doc/algorithms.md 7.1 then 7.5 with cropping): it first subtracts the
// median of the argmax energies from the axis, so that the shifts it
// applies are s - median, and then cuts ceil(a/disp) channels at the start
// and ceil(b/disp) at the end, a = max(0, -min), b = max(0, max), and one
// more when the length is odd. Written from the reference's rule, not
// from aligners.Plan.
func referenceCrop(axis multispectrum.EnergyAxis, cube *multispectrum.Cube, shifts []float64) int {
	var peaks []float64
	for p := 0; p < cube.NY*cube.NX; p++ {
		peaks = append(peaks, axis.Energy(argmax(cube.Data[p*cube.Width:(p+1)*cube.Width])))
	}
	slices.Sort(peaks)
	med := peaks[len(peaks)/2] // odd count in these tests
	lo, hi := slices.Min(shifts)-med, slices.Max(shifts)-med
	n := axis.Size - int(math.Ceil(math.Max(0, -lo)/axis.Dispersion-1e-9)) - int(math.Ceil(math.Max(0, hi)/axis.Dispersion-1e-9))
	if n%2 == 1 {
		n--
	}
	return n
}

// TestCropIsTheSpreadAboutTheMedian: zero losses anywhere between 30 and
// 50 eV (all shifts of one sign) crop only their spread about the median,
// as the reference does (doc/algorithms.md 7.1: it moves the axes by the
// median first), for every method; the same spread between -10 and +10 eV
// crops the same. Expected: referenceCrop, i.e. 2038 - 40 = 1998 channels
// for 20 eV of spread at 0.5 eV a channel; the earlier rule (7.5 on the
// absolute shifts) kept 2038 - 100 = 1938 for 30..50 eV, 60 fewer. Every
// aligned zero loss is at 0 eV, and the core loss's axis moves with the
// low loss's.
func TestCropIsTheSpreadAboutTheMedian(t *testing.T) {
	low := multispectrum.EnergyAxis{Offset: -12.5, Dispersion: 0.5, Size: 2038}
	coreAxis := multispectrum.EnergyAxis{Offset: 197.5, Dispersion: 0.5, Size: 2038}
	const np = 63 // odd: the median is one pixel's, 40 eV (-> 0 eV below)
	for _, base := range []float64{30, -10} {
		centres := make([]float64, np)
		for p := range centres {
			centres[p] = base + 20*float64(p)/(np-1) // sub-channel except the ends and the middle
		}
		cube := gaussianCube(low, centres)
		core := multispectrum.NewCube(1, np, coreAxis)
		for p := 0; p < np; p++ {
			copy(core.Pixel(0, p), cube.Pixel(0, p)) // the same feature, 210 eV higher
		}
		for _, m := range []aligners.Method{aligners.Fast, aligners.PeakFit, aligners.CrossCorrelation} {
			mem := &aligners.Memory{}
			res, err := aligners.Run(context.Background(), aligners.CubeInput(cube, core), mem, aligners.RunOptions{Options: aligners.Options{Method: m}, Workers: 2})
			if err != nil {
				t.Fatalf("%v %s: %v", base, m, err)
			}
			want := referenceCrop(low, cube, res.Plan.Shifts)
			la, ca := mem.Cubes[0].Axis, mem.Cubes[1].Axis
			t.Logf("zero losses %g..%g eV, %-5s: median %g eV, %d -> %d channels (reference rule %d), low loss from %g eV, core loss from %g eV",
				base, base+20, m, res.Plan.Median, low.Size, la.Size, want, la.Offset, ca.Offset)
			if la.Size != want || ca.Size != want || want != 1998 {
				t.Errorf("%v %s: %d and %d channels, reference rule %d (1998)", base, m, la.Size, ca.Size, want)
			}
			if res.Plan.Median != base+10 {
				t.Errorf("%v %s: median %g eV, want %g", base, m, res.Plan.Median, base+10)
			}
			if d := (ca.Offset - coreAxis.Offset) - (la.Offset - low.Offset); math.Abs(d) > 1e-9 {
				t.Errorf("%v %s: core axis moved %g eV more than the low loss's", base, m, d)
			}
			// A channel sits at 0 eV and every zero loss is there (to
			// half a channel for the interpolated methods).
			if z := -la.Offset / la.Dispersion; math.Abs(z-math.Round(z)) > 1e-9 {
				t.Errorf("%v %s: no channel at 0 eV on %v", base, m, la)
			}
			for p := 0; p < np; p++ {
				e := la.Energy(argmax(mem.Cubes[0].Pixel(0, p)))
				ec := ca.Energy(argmax(mem.Cubes[1].Pixel(0, p)))
				if math.Abs(e) > 1e-9 && (m == aligners.Fast || math.Abs(e) > la.Dispersion/2+1e-9) || math.Abs(ec-210) > la.Dispersion/2+1e-9 {
					t.Fatalf("%v %s: pixel %d peaks at %g eV and %g eV after alignment", base, m, p, e, ec)
				}
			}
		}
	}
}

// TestFlaggedPixelsTakeTheMedian: a pixel without a usable peak keeps
// its status and is moved by the median of the usable shifts, which
// Plan.Shifts (the shifts stored as the shift map) holds for it; Measured
// keeps the estimator's value. Expected: the median of the good pixels'
// shifts, computed here (fast: on the nearest channel).
func TestFlaggedPixelsTakeTheMedian(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 400}
	centres := []float64{-1.3, 0.2, 0.9, 1.6, 2.1, 0} // pixel 5 gets zeroed
	cube := gaussianCube(axis, centres)
	clear(cube.Pixel(0, 5))
	for _, m := range []aligners.Method{aligners.Fast, aligners.PeakFit} {
		mem := &aligners.Memory{}
		res, err := aligners.Run(context.Background(), aligners.CubeInput(cube, nil), mem, aligners.RunOptions{Options: aligners.Options{Method: m}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status[5] != aligners.NoPeak || res.Failed() != 1 {
			t.Fatalf("%s: status %v", m, res.Status)
		}
		good := slices.Clone(res.Plan.Shifts[:5])
		slices.Sort(good)
		want := good[2]
		if m == aligners.Fast {
			want = axis.Energy(axis.Index(want))
		}
		if res.Plan.Shifts[5] != want || res.Measured[5] != 0 {
			t.Errorf("%s: flagged pixel applied %g eV (want the median %g), measured %g", m, res.Plan.Shifts[5], want, res.Measured[5])
		}
		for p := 0; p < 5; p++ {
			if res.Plan.Shifts[p] != res.Measured[p] {
				t.Errorf("%s: pixel %d applied %g, measured %g", m, p, res.Plan.Shifts[p], res.Measured[p])
			}
		}
	}
}

// peakCube returns noise-free peaks of FWHM fwhm (eV) and height 1e4 at n
// sub-channel centres from -2.5 to 2.5 eV, Lorentzian or Gaussian.
func peakSpectra(axis multispectrum.EnergyAxis, n int, fwhm float64, lorentz bool) ([][]float64, []float64) {
	var out [][]float64
	var centres []float64
	for p := 0; p < n; p++ {
		c := -2.5 + 5*float64(p)/float64(n-1)
		s := make([]float64, axis.Size)
		for i := range s {
			d := axis.Energy(i) - c
			if lorentz {
				h := fwhm / 2
				s[i] = 1e4 * h * h / (d*d + h*h)
			} else {
				sg := fwhm / (2 * math.Sqrt(2*math.Ln2))
				s[i] = 1e4 * math.Exp(-0.5*d*d/(sg*sg))
			}
		}
		out, centres = append(out, s), append(centres, c)
	}
	return out, centres
}

// TestPeakFitConvergesOnTheOtherShape: noise-free Lorentzian zero losses
// at 1200 sub-channel positions all fit with the Gaussian model, and
// Gaussian ones with the Lorentzian model, for FWHMs of 1 to 6 channels
// (0.5 eV a channel). Before the fix the step-size test missed the
// minima of such fits (they keep a residual; doc of peakFitter.fit):
// e.g. 12 of 1200 Lorentzians of 1 eV failed with the Gaussian model,
// 9 Gaussians with the Lorentzian one. Expected: status OK for every
// pixel; the centre within 0.15 channel of the truth (the generator's):
// a model of the wrong shape is biased by the sampling, measured at most
// 0.12 channel (Gaussian of 1 eV fitted by a Lorentzian). The model of the
// right shape recovers the centre to 1e-9 eV.
func TestPeakFitConvergesOnTheOtherShape(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: -20, Dispersion: 0.5, Size: 400}
	for _, fwhm := range []float64{0.5, 1, 1.5, 2, 3} {
		for _, lorentz := range []bool{true, false} {
			spectra, centres := peakSpectra(axis, 1200, fwhm, lorentz)
			for _, peak := range []string{"gaussian", "lorentzian"} {
				e, err := aligners.NewEstimator(aligners.Options{Method: aligners.PeakFit, Peak: peak}, axis, nil, true)
				if err != nil {
					t.Fatal(err)
				}
				same := (peak == "lorentzian") == lorentz
				fails, worst := 0, 0.0
				for p, s := range spectra {
					v, st := e.Estimate(s)
					if st != aligners.OK {
						fails++
						continue
					}
					worst = math.Max(worst, math.Abs(v-centres[p])/axis.Dispersion)
				}
				data := map[bool]string{true: "Lorentzian", false: "Gaussian"}[lorentz]
				t.Logf("FWHM %.1f eV %s peaks, %s model: %d of %d not converged, worst error %.3g channel", fwhm, data, peak, fails, len(spectra), worst)
				tol := 0.15
				if same {
					tol = 1e-9 / axis.Dispersion
				}
				if fails > 0 || worst > tol {
					t.Errorf("FWHM %g eV %s peaks, %s model: %d not converged, worst %.3g channel (limit %g)", fwhm, data, peak, fails, worst, tol)
				}
			}
		}
	}
}

// fixtureLowLoss reads testdata/ll_simulated_C_edge.txt: the low loss of
// pyEELSMODEL's ll_simulated_C_edge.hdf5, normalised to unit sum, 2048
// channels from -100 eV at 0.25 eV, its maximum 0.11279559 at index 400
// = 0.0 eV (shared/testdata/README.md).
func fixtureLowLoss(t *testing.T) ([]float64, multispectrum.EnergyAxis) {
	t.Helper()
	f, err := os.Open("../testdata/ll_simulated_C_edge.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var s []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, v)
	}
	axis := multispectrum.EnergyAxis{Offset: -100, Dispersion: 0.25, Size: 2048}
	if len(s) != axis.Size || argmax(s) != 400 || math.Abs(s[400]-0.11279559) > 1e-8 {
		t.Fatalf("fixture: %d values, maximum at %d", len(s), argmax(s))
	}
	return s, axis
}

// TestUnitSumLowLoss: a low loss normalised to unit sum (the reference's
// ll_simulated_C_edge.hdf5: maximum 0.113, far below its Poisson
// sqrt(max) = 0.34, so the counts test called it "no peak" and alignment
// failed with "no pixel has a usable zero-loss peak") is judged against
// its own noise and aligned. Scan: the fixture shifted by whole channels
// k(p) from -6 to +6 (zeros shifted in). Expected: the zero loss at
// 0.25 k(p) eV (fixture maximum at 0.0 eV), exactly for fast, to 0.01
// channel for fit and xcorr (the peak fit of the unshifted fixture gives
// its centre, within 0.01 channel of 0 eV: the plasmon tail makes it
// slightly asymmetric); afterwards every zero loss is at 0 eV. The fixture
// alone (one pixel) is refused without RunOptions.Single and aligned with
// it: shift 0 eV, axis unchanged.
func TestUnitSumLowLoss(t *testing.T) {
	ll, axis := fixtureLowLoss(t)
	const np = 13
	cube := multispectrum.NewCube(1, np, axis)
	for p := 0; p < np; p++ {
		k := p - 6
		s := cube.Pixel(0, p)
		for i := range s {
			if j := i - k; j >= 0 && j < len(ll) {
				s[i] = ll[j]
			}
		}
	}
	for _, m := range []aligners.Method{aligners.Fast, aligners.PeakFit, aligners.CrossCorrelation} {
		mem := &aligners.Memory{}
		res, err := aligners.Run(context.Background(), aligners.CubeInput(cube, nil), mem, aligners.RunOptions{Options: aligners.Options{Method: m}, Reference: [2]int{0, 6}})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		tol := 0.01
		if m == aligners.Fast {
			tol = 0
		}
		worst := 0.0
		for p := 0; p < np; p++ {
			if res.Status[p] != aligners.OK {
				t.Fatalf("%s: pixel %d status %v", m, p, res.Status[p])
			}
			worst = math.Max(worst, math.Abs(res.Plan.Shifts[p]-0.25*float64(p-6))/axis.Dispersion)
		}
		al := mem.Cubes[0]
		t.Logf("%-5s: worst shift error %.2g channel, aligned %v", m, worst, al.Axis)
		if worst > tol {
			t.Errorf("%s: worst shift error %.3g channel > %g", m, worst, tol)
		}
		for p := 0; p < np; p++ {
			if e := al.Axis.Energy(argmax(al.Pixel(0, p))); math.Abs(e) > 1e-9 {
				t.Errorf("%s: pixel %d peaks at %g eV after alignment", m, p, e)
			}
		}
	}

	one := multispectrum.NewCube(1, 1, axis)
	copy(one.Data, ll)
	in := aligners.CubeInput(one, nil)
	if err := aligners.Check(in, aligners.RunOptions{}); !errors.Is(err, aligners.ErrSingleSpectrum) {
		t.Errorf("single spectrum: Check gave %v", err)
	}
	mem := &aligners.Memory{}
	if _, err := aligners.Run(context.Background(), in, mem, aligners.RunOptions{}); !errors.Is(err, aligners.ErrSingleSpectrum) || mem.Cubes != nil {
		t.Errorf("single spectrum: Run gave %v", err)
	}
	res, err := aligners.Run(context.Background(), in, mem, aligners.RunOptions{Single: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.Shifts[0] != 0 || !mem.Cubes[0].Axis.Equal(axis) || !slices.Equal(mem.Cubes[0].Data, ll) {
		t.Errorf("single spectrum, forced: shift %g eV, axis %v", res.Plan.Shifts[0], mem.Cubes[0].Axis)
	}
}

// TestNoPeakAnywhere: a scan without any usable zero loss fails with an
// error that wraps ErrNoUsablePeak and counts the pixels by status; a
// spectrum below one count without a peak of its own noise (normalised
// noise) still has none.
func TestNoPeakAnywhere(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 200}
	cube := multispectrum.NewCube(1, 3, axis)
	for i := range cube.Pixel(0, 1) {
		cube.Pixel(0, 1)[i] = 1e-3 * (1 + 0.1*float64(i%3)) // unit-sum-like, flat with noise
	}
	cube.Pixel(0, 2)[7] = math.NaN()
	_, err := aligners.Run(context.Background(), aligners.CubeInput(cube, nil), &aligners.Memory{}, aligners.RunOptions{})
	if !errors.Is(err, aligners.ErrNoUsablePeak) || !strings.Contains(err.Error(), "(pixels: non-finite values 1, no peak 2)") {
		t.Errorf("error %v", err)
	}
}
