package gos

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// sphericalBessels writes j_lambda(x), lambda = 0..len(out)-1, to out:
// the power series below x = 0.5, upward recurrence from j0 and j1 when
// x exceeds the highest order, Miller's downward recurrence otherwise
// (Abramowitz and Stegun 10.1.2, 10.1.19).
func sphericalBessels(x float64, out []float64) {
	n := len(out)
	if n == 0 {
		return
	}
	if x < 0.5 {
		t := 1.0 // x^l/(2l+1)!!
		x2 := -0.5 * x * x
		for l := 0; l < n; l++ {
			if l > 0 {
				t *= x / float64(2*l+1)
			}
			s, term := 1.0, 1.0
			for k := 1; k < 12; k++ {
				term *= x2 / (float64(k) * float64(2*l+2*k+1))
				s += term
				if math.Abs(term) < 1e-17 {
					break
				}
			}
			out[l] = t * s
		}
		return
	}
	sn, cs := math.Sincos(x)
	j0 := sn / x
	j1 := sn/(x*x) - cs/x
	if x >= float64(n) {
		out[0] = j0
		if n > 1 {
			out[1] = j1
		}
		for l := 1; l+1 < n; l++ {
			out[l+1] = float64(2*l+1)/x*out[l] - out[l-1]
		}
		return
	}
	top := n + 20 + int(math.Sqrt(40*float64(n)))
	var jp, jc float64 = 0, 1e-200 // j_(top+1), j_top
	for l := top; l > 0; l-- {
		jm := float64(2*l+1)/x*jc - jp
		if l-1 < n {
			out[l-1] = jm
		}
		jp, jc = jc, jm
		if math.Abs(jc) > 1e200 {
			jp *= 1e-200
			jc *= 1e-200
			for i := l - 1; i < n; i++ {
				out[i] *= 1e-200
			}
		}
	}
	// Normalise on j0, or on j1 near a zero of j0.
	var s float64
	if math.Abs(j0) > math.Abs(j1) || n < 2 {
		s = j0 / out[0]
	} else {
		s = j1 / out[1]
	}
	for i := range out {
		out[i] *= s
	}
}

