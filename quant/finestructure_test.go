package quant_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// seedRun simulates the seed scenario on an n x n scan, aligns it and
// quantifies it with the given options (6 background terms unless they
// say otherwise).
func seedRun(t testing.TB, n int, noisy bool, o quant.Options) (*quant.Result, *quant.Memory) {
	t.Helper()
	ctx := context.Background()
	sc := simulate.SeedScenario(n)
	sc.AddPoisson = noisy
	sim, err := simulate.Run(ctx, sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	aligned := &aligners.Memory{}
	if _, err := aligners.Run(ctx, aligners.CubeInput(sim.LowLoss, sim.CoreLoss), aligned, aligners.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	in := quant.CubeInput(aligned.Cubes[1], aligned.Cubes[0], sc.Instrument())
	in.Truth = sc.Maps
	in.Tile = [2]int{8, 8} // every core busy
	mem := quant.NewMemory()
	o.Elements, o.Edges = sc.Elements, sc.Edges
	res, err := quant.Run(ctx, in, mem, o)
	if err != nil {
		t.Fatal(err)
	}
	return res, mem
}

// regionRatios returns the ratios with a non-zero truth of every truth
// region, by "region ratio".
func regionRatios(res *quant.Result) map[string]quant.RatioStats {
	out := map[string]quant.RatioStats{}
	for _, r := range res.Summary.Regions {
		for name, st := range r.Ratios {
			if st.Truth != 0 {
				out[r.Name+" "+name] = st
			}
		}
	}
	return out
}

// TestFineStructureSeedScenario: fine structure (30 points over 50 eV)
// on every edge of the seed scenario, whose truth has none. On
// noise-free data (16 x 16) the ratios stay within 1% of the truth: the
// fine structure does not take intensity the edges should have. The
// propagated uncertainty of every ratio grows (the CRLB of the larger
// model); on Poisson data (32 x 32) the pixel-to-pixel spread of the
// ratios grows by the same factor and still equals the propagated
// uncertainty, so the larger error bars are honest, not just larger.
func TestFineStructureSeedScenario(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("simulates and fits 4 x 1024 spectra, 130 parameters each")
	}
	fine := &quant.FineStructure{}
	plain, _ := seedRun(t, 16, false, quant.Options{BackgroundTerms: 6})
	withFS, _ := seedRun(t, 16, false, quant.Options{BackgroundTerms: 6, FineStructure: fine})
	np, nf := plain.Plan.NumParams(), withFS.Plan.NumParams()
	if nf != np+4*components.DefaultFinePoints {
		t.Fatalf("%d parameters with fine structure, %d without", nf, np)
	}
	for _, e := range withFS.Plan.Edges() {
		if len(e.Fine) != components.DefaultFinePoints || !strings.HasPrefix(withFS.Plan.Names()[e.Param], e.Label+".A") {
			t.Errorf("edge %+v", e)
		}
	}
	rp, rf := regionRatios(plain), regionRatios(withFS)
	if len(rf) != 5 {
		t.Fatalf("%d ratios", len(rf))
	}
	for k, st := range rf {
		t.Logf("noise-free %-28s bias %+.3f%% (plain %+.3f%%); propagated %.4g (plain %.4g, x%.2f)",
			k, *st.Bias, *rp[k].Bias, st.PerPixel.MeanSD, rp[k].PerPixel.MeanSD, st.PerPixel.MeanSD/rp[k].PerPixel.MeanSD)
		if math.Abs(*st.Bias) > 1 {
			t.Errorf("%s: bias %+.3f%% with fine structure", k, *st.Bias)
		}
		if !(st.PerPixel.MeanSD > rp[k].PerPixel.MeanSD) {
			t.Errorf("%s: fine structure did not raise the propagated uncertainty (%g vs %g)", k, st.PerPixel.MeanSD, rp[k].PerPixel.MeanSD)
		}
	}
	// Poisson data: spread = propagated, with and without.
	noisyP, _ := seedRun(t, 32, true, quant.Options{BackgroundTerms: 6})
	noisyF, _ := seedRun(t, 32, true, quant.Options{BackgroundTerms: 6, FineStructure: fine})
	matrix := func(res *quant.Result) *quant.RegionSummary {
		for i, r := range res.Summary.Regions {
			if r.Name == "truth C=1" {
				return &res.Summary.Regions[i]
			}
		}
		t.Fatal("no matrix region")
		return nil
	}
	mp, mf := matrix(noisyP), matrix(noisyF)
	for name, st := range mf.Ratios {
		sp := mp.Ratios[name]
		q := st.PerPixel.Std / st.PerPixel.MeanSD
		t.Logf("Poisson: matrix %s: spread %.4g propagated %.4g (%.3f); plain %.4g and %.4g; spread x%.2f, propagated x%.2f",
			name, st.PerPixel.Std, st.PerPixel.MeanSD, q, sp.PerPixel.Std, sp.PerPixel.MeanSD, st.PerPixel.Std/sp.PerPixel.Std, st.PerPixel.MeanSD/sp.PerPixel.MeanSD)
		// ~700 pixels: a standard deviation to 2.7%, so 12% is over 4 sigma.
		if math.Abs(q-1) > 0.12 {
			t.Errorf("matrix %s: spread %.4g but propagated %.4g with fine structure", name, st.PerPixel.Std, st.PerPixel.MeanSD)
		}
		if !(st.PerPixel.MeanSD > 1.2*sp.PerPixel.MeanSD) {
			t.Errorf("matrix %s: propagated %.4g with fine structure, %.4g without", name, st.PerPixel.MeanSD, sp.PerPixel.MeanSD)
		}
	}
	for _, res := range []*quant.Result{noisyP, noisyF} {
		if c2 := res.Summary.Chi2; c2 == nil || c2.Misfit || math.Abs(c2.Median-1) > 0.1 || c2.Pixels != 1024 {
			t.Errorf("chi-square summary %+v", c2)
		}
	}
}

// peakedSeed simulates a noise-free 8 x 8 seed scenario without shifts and
// adds to every core-loss spectrum a narrow peak 4 eV above the C K onset
// that no edge has: a near-edge fine structure the plain model cannot
// follow.
func peakedSeed(t testing.TB) quant.Input {
	t.Helper()
	sc := simulate.SeedScenario(8)
	sc.AddPoisson, sc.Shifts = false, simulate.NoShifts
	sim, err := simulate.Run(context.Background(), sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	core := sim.CoreLoss
	for px := 0; px < core.NY*core.NX; px++ {
		s := core.Data[px*core.Axis.Size : (px+1)*core.Axis.Size]
		for i := range s {
			d := core.Axis.Energy(i) - 288
			s[i] += 2000 * math.Exp(-d*d/2)
		}
	}
	in := quant.CubeInput(core, sim.LowLoss, sc.Instrument())
	in.Truth = sc.Maps
	return in
}

var seedOpts = quant.Options{Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, BackgroundTerms: 6}

// TestChi2SummaryAndScaleErrors: the misfit of a model without the data's
// fine structure shows in the chi-square summary (and its warning);
// ScaleErrors multiplies every uncertainty but the CRLB by
// sqrt(reduced chi-square); fine structure on the C K edge removes most of
// the misfit.
func TestChi2SummaryAndScaleErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and fits 4 x 64 spectra")
	}
	ctx := context.Background()
	in := peakedSeed(t)
	run := func(o quant.Options) (*quant.Result, *quant.Memory) {
		t.Helper()
		mem := quant.NewMemory()
		res, err := quant.Run(ctx, in, mem, o)
		if err != nil {
			t.Fatal(err)
		}
		return res, mem
	}
	plain, mp := run(seedOpts)
	c2 := plain.Summary.Chi2
	if c2 == nil || c2 != plain.Chi2 || !c2.Misfit || c2.Above != 1 || c2.Pixels != 64 || c2.Limit != 2 || c2.MisfitFraction != 0.1 || c2.ErrorsScaled {
		t.Fatalf("chi-square summary %+v", c2)
	}
	if w := c2.Warning(); !strings.Contains(w, "does not describe the data") || !strings.Contains(w, "ScaleErrors") {
		t.Errorf("warning %q", w)
	}
	for _, r := range plain.Summary.Regions {
		if r.Chi2 == nil || r.Chi2.Pixels != r.Pixels || !(r.Chi2.Median > 2) {
			t.Errorf("region %s: chi-square %+v", r.Name, r.Chi2)
		}
	}
	o := seedOpts
	o.ScaleErrors = true
	scaled, ms := run(o)
	if !scaled.Chi2.ErrorsScaled || scaled.Plan.Params()["scale_errors"] != true || !strings.Contains(scaled.Chi2.Warning(), "scaled") {
		t.Errorf("scaled run: %+v, params %v", scaled.Chi2, scaled.Plan.Params()["scale_errors"])
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			f := math.Sqrt(mp.Pixel(quant.StreamChi2, y, x)[0])
			if !(f > 1) {
				t.Fatalf("pixel %d,%d: chi-square %g", y, x, f*f)
			}
			for _, s := range []quant.Stream{quant.StreamCoefficientErrors, quant.StreamElementErrors, quant.StreamCompositionErrors, quant.StreamCRLB, quant.StreamCovariance} {
				want := f
				if s == quant.StreamCRLB {
					want = 1
				} else if s == quant.StreamCovariance {
					want = f * f
				}
				a, b := mp.Pixel(s, y, x), ms.Pixel(s, y, x)
				for k := range a {
					if math.Abs(b[k]-want*a[k]) > 1e-9*math.Abs(want*a[k]) {
						t.Fatalf("pixel %d,%d %s[%d]: %g scaled, %g unscaled, factor %g", y, x, s, k, b[k], a[k], want)
					}
				}
			}
		}
	}
	// Fine structure on C K only.
	o = seedOpts
	o.FineStructure = &quant.FineStructure{Elements: []string{"c"}}
	fine, _ := run(o)
	edges := fine.Plan.Edges()
	if len(edges) != 4 || len(edges[0].Fine) != 30 || edges[1].Fine != nil || fine.Plan.Names()[edges[0].Fine[0]] != "C K fine structure.a0" {
		t.Fatalf("edges %+v", edges)
	}
	if fine.Mean.Curve("C_K_fine_structure") == nil || fine.Mean.Curve("C_K") == nil {
		t.Errorf("mean spectrum curves %v", fine.Mean.Curves)
	}
	t.Logf("median reduced chi-square: %.4g plain, %.4g with fine structure on C K", plain.Chi2.Median, fine.Chi2.Median)
	if !(fine.Chi2.Median < plain.Chi2.Median/10) {
		t.Errorf("median reduced chi-square %g with fine structure, %g without", fine.Chi2.Median, plain.Chi2.Median)
	}
	if !strings.Contains(fine.Plan.Description(), "fine structure on C K (50 eV) from 5 eV before the onset, 30 points") {
		t.Errorf("description %q", fine.Plan.Description())
	}
	// The recorded model file rebuilds the model with its fine structure.
	mf := fine.Plan.ModelFile()
	m, err := mf.Build(in.CoreLoss, gos.Hydrogenic(), gos.NewCache())
	if err != nil || len(m.FreeNames()) != fine.Plan.NumParams() {
		t.Fatalf("rebuilt model: %v", err)
	}
}

