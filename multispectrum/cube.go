package multispectrum

import (
	"fmt"

	"github.com/eelsh5/eelsh5/internal/simd"
)

// Array is a pixel-major array of shape (NY, NX, Width), row-major with
// the last index fastest: the Width values of pixel (iy, ix) are the
// contiguous slice Data[(iy*NX+ix)*Width : (iy*NX+ix+1)*Width].
// A spectrum image is an Array whose Width is the number of channels; a
// map is an Array of Width 1; a coefficient image has one value per
// parameter.
type Array struct {
	NY, NX, Width int
	Data          []float64
}

// NewArray returns a zero array of shape (ny, nx, width).
func NewArray(ny, nx, width int) *Array {
	if ny < 0 || nx < 0 || width < 0 {
		panic("multispectrum: negative array dimension")
	}
	return &Array{NY: ny, NX: nx, Width: width, Data: make([]float64, ny*nx*width)}
}

// Pixel returns the values of pixel (iy, ix) as a slice aliasing Data.
func (a *Array) Pixel(iy, ix int) []float64 {
	if iy < 0 || iy >= a.NY || ix < 0 || ix >= a.NX {
		panic(fmt.Sprintf("multispectrum: pixel (%d, %d) outside %dx%d scan", iy, ix, a.NY, a.NX))
	}
	o := (iy*a.NX + ix) * a.Width
	return a.Data[o : o+a.Width]
}

// Bounds returns the region covering the whole scan.
func (a *Array) Bounds() Region { return Region{NY: a.NY, NX: a.NX} }

// ReadRegion copies the pixels of r into dst (pixel-major, row-major
// inside r) and returns dst[:r.Pixels()*Width].
func (a *Array) ReadRegion(dst []float64, r Region) []float64 {
	a.checkRegion(r)
	n := r.Pixels() * a.Width
	dst = dst[:n]
	row := r.NX * a.Width
	for y := 0; y < r.NY; y++ {
		o := ((r.Y0+y)*a.NX + r.X0) * a.Width
		copy(dst[y*row:(y+1)*row], a.Data[o:o+row])
	}
	return dst
}

// WriteRegion copies src (pixel-major, row-major inside r) into the
// pixels of r.
func (a *Array) WriteRegion(r Region, src []float64) {
	a.checkRegion(r)
	row := r.NX * a.Width
	if len(src) < r.NY*row {
		panic("multispectrum: region data too short")
	}
	for y := 0; y < r.NY; y++ {
		o := ((r.Y0+y)*a.NX + r.X0) * a.Width
		copy(a.Data[o:o+row], src[y*row:(y+1)*row])
	}
}

func (a *Array) checkRegion(r Region) {
	if r.Y0 < 0 || r.X0 < 0 || r.NY < 0 || r.NX < 0 || r.Y0+r.NY > a.NY || r.X0+r.NX > a.NX {
		panic(fmt.Sprintf("multispectrum: region %v outside %dx%d scan", r, a.NY, a.NX))
	}
}

// Cube is a spectrum image held in memory: an Array whose Width equals
// the number of energy channels of Axis.
type Cube struct {
	Array
	Axis EnergyAxis
}

// NewCube returns a zero cube of ny x nx spectra on the axis.
func NewCube(ny, nx int, axis EnergyAxis) *Cube {
	return &Cube{Array: *NewArray(ny, nx, axis.Size), Axis: axis}
}

// Spectrum returns pixel (iy, ix) as a Spectrum whose Data aliases the cube.
func (c *Cube) Spectrum(iy, ix int) *Spectrum {
	return &Spectrum{Axis: c.Axis, Data: c.Pixel(iy, ix)}
}

// Sum returns the sum of all spectra of the cube.
func (c *Cube) Sum() *Spectrum {
	s := NewSpectrum(c.Axis)
	w := c.Width
	for p := 0; p < c.NY*c.NX; p++ {
		AddTo(s.Data, c.Data[p*w:(p+1)*w])
	}
	return s
}

// Mean returns the mean spectrum of the cube.
func (c *Cube) Mean() *Spectrum {
	s := c.Sum()
	if n := c.NY * c.NX; n > 0 {
		inv := 1 / float64(n)
		for i := range s.Data {
			s.Data[i] *= inv
		}
	}
	return s
}

// MeanRegion returns the mean spectrum over the pixels of r.
func (c *Cube) MeanRegion(r Region) *Spectrum {
	c.checkRegion(r)
	s := NewSpectrum(c.Axis)
	for y := r.Y0; y < r.Y0+r.NY; y++ {
		for x := r.X0; x < r.X0+r.NX; x++ {
			AddTo(s.Data, c.Pixel(y, x))
		}
	}
	if n := r.Pixels(); n > 0 {
		for i := range s.Data {
			s.Data[i] /= float64(n)
		}
	}
	return s
}

// CropEnergy returns a new cube holding channels [i0, i1) of every spectrum.
func (c *Cube) CropEnergy(i0, i1 int) *Cube {
	out := NewCube(c.NY, c.NX, c.Axis.Crop(i0, i1))
	for p := 0; p < c.NY*c.NX; p++ {
		copy(out.Data[p*out.Width:(p+1)*out.Width], c.Data[p*c.Width+i0:p*c.Width+i1])
	}
	return out
}

// AddTo adds src to dst element-wise (with the vector kernels where the
// CPU has them: x + 1*y is the rounded sum x + y, so the result is the
// plain loop's to the bit).
func AddTo(dst, src []float64) {
	if len(dst) != len(src) {
		panic("multispectrum: slice lengths do not match")
	}
	simd.Axpy(1, src, dst)
}
