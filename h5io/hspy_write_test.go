package h5io

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// TestHyperSpyImagesRoundTrip writes a map stack and a single map as
// HyperSpy Signal2D files and reads back the data, the axes (doc/formats.md
// 2.4, 2.11) and the component names; values are 100 k + 10 y + x + 0.5,
// a NaN at one pixel as failed pixels have.
func TestHyperSpyImagesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	scan := multispectrum.ScanCalibration{Y0: 20, X0: 10, Step: 0.5, Units: "nm"}
	for i, test := range []struct {
		names []string
		stack bool
		scan  multispectrum.ScanCalibration
	}{
		{[]string{"C K", "N K", "O K"}, true, scan},
		{[]string{"C K"}, true, scan},
		{[]string{"chi2"}, false, multispectrum.ScanCalibration{}},
	} {
		const ny, nx = 4, 5
		path := filepath.Join(dir, fmt.Sprintf("m%d.hspy", i))
		hi, err := CreateHyperSpyImages(path, HyperSpyImagesSpec{Title: "composition", OriginalFilename: "a.nxs", Names: test.names, Stack: test.stack,
			NY: ny, NX: nx, Scan: test.scan, Quantity: "relative composition (at.%)", Source: "/entry/quant/composition/composition", Units: "at.%",
			Instrument: multispectrum.Instrument{BeamEnergy: 300e3, Convergence: math.NaN(), Collection: 20e-3}, Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		img := make([]float64, ny*nx)
		for k := range test.names {
			for p := range img {
				img[p] = float64(100*k+10*(p/nx)+p%nx) + 0.5
			}
			img[7] = math.NaN()
			if err := hi.WriteImage(k, img); err != nil {
				t.Fatal(err)
			}
		}
		if err := hi.Close(); err != nil {
			t.Fatal(err)
		}

		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		g := "/Experiments/composition"
		data, dims, err := f.ReadFloats(g + "/data")
		if err != nil {
			t.Fatal(err)
		}
		wantDims := []int{ny, nx}
		if test.stack {
			wantDims = []int{len(test.names), ny, nx}
		}
		if fmt.Sprint(dims) != fmt.Sprint(wantDims) {
			t.Fatalf("%d: shape %v, want %v", i, dims, wantDims)
		}
		for j, v := range data {
			k, p := j/(ny*nx), j%(ny*nx)
			want := float64(100*k+10*(p/nx)+p%nx) + 0.5
			if p == 7 {
				want = math.NaN()
			}
			if v != want && !(math.IsNaN(v) && math.IsNaN(want)) {
				t.Fatalf("%d: value %d: %v, want %v", i, j, v, want)
			}
		}
		type ax struct {
			name, units   string
			size          float64
			scale, offset float64
			nav           bool
		}
		want := []ax{{"y", "nm", ny, 0.5, 20, false}, {"x", "nm", nx, 0.5, 10, false}}
		if !test.stack {
			want = []ax{{"y", "", ny, 1, 0, false}, {"x", "", nx, 1, 0, false}}
		}
		if test.stack {
			want = append([]ax{{"component", "", float64(len(test.names)), 1, 0, true}}, want...)
		}
		for k, w := range want {
			a := f.tree(fmt.Sprintf("%s/axis-%d", g, k), 0)
			units, _ := a["units"].(string)
			nav := map[bool]string{false: "0", true: "1"}[w.nav] // bool enum values
			if a["name"] != w.name || units != w.units || fmt.Sprint(a["size"]) != fmt.Sprint(w.size) || a["scale"] != w.scale || a["offset"] != w.offset || fmt.Sprint(a["navigate"]) != nav {
				t.Errorf("%d: axis-%d %v, want %+v", i, k, a, w)
			}
		}
		names, err := f.ReadStrings(g + "/original_metadata/eelsh5/_list_component_names")
		if err != nil || fmt.Sprint(names) != fmt.Sprint(test.names) {
			t.Errorf("%d: names %q (%v)", i, names, err)
		}
		meta := f.tree(g+"/metadata", 0)
		sig, _ := meta["Signal"].(map[string]any)
		tem, _ := meta["Acquisition_instrument"].(map[string]any)["TEM"].(map[string]any)
		if sig["record_by"] != "image" || sig["quantity"] != "relative composition (at.%)" || tem["beam_energy"] != 300.0 || tem["convergence_angle"] != nil {
			t.Errorf("%d: metadata %v", i, meta)
		}
		if v, _ := f.AttrString("/", "file_format"); v != "HyperSpy" {
			t.Errorf("%d: file_format %q", i, v)
		}
		f.Close()
		// eelsh5 import refuses it: no EELS signal (the last axis is x).
		if _, closeFn, err := OpenSignal(path, SignalOptions{}); err == nil {
			closeFn()
			t.Errorf("%d: a Signal2D stack imported as EELS", i)
		}
	}
	if _, err := CreateHyperSpyImages(filepath.Join(dir, "bad.hspy"), HyperSpyImagesSpec{Names: []string{"a", "b"}, NY: 2, NX: 2}); err == nil {
		t.Error("two names without Stack accepted")
	}
	if _, err := CreateHyperSpyImages(filepath.Join(dir, "m0.hspy"), HyperSpyImagesSpec{Names: []string{"a"}, NY: 2, NX: 2}); err == nil {
		t.Error("existing file overwritten")
	}
}
