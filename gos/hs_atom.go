package gos

import (
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Hartree-Fock-Slater (Herman-Skillman) central-field atom, doc/algorithms.md
// 3.13. Inside this file and the other hs_*.go files lengths are in bohr
// (a0), energies in hartree (Eh = 2 Rydberg, with the package's Rydberg so
// that the hydrogenic limit agrees with HydrogenicKGOS), wave functions are
// the radial functions P(r) = r R(r).

// hartree is the hartree energy in eV, 2 Rydberg (27.212 eV).
const hartree = 2 * Rydberg

//go:embed data/ground_configurations.txt
var configurationText string

// Orbital is one occupied subshell nl of an atom's configuration.
type Orbital struct {
	N, L       int
	Occupancy  float64 // electrons in the subshell, up to 2(2l+1)
	Eigenvalue float64 // one-electron energy, eV (negative for bound states)
}

// Name returns the spectroscopic label, e.g. "2p".
func (o Orbital) Name() string { return fmt.Sprintf("%d%c", o.N, "spdfghi"[o.L]) }

var (
	configOnce sync.Once
	configs    map[int][]Orbital
	configErr  error
)

// parseConfigurations reads data/ground_configurations.txt: noble-gas cores
// in brackets are expanded from the earlier rows.
func parseConfigurations() {
	configOnce.Do(func() {
		configs = map[int][]Orbital{}
		core := map[string][]Orbital{}
		for ln, line := range strings.Split(configurationText, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			f := strings.Fields(line)
			z, err := strconv.Atoi(f[0])
			if err != nil || len(f) < 3 {
				configErr = fmt.Errorf("gos: ground_configurations.txt line %d: %q", ln+1, line)
				return
			}
			var orbs []Orbital
			for _, tok := range f[2:] {
				if strings.HasPrefix(tok, "[") {
					c, ok := core[strings.Trim(tok, "[]")]
					if !ok {
						configErr = fmt.Errorf("gos: ground_configurations.txt line %d: unknown core %s", ln+1, tok)
						return
					}
					orbs = append(orbs, c...)
					continue
				}
				l := strings.IndexByte("spdf", tok[1])
				n, err1 := strconv.Atoi(tok[:1])
				occ, err2 := strconv.ParseFloat(tok[2:], 64)
				if l < 0 || err1 != nil || err2 != nil || occ <= 0 || occ > float64(2*(2*l+1)) {
					configErr = fmt.Errorf("gos: ground_configurations.txt line %d: bad subshell %q", ln+1, tok)
					return
				}
				orbs = append(orbs, Orbital{N: n, L: l, Occupancy: occ})
			}
			var sum float64
			for _, o := range orbs {
				sum += o.Occupancy
			}
			if int(sum) != z {
				configErr = fmt.Errorf("gos: ground_configurations.txt: Z = %d has %g electrons", z, sum)
				return
			}
			configs[z] = orbs
			core[f[1]] = orbs
		}
	})
}

// GroundConfiguration returns the occupied subshells of the neutral atom
// Z (1..92) in its ground-state configuration (NIST ASD), eigenvalues 0.
func GroundConfiguration(z int) ([]Orbital, error) {
	parseConfigurations()
	if configErr != nil {
		return nil, configErr
	}
	c, ok := configs[z]
	if !ok {
		return nil, fmt.Errorf("gos: no ground-state configuration for Z = %d (the Hartree-Slater atom covers Z = 1..92)", z)
	}
	return append([]Orbital(nil), c...), nil
}

// radialGrid is the logarithmic mesh r_i = exp(x0 + i h) (bohr).
type radialGrid struct {
	x0, h float64
	r     []float64
}

// Grid of the Hartree-Slater atom: r from exp(-9)/Z to 80 bohr, 0.005 in
// ln r (about 3500 points for uranium).
const (
	hsGridX0Z = -9.0  // ln(Z r_min)
	hsGridH   = 0.005 // step in ln r
	hsGridMax = 80.0  // bohr
)

func newRadialGrid(z float64) *radialGrid {
	x0 := hsGridX0Z - math.Log(z)
	n := int(math.Ceil((math.Log(hsGridMax)-x0)/hsGridH)) + 1
	g := &radialGrid{x0: x0, h: hsGridH, r: make([]float64, n)}
	for i := range g.r {
		g.r[i] = math.Exp(x0 + float64(i)*hsGridH)
	}
	return g
}

// integrate returns the integral of f dr = f r dx over the grid points
// [i0, i1] by Simpson's rule (trapezoid on a last odd interval).
func (g *radialGrid) integrate(f []float64, i0, i1 int) float64 {
	if i1 <= i0 {
		return 0
	}
	var s float64
	n := i1 - i0
	last := i1
	if n%2 == 1 {
		last = i1 - 1
		s += 0.5 * g.h * (f[i1-1]*g.r[i1-1] + f[i1]*g.r[i1])
	}
	if last > i0 {
		acc := f[i0]*g.r[i0] + f[last]*g.r[last]
		for i := i0 + 1; i < last; i++ {
			w := 2.0
			if (i-i0)%2 == 1 {
				w = 4
			}
			acc += w * f[i] * g.r[i]
		}
		s += acc * g.h / 3
	}
	return s
}

// Atom is the self-consistent Hartree-Fock-Slater solution of a neutral
// atom (Herman and Skillman 1963): Slater's exchange (alpha = 1), the Latter
// (1955) tail r V(r) = -1 hartree bohr wherever the HFS potential is less
// attractive, spherically averaged open subshells.
type Atom struct {
	Z        int
	Orbitals []Orbital // configuration with eigenvalues (eV)
	// TotalEnergy is the X-alpha total energy (eV) of the self-consistent
	// density (without the tail correction, which has no energy
	// functional).
	TotalEnergy float64
	Iterations  int // SCF cycles

	grid  *radialGrid
	rV    []float64   // r V(r), hartree bohr, tail applied
	p     [][]float64 // P_nl(r) per orbital, unit norm
	rTail float64     // r V(r) = -1 from here on (bohr)
}

// thomasFermiRV returns r V(r) (hartree bohr) of Latter's fit to the
// Thomas-Fermi potential (Latter, Phys. Rev. 99 (1955) 510), the initial
// guess of the SCF.
func thomasFermiRV(z, r float64) float64 {
	mu := 0.88534138 * math.Pow(z, -1.0/3)
	x := r / mu
	sx := math.Sqrt(x)
	d := 1 + 0.02747*sx + 1.243*x - 0.1486*x*sx + 0.2302*x*x + 0.007298*x*x*sx + 0.006944*x*x*x
	return -z / d
}

// HSAtom returns the self-consistent Hartree-Fock-Slater atom Z (1..92)
// in its ground-state configuration. Results are memoised.
func HSAtom(z int) (*Atom, error) {
	atomMu.Lock()
	e, ok := atomMemo[z]
	if !ok {
		e = &atomEntry{}
		atomMemo[z] = e
	}
	atomMu.Unlock()
	e.once.Do(func() { e.atom, e.err = solveAtom(z) })
	return e.atom, e.err
}

type atomEntry struct {
	once sync.Once
	atom *Atom
	err  error
}

var (
	atomMu   sync.Mutex
	atomMemo = map[int]*atomEntry{}
)

func solveAtom(z int) (*Atom, error) {
	orbs, err := GroundConfiguration(z)
	if err != nil {
		return nil, err
	}
	zf := float64(z)
	g := newRadialGrid(zf)
	n := len(g.r)
	rV := make([]float64, n)
	for i, r := range g.r {
		rV[i] = math.Min(thomasFermiRV(zf, r), -1)
	}
	a := &Atom{Z: z, Orbitals: orbs, grid: g, p: make([][]float64, len(orbs))}
	for i := range a.p {
		a.p[i] = make([]float64, n)
	}
	sigma := make([]float64, n)
	out := make([]float64, n)
	energies := make([]float64, len(orbs))
	for i, o := range orbs {
		nn := float64(o.N)
		energies[i] = -0.5 * zf * zf / (nn * nn)
	}
	const maxIter = 400
	mix := 0.3
	var delta float64
	for it := 1; it <= maxIter; it++ {
		for i := range sigma {
			sigma[i] = 0
		}
		for k, o := range orbs {
			e, err := solveBound(g, rV, zf, o.N, o.L, energies[k], a.p[k])
			if err != nil {
				return nil, fmt.Errorf("gos: Hartree-Slater atom Z = %d, %s, cycle %d: %w", z, o.Name(), it, err)
			}
			energies[k] = e
			for i, v := range a.p[k] {
				sigma[i] += o.Occupancy * v * v
			}
		}
		hfsPotential(g, zf, sigma, out)
		delta = 0
		for i := range rV {
			d := out[i] - rV[i]
			if ad := math.Abs(d); ad > delta {
				delta = ad
			}
			rV[i] += mix * d
		}
		a.Iterations = it
		if delta < 1e-6*zf {
			break
		}
	}
	if delta >= 1e-4*zf {
		return nil, fmt.Errorf("gos: Hartree-Slater atom Z = %d did not converge (max change of r V %.3g after %d cycles)", z, delta, maxIter)
	}
	// Final orbitals in the converged potential.
	for i := range sigma {
		sigma[i] = 0
	}
	for k, o := range orbs {
		e, err := solveBound(g, rV, zf, o.N, o.L, energies[k], a.p[k])
		if err != nil {
			return nil, fmt.Errorf("gos: Hartree-Slater atom Z = %d, %s: %w", z, o.Name(), err)
		}
		a.Orbitals[k].Eigenvalue = e * hartree
		for i, v := range a.p[k] {
			sigma[i] += o.Occupancy * v * v
		}
	}
	a.rV = rV
	a.rTail = g.r[n-1]
	for i := n - 1; i >= 0; i-- {
		if rV[i] > -1+1e-12 {
			a.rTail = g.r[i]
			continue
		}
		break
	}
	a.TotalEnergy = xalphaEnergy(g, zf, sigma, a.Orbitals) * hartree
	return a, nil
}

// hfsPotential writes r V(r) (hartree bohr) of the nucleus, the Hartree
// potential of the radial density sigma (electrons per bohr) and Slater's
// exchange -(3/2)(3 rho/pi)^(1/3), with the Latter tail r V >= ... capped
// at -1, to rV.
func hfsPotential(g *radialGrid, z float64, sigma, rV []float64) {
	n := len(g.r)
	h := g.h
	// Q(r) = int_0^r sigma dr' and T(r) = int_r^inf sigma/r' dr' by the
	// trapezoid rule in x (dr = r dx).
	q := 0.0
	for i := 0; i < n; i++ {
		if i > 0 {
			q += 0.5 * h * (sigma[i-1]*g.r[i-1] + sigma[i]*g.r[i])
		}
		rV[i] = q // r * (Q/r)
	}
	t := 0.0
	for i := n - 1; i >= 0; i-- {
		if i < n-1 {
			t += 0.5 * h * (sigma[i+1] + sigma[i])
		}
		r := g.r[i]
		rho := sigma[i] / (4 * math.Pi * r * r)
		vx := -1.5 * math.Cbrt(3*rho/math.Pi)
		v := -z + rV[i] + r*t + r*vx
		rV[i] = math.Min(v, -1)
	}
}

// xalphaEnergy is the X-alpha (alpha = 1) total energy in hartree of the
// density sigma with eigenvalues orbs (eV): sum n_i e_i - E_H - (1/4) int
// V_x rho, with the exchange potential of the untailed density.
func xalphaEnergy(g *radialGrid, z float64, sigma []float64, orbs []Orbital) float64 {
	n := len(g.r)
	h := g.h
	var eig float64
	for _, o := range orbs {
		eig += o.Occupancy * o.Eigenvalue / hartree
	}
	vh := make([]float64, n)
	q := 0.0
	for i := 0; i < n; i++ {
		if i > 0 {
			q += 0.5 * h * (sigma[i-1]*g.r[i-1] + sigma[i]*g.r[i])
		}
		vh[i] = q / g.r[i]
	}
	t := 0.0
	fh := make([]float64, n)
	fx := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		if i < n-1 {
			t += 0.5 * h * (sigma[i+1] + sigma[i])
		}
		r := g.r[i]
		rho := sigma[i] / (4 * math.Pi * r * r)
		vx := -1.5 * math.Cbrt(3*rho/math.Pi)
		fh[i] = (vh[i] + t) * sigma[i]
		fx[i] = vx * sigma[i]
	}
	return eig - 0.5*g.integrate(fh, 0, n-1) - 0.25*g.integrate(fx, 0, n-1)
}

