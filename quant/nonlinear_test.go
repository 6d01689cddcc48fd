package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/internal/random"
	"github.com/eelsh5/eelsh5/multispectrum"
)

func TestNonLinearEngineEdgeShift(t *testing.T) {
	// The seed model with the Fe L edge shift free: data made with a
	// shift of 0.7 eV (and the seed amplitudes) are fitted from a start
	// at 0 eV; noise free, every parameter comes back (issue 6).
	const spec = `
[instrument]
E0 = 300e3
alpha = 1e-9
beta = 20e-3
[[component]]
type = "linear_background"
linspace = [1, 5, 4]
[[component]]
type = "edge"
element = "C"
edge = "K"
[[component]]
type = "edge"
element = "N"
edge = "K"
[[component]]
type = "edge"
element = "O"
edge = "K"
[[component]]
type = "edge"
element = "Fe"
edge = "L"
free = ["shift"]
bounds = { shift = [-3, 3] }
`
	mf, err := ReadModelFile(strings.NewReader(spec), "shift.toml")
	if err != nil {
		t.Fatal(err)
	}
	cache := gos.NewCache()
	build := func() (*components.Model, error) { return mf.Build(seedCore, gos.Hydrogenic(), cache) }
	m, _ := build()
	want := append(append([]float64{}, seedParams...), 0.7)
	ll := lowLoss(0.6)
	y := truth(t, m, want, ll)
	for _, obj := range []fitters.Objective{fitters.LeastSquares, fitters.PoissonML} {
		e, err := NewNonLinearEngine(build, NonLinearOptions{Objective: obj, Weighted: true, LowLoss: &seedLow})
		if err != nil {
			t.Fatal(err)
		}
		if names := e.ParamNames(); names[8] != "Fe L.shift" {
			t.Fatalf("parameters %v", names)
		}
		w := e.NewWorker()
		coef := make([]float64, e.Params())
		vars := make([]float64, e.Params())
		var st fitters.Status
		w.Pixel(y, ll, PixelResult{Coef: coef, Variance: vars, Status: &st})
		if st != fitters.OK {
			t.Fatalf("%s: status %v", obj, st)
		}
		for k := range coef {
			if math.Abs(coef[k]-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
				t.Errorf("%s: %s = %.10g, want %g", obj, e.names[k], coef[k], want[k])
			}
		}
		if !(vars[8] > 0) {
			t.Errorf("%s: shift variance %v", obj, vars[8])
		}
	}
	// A free parameter without a derivative (beta) is refused at setup.
	bad := strings.Replace(spec, `free = ["shift"]`, `free = ["beta"]`, 1)
	mf2, _ := ReadModelFile(strings.NewReader(bad), "bad.toml")
	_, err = NewNonLinearEngine(func() (*components.Model, error) { return mf2.Build(seedCore, gos.Hydrogenic(), cache) },
		NonLinearOptions{Objective: fitters.LeastSquares})
	if err == nil {
		t.Error("free beta accepted")
	}
}

// startCase is one row of TestNonLinearStartValues: a one-component model
// at its default start values and the truth the data are made from.
type startCase struct {
	name  string
	build func() (*components.Model, error)
	truth []float64 // free parameters in model order
	// window [lo, hi] eV of the fit, nil for the whole axis (a lone
	// Gaussian underflows to 0 far from its centre, where the CRLB is
	// undefined)
	window []float64
}

// startModelFile builds a one-component model from a model-file table
// (no values: the type's defaults, doc/algorithms.md 2.3).
func startModelFile(axis multispectrum.EnergyAxis, table string) func() (*components.Model, error) {
	return func() (*components.Model, error) {
		mf, err := ReadModelFile(strings.NewReader("[[component]]\n"+table), "start.toml")
		if err != nil {
			return nil, err
		}
		return mf.Build(axis, gos.Hydrogenic(), nil)
	}
}

