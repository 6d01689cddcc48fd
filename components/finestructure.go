package components

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/gos"
)

// Defaults of a fine-structure window (doc/algorithms.md 3.12): it starts
// DefaultFinePre eV before the edge onset (the reference's pre_e), is
// DefaultFineWidth eV wide (ewidth) and has DefaultFinePoints free points
// (degree; the reference's component defaults to 20, its SrTiO3 example
// uses 30, and its ElementalQuantification takes the window width over
// sqrt(2) times the zero-loss FWHM, 29 points on that example).
const (
	DefaultFinePre    = 5.0
	DefaultFineWidth  = 50.0
	DefaultFinePoints = 30
)

// FineStructureOptions configure a FineStructure.
type FineStructureOptions struct {
	// Pre is how far before the edge onset the window starts, eV.
	Pre float64
	// Width is the width of the window, eV (> 0).
	Width float64
	// Points is the number of interior points (knots) of the piecewise
	// linear curve (>= 1; >= 2 with Bethe).
	Points int
	// Bethe constrains the curve to add no oscillator strength over the
	// window (Bethe sum rule): its integral weighted by E / Theta(E) is
	// zero, which leaves Points - 1 free parameters.
	Bethe bool
}

// FineStructure is the linear fine structure of an edge, the reference's
// GDOSLin (doc/algorithms.md 3.12): a piecewise-linear curve, zero at both
// ends of a window [onset - Pre, onset - Pre + Width] and free at Points
// equally spaced interior knots, added to the edge's model. Each free
// parameter scales one triangular basis function (a hat on one knot)
// normalised to unit sum over the channels, so every parameter is linear
// and has the units of counts of the fitted spectrum. Convolved with the
// low loss like its edge.
//
// With Options.Bethe the free parameters are the coordinates of the curve
// in an orthonormal basis of the knot values whose weighted integral
// sum_E curve(E) E/Theta(E) vanishes, Theta(E) = ln(1 + beta^2/thetaE^2)
// (for a convergent probe the same angular integral with Kohl's factor):
// the fine structure redistributes the edge's oscillator strength inside
// the window but adds none.
//
// The window follows the edge's onset at construction; a fitted edge
// shift does not move it.
type FineStructure struct {
	base
	edge        *CoreLossEdge
	opts        FineStructureOptions
	start, stop float64     // window, eV
	lo, hi      int         // channels [lo, hi) where the basis may be non-zero
	knots       []float64   // Points + 2 knot energies (the outer two are zero)
	basis       [][]float64 // per free parameter, on channels [lo, hi)
	weights     []float64   // Bethe weights of the knot basis functions (nil without Bethe)
}

