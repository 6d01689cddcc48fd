package gos

import (
	"fmt"
	"math"
	"math/cmplx"
)

// centralField is a spherical potential on a logarithmic grid: r V(r)
// (hartree bohr) tabulated up to rTail, -zion beyond (pure Coulomb).
type centralField struct {
	grid  *radialGrid
	rV    []float64
	z     float64 // nuclear charge (behaviour at r -> 0)
	zion  float64 // asymptotic charge: r V = -zion for r >= rTail
	rTail float64 // bohr
}

// rVAt returns r V at x = ln r by four-point Lagrange interpolation of the
// table (exact -zion beyond the tail radius).
func (c *centralField) rVAt(x float64) float64 {
	g := c.grid
	if math.Exp(x) >= c.rTail {
		return -c.zion
	}
	t := (x - g.x0) / g.h
	i := int(math.Floor(t))
	if i < 1 {
		i = 1
	}
	n := len(c.rV)
	if i > n-3 {
		i = n - 3
	}
	s := t - float64(i)
	// points i-1, i, i+1, i+2 at s = -1, 0, 1, 2
	v0, v1, v2, v3 := c.rV[i-1], c.rV[i], c.rV[i+1], c.rV[i+2]
	return -s*(s-1)*(s-2)/6*v0 + (s+1)*(s-1)*(s-2)/2*v1 - (s+1)*s*(s-2)/2*v2 + (s+1)*s*(s-1)/6*v3
}

// continuumWork holds the scratch arrays of continuum solutions: phi on
// the fine grid and, per refinement m, r V on the fine grid (extended as
// needed).
type continuumWork struct {
	phi []float64
	rvf map[int][]float64
}

// fineRV returns r V at the first n points of the grid m times finer.
func (c *centralField) fineRV(w *continuumWork, m, n int) []float64 {
	if w.rvf == nil {
		w.rvf = map[int][]float64{}
	}
	a := w.rvf[m]
	if len(a) >= n {
		return a
	}
	hf := c.grid.h / float64(m)
	for i := len(a); i < n; i++ {
		a = append(a, c.rVAt(c.grid.x0+float64(i)*hf))
	}
	w.rvf[m] = a
	return a
}

// hsStepPhase is the largest phase k r dx of one fine Numerov step.
const hsStepPhase = 0.12

