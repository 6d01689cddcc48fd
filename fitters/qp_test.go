package fitters

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomQP makes a least-squares QP: P = A^T A + small ridge, b = A^T y,
// and m random constraint rows.
func randomQP(rng *rand.Rand, p, m int) (P, b, G []float64) {
	n := 3 * p
	A := make([]float64, n*p)
	y := make([]float64, n)
	for i := range A {
		A[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64() * 3
	}
	P, b = make([]float64, p*p), make([]float64, p)
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			s := 0.0
			for r := 0; r < n; r++ {
				s += A[r*p+i] * A[r*p+j]
			}
			P[i*p+j] = s
		}
		for r := 0; r < n; r++ {
			b[i] += A[r*p+i] * y[r]
		}
	}
	G = make([]float64, m*p)
	for i := range G {
		G[i] = rng.NormFloat64()
	}
	return P, b, G
}

// eqp solves the equality-constrained problem of the working set W:
// [P G_W^T; G_W 0] [c; mu] = [b; 0]; the multipliers are -mu.
func eqp(P, b, G []float64, p int, W []int) (c, lambda []float64, ok bool) {
	n := p + len(W)
	K, rhs, x := make([]float64, n*n), make([]float64, n), make([]float64, n)
	for i := 0; i < p; i++ {
		copy(K[i*n:i*n+p], P[i*p:(i+1)*p])
		rhs[i] = b[i]
	}
	for j, w := range W {
		for i := 0; i < p; i++ {
			K[i*n+p+j], K[(p+j)*n+i] = G[w*p+i], G[w*p+i]
		}
	}
	if !solveDense(K, rhs, x, n) {
		return nil, nil, false
	}
	lambda = make([]float64, len(W))
	for j := range W {
		lambda[j] = -x[p+j]
	}
	return x[:p], lambda, true
}

// bruteForce finds the optimum by trying every working set: the solution
// of the equality-constrained problem that is feasible and has
// non-negative multipliers (the KKT conditions, sufficient and necessary
// for a strictly convex QP, whose optimum is unique).
func bruteForce(t *testing.T, P, b, G []float64, p, m int) []float64 {
	for mask := 0; mask < 1<<m; mask++ {
		var W []int
		for i := 0; i < m; i++ {
			if mask&(1<<i) != 0 {
				W = append(W, i)
			}
		}
		if len(W) > p {
			continue
		}
		d, lambda, ok := eqp(P, b, G, p, W)
		if !ok {
			continue
		}
		for i := 0; i < m && ok; i++ {
			s := 0.0
			for k := 0; k < p; k++ {
				s += G[i*p+k] * d[k]
			}
			ok = s >= -1e-9
		}
		for _, l := range lambda {
			ok = ok && l >= -1e-9
		}
		if ok {
			return d
		}
	}
	t.Fatal("no KKT point found")
	return nil
}

// TestQPMatchesBruteForce compares the active-set solution with the
// exhaustive KKT search on random problems, some with the unconstrained
// optimum feasible and most with several active constraints.
func TestQPMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	active := 0
	for trial := 0; trial < 300; trial++ {
		p, m := 2+rng.IntN(5), 1+rng.IntN(9)
		P, b, G := randomQP(rng, p, m)
		q := NewQP(p, m)
		c := make([]float64, p)
		_, ok := q.Solve(c, P, b, G)
		if !ok {
			t.Fatalf("trial %d (p %d, m %d): no convergence", trial, p, m)
		}
		want := bruteForce(t, P, b, G, p, m)
		for k := range c {
			if math.Abs(c[k]-want[k]) > 1e-8*(1+math.Abs(want[k])) {
				t.Fatalf("trial %d (p %d, m %d): c = %v, brute force %v", trial, p, m, c, want)
			}
		}
		for i := 0; i < m; i++ {
			if q.Active(i) {
				active++
			}
		}
	}
	if active < 100 {
		t.Errorf("only %d active constraints in 300 trials: the test does not exercise the active set", active)
	}
}

// TestQPCovariance: without active constraints the restricted covariance
// is F^-1; with c_0 >= 0 active it is zero in row and column 0 and the
// inverse of F without them elsewhere (the constrained CRLB).
func TestQPCovariance(t *testing.T) {
	F := []float64{4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2}
	// b pushes c_0 negative so that c_0 >= 0 becomes active.
	b := []float64{-5, 1, 1}
	G := []float64{1, 0, 0}
	q := NewQP(3, 1)
	c := make([]float64, 3)
	if _, ok := q.Solve(c, F, b, G); !ok || !q.Active(0) || math.Abs(c[0]) > 1e-12 {
		t.Fatalf("c = %v, active %v", c, q.Active(0))
	}
	cov := make([]float64, 9)
	if !q.Covariance(cov, F, G) {
		t.Fatal("singular")
	}
	// Inverse of [[3, 0.2], [0.2, 2]]: 1/5.96 [[2, -0.2], [-0.2, 3]].
	want := []float64{0, 0, 0, 0, 2 / 5.96, -0.2 / 5.96, 0, -0.2 / 5.96, 3 / 5.96}
	for i := range want {
		if math.Abs(cov[i]-want[i]) > 1e-12 {
			t.Fatalf("cov = %v, want %v", cov, want)
		}
	}
	// The solution of the remaining unknowns is the reduced problem's.
	det := 5.96
	w1, w2 := (2*b[1]-0.2*b[2])/det, (-0.2*b[1]+3*b[2])/det
	if math.Abs(c[1]-w1) > 1e-12 || math.Abs(c[2]-w2) > 1e-12 {
		t.Errorf("c = %v, want [0 %g %g]", c, w1, w2)
	}
	// Inactive: b with a positive optimum.
	if _, ok := q.Solve(c, F, []float64{5, 1, 1}, G); !ok || q.Active(0) {
		t.Fatal("constraint should be inactive")
	}
	q.Covariance(cov, F, G)
	// F^-1 * F = I.
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			s := 0.0
			for k := 0; k < 3; k++ {
				s += cov[i*3+k] * F[k*3+j]
			}
			if e := s - b2f(i == j); math.Abs(e) > 1e-12 {
				t.Fatalf("(F^-1 F)[%d,%d] = %g", i, j, s)
			}
		}
	}
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// BenchmarkQP: a 10-parameter fit (6 background terms, 4 edges) with 36
// constraints (background convexity at 32 energies, 4 amplitudes >= 0),
// when the unconstrained optimum is feasible and when it is not.
func BenchmarkQP(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	p, m := 10, 36
	P, bb, G := randomQP(rng, p, m)
	q := NewQP(p, m)
	c := make([]float64, p)
	b.Run("infeasible-start", func(b *testing.B) {
		iters := 0
		for b.Loop() {
			it, _ := q.Solve(c, P, bb, G)
			iters += it
		}
		b.ReportMetric(float64(iters)/float64(b.N), "iterations/op")
	})
	// Flip the constraints so that the unconstrained optimum satisfies them.
	cu, _, _ := eqp(P, bb, G, p, nil)
	for i := 0; i < m; i++ {
		s := 0.0
		for k := 0; k < p; k++ {
			s += G[i*p+k] * cu[k]
		}
		if s < 0 {
			for k := 0; k < p; k++ {
				G[i*p+k] = -G[i*p+k]
			}
		}
	}
	b.Run("feasible", func(b *testing.B) {
		for b.Loop() {
			q.Solve(c, P, bb, G)
		}
	})
}