// threeJ0Squared returns the square of the Wigner 3j symbol
// (a b c; 0 0 0): zero unless a+b+c is even and the triangle holds, else
// (J-2a)!(J-2b)!(J-2c)!/(J+1)! [g!/((g-a)!(g-b)!(g-c)!)]^2, J = 2g = a+b+c
// (Edmonds, Angular Momentum in Quantum Mechanics, 3.7.17).
func threeJ0Squared(a, b, c int) float64 {
	J := a + b + c
	if J%2 != 0 || c < abs(a-b) || c > a+b {
		return 0
	}
	g := J / 2
	lf := func(n int) float64 { v, _ := math.Lgamma(float64(n) + 1); return v }
	ln := lf(J-2*a) + lf(J-2*b) + lf(J-2*c) - lf(J+1) + 2*(lf(g)-lf(g-a)-lf(g-b)-lf(g-c))
	return math.Exp(ln)
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// gosProblem is one subshell's GOS computation in atomic units.
type gosProblem struct {
	field     *centralField
	bound     []float64 // P_nl(r) on field.grid, unit norm
	l         int
	electrons float64   // occupancy of the subshell
	binding   float64   // ionisation energy of the energy-loss prefactor, hartree
	free      []float64 // final-state (free) energies, hartree, > 0
	q         []float64 // momentum transfers, 1/bohr
	maxL      int       // highest final l' (0: 30)
}

// Limits of the partial-wave sums.
const (
	hsMaxLFinal  = 34   // highest final-state l'
	hsLConverged = 1e-5 // stop when one l' adds less than this share at every q
)

// compute returns df/dE (1/hartree), [E][q], of the subshell: for energy
// loss E = binding + e (hartree) and momentum transfer q (1/bohr),
//
//	df/dE = (2 E/q^2) N sum_l' sum_lambda (2 lambda+1)(2l'+1) (l' lambda l; 0 0 0)^2 |R_lambda|^2,
//	R_lambda = int_0^inf P_(e l')(r) j_lambda(q r) P_nl(r) dr,
//
// with the continuum P_(e l') normalised per hartree (Manson, Phys. Rev. A 6
// (1972) 1013; Leapman, Rez and Mayers, J. Chem. Phys. 72 (1980) 1232). The
// r integral is Simpson's rule on every second grid point where |P_nl|
// exceeds 1e-3 (inside) and 1e-7 (outside) of its maximum.
func (p *gosProblem) compute() ([]float64, error) {
	g := p.field.grid
	pb := p.bound
	var pmax float64
	ipk := 0
	for i, v := range pb {
		if math.Abs(v) > pmax {
			pmax, ipk = math.Abs(v), i
		}
	}
	if pmax == 0 {
		return nil, fmt.Errorf("gos: empty bound state")
	}
	i0 := 0
	for i := 0; i < ipk; i++ {
		if math.Abs(pb[i]) > 1e-3*pmax {
			i0 = i
			break
		}
	}
	i1 := ipk
	for i := len(pb) - 1; i > ipk; i-- {
		if math.Abs(pb[i]) > 1e-7*pmax {
			i1 = i
			break
		}
	}
	const stride = 2
	nb := (i1-i0)/stride + 1
	if nb%2 == 0 { // Simpson needs an odd number of points
		nb++
	}
	if i0+(nb-1)*stride >= len(g.r) {
		nb -= 2
	}
	iEnd := i0 + (nb-1)*stride
	maxL := p.maxL
	if maxL == 0 {
		maxL = hsMaxLFinal
	}
	nlam := maxL + p.l + 1
	nq := len(p.q)
	// Bessel table jt[(lambda*nq+iq)*nb+ib] = j_lambda(q r), float32.
	jt := make([]float32, nlam*nq*nb)
	jb := make([]float64, nlam)
	for iq, q := range p.q {
		for ib := 0; ib < nb; ib++ {
			sphericalBessels(q*g.r[i0+ib*stride], jb)
			for lam, v := range jb {
				jt[(lam*nq+iq)*nb+ib] = float32(v)
			}
		}
	}
	// Simpson weights times P_nl r (dr = r dx).
	wb := make([]float64, nb)
	hs := float64(stride) * g.h / 3
	for ib := range wb {
		w := 2.0
		switch {
		case ib == 0 || ib == nb-1:
			w = 1
		case ib%2 == 1:
			w = 4
		}
		i := i0 + ib*stride
		wb[ib] = w * hs * pb[i] * g.r[i]
	}
	out := make([]float64, len(p.free)*nq)
	// Energies are independent: spread them over the cores, each worker
	// with its own scratch.
	workers := runtime.GOMAXPROCS(0)
	if workers > len(p.free) {
		workers = len(p.free)
	}
	next := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			s := &gosScratch{u: make([]float64, iEnd+1), prod: make([]float64, nb), acc: make([]float64, nq), add: make([]float64, nq)}
			for ie := range next {
				if errs[wk] != nil {
					continue
				}
				errs[wk] = p.energy(ie, maxL, i0, stride, wb, jt, s, out[ie*nq:(ie+1)*nq])
			}
		}(wk)
	}
	for ie := range p.free {
		next <- ie
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// gosScratch is one worker's scratch in gosProblem.compute.
type gosScratch struct {
	u, prod, acc, add []float64
	work              continuumWork
}

// energy computes the row ie (free energy p.free[ie]) of the GOS into dst.
func (p *gosProblem) energy(ie, maxL, i0, stride int, wb []float64, jt []float32, s *gosScratch, dst []float64) error {
	nq, nb := len(p.q), len(wb)
	e := p.free[ie]
	u, prod, acc, add := s.u, s.prod, s.acc, s.add
	for i := range acc {
		acc[i] = 0
	}
	quiet := 0
	for lf := 0; lf <= maxL; lf++ {
		if err := p.field.continuum(e, lf, u, &s.work); err != nil {
			return fmt.Errorf("gos: %w", err)
		}
		for ib := range prod {
			prod[ib] = wb[ib] * u[i0+ib*stride]
		}
		for i := range add {
			add[i] = 0
		}
		for lam := abs(lf - p.l); lam <= lf+p.l; lam++ {
			c := threeJ0Squared(lf, lam, p.l)
			if c == 0 {
				continue
			}
			c *= float64((2*lam + 1) * (2*lf + 1))
			for iq := 0; iq < nq; iq++ {
				row := jt[(lam*nq+iq)*nb : (lam*nq+iq+1)*nb]
				var s float64
				for ib, v := range row {
					s += prod[ib] * float64(v)
				}
				add[iq] += c * s * s
			}
		}
		// Converged when every q whose df/dE is within 1e-4 of the
		// largest gained less than hsLConverged of its sum.
		var peak float64
		for iq, q := range p.q {
			acc[iq] += add[iq]
			peak = math.Max(peak, acc[iq]/(q*q))
		}
		small := true
		for iq, q := range p.q {
			if acc[iq]/(q*q) > 1e-4*peak && add[iq] > hsLConverged*acc[iq] {
				small = false
				break
			}
		}
		if small && lf > p.l+1 {
			quiet++
			if quiet >= 2 {
				break
			}
		} else {
			quiet = 0
		}
	}
	E := p.binding + e
	for iq, q := range p.q {
		dst[iq] = 2 * E / (q * q) * p.electrons * acc[iq]
	}
	return nil
}
