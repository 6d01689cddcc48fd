package fitters

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/internal/simd"
)

// Model is what the non-linear fitters consume: a model of N values (the
// channels used) of P parameters.
type Model interface {
	// Eval writes the model at params into dst.
	Eval(dst, params []float64)
	// Jacobian writes the derivatives (column major, N x P) at params
	// into jac.
	Jacobian(jac, params []float64)
}

// Objective selects what NonLinear minimises. The zero Objective ("") is
// LeastSquares.
type Objective string

const (
	// LeastSquares minimises sum w_i (y_i - m_i)^2 with w = 1/max(y, 1)
	// when weighted, else 1 (the reference's LSQFitter, 6.6).
	LeastSquares Objective = "lsq"
	// PoissonML minimises the Poisson deviance 2 sum (m - y + y ln(y/m)),
	// the maximum-likelihood estimate (6.7, with analytic derivatives).
	PoissonML Objective = "poisson"
)

// DefaultObjective is the objective of the zero Objective.
const DefaultObjective = LeastSquares

// ParseObjective returns the objective named s (as in a model file or on
// a command line): "lsq" or "poisson"; "" is DefaultObjective. Any other
// name is an error.
func ParseObjective(s string) (Objective, error) {
	o := Objective(s)
	if o == "" {
		return DefaultObjective, nil
	}
	if err := o.Validate(); err != nil {
		return "", err
	}
	return o, nil
}

// Validate reports whether o names an objective ("" does: it is
// DefaultObjective).
func (o Objective) Validate() error {
	switch o {
	case "", LeastSquares, PoissonML:
		return nil
	}
	return fmt.Errorf("fitters: unknown objective %q (use %s or %s)", string(o), LeastSquares, PoissonML)
}

// NonLinear fits a Model by Levenberg-Marquardt: for least squares the
// Gauss-Newton matrix J'WJ, for Poisson likelihood Fisher scoring with
// the information matrix J' diag(1/m) J, both damped by lambda times
// their diagonal. Bounds are enforced by projecting each trial step onto
// the box. A NonLinear belongs to one worker.
type NonLinear struct {
	N, P      int
	Objective Objective
	Weighted  bool
	Lower     []float64 // per parameter; -Inf for none; nil: unbounded below
	Upper     []float64 // per parameter; +Inf for none; nil: unbounded above
	MaxIter   int       // iterations at most; 0 (or less): DefaultMaxIter
	Tol       float64   // relative change of the cost for convergence; 0 (or less, or NaN): DefaultTol

	m, mt, w, jac, r  []float64
	h, g, step, trial []float64
	hd, ha, sc        []float64
}

// Defaults of NonLinear.MaxIter and NonLinear.Tol.
const (
	DefaultMaxIter = 100
	DefaultTol     = 1e-10
)

// NewNonLinear returns a fitter for n channels and p parameters,
// unbounded, minimising obj ("" is DefaultObjective, least squares). An
// unknown objective is a programming error and panics: check one named in
// a file or on a command line with ParseObjective (or Objective.Validate)
// first.
func NewNonLinear(n, p int, obj Objective) *NonLinear {
	if obj == "" {
		obj = DefaultObjective
	}
	if err := obj.Validate(); err != nil {
		panic(err.Error() + "; check it with ParseObjective before NewNonLinear")
	}
	nl := &NonLinear{N: n, P: p, Objective: obj, MaxIter: DefaultMaxIter, Tol: DefaultTol,
		Lower: make([]float64, p), Upper: make([]float64, p),
		m: make([]float64, n), mt: make([]float64, n), w: make([]float64, n), jac: make([]float64, n*p), r: make([]float64, n),
		h: make([]float64, p*p), g: make([]float64, p), step: make([]float64, p), trial: make([]float64, p), hd: make([]float64, p*p), ha: make([]float64, p*p), sc: make([]float64, p)}
	for k := range nl.Lower {
		nl.Lower[k], nl.Upper[k] = math.Inf(-1), math.Inf(1)
	}
	return nl
}

// cost returns the objective of model values m against y.
func (nl *NonLinear) cost(m, y []float64) float64 {
	s := 0.0
	switch nl.objective() {
	case LeastSquares:
		for i, v := range y {
			d := v - m[i]
			s += nl.w[i] * d * d
		}
	case PoissonML:
		// the deviance 2 sum (m - y + y ln(y/m)): the negative
		// log-likelihood up to a constant, zero for a perfect fit, so
		// that the relative convergence test is meaningful
		for i, v := range y {
			mi := m[i]
			if !(mi > 0) {
				if v > 0 || mi < 0 {
					return math.Inf(1)
				}
				continue
			}
			d := mi - v
			if v > 0 {
				d += v * math.Log(v/mi)
			}
			s += 2 * d
		}
	}
	return s
}

