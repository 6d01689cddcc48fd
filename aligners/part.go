package aligners

import (
	"fmt"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Part selects the K-th of N parts of a run (1 <= K <= N), so that N
// processes (a Slurm job array) share a scan: the tiles of the run's
// tiling, in row-major order, are cut into N contiguous ranges balanced
// by pixel count, and a part reads, computes and writes only the tiles of
// its range. Tiles follow the input's chunks, so parts never share a
// chunk of the files they write. The zero Part is the whole run.
type Part struct {
	K, N int
}

// Whole reports whether p selects the whole run (the zero Part).
func (p Part) Whole() bool { return p.N == 0 }

// String returns "K/N" ("" for the whole run).
func (p Part) String() string {
	if p.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", p.K, p.N)
}

// PartError is a part selection that does not fit the run: K outside
// 1..N, or more parts than tiles.
type PartError struct {
	Part  Part
	Tiles int // tiles of the run
}

func (e *PartError) Error() string {
	if e.Part.N < 1 || e.Part.K < 1 || e.Part.K > e.Part.N {
		return fmt.Sprintf("part %d/%d: want 1 <= K <= N", e.Part.K, e.Part.N)
	}
	return fmt.Sprintf("part %d/%d: the scan has only %d tiles (chunks), fewer than %d parts", e.Part.K, e.Part.N, e.Tiles, e.Part.N)
}

// Bounds returns the tiles [first, end) of every part of a run of N
// parts over tl: bounds[j] is the first tile of part j+1 and bounds[N]
// is tl.Len(). Part j+1 starts at the tile where the pixels of the tiles
// before it come closest to j/N of the scan (ties to the earlier tile),
// moved as little as needed for every part to keep at least one tile.
// It is an error when N exceeds the number of tiles.
func Bounds(tl multispectrum.Tiling, n int) ([]int, error) {
	total := tl.Len()
	if n < 1 || n > total {
		return nil, &PartError{Part: Part{K: 1, N: n}, Tiles: total}
	}
	cum := make([]int, total+1) // pixels of tiles [0, i)
	for i := range total {
		cum[i+1] = cum[i] + tl.Region(i).Pixels()
	}
	b := make([]int, n+1)
	b[n] = total
	i := 0
	for j := 1; j < n; j++ {
		// target j/N of the pixels, in exact integer arithmetic:
		// |cum[i]*n - j*all| smallest.
		all := cum[total]
		for i < total && abs(cum[i+1]*n-j*all) < abs(cum[i]*n-j*all) {
			i++
		}
		b[j] = min(max(i, b[j-1]+1), total-(n-j))
	}
	return b, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Tiles returns the range [first, end) of tiles of part p of tl; the
// whole tiling for the zero Part.
func (p Part) Tiles(tl multispectrum.Tiling) (first, end int, err error) {
	if p.Whole() {
		return 0, tl.Len(), nil
	}
	if p.N < 1 || p.K < 1 || p.K > p.N {
		return 0, 0, &PartError{Part: p, Tiles: tl.Len()}
	}
	b, err := Bounds(tl, p.N)
	if err != nil {
		return 0, 0, &PartError{Part: p, Tiles: tl.Len()}
	}
	return b[p.K-1], b[p.K], nil
}

// Regions returns the rectangles of the scan that tiles [first, end) of
// tl cover, at most three: the rest of a first, partial row of tiles, the
// full rows of tiles, and the start of a last, partial row. They are
// what a merge maps, one mapping per rectangle.
func Regions(tl multispectrum.Tiling, first, end int) []multispectrum.Region {
	cols := tl.Cols()
	var out []multispectrum.Region
	span := func(a, b int) { // tiles a..b-1 of one row, or whole rows
		r0, r1 := tl.Region(a), tl.Region(b-1)
		out = append(out, multispectrum.Region{Y0: r0.Y0, X0: r0.X0, NY: r1.Y0 + r1.NY - r0.Y0, NX: r1.X0 + r1.NX - r0.X0})
	}
	for first < end {
		row := first / cols
		if first%cols != 0 || end < (row+1)*cols {
			b := min(end, (row+1)*cols)
			span(first, b)
			first = b
			continue
		}
		rows := (end - first) / cols
		span(first, first+rows*cols)
		first += rows * cols
	}
	return out
}
