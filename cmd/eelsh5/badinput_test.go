package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// makeFile writes a small processing file with the given cubes.
func makeFile(t *testing.T, path string, inst multispectrum.Instrument, core, low *multispectrum.Cube) {
	t.Helper()
	f, err := h5io.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.InitProcessingFile("bad input", "test", inst, testNow); err != nil {
		t.Fatal(err)
	}
	for p, c := range map[string]*multispectrum.Cube{h5io.CoreLossPath: core, h5io.LowLossPath: low} {
		if c == nil {
			continue
		}
		d, err := f.CreateCube(p, h5io.CubeSpec{NY: c.NY, NX: c.NX, Axis: c.Axis})
		if err != nil {
			t.Fatal(err)
		}
		d.WriteRegion(c.Bounds(), c.Data)
		d.Close()
	}
}

// TestBadInput runs every bad input of issues 9 and 15 and prints the table
// kept in the README: each gets a one-line error (or, for bad pixels, a
// per-pixel status) and leaves the input unchanged.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.nxs")
	if _, errs, code := eelsh5(t, "simulate", good, "--size", "6", "-q"); code != 0 {
		t.Fatal(errs)
	}
	f, _ := h5io.Open(good)
	core, _ := f.ReadCube(h5io.CoreLossPath)
	low, _ := f.ReadCube(h5io.LowLossPath)
	f.Close()
	inst := multispectrum.Instrument{BeamEnergy: 300e3, Convergence: 1e-9, Collection: 20e-3, DwellTime: math.NaN()}
	file := func(name string, mod func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument)) string {
		p := filepath.Join(dir, name)
		c2 := &multispectrum.Cube{Array: multispectrum.Array{NY: core.NY, NX: core.NX, Width: core.Width, Data: append([]float64{}, core.Data...)}, Axis: core.Axis}
		l2 := &multispectrum.Cube{Array: multispectrum.Array{NY: low.NY, NX: low.NX, Width: low.Width, Data: append([]float64{}, low.Data...)}, Axis: low.Axis}
		c3, l3, in := mod(c2, l2)
		makeFile(t, p, in, c3, l3)
		return p
	}
	same := func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument) {
		return c, l, inst
	}
	plain := file("plain.nxs", same)
	nanData := file("nan.nxs", func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument) {
		c.Pixel(1, 1)[500] = math.NaN()
		c.Pixel(2, 2)[300] = math.Inf(1)
		for i := range c.Pixel(3, 3) {
			c.Pixel(3, 3)[i] -= 2000 // negative counts
		}
		return c, l, inst
	})
	noE0 := file("noE0.nxs", func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument) {
		in := inst
		in.BeamEnergy = math.NaN()
		return c, l, in
	})
	shape := file("shape.nxs", func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument) {
		return c, rescan(l, 3, 12), inst
	})
	disp := file("disp.nxs", func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument) {
		l.Axis.Dispersion = 0.25
		return c, l, inst
	})
	noCore := file("nocore.nxs", func(c, l *multispectrum.Cube) (*multispectrum.Cube, *multispectrum.Cube, multispectrum.Instrument) {
		return nil, l, inst
	})
	newer := file("newer.nxs", same)
	if g, err := h5io.OpenWritable(newer); err == nil {
		g.SetStringAttr("/", "file_format_version", "2.0")
		g.Close()
	}
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not hdf5"), 0o644)
	fitArgs := []string{"--elements", "C,N,O,Fe", "--edges", "K,K,K,L"}
	msaFile := filepath.Join(dir, "hl.msa")
	copyFile(t, fixtures+"hl.msa", msaFile)
	figs := filepath.Join(dir, "figs")
	os.MkdirAll(figs, 0o755)
	os.WriteFile(filepath.Join(figs, "spectrum.png"), []byte("an earlier figure"), 0o644)

	type tc struct {
		what, file string
		args       []string
		code       int
		want       string
		check      func(t *testing.T)
	}
	cases := []tc{
		{"missing file", "", []string{"info", filepath.Join(dir, "nope.nxs")}, 1, "no such file", nil},
		{"not an HDF5 file", "", []string{"info", text}, 1, "is not an HDF5 file", nil},
		{"HDF5 file that is not a processing file", "", append([]string{"fit", "../../testdata/synthetic_dft.gosh"}, fitArgs...), 1, "not an eelsh5 processing file", nil},
		{"file written by a newer eelsh5", newer, append([]string{"fit", newer}, fitArgs...), 1, "written by a newer eelsh5", nil},
		{"no core-loss cube", noCore, append([]string{"fit", noCore}, fitArgs...), 1, "has no spectrum image", nil},
		{"NaN/Inf or negative values in the data", nanData, append([]string{"fit", nanData, "--step", "f"}, fitArgs...), 0, "", func(t *testing.T) {
			g, _ := h5io.Open(nanData)
			defer g.Close()
			st, _ := g.ReadMap("/entry/f/status/status")
			if st.Pixel(1, 1)[0] != 1 || st.Pixel(2, 2)[0] != 1 || st.Pixel(0, 0)[0] != 0 {
				t.Errorf("status map %v", st.Data)
			}
		}},
		{"E0 unknown (NaN in the metadata)", noE0, append([]string{"fit", noE0}, fitArgs...), 2, "E0 is not known: give --E0", nil},
		{"core-loss and low-loss scans differ", shape, append([]string{"fit", shape}, fitArgs...), 1, "the low loss is 3x12 but the core loss 6x6", nil},
		{"core-loss and low-loss dispersions differ", disp, append([]string{"fit", disp}, fitArgs...), 1, "low-loss dispersion 0.25 eV differs from the core-loss dispersion 0.5 eV", nil},
		{"unknown element", plain, []string{"fit", plain, "--elements", "C,Xx", "--edges", "K,K"}, 2, "unknown element \"Xx\"", nil},
		{"unknown edge", plain, []string{"fit", plain, "--elements", "C", "--edges", "Q"}, 2, "unknown edge \"Q\"", nil},
		{"edge outside the energy window", plain, append([]string{"fit", plain, "--window", "205:600"}, fitArgs...), 2, "lies outside the fit window", nil},
		{"E0 out of range (kV given)", plain, append([]string{"fit", plain, "--E0", "300"}, fitArgs...), 2, "give it in volts", nil},
		{"beta out of range (mrad given)", plain, append([]string{"fit", plain, "--beta", "20"}, fitArgs...), 2, "give it in radians", nil},
		{"alpha out of range", plain, append([]string{"fit", plain, "--alpha", "0.9"}, fitArgs...), 2, "convergence semi-angle", nil},
		{"GOS table missing", plain, append([]string{"fit", plain, "--gos", "zhang"}, fitArgs...), 1, "download it from doi:10.5281/zenodo.11199911 and put it in /nonexistent/config/eelsh5/gos (or set EELSH5_GOS_DIR, or pass --gos-file); or use --gos hydrogenic, which needs no file", nil},
		{"GOS table corrupt", plain, append([]string{"fit", plain, "--gos", "kohl", "--gos-file", text}, fitArgs...), 1, "is not an HDF5 file", nil},
		{"step exists", good, []string{"simulate", good, "-q"}, 1, "use --overwrite", nil},
		{"unknown command or flag", "", []string{"fit", plain, "--colour", "red"}, 2, "unknown flag --colour", nil},
		{"instrument file (EMSA/MSA) instead of a processing file", msaFile, append([]string{"quant", msaFile}, fitArgs...), 1,
			"is not an HDF5 file but an EMSA/MSA file: make a processing file from it with 'eelsh5 import", nil},
		{"quant --plots into a directory holding figures", plain, append([]string{"quant", plain, "--plots", figs}, fitArgs...), 1,
			"the figure spectrum.png exists there (use --overwrite-plots", nil},
	}
	t.Setenv("EELSH5_GOS_DIR", dir)
	t.Setenv("XDG_CONFIG_HOME", "/nonexistent/config")
	var table bytes.Buffer
	fmt.Fprintln(&table, "| bad input | eelsh5 answers (exit code: message) |")
	fmt.Fprintln(&table, "|---|---|")
	for _, c := range cases {
		var before []byte
		if c.file != "" {
			before, _ = os.ReadFile(c.file)
		}
		_, errs, code := eelsh5(t, c.args...)
		msg := strings.TrimSpace(strings.SplitN(errs, "\n", 2)[0])
		if c.code == 0 {
			msg = "per-pixel status 1 (non-finite data) for the NaN/Inf pixels; negative counts fitted (weights 1/max(y,1))"
		}
		fmt.Fprintf(&table, "| %s | %d: %s |\n", c.what, code, strings.ReplaceAll(strings.ReplaceAll(msg, dir+"/", ""), "|", "\\|"))
		if code != c.code || (c.want != "" && !strings.Contains(errs, c.want)) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.what, code, errs, c.code, c.want)
		}
		if c.code != 0 && strings.Count(strings.TrimSuffix(errs, "Run '"+strings.Join(c.args[:1], "")+" --help' for usage.\n"), "\n") > 2 {
			t.Errorf("%s: error is not one line: %q", c.what, errs)
		}
		if c.file != "" && c.code != 0 {
			if after, _ := os.ReadFile(c.file); !bytes.Equal(before, after) {
				t.Errorf("%s: the input file changed", c.what)
			}
		}
		if c.check != nil {
			c.check(t)
		}
	}
	// Disk full: a file-size limit makes writes fail (EFBIG, as ENOSPC).
	if _, err := exec.LookPath("bash"); err == nil {
		out := filepath.Join(dir, "full.nxs")
		cmd := exec.Command("bash", "-c", "ulimit -f 2000; exec \"$0\" simulate \"$1\" --size 64 -q", os.Args[0], out)
		cmd.Env = append(os.Environ(), "EELSH5_TEST_CLI=1")
		b, err := cmd.CombinedOutput()
		_, statErr := os.Stat(out)
		_, partErr := os.Stat(filepath.Join(dir, ".full.nxs.partial"))
		if err == nil || !strings.Contains(string(b), "disk full?") || statErr == nil || partErr == nil {
			t.Errorf("disk full: %v %q (output exists %v, partial exists %v)", err, b, statErr == nil, partErr == nil)
		}
		fmt.Fprintf(&table, "| disk full during simulate (file-size limit) | 1: %s; no output or temporary file left |\n", strings.TrimSpace(strings.ReplaceAll(string(b), dir+"/", "")))
	}
	// A second writer while a fit runs: refused by HDF5 file locking.
	busy := filepath.Join(dir, "busy.nxs")
	copyFile(t, good, busy)
	holder := exec.Command(os.Args[0])
	holder.Env = append(os.Environ(), "EELSH5_TEST_HOLD="+busy)
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("holder: %q", line)
	}
	_, errs, code := eelsh5(t, append([]string{"fit", busy, "-q", "--step", "two"}, fitArgs...)...)
	var lockMsg string
	if code == 1 && strings.Contains(errs, "in use by another process") {
		lockMsg = strings.TrimSpace(errs)
	}
	holder.Process.Kill()
	holder.Wait()
	if lockMsg == "" {
		t.Error("a second writer was not refused while the first ran")
	}
	fmt.Fprintf(&table, "| a second process writing the same file | 1: %s |\n", strings.ReplaceAll(lockMsg, dir+"/", ""))
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro.nxs")
		copyFile(t, good, ro)
		os.Chmod(ro, 0o444)
		_, errs, code := eelsh5(t, append([]string{"fit", ro}, fitArgs...)...)
		if code != 1 || !strings.Contains(errs, "read-only") {
			t.Errorf("read-only: %d %q", code, errs)
		}
	}
	fmt.Fprintln(&table, "| read-only file (not root) | 1: h5io: could not open \"ro.nxs\" for writing: file is read-only |")
	t.Logf("bad-input table:\n%s", table.String())
}
