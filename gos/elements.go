package gos

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// elementCSV is the element table: onset energy and occupancy ratio of
// every subshell of Z = 1..118 (2143 rows). data/element_edges.csv is a
// byte-identical copy of the project's shared data/element_edges.csv, which
// is an export of pyEELSMODEL's bundled element table element_info.hdf5
// (one HDF5 group per element, one per subshell, with the attributes
// onset_energy and occupancy_ratio). The CSV has no comment lines; its
// header names the columns element, Z, edge, onset_energy_eV,
// occupancy_ratio, onset_stored_as, shell, subshell_index, where
// onset_stored_as records how element_info.hdf5 stores the onset:
// int_scalar for tabulated edge energies (e.g. C K1 = 284 eV), float_1x1
// for computed values, mostly of shallow levels (e.g. C L3 = 8.8722 eV).
//
//go:embed data/element_edges.csv
var elementCSV string

// Subshell is one core level of an element from the bundled element table
// (doc/algorithms.md 3.2): the table onset energy and the occupancy ratio
// (the (2j+1) share of a spin-orbit pair).
type Subshell struct {
	Element   string  // chemical symbol, e.g. "Fe"
	Z         int     // atomic number
	Name      string  // subshell: K1, L1, L2, L3, M1..M5, N1..N7, O1..O5, P1..P5, Q1
	Onset     float64 // edge onset, eV
	Occupancy float64 // occupancy ratio: 1 for s levels, 1/3 and 2/3 for p pairs, ...
}

// Shell returns the shell letter of the subshell ("L" for "L3").
func (s Subshell) Shell() string { return s.Name[:1] }

// Index returns the subshell number (3 for "L3").
func (s Subshell) Index() int { n, _ := strconv.Atoi(s.Name[1:]); return n }

var (
	tableOnce sync.Once
	bySymbol  map[string][]Subshell
	byZ       map[int]string
	tableErr  error
)

func loadTable() {
	tableOnce.Do(func() {
		bySymbol = map[string][]Subshell{}
		byZ = map[int]string{}
		r := csv.NewReader(strings.NewReader(elementCSV))
		rows, err := r.ReadAll()
		if err != nil {
			tableErr = fmt.Errorf("gos: embedded element table: %w", err)
			return
		}
		for _, row := range rows[1:] {
			z, err1 := strconv.Atoi(row[1])
			on, err2 := strconv.ParseFloat(row[3], 64)
			occ, err3 := strconv.ParseFloat(row[4], 64)
			if err1 != nil || err2 != nil || err3 != nil {
				tableErr = fmt.Errorf("gos: embedded element table: bad row %v", row)
				return
			}
			s := Subshell{Element: row[0], Z: z, Name: row[2], Onset: on, Occupancy: occ}
			bySymbol[s.Element] = append(bySymbol[s.Element], s)
			byZ[z] = s.Element
		}
	})
}

// Element returns the subshells of an element by chemical symbol
// (case-insensitive first letter handling: "fe" and "Fe" both work).
func Element(symbol string) ([]Subshell, error) {
	loadTable()
	if tableErr != nil {
		return nil, tableErr
	}
	sym := normalizeSymbol(symbol)
	s, ok := bySymbol[sym]
	if !ok {
		return nil, fmt.Errorf("gos: unknown element %q", symbol)
	}
	return s, nil
}

// AtomicNumber returns Z of an element symbol.
func AtomicNumber(symbol string) (int, error) {
	s, err := Element(symbol)
	if err != nil {
		return 0, err
	}
	return s[0].Z, nil
}

// Lookup returns one subshell of an element ("K" is accepted for "K1").
func Lookup(symbol, subshell string) (Subshell, error) {
	ss, err := Element(symbol)
	if err != nil {
		return Subshell{}, err
	}
	name := strings.ToUpper(subshell)
	if name == "K" {
		name = "K1"
	}
	for _, s := range ss {
		if s.Name == name {
			return s, nil
		}
	}
	return Subshell{}, fmt.Errorf("gos: element %s has no subshell %q in the element table", ss[0].Element, subshell)
}

// Elements returns all element symbols in order of Z.
func Elements() []string {
	loadTable()
	zs := make([]int, 0, len(byZ))
	for z := range byZ {
		zs = append(zs, z)
	}
	sort.Ints(zs)
	out := make([]string, len(zs))
	for i, z := range zs {
		out[i] = byZ[z]
	}
	return out
}

func normalizeSymbol(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// pairNames are the spin-orbit pairs a combined edge name may give.
var pairNames = map[string]bool{"23": true, "45": true, "67": true}

// ExpandEdge turns the edge name a user types into the subshells the
// combined edge sums, start subshell first (doc/algorithms.md 3.10): "K" is
// K1; a shell letter ("L", "M", "N", "O") is every subshell of that shell
// from the highest number present in the element table down to 1; a
// spin-orbit pair ("L23", "M45", "N45", "N67", ...) is its two subshells,
// the higher number first; a subshell name ("L3") is itself. The element table decides which
// subshells exist (the Kohl rule; the Zhang rule also tests the energy
// window, see ZhangStartSubshell).
func ExpandEdge(symbol, edge string) ([]Subshell, error) {
	ss, err := Element(symbol)
	if err != nil {
		return nil, err
	}
	e := strings.ToUpper(strings.TrimSpace(edge))
	switch {
	case e == "K" || e == "K1":
		s, err := Lookup(symbol, "K1")
		if err != nil {
			return nil, err
		}
		return []Subshell{s}, nil
	case len(e) == 1 && strings.Contains("LMNO", e):
		var out []Subshell
		for _, s := range ss {
			if s.Shell() == e {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("gos: element %s has no %s shell", ss[0].Element, e)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Index() > out[j].Index() })
		return out, nil
	case len(e) == 3 && strings.Contains("LMNO", e[:1]) && pairNames[e[1:]]:
		// A spin-orbit pair such as L23 or M45: its higher subshell first.
		var out []Subshell
		for _, d := range []string{e[2:], e[1:2]} {
			s, err := Lookup(symbol, e[:1]+d)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case len(e) >= 2:
		s, err := Lookup(symbol, e)
		if err != nil {
			return nil, err
		}
		return []Subshell{s}, nil
	}
	return nil, fmt.Errorf("gos: unknown edge %q (use K, L, M, N, O or a subshell such as L3)", edge)
}