func startCases(axis multispectrum.EnergyAxis) []startCase {
	return []startCase{
		// model file default: A = 1, r = 3
		{"power law", startModelFile(axis, `type = "power_law"`), []float64{2e5, 4.5}, nil},
		// issue 14: 1000 exp(-0.001 E) from (A 1, b -1) ended at A 1.8e34
		{"exponential (A 1, b -1)", func() (*components.Model, error) {
			return components.NewModel(axis, components.NewExponential(axis, 1, -1)), nil
		}, []float64{1000, -0.001}, nil},
		// model file default: A = 1, b = -0.001
		{"exponential", startModelFile(axis, `type = "exponential"`), []float64{5000, -0.004}, nil},
		// model file default: A = 1, centre = first channel, fwhm = 1
		{"gaussian", startModelFile(axis, `type = "gaussian"`), []float64{1000, 640, 30}, []float64{500, 780}},
		{"lorentzian", startModelFile(axis, `type = "lorentzian"`), []float64{1000, 640, 30}, nil},
		{"voigt", startModelFile(axis, `type = "voigt"`), []float64{1000, 640, 8, 10}, nil},
		// a peak on a background: both estimated, the second round from
		// the data minus the other
		{"power law + gaussian", startModelFile(axis, `type = "power_law"
[[component]]
type = "gaussian"`), []float64{2e5, 4.5, 1000, 640, 30}, nil},
	}
}

// TestNonLinearStartValues: non-linear fits from the default start
// values of a power law, an exponential, a Gaussian, a Lorentzian, a
// Voigt profile and a Gaussian on a power law converge (issue 14 item 5,
// doc/algorithms.md 6.6). Noise free: status ok and every parameter
// within 1e-6 relative of the truth. With Poisson noise: status ok and
// every parameter within 0.01 standard deviations (sqrt CRLB) of the fit
// started from the truth, i.e. the same optimum; that optimum is within 5
// standard deviations of the truth for Poisson maximum likelihood (least
// squares with weights 1/max(y, 1) is biased at low counts, README).
func TestNonLinearStartValues(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 1, Size: 1000}
	for _, c := range startCases(axis) {
		m, err := c.build()
		if err != nil {
			t.Fatal(err)
		}
		free := m.FreeParameters()
		for k, p := range free {
			p.Value = c.truth[k]
		}
		exact := make([]float64, axis.Size)
		m.Eval(exact)
		noisy := make([]float64, axis.Size)
		rng := rand.New(rand.NewPCG(14, 5))
		for i, v := range exact {
			noisy[i] = random.Poisson(rng, v)
		}
		// the same model started from the truth: values set after
		// construction are kept (components.StartMask)
		fromTruth := func() (*components.Model, error) {
			m, err := c.build()
			if err == nil {
				for k, p := range m.FreeParameters() {
					p.Value = c.truth[k]
				}
			}
			return m, err
		}
		var mask multispectrum.Mask
		if c.window != nil {
			mask = multispectrum.NewMask(axis.Size)
			mask.Exclude(0, axis.Index(c.window[0]))
			mask.Exclude(axis.Index(c.window[1])+1, axis.Size)
		}
		fit := func(build func() (*components.Model, error), obj fitters.Objective, y []float64) (coef, sd []float64, st fitters.Status, chi2 float64) {
			e, err := NewNonLinearEngine(build, NonLinearOptions{Objective: obj, Weighted: true, Mask: mask})
			if err != nil {
				t.Fatal(err)
			}
			p := e.Params()
			coef, sd = make([]float64, p), make([]float64, p)
			e.NewWorker().Pixel(y, nil, PixelResult{Coef: coef, Variance: sd, Status: &st, Chi2: &chi2})
			for k, v := range sd {
				sd[k] = math.Sqrt(v)
			}
			return coef, sd, st, chi2
		}
		names := m.FreeNames()
		for _, obj := range []fitters.Objective{fitters.LeastSquares, fitters.PoissonML} {
			for _, withNoise := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/noise=%v", c.name, obj, withNoise)
				y := exact
				if withNoise {
					y = noisy
				}
				coef, sd, st, chi2 := fit(c.build, obj, y)
				ok := st == fitters.OK
				var ref []float64
				if withNoise {
					var rst fitters.Status
					ref, _, rst, _ = fit(fromTruth, obj, y)
					ok = ok && rst == fitters.OK
				}
				for k := range coef {
					if withNoise {
						ok = ok && math.Abs(coef[k]-ref[k]) <= 0.01*sd[k]
						if obj == fitters.PoissonML {
							ok = ok && math.Abs(ref[k]-c.truth[k]) <= 5*sd[k]
						}
					} else {
						ok = ok && math.Abs(coef[k]-c.truth[k]) <= 1e-6*math.Abs(c.truth[k])
					}
				}
				if !ok {
					t.Errorf("%s: status %v, %v = %.8g (sd %.3g), chi2 %.4g; want %g (from the truth: %.8g)", name, st, names, coef, sd, chi2, c.truth, ref)
				} else {
					t.Logf("%s: %v = %.8g (sd %.3g), chi2 %.4g", name, names, coef, sd, chi2)
				}
			}
		}
	}
}