// NewFineStructure returns the fine structure of edge with the given
// window and points. The window must lie on the axis (it is clipped to
// its last channel, as the reference does) and every knot's basis
// function must cover at least one channel.
func NewFineStructure(edge *CoreLossEdge, o FineStructureOptions) (*FineStructure, error) {
	if edge == nil {
		return nil, fmt.Errorf("components: fine structure without an edge")
	}
	if math.IsNaN(o.Pre) || math.IsInf(o.Pre, 0) || !(o.Width > 0) || math.IsInf(o.Width, 0) {
		return nil, fmt.Errorf("components: the %s fine structure: window %g eV before the onset, %g eV wide: want a finite start and a positive width", edge.Name(), o.Pre, o.Width)
	}
	minPoints := 1
	if o.Bethe {
		minPoints = 2
	}
	if o.Points < minPoints {
		return nil, fmt.Errorf("components: the %s fine structure: %d points, want at least %d", edge.Name(), o.Points, minPoints)
	}
	axis := edge.Axis()
	onset := edge.Edge().Onset
	f := &FineStructure{edge: edge, opts: o, start: onset - o.Pre, stop: onset - o.Pre + o.Width}
	// The window's channels, with the reference's energy-index rule.
	f.lo = axis.Index(f.start)
	f.hi = axis.Index(f.stop)
	if f.hi == axis.Size {
		f.hi--
	}
	if f.stop <= axis.Offset || f.start >= axis.Last() || f.hi <= f.lo {
		return nil, fmt.Errorf("components: the %s fine structure: its window %.6g..%.6g eV is not on the axis %.6g..%.6g eV", edge.Name(), f.start, f.stop, axis.Offset, axis.Last())
	}
	e0, e1 := axis.Energy(f.lo), axis.Energy(f.hi)
	if o.Points >= f.hi-f.lo {
		return nil, fmt.Errorf("components: the %s fine structure: %d points over %.4g eV are closer than the channels (%.4g eV): use fewer points or a wider window", edge.Name(), o.Points, e1-e0, axis.Dispersion)
	}
	step := (e1 - e0) / float64(o.Points+1)
	f.knots = make([]float64, o.Points+2)
	for k := range f.knots {
		f.knots[k] = e0 + float64(k)*step
	}
	f.knots[o.Points+1] = e1
	// Hat functions on the interior knots, normalised to unit channel sum
	// (the reference's integral normalisation of GDOSLin), on [lo, hi).
	m := f.hi - f.lo
	hats := make([][]float64, o.Points)
	for j := range hats {
		h := make([]float64, m)
		c := f.knots[j+1]
		s := 0.0
		for i := range h {
			v := 1 - math.Abs(axis.Energy(f.lo+i)-c)/step
			if v > 0 {
				h[i] = v
				s += v
			}
		}
		if !(s > 0) {
			return nil, fmt.Errorf("components: the %s fine structure: %d points over %.4g eV are closer than the channels (%.4g eV): use fewer points or a wider window", edge.Name(), o.Points, e1-e0, axis.Dispersion)
		}
		for i := range h {
			h[i] /= s
		}
		hats[j] = h
	}
	name := edge.Name() + " fine structure"
	if !o.Bethe {
		f.basis = hats
	} else {
		w, err := betheWeights(edge, f.lo, hats)
		if err != nil {
			return nil, err
		}
		f.weights = w
		q := nullSpace(w)
		n := len(hats)
		for k := 0; k < n-1; k++ {
			b := make([]float64, m)
			for j := 0; j < n; j++ {
				if c := q[j*(n-1)+k]; c != 0 {
					for i, v := range hats[j] {
						b[i] += c * v
					}
				}
			}
			f.basis = append(f.basis, b)
		}
	}
	params := make([]*Parameter, len(f.basis))
	for k := range params {
		params[k] = newParam(fmt.Sprintf("a%d", k), 0, true, true)
	}
	f.base = newBase(name, axis, true, params...)
	return f, nil
}

// betheWeights returns w_j = sum_E hat_j(E) E/Theta(E) over the window.
func betheWeights(edge *CoreLossEdge, lo int, hats [][]float64) ([]float64, error) {
	axis := edge.Axis()
	e0, beta, alpha := edge.params[EdgeE0].Get(), edge.params[EdgeBeta].Get(), edge.params[EdgeAlpha].Get()
	if !(e0 > 0) || !(beta > 0) {
		return nil, fmt.Errorf("components: the Bethe-constrained %s fine structure needs E0 and beta", edge.Name())
	}
	kin := gos.NewKinematics(e0)
	w := make([]float64, len(hats))
	for i := range hats[0] {
		e := axis.Energy(lo + i)
		if !(e > 0) {
			return nil, fmt.Errorf("components: the %s fine structure: its window reaches %g eV; the Bethe constraint needs positive energies", edge.Name(), e)
		}
		p := e / AngularFactor(e/(2*kin.Gamma*kin.T), alpha, beta)
		for j, h := range hats {
			w[j] += h[i] * p
		}
	}
	return w, nil
}

