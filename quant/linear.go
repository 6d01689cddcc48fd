package quant

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/internal/simd"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// LinearOptions configure a LinearEngine.
type LinearOptions struct {
	Method  fitters.Method // OLS, WLS or NNLS; "" is WLS
	Weights bool           // Poisson weights for NNLS (WLS always, OLS never)
	// Mask excludes channels (true = excluded); nil keeps all.
	Mask multispectrum.Mask
	// LowLoss is the axis of the per-pixel low loss; nil fits without
	// plural-scattering convolution.
	LowLoss *multispectrum.EnergyAxis
	// ConvexBackground constrains the linear background to be convex over
	// the fit window (doc/algorithms.md 6.3): a pixel whose unconstrained
	// fit violates it is refitted by a small quadratic program, and its
	// CRLB is restricted to the active constraints.
	ConvexBackground bool
}

// LinearEngine fits a linear model to every pixel (doc/algorithms.md 6.2):
// each free (linear) parameter has a column, the model with that
// parameter at 1 and the others at 0; columns of convolved components are
// convolved with the pixel's normalised low loss (their transforms are
// computed once, so a pixel costs one forward transform of its low loss
// and one inverse per convolved column); the others are shared by all
// pixels. The fit's CRLB and covariance use the convolved columns as the
// derivatives and the fitted model as the Poisson variance (6.4).
type LinearEngine struct {
	Axis   multispectrum.EnergyAxis
	Names  []string // free parameter names, in column order
	opts   LinearOptions
	rows   []int       // channels used
	cols   [][]float64 // unconvolved columns on the full axis
	conv   []bool      // column is convolved
	colT   [][]complex128
	fixedC []float64 // convolved part of the fixed (non-free) contributions, nil if zero
	fixedU []float64 // unconvolved part, nil if zero
	fixedT []complex128
	llAxis multispectrum.EnergyAxis
	convG  []float64 // convexity constraints, convM x p, row major
	convM  int
}

// NewLinearEngine prepares the per-pixel fit of model. Every free
// parameter must be linear.
func NewLinearEngine(model *components.Model, opts LinearOptions) (*LinearEngine, error) {
	switch opts.Method {
	case "":
		opts.Method = fitters.WLS
	case fitters.OLS, fitters.WLS, fitters.NNLS:
	default:
		return nil, fmt.Errorf("quant: linear method %q: use ols, wls or nnls", opts.Method)
	}
	if model == nil {
		return nil, fmt.Errorf("quant: no model")
	}
	free := model.FreeParameters()
	if len(free) == 0 {
		return nil, fmt.Errorf("quant: the model has no free parameters")
	}
	for _, p := range free {
		if !p.Linear {
			c, _ := model.ComponentOf(p)
			return nil, fmt.Errorf("quant: parameter %s.%s is not linear: use a non-linear method (lsq or poisson)", c.Name(), p.Name)
		}
	}
	n := model.Axis.Size
	e := &LinearEngine{Axis: model.Axis, Names: model.FreeNames(), opts: opts}
	for i := 0; i < n; i++ {
		if opts.Mask == nil || !opts.Mask[i] {
			e.rows = append(e.rows, i)
		}
	}
	if len(e.rows) <= len(free) {
		return nil, fmt.Errorf("quant: %d channels in the fit window for %d parameters", len(e.rows), len(free))
	}
	// Columns: unconvolved derivative of the model (without low loss).
	plain := components.NewModel(model.Axis, model.Components...)
	for _, p := range free {
		col := make([]float64, n)
		if err := plain.Derivative(col, p); err != nil {
			return nil, err
		}
		c, _ := model.ComponentOf(p)
		e.cols = append(e.cols, col)
		e.conv = append(e.conv, c.Convolved() && opts.LowLoss != nil)
	}
	// Contributions of non-free parameters (e.g. a fixed amplitude).
	saved := make([]float64, len(free))
	for k, p := range free {
		saved[k] = p.Value
		p.Value = 0
	}
	fc, fu := make([]float64, n), make([]float64, n)
	buf := make([]float64, n)
	for _, c := range model.Components {
		c.Eval(buf)
		dst := fu
		if c.Convolved() && opts.LowLoss != nil {
			dst = fc
		}
		multispectrum.AddTo(dst, buf)
	}
	for k, p := range free {
		p.Value = saved[k]
	}
	if nonzero(fc) {
		e.fixedC = fc
	}
	if nonzero(fu) {
		e.fixedU = fu
	}
	if opts.ConvexBackground {
		if err := e.setupConvex(model); err != nil {
			return nil, err
		}
	}
	if opts.LowLoss != nil {
		e.llAxis = *opts.LowLoss
		ll, err := components.NewLowLoss(model.Axis, e.llAxis)
		if err != nil {
			return nil, err
		}
		half := ll.FFTLen()/2 + 1
		for k, col := range e.cols {
			if e.conv[k] {
				e.colT = append(e.colT, ll.Transform(make([]complex128, half), col))
			} else {
				e.colT = append(e.colT, nil)
			}
		}
		if e.fixedC != nil {
			e.fixedT = ll.Transform(make([]complex128, half), e.fixedC)
		}
	}
	return e, nil
}

