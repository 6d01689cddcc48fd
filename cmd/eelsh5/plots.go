package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// mapGrid adapts a map (Width 1 array) to plotter.GridXYZ, row 0 at the
// top as in an image.
type mapGrid struct{ a *multispectrum.Array }

func (g mapGrid) Dims() (c, r int)   { return g.a.NX, g.a.NY }
func (g mapGrid) Z(c, r int) float64 { return g.a.Data[(g.a.NY-1-r)*g.a.NX+c] }
func (g mapGrid) X(c int) float64    { return float64(c) }
func (g mapGrid) Y(r int) float64    { return float64(r) }

// rowTicks labels a plot coordinate v with the image row ny-1-v, so that
// row 0 is at the top as in an image.
type rowTicks struct{ ny int }

func (t rowTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, tk := range (plot.DefaultTicks{}).Ticks(0, float64(t.ny-1)) {
		row := tk.Value
		tk.Value = float64(t.ny-1) - row
		out = append(out, tk)
	}
	return out
}

// heatmap returns a plot of the map with a colour bar beside it.
func heatmap(a *multispectrum.Array, title, units string) (*plot.Plot, *plot.Plot, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range a.Data {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if !(hi > lo) {
		hi = lo + 1
	}
	pal := moreland.SmoothBlueRed()
	pal.SetMin(lo)
	pal.SetMax(hi)
	cols := pal.Palette(255)
	hm := plotter.NewHeatMap(mapGrid{a}, cols)
	hm.Min, hm.Max = lo, hi
	hm.NaN = color.Gray{200}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "x (pixel)"
	p.Y.Label.Text = "y (pixel)"
	p.Y.Tick.Marker = rowTicks{a.NY}
	p.Add(hm)
	bar := plot.New()
	cb := &plotter.ColorBar{ColorMap: pal, Vertical: true}
	bar.Add(cb)
	bar.HideX()
	bar.Y.Label.Text = units
	return p, bar, nil
}

func savePNG(path string, w, h vg.Length, render func(dc draw.Canvas)) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return usageError{fmt.Errorf("%q: only .png plots are written", path)}
	}
	img := vgimg.New(w, h)
	dc := draw.New(img)
	render(dc)
	png := vgimg.PngCanvas{Canvas: img}
	return writeFile(path, png.WriteTo)
}

// plotShifts draws the shift map with a colour bar and a histogram of
// the shifts of the good pixels.
func plotShifts(path string, shifts *multispectrum.Array, status []aligners.Status) error {
	p, bar, err := heatmap(shifts, "Zero-loss shift", "shift (eV)")
	if err != nil {
		return err
	}
	var good plotter.Values
	for i, v := range shifts.Data {
		if status[i] == aligners.OK {
			good = append(good, v)
		}
	}
	hp := plot.New()
	hp.Title.Text = fmt.Sprintf("Shifts of %d pixels", len(good))
	hp.X.Label.Text = "shift (eV)"
	hp.Y.Label.Text = "pixels"
	if len(good) > 0 {
		h, err := plotter.NewHist(good, 20)
		if err != nil {
			return fmt.Errorf("could not plot: %w", err)
		}
		hp.Add(h)
	}
	return savePNG(path, 14*vg.Inch, 6*vg.Inch, func(dc draw.Canvas) {
		w := dc.Max.X - dc.Min.X
		left := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: dc.Min.X + w*0.45, Y: dc.Max.Y}}}
		barc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: dc.Min.X + w*0.45, Y: dc.Min.Y}, Max: vg.Point{X: dc.Min.X + w*0.53, Y: dc.Max.Y}}}
		right := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: dc.Min.X + w*0.56, Y: dc.Min.Y}, Max: dc.Max}}
		p.Draw(left)
		bar.Draw(barc)
		hp.Draw(right)
	})
}
