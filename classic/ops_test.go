package classic

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// randomCube returns an ny x nx cube of Poisson-like integer counts.
func randomCube(ny, nx int, axis multispectrum.EnergyAxis, seed uint64) *multispectrum.Cube {
	c := multispectrum.NewCube(ny, nx, axis)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range c.Data {
		c.Data[i] = float64(rng.IntN(1000))
	}
	return c
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// TestBinConservesCounts: binning 2x3 scan pixels and 4 channels sums
// exactly those counts (integers: exact in float64), conserves the total
// of every cube, keeps the first channel's start energy and does not
// depend on the tiling or the number of workers.
func TestBinConservesCounts(t *testing.T) {
	low := randomCube(6, 9, multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.25, Size: 64}, 1)
	core := randomCube(6, 9, multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 128}, 2)
	var ref *Memory
	for _, run := range []struct {
		tile    [2]int
		workers int
	}{{[2]int{0, 0}, 1}, {[2]int{4, 6}, 2}, {[2]int{2, 3}, 3}} {
		in := CubeInput(low, core)
		in.Tile = run.tile
		var m Memory
		if _, err := Bin(in, BinOptions{Scan: [2]int{2, 3}, Energy: 4}, &m, RunOptions{Workers: run.workers}); err != nil {
			t.Fatal(err)
		}
		for k, src := range []*multispectrum.Cube{low, core} {
			got := m.Arrays[k]
			if got.NY != 3 || got.NX != 3 || got.Width != src.Width/4 {
				t.Fatalf("binned %s is %dx%dx%d", m.Plan.Streams[k].Name, got.NY, got.NX, got.Width)
			}
			if sum(got.Data) != sum(src.Data) {
				t.Errorf("%s: total %g, want %g", m.Plan.Streams[k].Name, sum(got.Data), sum(src.Data))
			}
			// Pixel (1, 2) channel 5 = input rows 2-3, columns 6-8,
			// channels 20-23.
			want := 0.0
			for y := 2; y < 4; y++ {
				for x := 6; x < 9; x++ {
					want += sum(src.Pixel(y, x)[20:24])
				}
			}
			if g := got.Pixel(1, 2)[5]; g != want {
				t.Errorf("%s: binned pixel (1,2) channel 5 = %g, want %g", m.Plan.Streams[k].Name, g, want)
			}
			ax := m.Plan.Streams[k].Axis
			if ax.Offset != src.Axis.Offset || ax.Dispersion != 4*src.Axis.Dispersion {
				t.Errorf("binned axis %v from %v", ax, src.Axis)
			}
		}
		if ref == nil {
			ref = &m
			continue
		}
		for k := range m.Arrays {
			for i, v := range m.Arrays[k].Data {
				if v != ref.Arrays[k].Data[i] {
					t.Fatalf("tile %v, %d workers: stream %d differs at %d", run.tile, run.workers, k, i)
				}
			}
		}
	}
	for _, o := range []BinOptions{{Scan: [2]int{4, 1}}, {Scan: [2]int{1, 2}}, {Energy: 3}, {Scan: [2]int{-1, 1}}} {
		if _, err := Bin(CubeInput(low, core), o, &Memory{}, RunOptions{}); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestCropAndSum: cropping keeps exactly the chosen pixels and channels
// of each cube (the low loss keeps all of its channels), summing a region
// equals adding its spectra, and the sum of the whole cropped scan equals
// the sum over the same region of the input.
func TestCropAndSum(t *testing.T) {
	low := randomCube(7, 5, multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.25, Size: 40}, 3)
	core := randomCube(7, 5, multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 100}, 4)
	in := CubeInput(low, core)
	in.Tile = [2]int{2, 2}
	region := multispectrum.Region{Y0: 2, X0: 1, NY: 4, NX: 3}
	var m Memory
	// 210.2..230.2 eV: channels 21..40 (start energies 210.5..230).
	if _, err := Crop(in, CropOptions{Region: &region, Energy: map[string][2]float64{CoreLoss: {210.2, 230.2}}}, &m, RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	cl, ll := m.Cubes[CoreLoss], m.Cubes[LowLoss]
	if cl.NY != 4 || cl.NX != 3 || cl.Axis.Size != 40 || cl.Axis.Offset != 210.5 || ll.Axis != low.Axis {
		t.Fatalf("cropped core %dx%d on %v, low on %v", cl.NY, cl.NX, cl.Axis, ll.Axis)
	}
	for y := range 4 {
		for x := range 3 {
			for i, v := range cl.Pixel(y, x) {
				if w := core.Pixel(y+2, x+1)[i+21]; v != w {
					t.Fatalf("cropped (%d,%d) channel %d = %g, want %g", y, x, i, v, w)
				}
			}
			for i, v := range ll.Pixel(y, x) {
				if v != low.Pixel(y+2, x+1)[i] {
					t.Fatalf("cropped low loss (%d,%d) differs", y, x)
				}
			}
		}
	}
	var s1, s2 Memory
	if _, err := Sum(in, SumOptions{Region: &region}, &s1, RunOptions{Workers: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := Sum(CubeInput(ll, nil), SumOptions{}, &s2, RunOptions{Workers: 1}); err != nil {
		t.Fatal(err)
	}
	for i := range low.Width {
		want := 0.0
		for y := 2; y < 6; y++ {
			for x := 1; x < 4; x++ {
				want += low.Pixel(y, x)[i]
			}
		}
		if g := s1.Cubes[LowLoss].Data[i]; g != want || s2.Arrays[0].Data[i] != want {
			t.Fatalf("sum channel %d: %g and %g, want %g", i, g, s2.Arrays[0].Data[i], want)
		}
	}
	if s1.Plan.NY != 1 || s1.Plan.NX != 1 {
		t.Errorf("sum is %dx%d", s1.Plan.NY, s1.Plan.NX)
	}
	var we *WindowError
	for _, o := range []CropOptions{
		{Energy: map[string][2]float64{CoreLoss: {100, 150}}},
		{Energy: map[string][2]float64{CoreLoss: {230, 220}}},
		{Energy: map[string][2]float64{CoreLoss: {240, 260}}},
	} {
		if _, err := Crop(in, o, &Memory{}, RunOptions{}); !errors.As(err, &we) {
			t.Errorf("%+v: %v, want a WindowError", o, err)
		}
	}
	for _, r := range []multispectrum.Region{{Y0: 5, X0: 0, NY: 3, NX: 1}, {Y0: 0, X0: -1, NY: 1, NX: 1}, {NY: 0, NX: 2}} {
		if _, err := Crop(in, CropOptions{Region: &r}, &Memory{}, RunOptions{}); err == nil {
			t.Errorf("crop region %v: no error", r)
		}
		if _, err := Sum(in, SumOptions{Region: &r}, &Memory{}, RunOptions{}); err == nil {
			t.Errorf("sum region %v: no error", r)
		}
	}
	if _, err := Crop(in, CropOptions{Energy: map[string][2]float64{"expected": {0, 1}}}, &Memory{}, RunOptions{}); err == nil {
		t.Error("crop of an unknown cube: no error")
	}
}

// TestCropThenFitEqualsWindow: fitting the seed model (no low loss, so no
// convolution whose FFT length depends on the axis) to a core loss cropped
// to 260.25..700.25 eV gives the coefficients of the fit of the whole axis
// with that fit window, to 1e-9.
func TestCropThenFitEqualsWindow(t *testing.T) {
	sc := simulate.SeedScenario(8)
	sc.Shifts = simulate.NoShifts
	c, err := simulate.Run(context.Background(), sc, 2)
	if err != nil {
		t.Fatal(err)
	}
	var m Memory
	win := [2]float64{260.3, 780.3}
	if _, err := Crop(CubeInput(nil, c.CoreLoss), CropOptions{Energy: map[string][2]float64{CoreLoss: win}}, &m, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	fit := func(core *multispectrum.Cube) [][]float64 {
		mem := quant.NewMemory()
		o := quant.Options{Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, Window: &win, FitOnly: true, BackgroundTerms: 4, NoLowLoss: true}
		res, err := quant.Run(context.Background(), quant.CubeInput(core, nil, sc.Instrument()), mem, o)
		if err != nil {
			t.Fatal(err)
		}
		a, err := mem.Stream(quant.StreamCoefficients)
		if err != nil {
			t.Fatal(err)
		}
		var amps [][]float64
		for k, el := range o.Elements {
			j, ok := res.Plan.Amplitude(el, o.Edges[k])
			if !ok {
				t.Fatalf("no amplitude of %s", el)
			}
			col := make([]float64, a.NY*a.NX)
			for p := range col {
				col[p] = a.Data[p*a.Width+j]
			}
			amps = append(amps, col)
		}
		return amps
	}
	full, cropped := fit(c.CoreLoss), fit(m.Cubes[CoreLoss])
	worst := 0.0
	for k := range full {
		for p, v := range full[k] {
			worst = math.Max(worst, math.Abs(cropped[k][p]-v)/math.Abs(v))
		}
	}
	// The power-law columns are scaled to the first energy of the axis,
	// so the background coefficients differ; the edge amplitudes do not.
	if worst > 1e-7 {
		t.Errorf("cropped fit's edge amplitudes differ from the windowed fit's by up to %.2e (relative)", worst)
	}
	t.Logf("largest relative difference of the %d x %d edge amplitudes: %.2e", len(full), len(full[0]), worst)
}

// TestCalibrate: a seed simulation whose axes are mislabelled by +3.7 eV
// gets back by the zero loss (within a tenth of a channel) and by the C K
// onset (tabulated 284 eV; within half a channel: the simulated edge is
// zero at 284 eV and rises between the channels starting at 284 and
// 284.5 eV, so its onset is known to half a channel), the
// core loss moving with the low loss when both are named; setting an
// offset and a dispersion by hand changes only the named cube.
func TestCalibrate(t *testing.T) {
	sc := simulate.SeedScenario(4)
	sc.Shifts = simulate.NoShifts
	c, err := simulate.Run(context.Background(), sc, 2)
	if err != nil {
		t.Fatal(err)
	}
	trueLow, trueCore := c.LowLoss.Axis, c.CoreLoss.Axis
	c.LowLoss.Axis.Offset += 3.7
	c.CoreLoss.Axis.Offset += 3.7
	in := CubeInput(c.LowLoss, c.CoreLoss)
	tab, err := EdgeOnset("C", "K")
	if err != nil {
		t.Fatal(err)
	}
	for _, test := range []struct {
		name string
		opts CalibrateOptions
	}{
		{"zero loss", CalibrateOptions{ZeroLoss: true}},
		{"C K onset", CalibrateOptions{Edge: &EdgeRef{Element: "C", Edge: "K"}}},
	} {
		var m Memory
		res, err := Calibrate(in, test.opts, &m, RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]multispectrum.EnergyAxis{LowLoss: trueLow, CoreLoss: trueCore} {
			got := m.Cubes[name].Axis
			tol := 0.1 * want.Dispersion
			if test.opts.Edge != nil {
				tol = 0.5 * want.Dispersion
			}
			if math.Abs(got.Offset-want.Offset) > tol || got.Dispersion != want.Dispersion || got.Size != want.Size {
				t.Errorf("%s: %s axis %v, want %v", test.name, name, got, want)
			}
		}
		t.Logf("%s: summary %v (tabulated C K onset %g eV)", test.name, res.Summary, tab)
		if m.Cubes[CoreLoss].Data[100] != c.CoreLoss.Data[100] {
			t.Errorf("%s: data changed", test.name)
		}
	}
	var m Memory
	if _, err := Calibrate(in, CalibrateOptions{Set: true, Offset: 195, Dispersion: math.NaN(), Cubes: []string{CoreLoss}}, &m, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if m.Cubes[CoreLoss].Axis.Offset != 195 || m.Cubes[LowLoss].Axis != c.LowLoss.Axis {
		t.Errorf("set: core %v, low %v", m.Cubes[CoreLoss].Axis, m.Cubes[LowLoss].Axis)
	}
	for _, o := range []CalibrateOptions{
		{},
		{ZeroLoss: true, Set: true, Offset: 1},
		{Set: true, Offset: math.NaN(), Dispersion: math.NaN()},
		{Set: true, Offset: 0, Dispersion: -1},
		{Edge: &EdgeRef{Element: "Xx", Edge: "K"}},
		{Edge: &EdgeRef{Element: "U", Edge: "K"}}, // onset far outside the axis
		{ZeroLoss: true, Cubes: []string{"expected"}},
	} {
		if err := CheckCalibrate(in, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestLongNamesBeginWithAWord: every stream's long name, which h5io
// writes as the long_name attribute and eelsh5 plot capitalises into the
// figure title, begins with a word of letters, so that capitalising it
// cannot turn a symbol into another ("t/lambda" into "T/lambda").
func TestLongNamesBeginWithAWord(t *testing.T) {
	sc, c := seedRegions(t, 1)
	in := CubeInput(c.LowLoss, c.CoreLoss)
	edges := []EdgeWindows{{Element: "C", Edge: "K"}, {Element: "Fe", Edge: "L"}}
	var plans []*Plan
	add := func(p *Plan, err error) {
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, p)
	}
	add(ThicknessPlan(in, ThicknessOptions{MeanFreePath: Malis, Zeff: 6, E0: sc.E0, Beta: sc.Beta}))
	add(DeconvolvePlan(in, DeconvolveOptions{Method: FourierLog, FWHM: 1}))
	add(DeconvolvePlan(in, DeconvolveOptions{Method: FourierRatio, FWHM: 1}))
	add(IntegratePlan(in, IntegrateOptions{Edges: edges, Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}))
	add(JumpRatioPlan(in, JumpRatioOptions{Edges: edges}))
	add(BinPlan(in, BinOptions{Energy: 2}))
	add(CropPlan(in, CropOptions{Energy: map[string][2]float64{CoreLoss: {300, 400}}}))
	add(SumPlan(in, SumOptions{}))
	n := 0
	for _, p := range plans {
		for _, s := range p.Streams {
			if s.LongName == "" {
				continue // h5io gives cubes "Intensity (counts)"
			}
			n++
			first, _, _ := strings.Cut(s.LongName, " ")
			for _, r := range first {
				if !unicode.IsLetter(r) && r != '-' {
					t.Errorf("%s: stream %s: long name %q begins with %q", p.Operation, s.Name, s.LongName, first)
					break
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("%d long names checked", n)
	}
}
