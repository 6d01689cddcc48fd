package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// TestClassicCommands runs every classic command on a simulated file and
// checks what each step holds: thickness maps equal to the simulation's
// truth within 1% (noise-free low loss), the binned total equal to the
// raw total, the summed spectrum on the core-loss axis, the calibrated
// axis, the cropped cube, the deconvolved core loss, integrate's ratios
// and the jump-ratio maps; and fit reads the cropped and the deconvolved
// steps.
func TestClassicCommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "8", "--shifts", "none", "-q"); code != 0 {
		t.Fatal(errs)
	}
	for _, args := range [][]string{
		{"thickness", path, "--mfp", "malis", "--composition", "C:1"},
		{"bin", path, "--scan", "2", "--energy", "2"},
		{"sum", path, "--input", "bin"},
		{"calibrate", path, "--offset", "199", "--cubes", "coreloss"},
		{"crop", path, "--energy", "250.3:800.3", "--lowloss-energy=-10:200", "--region", "0:4,0:8"},
		{"deconvolve", path, "--method", "fourier-ratio"},
		{"integrate", path, "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--integration", "Fe=708:758"},
		{"jumpratio", path, "--elements", "N,Fe", "--edges", "K,L"},
		{"fit", path, "--input", "crop", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--step", "fitcrop"},
		{"fit", path, "--input", "deconvolve", "--elements", "C,N,O,Fe", "--edges", "K,K,K,L", "--no-lowloss", "--step", "fitdeconv"},
	} {
		out, errs, code := eelsh5(t, append(args, "-q")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", strings.Join(args, " "), code, out, errs)
		}
	}
	f, err := h5io.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	read := func(p string) *multispectrum.Array {
		a, err := f.ReadMap(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	truth, _, err := f.ReadFloats("/entry/simulate/truth/tlambda")
	if err != nil {
		t.Fatal(err)
	}
	tl := read("/entry/thickness/tlambda/tlambda")
	th := read("/entry/thickness/thickness/thickness")
	for p, v := range tl.Data {
		if math.Abs(v/truth[p]-1) > 0.01 {
			t.Errorf("t/lambda pixel %d: %g, truth %g", p, v, truth[p])
		}
		if !(th.Data[p] > 0) {
			t.Errorf("thickness pixel %d: %g nm", p, th.Data[p])
		}
	}
	raw, _ := f.ReadCube(h5io.CoreLossPath)
	binned, _ := f.ReadCube("/entry/bin/coreloss")
	summed, _ := f.ReadCube("/entry/sum/coreloss")
	total := func(c *multispectrum.Cube) float64 {
		s := 0.0
		for _, v := range c.Data {
			s += v
		}
		return s
	}
	if binned.NY != 4 || binned.NX != 4 || math.Abs(total(binned)/total(raw)-1) > 1e-6 || math.Abs(total(summed)/total(raw)-1) > 1e-9 || summed.NX != 1 {
		t.Errorf("binned %dx%d total %g, summed %dx%d total %g; raw total %g", binned.NY, binned.NX, total(binned), summed.NY, summed.NX, total(summed), total(raw))
	}
	cal, _ := f.ReadCube("/entry/calibrate/coreloss")
	calLow, _ := f.ReadCube("/entry/calibrate/lowloss")
	rawLow, _ := f.ReadCube(h5io.LowLossPath)
	if cal.Axis.Offset != 199 || calLow.Axis != rawLow.Axis {
		t.Errorf("calibrated core axis %v, low axis %v (raw %v)", cal.Axis, calLow.Axis, rawLow.Axis)
	}
	crop, _ := f.ReadCube("/entry/crop/coreloss")
	if crop.NY != 4 || crop.NX != 8 || crop.Axis.Offset != 250.5 || crop.Axis.Energy(crop.Axis.Size-1) != 800 {
		t.Errorf("cropped core loss %dx%d on %v", crop.NY, crop.NX, crop.Axis)
	}
	if _, err := f.ReadCube("/entry/deconvolve/coreloss"); err != nil {
		t.Error(err)
	}
	ratios, names, err := f.ReadStack("/entry/integrate/ratios/ratios")
	if err != nil || ratios.Width != 3 || len(names) != 3 || names[0] != "N K/C K" {
		t.Errorf("integrate ratios %v %v", names, err)
	}
	if _, _, err := f.ReadStack("/entry/jumpratio/jump_ratio/jump_ratio"); err != nil {
		t.Error(err)
	}
	for _, s := range []string{"thickness", "bin", "sum", "calibrate", "crop", "deconvolve", "integrate", "jumpratio"} {
		p, err := f.ReadProvenance(s)
		if err != nil || p.Params["operation"] != s || p.Program != "eelsh5 "+s || len(p.Inputs) != 1 {
			t.Fatalf("step %s: provenance %+v, %v", s, p, err)
		}
		want := 2 // both cubes
		if s == "thickness" || s == "jumpratio" {
			want = 1
		}
		if got := p.Inputs[0].Datasets; len(got) != want || p.Inputs[0].SHA256 == "" {
			t.Errorf("step %s: inputs %v", s, p.Inputs[0])
		}
	}
}

// TestClassicBadInput extends the bad-input table: every option error of
// the classic commands exits with its code and message and leaves the
// file byte-identical (SHA-256).
func TestClassicBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "6", "-q"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := eelsh5(t, "sum", path, "-q"); code != 0 { // a step that exists
		t.Fatal(errs)
	}
	els := []string{"--elements", "C,N", "--edges", "K,K"}
	for _, c := range []struct {
		what string
		args []string
		code int
		want string
	}{
		{"crop: energy outside the axis", []string{"crop", path, "--energy", "5000:6000"}, 2, "outside the axis"},
		{"crop: empty energy range", []string{"crop", path, "--energy", "600:500"}, 2, "empty"},
		{"crop: region outside the scan", []string{"crop", path, "--region", "0:9,0:2"}, 2, "outside the 6x6 scan"},
		{"crop: bad region", []string{"crop", path, "--region", "0-3,0:2"}, 2, "Y0:Y1,X0:X1"},
		{"crop: nothing to crop", []string{"crop", path}, 2, "give --region"},
		{"bin: factor not dividing the scan", []string{"bin", path, "--scan", "4"}, 2, "does not divide the 6x6 scan"},
		{"bin: factor not dividing the channels", []string{"bin", path, "--energy", "7"}, 2, "does not divide"},
		{"bin: zero factor", []string{"bin", path, "--scan", "0"}, 2, "factor"},
		{"bin: nothing to bin", []string{"bin", path}, 2, "give --scan"},
		{"sum: region outside the scan", []string{"sum", path, "--region", "2:8,0:1", "--step", "sum2"}, 2, "outside the 6x6 scan"},
		{"sum: step exists", []string{"sum", path}, 1, "already has /entry/sum"},
		{"sum: bad step name", []string{"sum", path, "--step", "a/b"}, 2, "plain name"},
		{"sum: missing input step", []string{"sum", path, "--input", "nothere", "--step", "s3"}, 2, "no step"},
		{"calibrate: no mode", []string{"calibrate", path}, 2, "give one of"},
		{"calibrate: two modes", []string{"calibrate", path, "--zero-loss", "--offset", "3"}, 2, "give one of"},
		{"calibrate: edge onset outside the axis", []string{"calibrate", path, "--edge", "U:K"}, 2, "outside the axis"},
		{"calibrate: unknown element", []string{"calibrate", path, "--edge", "Xx:K"}, 2, "Xx"},
		{"calibrate: bad edge flag", []string{"calibrate", path, "--edge", "C"}, 2, "ELEMENT:EDGE"},
		{"calibrate: negative dispersion", []string{"calibrate", path, "--dispersion", "-0.5"}, 2, "dispersion"},
		{"calibrate: unknown cube", []string{"calibrate", path, "--zero-loss", "--cubes", "expected"}, 2, "--cubes"},
		{"thickness: malis without zeff", []string{"thickness", path, "--mfp", "malis"}, 2, "--zeff"},
		{"thickness: iakoubovskii without density", []string{"thickness", path, "--mfp", "iakoubovskii"}, 2, "--density"},
		{"thickness: E0 in kV", []string{"thickness", path, "--mfp", "malis", "--zeff", "6", "--E0", "300"}, 2, "give it in volts"},
		{"thickness: beta in mrad", []string{"thickness", path, "--mfp", "malis", "--zeff", "6", "--beta", "20"}, 2, "radians"},
		{"thickness: bad composition", []string{"thickness", path, "--mfp", "malis", "--composition", "Qq:1"}, 2, "not an element"},
		{"thickness: unknown zero-loss method", []string{"thickness", path, "--zero-loss", "mirror"}, 2, "--zero-loss"},
		{"deconvolve: no method", []string{"deconvolve", path}, 2, "--method"},
		{"deconvolve: negative FWHM", []string{"deconvolve", path, "--method", "fourier-log", "--fwhm", "-1"}, 2, "--fwhm"},
		{"integrate: background window outside the axis", append([]string{"integrate", path, "--background", "C=100:150"}, els...), 2, "outside the axis"},
		{"integrate: background overlapping the edge", append([]string{"integrate", path, "--background", "C=260:300"}, els...), 2, "overlaps"},
		{"integrate: window of an element not given", append([]string{"integrate", path, "--integration", "O=532:582"}, els...), 2, "not in --elements"},
		{"integrate: bad window", append([]string{"integrate", path, "--integration", "C:284-334"}, els...), 2, "ELEMENT=LO:HI"},
		{"integrate: unknown element", []string{"integrate", path, "--elements", "Xx", "--edges", "K"}, 2, "Xx"},
		{"integrate: elements and edges differ", []string{"integrate", path, "--elements", "C,N", "--edges", "K"}, 2, "--edges 1"},
		{"integrate: unknown reference", append([]string{"integrate", path, "--reference", "O"}, els...), 2, "--reference"},
		{"integrate: edge without a hydrogenic cross section", []string{"integrate", path, "--elements", "Ba", "--edges", "M"}, 2, "cross section"},
		{"integrate: unknown method", append([]string{"integrate", path, "--method", "spline"}, els...), 2, "--method"},
		{"integrate: no room for a default background window", []string{"integrate", path, "--elements", "N,Ti", "--edges", "K,L"}, 2, "default background window of Ti L"},
		{"jumpratio: no room for a default pre-edge window", []string{"jumpratio", path, "--elements", "V,O", "--edges", "L,K"}, 2, "default pre-edge window of O K would start at"},
		{"jumpratio: post window outside the axis", append([]string{"jumpratio", path, "--post", "N=1500:1600"}, els...), 2, "outside the axis"},
	} {
		before := fileSHA256(t, path)
		_, errs, code := eelsh5(t, append(c.args, "-q")...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.what, code, errs, c.code, c.want)
		}
		if after := fileSHA256(t, path); after != before {
			t.Errorf("%s: the file changed (SHA-256 %s -> %s)", c.what, before[:12], after[:12])
		}
	}
}
