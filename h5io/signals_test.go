package h5io

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Expected values: testdata/formats (shared/testdata/README.md).

func TestHyperSpySI(t *testing.T) {
	s, closeFn, err := OpenSignal("../testdata/formats/hyperspy_eels_si.hspy", SignalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if s.NY != 4 || s.NX != 5 || s.Axis.Size != 256 || s.Axis.Offset != 250 || s.Axis.Dispersion != 0.25 ||
		s.Scan.Y0 != 20 || s.Scan.X0 != 10 || s.Scan.Step != 0.5 || s.Scan.Units != "nm" || s.Title != "EELS Spectrum Image" {
		t.Fatalf("signal %+v", s)
	}
	c := multispectrum.NewCube(4, 5, s.Axis)
	if err := s.Data.ReadRegion(c.Data, c.Bounds()); err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for y := 0; y < 4; y++ {
		for x := 0; x < 5; x++ {
			for e, v := range c.Pixel(y, x) {
				if v != float64(10000*y+1000*x+e) {
					t.Fatalf("[%d,%d,%d] = %v", y, x, e, v)
				}
				sum += v
			}
		}
	}
	in := s.Instrument
	if sum != 87692800 || in.BeamEnergy != 200e3 || math.Abs(in.Convergence-21e-3) > 1e-15 || math.Abs(in.Collection-62e-3) > 1e-15 || in.DwellTime != 0.02 || in.Microscope != "Synthetic" {
		t.Errorf("sum %v instrument %+v", sum, in)
	}
	if s.Original["metadata"] == nil {
		t.Error("metadata not kept")
	}
}

func TestHyperSpy1D(t *testing.T) {
	s, closeFn, err := OpenSignal("../testdata/formats/hyperspy_eels_1d.hspy", SignalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	d := make([]float64, 64)
	s.Data.ReadRegion(d, multispectrum.Region{NY: 1, NX: 1})
	if s.NY != 1 || s.NX != 1 || s.Axis.Offset != -5 || s.Axis.Dispersion != 0.5 || d[0] != 100 || d[63] != 163 ||
		s.Instrument.BeamEnergy != 300e3 || s.Instrument.DwellTime != 0.5 {
		t.Errorf("signal %+v data %v..%v", s, d[0], d[63])
	}
}

func TestPyEELSModelFiles(t *testing.T) {
	s, closeFn, err := OpenSignal("../testdata/formats/multi.hdf5", SignalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if s.NY != 4 || s.NX != 2 || s.Axis.Size != 100 || s.Axis.Offset != 100 || s.Axis.Dispersion != 1 {
		t.Fatalf("multi %+v", s)
	}
	c := multispectrum.NewCube(4, 2, s.Axis)
	s.Data.ReadRegion(c.Data, c.Bounds())
	mx, at := 0.0, 0
	sum := 0.0
	for i, v := range c.Data {
		sum += v
		if v > mx {
			mx, at = v, i
		}
	}
	if c.Pixel(0, 0)[0] != 0.8998232 && math.Abs(c.Pixel(0, 0)[0]-0.8998232) > 1e-7 || c.Pixel(1, 0)[50] != 0.36047641436673183 ||
		c.Pixel(3, 1)[99] != 0.16654795913626552 || math.Abs(sum-407.160025) > 1e-6 || at != (3*2+1)*100+75 || math.Abs(mx-0.999075) > 1e-6 {
		t.Errorf("multi values: sum %v max %v at %d", sum, mx, at)
	}
	for _, c := range []struct {
		name      string
		off, disp float64
		maxAt     int
		sum       float64
	}{{"simulated_C_edge.hdf5", 150, 0.25, 574, 463.624246}, {"ll_simulated_C_edge.hdf5", -100, 0.25, 400, 1}} {
		s, closeFn, err := OpenSignal("../testdata/formats/"+c.name, SignalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d := make([]float64, s.Axis.Size)
		s.Data.ReadRegion(d, multispectrum.Region{NY: 1, NX: 1})
		closeFn()
		at, sum := 0, 0.0
		for i, v := range d {
			sum += v
			if v > d[at] {
				at = i
			}
		}
		if s.Axis.Offset != c.off || s.Axis.Dispersion != c.disp || s.Axis.Size != 2048 || at != c.maxAt || math.Abs(sum-c.sum) > 1e-5 {
			t.Errorf("%s: axis %+v max at %d sum %v", c.name, s.Axis, at, sum)
		}
	}
}

func TestSignalRefusals(t *testing.T) {
	f, path := newProcessingFile(t)
	f.Close()
	if _, _, err := OpenSignal(path, SignalOptions{}); err == nil || !strings.Contains(err.Error(), "already an eelsh5") {
		t.Errorf("eelsh5 file: %v", err)
	}
	if _, _, err := OpenSignal("../testdata/synthetic_dft.gosh", SignalOptions{}); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("GOSH file: %v", err)
	}
	if _, _, err := OpenSignal("../testdata/formats/hyperspy_eels_si.hspy", SignalOptions{Title: "nope"}); err == nil || !strings.Contains(err.Error(), "no signal") {
		t.Errorf("missing title: %v", err)
	}
}

func TestHyperSpyWriteRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range [][2]int{{3, 4}, {1, 6}, {1, 1}} {
		axis := multispectrum.EnergyAxis{Offset: 280, Dispersion: 0.25, Size: 16}
		want := multispectrum.NewCube(shape[0], shape[1], axis)
		for i := range want.Data {
			want.Data[i] = float64(i%97) + 0.5
		}
		path := filepath.Join(dir, "rt.hspy")
		hf, err := CreateHyperSpy(path, HyperSpySpec{Title: "EELS Spectrum Image", NY: shape[0], NX: shape[1], Axis: axis,
			Scan: multispectrum.ScanCalibration{Y0: 1, X0: 2, Step: 0.5, Units: "nm"}, Instrument: multispectrum.Instrument{BeamEnergy: 300e3, Convergence: 1e-3, Collection: 20e-3, DwellTime: 0.1}})
		if err != nil {
			t.Fatal(err)
		}
		if hf.Data != nil {
			err = hf.Data.WriteRegion(want.Bounds(), want.Data)
		} else {
			err = hf.WriteAll(want.Data)
		}
		if err != nil {
			t.Fatal(err)
		}
		hf.Close()
		s, closeFn, err := OpenSignal(path, SignalOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := multispectrum.NewCube(s.NY, s.NX, s.Axis)
		s.Data.ReadRegion(got.Data, got.Bounds())
		closeFn()
		if s.NY != shape[0] || s.NX != shape[1] || s.Axis != axis || s.Instrument.BeamEnergy != 300e3 || math.Abs(s.Instrument.Collection-20e-3) > 1e-15 {
			t.Errorf("%v: %+v", shape, s)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("%v: value %d: %v vs %v", shape, i, got.Data[i], want.Data[i])
			}
		}
		if shape[0] > 1 && (s.Scan.Y0 != 1 || s.Scan.X0 != 2 || s.Scan.Step != 0.5 || s.Scan.Units != "nm") {
			t.Errorf("scan %+v", s.Scan)
		}
		// Re-create the same path: refused.
		if _, err := CreateHyperSpy(path, HyperSpySpec{NY: 1, NX: 1, Axis: axis}); err == nil {
			t.Error("existing file overwritten")
		}
		removeAll(path)
	}
}
