package gos

import "math"

// Onsets of the hydrogenic edges (Egerton's SIGMAK/SIGMAL tables, as in
// doc/algorithms.md 3.5); they are not taken from the element table.
var (
	// hydrogenicK[Z-1] for Z = 1..22, eV.
	hydrogenicK = []float64{13, 25, 55, 111, 188, 284, 402, 532, 685, 867, 1072, 1305, 1560, 1839,
		2146, 2472, 2822, 3203, 3607, 4038, 4493, 4966}
	// L edges, index Z-13 for Z = 13..36: L3 onset, L1 onset (the 1142 is
	// not monotonic; kept as in the reference) and the exponent U.
	hydrogenicL3 = []float64{73, 99, 135, 164, 200, 245, 294, 347, 402, 455, 513, 575, 641, 710,
		779, 855, 931, 1021, 1115, 1217, 1323, 1436, 1550, 1675}
	hydrogenicL1 = []float64{118, 149, 189, 229, 270, 320, 377, 438, 500, 564, 628, 695, 769, 846,
		926, 1008, 1096, 1194, 1142, 1248, 1359, 1476, 1596, 1727}
	hydrogenicU = []float64{.52, .42, .30, .29, .22, .30, .22, .16, .12, .13, .13, .14, .16, .18,
		.19, .22, .14, .11, .12, .12, .12, .10, .10, .10}
)

// HydrogenicCovers reports whether the hydrogenic model has edge ("K" or
// "L") of element Z.
func HydrogenicCovers(z int, edge string) bool {
	switch edge {
	case "K":
		return z >= 1 && z <= len(hydrogenicK)
	case "L":
		return z >= 13 && z <= 36
	}
	return false
}

// HydrogenicKGOS returns the hydrogenic K-shell df/dE (1/eV, per atom, two
// electrons) of element Z at energy loss e (eV) and Q = (q a0)^2, with
// screening Zs = Z - 0.5 (doc/algorithms.md 3.5, Egerton's SIGMAK).
func HydrogenicKGOS(z int, e, Q float64) float64 {
	R := Rydberg
	zs := float64(z) - 0.5
	zs2 := zs * zs
	q := Q / zs2
	k2 := e/(zs2*R) - 1
	k := math.Max(math.Sqrt(math.Abs(k2)), 0.01)
	a := q - k2 + 1
	den0 := a*a + 4*k2
	den := zs2 * zs2 * R * R * den0 * den0 * den0
	num := 256 * e * (q + k2/3 + 1.0/3)
	if k2 >= 0 {
		b := math.Atan(2 * k / a)
		if b < 0 {
			b += math.Pi
		}
		return num * math.Exp(-2*b/k) / (den*(1-math.Exp(-2*math.Pi/k)) + 1e-99)
	}
	y := -(1 / k) * math.Log((q+1-k2+2*k)/(q+1-k2-2*k+1e-99))
	return num * math.Exp(y) / (den + 1e-99)
}

// HydrogenicLGOS returns the hydrogenic L-shell df/dE (1/eV, per atom;
// L2+L3 and L1 above its onset) of element Z (13..36) at energy loss e
// (eV) and Q = (q a0)^2 (doc/algorithms.md 3.5, Egerton's SIGMAL).
func HydrogenicLGOS(z int, e, Q float64) float64 {
	i := z - 13
	el3, el1, u := hydrogenicL3[i], hydrogenicL1[i], hydrogenicU[i]
	R := Rydberg
	zf := float64(z)
	zs := zf - 0.35*7 - 1.7
	zs2 := zs * zs
	q := Q / zs2
	k2 := e/(zs2*R) - 0.25
	k := math.Max(math.Sqrt(math.Abs(k2)), 0.01)
	rf := math.Pow((e+0.1-el3)/(1.8*zf*zf), u)
	var c, d float64
	if k2 >= 0 {
		b := math.Atan(k / (q - k2 + 0.25))
		if b < 0 {
			b += math.Pi
		}
		c = math.Exp(-2 * b / k)
		d = 1 - math.Exp(-2*math.Pi/k)
	} else {
		c = math.Exp(-(1 / k) * math.Log((q+0.25-k2+k)/(q+0.25-k2-k)))
		d = 1
	}
	var g, a float64
	s := q - k2 + 0.25
	if e <= el1 {
		g = 2.25*q*q*q*q - (0.75+3*k2)*q*q*q + (0.59375-0.75*k2-0.5*k2*k2)*q*q +
			(0.11146+0.85417*k2+1.8833*k2*k2+k2*k2*k2)*q +
			0.0035807 + k2/21.333 + k2*k2/4.5714 + k2*k2*k2/2.4 + k2*k2*k2*k2/4
		a = math.Pow(s*s+k2, 5)
	} else {
		g = q*q*q - (5.0/3*k2+11.0/12)*q*q + (k2*k2/3+1.5*k2+65.0/48)*q +
			k2*k2*k2/3 + 0.75*k2*k2 + 23.0/48*k2 + 5.0/64
		a = math.Pow(s*s+k2, 4)
	}
	return rf * 32 * g * c * e / (a * d * R * R * zs2 * zs2)
}

// hydrogenicEdge is a hydrogenic K or L edge.
type hydrogenicEdge struct {
	z     int
	shell string
	onset float64
}

func newHydrogenic(symbol, edge string) (*hydrogenicEdge, error) {
	z, err := AtomicNumber(symbol)
	if err != nil {
		return nil, err
	}
	switch edge {
	case "K", "K1":
		if !HydrogenicCovers(z, "K") {
			return nil, notInModel("the hydrogenic model has K edges for Z = 1..22 only, not %s (Z = %d)", symbol, z)
		}
		return &hydrogenicEdge{z: z, shell: "K", onset: hydrogenicK[z-1]}, nil
	case "L":
		if !HydrogenicCovers(z, "L") {
			return nil, notInModel("the hydrogenic model has L edges for Z = 13..36 only, not %s (Z = %d)", symbol, z)
		}
		return &hydrogenicEdge{z: z, shell: "L", onset: hydrogenicL3[z-13]}, nil
	}
	return nil, notInModel("the hydrogenic model has only K and L edges, not %q", edge)
}

func (h *hydrogenicEdge) gos(e, q float64) float64 {
	if h.shell == "K" {
		return HydrogenicKGOS(h.z, e, q)
	}
	return HydrogenicLGOS(h.z, e, q)
}

// crossSection evaluates the edge at energies e (eV): dsigma/dE in
// barn/eV for e > onset (strict), 0 otherwise. No occupancy prefactor.
func (h *hydrogenicEdge) crossSection(dst, energies []float64, s Setup) {
	k := NewKinematics(s.E0)
	for i, e := range energies {
		if e > h.onset {
			dst[i] = s.DSigmaDE(k, e, h.gos)
		} else {
			dst[i] = 0
		}
	}
}
