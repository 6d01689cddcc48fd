package multispectrum

import (
	"fmt"
	"iter"
)

// Region is a rectangle of scan pixels: rows [Y0, Y0+NY), columns
// [X0, X0+NX).
type Region struct {
	Y0, X0, NY, NX int
}

// Pixels returns the number of pixels in the region.
func (r Region) Pixels() int { return r.NY * r.NX }

func (r Region) String() string {
	return fmt.Sprintf("[%d:%d, %d:%d]", r.Y0, r.Y0+r.NY, r.X0, r.X0+r.NX)
}

// Tiling divides an NY x NX scan into tiles of TileY x TileX pixels in
// row-major order; tiles on the bottom and right edges are smaller when
// the scan is not a multiple of the tile size (ragged edges).
type Tiling struct {
	NY, NX       int // scan size
	TileY, TileX int // tile size
}

// NewTiling returns a tiling of an ny x nx scan into ty x tx tiles.
// Tile sizes larger than the scan are clamped to the scan.
// It panics if a size is not positive.
func NewTiling(ny, nx, ty, tx int) Tiling {
	if ny < 1 || nx < 1 || ty < 1 || tx < 1 {
		panic(fmt.Sprintf("multispectrum: bad tiling of %dx%d into %dx%d", ny, nx, ty, tx))
	}
	return Tiling{NY: ny, NX: nx, TileY: min(ty, ny), TileX: min(tx, nx)}
}

// Validate reports whether the tiling is usable: positive scan and tile
// sizes. The zero Tiling is not (NewTiling makes valid ones).
func (t Tiling) Validate() error {
	if t.NY < 1 || t.NX < 1 || t.TileY < 1 || t.TileX < 1 {
		return fmt.Errorf("multispectrum: bad tiling of %dx%d into %dx%d", t.NY, t.NX, t.TileY, t.TileX)
	}
	return nil
}

// Rows returns the number of tile rows; Cols the number of tile columns.
func (t Tiling) Rows() int { return (t.NY + t.TileY - 1) / t.TileY }

// Cols returns the number of tile columns.
func (t Tiling) Cols() int { return (t.NX + t.TileX - 1) / t.TileX }

// Len returns the number of tiles.
func (t Tiling) Len() int { return t.Rows() * t.Cols() }

// Region returns tile k (row-major order).
func (t Tiling) Region(k int) Region {
	c := t.Cols()
	ty, tx := k/c, k%c
	r := Region{Y0: ty * t.TileY, X0: tx * t.TileX, NY: t.TileY, NX: t.TileX}
	r.NY = min(r.NY, t.NY-r.Y0)
	r.NX = min(r.NX, t.NX-r.X0)
	return r
}

// Regions enumerates the tiles in row-major order with their index.
func (t Tiling) Regions() iter.Seq2[int, Region] {
	return func(yield func(int, Region) bool) {
		for k := 0; k < t.Len(); k++ {
			if !yield(k, t.Region(k)) {
				return
			}
		}
	}
}

// MaxPixels returns the number of pixels of the largest tile.
func (t Tiling) MaxPixels() int { return t.TileY * t.TileX }
