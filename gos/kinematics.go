package gos

import "math"

// Physical constants of the reference implementation (doc/algorithms.md
// appendix A). Use exactly these: they set the check values.
const (
	Rydberg      = 13.606        // eV
	ElectronQ    = 1.602e-19     // C
	ElectronMass = 9.11e-31      // kg
	BohrRadius   = 5.292e-11     // m
	SpeedOfLight = 2.998e8       // m/s
	JouleToEV    = 6.24150913e18 // eV/J
	// barn converts m^2 to barn.
	barn = 1e28
)

// restEnergy is m0 c^2 / e in eV (511115.58 with the constants above).
const restEnergy = ElectronMass * SpeedOfLight * SpeedOfLight / ElectronQ

// Kinematics holds the relativistic factors of an incident beam of
// acceleration voltage E0 (V): gamma = 1 + e E0/(m0 c^2) and
// T = E0 (1 + gamma)/(2 gamma^2) (eV, = m0 v^2/2), doc/algorithms.md 3.3.
type Kinematics struct {
	E0    float64 // V
	Gamma float64
	T     float64 // eV
}

// NewKinematics returns the kinematic factors for acceleration voltage e0 (V).
func NewKinematics(e0 float64) Kinematics {
	g := 1 + e0/restEnergy
	return Kinematics{E0: e0, Gamma: g, T: e0 * (1 + g) / (2 * g * g)}
}

// QLimits returns Qmin and Qmax of Q = (q a0)^2 for energy loss e (eV)
// and total angle alpha+beta (rad), doc/algorithms.md 3.3.
func (k Kinematics) QLimits(e, alphaPlusBeta float64) (qmin, qmax float64) {
	R, T, g := Rydberg, k.T, k.Gamma
	qmin = e*e/(4*R*T) + e*e*e/(8*g*g*g*R*T*T)
	s := math.Sin(alphaPlusBeta / 2)
	qmax = qmin + 4*g*g*(T/R)*s*s
	return qmin, qmax
}

// Theta returns the scattering angle (rad) of a point Q of the q
// integral: 2 sqrt(|R (Q - Qmin)/(4 gamma^2 T)|).
func (k Kinematics) Theta(q, qmin float64) float64 {
	return 2 * math.Sqrt(math.Abs(Rydberg*(q-qmin)/(4*k.Gamma*k.Gamma*k.T)))
}

// ConvergenceCorrection returns Kohl's (1985) convergence factor F for
// scattering angle theta, convergence alpha and collection beta (rad):
// the overlap area of the illumination disc and the aperture over the
// disc area (doc/algorithms.md 3.4, variant A).
func ConvergenceCorrection(theta, alpha, beta float64) float64 {
	if alpha < 1e-6 {
		return 1
	}
	a2, b2, t2 := alpha*alpha, beta*beta, theta*theta
	if theta <= math.Abs(alpha-beta) {
		return math.Min(a2, b2) / a2
	}
	x := (a2 + t2 - b2) / (2 * alpha * theta)
	y := (b2 + t2 - a2) / (2 * beta * theta)
	w := math.Sqrt(4*a2*b2 - (a2+b2-t2)*(a2+b2-t2))
	return (math.Acos(x) + (b2/a2)*math.Acos(y) - w/(2*a2)) / math.Pi
}

// DefaultQSteps is the number of log-spaced points of the q integral
// (doc/algorithms.md 3.3): the hydrogenic default; tabulated GOS always use it.
const DefaultQSteps = 100

// Integrand is a GOS df/dE (1/eV) as a function of energy loss e (eV) and
// Q = (q a0)^2.
type Integrand func(e, q float64) float64

// Setup holds the experimental parameters of a cross-section computation.
// E0 and Beta have no default: the zero Setup fails Validate (which
// Cache.CrossSection calls); QSteps 0 is DefaultQSteps and Alpha 0 means
// a parallel beam.
type Setup struct {
	E0     float64 // acceleration voltage, V
	Alpha  float64 // convergence semi-angle, rad
	Beta   float64 // collection semi-angle, rad
	QSteps int     // points of the q integral (0: DefaultQSteps)
}

// Validate checks the setup is physical.
func (s Setup) Validate() error {
	switch {
	case !(s.E0 >= 1e3 && s.E0 <= 5e6):
		return errorf("acceleration voltage E0 = %g V is outside 1 kV..5 MV (give it in volts, e.g. 300e3)", s.E0)
	case !(s.Alpha >= 0 && s.Alpha < 0.5):
		return errorf("convergence semi-angle alpha = %g rad is outside [0, 0.5) (give it in radians, e.g. 1e-3)", s.Alpha)
	case !(s.Beta > 0 && s.Beta < 0.5):
		return errorf("collection semi-angle beta = %g rad is outside (0, 0.5) (give it in radians, e.g. 20e-3)", s.Beta)
	case s.QSteps < 0 || s.QSteps == 1:
		return errorf("q steps = %d: need at least 2", s.QSteps)
	}
	return nil
}

func (s Setup) qsteps() int {
	if s.QSteps == 0 {
		return DefaultQSteps
	}
	return s.QSteps
}

// DSigmaDE returns dsigma/dE in barn/eV at energy loss e (eV) for the GOS
// f: the rectangle sum over QSteps points equally spaced in ln Q from
// ln Qmin to ln Qmax, both end points with full weight, each weighted by
// the convergence correction (doc/algorithms.md 3.3):
//
//	dsigma/dE = 4 pi a0^2 (R/E)(R/T) du sum_j F(theta_j) GOS(E, Q_j) * 1e28.
func (s Setup) DSigmaDE(k Kinematics, e float64, f Integrand) float64 {
	n := s.qsteps()
	qmin, qmax := k.QLimits(e, s.Alpha+s.Beta)
	lmin, lmax := math.Log(qmin), math.Log(qmax)
	du := (lmax - lmin) / float64(n-1)
	var sum float64
	for j := 0; j < n; j++ {
		q := math.Exp(lmin + float64(j)*du)
		w := 1.0
		if s.Alpha >= 1e-6 {
			w = ConvergenceCorrection(k.Theta(q, qmin), s.Alpha, s.Beta)
		}
		sum += w * f(e, q)
	}
	return barn * 4 * math.Pi * BohrRadius * BohrRadius * (Rydberg / e) * (Rydberg / k.T) * du * sum
}
