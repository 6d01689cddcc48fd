package h5io

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

var testTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newProcessingFile(t *testing.T) (*File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.nxs")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	inst := multispectrum.Instrument{BeamEnergy: 300e3, Convergence: 1e-9, Collection: 20e-3, DwellTime: 0.01}
	if err := f.InitProcessingFile("test", "eelsh5 test", inst, testTime); err != nil {
		t.Fatal(err)
	}
	return f, path
}

// fillCube gives every value a distinct, exactly representable float32
// number encoding its position.
func fillCube(c *multispectrum.Cube) {
	for y := 0; y < c.NY; y++ {
		for x := 0; x < c.NX; x++ {
			s := c.Pixel(y, x)
			for e := range s {
				s[e] = float64(10000*y + 100*x + e)
			}
		}
	}
}

func TestCubeRoundTrip(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		f, path := newProcessingFile(t)
		axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 37}
		want := multispectrum.NewCube(7, 5, axis)
		fillCube(want)
		d, err := f.CreateCube(CoreLossPath, CubeSpec{NY: 7, NX: 5, Axis: axis, DType: dt, Chunk: [2]int{3, 2}, Gzip: 4})
		if err != nil {
			t.Fatal(err)
		}
		if cy, cx := d.ScanChunk(); cy != 3 || cx != 2 {
			t.Errorf("chunk = %d x %d, want 3 x 2", cy, cx)
		}
		// Write through the streaming driver with ragged 3x2 tiles.
		tl := multispectrum.NewTiling(7, 5, 3, 2)
		err = multispectrum.Process(t.Context(), multispectrum.ArraySource{&want.Array}, Writer{d}, tl,
			multispectrum.Layout{In: []int{37}, Out: []int{37}}, func() int { return 0 },
			func(_ int, t *multispectrum.Tile) error { copy(t.Out[0], t.In[0]); return nil }, multispectrum.Workers(2))
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		g, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := g.ReadCube(CoreLossPath)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Axis.Equal(axis) || got.NY != 7 || got.NX != 5 {
			t.Errorf("%v: axis %+v shape %dx%d", dt, got.Axis, got.NY, got.NX)
		}
		if !slices.Equal(got.Data, want.Data) {
			t.Errorf("%v: cube data differ after round trip", dt)
		}
		inst, err := g.ReadInstrument()
		if err != nil || inst.BeamEnergy != 300e3 || inst.Collection != 20e-3 || inst.DwellTime != 0.01 {
			t.Errorf("instrument = %+v, %v", inst, err)
		}
		if err := g.CheckVersion(); err != nil {
			t.Error(err)
		}
		g.Close()
	}
}

