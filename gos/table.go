package gos

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Table is one tabulated GOS of a GOSH file, normalised to the [E, q]
// orientation: GOS[iE*len(Q)+iq] is df/dE (1/eV) at free energy
// FreeEnergies[iE] and momentum transfer Q[iq].
type Table struct {
	Element      string
	Name         string    // table group: K1, L23, L3, ...
	Q            []float64 // momentum transfer, 1/m, strictly increasing
	FreeEnergies []float64 // eV above threshold, increasing; negative values are bound states (Dirac)
	GOS          []float64 // len(FreeEnergies)*len(Q), [E][q]
	// IonizationEnergy and OnsetGuess (eV) come from the table's metadata
	// group when present, else NaN.
	IonizationEnergy float64
	OnsetGuess       float64
}

// Validate checks shapes, monotonic axes, finite values and the q unit
// (1/m: values of order 1e8 to 1e12; a maximum below 1e3 means 1/Å).
func (t *Table) Validate() error {
	nq, ne := len(t.Q), len(t.FreeEnergies)
	switch {
	case nq < 2 || ne < 2:
		return fmt.Errorf("table %s/%s has %d q and %d energy values; need at least 2 of each", t.Element, t.Name, nq, ne)
	case len(t.GOS) != nq*ne:
		return fmt.Errorf("table %s/%s has %d GOS values for %d energies x %d q", t.Element, t.Name, len(t.GOS), ne, nq)
	}
	for i := 1; i < nq; i++ {
		if !(t.Q[i] > t.Q[i-1]) {
			return fmt.Errorf("table %s/%s: q axis not strictly increasing at index %d", t.Element, t.Name, i)
		}
	}
	for i := 1; i < ne; i++ {
		if !(t.FreeEnergies[i] > t.FreeEnergies[i-1]) {
			return fmt.Errorf("table %s/%s: energy axis not strictly increasing at index %d", t.Element, t.Name, i)
		}
	}
	if t.Q[nq-1] < 1e3 {
		return fmt.Errorf("table %s/%s: q axis ends at %g, which looks like 1/Å, not 1/m", t.Element, t.Name, t.Q[nq-1])
	}
	for i, v := range t.GOS {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("table %s/%s: GOS value %d is %v", t.Element, t.Name, i, v)
		}
	}
	return nil
}

// boundStates returns the number of leading bound-state rows (negative
// free energies).
func (t *Table) boundStates() int {
	n := 0
	for n < len(t.FreeEnergies) && t.FreeEnergies[n] < 0 {
		n++
	}
	return n
}

// interpolate returns the GOS at absolute energy e (eV) and momentum q
// (1/m) with the reference rule of doc/algorithms.md 3.7, energies being
// FreeEnergies + onset. Where the reference reads a transposed element for
// q below the table (its Kohl-orientation quirk), this reads the correct
// one, G[iE, 0].
func (t *Table) interpolate(e, q, onset float64) float64 {
	ne := len(t.FreeEnergies)
	ie := sort.Search(ne, func(i int) bool { return t.FreeEnergies[i]+onset >= e })
	if ie == 0 || ie == ne {
		return 0
	}
	return t.interpolateAt(ie, sort.SearchFloat64s(t.Q, q), e, q, onset)
}

// interpolateAt is interpolate with the brackets found: ie (0 < ie <
// len(FreeEnergies)) the first table energy >= e and iq the first q >= q.
func (t *Table) interpolateAt(ie, iq int, e, q, onset float64) float64 {
	nq := len(t.Q)
	if iq == nq {
		return 0
	}
	if iq == 0 {
		return t.GOS[ie*nq]
	}
	e0, e1 := t.FreeEnergies[ie-1]+onset, t.FreeEnergies[ie]+onset
	q0, q1 := t.Q[iq-1], t.Q[iq]
	de, dq := e1-e0, q1-q0
	we := (de - (e - e0)) / de
	wq := (dq - (q - q0)) / dq
	g00, g01 := t.GOS[(ie-1)*nq+iq-1], t.GOS[(ie-1)*nq+iq]
	g10, g11 := t.GOS[ie*nq+iq-1], t.GOS[ie*nq+iq]
	return we*(wq*g00+(1-wq)*g01) + (1-we)*(wq*g10+(1-wq)*g11)
}

// rowInterpolate is the 1-D linear interpolation in q of row i used for
// bound states (doc/algorithms.md 3.9): q at or below the first q gives the
// first value, beyond the table 0.
func (t *Table) rowInterpolate(i int, q float64) float64 {
	nq := len(t.Q)
	row := t.GOS[i*nq : (i+1)*nq]
	if q <= t.Q[0] {
		return row[0]
	}
	iq := sort.SearchFloat64s(t.Q, q)
	if iq == nq {
		return 0
	}
	q0, q1 := t.Q[iq-1], t.Q[iq]
	w := (q - q0) / (q1 - q0)
	return (1-w)*row[iq-1] + w*row[iq]
}

