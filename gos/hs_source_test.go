package gos

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// The disk cache: a miss computes and writes the entry; a new database
// reads it back to the bit; a corrupt entry (one byte flipped, truncated,
// or another key) is recomputed and rewritten; an unwritable cache is no
// error (CacheErr records it).
func TestHSDiskCache(t *testing.T) {
	dir := t.TempDir()
	d1 := NewHSDatabase(dir)
	a, err := d1.Table("C", "K1")
	if err != nil {
		t.Fatal(err)
	}
	path := d1.CachePath("C", "K1")
	if filepath.Dir(path) != dir || !strings.HasSuffix(path, HSCacheKey("C", "K1")+".gos") {
		t.Fatalf("cache path %q", path)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	read := func() (*Table, error) { return readHSCache(path, HSCacheKey("C", "K1")) }
	b, err := read()
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y *Table) bool {
		if len(x.GOS) != len(y.GOS) || x.IonizationEnergy != y.IonizationEnergy || x.Name != y.Name || x.Element != y.Element {
			return false
		}
		for i := range x.GOS {
			if x.GOS[i] != y.GOS[i] {
				return false
			}
		}
		for i := range x.Q {
			if x.Q[i] != y.Q[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Fatal("the cached table differs from the computed one")
	}
	if _, err := readHSCache(path, HSCacheKey("N", "K1")); err == nil {
		t.Error("an entry was accepted under another key")
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 1
	for name, content := range map[string][]byte{"flipped": flipped, "truncated": good[:len(good)/3], "empty": nil, "text": []byte("not a table")} {
		os.WriteFile(path, content, 0o644)
		if _, err := read(); err == nil {
			t.Fatalf("%s entry accepted", name)
		}
		if name != "flipped" {
			continue // one recomputation is enough for the test's time
		}
		c, err := NewHSDatabase(dir).Table("C", "K1")
		if err != nil || !same(a, c) {
			t.Fatalf("%s entry: %v", name, err)
		}
		if _, err := read(); err != nil {
			t.Errorf("%s entry not rewritten: %v", name, err)
		}
	}
	// An unwritable cache: the table is still returned.
	ro := filepath.Join(dir, "file")
	os.WriteFile(ro, nil, 0o644)
	d2 := NewHSDatabase(filepath.Join(ro, "sub")) // a directory under a file
	if _, err := d2.Table("Li", "K1"); err != nil {
		t.Fatal(err)
	}
	if d2.CacheErr == nil {
		t.Error("no cache error recorded")
	}
	if k1, k2 := HSCacheKey("C", "K1"), HSCacheKey("C", "L1"); k1 == k2 || len(k1) != 64 {
		t.Errorf("keys %s %s", k1, k2)
	}
}

// writeHSCacheV1 is writeHSCache as it was in version 1 of the entries
// (binary.Write of each field, a trailing SHA-256), kept to check that such
// entries are still read.
func writeHSCacheV1(path, key string, t *Table) error {
	var b bytes.Buffer
	b.WriteString(hsCacheMagicV1)
	put := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	put(uint32(len(key)))
	b.WriteString(key)
	put(uint32(len(t.Element)))
	b.WriteString(t.Element)
	put(uint32(len(t.Name)))
	b.WriteString(t.Name)
	put(t.IonizationEnergy)
	for _, a := range [][]float64{t.Q, t.FreeEnergies, t.GOS} {
		put(uint32(len(a)))
		put(a)
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// Cache entries of both versions: version 2 (CRC-32C) as written now and
// version 1 (SHA-256) as written before are read back to the bit; changing
// any single byte of either (every 211th byte, and each of the first and
// last 16), cutting the last byte or appending one makes the entry corrupt.
func TestHSDiskCacheVersions(t *testing.T) {
	dir := t.TempDir()
	tab, err := testHS.Table("N", "K1")
	if err != nil {
		t.Fatal(err)
	}
	key := HSCacheKey("N", "K1")
	for _, v := range []struct {
		name  string
		write func(path, key string, t *Table) error
	}{{"version 2", writeHSCache}, {"version 1", writeHSCacheV1}} {
		path := filepath.Join(dir, v.name+".gos")
		if err := v.write(path, key, tab); err != nil {
			t.Fatal(err)
		}
		got, err := readHSCache(path, key)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if got.Element != tab.Element || got.Name != tab.Name || math.Float64bits(got.IonizationEnergy) != math.Float64bits(tab.IonizationEnergy) {
			t.Fatalf("%s: read %s %s %v, wrote %s %s %v", v.name, got.Element, got.Name, got.IonizationEnergy, tab.Element, tab.Name, tab.IonizationEnergy)
		}
		sameBits(t, v.name+" Q", got.Q, tab.Q)
		sameBits(t, v.name+" energies", got.FreeEnergies, tab.FreeEnergies)
		sameBits(t, v.name+" GOS", got.GOS, tab.GOS)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := func(what string, content []byte) {
			t.Helper()
			os.WriteFile(path, content, 0o644)
			if _, err := readHSCache(path, key); !errors.Is(err, errBadCache) {
				t.Fatalf("%s, %s: error %v, want a corrupt entry", v.name, what, err)
			}
		}
		for i := range good {
			if i%211 != 0 && i >= 16 && i < len(good)-16 {
				continue
			}
			c := slices.Clone(good)
			c[i] ^= 0x10
			bad("byte "+strconv.Itoa(i)+" changed", c)
		}
		bad("last byte cut", good[:len(good)-1])
		bad("a byte appended", append(slices.Clone(good), 0))
	}
}

// The hs source through the table path: subshells, tables and occupancies
// of combined edges, pairs and single subshells; uncovered tables
// skipped; Covers lists tables; positive cross sections from the onset.
func TestHSSourceEdges(t *testing.T) {
	if src := HS(""); src.Name() != "hs" || !strings.Contains(src.Reference(), HSVersion) {
		t.Errorf("name %q reference %q", src.Name(), src.Reference())
	}
	src := NewTableSource("hs", testHS) // tables shared with the other tests
	ax := multispectrum.EnergyAxis{Offset: 400, Dispersion: 1, Size: 800}
	for _, c := range []struct {
		el, edge string
		want     string
	}{
		{"Ti", "L", "L3:L23:0.667 L2:L23:0.333 L1:L1:1"},
		{"Ti", "L23", "L3:L23:0.667 L2:L23:0.333"},
		{"Ti", "l3", "L3:L23:0.667"},
		{"O", "K", "K1:K1:1"},
	} {
		e, err := src.Edge(c.el, c.edge, ax, 0)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, p := range e.Parts {
			parts = append(parts, p.Subshell+":"+p.Table+":"+strings.TrimRight(strings.TrimRight(fmtG(p.Occupancy), "0"), "."))
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("%s %s: parts %s, want %s", c.el, c.edge, got, c.want)
		}
		sig := e.CrossSection(nil, ax, Setup{E0: 300e3, Beta: 20e-3})
		on := int(e.Onset - ax.Offset)
		for i, v := range sig {
			if i <= on && v != 0 || i > on+1 && !(v > 0) || math.IsNaN(v) {
				t.Fatalf("%s %s: sigma[%d eV] = %g (onset %g)", c.el, c.edge, i+400, v, e.Onset)
			}
		}
	}
	// U N edge: N7..N1, each table once.
	db := testHS
	tabs, info, err := db.EdgeTables("U", "N67")
	if err != nil || len(tabs) != 1 || tabs[0].Name != "N67" || info["N6"].Table != "N67" || info["N7"].Occupancy != 4.0/7 {
		t.Errorf("U N67: %v %v", err, info)
	}
	if _, err := db.Table("Fe", "M67"); !errors.Is(err, ErrNotInDatabase) {
		t.Errorf("empty 4f of Fe: %v", err)
	}
	if _, err := db.Table("U", "K1"); !errors.Is(err, ErrNotInDatabase) {
		t.Errorf("U K (115 keV): %v", err)
	}
	cov, err := src.Covers()
	if err != nil || len(cov) != 92 || strings.Join(cov["Fe"], " ") != "K1 L1 L23 M1 M23 M45 N1" {
		t.Errorf("covers: %v %v", err, cov["Fe"])
	}
}

func fmtG(v float64) string { return strconvFormat(v) }

func strconvFormat(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
