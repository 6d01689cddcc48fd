package gos

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// HSVersion identifies the numerics of the Hartree-Slater GOS (atom, grids,
// continuum, partial-wave sums). It is part of every disk-cache key and of
// the files `eelsh5 gos build` writes: change it whenever a computed table
// would change.
const HSVersion = "hs-1"

// Grids of the computed tables (doc/algorithms.md 3.13).
const (
	// HSEnergies free energies from 0 to HSMaxFreeEnergy, spaced as
	// 10 eV (exp(i s) - 1): 0.6 eV steps at the threshold, 6.6% of the
	// energy at the top.
	HSEnergies      = 90
	HSMaxFreeEnergy = 3000.0 // eV above the threshold
	// HSQPoints momentum transfers log-spaced from HSMinQ to HSMaxQ: beyond
	// q a0 = 17, the largest q of beta = 100 mrad at 300 kV.
	HSQPoints = 100
	HSMinQ    = 0.01 // 1/a0
	HSMaxQ    = 30.0 // 1/a0
	// Subshells with element-table onsets in [HSMinOnset, HSMaxOnset] eV
	// are computed.
	HSMinOnset = 5.0
	HSMaxOnset = 15000.0
	// hsThreshold is the free energy (eV) at which the first table row
	// (labelled 0) is computed.
	hsThreshold = 1e-3
)

// hsFreeEnergies returns the free energies (eV) of a computed table.
func hsFreeEnergies() []float64 {
	s := math.Log(1+HSMaxFreeEnergy/10) / float64(HSEnergies-1)
	out := make([]float64, HSEnergies)
	for i := range out {
		out[i] = 10 * (math.Exp(float64(i)*s) - 1)
	}
	out[HSEnergies-1] = HSMaxFreeEnergy
	return out
}

// hsMomenta returns the momentum transfers (1/a0) of a computed table.
func hsMomenta() []float64 {
	out := make([]float64, HSQPoints)
	s := math.Log(HSMaxQ/HSMinQ) / float64(HSQPoints-1)
	for i := range out {
		out[i] = HSMinQ * math.Exp(float64(i)*s)
	}
	return out
}

// hsTableNames maps l to the table suffix: spin-orbit partners share one
// table as in the DFT files (doc/algorithms.md 3.6).
var hsTableSuffix = []string{"1", "23", "45", "67"}

// hsShells are the shell letters of n = 1..7.
const hsShells = "KLMNOPQ"

// hsTableName returns the table of orbital n, l ("L23" for 2p).
func hsTableName(n, l int) string {
	if n < 1 || n > len(hsShells) || l >= len(hsTableSuffix) {
		return ""
	}
	return hsShells[n-1:n] + hsTableSuffix[l]
}

// hsOrbitalOf parses a table name into n, l.
func hsOrbitalOf(name string) (n, l int, ok bool) {
	if len(name) < 2 {
		return 0, 0, false
	}
	n = strings.IndexByte(hsShells, name[0]) + 1
	for i, s := range hsTableSuffix {
		if name[1:] == s {
			return n, i, n > 0 && i < n
		}
	}
	return 0, 0, false
}

// hsSubshells returns the element-table subshells a table serves (L23:
// L2 and L3).
func hsSubshells(name string) []string {
	n, l, ok := hsOrbitalOf(name)
	if !ok {
		return nil
	}
	sh := hsShells[n-1 : n]
	if l == 0 {
		if n == 1 {
			return []string{"K1"}
		}
		return []string{sh + "1"}
	}
	return []string{fmt.Sprintf("%s%d", sh, 2*l), fmt.Sprintf("%s%d", sh, 2*l+1)}
}

// HSDatabase is the in-process Hartree-Slater GOS as a Database of DFT
// kind (one table per nl, L23, M45, ...): each table is computed on first
// use from the self-consistent atom (HSAtom) and kept in memory, and, when
// a cache directory is set, on disk under a content-addressed name. It is
// safe for concurrent use.
type HSDatabase struct {
	cacheDir string
	mu       sync.Mutex
	tabs     map[string]*hsEntry
	// CacheErr records the last failure to write the disk cache (never
	// fatal: the table is returned anyway).
	CacheErr error
}

type hsEntry struct {
	once sync.Once
	tab  *Table
	err  error
}

// NewHSDatabase returns the computed GOS database; cacheDir ("" for none)
// is the disk cache, e.g. <user cache dir>/eelsh5/gos-hs.
func NewHSDatabase(cacheDir string) *HSDatabase {
	return &HSDatabase{cacheDir: cacheDir, tabs: map[string]*hsEntry{}}
}

