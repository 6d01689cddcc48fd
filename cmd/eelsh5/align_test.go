package main

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/h5io"
)

func TestAlignCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.nxs")
	if _, errs, code := eelsh5(t, "simulate", path, "--size", "16", "--shifts", "subchannel", "-q"); code != 0 {
		t.Fatal(errs)
	}
	f, _ := h5io.Open(path)
	rawCore, _ := f.ReadCube(h5io.CoreLossPath)
	truth, _, _ := f.ReadFloats("/entry/simulate/truth/shift")
	f.Close()
	for _, m := range []string{"fast", "fit", "xcorr"} {
		step := "al_" + m
		_, errs, code := eelsh5(t, "align", path, "--method", m, "--step", step, "--plot", filepath.Join(dir, m+".png"))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", m, code, errs)
		}
		if !strings.Contains(errs, "eelsh5 align: 256 spectra in") {
			t.Errorf("%s: no summary line in %q", m, errs)
		}
		f, err := h5io.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		shift, err := f.ReadMap("/entry/" + step + "/shifts/shift")
		if err != nil {
			t.Fatal(err)
		}
		status, _ := f.ReadMap("/entry/" + step + "/status/status")
		low, err := f.ReadCube("/entry/" + step + "/lowloss")
		if err != nil {
			t.Fatal(err)
		}
		core, _ := f.ReadCube("/entry/" + step + "/coreloss")
		f.Close()
		var ss float64
		for p, v := range shift.Data {
			if status.Data[p] != 0 {
				t.Fatalf("%s: pixel %d status %v", m, p, status.Data[p])
			}
			ss += (v - truth[p]) * (v - truth[p])
		}
		rms := math.Sqrt(ss/256) / 0.5
		limit := map[string]float64{"fast": 0.5, "fit": 0.05, "xcorr": 0.05}[m]
		if rms > limit {
			t.Errorf("%s: RMS error %.3f channel", m, rms)
		}
		if low.Axis.Size != 2028 || core.Axis.Size != 2028 || core.Axis.Offset-low.Axis.Offset != 210 {
			t.Errorf("%s: aligned axes %v %v", m, low.Axis, core.Axis)
		}
		// The mean aligned zero loss peaks at 0 eV.
		mean := low.Mean().Data
		k := 0
		for i, v := range mean {
			if v > mean[k] {
				k = i
			}
		}
		if e := low.Axis.Energy(k); math.Abs(e) > 0.25 {
			t.Errorf("%s: mean aligned peak at %v eV", m, e)
		}
	}
	// The input cubes are untouched.
	f, _ = h5io.Open(path)
	after, _ := f.ReadCube(h5io.CoreLossPath)
	f.Close()
	if !slices.Equal(after.Data, rawCore.Data) {
		t.Error("align modified /entry/coreloss")
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--method", "fast", "--step", "al_fast"}, 1, "--overwrite"},
		{[]string{"--on", "coreloss"}, 2, "xcorr"},
		{[]string{"--range", "5:x"}, 2, "LO:HI"},
		{[]string{"--range", "2000:3000"}, 2, "does not overlap"},
		{[]string{"--range", "500:600", "--step", "y"}, 1, "no pixel has a usable zero-loss peak"},
		{[]string{"--reference", "99,0", "--method", "xcorr", "--step", "z"}, 2, "outside the 16x16 scan"},
		{[]string{"--step", "a/b"}, 2, "plain name"},
	} {
		_, errs, code := eelsh5(t, append([]string{"align", path, "-q"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errs)
		}
	}
	// Core loss only: xcorr on the core loss works, the default refuses.
	core := filepath.Join(dir, "core.nxs")
	g, _ := h5io.Create(core)
	g.InitProcessingFile("core only", "test", rawCoreInstrument(), testNow)
	d, _ := g.CreateCube(h5io.CoreLossPath, h5io.CubeSpec{NY: rawCore.NY, NX: rawCore.NX, Axis: rawCore.Axis})
	d.WriteRegion(rawCore.Bounds(), rawCore.Data)
	d.Close()
	g.Close()
	if _, errs, code := eelsh5(t, "align", core, "-q"); code != 1 || !strings.Contains(errs, "no low loss") {
		t.Errorf("core only, default: exit %d %q", code, errs)
	}
	if _, errs, code := eelsh5(t, "align", core, "-q", "--method", "xcorr", "--on", "coreloss", "--range", "250:350"); code != 0 {
		t.Errorf("core only, xcorr: exit %d %q", code, errs)
	}
}