// solveBound finds the bound state n, l of the potential rV (hartree bohr
// on grid g) near the guess e (hartree) by Numerov shooting in x = ln r for
// phi = P/sqrt(r) (phi” = [(l+1/2)^2 + 2 r^2 (V - e)] phi), with node
// counting and the first-order energy correction from the derivative jump
// at the classical turning point. p receives P(r) with int P^2 dr = 1.
func solveBound(g *radialGrid, rV []float64, z float64, n, l int, e float64, p []float64) (float64, error) {
	nr := len(g.r)
	h := g.h
	h12 := h * h / 12
	lh := (float64(l) + 0.5) * (float64(l) + 0.5)
	f := make([]float64, nr)
	y := p
	want := n - l - 1
	elo, ehi := -z*z*0.6-10, 0.0
	for i := range rV {
		if v := rV[i] / g.r[i]; v < elo {
			elo = v
		}
	}
	if !(e > elo && e < ehi) {
		e = 0.5 * (elo + ehi)
	}
	for iter := 0; iter < 300; iter++ {
		icl := -1
		for i := 0; i < nr; i++ {
			r := g.r[i]
			gi := lh + 2*r*(rV[i]-r*e)
			f[i] = 1 - h12*gi
			if gi < 0 {
				icl = i
			}
		}
		if icl < 2 || icl >= nr-3 {
			if icl < 2 { // no classically allowed region: e too low
				elo = e
			} else {
				ehi = e
			}
			e = 0.5 * (elo + ehi)
			continue
		}
		// End of the inward integration: where phi has decayed by e^-60.
		imax, s := nr-1, 0.0
		for i := icl + 1; i < nr; i++ {
			s += h * math.Sqrt((1-f[i])/h12)
			if s > 60 {
				imax = i
				break
			}
		}
		// Outward.
		for i := range y {
			y[i] = 0
		}
		for i := 0; i < 2; i++ {
			r := g.r[i]
			y[i] = math.Pow(r, float64(l)+0.5) * (1 - z*r/float64(l+1))
		}
		nodes := 0
		for i := 1; i < icl; i++ {
			y[i+1] = ((12-10*f[i])*y[i] - f[i-1]*y[i-1]) / f[i+1]
			if y[i+1]*y[i] < 0 {
				nodes++
			}
			if math.Abs(y[i+1]) > 1e200 {
				for j := 0; j <= i+1; j++ {
					y[j] *= 1e-200
				}
			}
		}
		if nodes != want {
			if nodes > want {
				ehi = e
			} else {
				elo = e
			}
			e = 0.5 * (elo + ehi)
			continue
		}
		ycl := y[icl]
		// Inward.
		y[imax] = 1e-30
		y[imax-1] = y[imax] * math.Exp(h*math.Sqrt((1-f[imax-1])/h12))
		for i := imax - 1; i > icl; i-- {
			y[i-1] = ((12-10*f[i])*y[i] - f[i+1]*y[i+1]) / f[i-1]
			if math.Abs(y[i-1]) > 1e200 {
				for j := i - 1; j <= imax; j++ {
					y[j] *= 1e-200
				}
			}
		}
		sc := ycl / y[icl]
		for i := icl; i <= imax; i++ {
			y[i] *= sc
		}
		// Norm: int P^2 dr = int r^2 phi^2 dx.
		var norm float64
		for i := 0; i <= imax; i++ {
			r := g.r[i]
			w := 1.0
			if i == 0 || i == imax {
				w = 0.5
			}
			norm += w * r * r * y[i] * y[i]
		}
		norm *= h
		res := f[icl+1]*y[icl+1] + f[icl-1]*y[icl-1] - (12-10*f[icl])*y[icl]
		de := -(res / h) * ycl / (2 * norm)
		// The jump in phi' moves e: here de > 0 means e must rise.
		enew := e + de
		if de > 0 {
			elo = e
		} else {
			ehi = e
		}
		if !(enew > elo && enew < ehi) {
			enew = 0.5 * (elo + ehi)
		}
		converged := math.Abs(de) < 1e-11*math.Max(1, math.Abs(e))
		e = enew
		if converged {
			// Normalise and convert phi to P = sqrt(r) phi.
			s := 1 / math.Sqrt(norm)
			for i := range y {
				if i > imax {
					y[i] = 0
					continue
				}
				y[i] *= s * math.Sqrt(g.r[i])
			}
			if y[icl] < 0 {
				for i := range y {
					y[i] = -y[i]
				}
			}
			return e, nil
		}
	}
	return 0, fmt.Errorf("no convergence of the bound state n = %d, l = %d", n, l)
}
