package quant

import (
	"math"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/gos"
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
