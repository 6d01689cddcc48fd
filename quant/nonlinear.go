package quant

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// NonLinearOptions configure a NonLinearEngine.
type NonLinearOptions struct {
	Objective fitters.Objective // LeastSquares (also for "") or PoissonML
	Weighted  bool              // weights 1/max(y, 1) for least squares
	Mask      multispectrum.Mask
	LowLoss   *multispectrum.EnergyAxis
	MaxIter   int
}

// NonLinearEngine fits models with non-linear free parameters (power-law
// exponent, edge shift, peak centre and width): a linear pre-fit of the
// linear parameters with the others at their start values, then
// Levenberg-Marquardt least squares or Poisson maximum likelihood of all
// free parameters with bounds, analytic derivatives and the pixel's low
// loss (doc/algorithms.md 6.6, 6.7). Each worker has its own model instance,
// made by build.
type NonLinearEngine struct {
	build  func() (*components.Model, error)
	opts   NonLinearOptions
	names  []string
	rows   []int
	prefit *LinearEngine
	linIdx []int // position of each pre-fit parameter among the free ones
	start  []float64
	lower  []float64
	upper  []float64
}

// NewNonLinearEngine prepares the fit; build must return a new instance
// of the same model at each call.
func NewNonLinearEngine(build func() (*components.Model, error), opts NonLinearOptions) (*NonLinearEngine, error) {
	switch opts.Objective {
	case "":
		opts.Objective = fitters.LeastSquares
	case fitters.LeastSquares, fitters.PoissonML:
	default:
		return nil, fmt.Errorf("quant: objective %q: use %s or %s", opts.Objective, fitters.LeastSquares, fitters.PoissonML)
	}
	if build == nil {
		return nil, fmt.Errorf("quant: no model builder")
	}
	m, err := build()
	if err != nil {
		return nil, err
	}
	free := m.FreeParameters()
	if len(free) == 0 {
		return nil, fmt.Errorf("quant: the model has no free parameters")
	}
	e := &NonLinearEngine{build: build, opts: opts, names: m.FreeNames()}
	for i := 0; i < m.Axis.Size; i++ {
		if opts.Mask == nil || !opts.Mask[i] {
			e.rows = append(e.rows, i)
		}
	}
	if len(e.rows) <= len(free) {
		return nil, fmt.Errorf("quant: %d channels in the fit window for %d parameters", len(e.rows), len(free))
	}
	col := make([]float64, m.Axis.Size)
	for _, p := range free {
		if err := m.Derivative(col, p); err != nil {
			return nil, fmt.Errorf("quant: cannot fit %w", err)
		}
		e.start = append(e.start, p.Value)
		e.lower = append(e.lower, p.Lower)
		e.upper = append(e.upper, p.Upper)
	}
	// Linear pre-fit: hold the non-linear parameters at their start.
	var held []*components.Parameter
	for k, p := range free {
		if !p.Linear {
			p.Changeable = false
			held = append(held, p)
		} else {
			e.linIdx = append(e.linIdx, k)
		}
	}
	if len(e.linIdx) > 0 {
		e.prefit, err = NewLinearEngine(m, LinearOptions{Method: fitters.WLS, Weights: true, Mask: opts.Mask, LowLoss: opts.LowLoss})
		if err != nil {
			return nil, err
		}
	}
	for _, p := range held {
		p.Changeable = true
	}
	return e, nil
}

// Params implements Fitter.
func (e *NonLinearEngine) Params() int { return len(e.names) }

// ParamNames implements Fitter.
func (e *NonLinearEngine) ParamNames() []string { return e.names }