// TestNonLinearStartRule: which start values the engine estimates
// (doc/algorithms.md 6.6, "Start values"). Every estimating type of a
// model file starts at its constructor defaults, so all its free
// non-linear parameters are estimated; a model file's values = {...}
// win, KeepStart keeps every value, a default moved into its bounds is
// still estimated; and a pixel allocates nothing.
func TestNonLinearStartRule(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 1, Size: 1000}
	for _, typ := range []string{"power_law", "exponential", "gaussian", "lorentzian", "voigt"} {
		m, err := startModelFile(axis, `type = "`+typ+`"`)()
		if err != nil {
			t.Fatal(err)
		}
		c := m.Components[0].(components.StartEstimator)
		set := make([]bool, len(c.Parameters()))
		if !components.StartMask(c, set) {
			t.Errorf("%s: model file defaults not estimated", typ)
		}
		for k, p := range c.Parameters() {
			if p.Free() != set[k] {
				t.Errorf("%s: %s free %v, estimated %v", typ, p.Name, p.Free(), set[k])
			}
		}
	}
	m, _ := startModelFile(axis, `type = "gaussian"`)()
	for k, p := range m.FreeParameters() {
		p.Value = []float64{1000, 640, 30}[k]
	}
	y := make([]float64, axis.Size)
	m.Eval(y)
	mask := multispectrum.NewMask(axis.Size)
	mask.Exclude(0, axis.Index(500))
	mask.Exclude(axis.Index(780)+1, axis.Size)
	// maxIter 2: a start at the estimates (exact for noise-free data)
	// has converged after the first iteration; any other start has not
	fit := func(table string, keep bool, maxIter int) ([]float64, fitters.Status) {
		e, err := NewNonLinearEngine(startModelFile(axis, table), NonLinearOptions{Weighted: true, Mask: mask, KeepStart: keep, MaxIter: maxIter})
		if err != nil {
			t.Fatal(err)
		}
		coef := make([]float64, e.Params())
		var st fitters.Status
		w := e.NewWorker()
		w.Pixel(y, nil, PixelResult{Coef: coef, Status: &st})
		if allocs := testing.AllocsPerRun(5, func() { w.Pixel(y, nil, PixelResult{Coef: coef, Status: &st}) }); allocs != 0 {
			t.Errorf("%s (keep %v): a pixel allocates %v times", table, keep, allocs)
		}
		return coef, st
	}
	good := func(c []float64, st fitters.Status) bool {
		return st == fitters.OK && relClose(c[0], 1000) && relClose(c[1], 640) && relClose(c[2], 30)
	}
	if c, st := fit(`type = "gaussian"`, false, 2); !good(c, st) {
		t.Errorf("defaults: %v %v", st, c)
	}
	// a centre given by the model file is the start
	if c, st := fit(`type = "gaussian"
values = { centre = 630 }`, false, 2); good(c, st) {
		t.Errorf("values = {centre = 630} not kept: %v %v", st, c)
	}
	if c, st := fit(`type = "gaussian"
values = { centre = 630 }`, false, 0); !good(c, st) {
		t.Errorf("values = {centre = 630}, fitted: %v %v", st, c)
	}
	if c, st := fit(`type = "gaussian"`, true, 0); good(c, st) {
		t.Errorf("KeepStart estimated: %v %v", st, c)
	}
	// the default centre (200 eV) moved to 600 by its bounds is a default
	if c, st := fit(`type = "gaussian"
bounds = { centre = [600, 700] }`, false, 2); !good(c, st) {
		t.Errorf("clamped default: %v %v", st, c)
	}
}