// AngularFactor is the angular integral of the dipole cross section
// collected by the aperture, int_0^(alpha+beta) F(theta) 2 theta
// dtheta/(theta^2 + thetaE^2) with Kohl's convergence factor F
// (gos.ConvergenceCorrection): ln(1 + beta^2/thetaE^2) for a parallel beam
// (alpha < 1e-6). The Bethe constraint of a FineStructure weighs the curve
// by E over it (doc/algorithms.md 3.12).
func AngularFactor(thetaE, alpha, beta float64) float64 {
	t2 := thetaE * thetaE
	if alpha < 1e-6 {
		return math.Log1p(beta * beta / t2)
	}
	// F is constant up to |alpha - beta| and smooth above: that part
	// analytically, the rest by composite Simpson.
	lo, hi := math.Abs(alpha-beta), alpha+beta
	v := gos.ConvergenceCorrection(0, alpha, beta) * math.Log1p(lo*lo/t2)
	const n = 512
	h := (hi - lo) / n
	g := func(t float64) float64 { return gos.ConvergenceCorrection(t, alpha, beta) * 2 * t / (t*t + t2) }
	// F(alpha + beta) = 0: the discs just touch (evaluated, round-off
	// would take an arccos of 1 + eps).
	s := g(lo)
	for i := 1; i < n; i++ {
		c := 2.0
		if i%2 == 1 {
			c = 4
		}
		s += c * g(lo+float64(i)*h)
	}
	return v + s*h/3
}

// nullSpace returns an n x (n-1) matrix (row major) whose orthonormal
// columns span the vectors orthogonal to w: columns 1..n-1 of the
// Householder reflection that maps w/|w| onto a multiple of e_0.
func nullSpace(w []float64) []float64 {
	n := len(w)
	norm := 0.0
	for _, x := range w {
		norm = math.Hypot(norm, x)
	}
	v := make([]float64, n)
	for i, x := range w {
		v[i] = x / norm
	}
	if v[0] >= 0 {
		v[0]++
	} else {
		v[0]--
	}
	vv := 0.0
	for _, x := range v {
		vv += x * x
	}
	q := make([]float64, n*(n-1))
	for i := 0; i < n; i++ {
		for k := 1; k < n; k++ {
			h := -2 * v[i] * v[k] / vv
			if i == k {
				h++
			}
			q[i*(n-1)+k-1] = h
		}
	}
	return q
}

// Edge returns the edge the fine structure belongs to.
func (f *FineStructure) Edge() *CoreLossEdge { return f.edge }

// Window returns the window in eV.
func (f *FineStructure) Window() (start, stop float64) { return f.start, f.stop }

// Channels returns the channels [lo, hi) the curve can be non-zero on.
func (f *FineStructure) Channels() (lo, hi int) { return f.lo, f.hi }

// Options returns the options it was made with.
func (f *FineStructure) Options() FineStructureOptions { return f.opts }

// Knots returns the knot energies (eV), the outer two being the window's
// ends where the curve is zero.
func (f *FineStructure) Knots() []float64 { return f.knots }

// BetheWeights returns the weights w_j = sum_E hat_j(E) E/Theta(E) of the
// knots' basis functions under the Bethe constraint, nil without it.
func (f *FineStructure) BetheWeights() []float64 { return f.weights }

// Eval implements Component.
func (f *FineStructure) Eval(dst []float64) {
	checkLen(dst, len(f.e))
	clear(dst)
	w := dst[f.lo:f.hi]
	for k, b := range f.basis {
		a := f.params[k].Get()
		if a == 0 {
			continue
		}
		for i, v := range b {
			w[i] += a * v
		}
	}
}

// Gradient implements Component: parameter k's basis function.
func (f *FineStructure) Gradient(dst []float64, k int) bool {
	checkLen(dst, len(f.e))
	if k < 0 || k >= len(f.basis) {
		return false
	}
	clear(dst)
	copy(dst[f.lo:f.hi], f.basis[k])
	return true
}
