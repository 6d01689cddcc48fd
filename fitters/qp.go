package fitters

import "math"

// QP solves small convex quadratic programs with homogeneous linear
// inequality constraints,
//
//	minimise 1/2 c^T P c - b^T c   subject to   G c >= 0,
//
// P symmetric positive definite (p x p), G an m x p matrix: a least-squares
// fit whose Gram matrix is P = A^T W A and b = A^T W y, with constraints
// such as non-negative edge amplitudes or a convex background (its
// second derivative non-negative at a set of energies; doc/algorithms.md
// 6.3). When the unconstrained optimum P^-1 b is feasible it is returned
// after one Cholesky solve. Otherwise the dual problem is solved: with
// P = L L^T the multipliers lambda >= 0 minimise ||E lambda - f|| with
// E = L^-1 G^T and f = -L^-1 b, a non-negative least-squares problem
// solved exactly by Lawson and Hanson's active-set algorithm (Solving
// Least Squares Problems, 1974, ch. 23), which terminates and does not
// cycle; then c = L^-T (E lambda - f) (Goldfarb and Idnani, Math.
// Program. 27, 1983, use the same duality). The constraints with
// positive multipliers are the active ones. A QP holds its scratch memory
// and belongs to one worker; Solve does not allocate.
type QP struct {
	p, m   int
	active []bool    // constraint i holds with equality
	order  []int     // the active constraints (LH passive set)
	lambda []float64 // multipliers
	l      []float64 // Cholesky factor of P, row major lower
	e      []float64 // E = L^-1 G^T, column major: column i is e[i*p:(i+1)*p]
	f, r   []float64 // f, residual (p)
	z      []float64 // LH subproblem solution (m)
	w      []float64 // LH gradient (m)
	kkt    []float64 // (p+m)^2 scratch for dense solves
	rhs    []float64 // p+m
	sol    []float64 // p+m
}

// NewQP returns a solver for p unknowns and m constraints.
func NewQP(p, m int) *QP {
	n := p + m
	return &QP{p: p, m: m, active: make([]bool, m), order: make([]int, 0, m), lambda: make([]float64, m),
		l: make([]float64, p*p), e: make([]float64, m*p), f: make([]float64, p), r: make([]float64, p),
		z: make([]float64, m), w: make([]float64, m), kkt: make([]float64, n*n), rhs: make([]float64, n), sol: make([]float64, n)}
}

// Active reports whether constraint i holds with equality at the last
// solution (its multiplier is positive).
func (q *QP) Active(i int) bool { return q.active[i] }

// Multiplier returns the Lagrange multiplier of constraint i at the last
// solution (0 for inactive constraints).
func (q *QP) Multiplier(i int) float64 { return q.lambda[i] }

// Solve writes the solution into c (len p) and returns the number of
// active-set iterations and whether it converged. P is row major p x p,
// b has length p and G is row major m x p.
func (q *QP) Solve(c, P, b, G []float64) (iters int, ok bool) {
	p, m := q.p, q.m
	for i := range q.active {
		q.active[i] = false
		q.lambda[i] = 0
	}
	q.order = q.order[:0]
	if !cholesky(q.l, P, p) {
		return 0, false
	}
	// f = -L^-1 b; the unconstrained optimum c = L^-T L^-1 b = -L^-T f.
	forward(q.f, q.l, b, p)
	for k := range q.f {
		q.f[k] = -q.f[k]
	}
	q.primal(c, nil)
	feasible := true
	for i := 0; i < m && feasible; i++ {
		s, scale := 0.0, 0.0
		for k := 0; k < p; k++ {
			t := G[i*p+k] * c[k]
			s += t
			scale = math.Max(scale, math.Abs(t))
		}
		feasible = s >= -1e-12*scale
	}
	if feasible {
		return 1, true
	}
	// E = L^-1 G^T, column by column.
	for i := 0; i < m; i++ {
		forward(q.e[i*p:(i+1)*p], q.l, G[i*p:(i+1)*p], p)
	}
	iters, ok = q.nnls()
	for _, i := range q.order {
		q.active[i] = q.lambda[i] > 0
	}
	q.primal(c, q.lambda)
	return iters, ok
}