func TestStackMapRoundTripAndStepCommit(t *testing.T) {
	f, path := newProcessingFile(t)
	prov := &multispectrum.Provenance{Program: "eelsh5 fit", Version: "v-test", CommandLine: []string{"eelsh5", "fit", "a b.nxs"},
		Params: map[string]any{"fitter": "wls", "n": 4.0}, Inputs: []multispectrum.Input{{File: "a b.nxs", SHA256: "00ff", Datasets: []string{"/entry/coreloss"}}},
		Created: testTime}
	step, err := f.BeginStep("fit", prov, false)
	if err != nil {
		t.Fatal(err)
	}
	const ny, nx = 6, 9
	coef := multispectrum.NewArray(ny, nx, 3)
	for i := range coef.Data {
		coef.Data[i] = float64(i) * 0.25
	}
	sd, ed, err := f.CreateStack(step.Path("coefficients"), StackSpec{NY: ny, NX: nx, Names: []string{"a0", "C K", "N K"}, Signal: "coefficients", Errors: true, Chunk: [2]int{4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	status := multispectrum.NewArray(ny, nx, 1)
	status.Data[5] = 3
	md, err := f.CreateMap(step.Path("status"), MapSpec{NY: ny, NX: nx, Signal: "status", DType: Int8, Codes: "0 ok, 3 singular"})
	if err != nil {
		t.Fatal(err)
	}
	tl := multispectrum.NewTiling(ny, nx, 4, 4)
	for _, r := range tl.Regions() {
		if err := sd.WriteRegion(r, coef.ReadRegion(make([]float64, 48), r)); err != nil {
			t.Fatal(err)
		}
		if err := ed.WriteRegion(r, coef.ReadRegion(make([]float64, 48), r)); err != nil {
			t.Fatal(err)
		}
		if err := md.WriteRegion(r, status.ReadRegion(make([]float64, 16), r)); err != nil {
			t.Fatal(err)
		}
	}
	sd.Close()
	ed.Close()
	md.Close()
	if f.Exists("/entry/fit") {
		t.Fatal("step visible before commit")
	}
	if err := step.Commit("coefficients"); err != nil {
		t.Fatal(err)
	}
	if !f.Exists("/entry/fit/coefficients/coefficients") || f.Exists("/entry/.fit.partial") {
		t.Fatal("commit did not move the step into place")
	}
	// A second run without overwrite is refused; with overwrite the old
	// result stays until the new one is committed, and an aborted run
	// leaves it untouched.
	if _, err := f.BeginStep("fit", prov, false); err == nil {
		t.Error("existing step overwritten without --overwrite")
	}
	s2, err := f.BeginStep("fit", prov, true)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Exists("/entry/fit/coefficients") {
		t.Error("old step gone before the new one completed")
	}
	s2.Abort()
	if !f.Exists("/entry/fit/coefficients") || f.Exists("/entry/.fit.partial") {
		t.Error("abort damaged the old step or left the partial one")
	}
	f.Close()

	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, names, err := g.ReadStack("/entry/fit/coefficients/coefficients")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, coef.Data) || !slices.Equal(names, []string{"a0", "C K", "N K"}) {
		t.Errorf("stack round trip: names %v", names)
	}
	// One component alone equals that column of the whole stack.
	sd, err = g.OpenStack("/entry/fit/coefficients/coefficients")
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < coef.Width; k++ {
		img, err := sd.ReadComponent(nil, k)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range img {
			if v != coef.Data[i*coef.Width+k] {
				t.Fatalf("component %d pixel %d: %g, want %g", k, i, v, coef.Data[i*coef.Width+k])
			}
		}
	}
	if _, err := sd.ReadComponent(nil, coef.Width); err == nil {
		t.Error("component beyond the stack read without error")
	}
	sd.Close()
	st, err := g.ReadMap("/entry/fit/status/status")
	if err != nil || !slices.Equal(st.Data, status.Data) {
		t.Errorf("status map round trip: %v", err)
	}
	p, err := g.ReadProvenance("fit")
	if err != nil {
		t.Fatal(err)
	}
	if p.Program != "eelsh5 fit" || p.Version != "v-test" || !p.Created.Equal(testTime) || p.Params["fitter"] != "wls" ||
		len(p.Inputs) != 1 || p.Inputs[0].SHA256 != "00ff" || p.Inputs[0].Datasets[0] != "/entry/coreloss" {
		t.Errorf("provenance = %+v", p)
	}
	if def, _ := g.AttrString("/entry", AttrDefault); def != "fit" {
		t.Errorf("/entry@default = %q", def)
	}
}

// TestNXdataAttributes checks the NeXus conventions of doc/formats.md 3.1-3.3:
// NX_class, signal, axes, interpretation and default as fixed-length
// strings; <axis>_indices; full axis arrays with units and long names.
func TestNXdataAttributes(t *testing.T) {
	f, path := newProcessingFile(t)
	axis := multispectrum.EnergyAxis{Offset: -5, Dispersion: 0.25, Size: 16}
	d, err := f.CreateCube(LowLossPath, CubeSpec{NY: 4, NX: 5, Axis: axis})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	f.Close()
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	nodes, err := g.Walk()
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Node{}
	for _, n := range nodes {
		byPath[n.Path] = n
	}
	root := byPath["/"]
	if root.NXClass != "NXroot" || root.Attrs["default"] != "entry" || root.Attrs["file_format"] != "eelsh5" {
		t.Errorf("root = %+v", root)
	}
	grp := byPath[LowLossPath]
	if grp.NXClass != "NXdata" || grp.Attrs["signal"] != "data" || grp.Attrs["interpretation"] != "spectrum" {
		t.Errorf("NXdata group = %+v", grp)
	}
	if axes, _ := grp.Attrs["axes"].([]string); !slices.Equal(axes, []string{"y", "x", "energy_loss"}) {
		t.Errorf("axes = %v", grp.Attrs["axes"])
	}
	for i, a := range []string{"y", "x", "energy_loss"} {
		if grp.Attrs[a+"_indices"] != float64(i) {
			t.Errorf("%s_indices = %v", a, grp.Attrs[a+"_indices"])
		}
	}
	data := byPath[LowLossPath+"/data"]
	if !slices.Equal(data.Shape, []int{4, 5, 16}) || data.DType != "float32" || data.Attrs["interpretation"] != "spectrum" || data.Attrs["units"] != "counts" {
		t.Errorf("data = %+v", data)
	}
	e := byPath[LowLossPath+"/energy_loss"]
	if e.Attrs["units"] != "eV" || e.Attrs["long_name"] != "Energy loss (eV)" || *e.First != -5 || *e.Last != -5+15*0.25 {
		t.Errorf("energy_loss = %+v", e)
	}
	// Fixed-length strings where viewers need them (HyperSpy's NeXus
	// reader ignores NXdata whose NX_class is variable length).
	for _, a := range []string{AttrNXClass, AttrSignal, AttrAxes, AttrInterpretation} {
		err := withObject(g.id(), LowLossPath, func(o hid) error {
			in, err := getInfo(o, a, true)
			if err != nil {
				return err
			}
			if in.class != classString || in.vlenStr {
				t.Errorf("attribute %s is not a fixed-length string", a)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestH5dumpOpensFile(t *testing.T) {
	h5dump, err := exec.LookPath("h5dump")
	if err != nil {
		t.Skip("h5dump not installed (Debian package hdf5-tools)")
	}
	f, path := newProcessingFile(t)
	d, err := f.CreateCube(CoreLossPath, CubeSpec{NY: 2, NX: 3, Axis: multispectrum.EnergyAxis{Offset: 1, Dispersion: 1, Size: 4}})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	f.Close()
	out, err := exec.Command(h5dump, "-H", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump failed: %v\n%s", err, out)
	}
	for _, want := range []string{`ATTRIBUTE "NX_class"`, `DATASET "data"`, "H5T_IEEE_F32LE", "( 2, 3, 4 )", "STRSIZE 7;"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("h5dump output lacks %q", want)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	notH5 := filepath.Join(dir, "notes.txt")
	os.WriteFile(notH5, []byte("hello"), 0o644)
	for _, test := range []struct {
		path, want string
	}{
		{filepath.Join(dir, "missing.nxs"), "no such file"},
		{notH5, "is not an HDF5 file"},
		{dir, "is a directory"},
	} {
		_, err := Open(test.path)
		if err == nil || !strings.Contains(err.Error(), test.want) {
			t.Errorf("Open(%q) = %v, want error containing %q", test.path, err, test.want)
		}
	}
	f, path := newProcessingFile(t)
	d, err := f.CreateMap("/entry/m/m", MapSpec{NY: 2, NX: 2, Signal: "m"})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	f.Close()
	before, _ := os.ReadFile(path)
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := g.OpenCube("/entry/nothing"); err == nil || !strings.Contains(err.Error(), "no spectrum image") {
		t.Errorf("missing dataset: %v", err)
	}
	if _, _, err := g.OpenCube("/entry/m/m/m"); err == nil {
		t.Error("dataset accepted as a spectrum-image group")
	}
	if _, _, err := g.OpenCube("/entry/m/m"); err == nil || !strings.Contains(err.Error(), "rank") {
		t.Errorf("wrong rank: %v", err)
	}
	if _, err := g.BeginStep("fit", &multispectrum.Provenance{}, false); err == nil {
		t.Error("step begun in a read-only file")
	}
	g.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("reading modified the input file")
	}
	os.Chmod(path, 0o444)
	if os.Geteuid() != 0 { // root ignores permissions
		if _, err := OpenWritable(path); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("read-only file: %v", err)
		}
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir.nxs")); err == nil {
		t.Error("created a file in a missing directory")
	}
}

func TestChunkScan(t *testing.T) {
	// Examples of doc/formats.md 2.3 (float32 spectra).
	for _, test := range []struct{ ny, nx, ne, cy, cx int }{
		{4, 5, 256, 4, 5}, {100, 100, 2048, 11, 11}, {256, 256, 1024, 15, 15}, {64, 64, 4096, 7, 7}, {1, 500, 2048, 1, 122},
	} {
		cy, cx := ChunkScan(test.ny, test.nx, test.ne*4)
		if cy != test.cy || cx != test.cx {
			t.Errorf("ChunkScan(%d, %d, %d) = %d, %d, want %d, %d", test.ny, test.nx, test.ne, cy, cx, test.cy, test.cx)
		}
	}
}

func removeAll(p string) { os.Remove(p) }
