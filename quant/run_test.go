package quant_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// seedQuant simulates the seed scenario (doc/algorithms.md 8.6) on an
// n x n scan, aligns it with the fast method and quantifies it with a
// linear background of terms power laws (0: chosen by the data), all in
// memory through the library's entry points (seedRun).
func seedQuant(t testing.TB, n, terms int, noisy bool) (*quant.Result, *quant.Memory) {
	t.Helper()
	return seedRun(t, n, noisy, quant.Options{BackgroundTerms: terms})
}

// TestRunSeedScenario recovers the seed scenario's ratios (issue 13):
// N/C = 2 and 1 in the N square and rectangle, O/C = 1 and Fe/C = 0.5 in
// the ring, Fe/C = 1 in the disc. On noise-free data only the model's
// systematic error is left; the README states it: with 6 background
// terms every ratio of mean amplitudes is within 0.81% of the truth,
// with the reference's 4 terms the ratios are biased low by several per
// cent (3.4-8.0% at 128 x 128, 4-10% on this smaller, noise-free scan:
// the simulator's background is a power law of E + 99.5 eV,
// doc/algorithms.md 8.3, which four power laws of E/205 eV cannot follow).
func TestRunSeedScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and fits 2 x 1024 spectra")
	}
	for _, c := range []struct {
		terms int
		max   float64 // |bias| percent, every region; 4 terms: at least
	}{
		{6, 0.81},
		{4, 2},
	} {
		res, _ := seedQuant(t, 32, c.terms, false)
		regions := 0
		for _, r := range res.Summary.Regions {
			for name, st := range r.Ratios {
				if st.Truth == 0 {
					continue
				}
				regions++
				b := math.Abs(*st.Bias)
				t.Logf("%d terms: %-24s %s truth %g ratio of means %.4f (bias %+.2f%%)", c.terms, r.Name, name, st.Truth, st.RatioOfMean, *st.Bias)
				switch {
				case c.terms == 6 && b > c.max:
					t.Errorf("6 terms: %s %s: bias %.2f%%, the README states at most %.2f%%", r.Name, name, b, c.max)
				case c.terms == 4 && (*st.Bias > -c.max):
					t.Errorf("4 terms: %s %s: bias %+.2f%%; the documented low bias of the 4-term background has gone?", r.Name, name, *st.Bias)
				}
			}
		}
		if regions != 5 {
			t.Errorf("%d region ratios with a non-zero truth, want 5", regions)
		}
	}
}

// TestRunUncertaintiesHonest checks on Poisson-noisy data that the
// propagated uncertainty of a ratio equals its pixel-to-pixel spread:
// in the matrix (C only, about 700 pixels at 32 x 32) the N/C, O/C and
// Fe/C ratios scatter about 0 by their CRLB. The standard deviation of
// 700 values is known to 1/sqrt(2*700) = 2.7%, so 12% is over 4 sigma.
func TestRunUncertaintiesHonest(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and fits 1024 spectra")
	}
	res, mem := seedQuant(t, 32, 6, true)
	var matrix *quant.RegionSummary
	for i, r := range res.Summary.Regions {
		if r.Name == "truth C=1" {
			matrix = &res.Summary.Regions[i]
		}
	}
	if matrix == nil || matrix.Pixels < 500 {
		t.Fatalf("no matrix region in %+v", res.Summary.Regions)
	}
	for name, st := range matrix.Ratios {
		q := st.PerPixel.Std / st.PerPixel.MeanSD
		t.Logf("matrix %s: spread %.4g, propagated %.4g (ratio %.3f)", name, st.PerPixel.Std, st.PerPixel.MeanSD, q)
		if math.Abs(q-1) > 0.12 {
			t.Errorf("matrix %s: spread %.4g but propagated %.4g", name, st.PerPixel.Std, st.PerPixel.MeanSD)
		}
	}
	// Typed access: the amplitude of C K by element and edge, the pixel's
	// covariance as a matrix whose diagonal is the CRLB.
	iC, ok := res.Plan.Amplitude("C", "K")
	if !ok || res.Plan.Names()[iC] != "C K.A" {
		t.Fatalf("C K amplitude at %d (%v) of %v", iC, ok, res.Plan.Names())
	}
	cov := mem.Covariance(3, 4)
	crlb := mem.Pixel(quant.StreamCRLB, 3, 4)
	for k := range crlb {
		if cov.At(k, k) != crlb[k] {
			t.Errorf("covariance (%d,%d) = %g, CRLB %g", k, k, cov.At(k, k), crlb[k])
		}
	}
	if st := mem.Pixel(quant.StreamStatus, 3, 4)[0]; fitters.Status(st) != fitters.OK {
		t.Errorf("pixel status %v", st)
	}
	// C = 1 everywhere: the amplitude is within 5 standard errors.
	coef, errs := mem.Pixel(quant.StreamCoefficients, 3, 4), mem.Pixel(quant.StreamCoefficientErrors, 3, 4)
	if math.Abs(coef[iC]-1) > 5*errs[iC] {
		t.Errorf("C K amplitude %g +- %g, truth 1", coef[iC], errs[iC])
	}
}

