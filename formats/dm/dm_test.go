package dm

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Expected values: testdata/formats (from shared/testdata/README.md,
// obtained with HyperSpy 1.7.3). float32-derived values are compared to
// 1e-6 relative.

func open(t testing.TB, name string) *File {
	t.Helper()
	fh, err := os.Open("../../testdata/formats/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	st, _ := fh.Stat()
	f, err := Open(fh, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(math.Abs(b), 1e-3) }

func TestEELSSpectrumDM3(t *testing.T) {
	f := open(t, "dm3_eels_spectrum.dm3")
	s, err := f.Signal(Options{Image: -1})
	if err != nil {
		t.Fatal(err)
	}
	if s.NY != 1 || s.NX != 1 || s.Axis.Size != 2048 || s.Axis.Offset != -100 || s.Axis.Dispersion != 0.5 || s.EnergyUnits != "eV" || s.Title != "EELS Acquire" {
		t.Fatalf("signal %+v", s)
	}
	d := make([]float64, 2048)
	if err := s.Data.ReadRegion(d, multispectrum.Region{NY: 1, NX: 1}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{-20.6795654, -54.7528076, 204.568604, 51.3254395} {
		if !near(d[i], want) {
			t.Errorf("d[%d] = %v, want %v", i, d[i], want)
		}
	}
	sum, mx, arg := 0.0, math.Inf(-1), 0
	for i, v := range d {
		sum += v
		if v > mx {
			mx, arg = v, i
		}
	}
	if !near(d[2047], -113.732056) || !near(mx, 305.02026) || arg != 2039 || math.Abs(sum+7678.557) > 0.01 {
		t.Errorf("last %v max %v at %d sum %v", d[2047], mx, arg, sum)
	}
	in := s.Instrument
	if in.BeamEnergy != 200e3 || !near(in.Convergence, 21e-3) || !math.IsNaN(in.Collection) || !near(in.DwellTime, 0.0035) || in.Microscope != "FEI Titan" {
		t.Errorf("instrument %+v (collection 0.0 in the file means not entered)", in)
	}
}

func TestEELSSpectrumImageDM4(t *testing.T) {
	f := open(t, "dm4_eels_spectrum_image.dm4")
	s, err := f.Signal(Options{Image: -1})
	if err != nil {
		t.Fatal(err)
	}
	if s.NY != 2 || s.NX != 2 || s.Axis.Size != 2048 || s.Axis.Offset != 300 || s.Axis.Dispersion != 1 || !near(s.Scan.Step, 0.0019920736085623503) || s.Scan.Units != "um" {
		t.Fatalf("signal %+v", s)
	}
	c := multispectrum.NewCube(2, 2, s.Axis)
	if err := s.Data.ReadRegion(c.Data, c.Bounds()); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		y, x, e int
		want    float64
	}{
		{0, 0, 0, 8473.006}, {0, 0, 1, 8634.402}, {0, 0, 2, 8471.651}, {0, 1, 0, 7891.006}, {1, 0, 0, 7923.006},
		{1, 1, 0, 8271.006}, {1, 1, 1, 8151.402}, {1, 1, 2, 8323.651}, {0, 0, 2047, 75.013916}, {1, 1, 2047, 115.013916},
	}
	for _, ck := range checks {
		if got := c.Pixel(ck.y, ck.x)[ck.e]; !near(got, ck.want) {
			t.Errorf("[%d,%d,%d] = %v, want %v", ck.y, ck.x, ck.e, got, ck.want)
		}
	}
	sum, mn, mx := 0.0, math.Inf(1), math.Inf(-1)
	for _, v := range c.Data {
		sum += v
		mn, mx = math.Min(mn, v), math.Max(mx, v)
	}
	if !near(mn, -27.721436) || !near(mx, 8634.402) || math.Abs(sum-7169069.07) > 0.5 {
		t.Errorf("min %v max %v sum %v", mn, mx, sum)
	}
	// A region read gives the same values as the whole (streaming).
	r := make([]float64, 2048)
	s.Data.ReadRegion(r, multispectrum.Region{Y0: 1, X0: 0, NY: 1, NX: 1})
	if r[0] != c.Pixel(1, 0)[0] || r[2047] != c.Pixel(1, 0)[2047] {
		t.Error("region read differs")
	}
	in := s.Instrument
	if in.BeamEnergy != 200e3 || !near(in.Convergence, 21e-3) || !near(in.Collection, 62e-3) || !near(in.DwellTime, 0.0199501246882793) {
		t.Errorf("instrument %+v", in)
	}
	if s.Original["ImageTags"] == nil {
		t.Error("original metadata missing")
	}
}

func TestRefusals(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"dm3_stem_image.dm3", "2-D image (68x68, uint32) without spectrum/spectrum-image tags"},
		{"dm3_3d_image_stack.dm3", "3-D image stack (no 'Spectrum image' format tag)"},
		{"dm4_3d_image_stack.dm4", "3-D image stack"},
		{"dm4_cl_linescan_si.dm4", "signal type CL, spectral unit \"nm\", not EELS"},
		{"dm3_multi_image.dm3", "no EELS image among 2 images"},
		{"dm3_1d_float32_uncalibrated.dm3", "has no EELS tags and its spectral axis is not calibrated in eV"},
		{"dm4_1d_float32_uncalibrated.dm4", "not calibrated in eV"},
	} {
		_, err := open(t, c.file).Signal(Options{Image: -1})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want error containing %q", c.file, err, c.want)
		}
	}
	// The multi-image error lists both images.
	_, err := open(t, "dm3_multi_image.dm3").Signal(Options{Image: -1})
	if !strings.Contains(err.Error(), `"HAADF"`) || !strings.Contains(err.Error(), `"Plot"`) {
		t.Errorf("multi-image message: %v", err)
	}
}