// tableIntegrand adapts the table to the q integral of Setup.DSigmaDE:
// Q = (q a0)^2 becomes q = sqrt(Q)/a0 in 1/m. It returns what interpolate
// returns, but finds the energy bracket once per energy and, as the q
// integral visits increasing q, the q bracket by a forward walk from the
// last one. The closure is not safe for concurrent use.
func (t *Table) integrand(onset float64) Integrand {
	nq, ne := len(t.Q), len(t.FreeEnergies)
	lastE, lastQ := math.NaN(), math.Inf(1)
	ie, iq := 0, 0
	return func(e, Q float64) float64 {
		q := math.Sqrt(Q) / BohrRadius
		if e != lastE {
			lastE = e
			ie = sort.Search(ne, func(i int) bool { return t.FreeEnergies[i]+onset >= e })
			lastQ = math.Inf(1)
		}
		if ie == 0 || ie == ne {
			return 0
		}
		if q >= lastQ {
			for iq < nq && t.Q[iq] < q {
				iq++
			}
		} else {
			iq = sort.SearchFloat64s(t.Q, q)
		}
		lastQ = q
		return t.interpolateAt(ie, iq, e, q, onset)
	}
}

// dsigmaDE is Setup.DSigmaDE(k, e, t.integrand(onset)) with the same
// arithmetic in the same order, so bit for bit the same value, without the
// per-point closure call and with the energy bracket and its weight found
// once per energy rather than at every q (doc/algorithms.md 3.3, 3.7).
// Cross sections on an axis use dsigmaDEOn, which takes the q points from
// a shared qGrid; this serves single energies (the power-law tail).
func (t *Table) dsigmaDE(k Kinematics, e, onset float64, s Setup) float64 {
	n := s.qsteps()
	qmin, qmax := k.QLimits(e, s.Alpha+s.Beta)
	lmin, lmax := math.Log(qmin), math.Log(qmax)
	du := (lmax - lmin) / float64(n-1)
	ie := t.energyBracket(e, onset)
	var sum float64
	if ie > 0 {
		iq := -1
		// In blocks of points: first the q values and weights (exp,
		// sqrt, divisions: independent, so they overlap in the
		// pipeline), then the walk along the table and the sum, in the
		// same order as before.
		var qb, wb [dsigmaBlock]float64
		for j0 := 0; j0 < n; j0 += dsigmaBlock {
			m := min(dsigmaBlock, n-j0)
			for j := 0; j < m; j++ {
				Q := math.Exp(lmin + float64(j0+j)*du)
				w := 1.0
				if s.Alpha >= 1e-6 {
					w = ConvergenceCorrection(k.Theta(Q, qmin), s.Alpha, s.Beta)
				}
				qb[j], wb[j] = math.Sqrt(Q)/BohrRadius, w
			}
			iq, sum = t.qSum(ie, e, onset, qb[:m], wb[:m], iq, sum)
		}
	} else {
		for j := 0; j < n; j++ {
			w := 1.0
			if s.Alpha >= 1e-6 {
				w = ConvergenceCorrection(k.Theta(math.Exp(lmin+float64(j)*du), qmin), s.Alpha, s.Beta)
			}
			sum += w * 0
		}
	}
	return barn * 4 * math.Pi * BohrRadius * BohrRadius * (Rydberg / e) * (Rydberg / k.T) * du * sum
}

// dsigmaDEOn is dsigmaDE at channel i of the grid g (whose setup and
// energies it takes), the q points, log step and weights read from g
// instead of computed: the same numbers in the same order, so bit for bit
// the same value.
func (t *Table) dsigmaDEOn(g *qGrid, br *qBrackets, i int, onset float64) float64 {
	e := g.energies[i]
	du, q, w := g.channel(i)
	var sum float64
	if ie := t.energyBracket(e, onset); ie > 0 {
		if br != nil {
			iq, wq := br.channel(g, i)
			sum = t.qSumBracketed(ie, e, onset, iq, wq, w)
		} else {
			_, sum = t.qSum(ie, e, onset, q, w, -1, 0)
		}
	} else {
		// Outside the table: the weights times 0, as dsigmaDE sums them
		// (0 unless a weight is not finite).
		for j := range q {
			wj := 1.0
			if w != nil {
				wj = w[j]
			}
			sum += wj * 0
		}
	}
	return barn * 4 * math.Pi * BohrRadius * BohrRadius * (Rydberg / e) * (Rydberg / g.k.T) * du * sum
}