// primal sets c = L^-T (E lambda - f) (lambda nil: 0).
func (q *QP) primal(c, lambda []float64) {
	p := q.p
	for k := 0; k < p; k++ {
		q.r[k] = -q.f[k]
	}
	if lambda != nil {
		for _, i := range q.order {
			axpyVec(lambda[i], q.e[i*p:(i+1)*p], q.r)
		}
	}
	backward(c, q.l, q.r, p)
}

func axpyVec(a float64, x, y []float64) {
	for k, v := range x {
		y[k] += a * v
	}
}

// nnls solves min ||E lambda - f|| subject to lambda >= 0 (Lawson and
// Hanson's algorithm NNLS); the passive set is q.order.
func (q *QP) nnls() (int, bool) {
	p, m := q.p, q.m
	lam := q.lambda
	grad := func() float64 {
		// r = f - E lambda; w = E^T r.
		copy(q.r, q.f)
		for _, i := range q.order {
			axpyVec(-lam[i], q.e[i*p:(i+1)*p], q.r)
		}
		wmax := 0.0
		for i := 0; i < m; i++ {
			s := 0.0
			col := q.e[i*p : (i+1)*p]
			for k := 0; k < p; k++ {
				s += col[k] * q.r[k]
			}
			q.w[i] = s
			wmax = math.Max(wmax, math.Abs(s))
		}
		return wmax
	}
	inPassive := func(i int) bool {
		for _, j := range q.order {
			if j == i {
				return true
			}
		}
		return false
	}
	fn := 0.0
	for _, v := range q.f {
		fn = math.Max(fn, math.Abs(v))
	}
	iters := 0
	for outer := 0; outer < 3*m+10; outer++ {
		grad()
		tol := 1e-12 * math.Max(fn, 1e-300)
		t, best := -1, 0.0
		for i := 0; i < m; i++ {
			if !inPassive(i) && q.w[i] > tol && q.w[i] > best {
				t, best = i, q.w[i]
			}
		}
		if t < 0 || len(q.order) >= p+m {
			return iters, true
		}
		q.order = append(q.order, t)
		for inner := 0; inner < 3*m+10; inner++ {
			iters++
			if !q.passiveLS() {
				// The new column is dependent on the passive ones: drop it.
				q.order = q.order[:len(q.order)-1]
				return iters, true
			}
			allPos := true
			for _, i := range q.order {
				if q.z[i] <= 0 {
					allPos = false
				}
			}
			if allPos {
				for _, i := range q.order {
					lam[i] = q.z[i]
				}
				break
			}
			alpha := math.Inf(1)
			for _, i := range q.order {
				if q.z[i] <= 0 {
					alpha = math.Min(alpha, lam[i]/(lam[i]-q.z[i]))
				}
			}
			keep := q.order[:0]
			for _, i := range q.order {
				lam[i] += alpha * (q.z[i] - lam[i])
				if lam[i] > 1e-15*math.Abs(q.z[i]) && lam[i] > 0 {
					keep = append(keep, i)
				} else {
					lam[i] = 0
				}
			}
			q.order = keep
		}
	}
	return iters, false
}

// passiveLS solves the unconstrained least squares on the passive
// columns by their normal equations into q.z.
func (q *QP) passiveLS() bool {
	p, k := q.p, len(q.order)
	M := q.kkt[:k*k]
	for a, i := range q.order {
		ci := q.e[i*p : (i+1)*p]
		for b2, j := range q.order {
			cj := q.e[j*p : (j+1)*p]
			s := 0.0
			for t := 0; t < p; t++ {
				s += ci[t] * cj[t]
			}
			M[a*k+b2] = s
		}
		s := 0.0
		for t := 0; t < p; t++ {
			s += ci[t] * q.f[t]
		}
		q.rhs[a] = s
	}
	if !solveDense(M, q.rhs[:k], q.sol[:k], k) {
		return false
	}
	for a, i := range q.order {
		q.z[i] = q.sol[a]
	}
	return true
}