// The refusals a caller can act on (choose an image, give a calibration)
// are typed errors; their messages name no command-line flag.
func TestChoiceErrors(t *testing.T) {
	_, err := open(t, "dm3_multi_image.dm3").Signal(Options{Image: -1})
	var amb *AmbiguousImageError
	if !errors.Is(err, ErrAmbiguousImage) || !errors.As(err, &amb) || amb.EELS != 0 || len(amb.Images) != 2 {
		t.Errorf("multi-image file: %v (%+v)", err, amb)
	}
	for _, v := range []int{3, 4} {
		f, err := openBytes(buildDMImages(v, []int{8}, 0, "Spectrum", 3))
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.Signal(Options{Image: -1})
		if !errors.As(err, &amb) || amb.EELS != 3 || len(amb.Images) != 3 || !strings.HasPrefix(err.Error(), "dm: 3 EELS images (images: ") {
			t.Errorf("v%d, 3 EELS images: %v", v, err)
		}
		if _, err := f.Signal(Options{Image: 1}); err != nil {
			t.Errorf("v%d, image 1 chosen: %v", v, err)
		}
	}
	for _, name := range []string{"dm3_1d_float32_uncalibrated.dm3", "dm4_1d_float32_uncalibrated.dm4"} {
		_, err := open(t, name).Signal(Options{Image: -1})
		var unc *UncalibratedError
		if !errors.Is(err, ErrUncalibrated) || !errors.As(err, &unc) || unc.Image == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"dm3_multi_image.dm3", "dm3_1d_float32_uncalibrated.dm3"} {
		_, err := open(t, name).Signal(Options{Image: -1})
		if err == nil || strings.Contains(err.Error(), "--") {
			t.Errorf("%s: %v names a flag", name, err)
		}
	}
}