func nonzero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// Params returns the number of free parameters.
func (e *LinearEngine) Params() int { return len(e.cols) }

// Rows returns the number of channels used.
func (e *LinearEngine) Rows() int { return len(e.rows) }

// LinearWorkspace is the per-worker scratch of a LinearEngine.
type LinearWorkspace struct {
	lin   *fitters.Linear
	fish  *fitters.Fisher
	ll    *components.LowLoss
	full  [][]float64 // per column, full axis (convolved or shared)
	fixed []float64
	a     []float64 // design rows x p, column major
	y     []float64
	mu    []float64
	cov   []float64
	whole bool // the design buffer holds the full columns (no mask)
	// convex is the scratch of the constrained fit, nil without it.
	convex *convexWorkspace
	qpc    []float64
}

// NewWorkspace returns scratch for one worker.
func (e *LinearEngine) NewWorkspace() *LinearWorkspace {
	n, r, p := e.Axis.Size, len(e.rows), len(e.cols)
	ws := &LinearWorkspace{lin: fitters.NewLinear(r, p, e.opts.Method), fish: fitters.NewFisher(r, p),
		fixed: make([]float64, n), a: make([]float64, r*p), y: make([]float64, r), mu: make([]float64, r), cov: make([]float64, p*p)}
	whole := r == n // no channel masked: columns live in the design itself
	for k := range e.cols {
		switch {
		case whole:
			col := ws.a[k*n : (k+1)*n]
			if !e.conv[k] {
				copy(col, e.cols[k]) // shared columns are copied once
			}
			ws.full = append(ws.full, col)
		case e.conv[k]:
			ws.full = append(ws.full, make([]float64, n))
		default:
			ws.full = append(ws.full, e.cols[k])
		}
	}
	ws.whole = whole
	if e.convM > 0 {
		ws.convex, ws.qpc = e.newConvexWorkspace(), make([]float64, p)
	}
	if e.opts.LowLoss != nil {
		ws.ll, _ = components.NewLowLoss(e.Axis, e.llAxis)
	}
	return ws
}

// PixelResult receives the results of one pixel; slices of the lengths
// given, nil to skip that output.
type PixelResult struct {
	Coef       []float64 // p
	Variance   []float64 // p: CRLB (variance) of each parameter
	Covariance []float64 // p(p+1)/2: upper triangle of the covariance, row by row
	Model      []float64 // n: fitted model on the full axis
	Parts      []float64 // p x n: each parameter's contribution coef_k * column_k (full axis)
	// PartsSum (p x n) accumulates the parts: coef_k * column_k is added
	// to it, one rounded product and one rounded sum per entry (the same
	// numbers as adding Parts to it), when the fitted model is not NaN.
	// It saves the Parts buffer and its second pass over memory for
	// callers that only want the parts summed over pixels.
	PartsSum  []float64
	Chi2      *float64 // reduced chi-square (weighted RSS / (rows - p))
	Condition *float64
	Status    *fitters.Status
}

