package simd

// The portable loops: the fitters' code before the assembly kernels,
// kept unchanged so that the Go path gives the same numbers as before.

// gramGo is Gram without the assembly: the Gram on blocks of one row k
// by four columns j (a_k and w loaded once per four products, one running
// sum per entry), the remaining columns and A^T W y by weightedDot.
func gramGo(g []float64, ld int, aty, a []float64, n, p int, y, w []float64) (yWy float64) {
	w = w[:n]
	for k := 0; k < p; k++ {
		ak := a[k*n : (k+1)*n]
		j := k
		for ; j+4 <= p; j += 4 {
			c0 := a[j*n : (j+1)*n]
			c1 := a[(j+1)*n : (j+2)*n]
			c2 := a[(j+2)*n : (j+3)*n]
			c3 := a[(j+3)*n : (j+4)*n]
			var s0, s1, s2, s3 float64
			for i, wi := range w {
				x := ak[i] * wi
				s0 += x * c0[i]
				s1 += x * c1[i]
				s2 += x * c2[i]
				s3 += x * c3[i]
			}
			g[k*ld+j], g[k*ld+j+1], g[k*ld+j+2], g[k*ld+j+3] = s0, s1, s2, s3
		}
		for ; j < p; j++ {
			g[k*ld+j] = weightedDot(ak, a[j*n:(j+1)*n], w)
		}
	}
	if y == nil {
		return 0
	}
	y = y[:n]
	for k := 0; k < p; k++ {
		aty[k] = weightedDot(a[k*n:(k+1)*n], y, w)
	}
	return weightedDot(y, y, w)
}

// weightedDot returns sum_i a_i b_i w_i with four running sums over the
// rows i mod 4, added as (s0 + s1) + (s2 + s3).
func weightedDot(a, b, w []float64) float64 {
	b, w = b[:len(a)], w[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i] * w[i]
		s1 += a[i+1] * b[i+1] * w[i+1]
		s2 += a[i+2] * b[i+2] * w[i+2]
		s3 += a[i+3] * b[i+3] * w[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i] * w[i]
	}
	return (s0 + s1) + (s2 + s3)
}