func TestRawImages(t *testing.T) {
	// Uncalibrated 1-D: data [1, 2], DM3/DM4 parity, with a calibration.
	for _, name := range []string{"dm3_1d_float32_uncalibrated.dm3", "dm4_1d_float32_uncalibrated.dm4"} {
		s, err := open(t, name).Signal(Options{Image: -1, Energy: &multispectrum.EnergyAxis{Offset: 10, Dispersion: 0.5}})
		if err != nil {
			t.Fatal(err)
		}
		d := make([]float64, 2)
		s.Data.ReadRegion(d, multispectrum.Region{NY: 1, NX: 1})
		if d[0] != 1 || d[1] != 2 || s.Axis.Offset != 10 || len(s.Warnings) == 0 {
			t.Errorf("%s: %v %+v", name, d, s.Axis)
		}
	}
	// Image stack values v[z][y][x] = 1 + 4z + 2y + x in file order.
	ims, _ := open(t, "dm4_3d_image_stack.dm4").Images()
	im := ims[1]
	v := make([]float64, 8)
	if err := im.ReadFloats(v, 0); err != nil || v[0] != 1 || v[7] != 8 || im.Thumbnail || !ims[0].Thumbnail {
		t.Errorf("stack %v %v", v, err)
	}
	// Multi-image file: HAADF uint16 and Plot float32.
	ims, _ = open(t, "dm3_multi_image.dm3").Images()
	if len(ims) != 3 || ims[1].Name != "HAADF" || ims[1].TypeName() != "uint16" || ims[2].Name != "Plot" {
		t.Fatalf("images %d", len(ims))
	}
	h := make([]float64, 512*512)
	ims[1].ReadFloats(h, 0)
	sum := 0.0
	for _, x := range h {
		sum += x
	}
	if h[0] != 195 || h[1] != 25 || h[2] != 106 || h[3] != 281 || sum != 949490255 {
		t.Errorf("HAADF %v... sum %v", h[:4], sum)
	}
	// CL line scan: (67, 1336) with the spectral axis last, no transpose.
	ims, _ = open(t, "dm4_cl_linescan_si.dm4").Images()
	cl := ims[1]
	if len(cl.Dims) != 2 || cl.Dims[0] != 1336 || cl.Dims[1] != 67 {
		t.Fatalf("CL dims %v", cl.Dims)
	}
	row := make([]float64, 67*1336)
	cl.ReadFloats(row, 0)
	sum, mx, at := 0.0, 0.0, 0
	for i, x := range row {
		sum += x
		if x > mx {
			mx, at = x, i
		}
	}
	if row[0] != -11 || row[1] != -7 || row[2] != -8 || row[3] != -11 || mx != 36868 || at != 23*1336+376 || sum != 345947083 {
		t.Errorf("CL: %v max %v at %d sum %v", row[:4], mx, at, sum)
	}
}

func TestBadFiles(t *testing.T) {
	b, _ := os.ReadFile("../../testdata/formats/dm4_eels_spectrum_image.dm4")
	for _, n := range []int{0, 10, 100, 1000, len(b) / 2} {
		if _, err := openBytes(b[:n]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
	// A lying count far beyond the file: an error, no allocation.
	lie := append([]byte{}, b...)
	copy(lie[18:26], []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if _, err := openBytes(lie); !errors.Is(err, ErrFormat) {
		t.Errorf("lying count: %v", err)
	}
}

type bytesReader []byte

func (b bytesReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= int64(len(b)) {
		return 0, errors.New("EOF")
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, errors.New("EOF")
	}
	return n, nil
}

func openBytes(b []byte) (*File, error) { return Open(bytesReader(b), int64(len(b))) }

// FuzzOpen parses arbitrary bytes as DM: errors are fine, panics and
// unbounded allocation are not. Seeds are the fixtures.
// Seeds: small files built in build_test.go and the smallest fixture
// (the fuzzer slows down badly with large inputs).
var fuzzSeeds [][]byte

func FuzzOpen(f *testing.F) {
	for _, b := range fuzzSeeds {
		f.Add(b)
	}
	if b, err := os.ReadFile("../../testdata/formats/dm4_3d_image_stack.dm4"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := openBytes(b)
		if err != nil {
			return
		}
		s, err := file.Signal(Options{Image: -1, Energy: &multispectrum.EnergyAxis{Offset: 0, Dispersion: 1}})
		if err != nil {
			return
		}
		if s.Axis.Size > 1<<24 {
			return
		}
		d := make([]float64, s.Axis.Size)
		s.Data.ReadRegion(d, multispectrum.Region{NY: 1, NX: 1})
	})
}