// NewWorker implements Fitter.
func (e *NonLinearEngine) NewWorker() Worker {
	m, err := e.build()
	if err != nil {
		panic(fmt.Sprintf("quant: model rebuild failed: %v", err)) // it succeeded once with the same input
	}
	n, r, p := m.Axis.Size, len(e.rows), len(e.names)
	w := &nonLinearWorker{e: e, m: m, free: m.FreeParameters(), full: make([]float64, n), col: make([]float64, n),
		y: make([]float64, r), jac: make([]float64, r*p), mu: make([]float64, r), cov: make([]float64, p*p),
		nl: fitters.NewNonLinear(r, p, e.opts.Objective), fish: fitters.NewFisher(r, p), params: make([]float64, p)}
	w.nl.Weighted = e.opts.Weighted
	if e.opts.MaxIter > 0 {
		w.nl.MaxIter = e.opts.MaxIter
	}
	copy(w.nl.Lower, e.lower)
	copy(w.nl.Upper, e.upper)
	if e.opts.LowLoss != nil {
		w.ll, _ = components.NewLowLoss(m.Axis, *e.opts.LowLoss)
	}
	if e.prefit != nil {
		w.pre = e.prefit.NewWorkspace()
		w.preCoef = make([]float64, e.prefit.Params())
	}
	return w
}

type nonLinearWorker struct {
	e       *NonLinearEngine
	m       *components.Model
	free    []*components.Parameter
	ll      *components.LowLoss
	full    []float64
	col     []float64
	y, jac  []float64
	mu, cov []float64
	params  []float64
	nl      *fitters.NonLinear
	fish    *fitters.Fisher
	pre     *LinearWorkspace
	preCoef []float64
}

// Eval implements fitters.Model on the channels used.
func (w *nonLinearWorker) Eval(dst, params []float64) {
	for k, p := range w.free {
		p.Value = params[k]
	}
	w.m.Eval(w.full)
	for j, i := range w.e.rows {
		dst[j] = w.full[i]
	}
}

// Jacobian implements fitters.Model with the components' analytic
// derivatives (convolved where the component is).
func (w *nonLinearWorker) Jacobian(jac, params []float64) {
	r := len(w.e.rows)
	for k, p := range w.free {
		p.Value = params[k]
	}
	for k, p := range w.free {
		if err := w.m.Derivative(w.col, p); err != nil {
			panic(err) // free parameters without derivatives are refused at setup
		}
		dst := jac[k*r : (k+1)*r]
		for j, i := range w.e.rows {
			dst[j] = w.col[i]
		}
	}
}

func (w *nonLinearWorker) Pixel(core, low []float64, out PixelResult) {
	e := w.e
	p := len(e.names)
	if w.ll != nil {
		if err := w.ll.SetSpectrum(low); err != nil {
			out.fail(fitters.BadLowLoss)
			return
		}
		w.m.LowLoss = w.ll
	}
	copy(w.params, e.start)
	if e.prefit != nil {
		e.prefit.Pixel(w.pre, core, low, PixelResult{Coef: w.preCoef})
		for q, k := range e.linIdx {
			if v := w.preCoef[q]; !math.IsNaN(v) {
				w.params[k] = math.Max(e.lower[k], math.Min(e.upper[k], v))
			}
		}
	}
	for j, i := range e.rows {
		w.y[j] = core[i]
	}
	res := w.nl.Fit(w.params, w, w.y)
	if res.Status == fitters.NonFinite || res.Status == fitters.BadModel {
		out.fail(res.Status)
		return
	}
	copy(out.Coef, w.params)
	for k, prm := range w.free {
		prm.Value = w.params[k]
	}
	w.m.Eval(w.full)
	if out.Model != nil {
		copy(out.Model, w.full)
	}
	for j, i := range e.rows {
		w.mu[j] = w.full[i]
	}
	w.Jacobian(w.jac, w.params)
	if out.Parts != nil {
		// contributions of the linear parameters (their derivative is
		// their column); non-linear parameters contribute none.
		n := len(w.full)
		for k, prm := range w.free {
			dst := out.Parts[k*n : (k+1)*n]
			if !prm.Linear {
				clear(dst)
				continue
			}
			w.m.Derivative(dst, prm)
			for i := range dst {
				dst[i] *= w.params[k]
			}
		}
	}
	st := res.Status
	if fst := w.fish.Covariance(w.cov, w.jac, w.mu); st == fitters.OK && fst != fitters.OK {
		st = fst
	}
	out.setCovariance(w.cov, p)
	dof := float64(len(e.rows) - p)
	// weighted residual sum of squares, or the Poisson deviance: both
	// chi-square distributed for large counts
	setf(out.Chi2, res.Chi2/dof)
	setf(out.Condition, math.NaN())
	if out.Status != nil {
		*out.Status = st
	}
}