// TestRunSeedScenario128 is the README's accuracy table: the full
// 128 x 128 seed scenario with Poisson noise (seed 1), quantified with
// the defaults, so with the number of background terms chosen by the
// data (BackgroundChoice: 6 on this scan). Every ratio of mean amplitudes
// is within 1% of the truth (issue 14's requirement for the defaults),
// and the pixel-to-pixel spread of every ratio equals its propagated
// uncertainty within 3%, as the README states.
func TestRunSeedScenario128(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("fits 16384 spectra")
	}
	res, _ := seedQuant(t, 128, 0, true)
	ch := res.Plan.BackgroundChoice()
	if ch == nil || res.Plan.BackgroundTerms() != ch.Terms {
		t.Fatalf("background choice %+v, plan has %d terms", ch, res.Plan.BackgroundTerms())
	}
	t.Logf("background: %s", ch.String())
	if ch.Terms != 6 {
		t.Errorf("the rule chose %d terms; the README states 6 for this scan", ch.Terms)
	}
	regions := 0
	for _, r := range res.Summary.Regions {
		for name, st := range r.Ratios {
			if st.Truth == 0 {
				continue
			}
			regions++
			q := st.PerPixel.Std / st.PerPixel.MeanSD
			t.Logf("%-24s %s truth %g ratio of means %.4f (bias %+.2f%%), spread %.4f propagated %.4f", r.Name, name, st.Truth, st.RatioOfMean, *st.Bias, st.PerPixel.Std, st.PerPixel.MeanSD)
			if math.Abs(*st.Bias) > 1 {
				t.Errorf("%s %s: bias %+.2f%%, the defaults must stay within 1%%", r.Name, name, *st.Bias)
			}
			if math.Abs(q-1) > 0.03 {
				t.Errorf("%s %s: spread %.4g vs propagated %.4g", r.Name, name, st.PerPixel.Std, st.PerPixel.MeanSD)
			}
		}
	}
	if regions != 5 {
		t.Errorf("%d region ratios with a non-zero truth, want 5", regions)
	}
}