// energyBracket returns the first table row whose energy (free energy plus
// onset, eV) is >= e, or 0 when e is at or below the first row or beyond
// the last (no bracket: the GOS is 0 there, 3.7).
func (t *Table) energyBracket(e, onset float64) int {
	ne := len(t.FreeEnergies)
	ie := sort.Search(ne, func(i int) bool { return t.FreeEnergies[i]+onset >= e })
	if ie == ne {
		return 0
	}
	return ie
}

// qSum adds w_j GOS(e, q_j) to sum for increasing momenta q (1/m), w nil
// meaning weights of 1, with ie (> 0) the energy bracket of e: the table
// interpolation of 3.7 (interpolateAt), its q bracket found by a forward
// walk from iq (-1: a binary search first). It returns the last bracket
// and the sum, so that a q integral can be summed in pieces.
func (t *Table) qSum(ie int, e, onset float64, q, w []float64, iq int, sum float64) (int, float64) {
	nq := len(t.Q)
	e0, e1 := t.FreeEnergies[ie-1]+onset, t.FreeEnergies[ie]+onset
	de := e1 - e0
	we := (de - (e - e0)) / de
	r0, r1 := t.GOS[(ie-1)*nq:ie*nq], t.GOS[ie*nq:(ie+1)*nq]
	tq := t.Q
	if iq < 0 && len(q) > 0 {
		iq = sort.SearchFloat64s(tq, q[0])
	}
	for j, qj := range q {
		// The forward walk (no step at a first point found by the
		// search).
		for iq < nq && tq[iq] < qj {
			iq++
		}
		var v float64
		switch {
		case iq == nq:
			v = 0
		case iq == 0:
			v = r1[0]
		default:
			q0, q1 := tq[iq-1], tq[iq]
			dq := q1 - q0
			wq := (dq - (qj - q0)) / dq
			v = we*(wq*r0[iq-1]+(1-wq)*r0[iq]) + (1-we)*(wq*r1[iq-1]+(1-wq)*r1[iq])
		}
		if w != nil { // (without weights: 1*v is exactly v)
			v *= w[j]
		}
		sum += v
	}
	return iq, sum
}

// qSumBracketed is qSum over a whole channel with the brackets iq and
// interpolation weights wq of its q points given (qBrackets): the same
// products and sums in the same order, so the same value.
func (t *Table) qSumBracketed(ie int, e, onset float64, iq []int32, wq, w []float64) float64 {
	nq := len(t.Q)
	e0, e1 := t.FreeEnergies[ie-1]+onset, t.FreeEnergies[ie]+onset
	de := e1 - e0
	we := (de - (e - e0)) / de
	r0, r1 := t.GOS[(ie-1)*nq:ie*nq], t.GOS[ie*nq:(ie+1)*nq]
	wq = wq[:len(iq)]
	var sum float64
	for j, k := range iq {
		var v float64
		switch {
		case int(k) == nq:
			v = 0
		case k == 0:
			v = r1[0]
		default:
			wqj := wq[j]
			v = we*(wqj*r0[k-1]+(1-wqj)*r0[k]) + (1-we)*(wqj*r1[k-1]+(1-wqj)*r1[k])
		}
		if w != nil {
			v *= w[j]
		}
		sum += v
	}
	return sum
}

// dsigmaBlock is the number of q points Table.dsigmaDE prepares at once.
const dsigmaBlock = 128

// minChannelsPerWorker is the smallest block of channels addCrossSection
// gives a core of its own (a block costs about 100 q points per channel).
const minChannelsPerWorker = 256

// tableQGrid returns a private grid of the q integral at the energies (eV;
// channel width disp) for setup s with the number of q points of tables
// (DefaultQSteps, as the reference): addCrossSection on energies that are
// not an axis.
func tableQGrid(energies []float64, disp float64, s Setup) *qGrid {
	s.QSteps = DefaultQSteps
	return newQGrid(energies, disp, s)
}

// sharedTableQGrid is the shared grid of a table cross section on axis
// with setup s (DefaultQSteps points, whatever s.QSteps says).
func sharedTableQGrid(axis multispectrum.EnergyAxis, s Setup) *qGrid {
	s.QSteps = DefaultQSteps
	return sharedQGrid(axis, s)
}

