package classic

import (
	"flag"
	"image/color"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var figures = flag.String("classic-figures", "", "write the figures of doc/algorithms.md 12 into this directory (e.g. ../doc/img)")

// TestFourierRatioFigure draws doc/img/classic-fourier-ratio.png with
// -classic-figures DIR: the seed edges (no background, no noise) with the
// plural scattering of t/lambda = 1, their Fourier-ratio deconvolution and
// the single scattering (t/lambda = 0) they should equal, 250-800 eV.
func TestFourierRatioFigure(t *testing.T) {
	if *figures == "" {
		t.Skip("no -classic-figures directory")
	}
	truth, plural := twoThicknesses(t, 0), twoThicknesses(t, 1)
	var m Memory
	if _, err := Deconvolve(CubeInput(plural.LowLoss, plural.CoreLoss), DeconvolveOptions{Method: FourierRatio, FWHM: 1}, &m, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	ax := plural.CoreLoss.Axis
	i0, i1, err := window(ax, 250, 800, "figure")
	if err != nil {
		t.Fatal(err)
	}
	line := func(y []float64) plotter.XYs {
		xy := make(plotter.XYs, 0, i1-i0)
		for i := i0; i < i1; i++ {
			xy = append(xy, plotter.XY{X: ax.Energy(i), Y: y[i]})
		}
		return xy
	}
	p := plot.New()
	p.Title.Text = "Fourier-ratio deconvolution of the seed edges (t/lambda = 1)"
	p.X.Label.Text = "energy loss (eV)"
	p.Y.Label.Text = "counts"
	for _, c := range []struct {
		name  string
		y     []float64
		col   color.RGBA
		width vg.Length
		dash  []vg.Length
	}{
		{"with plural scattering (input)", plural.CoreLoss.Pixel(0, 0), color.RGBA{150, 150, 150, 255}, 1.5, nil},
		{"single scattering (simulated, t/lambda = 0)", truth.CoreLoss.Pixel(0, 0), color.RGBA{0, 0, 0, 255}, 2.5, nil},
		{"Fourier-ratio, 1 eV Gaussian modifier", m.Cubes[CoreLoss].Pixel(0, 0), color.RGBA{220, 50, 30, 255}, 1.2, []vg.Length{vg.Points(4), vg.Points(2)}},
	} {
		l, err := plotter.NewLine(line(c.y))
		if err != nil {
			t.Fatal(err)
		}
		l.Color, l.Width, l.Dashes = c.col, vg.Points(float64(c.width)), c.dash
		p.Add(l)
		p.Legend.Add(c.name, l)
	}
	p.Legend.Top = true
	p.Legend.XOffs = -10
	if err := p.Save(8*vg.Inch, 4.5*vg.Inch, *figures+"/classic-fourier-ratio.png"); err != nil {
		t.Fatal(err)
	}
}