// continuum writes to u[i], i = 0..len(u)-1 on the grid points of c.grid,
// the regular continuum radial function P_(e,l)(r) at energy e > 0
// (hartree) normalised per unit energy (hartree): asymptotically
// sqrt(2/(pi k)) sin(k r + ...). Numerov in x = ln r on a grid m times
// finer than c.grid (k r dx <= hsStepPhase at the matching radius), outward
// from the origin to a radius R beyond the tail radius and the Coulomb
// turning point; there u and du/dr are matched to the Coulomb functions
// through Steed's continued fraction CF2 for H+ = G + iF (Barnett et al.,
// Comput. Phys. Commun. 8 (1974) 377): with p + iq = H+'/H+ the amplitude
// of u = a F + b G is a^2 + b^2 = ((u p - u')^2 + (u q)^2)/q.
func (c *centralField) continuum(e float64, l int, u []float64, w *continuumWork) error {
	g := c.grid
	k := math.Sqrt(2 * e)
	fl := float64(l)
	eta := -c.zion / k
	rtp := (eta + math.Sqrt(eta*eta+fl*(fl+1))) / k
	R := math.Max(c.rTail, g.r[len(u)-1])
	R = math.Max(R, rtp+6/k)
	R = math.Max(R, 2*rtp)
	wmax := math.Sqrt(2*e*R*R + 2*R*c.z)
	m := int(math.Ceil(g.h * wmax / hsStepPhase))
	if m < 1 {
		m = 1
	}
	hf := g.h / float64(m)
	nf := int(math.Ceil((math.Log(R)-g.x0)/hf)) + 3
	if n := (len(u)-1)*m + 3; nf < n {
		nf = n
	}
	if cap(w.phi) < nf {
		w.phi = make([]float64, nf)
	}
	phi := w.phi[:nf]
	rvf := c.fineRV(w, m, nf)
	h12 := hf * hf / 12
	lh := (fl + 0.5) * (fl + 0.5)
	// Start where r^(l+1/2) is representable.
	i0 := 0
	if l > 0 {
		xs := -600.0 / (fl + 0.5)
		if xs > g.x0 {
			i0 = int(math.Ceil((xs - g.x0) / hf))
		}
	}
	for i := 0; i < i0 && i < nf; i++ {
		phi[i] = 0
	}
	ratio := math.Exp(hf)
	r0 := math.Exp(g.x0 + float64(i0)*hf)
	r1 := r0 * ratio
	phi[i0] = math.Exp((fl+0.5)*math.Log(r0)) * (1 - c.z*r0/(fl+1))
	phi[i0+1] = math.Exp((fl+0.5)*math.Log(r1)) * (1 - c.z*r1/(fl+1))
	// Numerov on psi = f phi: psi_(i+1) = (12/f_i - 10) psi_i - psi_(i-1),
	// so that the recurrence chain has no division.
	fi := func(i int, r float64) float64 { return 1 - h12*(lh+2*r*(rvf[i]-r*e)) }
	psi := phi
	psi[i0] *= fi(i0, r0)
	psi[i0+1] *= fi(i0+1, r1)
	r := r1
	for i := i0 + 1; i < nf-1; i++ {
		f := fi(i, r)
		psi[i+1] = (12/f-10)*psi[i] - psi[i-1]
		r *= ratio
		if (i-i0)&63 == 0 && math.Abs(psi[i+1]) > 1e250 {
			for j := i0; j <= i+1; j++ {
				psi[j] *= 1e-250
			}
		}
	}
	// Back to phi where it is needed: the grid points and the stencil.
	toPhi := func(i int) float64 {
		return psi[i] / fi(i, math.Exp(g.x0+float64(i)*hf))
	}
	// Matching at fine point iR (two points to spare on each side).
	iR := nf - 3
	rR := math.Exp(g.x0 + float64(iR)*hf)
	pm2, pm1, p0, pp1, pp2 := toPhi(iR-2), toPhi(iR-1), toPhi(iR), toPhi(iR+1), toPhi(iR+2)
	dphi := (pm2 - 8*pm1 + 8*pp1 - pp2) / (12 * hf)
	sq := math.Sqrt(rR)
	uR := p0 * sq
	duR := (0.5*p0 + dphi) / sq
	pq, err := coulombCF2(eta, k*rR, l)
	if err != nil {
		return fmt.Errorf("continuum e = %g Eh, l = %d: %w", e, l, err)
	}
	p, q := real(pq), imag(pq)
	du := duR / k // d/d rho
	amp2 := ((uR*p-du)*(uR*p-du) + uR*uR*q*q) / q
	if !(amp2 > 0) || math.IsInf(amp2, 0) {
		return fmt.Errorf("continuum e = %g Eh, l = %d: amplitude %g", e, l, amp2)
	}
	scale := math.Sqrt(2/(math.Pi*k)) / math.Sqrt(amp2)
	for i := range u {
		j := i * m
		if j < i0 {
			u[i] = 0
			continue
		}
		u[i] = psi[j] / (1 - h12*(lh+2*g.r[i]*(rvf[j]-g.r[i]*e))) * math.Sqrt(g.r[i]) * scale
	}
	return nil
}

// coulombCF2 returns p + iq = H+'(rho)/H+(rho) of the Coulomb functions
// H+ = G + iF of order l and parameter eta (Steed's continued fraction,
// evaluated by the modified Lentz method):
//
//	p + iq = i (1 - eta/rho) + (i/rho) a c / (2(rho - eta + i) +) (a+1)(c+1) / (2(rho - eta + 2i) +) ...
//
// with a = i eta - l, c = i eta + l + 1. It converges outside the turning
// point rho > eta + sqrt(eta^2 + l(l+1)).
func coulombCF2(eta, rho float64, l int) (complex128, error) {
	const tiny = 1e-300
	fl := float64(l)
	a := complex(-fl, eta)
	c := complex(fl+1, eta)
	// Continued fraction b0 + a1/(b1 + a2/(b2 + ...)), b0 = 0:
	// a_n = (a+n-1)(c+n-1), b_n = 2(rho - eta + n i).
	f := complex(tiny, 0)
	C := f
	D := complex(0, 0)
	for n := 1; n < 100000; n++ {
		an := (a + complex(float64(n-1), 0)) * (c + complex(float64(n-1), 0))
		bn := complex(2*(rho-eta), 2*float64(n))
		D = bn + an*D
		if cmplx.Abs(D) < tiny {
			D = complex(tiny, 0)
		}
		C = bn + an/C
		if cmplx.Abs(C) < tiny {
			C = complex(tiny, 0)
		}
		D = 1 / D
		delta := C * D
		f *= delta
		if cmplx.Abs(delta-1) < 1e-14 {
			return complex(0, 1-eta/rho) + complex(0, 1/rho)*f, nil
		}
	}
	return 0, fmt.Errorf("Coulomb CF2 did not converge (eta %g, rho %g, l %d)", eta, rho, l)
}
