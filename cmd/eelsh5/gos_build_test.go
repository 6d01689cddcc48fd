package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
)

// gos build writes a GOSH file of the Hartree-Slater tables of an edge;
// read back as a table source it gives the same cross section as --gos hs;
// the table is cached on disk (a second build reads it); an existing
// output needs --overwrite; a bad edge is a usage error.
func TestGOSBuild(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EELSH5_CACHE_DIR", filepath.Join(dir, "cache"))
	out := filepath.Join(dir, "ti.gosh")
	_, errs, code := eelsh5(t, "gos", "build", "--element", "Ti", "--edge", "L3", "-o", out)
	if code != 0 || !strings.Contains(errs, "Ti/L23") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	g, err := h5io.OpenGOSH(out, gos.DFT)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := g.Table("Ti", "L23")
	g.Close()
	if err != nil || len(tab.FreeEnergies) != gos.HSEnergies || len(tab.Q) != gos.HSQPoints {
		t.Fatalf("table: %v", err)
	}
	cached, _ := filepath.Glob(filepath.Join(dir, "cache", "gos-hs", "*.gos"))
	if len(cached) != 1 {
		t.Errorf("cache holds %v", cached)
	}
	xs := []string{"xsec", "--element", "Ti", "--edge", "L3", "--E0", "300e3", "--beta", "20e-3", "--range", "450:1200:25"}
	fromFile, errs, code := eelsh5(t, append(xs, "--gos", "kohl", "--gos-file", out)...)
	if code != 0 {
		t.Fatalf("xsec from the file: exit %d %s", code, errs)
	}
	computed, errs, code := eelsh5(t, append(xs, "--gos", "hs")...)
	if code != 0 {
		t.Fatalf("xsec --gos hs: exit %d %s", code, errs)
	}
	data := func(s string) string { return s[strings.Index(s, "energy_eV,barn_per_eV"):] }
	if data(fromFile) != data(computed) {
		t.Errorf("the file and the source differ:\n%s\n%s", data(fromFile), data(computed))
	}
	if strings.Count(data(computed), ",0\n") > 1 {
		t.Errorf("empty cross section:\n%s", computed)
	}
	if _, errs, code = eelsh5(t, "gos", "build", "--element", "Ti", "--edge", "L3", "-o", out); code != 1 || !strings.Contains(errs, "--overwrite") {
		t.Errorf("existing output: exit %d %s", code, errs)
	}
	if _, errs, code = eelsh5(t, "gos", "build", "--element", "Ti", "--edge", "L3", "-o", out, "--overwrite"); code != 0 {
		t.Errorf("--overwrite: exit %d %s", code, errs)
	}
	if _, errs, code = eelsh5(t, "gos", "build", "--element", "Ti", "--edge", "Q7", "-o", filepath.Join(dir, "x.gosh")); code != 2 {
		t.Errorf("bad edge: exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.gosh")); err == nil {
		t.Error("a file was written for a bad edge")
	}
}

// gos list reports the Hartree-Slater coverage of every element Z = 3..92.
func TestGOSListHS(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/nonexistent/config")
	t.Setenv("EELSH5_GOS_DIR", "")
	out, errs, code := eelsh5(t, "gos", "list")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	sec := out[strings.Index(out, "\nhs "):]
	sec = sec[:strings.Index(sec, "\nkohl")]
	lines := strings.Split(strings.TrimSpace(sec), "\n")[1:]
	if len(lines) != 90 {
		t.Errorf("%d elements listed, want 90 (Li..U)", len(lines))
	}
	for _, want := range []string{"    Li  K1 L1", "    Ti  K1 L1 L2 L3 M1 M2 M3 M4 M5 N1", "    U   M1 M2 M3 M4 M5 N1 N2 N3 N4 N5 N6 N7"} {
		if !strings.Contains(sec, want) {
			t.Errorf("no %q in\n%s", want, sec)
		}
	}
}
