package fitters

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eelsh5/eelsh5/internal/random"
)

// gaussModel is A exp(-(x-c)^2/(2 s^2)) + b on x = 0..n-1.
type gaussModel struct{ n int }

func (g gaussModel) Eval(dst, p []float64) {
	for i := range dst {
		d := (float64(i) - p[1]) / p[2]
		dst[i] = p[0]*math.Exp(-0.5*d*d) + p[3]
	}
}

func (g gaussModel) Jacobian(j, p []float64) {
	n := g.n
	for i := 0; i < n; i++ {
		x := float64(i)
		d := (x - p[1]) / p[2]
		e := math.Exp(-0.5 * d * d)
		j[i] = e
		j[n+i] = p[0] * e * d / p[2]
		j[2*n+i] = p[0] * e * d * d / p[2]
		j[3*n+i] = 1
	}
}

func TestNonLinearRecoversPeak(t *testing.T) {
	// Noise-free data: both objectives return the generating parameters.
	const n = 60
	m := gaussModel{n}
	truth := []float64{500, 31.3, 4.2, 20}
	y := make([]float64, n)
	m.Eval(y, truth)
	for _, obj := range []Objective{LeastSquares, PoissonML} {
		nl := NewNonLinear(n, 4, obj)
		p := []float64{300, 28, 6, 10}
		r := nl.Fit(p, m, y)
		if r.Status != OK {
			t.Fatalf("%s: %v", obj, r.Status)
		}
		for k := range p {
			if math.Abs(p[k]/truth[k]-1) > 1e-8 {
				t.Errorf("%s: p[%d] = %.12g, want %g", obj, k, p[k], truth[k])
			}
		}
	}
}

// scaled is A f(x) for a fixed shape f.
type scaled struct{ f []float64 }

func (s scaled) Eval(dst, p []float64) {
	for i, v := range s.f {
		dst[i] = p[0] * v
	}
}
func (s scaled) Jacobian(j, p []float64) { copy(j, s.f) }

func TestPoissonMLAmplitude(t *testing.T) {
	// For m = A f the Poisson MLE is A = sum(y)/sum(f) (analytic); the
	// weighted least-squares estimate differs.
	rnd := rand.New(rand.NewPCG(4, 4))
	f := make([]float64, 200)
	y := make([]float64, 200)
	sf, sy := 0.0, 0.0
	for i := range f {
		f[i] = 1 + math.Sin(float64(i)/7)*0.8
		y[i] = random.Poisson(rnd, 3*f[i])
		sf += f[i]
		sy += y[i]
	}
	nl := NewNonLinear(200, 1, PoissonML)
	p := []float64{1}
	if r := nl.Fit(p, scaled{f}, y); r.Status != OK || math.Abs(p[0]-sy/sf) > 1e-9*sy/sf {
		t.Errorf("Poisson ML amplitude %v (%v), want %v", p[0], r.Status, sy/sf)
	}
}

func TestNonLinearBounds(t *testing.T) {
	const n = 60
	m := gaussModel{n}
	y := make([]float64, n)
	m.Eval(y, []float64{500, 31.3, 4.2, 20})
	nl := NewNonLinear(n, 4, LeastSquares)
	nl.Upper[1] = 30 // the centre may not pass 30
	p := []float64{300, 25, 6, 10}
	nl.Fit(p, m, y)
	if p[1] > 30 || math.Abs(p[1]-30) > 1e-6 {
		t.Errorf("bounded centre %v, want 30 (at the bound)", p[1])
	}
	y[3] = math.NaN()
	if r := nl.Fit(p, m, y); r.Status != NonFinite {
		t.Errorf("NaN data: %v", r.Status)
	}
}
