package aligners_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

// TestPartBounds checks the tile ranges of partitioned runs on ragged
// tilings: every part has at least one tile, the parts cover the tiles
// once in order, the pixel counts differ by at most one tile's pixels
// from the even share, their rectangles (at most three) cover exactly
// the part's tiles, and N above the tile count is refused.
func TestPartBounds(t *testing.T) {
	for _, c := range []struct {
		ny, nx, ty, tx int
		n              int
	}{
		{32, 32, 8, 8, 1}, {32, 32, 8, 8, 2}, {32, 32, 8, 8, 3}, {32, 32, 8, 8, 7},
		{30, 29, 8, 8, 7}, // ragged tiles at the bottom and right
		{5, 100, 5, 7, 15}, {64, 64, 32, 32, 4}, {10, 10, 3, 3, 16},
	} {
		tl := multispectrum.NewTiling(c.ny, c.nx, c.ty, c.tx)
		b, err := aligners.Bounds(tl, c.n)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if b[0] != 0 || b[c.n] != tl.Len() {
			t.Fatalf("%+v: bounds %v", c, b)
		}
		share := float64(c.ny*c.nx) / float64(c.n)
		seen := make([]int, c.ny*c.nx)
		for k := 1; k <= c.n; k++ {
			first, end, err := aligners.Part{K: k, N: c.n}.Tiles(tl)
			if err != nil || first != b[k-1] || end != b[k] || end <= first {
				t.Fatalf("%+v part %d: tiles %d..%d (%v), bounds %v", c, k, first, end, err, b)
			}
			pix := 0
			for i := first; i < end; i++ {
				pix += tl.Region(i).Pixels()
			}
			if d := math.Abs(float64(pix) - share); d > float64(2*tl.MaxPixels()) {
				t.Errorf("%+v part %d: %d pixels, even share %.1f", c, k, pix, share)
			}
			rs := aligners.Regions(tl, first, end)
			if len(rs) > 3 {
				t.Errorf("%+v part %d: %d rectangles", c, k, len(rs))
			}
			n := 0
			for _, r := range rs {
				for y := r.Y0; y < r.Y0+r.NY; y++ {
					for x := r.X0; x < r.X0+r.NX; x++ {
						seen[y*c.nx+x]++
						n++
					}
				}
			}
			if n != pix {
				t.Errorf("%+v part %d: rectangles %v hold %d pixels, tiles %d", c, k, rs, n, pix)
			}
		}
		for p, v := range seen {
			if v != 1 {
				t.Fatalf("%+v: pixel %d covered %d times", c, p, v)
			}
		}
	}
	tl := multispectrum.NewTiling(10, 10, 5, 5)
	var pe *aligners.PartError
	for _, p := range []aligners.Part{{K: 1, N: 5}, {K: 0, N: 2}, {K: 3, N: 2}} {
		if _, _, err := p.Tiles(tl); !errors.As(err, &pe) {
			t.Errorf("part %v of 4 tiles: %v, want a PartError", p, err)
		}
	}
}

// TestPartsEqualWholeRun aligns the 32x32 seed simulation (8x8 tiles)
// as N = 1, 2, 3 and 7 parts with the measurement of a preparing run and
// checks that the parts' tiles, put together, equal the whole run's
// aligned cubes bit for bit.
func TestPartsEqualWholeRun(t *testing.T) {
	_, low, core := simulated(t, simulate.IntegerShifts, false)
	in := aligners.CubeInput(low, core)
	in.Tile = [2]int{8, 8}
	opts := aligners.RunOptions{Workers: 2}
	whole := &aligners.Memory{}
	if _, err := aligners.Run(context.Background(), in, whole, opts); err != nil {
		t.Fatal(err)
	}
	prep, err := aligners.Measure(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	tl := in.Tiling()
	for _, n := range []int{1, 2, 3, 7} {
		var got []*multispectrum.Cube
		for k := 1; k <= n; k++ {
			po := opts
			po.Part, po.Measured = aligners.Part{K: k, N: n}, prep.Measurement()
			mem := &aligners.Memory{}
			if _, err := aligners.Run(context.Background(), in, mem, po); err != nil {
				t.Fatal(err)
			}
			if got == nil {
				for _, c := range mem.Cubes {
					got = append(got, multispectrum.NewCube(c.NY, c.NX, c.Axis))
				}
			}
			first, end, _ := po.Part.Tiles(tl)
			for _, r := range aligners.Regions(tl, first, end) {
				for i, c := range mem.Cubes {
					got[i].WriteRegion(r, c.ReadRegion(make([]float64, r.Pixels()*c.Width), r))
				}
			}
		}
		for i, c := range whole.Cubes {
			if !c.Axis.Equal(got[i].Axis) {
				t.Fatalf("N=%d cube %d: axis %v, whole %v", n, i, got[i].Axis, c.Axis)
			}
			for j, v := range c.Data {
				if math.Float64bits(v) != math.Float64bits(got[i].Data[j]) {
					t.Fatalf("N=%d cube %d value %d: %g, whole run %g", n, i, j, got[i].Data[j], v)
				}
			}
		}
	}
}
