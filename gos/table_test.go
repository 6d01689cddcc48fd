package gos

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// memDB is an in-memory Database for tests.
type memDB struct {
	kind   DatabaseKind
	tables map[string]*Table // "El/Name"
	info   map[string]EdgeInfo
}

func (m *memDB) Path() string                   { return "mem.gosh" }
func (m *memDB) DOI() string                    { return "10.0000/mem" }
func (m *memDB) Kind() DatabaseKind             { return m.kind }
func (m *memDB) EdgesInfo() map[string]EdgeInfo { return m.info }
func (m *memDB) Elements() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for k := range m.tables {
		el := strings.Split(k, "/")[0]
		if !seen[el] {
			seen[el] = true
			out = append(out, el)
		}
	}
	return out, nil
}
func (m *memDB) Tables(el string) ([]string, error) {
	var out []string
	for k := range m.tables {
		if p := strings.Split(k, "/"); p[0] == el {
			out = append(out, p[1])
		}
	}
	return out, nil
}
func (m *memDB) Table(el, name string) (*Table, error) {
	t, ok := m.tables[el+"/"+name]
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", el, name, ErrNotInDatabase)
	}
	return t, nil
}

// analyticGOS is the smooth model of doc/formats.md 1.8:
// g(q, E) = A exp(-max(E, 0)/E0) / (1 + (q/q0)^2)^2, q in 1/m, E free energy.
type analyticGOS struct{ a, q0, e0 float64 }

func (g analyticGOS) at(q, e float64) float64 {
	x := q / g.q0
	return g.a * math.Exp(-math.Max(e, 0)/g.e0) / ((1 + x*x) * (1 + x*x))
}

// tableFrom samples g on geometric grids (nq q values from 1e8 to 1e12
// 1/m; ne free energies from 0.1 to 1000 eV, after the given bound ones).
func tableFrom(el, name string, g analyticGOS, nq, ne int, bound []float64) *Table {
	t := &Table{Element: el, Name: name, IonizationEnergy: math.NaN(), OnsetGuess: math.NaN()}
	for i := 0; i < nq; i++ {
		t.Q = append(t.Q, 1e8*math.Pow(10, 4*float64(i)/float64(nq-1)))
	}
	t.FreeEnergies = append(t.FreeEnergies, bound...)
	for j := 0; j < ne; j++ {
		t.FreeEnergies = append(t.FreeEnergies, 0.1*math.Pow(10, 4*float64(j)/float64(ne-1)))
	}
	for _, e := range t.FreeEnergies {
		for _, q := range t.Q {
			t.GOS = append(t.GOS, g.at(q, e))
		}
	}
	return t
}

// independentDSigma evaluates the q integral of doc/algorithms.md 3.3 for the
// analytic GOS directly, written out separately from Setup.DSigmaDE.
func independentDSigma(g analyticGOS, e, onset, e0, beta float64) float64 {
	gamma := 1 + e0/(9.11e-31*2.998e8*2.998e8/1.602e-19)
	T := e0 * (1 + gamma) / (2 * gamma * gamma)
	R := 13.606
	qmin := e*e/(4*R*T) + e*e*e/(8*gamma*gamma*gamma*R*T*T)
	qmax := qmin + 4*gamma*gamma*(T/R)*math.Pow(math.Sin((beta+1e-9)/2), 2)
	const n = 100
	du := (math.Log(qmax) - math.Log(qmin)) / (n - 1)
	sum := 0.0
	for j := 0; j < n; j++ {
		Q := math.Exp(math.Log(qmin) + float64(j)*du)
		sum += g.at(math.Sqrt(Q)/5.292e-11, e-onset)
	}
	return 1e28 * 4 * math.Pi * 5.292e-11 * 5.292e-11 * (R / e) * (R / T) * du * sum
}