// cholesky factors the symmetric positive definite P (row major) as
// L L^T into l (row major lower).
func cholesky(l, P []float64, p int) bool {
	for j := 0; j < p; j++ {
		lj := l[j*p : j*p+j]
		s := P[j*p+j] - plainDot(lj, lj)
		if !(s > 0) {
			return false
		}
		d := math.Sqrt(s)
		l[j*p+j] = d
		for i := j + 1; i < p; i++ {
			l[i*p+j] = (P[i*p+j] - plainDot(l[i*p:i*p+j], lj)) / d
		}
		for i := 0; i < j; i++ {
			l[i*p+j] = 0
		}
	}
	return true
}

// forward solves L x = v.
func forward(x, l, v []float64, p int) {
	for i := 0; i < p; i++ {
		s := v[i]
		for k := 0; k < i; k++ {
			s -= l[i*p+k] * x[k]
		}
		x[i] = s / l[i*p+i]
	}
}

// backward solves L^T x = v.
func backward(x, l, v []float64, p int) {
	for i := p - 1; i >= 0; i-- {
		s := v[i]
		for k := i + 1; k < p; k++ {
			s -= l[k*p+i] * x[k]
		}
		x[i] = s / l[i*p+i]
	}
}

// Covariance writes into cov (p x p, row major) the covariance of the
// estimate restricted to the active constraints of the last solution:
// the top-left block of [F G_A^T; G_A 0]^-1, which is Z (Z^T F Z)^-1 Z^T
// for a basis Z of the null space of G_A (the constrained Cramer-Rao
// bound, Gorman and Hero, IEEE Trans. Inf. Theory 36, 1990). F is the
// Fisher information (p x p, row major). It reports false when the
// restricted information is singular.
func (q *QP) Covariance(cov, F, G []float64) bool {
	p := q.p
	k := len(q.order)
	n := p + k
	for col := 0; col < p; col++ {
		K := q.kkt[:n*n]
		clear(K)
		for i := 0; i < p; i++ {
			copy(K[i*n:i*n+p], F[i*p:(i+1)*p])
		}
		for j := 0; j < k; j++ {
			row := G[q.order[j]*p : (q.order[j]+1)*p]
			for i := 0; i < p; i++ {
				K[i*n+p+j] = row[i]
				K[(p+j)*n+i] = row[i]
			}
		}
		rhs := q.rhs[:n]
		clear(rhs)
		rhs[col] = 1
		if !solveDense(K, rhs, q.sol[:n], n) {
			return false
		}
		for i := 0; i < p; i++ {
			cov[i*p+col] = q.sol[i]
		}
	}
	return true
}

// solveDense solves a x = rhs (n x n, row major, overwritten) by Gaussian
// elimination with partial pivoting; rhs is overwritten too.
func solveDense(a, rhs, x []float64, n int) bool {
	amax := 0.0
	for _, v := range a[:n*n] {
		amax = math.Max(amax, math.Abs(v))
	}
	tiny := 1e-14 * amax
	for k := 0; k < n; k++ {
		piv, pv := k, math.Abs(a[k*n+k])
		for i := k + 1; i < n; i++ {
			if v := math.Abs(a[i*n+k]); v > pv {
				piv, pv = i, v
			}
		}
		if pv <= tiny || pv == 0 {
			return false
		}
		if piv != k {
			for j := 0; j < n; j++ {
				a[k*n+j], a[piv*n+j] = a[piv*n+j], a[k*n+j]
			}
			rhs[k], rhs[piv] = rhs[piv], rhs[k]
		}
		inv := 1 / a[k*n+k]
		for i := k + 1; i < n; i++ {
			f := a[i*n+k] * inv
			if f == 0 {
				continue
			}
			for j := k; j < n; j++ {
				a[i*n+j] -= f * a[k*n+j]
			}
			rhs[i] -= f * rhs[k]
		}
	}
	for i := n - 1; i >= 0; i-- {
		s := rhs[i]
		for j := i + 1; j < n; j++ {
			s -= a[i*n+j] * x[j]
		}
		x[i] = s / a[i*n+i]
	}
	return true
}