// addCrossSection adds occupancy * dsigma/dE (barn/eV) of the table at the
// energies of g (channel starts) to dst (doc/algorithms.md 3.6-3.9), for
// the setup of g (whose QSteps must be DefaultQSteps: tables always use
// 100 points): the continuum q integral for onset < E <= last table
// energy, the power law through the last two table energies beyond, and
// for Dirac tables each bound state as a Gaussian line (sigma = 2 channels
// of width g.disp) whose channel sum equals its q integral.
func (t *Table) addCrossSection(dst []float64, g *qGrid, onset, occupancy float64) {
	k, s, energies := g.k, g.s, g.energies
	if s.QSteps != DefaultQSteps {
		panic("gos: a table cross section on a grid of other than DefaultQSteps points")
	}
	ne := len(t.FreeEnergies)
	last := t.FreeEnergies[ne-1] + onset
	// The continuum: one q integral per channel, independent of the
	// others, so contiguous blocks of channels go to the cores (the
	// values do not depend on the split). The q points come from g,
	// prepared once for every table on the same axis and setup.
	br := g.bracketsFor(t.Q)
	continuum := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if e := energies[i]; e > onset && e <= last {
				dst[i] += occupancy * t.dsigmaDEOn(g, br, i, onset)
			}
		}
	}
	// [lo, hi) spans the continuum channels (all of them when the axis
	// increases, as channel energies do).
	lo, hi := len(energies), 0
	for i, e := range energies {
		if e > onset && e <= last {
			lo, hi = min(lo, i), i+1
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (hi-lo)/minChannelsPerWorker)
	if workers <= 1 {
		continuum(lo, hi)
	} else {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(a, b int) {
				defer wg.Done()
				continuum(a, b)
			}(lo+w*(hi-lo)/workers, lo+(w+1)*(hi-lo)/workers)
		}
		wg.Wait()
	}
	// Beyond the table: the power law through its last two energies.
	var ap, rp float64
	tail := false
	for i, e := range energies {
		if e <= last || math.IsNaN(e) {
			continue // below the onset, or in the continuum
		}
		if !tail {
			e1, e2 := t.FreeEnergies[ne-2]+onset, last
			s1, s2 := t.dsigmaDE(k, e1, onset, s), t.dsigmaDE(k, e2, onset, s)
			rp = math.Log(s2/s1) / math.Log(e1/e2)
			ap = s1 / math.Pow(e1, -rp)
			tail = true
		}
		if v := ap * math.Pow(e, -rp); !math.IsNaN(v) && !math.IsInf(v, 0) {
			dst[i] += occupancy * v
		}
	}
	nb := t.boundStates()
	if nb == 0 || len(energies) == 0 {
		return
	}
	sigma := 2 * g.disp
	line := make([]float64, len(energies))
	for b := 0; b < nb; b++ {
		eb := t.FreeEnergies[b] + onset
		row := b
		sb := s.DSigmaDE(k, eb, func(_, Q float64) float64 {
			return t.rowInterpolate(row, math.Sqrt(Q)/BohrRadius)
		})
		var sum float64
		for i, e := range energies {
			d := (e - eb) / sigma
			line[i] = math.Exp(-0.5 * d * d)
			sum += line[i]
		}
		if sum == 0 || math.IsNaN(sb) {
			continue // line far outside the axis: skipped (the reference yields NaN)
		}
		for i := range energies {
			dst[i] += occupancy * sb * line[i] / sum
		}
	}
}

// ErrNotInDatabase is returned (wrapped) by a Database that has no table
// for an element or subshell.
var ErrNotInDatabase = errors.New("not in this database")

// DatabaseKind is the physics of a GOS database.
type DatabaseKind int

const (
	// DFT tables (Segger-Guzzinati-Kohl): spin-orbit partners share a
	// table (L23, M45, ...).
	DFT DatabaseKind = iota
	// Dirac tables (Zhang): one table per subshell, with bound states.
	Dirac
)

// EdgeInfo is an entry of a GOSH file's /metadata/edges_info: the table
// holding a subshell and the subshell's share of it.
type EdgeInfo struct {
	Table     string
	Occupancy float64
}

// Database is a decoded GOS file. h5io implements it for GOSH files and
// the older per-element Zhang directories; tests implement it in memory.
type Database interface {
	// Path names the file or directory, for messages and provenance.
	Path() string
	// DOI returns the data DOI of the file ("" if unknown).
	DOI() string
	// Kind tells DFT from Dirac tables.
	Kind() DatabaseKind
	// Elements lists the element groups of the file.
	Elements() ([]string, error)
	// Tables lists the table names of an element.
	Tables(element string) ([]string, error)
	// EdgesInfo returns the subshell -> table map of the file, nil if it
	// has none.
	EdgesInfo() map[string]EdgeInfo
	// Table reads one table; an absent one gives an error wrapping
	// ErrNotInDatabase.
	Table(element, name string) (*Table, error)
}

// dftTableName maps a subshell to its DFT table with the reference rule
// (doc/algorithms.md 3.6): index 1 keeps its name; an even index d maps to
// <shell>d(d+1); an odd index d > 1 to <shell>(d-1)d.
func dftTableName(sub string) string {
	shell := sub[:1]
	var d int
	fmt.Sscanf(sub[1:], "%d", &d)
	switch {
	case d == 1:
		return sub
	case d%2 == 0:
		return fmt.Sprintf("%s%d%d", shell, d, d+1)
	default:
		return fmt.Sprintf("%s%d%d", shell, d-1, d)
	}
}
