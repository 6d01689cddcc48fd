package fitters

// gram writes the upper triangle of the weighted Gram matrix of the
// columns of a (column major, n rows, p columns) into g (p x ld, row
// major): g[k*ld+j] = sum_i w_i a_k(i) a_j(i) for j >= k. It works on
// blocks of four columns j so that a_k and w are loaded once per four
// products.
func gram(g []float64, ld int, a, w []float64, n, p int) {
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
			g[k*ld+j] = weightedDot3(ak, a[j*n:(j+1)*n], w)
		}
	}
}