// HS returns the "hs" source: Hartree-Slater GOS computed in-process for
// every occupied subshell of Z = 1..92 with an onset of 5 eV to 15 keV,
// cached on disk in cacheDir ("" for memory only).
func HS(cacheDir string) *TableSource { return NewTableSource("hs", NewHSDatabase(cacheDir)) }

// Path implements Database.
func (d *HSDatabase) Path() string {
	return "Hartree-Slater GOS computed by eelsh5 (" + HSVersion + ", doc/algorithms.md 3.13)"
}

// DOI implements Database.
func (d *HSDatabase) DOI() string { return "" }

// Kind implements Database: spin-orbit partners share a table.
func (d *HSDatabase) Kind() DatabaseKind { return DFT }

// EdgesInfo implements Database (the DFT pairing rule applies).
func (d *HSDatabase) EdgesInfo() map[string]EdgeInfo { return nil }

// Elements implements Database: H to U.
func (d *HSDatabase) Elements() ([]string, error) {
	els := Elements()
	if len(els) > 92 {
		els = els[:92]
	}
	return els, nil
}

// Tables implements Database: the tables of the occupied subshells whose
// element-table onsets lie in [HSMinOnset, HSMaxOnset].
func (d *HSDatabase) Tables(element string) ([]string, error) {
	z, err := AtomicNumber(element)
	if err != nil {
		return nil, err
	}
	orbs, err := GroundConfiguration(z)
	if err != nil {
		return nil, fmt.Errorf("gos: element %s: %w", element, ErrNotInDatabase)
	}
	var out []string
	for _, o := range orbs {
		name := hsTableName(o.N, o.L)
		if _, ok := hsOnset(element, name); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// hsOnset returns the occupancy-weighted element-table onset (eV) of the
// subshells of a table, and whether the table is covered.
func hsOnset(element, name string) (float64, bool) {
	var on, w float64
	for _, s := range hsSubshells(name) {
		sub, err := Lookup(element, s)
		if err != nil {
			continue
		}
		on += sub.Occupancy * sub.Onset
		w += sub.Occupancy
	}
	if w == 0 {
		return 0, false
	}
	on /= w
	return on, on >= HSMinOnset && on <= HSMaxOnset
}

// Table implements Database: computed, or read from the disk cache.
func (d *HSDatabase) Table(element, name string) (*Table, error) {
	sym := normalizeSymbol(element)
	key := sym + "/" + name
	d.mu.Lock()
	e, ok := d.tabs[key]
	if !ok {
		e = &hsEntry{}
		d.tabs[key] = e
	}
	d.mu.Unlock()
	e.once.Do(func() { e.tab, e.err = d.load(sym, name) })
	if e.err != nil {
		return nil, e.err
	}
	return e.tab, nil
}

// HSCacheKey returns the content address of a table: the SHA-256 of the
// element, table, grids and HSVersion.
func HSCacheKey(element, name string) string {
	h := sha256.New()
	fmt.Fprintf(h, "eelsh5 Hartree-Slater GOS\n%s\nelement %s\ntable %s\n", HSVersion, element, name)
	fmt.Fprintf(h, "radial grid %g %g %g\nenergies %d %g\nq %d %g %g\nthreshold %g\nlmax %d %g\n",
		hsGridX0Z, hsGridH, hsGridMax, HSEnergies, HSMaxFreeEnergy, HSQPoints, HSMinQ, HSMaxQ, hsThreshold, hsMaxLFinal, hsLConverged)
	return hex.EncodeToString(h.Sum(nil))
}

// CachePath returns the disk-cache file of a table ("" without a cache
// directory).
func (d *HSDatabase) CachePath(element, name string) string {
	if d.cacheDir == "" {
		return ""
	}
	return filepath.Join(d.cacheDir, HSCacheKey(normalizeSymbol(element), name)+".gos")
}

func (d *HSDatabase) load(sym, name string) (*Table, error) {
	z, err := AtomicNumber(sym)
	if err != nil {
		return nil, err
	}
	if z > 92 {
		return nil, fmt.Errorf("gos: table %s/%s: %w (the Hartree-Slater source covers Z = 1..92)", sym, name, ErrNotInDatabase)
	}
	n, l, ok := hsOrbitalOf(name)
	if !ok {
		return nil, fmt.Errorf("gos: table %s/%s: %w", sym, name, ErrNotInDatabase)
	}
	onset, covered := hsOnset(sym, name)
	if !covered {
		return nil, fmt.Errorf("gos: table %s/%s: %w (onset outside %g..%g eV or not in the element table)", sym, name, ErrNotInDatabase, HSMinOnset, HSMaxOnset)
	}
	key, path := HSCacheKey(sym, name), ""
	if d.cacheDir != "" {
		path = filepath.Join(d.cacheDir, key+".gos") // CachePath, the key computed once
	}
	if path != "" {
		if t, err := readHSCache(path, key); err == nil {
			return t, nil
		}
	}
	t, err := ComputeHSTable(z, n, l, onset)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := writeHSCache(path, key, t); err != nil {
			d.mu.Lock()
			d.CacheErr = err
			d.mu.Unlock()
		}
	}
	return t, nil
}

// ComputeHSTable computes the GOS table of orbital n, l of element Z in
// its ground-state atom, with onset (eV) the ionisation energy of the
// energy-loss prefactor (the computed eigenvalue when onset <= 0). The
// table holds the whole subshell (all its electrons); GOS in 1/eV, q in
// 1/m, free energies in eV; IonizationEnergy is minus the eigenvalue.
func ComputeHSTable(z, n, l int, onset float64) (*Table, error) {
	atom, err := HSAtom(z)
	if err != nil {
		return nil, err
	}
	k := -1
	for i, o := range atom.Orbitals {
		if o.N == n && o.L == l {
			k = i
		}
	}
	sym := "?"
	if els := Elements(); z >= 1 && z <= len(els) {
		sym = els[z-1]
	}
	name := hsTableName(n, l)
	if k < 0 {
		return nil, fmt.Errorf("gos: table %s/%s: %w (the subshell is empty in the ground state)", sym, name, ErrNotInDatabase)
	}
	orb := atom.Orbitals[k]
	freeEV, q := hsFreeEnergies(), hsMomenta()
	g, err := hsGOS(atom, k, onset, freeEV, q)
	if err != nil {
		return nil, fmt.Errorf("gos: table %s/%s: %w", sym, name, err)
	}
	t := &Table{Element: sym, Name: name, Q: make([]float64, len(q)), FreeEnergies: freeEV, GOS: g,
		IonizationEnergy: -orb.Eigenvalue, OnsetGuess: math.NaN()}
	for i, v := range q {
		t.Q[i] = v / BohrRadius
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("gos: computed %w", err)
	}
	return t, nil
}

// hsGOS returns df/dE (1/eV), [E][q], of orbital k of atom at the free
// energies freeEV (eV; those below hsThreshold are computed at it) and
// momentum transfers q (1/a0), with onset (eV) the ionisation energy of the
// energy-loss prefactor (the eigenvalue when onset <= 0).
func hsGOS(atom *Atom, k int, onset float64, freeEV, q []float64) ([]float64, error) {
	orb := atom.Orbitals[k]
	binding := onset / hartree
	if onset <= 0 {
		binding = -orb.Eigenvalue / hartree
	}
	free := make([]float64, len(freeEV))
	for i, e := range freeEV {
		free[i] = math.Max(e, hsThreshold) / hartree
	}
	p := &gosProblem{field: atom.field(), bound: atom.p[k], l: orb.L, electrons: orb.Occupancy, binding: binding, free: free, q: q}
	g, err := p.compute()
	if err != nil {
		return nil, err
	}
	for i := range g {
		g[i] /= hartree // 1/hartree -> 1/eV
	}
	return g, nil
}

// field returns the atom's self-consistent potential.
func (a *Atom) field() *centralField {
	return &centralField{grid: a.grid, rV: a.rV, z: float64(a.Z), zion: 1, rTail: a.rTail}
}

// Disk-cache file: magic, then the key, the element, the table name (each
// a little-endian uint32 length and the bytes), the ionisation energy and
// the arrays Q, FreeEnergies and GOS (a uint32 length and little-endian
// float64 values), then a checksum of everything before it: in version 2
// the CRC-32C (Castagnoli) as a little-endian uint32, which the CPU
// computes at several GB/s; in version 1, still read, its SHA-256.
const (
	hsCacheMagic   = "eelsh5-hs-gos 2\n"
	hsCacheMagicV1 = "eelsh5-hs-gos 1\n"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeHSCache returns the body of a cache entry (everything but the
// magic and the checksum).
func encodeHSCache(key string, t *Table) []byte {
	b := make([]byte, 0, 64+len(key)+8*(len(t.Q)+len(t.FreeEnergies)+len(t.GOS)))
	for _, str := range []string{key, t.Element, t.Name} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(str)))
		b = append(b, str...)
	}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(t.IonizationEnergy))
	for _, a := range [][]float64{t.Q, t.FreeEnergies, t.GOS} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(a)))
		for _, v := range a {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
}

