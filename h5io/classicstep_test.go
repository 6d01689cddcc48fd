package h5io

import (
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/classic"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// writeRawCubes stores a low loss (a Gaussian zero loss and a flat
// inelastic tail, different per pixel) and a core loss in /entry.
func writeRawCubes(t *testing.T, f *File, ny, nx int) (low, core *multispectrum.Cube) {
	t.Helper()
	low = multispectrum.NewCube(ny, nx, multispectrum.EnergyAxis{Offset: -5, Dispersion: 0.5, Size: 64})
	core = multispectrum.NewCube(ny, nx, multispectrum.EnergyAxis{Offset: 200, Dispersion: 1, Size: 32})
	for p := range ny * nx {
		for i := range low.Width {
			e := low.Axis.Energy(i)
			low.Data[p*low.Width+i] = math.Round(4000*math.Exp(-e*e)) + float64(10+p)
		}
		for i := range core.Width {
			core.Data[p*core.Width+i] = float64(1000 - 10*i + p)
		}
	}
	for _, c := range []struct {
		path string
		cube *multispectrum.Cube
	}{{LowLossPath, low}, {CoreLossPath, core}} {
		ds, err := f.CreateCube(c.path, CubeSpec{NY: ny, NX: nx, Axis: c.cube.Axis, Chunk: [2]int{2, 2}})
		if err != nil {
			t.Fatal(err)
		}
		if err := ds.WriteRegion(c.cube.Bounds(), c.cube.Data); err != nil {
			t.Fatal(err)
		}
		ds.Close()
	}
	return low, core
}

// TestClassicStep: a thickness and a binning written as steps hold what
// the same operations give in memory (maps, status codes, cubes on the
// binned axes and scan), their provenance and summary, and a step's cubes
// read back as the input of the next operation.
func TestClassicStep(t *testing.T) {
	f, _ := newProcessingFile(t)
	defer f.Close()
	const ny, nx = 4, 6
	low, core := writeRawCubes(t, f, ny, nx)
	in, ds, paths, scan, err := f.ClassicInput("raw")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || in.Tile != [2]int{2, 2} {
		t.Fatalf("input %v, tile %v", paths, in.Tile)
	}
	prov := &multispectrum.Provenance{Program: "eelsh5 thickness", Version: "test", Params: map[string]any{"cli": "x"}, Created: testTime}
	dst := f.NewClassicDestination(ClassicOptions{Step: "thickness", Provenance: prov, Scan: scan, Chunk: [2]int{2, 2}})
	if _, err := classic.Thickness(in, classic.ThicknessOptions{}, dst, classic.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	var mem classic.Memory
	if _, err := classic.Thickness(classic.CubeInput(low, core), classic.ThicknessOptions{}, &mem, classic.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := f.ReadMap("/entry/thickness/tlambda/tlambda")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range mem.Array(classic.TLambdaName).Data {
		if got.Data[i] != v {
			t.Fatalf("tlambda %d: %g in the file, %g in memory", i, got.Data[i], v)
		}
	}
	// The stream's long name is the dataset's long_name (eelsh5 plot's
	// title, capitalised).
	if long, ok := f.AttrString("/entry/thickness/tlambda/tlambda", AttrLongName); !ok || long != "relative thickness t/lambda" {
		t.Errorf("tlambda long_name %q", long)
	}
	if codes, ok := f.AttrString("/entry/thickness/status/status", AttrCodes); !ok || codes != classic.ThicknessCodes {
		t.Errorf("status codes %q", codes)
	}
	p, err := f.ReadProvenance("thickness")
	if err != nil {
		t.Fatal(err)
	}
	if p.Params["operation"] != "thickness" || p.Params["zero_loss"] != "minimum" || p.Params["cli"] != "x" {
		t.Errorf("provenance parameters %v", p.Params)
	}
	var sum map[string]any
	if err := f.ReadNote("/entry/thickness/"+ClassicSummary, &sum); err != nil {
		t.Fatal(err)
	}
	if sum["pixels_ok"] != float64(ny*nx) || sum["spectra"] != float64(ny*nx) {
		t.Errorf("summary %v", sum)
	}

	// Bin 2x2 pixels and 2 channels; the step's cubes then feed a sum.
	bd := f.NewClassicDestination(ClassicOptions{Step: "bin", Scan: multispectrum.ScanCalibration{Y0: 1, X0: 2, Step: 0.5, Units: "nm"}})
	if _, err := classic.Bin(in, classic.BinOptions{Scan: [2]int{2, 2}, Energy: 2}, bd, classic.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	bd.Close()
	for _, d := range ds {
		d.Close()
	}
	bc, err := f.ReadCube("/entry/bin/coreloss")
	if err != nil {
		t.Fatal(err)
	}
	if bc.NY != 2 || bc.NX != 3 || bc.Axis.Size != 16 || bc.Axis.Dispersion != 2 || bc.Axis.Offset != 200 {
		t.Fatalf("binned core loss %dx%d on %v", bc.NY, bc.NX, bc.Axis)
	}
	if w := sum4(core, 2, 4, 6); bc.Pixel(1, 2)[3] != w {
		t.Errorf("binned (1,2) channel 3 = %g, want %g", bc.Pixel(1, 2)[3], w)
	}
	_, info, err := f.OpenCube("/entry/bin/lowloss")
	if err != nil {
		t.Fatal(err)
	}
	if info.Scan.Step != 1 || info.Scan.Y0 != 1 || info.Scan.Units != "nm" {
		t.Errorf("binned scan %+v", info.Scan)
	}
	in2, ds2, _, _, err := f.ClassicInput("bin")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, d := range ds2 {
			d.Close()
		}
	}()
	sd := f.NewClassicDestination(ClassicOptions{Step: "sum"})
	if _, err := classic.Sum(in2, classic.SumOptions{}, sd, classic.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	sd.Close()
	sc, err := f.ReadCube("/entry/sum/coreloss")
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, v := range core.Data {
		total += v
	}
	if s := sumOf(sc.Data); sc.NY != 1 || sc.NX != 1 || s != total {
		t.Errorf("sum of the binned step: %dx%d, total %g, want %g", sc.NY, sc.NX, s, total)
	}
	// A step of that name exists: refused without overwrite, the file keeps it.
	again := f.NewClassicDestination(ClassicOptions{Step: "sum"})
	if _, err := classic.Sum(in2, classic.SumOptions{}, again, classic.RunOptions{}); err == nil {
		t.Error("second sum step: no error")
	}
	again.Close()
	if !f.Exists("/entry/sum/coreloss") {
		t.Error("the first sum step is gone")
	}
}

// sum4 sums channels c0 and c0+1 of the 2x2 pixels starting at (y0, x0):
// binned pixel (1, 2), channel 3 is rows 2-3, columns 4-5, channels 6-7.
func sum4(core *multispectrum.Cube, y0, x0, c0 int) float64 {
	s := 0.0
	for y := y0; y < y0+2; y++ {
		for x := x0; x < x0+2; x++ {
			s += core.Pixel(y, x)[c0] + core.Pixel(y, x)[c0+1]
		}
	}
	return s
}

func sumOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