func TestTableCrossSectionMatchesAnalytic(t *testing.T) {
	// A fine table of the analytic GOS must integrate to the directly
	// integrated analytic GOS; the difference is the bilinear
	// interpolation error (below 0.2% on this grid).
	g := analyticGOS{a: 0.01, q0: 5e10, e0: 200}
	db := &memDB{kind: DFT, tables: map[string]*Table{"C/K1": tableFrom("C", "K1", g, 400, 400, nil)}}
	src := NewTableSource("kohl", db)
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	setup := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	e, err := src.Edge("C", "K", axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	sigma := e.CrossSection(nil, axis, setup)
	for _, en := range []float64{290, 300, 400, 600, 1000} {
		i := axis.Index(en)
		want := independentDSigma(g, axis.Energy(i), 284, 300e3, 20e-3)
		if !relClose(sigma[i], want, 2e-3) {
			t.Errorf("C K at %g eV: %.8g, want %.8g (rel %.2g)", axis.Energy(i), sigma[i], want, sigma[i]/want-1)
		}
	}
	if sigma[axis.Index(284)] != 0 || sigma[0] != 0 {
		t.Error("non-zero cross section at or below the onset")
	}
}

func TestPowerLawTailBeyondTable(t *testing.T) {
	// Free energies end at 1000 eV (1284 eV absolute): beyond it the
	// cross section is the power law through the last two table points
	// (doc/algorithms.md 3.8), which is continuous and decreasing.
	g := analyticGOS{a: 0.01, q0: 5e10, e0: 200}
	db := &memDB{kind: DFT, tables: map[string]*Table{"C/K1": tableFrom("C", "K1", g, 64, 60, nil)}}
	axis := multispectrum.EnergyAxis{Offset: 1200, Dispersion: 1, Size: 300}
	e, err := NewTableSource("kohl", db).Edge("C", "K", axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := e.CrossSection(nil, axis, Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3})
	i := axis.Index(1284) // last table energy; i+1 is in the tail
	if !(s[i+1] > 0 && s[i+1] < s[i] && relClose(s[i+1], s[i], 0.02)) {
		t.Errorf("tail not continuous: %v, %v", s[i], s[i+1])
	}
	// A pure power law: log-log slope constant along the tail.
	r1 := math.Log(s[i+10]/s[i+5]) / math.Log(axis.Energy(i+10)/axis.Energy(i+5))
	r2 := math.Log(s[i+100]/s[i+50]) / math.Log(axis.Energy(i+100)/axis.Energy(i+50))
	if !relClose(r1, r2, 1e-9) {
		t.Errorf("tail exponents differ: %v %v", r1, r2)
	}
}

func TestDiracBoundStates(t *testing.T) {
	// Two bound states at -3 and -1.5 eV below a 284 eV onset become
	// Gaussian lines whose channel sums equal their q integrals
	// (doc/algorithms.md 3.9), here computed from the analytic row.
	g := analyticGOS{a: 0.01, q0: 5e10, e0: 200}
	tab := tableFrom("C", "K1", g, 200, 58, []float64{-3, -1.5})
	db := &memDB{kind: Dirac, tables: map[string]*Table{"C/K1": tab}}
	axis := multispectrum.EnergyAxis{Offset: 250, Dispersion: 0.25, Size: 120} // 250 .. 279.75: below the continuum
	e, err := NewTableSource("zhang", db).Edge("C", "K", axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	axis2 := multispectrum.EnergyAxis{Offset: 260, Dispersion: 0.25, Size: 96} // 260 .. 283.75 holds both lines, no continuum
	s := e.CrossSection(nil, axis2, Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3})
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	want := independentDSigma(g, 281, 284, 300e3, 20e-3) + independentDSigma(g, 282.5, 284, 300e3, 20e-3)
	if !relClose(sum, want, 2e-3) {
		t.Errorf("bound-state channel sum %.8g, want %.8g", sum, want)
	}
	if k := axis2.Index(281); !(s[k] > s[k-8]) {
		t.Error("no line at 281 eV")
	}
}

func TestCombinedEdgeRules(t *testing.T) {
	g := analyticGOS{a: 0.01, q0: 6e10, e0: 150}
	// DFT: Fe L = L3 (2/3 of L23) + L2 (1/3 of L23) + L1, onsets from the
	// element table (708, 721, 846 eV).
	dft := &memDB{kind: DFT, tables: map[string]*Table{
		"Fe/L23": tableFrom("Fe", "L23", g, 32, 40, nil),
		"Fe/L1":  tableFrom("Fe", "L1", g, 32, 40, nil),
	}}
	axis := multispectrum.EnergyAxis{Offset: 205, Dispersion: 0.5, Size: 2028}
	e, err := NewTableSource("kohl", dft).Edge("Fe", "L", axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Parts) != 3 || e.Parts[0].Subshell != "L3" || e.Parts[0].Table != "L23" || !relClose(e.Parts[0].Occupancy, 2.0/3, 1e-15) ||
		e.Parts[1].Onset != 721 || e.Parts[2].Table != "L1" || e.Onset != 708 {
		t.Errorf("Fe L parts = %+v", e.Parts)
	}
	// Dirac: the start subshell is the highest whose onset guess lies in
	// the window; here L3 and L2 have guesses inside, L1 is skipped
	// because its table is missing.
	l3 := tableFrom("Fe", "L3", g, 32, 40, nil)
	l3.OnsetGuess = 708
	l2 := tableFrom("Fe", "L2", g, 32, 40, nil)
	l2.OnsetGuess = 721
	dirac := &memDB{kind: Dirac, tables: map[string]*Table{"Fe/L3": l3, "Fe/L2": l2}}
	e, err = NewTableSource("zhang", dirac).Edge("Fe", "L", axis, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Parts) != 2 || e.Parts[0].Subshell != "L3" || e.Parts[1].Subshell != "L2" {
		t.Errorf("Dirac Fe L parts = %+v", e.Parts)
	}
	// A window that contains no L onset is an error for the Dirac rule.
	if _, err := NewTableSource("zhang", dirac).Edge("Fe", "L", multispectrum.EnergyAxis{Offset: 100, Dispersion: 1, Size: 100}, 0); err == nil {
		t.Error("Dirac L edge accepted outside the window")
	}
	if _, err := NewTableSource("kohl", dft).Edge("C", "K", axis, 0); err == nil {
		t.Error("missing element accepted")
	}
}

func TestMalformedTable(t *testing.T) {
	good := tableFrom("C", "K1", analyticGOS{0.01, 5e10, 200}, 8, 8, nil)
	for name, mutate := range map[string]func(*Table){
		"short data":   func(t *Table) { t.GOS = t.GOS[:10] },
		"q not sorted": func(t *Table) { t.Q[3] = t.Q[2] },
		"q in 1/Angstrom": func(t *Table) {
			for i := range t.Q {
				t.Q[i] = float64(i + 1)
			}
		},
		"NaN": func(t *Table) { t.GOS[5] = math.NaN() },
	} {
		tab := *good
		tab.Q = append([]float64(nil), good.Q...)
		tab.GOS = append([]float64(nil), good.GOS...)
		mutate(&tab)
		db := &memDB{kind: DFT, tables: map[string]*Table{"C/K1": &tab}}
		axis := multispectrum.EnergyAxis{Offset: 250, Dispersion: 1, Size: 100}
		if _, err := NewTableSource("kohl", db).Edge("C", "K", axis, 0); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCache(t *testing.T) {
	c := NewCache()
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 100}
	s := Setup{E0: 300e3, Alpha: 1e-9, Beta: 20e-3}
	a, _, err := c.CrossSection(Hydrogenic(), "C", "K", axis, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := c.CrossSection(Hydrogenic(), "c", "k", axis, s, 0)
	if &a[0] != &b[0] || c.Len() != 1 {
		t.Error("second request not served from the cache")
	}
	s.Beta = 10e-3
	c.CrossSection(Hydrogenic(), "C", "K", axis, s, 0)
	if c.Len() != 2 {
		t.Error("different beta shared a cache entry")
	}
	if _, _, err := c.CrossSection(Hydrogenic(), "C", "K", axis, Setup{E0: 300, Beta: 20e-3}, 0); err == nil {
		t.Error("E0 = 300 V (kV given by mistake) accepted")
	}
}