// TestSummaryChi2JSON: the chi-square section survives a JSON round trip,
// NaN as null.
func TestSummaryChi2JSON(t *testing.T) {
	s := quant.Summary{Elements: []string{"C K"}, Chi2: &quant.Chi2Summary{Pixels: 0, Median: math.NaN(), Mean: math.NaN(), Limit: 2, MisfitFraction: 0.1}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"reduced_chi_square":{"pixels":0,"limit":2,"fraction_above_limit":0,"misfit_fraction":0.1,"misfit":false,"errors_scaled":false,"median":null,"mean":null}`) {
		t.Errorf("JSON %s", b)
	}
	var back quant.Summary
	if err := json.Unmarshal(b, &back); err != nil || back.Chi2 == nil || !math.IsNaN(back.Chi2.Median) || back.Chi2.Limit != 2 {
		t.Errorf("read back %+v (%v)", back.Chi2, err)
	}
	ok := quant.Chi2Summary{Pixels: 3, Median: 1.5, Mean: 1.5, Limit: 2, Above: 1.0 / 3, MisfitFraction: 0.5}
	if ok.Warning() != "" {
		t.Errorf("warning without a misfit: %q", ok.Warning())
	}
}

// TestFineStructureModelFile: fine_structure components name their edge
// by label or by element, with window, points and the Bethe constraint.
func TestFineStructureModelFile(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 205, Dispersion: 0.5, Size: 2028}
	head := `
[instrument]
E0 = 300e3
alpha = 1e-9
beta = 20e-3
[[component]]
type = "linear_background"
linspace = [1, 5, 4]
[[component]]
type = "fine_structure"
edge = "c k"
points = 10
width = 40
pre = 0
[[component]]
type = "edge"
element = "C"
edge = "K"
[[component]]
type = "edge"
element = "Fe"
edge = "L"
`
	build := func(extra string) (*components.Model, error) {
		mf, err := quant.ReadModelFile(strings.NewReader(head+extra), "test.toml")
		if err != nil {
			t.Fatal(err)
		}
		return mf.Build(axis, gos.Hydrogenic(), gos.NewCache())
	}
	m, err := build(`
[[component]]
type = "fine_structure"
element = "Fe"
bethe = true
`)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Components[1].(*components.FineStructure)
	o := c.Options()
	if c.Edge() != m.Components[2] || o.Points != 10 || o.Width != 40 || o.Pre != 0 || o.Bethe {
		t.Errorf("C K fine structure %+v of %s", o, c.Edge().Name())
	}
	f := m.Components[4].(*components.FineStructure)
	if o := f.Options(); f.Edge() != m.Components[3] || o.Points != 30 || o.Width != 50 || o.Pre != 5 || !o.Bethe || len(f.Parameters()) != 29 {
		t.Errorf("Fe L fine structure %+v", o)
	}
	names := m.FreeNames()
	if len(names) != 4+10+2+29 || names[4] != "C K fine structure.a0" || names[14] != "C K.A" {
		t.Errorf("names %v", names)
	}
	for _, c := range []struct{ extra, want string }{
		{"[[component]]\ntype = \"fine_structure\"\nedge = \"O K\"\n", `no edge "O K" in the model (it has C K, Fe L)`},
		{"[[component]]\ntype = \"fine_structure\"\nelement = \"C\"\n", "has a fine structure already"},
		{"[[component]]\ntype = \"fine_structure\"\n", "needs the edge it belongs to"},
		{"[[component]]\ntype = \"fine_structure\"\nelement = \"Fe\"\npoints = 1\nbethe = true\n", "at least 2"},
		{"[[component]]\ntype = \"fine_structure\"\nelement = \"Fe\"\nvalues = {a40 = 1}\n", `no parameter "a40"`},
	} {
		if _, err := build(c.extra); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.extra, err, c.want)
		}
	}
}

// TestFineStructureOptionErrors: bad fine-structure options are option
// errors of NewPlan, found before anything runs.
func TestFineStructureOptionErrors(t *testing.T) {
	sc := simulate.SeedScenario(4)
	in := quant.Input{Source: multispectrum.NoSource{}, NY: 4, NX: 4, CoreLoss: sc.Axis, Instrument: sc.Instrument()}
	for _, c := range []struct {
		fs   quant.FineStructure
		o    func(*quant.Options)
		want string
	}{
		{quant.FineStructure{Elements: []string{"Xx"}}, nil, "fine structure"},
		{quant.FineStructure{Elements: []string{"Si"}}, nil, "no edge of that element"},
		{quant.FineStructure{Elements: []string{"C", "N"}, Widths: []float64{30}}, nil, "2 elements"},
		{quant.FineStructure{Width: -1}, nil, "must be positive"},
		{quant.FineStructure{Points: 1, Bethe: true}, nil, "at least 2"},
		{quant.FineStructure{}, func(o *quant.Options) {
			o.Elements, o.Edges, o.Window = []string{"C"}, []string{"K"}, &[2]float64{250, 300}
		}, "extends outside the channels the fit uses"},
		{quant.FineStructure{}, func(o *quant.Options) { o.MisfitFraction = 2 }, "misfit fraction"},
	} {
		o := seedOpts
		o.NoLowLoss = true
		fs := c.fs
		o.FineStructure = &fs
		if c.o != nil {
			c.o(&o)
		}
		_, err := quant.NewPlan(in, o)
		var oe *quant.OptionError
		if err == nil || !errors.As(err, &oe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an option error with %q", c.fs, err, c.want)
		}
	}
}
