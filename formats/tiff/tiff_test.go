package tiff

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stack returns pages of w x h values 100 k + 10 y + x + 0.25, with NaN
// and infinities in page 0 when special.
func stack(w, h, pages int, special bool) [][]float32 {
	out := make([][]float32, pages)
	for k := range out {
		p := make([]float32, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p[y*w+x] = float32(100*k+10*y+x) + 0.25
			}
		}
		out[k] = p
	}
	if special && w*h >= 3 {
		out[0][0], out[0][1], out[0][2] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
	}
	return out
}

func write(t *testing.T, w, h int, pages [][]float32, names, descs []string, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw, err := NewWriter(&buf, w, h, len(pages), opt)
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range pages {
		if err := tw.WritePage(p, names[k], descs[k]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteRead(t *testing.T) {
	for i, test := range []struct {
		w, h   int
		names  []string
		descs  []string
		opt    Options
		labels []string // ImageJ slice labels expected
		ij     map[string]string
	}{
		{w: 1, h: 1, names: []string{"chi2"}, descs: []string{"reduced chi-square"}},
		{w: 5, h: 3, names: []string{"C K", "N K", "O K"}, descs: []string{"C K (at.%)", "N K (at.%)", "O K (at.%)"},
			opt:    Options{ImageJ: true, Calibration: Calibration{PixelSize: 0.5, Unit: "nm", X0: 10, Y0: 20}, Software: "eelsh5 test"},
			labels: []string{"C K (at.%)", "N K (at.%)", "O K (at.%)"},
			ij:     map[string]string{"ImageJ": "1.11a", "images": "3", "slices": "3", "unit": "nm", "xorigin": "-20", "yorigin": "-40", "loop": "false"}},
		{w: 4, h: 2, names: []string{"a", ""}, descs: []string{"", ""}, opt: Options{ImageJ: true},
			labels: []string{"a", " "}, ij: map[string]string{"ImageJ": "1.11a", "images": "2", "slices": "2", "loop": "false"}},
		{w: 2, h: 2, names: []string{"Fe L"}, descs: []string{"areal density (atoms/nm²)"},
			opt:    Options{ImageJ: true, Calibration: Calibration{PixelSize: 0.18, Unit: "µm"}},
			labels: []string{"areal density (atoms/nm²)"}, ij: map[string]string{"ImageJ": "1.11a", "unit": "um", "loop": "false"}},
		{w: 3, h: 7, names: []string{"x", "y"}, descs: []string{"one", "two"}, opt: Options{Calibration: Calibration{PixelSize: 2.5, Unit: "cm"}}},
	} {
		pages := stack(test.w, test.h, len(test.names), true)
		b := write(t, test.w, test.h, pages, test.names, test.descs, test.opt)
		f, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if f.ByteOrder != binary.LittleEndian || len(f.Pages) != len(pages) {
			t.Fatalf("%d: %v, %d pages", i, f.ByteOrder, len(f.Pages))
		}
		for k, p := range f.Pages {
			if p.Width != test.w || p.Height != test.h || p.BitsPerSample != 32 || p.SampleFormat != 3 {
				t.Errorf("%d page %d: %dx%d, %d bits, format %d", i, k, p.Width, p.Height, p.BitsPerSample, p.SampleFormat)
			}
			for j, v := range p.Pix {
				want := float64(pages[k][j])
				if v != want && !(math.IsNaN(v) && math.IsNaN(want)) {
					t.Errorf("%d page %d pixel %d: %v, want %v", i, k, j, v, want)
				}
			}
			// Contiguous data from byte 8, as ImageJ reads stacks.
			if f.Offsets[k] != 8+int64(k*test.w*test.h*4) {
				t.Errorf("%d page %d: data at %d", i, k, f.Offsets[k])
			}
			if p.Name != asciiEscape(test.names[k]) {
				t.Errorf("%d page %d: name %q", i, k, p.Name)
			}
			wantDesc := asciiEscape(test.descs[k])
			if test.opt.ImageJ && k == 0 {
				wantDesc = p.Description // checked through f.ImageJ
			}
			if p.Description != wantDesc {
				t.Errorf("%d page %d: description %q, want %q", i, k, p.Description, wantDesc)
			}
			if p.Software != test.opt.Software {
				t.Errorf("%d page %d: software %q", i, k, p.Software)
			}
		}
		if size, unit := f.PixelSize(); test.opt.PixelSize != 0 {
			wantUnit := imageJUnit(test.opt.Unit)
			if math.Abs(size-test.opt.PixelSize) > 1e-12*test.opt.PixelSize || unit != wantUnit {
				t.Errorf("%d: pixel size %v %q, want %v %q", i, size, unit, test.opt.PixelSize, wantUnit)
			}
			if x0, y0 := f.Origin(); test.opt.ImageJ && (math.Abs(x0-test.opt.X0) > 1e-12 || math.Abs(y0-test.opt.Y0) > 1e-12) {
				t.Errorf("%d: origin %v, %v", i, x0, y0)
			}
		} else if size != 0 || unit != "" {
			t.Errorf("%d: uncalibrated file has pixel size %v %q", i, size, unit)
		}
		if len(f.ImageJ) != len(test.ij) {
			t.Errorf("%d: ImageJ header %v, want %v", i, f.ImageJ, test.ij)
		}
		for k, v := range test.ij {
			if f.ImageJ[k] != v {
				t.Errorf("%d: ImageJ %s=%q, want %q", i, k, f.ImageJ[k], v)
			}
		}
		if strings.Join(f.Labels, "|") != strings.Join(test.labels, "|") {
			t.Errorf("%d: labels %q, want %q", i, f.Labels, test.labels)
		}
	}
}

// TestReadTifffile reads files written by tifffile 2023.2.3
// (testdata/gen_tifffile.py gives the values' formulas).
func TestReadTifffile(t *testing.T) {
	b, err := os.ReadFile("testdata/tifffile_imagej.tif")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Pages) != 3 || f.ImageJ["slices"] != "3" || strings.Join(f.Labels, ",") != "a,b,c" {
		t.Fatalf("%d pages, ImageJ %v, labels %q", len(f.Pages), f.ImageJ, f.Labels)
	}
	if size, unit := f.PixelSize(); size != 0.5 || unit != "nm" {
		t.Errorf("pixel size %v %q", size, unit)
	}
	for k, p := range f.Pages {
		if p.Width != 4 || p.Height != 5 || p.SampleFormat != 3 {
			t.Fatalf("page %d: %+v", k, p)
		}
		for y := 0; y < 5; y++ {
			for x := 0; x < 4; x++ {
				if v, want := p.Pix[y*4+x], float64(100*k+10*y+x)+0.25; v != want {
					t.Errorf("page %d (%d, %d): %v, want %v", k, y, x, v, want)
				}
			}
		}
	}

	b, err = os.ReadFile("testdata/tifffile_bigendian.tif")
	if err != nil {
		t.Fatal(err)
	}
	f, err = Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.ByteOrder != binary.BigEndian || len(f.Pages) != 2 || f.ImageJ != nil {
		t.Fatalf("%v, %d pages, ImageJ %v", f.ByteOrder, len(f.Pages), f.ImageJ)
	}
	for k, p := range f.Pages {
		if p.Width != 2 || p.Height != 3 || p.BitsPerSample != 16 || p.SampleFormat != 1 {
			t.Fatalf("page %d: %+v", k, p)
		}
		for y := 0; y < 3; y++ {
			for x := 0; x < 2; x++ {
				want := float64(1000*k + 10*y + x)
				if k == 1 && y == 2 && x == 0 {
					want += 60000
				}
				if v := p.Pix[y*2+x]; v != want {
					t.Errorf("page %d (%d, %d): %v, want %v", k, y, x, v, want)
				}
			}
		}
	}
}

func TestRational(t *testing.T) {
	for _, test := range []struct {
		v        float64
		num, den uint32
	}{
		// Exact fractions and their continued-fraction convergents.
		{2, 2, 1},
		{0.5, 1, 2},
		{1 / 0.18, 50, 9},
		{1 / 0.25, 4, 1},
		{1e-12, 1, math.MaxUint32},
		{1e12, math.MaxUint32, 1},
		{0, 0, 1},
		{math.NaN(), 0, 1},
	} {
		num, den := rational(test.v)
		if num != test.num || den != test.den {
			t.Errorf("rational(%v) = %d/%d, want %d/%d", test.v, num, den, test.num, test.den)
		}
	}
	// Irrational values: the relative error of a 32-bit convergent is
	// below 1/den^2 (Khinchin, theorem 9), i.e. far below 1e-12 here.
	for _, v := range []float64{math.Pi, math.Sqrt2, 1 / 0.0123456789, 1 / 7.77e-4} {
		num, den := rational(v)
		if got := float64(num) / float64(den); math.Abs(got-v) > 1e-12*v {
			t.Errorf("rational(%v) = %d/%d = %v", v, num, den, got)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	for _, s := range [][3]int{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {1 << 16, 1 << 16, 1}} {
		if _, err := NewWriter(&buf, s[0], s[1], s[2], Options{}); err == nil {
			t.Errorf("NewWriter%v: no error", s)
		}
	}
	tw, err := NewWriter(&buf, 2, 2, 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.WritePage(make([]float32, 4), "", ""); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err == nil || !strings.Contains(err.Error(), "1 of 2 pages") {
		t.Errorf("Close after 1 of 2 pages: %v", err)
	}
	tw, _ = NewWriter(&buf, 1, 1, 1, Options{})
	tw.WritePage([]float32{1}, "", "")
	if err := tw.WritePage([]float32{1}, "", ""); err == nil {
		t.Error("second page of a 1-page file accepted")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("wrong page length did not panic")
			}
		}()
		tw, _ := NewWriter(&buf, 2, 2, 1, Options{})
		tw.WritePage(make([]float32, 3), "", "")
	}()
}

func TestReadErrors(t *testing.T) {
	good := write(t, 2, 2, stack(2, 2, 2, false), []string{"a", "b"}, []string{"", ""}, Options{})
	patch := func(off int, v ...byte) []byte {
		b := append([]byte(nil), good...)
		copy(b[off:], v)
		return b
	}
	// The first IFD follows the data: 8 + 2 pages x 16 bytes; entry 4
	// (0-based 4: Compression) sits at 40 + 2 + 4 x 12.
	ifd := 8 + 2*16
	n := int(binary.LittleEndian.Uint16(good[ifd:]))
	for _, test := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "could not read the header"},
		{"not TIFF", []byte("PNG\x00\x00\x00\x00\x00\x00"), "not a TIFF"},
		{"BigTIFF", patch(2, 43, 0), "BigTIFF"},
		{"truncated", good[:ifd+10], "runs past the end"},
		{"IFD offset", patch(4, 0xff, 0xff, 0xff, 0x0f), "outside the file"},
		{"compressed", patch(ifd+2+4*12+8, 5), "compression 5"},
		{"loop", patch(ifd+2+12*n, byte(ifd), 0, 0, 0), "linked twice"},
	} {
		_, err := Read(bytes.NewReader(test.b), int64(len(test.b)))
		if err == nil || !strings.Contains(err.Error(), test.want) {
			t.Errorf("%s: %v, want %q", test.name, err, test.want)
		}
	}
}

// TestTifffileReadsOurs: tifffile (Debian's python3-tifffile) reads a
// Writer stack as an ImageJ hyperstack of the same values, labels and
// pixel size; skipped when it is not installed.
func TestTifffileReadsOurs(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import tifffile").Run(); err != nil {
		t.Skip("tifffile not installed (Debian package python3-tifffile)")
	}
	pages := stack(5, 3, 4, true)
	names := []string{"C K", "N K", "O K", "Fe L"}
	descs := []string{"C K (at.%)", "N K (at.%)", "O K (at.%)", "Fe L (at.%)"}
	b := write(t, 5, 3, pages, names, descs, Options{ImageJ: true, Calibration: Calibration{PixelSize: 0.25, Unit: "nm"}})
	path := filepath.Join(t.TempDir(), "s.tif")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, numpy as np, tifffile
with tifffile.TiffFile(sys.argv[1]) as t:
    assert t.is_imagej, "not ImageJ"
    s = t.series[0]
    a = s.asarray()
    assert a.shape == (4, 3, 5) and a.dtype == np.float32 and s.axes == "ZYX", (a.shape, a.dtype, s.axes)
    k, y, x = np.mgrid[0:4, 0:3, 0:5]
    want = (100 * k + 10 * y + x + 0.25).astype(np.float32)
    want[0, 0, :3] = [np.nan, np.inf, -np.inf]
    assert np.array_equal(a, want, equal_nan=True), a
    m = t.imagej_metadata
    assert m["Labels"] == ["C K (at.%)", "N K (at.%)", "O K (at.%)", "Fe L (at.%)"] and m["unit"] == "nm", m
    p = t.pages[0]
    assert p.tags["XResolution"].value == (4, 1) and p.tags["SampleFormat"].value == 3 and p.tags["PageName"].value == "C K", p.tags
    assert t.pages[2].description == "O K (at.%)", t.pages[2].description
print("ok")
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ok") {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
}