func writeHSCache(path, key string, t *Table) error {
	body := encodeHSCache(key, t)
	out := make([]byte, 0, len(hsCacheMagic)+len(body)+4)
	out = append(out, hsCacheMagic...)
	out = append(out, body...)
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("gos: could not create the GOS cache directory: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("gos: could not write the GOS cache: %w", err)
	}
	_, err = f.Write(out)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("gos: could not write the GOS cache %q: %w", path, err)
	}
	return nil
}

var errBadCache = errors.New("gos: corrupt GOS cache entry")

// readHSCache reads a cache entry of either version; one that is not
// exactly an entry of key with a valid table is errBadCache.
func readHSCache(path, key string) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var body []byte
	switch {
	case len(data) >= len(hsCacheMagic)+4 && string(data[:len(hsCacheMagic)]) == hsCacheMagic:
		n := len(data) - 4
		if crc32.Checksum(data[:n], castagnoli) != binary.LittleEndian.Uint32(data[n:]) {
			return nil, errBadCache
		}
		body = data[len(hsCacheMagic):n]
	case len(data) >= len(hsCacheMagicV1)+sha256.Size && string(data[:len(hsCacheMagicV1)]) == hsCacheMagicV1:
		n := len(data) - sha256.Size
		if s := sha256.Sum256(data[:n]); !bytes.Equal(s[:], data[n:]) {
			return nil, errBadCache
		}
		body = data[len(hsCacheMagicV1):n]
	default:
		return nil, errBadCache
	}
	return decodeHSCache(body, key)
}

