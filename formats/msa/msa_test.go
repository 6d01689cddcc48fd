package msa

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Expected values: testdata/formats (shared/testdata/README.md, HyperSpy 1.7.3).

func read(t *testing.T, name string) *Spectrum {
	t.Helper()
	f, err := os.Open("../../testdata/formats/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Read(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func stats(v []float64) (sum, mn, mx float64) {
	mn, mx = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		sum += x
		mn, mx = math.Min(mn, x), math.Max(mx, x)
	}
	return
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func TestExample1XY(t *testing.T) {
	s := read(t, "msa_example1_eels_xy.msa")
	sig, err := s.Signal()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Values) != 21 || sig.Axis.Size != 21 || sig.Axis.Offset != 520.13 || sig.Axis.Dispersion != 3.1 {
		t.Fatalf("axis %+v, %d values", sig.Axis, len(s.Values))
	}
	if s.Values[0] != 4066 || s.Values[1] != 3996 || s.Values[2] != 3932 || s.Values[3] != 3923 || s.Values[4] != 5602 || s.Values[20] != 4217 {
		t.Errorf("values %v", s.Values)
	}
	sum, mn, mx := stats(s.Values)
	if sum != 104070 || mn != 3923 || mx != 7809 {
		t.Errorf("sum %v min %v max %v", sum, mn, mx)
	}
	in := sig.Instrument
	if in.BeamEnergy != 120e3 || !near(in.Convergence, 1.5e-3, 1e-12) || !near(in.Collection, 3.4e-3, 1e-12) || !near(in.DwellTime, 0.1, 1e-12) {
		t.Errorf("instrument %+v", in)
	}
	if s.Keywords["XLABEL"] != "Energy" || s.Keywords["TIME"] != "12:00" || s.Units["BEAMKV"] != "kV" {
		t.Errorf("keywords %v units %v", s.Keywords, s.Units)
	}
	w := strings.Join(s.Warnings, "; ")
	if !strings.Contains(w, "NPOINTS says 20 but the file has 21") || !strings.Contains(w, "x column deviates") {
		t.Errorf("warnings %q", w)
	}
}

func TestExample2EDS(t *testing.T) {
	s := read(t, "msa_example2_eds_y.msa")
	if len(s.Values) != 80 || s.Values[0] != 65.82 || s.Values[1] != 67.872 || s.Values[2] != 65.626 || s.Values[3] != 68.762 || s.Values[79] != 49.442 {
		t.Errorf("values %v", s.Values[:4])
	}
	sum, mn, mx := stats(s.Values)
	if !near(sum, 21060.105, 1e-9) || mn != 49.442 || mx != 872.97 {
		t.Errorf("sum %v min %v max %v", sum, mn, mx)
	}
	if s.Keywords["TAUWIND"] != "2.0 E-06" || len(s.User) != 2 {
		t.Errorf("TAUWIND %q, user %v", s.Keywords["TAUWIND"], s.User)
	}
	if v, ok := s.Float("TAUWIND"); !ok || v != 2e-6 {
		t.Errorf("TAUWIND %v", v)
	}
	if _, err := s.Signal(); err == nil || !strings.Contains(err.Error(), "EDS, not EELS") {
		t.Errorf("EDS accepted: %v", err)
	}
}

func TestPyEELSModelSpectra(t *testing.T) {
	for _, c := range []struct {
		name                     string
		off                      float64
		first, last, mn, mx, sum float64
	}{
		{"hl.msa", 357.5, 32830.0, 9409.286, 9409.286, 38937.72, 18763723.05},
		{"ll.msa", -39.99999, -0.2857143, 6.285715, -5.0, 23053.72, 196227.165},
	} {
		s := read(t, c.name)
		sig, err := s.Signal()
		if err != nil {
			t.Fatal(err)
		}
		sum, mn, mx := stats(s.Values)
		if len(s.Values) != 1024 || !near(sig.Axis.Offset, c.off, 1e-9) || !near(sig.Axis.Dispersion, 0.2999999, 1e-9) ||
			!near(s.Values[0], c.first, 1e-9) || !near(s.Values[1023], c.last, 1e-9) || !near(mn, c.mn, 1e-9) || !near(mx, c.mx, 1e-9) || !near(sum, c.sum, 1e-9) {
			t.Errorf("%s: axis %+v values %v..%v min %v max %v sum %v", c.name, sig.Axis, s.Values[0], s.Values[1023], mn, mx, sum)
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 100.25, Dispersion: 0.5, Size: 5}
	vals := []float64{1, 2.5, -3, 4e-7, 5}
	var b bytes.Buffer
	if err := Write(&b, axis, vals, Header{Title: "t", Time: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), BeamEnergy: 300e3, Convergence: math.NaN(), Collection: 20e-3}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "#FORMAT      : EMSA/MAS Spectral Data File\r\n") || !strings.Contains(b.String(), "#DATE        : 02-JAN-2026") {
		t.Errorf("header:\n%s", b.String())
	}
	s, err := Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := s.Signal()
	if sig.Axis != axis || sig.Instrument.BeamEnergy != 300e3 || !near(sig.Instrument.Collection, 20e-3, 1e-12) {
		t.Errorf("round trip %+v %+v", sig.Axis, sig.Instrument)
	}
	for i := range vals {
		if s.Values[i] != vals[i] {
			t.Errorf("value %d: %v", i, s.Values[i])
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, in := range []string{
		"", "#FORMAT : EMSA\n#SPECTRUM :\n#ENDOFDATA :\n", "#FORMAT : x\n#XPERCHAN: 1\n#OFFSET: 0\n#SPECTRUM :\n1, abc\n",
		"1,2,3\n", "#FORMAT: x\n#OFFSET: 0\n#SPECTRUM:\n1\n2\n",
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"msa_example1_eels_xy.msa", "msa_example2_eds_y.msa"} {
		b, _ := os.ReadFile("../../testdata/formats/" + name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		if sig, err := s.Signal(); err == nil {
			d := make([]float64, sig.Axis.Size)
			sig.Data.ReadRegion(d, multispectrum.Region{NY: 1, NX: 1})
		}
	})
}