func relClose(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Abs(b) }

// TestNonLinearStartEdges: a power-law background (estimated) under the
// seed's edges, convolved with the low loss: the per-pixel linear
// pre-fit at the estimated exponent gives the edge amplitudes and the fit
// converges from the defaults (doc/algorithms.md 6.6, "Start values").
func TestNonLinearStartEdges(t *testing.T) {
	const spec = `
[instrument]
E0 = 300e3
alpha = 1e-9
beta = 20e-3
[[component]]
type = "power_law"
[[component]]
type = "edge"
element = "C"
edge = "K"
[[component]]
type = "edge"
element = "N"
edge = "K"
[[component]]
type = "edge"
element = "O"
edge = "K"
[[component]]
type = "edge"
element = "Fe"
edge = "L"
`
	mf, err := ReadModelFile(strings.NewReader(spec), "powerlaw.toml")
	if err != nil {
		t.Fatal(err)
	}
	cache := gos.NewCache()
	build := func() (*components.Model, error) { return mf.Build(seedCore, gos.Hydrogenic(), cache) }
	m, _ := build()
	want := []float64{3000, 3.8, 1, 2, 1, 0.5}
	ll := lowLoss(0.6)
	y := truth(t, m, want, ll)
	for _, obj := range []fitters.Objective{fitters.LeastSquares, fitters.PoissonML} {
		e, err := NewNonLinearEngine(build, NonLinearOptions{Objective: obj, Weighted: true, LowLoss: &seedLow})
		if err != nil {
			t.Fatal(err)
		}
		coef := make([]float64, e.Params())
		var st fitters.Status
		e.NewWorker().Pixel(y, ll, PixelResult{Coef: coef, Status: &st})
		if st != fitters.OK {
			t.Errorf("%s: status %v", obj, st)
		}
		for k := range coef {
			if math.Abs(coef[k]-want[k]) > 1e-6*math.Abs(want[k]) {
				t.Errorf("%s: %s = %.10g, want %g", obj, e.names[k], coef[k], want[k])
			}
		}
	}
}

// TestPartsSumEqualsSummedParts: accumulating the parts through
// PixelResult.PartsSum gives, to the bit, the sum of the Parts buffers
// added one pixel after the other (each entry one rounded product and
// one rounded sum either way), for the linear and the non-linear
// engine, and a failed pixel adds nothing.
func TestPartsSumEqualsSummedParts(t *testing.T) {
	m := seedModel(t)
	lin, err := NewLinearEngine(m, LinearOptions{Method: fitters.WLS, LowLoss: &seedLow})
	if err != nil {
		t.Fatal(err)
	}
	mf := seedModelFile(t)
	cache := gos.NewCache()
	non, err := NewNonLinearEngine(func() (*components.Model, error) { return mf.Build(seedCore, gos.Hydrogenic(), cache) },
		NonLinearOptions{Weighted: true, LowLoss: &seedLow})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for _, f := range []Fitter{lin, non} {
		p, n := f.Params(), seedCore.Size
		w := f.NewWorker()
		parts, want, got := make([]float64, p*n), make([]float64, p*n), make([]float64, p*n)
		for q := 0; q < 6; q++ {
			ll := lowLoss(0.3 + 0.1*float64(q))
			y := truth(t, m, seedParams, ll)
			for i := range y {
				y[i] = float64(random.Poisson(rng, y[i]))
			}
			if q == 4 {
				ll = make([]float64, len(ll)) // no counts: the low loss cannot be normalised
			}
			coef := make([]float64, p)
			model := make([]float64, n)
			w.Pixel(y, ll, PixelResult{Coef: coef, Model: model, Parts: parts})
			if q == 4 {
				if !math.IsNaN(model[0]) {
					t.Fatalf("%T: a zero low loss was fitted", f)
				}
			} else {
				multispectrum.AddTo(want, parts)
			}
			w.Pixel(y, ll, PixelResult{Coef: coef, PartsSum: got})
		}
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("%T: PartsSum[%d] = %v, summed Parts %v", f, i, got[i], want[i])
			}
		}
		if want[4*n+n/2] == 0 {
			t.Fatalf("%T: the C K part is zero", f)
		}
	}
}