// TestZeroAndBadOptions: zero options and unknown method strings give
// errors or the documented defaults, never a panic.
func TestZeroAndBadOptions(t *testing.T) {
	sc := simulate.SeedScenario(4)
	sc.Shifts = simulate.NoShifts
	sim, err := simulate.Run(context.Background(), sc, 1)
	if err != nil {
		t.Fatal(err)
	}
	in := quant.CubeInput(sim.CoreLoss, sim.LowLoss, sc.Instrument())
	els := quant.Options{Elements: sc.Elements, Edges: sc.Edges}
	for _, c := range []struct {
		name string
		in   quant.Input
		opts quant.Options
		want string // "" for success
	}{
		{"zero options", in, quant.Options{}, "no model"},
		{"zero input", quant.Input{}, els, "scan is 0x0"},
		{"elements only", in, els, ""},
		{"unknown method", in, quant.Options{Elements: sc.Elements, Edges: sc.Edges, Method: "magic"}, `fit method "magic"`},
		{"model file method", in, quant.Options{Model: &quant.ModelFile{Components: []quant.ComponentSpec{{Type: "edge", Element: "C", Edge: "K"}}}, Method: ""}, ""},
		{"bad model-file method", in, func() quant.Options {
			mf := &quant.ModelFile{Components: []quant.ComponentSpec{{Type: "edge", Element: "C", Edge: "K"}}}
			mf.Fit.Method = "simplex"
			return quant.Options{Model: mf}
		}(), "of the model file"},
		{"unknown component", in, quant.Options{Model: &quant.ModelFile{Components: []quant.ComponentSpec{{Type: "spline"}}}}, "unknown component type"},
		{"no edges to quantify", in, quant.Options{Model: &quant.ModelFile{Components: []quant.ComponentSpec{{Type: "offset"}}}}, "no edges"},
		{"negative E0", in, quant.Options{Elements: sc.Elements, Edges: sc.Edges, E0: ptr(-1.0)}, "E0"},
		{"window empty", in, quant.Options{Elements: sc.Elements, Edges: sc.Edges, Window: &[2]float64{900, 300}}, "empty"},
	} {
		p, err := quant.NewPlan(c.in, c.opts)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		case c.want == "" && p.Method() != "wls":
			t.Errorf("%s: method %q, want the default wls", c.name, p.Method())
		}
	}
	if _, err := quant.NewLinearEngine(nil, quant.LinearOptions{Method: "simplex"}); err == nil || !strings.Contains(err.Error(), "simplex") {
		t.Errorf("linear engine with an unknown method: %v", err)
	}
	if _, err := quant.NewNonLinearEngine(nil, quant.NonLinearOptions{Objective: "chi"}); err == nil || !strings.Contains(err.Error(), "chi") {
		t.Errorf("non-linear engine with an unknown objective: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestRunMeanSpectrumReproducible: the mean spectrum (data, model,
// background, edges) and the summary are the same to the bit with one
// worker and with four, and on a second run: the tiles' sums are added in
// tiling order (multispectrum.InOrder), not in the order the workers
// finish them.
func TestRunMeanSpectrumReproducible(t *testing.T) {
	var ref *quant.Result
	for _, w := range []int{1, 4, 4} {
		res, _ := seedRun(t, 24, true, quant.Options{BackgroundTerms: 4, Workers: w})
		if ref == nil {
			ref = res
			continue
		}
		for k, c := range res.Mean.Curves {
			want := ref.Mean.Curves[k]
			for i, v := range c.Values {
				if math.Float64bits(v) != math.Float64bits(want.Values[i]) {
					t.Fatalf("%d workers: mean %s[%d] = %v, one worker %v", w, c.Name, i, v, want.Values[i])
				}
			}
		}
		for name, r := range res.Summary.Regions {
			for el, st := range r.Composition {
				if want := ref.Summary.Regions[name].Composition[el]; fmt.Sprint(st) != fmt.Sprint(want) {
					t.Fatalf("%d workers: region %s %s composition %+v, one worker %+v", w, r.Name, el, st, want)
				}
			}
		}
	}
}

// regionOutput is a quant.Output that also reads regions of its streams
// (quant.RegionReader), cut from the whole stream of the wrapped output.
type regionOutput struct {
	quant.Output
	strips *int
}

func (o regionOutput) ReadStreamRegion(s quant.Stream, r multispectrum.Region) (*multispectrum.Array, error) {
	a, err := o.ReadStream(s)
	if err != nil {
		return nil, err
	}
	*o.strips++
	out := multispectrum.NewArray(r.NY, r.NX, a.Width)
	for y := 0; y < r.NY; y++ {
		for x := 0; x < r.NX; x++ {
			copy(out.Pixel(y, x), a.Pixel(r.Y0+y, r.X0+x))
		}
	}
	return out, nil
}

type regionDestination struct {
	mem    *quant.Memory
	strips int
}

func (d *regionDestination) Begin(p *quant.Plan) (quant.Output, error) {
	o, err := d.mem.Begin(p)
	return regionOutput{o, &d.strips}, err
}

// TestSummaryFromStrips: the summary's ratios read from the coefficient
// and covariance streams in strips of tile rows (an Output that is a
// RegionReader, as a file is) equal those from the whole streams to the
// bit.
func TestSummaryFromStrips(t *testing.T) {
	ctx := context.Background()
	sc := simulate.SeedScenario(24)
	sim, err := simulate.Run(ctx, sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := quant.CubeInput(sim.LowLoss, sim.CoreLoss, sc.Instrument())
	in.Truth, in.Tile = sc.Maps, [2]int{5, 7}
	o := quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 4}
	whole, err := quant.Run(ctx, in, quant.NewMemory(), o)
	if err != nil {
		t.Fatal(err)
	}
	d := &regionDestination{mem: quant.NewMemory()}
	strips, err := quant.Run(ctx, in, d, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 5; d.strips != want { // 24 rows in strips of 5, two streams
		t.Errorf("%d strips read, want %d", d.strips, want)
	}
	a, _ := json.Marshal(whole.Summary)
	b, _ := json.Marshal(strips.Summary)
	if string(a) != string(b) || !strings.Contains(string(a), "bias_percent") {
		t.Errorf("summary from strips\n%s\nfrom the whole streams\n%s", b, a)
	}
}
