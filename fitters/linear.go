package fitters

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/internal/simd"
)

// Method selects a linear solver. The zero Method ("") is WLS.
type Method string

const (
	OLS  Method = "ols"  // ordinary least squares
	WLS  Method = "wls"  // Poisson-weighted least squares, w = 1/max(y, 1) (6.2)
	NNLS Method = "nnls" // non-negative least squares (Lawson-Hanson) on the weighted system
)

// DefaultMethod is the method of the zero Method.
const DefaultMethod = WLS

// ParseMethod returns the method named s (as in a model file or on a
// command line): "ols", "wls" or "nnls"; "" is DefaultMethod. Any other
// name is an error.
func ParseMethod(s string) (Method, error) {
	m := Method(s)
	if m == "" {
		return DefaultMethod, nil
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	return m, nil
}

// Validate reports whether m names a linear method ("" does: it is
// DefaultMethod).
func (m Method) Validate() error {
	switch m {
	case "", OLS, WLS, NNLS:
		return nil
	}
	return fmt.Errorf("fitters: unknown linear method %q (use %s, %s or %s)", string(m), OLS, WLS, NNLS)
}

// Status is the outcome of a pixel's fit.
type Status int8

const (
	OK            Status = iota
	NonFinite            // NaN or Inf in the data or the design
	Singular             // rank-deficient design: minimum-norm solution
	NoConvergence        // an iterative solver stopped without converging
	BadModel             // non-positive model values: the CRLB is undefined
	BadLowLoss           // the pixel's low loss cannot be normalised
)

// StatusCodes documents the status values, as stored with the maps.
const StatusCodes = "0 ok, 1 non-finite data, 2 singular (rank-deficient) design, 3 no convergence, 4 non-positive model (CRLB undefined), 5 unusable low loss"

// String names the status; values outside StatusCodes (e.g. read from a
// damaged file) are "status N".
func (s Status) String() string {
	names := [...]string{"ok", "non-finite data", "singular", "no convergence", "non-positive model", "unusable low loss"}
	if s < 0 || int(s) >= len(names) {
		return fmt.Sprintf("status %d", int(s))
	}
	return names[s]
}

// Linear solves min || W^(1/2) (A c - y) || for one pixel at a time.
// A has N rows (channels used) and P columns (parameters), stored column
// major: column k is A[k*N : (k+1)*N]. A Linear belongs to one worker.
type Linear struct {
	N, P   int
	Method Method

	b     []float64 // weighted, scaled design plus data column, column major (P+1 columns)
	sw    []float64 // sqrt of the weights
	scale []float64 // column scales
	r     []float64 // P x P: R, then U S (row major)
	rr    []float64 // P x P copy of R
	v     []float64 // P x P right singular vectors (row major)
	sv    []float64 // singular values
	z     []float64 // Q^T (W^1/2 y), first P entries
	tmp   []float64
	nn    *nnlsWork
	g     []float64 // P x P weighted Gram matrix A^T W A (upper triangle)
	aty   []float64 // A^T W y
	res   []float64 // weighted residual
	d     []float64 // refinement step
}

// csneLimit is the largest condition number of the scaled, weighted
// design for which Fit uses the corrected semi-normal equations; above
// it, Householder QR. The Gram matrix squares the condition number (1e12
// here), and one refinement step with the residual in full precision
// brings the error back to that of QR.
const csneLimit = 1e6

// NewLinear returns a solver for n channels and p parameters by method m
// ("" is DefaultMethod, WLS). An empty problem or an unknown method is a
// programming error and panics: check a method named in a file or on a
// command line with ParseMethod (or Method.Validate) first.
func NewLinear(n, p int, m Method) *Linear {
	if n < 1 || p < 1 {
		panic("fitters: empty linear problem")
	}
	if m == "" {
		m = DefaultMethod
	}
	if err := m.Validate(); err != nil {
		panic(err.Error() + "; check it with ParseMethod before NewLinear")
	}
	l := &Linear{N: n, P: p, Method: m, b: make([]float64, (p+1)*n), sw: make([]float64, n), scale: make([]float64, p),
		g: make([]float64, p*p), aty: make([]float64, p), res: make([]float64, n), d: make([]float64, p),
		r: make([]float64, p*p), rr: make([]float64, p*p), v: make([]float64, p*p), sv: make([]float64, p), z: make([]float64, p), tmp: make([]float64, p)}
	if m == NNLS {
		l.nn = newNNLS(p)
	}
	return l
}

// Result of one linear fit.
type Result struct {
	Status Status
	Chi2   float64 // weighted residual sum of squares
	// Condition is the condition number of the weighted, column-scaled
	// design: exact (2-norm, from its singular values) when the QR path
	// solved, else (corrected semi-normal equations) the square root of
	// the scaled Gram's 1-norm condition number as estimated from its
	// Cholesky factor, which lies between the exact value and sqrt(P)
	// times it up to the estimator's rare underestimates (doc/algorithms.md 6.2).
	Condition float64
}

// Fit solves for coef (len P) from the design a (column major, N x P) and
// data y (len N). weighted selects w = 1/max(y, 1) (always for WLS, for
// NNLS when true; OLS ignores it).
func (l *Linear) Fit(coef, a, y []float64, weighted bool) Result {
	n, p := l.N, l.P
	if len(a) != n*p || len(y) != n || len(coef) != p {
		panic("fitters: Fit dimension mismatch")
	}
	m := l.Method
	if m == "" {
		m = DefaultMethod
	}
	switch m {
	case WLS:
		weighted = true
	case OLS:
		weighted = false
	case NNLS:
		if l.nn == nil {
			l.nn = newNNLS(p)
		}
	default:
		panic(m.Validate().Error() + "; check it with ParseMethod before setting Linear.Method")
	}
	// Square roots of the weights (the QR path's row scaling) and the
	// weights as their squares (the normal equations'), in one pass.
	sw, w := l.sw[:n], l.res[:n]
	if weighted {
		if !simd.PoissonWeights(sw, w, y) {
			clearNaN(coef)
			return Result{Status: NonFinite, Chi2: math.NaN(), Condition: math.NaN()}
		}
	} else {
		for i, v := range y {
			if v-v != 0 {
				clearNaN(coef)
				return Result{Status: NonFinite, Chi2: math.NaN(), Condition: math.NaN()}
			}
			sw[i], w[i] = 1, 1
		}
	}
	if m != NNLS {
		if res, ok := l.fitCSNE(coef, a, y); ok {
			return res
		}
	}
	// Weighted, column-scaled design and the weighted data as column P.
	for k := 0; k < p; k++ {
		col := a[k*n : (k+1)*n]
		dst := l.b[k*n : (k+1)*n]
		ss := 0.0
		for i, v := range col {
			x := v * l.sw[i]
			dst[i] = x
			ss += x * x
		}
		if math.IsNaN(ss) || math.IsInf(ss, 0) {
			clearNaN(coef)
			return Result{Status: NonFinite, Chi2: math.NaN(), Condition: math.NaN()}
		}
		s := 1.0
		if ss > 0 {
			s = 1 / math.Sqrt(ss)
		}
		l.scale[k] = s
		for i := range dst {
			dst[i] *= s
		}
	}
	yc := l.b[p*n : (p+1)*n]
	for i, v := range y {
		yc[i] = v * l.sw[i]
	}
	householder(l.b, n, p+1, p)
	for k := 0; k < p; k++ {
		l.z[k] = l.b[p*n+k]
		for j := 0; j < p; j++ {
			if j >= k {
				l.r[k*p+j] = l.b[j*n+k]
			} else {
				l.r[k*p+j] = 0
			}
		}
	}
	copy(l.rr, l.r)
	rss := 0.0
	for i := p; i < n; i++ {
		rss += yc[i] * yc[i]
	}
	// SVD of R: R = U S V^T; the columns of l.r become U S.
	jacobiSVD(l.r, l.v, l.sv, p)
	smax, smin := 0.0, math.Inf(1)
	for _, s := range l.sv {
		smax, smin = math.Max(smax, s), math.Min(smin, s)
	}
	res := Result{Status: OK, Condition: smax / smin}
	cut := 2.220446049250313e-16 * smax * float64(max(n, p))
	if smin <= cut || n < p {
		res.Status = Singular
		if smin == 0 {
			res.Condition = math.Inf(1)
		}
	}
	if m == NNLS {
		if !l.nn.solve(coef, l.rr, l.z, p) {
			res.Status = NoConvergence
		}
		rss += l.residualR(coef)
	} else {
		// c = V S^+ U^T z (minimum norm), in scaled units; with l.r = U S,
		// (U^T z)_j / s_j = sum_i (US)_ij z_i / s_j^2.
		for j := 0; j < p; j++ {
			t := 0.0
			if l.sv[j] > cut {
				for i := 0; i < p; i++ {
					t += l.r[i*p+j] * l.z[i]
				}
				t /= l.sv[j] * l.sv[j]
			}
			l.tmp[j] = t
		}
		for k := 0; k < p; k++ {
			c := 0.0
			for j := 0; j < p; j++ {
				c += l.v[k*p+j] * l.tmp[j]
			}
			coef[k] = c
		}
		if res.Status == Singular {
			// the dropped directions leave part of z unexplained
			rss += l.residualR(coef)
		}
	}
	for k := range coef {
		coef[k] *= l.scale[k]
	}
	res.Chi2 = rss
	return res
}

// fitCSNE solves by the corrected semi-normal equations: the weighted
// Gram matrix of [A y] in one pass over the rows, scaled to unit
// diagonal; its Cholesky factor gives the solution and an estimate of
// the condition number (the square root of the Gram's 1-norm condition
// number, estimated as LAPACK's dpocon does: Hager 1984, Higham 1988;
// see conditionEstimate); one refinement step solves again for the
// full-precision residual. It declines (ok false) when the Gram is not
// numerically positive definite or the estimate reaches csneLimit.
func (l *Linear) fitCSNE(coef, a, y []float64) (Result, bool) {
	n, p := l.N, l.P
	g := l.g
	// Weighted Gram of [A y] in one sweep: A^T W A, A^T W y, y^T W y
	// (Fit left the weights in l.res).
	w := l.res
	yy := simd.Gram(g, p, l.aty, a, n, p, y, w)
	for k := 0; k < p; k++ {
		d := g[k*p+k]
		if !(d > 0) || math.IsInf(d, 0) {
			if math.IsNaN(d) || math.IsInf(d, 0) {
				clearNaN(coef)
				return Result{Status: NonFinite, Chi2: math.NaN(), Condition: math.NaN()}, true
			}
			return Result{}, false // an all-zero column: let QR report it
		}
		l.scale[k] = 1 / math.Sqrt(d)
	}
	// Scaled Gram (symmetric, p x p) into l.r, right-hand side into l.z.
	for k := 0; k < p; k++ {
		for j := k; j < p; j++ {
			v := g[k*p+j] * l.scale[k] * l.scale[j]
			l.r[k*p+j], l.r[j*p+k] = v, v
		}
		l.z[k] = l.aty[k] * l.scale[k]
	}
	// Cholesky factor of the scaled Gram (l.rr, lower triangle) for
	// the solves, and the condition number estimated from it.
	if !cholesky(l.rr, l.r, p) {
		return Result{}, false // not numerically positive definite: QR
	}
	cond := math.Sqrt(norm1Sym(l.r, p) * l.inverseNorm1())
	if !(cond < csneLimit) || n <= p {
		return Result{}, false
	}
	solve := func(dst, rhs []float64) { cholSolve(dst, rhs, l.rr, p) }
	solve(coef, l.z)
	for k := range coef {
		coef[k] *= l.scale[k]
	}
	// Refinement: the residual in full precision and a correction from
	// the same factorisation, needed when the Gram's condition number
	// (cond^2) times eps exceeds about 1e-10; otherwise the weighted
	// residual sum of squares follows from the Gram matrix directly.
	rss := 0.0
	if cond > 1e3 {
		res := l.b[:n]
		for pass := 0; pass < 2; pass++ {
			copy(res, y)
			for k := 0; k < p; k++ {
				axpy(-coef[k], a[k*n:(k+1)*n], res)
			}
			if pass == 1 {
				rss = simd.Dot(res, res, w)
				break
			}
			simd.MulTrans(l.tmp, a, n, p, res, w)
			for k := 0; k < p; k++ {
				l.tmp[k] *= l.scale[k]
			}
			copy(l.d, l.tmp[:p])
			solve(l.d, l.d)
			for k := range coef {
				coef[k] += l.d[k] * l.scale[k]
			}
		}
	} else {
		// rss = y'Wy - 2 c'A'Wy + c'A'WAc (A'WAc = A'Wy at the solution
		// up to rounding; use the full form for a residual that is not).
		cb, cgc := 0.0, 0.0
		for k := 0; k < p; k++ {
			cb += coef[k] * l.aty[k]
			for j := 0; j < p; j++ {
				gkj := g[min(k, j)*p+max(k, j)]
				cgc += coef[k] * gkj * coef[j]
			}
		}
		rss = math.Max(yy-2*cb+cgc, 0)
	}
	return Result{Status: OK, Chi2: rss, Condition: cond}, true
}

// residualR returns ||R c - z||^2 for scaled coefficients c.
func (l *Linear) residualR(c []float64) float64 {
	p := l.P
	ss := 0.0
	for i := 0; i < p; i++ {
		s := -l.z[i]
		for j := i; j < p; j++ {
			s += l.rr[i*p+j] * c[j]
		}
		ss += s * s
	}
	return ss
}

func clearNaN(v []float64) {
	for i := range v {
		v[i] = math.NaN()
	}
}

// householder triangularises the first p columns of the column-major
// n x m matrix b in place (m-p further columns get the same reflections),
// leaving R in the upper triangle of the first p columns.
func householder(b []float64, n, m, p int) {
	for k := 0; k < p && k < n; k++ {
		x := b[k*n+k : (k+1)*n]
		norm := 0.0
		for _, v := range x {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			continue
		}
		alpha := -norm
		if x[0] < 0 {
			alpha = norm
		}
		// v = x - alpha e1, stored in x; beta = v.v = 2 norm (norm + |x0|)
		x[0] -= alpha
		beta := norm * (norm + math.Abs(x[0]+alpha))
		if beta == 0 {
			x[0] += alpha
			continue
		}
		for j := k + 1; j < m; j++ {
			c := b[j*n+k : (j+1)*n]
			d := dot(x, c)
			f := d / beta
			axpy(-f, x, c)
		}
		x[0] = alpha
		for i := 1; i < len(x); i++ {
			x[i] = 0
		}
	}
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpy(alpha float64, x, y []float64) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}

// jacobiSVD computes the SVD of the p x p row-major matrix a by one-sided
// Jacobi rotations of its columns: on return a holds U S (column j is
// u_j s_j), v the right singular vectors (row major, column j is v_j) and
// s the singular values.
func jacobiSVD(a, v, s []float64, p int) {
	for i := range v {
		v[i] = 0
	}
	for i := 0; i < p; i++ {
		v[i*p+i] = 1
	}
	for sweep := 0; sweep < 60; sweep++ {
		rotated := false
		for i := 0; i < p-1; i++ {
			for j := i + 1; j < p; j++ {
				var al, be, ga float64
				for k := 0; k < p; k++ {
					x, y := a[k*p+i], a[k*p+j]
					al += x * x
					be += y * y
					ga += x * y
				}
				if ga == 0 || math.Abs(ga) <= 1e-15*math.Sqrt(al*be) {
					continue
				}
				rotated = true
				zeta := (be - al) / (2 * ga)
				t := math.Copysign(1, zeta) / (math.Abs(zeta) + math.Sqrt(1+zeta*zeta))
				c := 1 / math.Sqrt(1+t*t)
				sn := c * t
				for k := 0; k < p; k++ {
					x, y := a[k*p+i], a[k*p+j]
					a[k*p+i], a[k*p+j] = c*x-sn*y, sn*x+c*y
					x, y = v[k*p+i], v[k*p+j]
					v[k*p+i], v[k*p+j] = c*x-sn*y, sn*x+c*y
				}
			}
		}
		if !rotated {
			break
		}
	}
	for j := 0; j < p; j++ {
		ss := 0.0
		for k := 0; k < p; k++ {
			ss += a[k*p+j] * a[k*p+j]
		}
		s[j] = math.Sqrt(ss)
	}
}

// cholSolve solves L L^T x = b for x by forward and back substitution
// (forward, backward of qp.go) with the lower triangle of l (row major,
// from cholesky). dst and b may be the same slice.
func cholSolve(dst, b, l []float64, p int) {
	forward(dst, l, b, p)
	backward(dst, l, dst, p)
}

// norm1Sym returns the 1-norm (largest absolute column sum) of the p x p
// row-major matrix a.
func norm1Sym(a []float64, p int) float64 {
	m := 0.0
	for j := 0; j < p; j++ {
		s := 0.0
		for i := 0; i < p; i++ {
			s += math.Abs(a[i*p+j])
		}
		m = math.Max(m, s)
	}
	return m
}

// inverseNorm1 estimates ||G^-1||_1 for the scaled Gram G whose Cholesky
// factor is in the lower triangle of l.rr, without forming the inverse:
// Hager's method (W. W. Hager, SIAM J. Sci. Stat. Comput. 5, 311, 1984)
// as refined by Higham (ACM TOMS 14, 381, 1988) and used by LAPACK's
// dlacon/dpocon, which maximises ||G^-1 x||_1 over the unit 1-norm ball
// by a few steps of a gradient method (G^-T = G^-1: one solve a step),
// then takes the larger of that and Higham's extra estimate from the
// alternating vector x_i = (-1)^i (1 + i/(p-1)). The estimate is a lower
// bound of ||G^-1||_1 and in practice within a factor of about 3 of it
// (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., 15.3);
// O(p^2) work a step against O(p^3) per Jacobi sweep of the exact value.
func (l *Linear) inverseNorm1() float64 {
	p := l.P
	x, y := l.d, l.tmp // scratch of length p
	if p == 1 {
		return 1 / (l.rr[0] * l.rr[0])
	}
	for i := range x {
		x[i] = 1 / float64(p)
	}
	est := 0.0
	last := -1
	for iter := 0; iter < 5; iter++ {
		cholSolve(y, x, l.rr, p)
		s := 0.0
		for _, v := range y {
			s += math.Abs(v)
		}
		if iter > 0 && s <= est {
			break
		}
		est = s
		// x = sign(y), then z = G^-1 x; the next x is e_j at the
		// largest |z_j| unless that cannot increase the estimate.
		for i, v := range y {
			x[i] = math.Copysign(1, v)
		}
		cholSolve(y, x, l.rr, p)
		j, zj, ztx := 0, 0.0, 0.0
		for i, v := range y {
			if a := math.Abs(v); a > zj {
				j, zj = i, a
			}
			ztx += v * x[i]
		}
		if iter > 0 && (zj <= ztx || j == last) {
			break
		}
		last = j
		clear(x)
		x[j] = 1
	}
	// Higham's safeguard against the rare matrices that fool the above.
	for i := range x {
		x[i] = 1 + float64(i)/float64(p-1)
		if i%2 == 1 {
			x[i] = -x[i]
		}
	}
	cholSolve(y, x, l.rr, p)
	s := 0.0
	for _, v := range y {
		s += math.Abs(v)
	}
	return math.Max(est, 2*s/(3*float64(p)))
}