// Pixel fits one spectrum (core, full axis) with its low loss (nil when
// the engine has none).
func (e *LinearEngine) Pixel(ws *LinearWorkspace, core, low []float64, out PixelResult) {
	r, p := len(e.rows), len(e.cols)
	if !e.columns(ws, low) {
		out.fail(fitters.BadLowLoss)
		return
	}
	// Fixed contributions, when the model has any: without them the data
	// are fitted as they are (core - 0 is core to the bit) and the model
	// starts from zeros.
	hasFixed := e.fixedC != nil || e.fixedU != nil
	if hasFixed {
		clear(ws.fixed)
	}
	if e.fixedC != nil {
		if ws.ll != nil {
			ws.ll.ConvolveTransformed(ws.fixed, e.fixedT)
		} else {
			copy(ws.fixed, e.fixedC)
		}
	}
	if e.fixedU != nil {
		multispectrum.AddTo(ws.fixed, e.fixedU)
	}
	if !ws.whole {
		for k := 0; k < p; k++ {
			col, dst := ws.full[k], ws.a[k*r:(k+1)*r]
			for j, i := range e.rows {
				dst[j] = col[i]
			}
		}
	}
	switch {
	case hasFixed:
		for j, i := range e.rows {
			ws.y[j] = core[i] - ws.fixed[i]
		}
	case ws.whole:
		copy(ws.y, core)
	default:
		for j, i := range e.rows {
			ws.y[j] = core[i]
		}
	}
	coef := out.Coef
	res := ws.lin.Fit(coef, ws.a, ws.y, e.opts.Weights)
	if res.Status == fitters.NonFinite {
		out.fail(res.Status)
		return
	}
	st := res.Status
	if ws.convex != nil && !e.constrain(ws, coef) && st == fitters.OK {
		st = fitters.NoConvergence
	}
	// Model on the full axis and its values on the fitted channels.
	model := out.Model
	switch {
	case model == nil:
		model = ws.fixed // reuse: fixed is added in place below
		if !hasFixed {
			clear(model)
		}
	case hasFixed:
		copy(model, ws.fixed)
	default:
		clear(model)
	}
	for k := 0; k < p; k++ {
		simd.Axpy(coef[k], ws.full[k], model)
	}
	if out.Parts != nil {
		e.parts(ws, coef, out.Parts)
	}
	if out.PartsSum != nil && !math.IsNaN(model[0]) {
		n := e.Axis.Size
		for k := 0; k < p; k++ {
			simd.Axpy(coef[k], ws.full[k], out.PartsSum[k*n:(k+1)*n])
		}
	}
	// With no channel masked the model is the variance itself; the
	// constrained covariance (convex.go) reads ws.mu.
	mu := model
	if !ws.whole || ws.convex != nil {
		mu = ws.mu
		for j, i := range e.rows {
			mu[j] = model[i]
		}
	}
	fst := ws.fish.Covariance(ws.cov, ws.a, mu)
	if st == fitters.OK && fst != fitters.OK {
		st = fst
	}
	chi2 := res.Chi2
	if ws.convex != nil && ws.convex.active {
		if !e.constrainedCovariance(ws) && st == fitters.OK {
			st = fitters.BadModel
		}
		chi2 = e.weightedRSS(ws, core, model)
	}
	out.setCovariance(ws.cov, p)
	setf(out.Chi2, chi2/float64(r-p))
	setf(out.Condition, res.Condition)
	if out.Status != nil {
		*out.Status = st
	}
}

// setCovariance writes the variances (diagonal) and the upper triangle
// of the p x p covariance cov into out.
func (out PixelResult) setCovariance(cov []float64, p int) {
	for k := range out.Variance {
		out.Variance[k] = cov[k*p+k]
	}
	if out.Covariance != nil {
		q := 0
		for k := 0; k < p; k++ {
			for l := k; l < p; l++ {
				out.Covariance[q] = cov[k*p+l]
				q++
			}
		}
	}
}

// fail marks a pixel whose fit failed: NaN results and the status.
func (out PixelResult) fail(st fitters.Status) {
	for _, s := range [][]float64{out.Coef, out.Variance, out.Covariance, out.Model, out.Parts} {
		for i := range s {
			s[i] = math.NaN()
		}
	}
	setf(out.Chi2, math.NaN())
	setf(out.Condition, math.NaN())
	if out.Status != nil {
		*out.Status = st
	}
}

func setf(p *float64, v float64) {
	if p != nil {
		*p = v
	}
}

// columns makes the pixel's columns in ws.full: the convolved ones are
// convolved with its low loss. It returns false when the low loss cannot
// be normalised.
func (e *LinearEngine) columns(ws *LinearWorkspace, low []float64) bool {
	if ws.ll == nil {
		return true
	}
	if err := ws.ll.SetSpectrum(low); err != nil {
		return false
	}
	for k := range e.cols {
		if e.conv[k] {
			ws.ll.ConvolveTransformed(ws.full[k], e.colT[k])
		}
	}
	return true
}

// parts writes coef_k * column_k of the columns in ws.full into parts.
func (e *LinearEngine) parts(ws *LinearWorkspace, coef, parts []float64) {
	n := e.Axis.Size
	for k := range e.cols {
		dst := parts[k*n : (k+1)*n]
		for i, v := range ws.full[k] {
			dst[i] = coef[k] * v
		}
	}
}

// Parts writes each parameter's contribution coef_k * column_k (columns
// convolved with the pixel's low loss where the component is) into parts
// (p x n, full axis), for given coefficients (e.g. stored fit results).
// It returns false when the low loss cannot be normalised.
func (e *LinearEngine) Parts(ws *LinearWorkspace, low, coef, parts []float64) bool {
	if !e.columns(ws, low) {
		return false
	}
	e.parts(ws, coef, parts)
	return true
}