// decodeHSCache decodes the body of a cache entry of key.
func decodeHSCache(body []byte, key string) (*Table, error) {
	u32 := func() (int, bool) {
		if len(body) < 4 {
			return 0, false
		}
		n := binary.LittleEndian.Uint32(body)
		body = body[4:]
		return int(n), true
	}
	str := func() (string, bool) {
		n, ok := u32()
		if !ok || n > len(body) {
			return "", false
		}
		s := string(body[:n])
		body = body[n:]
		return s, true
	}
	arr := func() ([]float64, bool) {
		n, ok := u32()
		if !ok || n > len(body)/8 {
			return nil, false
		}
		a := make([]float64, n)
		for i := range a {
			a[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
		}
		body = body[8*n:]
		return a, true
	}
	t := &Table{OnsetGuess: math.NaN()}
	k, ok := str()
	if !ok || k != key {
		return nil, errBadCache
	}
	if t.Element, ok = str(); !ok {
		return nil, errBadCache
	}
	if t.Name, ok = str(); !ok {
		return nil, errBadCache
	}
	if len(body) < 8 {
		return nil, errBadCache
	}
	t.IonizationEnergy = math.Float64frombits(binary.LittleEndian.Uint64(body))
	body = body[8:]
	for _, dst := range []*[]float64{&t.Q, &t.FreeEnergies, &t.GOS} {
		if *dst, ok = arr(); !ok {
			return nil, errBadCache
		}
	}
	if len(body) != 0 || t.Validate() != nil {
		return nil, errBadCache
	}
	return t, nil
}

// EdgeTables returns the tables an edge of element needs (each once, in
// the order of ExpandEdge) and, per subshell, its table and element-table
// occupancy ratio (the edges_info of a GOSH file). Subshells the source
// does not cover are left out; none covered is an error wrapping
// ErrNotInDatabase.
func (d *HSDatabase) EdgeTables(element, edge string) ([]*Table, map[string]EdgeInfo, error) {
	sym := normalizeSymbol(element)
	subs, err := ExpandEdge(sym, edge)
	if err != nil {
		return nil, nil, err
	}
	info := map[string]EdgeInfo{}
	var tabs []*Table
	seen := map[string]bool{}
	for _, s := range subs {
		name := dftTableName(s.Name)
		t, err := d.Table(sym, name)
		if errors.Is(err, ErrNotInDatabase) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		key := s.Name
		if key == "K1" {
			key = "K"
		}
		info[key] = EdgeInfo{Table: name, Occupancy: s.Occupancy}
		if !seen[name] {
			seen[name] = true
			tabs = append(tabs, t)
		}
	}
	if len(tabs) == 0 {
		return nil, nil, fmt.Errorf("gos: the Hartree-Slater source has no table for %s %s: %w", sym, strings.ToUpper(edge), ErrNotInDatabase)
	}
	return tabs, info, nil
}