// Fit improves params (start values in, solution out) for data y. The
// returned Chi2 is the final cost (weighted residual sum of squares, or
// the Poisson deviance).
func (nl *NonLinear) Fit(params []float64, model Model, y []float64) Result {
	n, p := nl.N, nl.P
	if len(params) != p || len(y) != n {
		panic("fitters: NonLinear.Fit dimension mismatch")
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Result{Status: NonFinite, Chi2: math.NaN(), Condition: math.NaN()}
		}
		nl.w[i] = 1
		if nl.Weighted {
			nl.w[i] = 1 / math.Max(v, 1)
		}
	}
	if (nl.Lower != nil && len(nl.Lower) != p) || (nl.Upper != nil && len(nl.Upper) != p) {
		panic("fitters: NonLinear bounds dimension mismatch")
	}
	obj, maxIter, tol := nl.objective(), nl.MaxIter, nl.Tol
	if maxIter <= 0 {
		maxIter = DefaultMaxIter
	}
	if !(tol > 0) {
		tol = DefaultTol
	}
	for k := range params {
		params[k] = nl.clamp(k, params[k])
	}
	model.Eval(nl.m, params)
	cur := nl.cost(nl.m, y)
	if math.IsInf(cur, 0) || math.IsNaN(cur) {
		return Result{Status: BadModel, Chi2: cur, Condition: math.NaN()}
	}
	lambda := 1e-3
	for it := 0; it < maxIter; it++ {
		model.Jacobian(nl.jac, params)
		// Normal matrix and gradient (of half the cost).
		for i := 0; i < n; i++ {
			// Least squares: J'W(y-m) and J'WJ. Poisson: the score
			// J'((y-m)/m) and the information J' diag(1/m) J.
			wi := nl.w[i]
			if obj == PoissonML {
				wi = 1 / math.Max(nl.m[i], 1e-300)
			}
			nl.r[i] = y[i] - nl.m[i]
			nl.mt[i] = wi
		}
		simd.Gram(nl.h, p, nl.g, nl.jac, n, p, nl.r, nl.mt)
		for k := 0; k < p; k++ {
			for j := k + 1; j < p; j++ {
				nl.h[j*p+k] = nl.h[k*p+j]
			}
		}
		improved := false
		for try := 0; try < 30; try++ {
			copy(nl.ha, nl.h)
			for k := 0; k < p; k++ {
				nl.ha[k*p+k] *= 1 + lambda
				if nl.ha[k*p+k] == 0 {
					nl.ha[k*p+k] = lambda
				}
			}
			if !invertSPD(nl.hd, nl.ha, nl.sc, p) {
				lambda *= 10
				continue
			}
			for k := 0; k < p; k++ {
				s := 0.0
				for j := 0; j < p; j++ {
					s += nl.hd[k*p+j] * nl.g[j]
				}
				nl.trial[k] = nl.clamp(k, params[k]+s)
			}
			model.Eval(nl.mt, nl.trial)
			c := nl.cost(nl.mt, y)
			if c <= cur {
				rel := (cur - c) / math.Max(math.Abs(cur), 1e-300)
				copy(params, nl.trial)
				nl.m, nl.mt = nl.mt, nl.m
				cur = c
				lambda = math.Max(lambda/10, 1e-12)
				improved = true
				if rel < tol {
					return Result{Status: OK, Chi2: cur, Condition: math.NaN()}
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			// No step lowers the cost: converged to working precision
			// unless the damping ran away.
			if lambda < 1e20 {
				return Result{Status: OK, Chi2: cur, Condition: math.NaN()}
			}
			return Result{Status: NoConvergence, Chi2: cur, Condition: math.NaN()}
		}
	}
	return Result{Status: NoConvergence, Chi2: cur, Condition: math.NaN()}
}

// objective returns the objective in effect ("" is DefaultObjective); an
// unknown one set on the field is a programming error.
func (nl *NonLinear) objective() Objective {
	switch nl.Objective {
	case "":
		return DefaultObjective
	case LeastSquares, PoissonML:
		return nl.Objective
	}
	panic(nl.Objective.Validate().Error() + "; check it with ParseObjective before setting NonLinear.Objective")
}

// clamp projects parameter k's value v onto its bounds (none when the
// bound slices are nil).
func (nl *NonLinear) clamp(k int, v float64) float64 {
	if nl.Lower != nil {
		v = math.Max(nl.Lower[k], v)
	}
	if nl.Upper != nil {
		v = math.Min(nl.Upper[k], v)
	}
	return v
}
