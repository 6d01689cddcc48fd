package fitters

import "math"

// nnlsWork holds the scratch of Lawson and Hanson's non-negative least
// squares (Solving Least Squares Problems, 1974, ch. 23) for a p x p
// system, the reduced problem min ||R x - z|| after QR.
type nnlsWork struct {
	passive []bool
	w, s, x []float64
	m       []float64 // column-major copy of the passive columns and z
	idx     []int
}

func newNNLS(p int) *nnlsWork {
	return &nnlsWork{passive: make([]bool, p), w: make([]float64, p), s: make([]float64, p), x: make([]float64, p),
		m: make([]float64, p*(p+1)), idx: make([]int, p)}
}

// solve minimises ||R x - z|| subject to x >= 0 (R upper triangular, row
// major p x p) into x; it reports whether it converged.
func (nw *nnlsWork) solve(x, r, z []float64, p int) bool {
	for i := range x {
		x[i] = 0
		nw.passive[i] = false
	}
	tol := 1e-12
	grad := func() {
		// w = R^T (z - R x)
		for i := 0; i < p; i++ {
			res := z[i]
			for j := i; j < p; j++ {
				res -= r[i*p+j] * x[j]
			}
			nw.s[i] = res
		}
		for j := 0; j < p; j++ {
			g := 0.0
			for i := 0; i <= j; i++ {
				g += r[i*p+j] * nw.s[i]
			}
			nw.w[j] = g
		}
	}
	grad()
	for outer := 0; outer < 3*p+10; outer++ {
		t, best := -1, tol
		for j := 0; j < p; j++ {
			if !nw.passive[j] && nw.w[j] > best {
				t, best = j, nw.w[j]
			}
		}
		if t < 0 {
			return true
		}
		nw.passive[t] = true
		for inner := 0; inner < 3*p+10; inner++ {
			if !nw.passiveLS(r, z, p) {
				return false
			}
			allPos := true
			for j := 0; j < p; j++ {
				if nw.passive[j] && nw.s[j] <= 0 {
					allPos = false
				}
			}
			if allPos {
				for j := 0; j < p; j++ {
					if nw.passive[j] {
						x[j] = nw.s[j]
					} else {
						x[j] = 0
					}
				}
				break
			}
			alpha := math.Inf(1)
			for j := 0; j < p; j++ {
				if nw.passive[j] && nw.s[j] <= 0 {
					alpha = math.Min(alpha, x[j]/(x[j]-nw.s[j]))
				}
			}
			for j := 0; j < p; j++ {
				if nw.passive[j] {
					x[j] += alpha * (nw.s[j] - x[j])
					if x[j] <= tol*math.Max(1, math.Abs(nw.s[j])) {
						x[j] = 0
						nw.passive[j] = false
					}
				}
			}
		}
		grad()
	}
	return false
}

// passiveLS solves the least-squares problem on the passive columns into
// nw.s (zero elsewhere) by Householder QR.
func (nw *nnlsWork) passiveLS(r, z []float64, p int) bool {
	k := 0
	for j := 0; j < p; j++ {
		nw.s[j] = 0
		if nw.passive[j] {
			nw.idx[k] = j
			for i := 0; i < p; i++ {
				nw.m[k*p+i] = r[i*p+j]
			}
			k++
		}
	}
	// Householder on the p x k matrix with z as an extra column.
	mat := nw.m[:(k+1)*p]
	copy(mat[k*p:], z[:p])
	householder(mat, p, k+1, k)
	for i := k - 1; i >= 0; i-- {
		d := mat[i*p+i]
		if d == 0 || math.IsNaN(d) {
			return false
		}
		s := mat[k*p+i]
		for j := i + 1; j < k; j++ {
			s -= mat[j*p+i] * nw.x[j]
		}
		nw.x[i] = s / d
	}
	for i := 0; i < k; i++ {
		nw.s[nw.idx[i]] = nw.x[i]
	}
	return true
}
