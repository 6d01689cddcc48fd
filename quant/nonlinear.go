package quant

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/internal/simd"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// NonLinearOptions configure a NonLinearEngine.
type NonLinearOptions struct {
	Objective fitters.Objective // LeastSquares (also for "") or PoissonML
	Weighted  bool              // weights 1/max(y, 1) for least squares
	Mask      multispectrum.Mask
	LowLoss   *multispectrum.EnergyAxis
	MaxIter   int
	// KeepStart starts every pixel from the model's values (and the
	// linear pre-fit) without estimating start values from the data.
	KeepStart bool
}

// NonLinearEngine fits models with non-linear free parameters (power-law
// exponent, edge shift, peak centre and width): a linear pre-fit of the
// linear parameters with the others at their start values, then
// Levenberg-Marquardt least squares or Poisson maximum likelihood of all
// free parameters with bounds, analytic derivatives and the pixel's low
// loss (doc/algorithms.md 6.6, 6.7). Each worker has its own model instance,
// made by build.
//
// Start values: components that implement components.StartEstimator
// (power law, exponential, Gaussian, Lorentzian, Voigt) and have a free
// non-linear parameter still at its constructor value (a model file's
// type default; components.StartMask) get start values estimated from
// each pixel's data, and the linear pre-fit is then made per pixel with
// those values. Values given after construction (a model file's values =
// {...}) are kept, and so are all values with KeepStart
// (doc/algorithms.md 6.6, "Start values").
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
	est    []estimated // components whose start values are estimated
}

// estimated is a component (by index in the model) whose parameters
// marked in set are estimated from each pixel's data.
type estimated struct {
	comp int
	set  []bool
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
	if !opts.KeepStart {
		for ci, c := range m.Components {
			if se, ok := c.(components.StartEstimator); ok {
				set := make([]bool, len(c.Parameters()))
				if components.StartMask(se, set) {
					e.est = append(e.est, estimated{comp: ci, set: set})
				}
			}
		}
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
	if len(e.linIdx) > 0 && len(e.est) == 0 {
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
	if len(e.est) > 0 {
		for _, es := range e.est {
			w.est = append(w.est, m.Components[es.comp].(components.StartEstimator))
			w.contrib = append(w.contrib, make([]float64, n))
		}
		w.resid, w.wt = make([]float64, n), make([]float64, n)
		if q := len(e.linIdx); q > 0 {
			w.lin = fitters.NewLinear(r, q, fitters.WLS)
			w.linA = make([]float64, r*q)
			w.linY = make([]float64, r)
			w.preCoef = make([]float64, q)
		}
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

	// start estimates (nil when the engine estimates none)
	est        []components.StartEstimator
	contrib    [][]float64     // each estimated component's values (full axis)
	resid, wt  []float64       // data minus estimated components; inverse variances
	lin        *fitters.Linear // per-pixel linear pre-fit
	linA, linY []float64
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
	if w.est != nil {
		w.estimate(core)
	} else if e.prefit != nil {
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
	if out.PartsSum != nil && !math.IsNaN(w.full[0]) {
		n := len(w.full)
		for k, prm := range w.free {
			if !prm.Linear {
				continue
			}
			w.m.Derivative(w.col, prm)
			simd.Axpy(w.params[k], w.col, out.PartsSum[k*n:(k+1)*n])
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

// estimateRounds is the number of rounds of start estimates when more
// than one component is estimated.
const estimateRounds = 4

// estimate sets the start values of the pixel (doc/algorithms.md 6.6,
// "Start values"): the estimating components in model order, each from
// the data minus the components estimated before it; with more than one,
// further rounds (estimateRounds in all), each from the data minus all the
// others. Then the linear parameters are pre-fitted with the non-linear
// ones at those values. It allocates nothing.
func (w *nonLinearWorker) estimate(core []float64) {
	e := w.e
	for k, p := range w.free {
		p.Value = e.start[k]
	}
	mask := e.opts.Mask
	for i, v := range core {
		w.wt[i] = 1 / math.Max(v, 1) // Poisson variance of the data
	}
	copy(w.resid, core)
	for j, c := range w.est {
		c.EstimateStart(w.resid, w.wt, mask, e.est[j].set)
		c.Eval(w.contrib[j])
		subFrom(w.resid, w.contrib[j])
	}
	for round := 1; round < estimateRounds && len(w.est) > 1; round++ {
		// w.resid is the data minus every estimated component
		for j, c := range w.est {
			multispectrum.AddTo(w.resid, w.contrib[j])
			c.EstimateStart(w.resid, w.wt, mask, e.est[j].set)
			c.Eval(w.contrib[j])
			subFrom(w.resid, w.contrib[j])
		}
	}
	for k, p := range w.free {
		w.params[k] = p.Value
	}
	if w.lin == nil {
		return
	}
	// Linear pre-fit at the estimated non-linear values: the model is
	// linear in the linear parameters, m = f + sum_k a_k D_k with f the
	// model at a = 0 and D_k the (convolved) derivatives.
	r := len(e.rows)
	for _, k := range e.linIdx {
		w.free[k].Value = 0
	}
	w.m.Eval(w.full)
	for j, i := range e.rows {
		w.linY[j] = core[i] - w.full[i]
	}
	for _, k := range e.linIdx {
		w.free[k].Value = w.params[k]
	}
	for q, k := range e.linIdx {
		if err := w.m.Derivative(w.col, w.free[k]); err != nil {
			panic(err) // free parameters without derivatives are refused at setup
		}
		dst := w.linA[q*r : (q+1)*r]
		for j, i := range e.rows {
			dst[j] = w.col[i]
		}
	}
	if res := w.lin.Fit(w.preCoef, w.linA, w.linY, true); res.Status == fitters.NonFinite {
		return
	}
	for q, k := range e.linIdx {
		if v := w.preCoef[q]; !math.IsNaN(v) {
			w.params[k] = math.Max(e.lower[k], math.Min(e.upper[k], v))
		}
	}
}

func subFrom(dst, src []float64) {
	for i, v := range src {
		dst[i] -= v
	}
}
