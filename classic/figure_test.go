package classic

import (
	"flag"
	"image/color"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// TestIntegrateFigure draws doc/img/classic-integrate.png with
// -classic-figures DIR: the seed's O/Fe ring at the counts of 200 spectra
// (one Poisson realisation, seedRegionsDose), one panel per edge with the
// power law fitted over its default background window and extrapolated
// under its integration window, the net counts between them filled.
func TestIntegrateFigure(t *testing.T) {
	if *figures == "" {
		t.Skip("no -classic-figures directory")
	}
	sc, c := seedRegionsDose(t, 1, 200, true)
	y := c.CoreLoss.Pixel(3, 0)
	ax := c.CoreLoss.Axis
	opts := IntegrateOptions{Edges: seedEdges(), Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}
	_, ws, err := integratePlan(CubeInput(c.LowLoss, c.CoreLoss), opts)
	if err != nil {
		t.Fatal(err)
	}
	// The background of one channel: the fit extrapolated to it alone.
	bgAt := func(w edgeWindow, i int) float64 {
		one := w
		one.i0, one.i1, one.lnEi = i, i+1, []float64{math.Log(ax.Energy(i) + ax.Dispersion/2)}
		_, _, bg, _, _ := edgeSignal(y, ax, &one, LogLog)
		return bg
	}
	line := func(xy plotter.XYs, col color.Color, width float64, dash ...vg.Length) *plotter.Line {
		l, err := plotter.NewLine(xy)
		if err != nil {
			t.Fatal(err)
		}
		l.Color, l.Width, l.Dashes = col, vg.Points(width), dash
		return l
	}
	blue, fill := color.NRGBA{31, 119, 180, 255}, color.NRGBA{214, 39, 40, 110}
	var panels []*plot.Plot
	for k, w := range ws {
		lo, hi := max(w.b0-20, 0), min(w.i1+20, ax.Size)
		var data, fit, ext, net plotter.XYs
		for i := lo; i < hi; i++ {
			data = append(data, plotter.XY{X: ax.Energy(i), Y: y[i]})
		}
		for i := w.b0; i < w.b1; i++ {
			fit = append(fit, plotter.XY{X: ax.Energy(i), Y: bgAt(w, i)})
		}
		for i := w.b1 - 1; i < w.i1; i++ {
			ext = append(ext, plotter.XY{X: ax.Energy(i), Y: bgAt(w, i)})
		}
		for i := w.i0; i < w.i1; i++ {
			net = append(net, plotter.XY{X: ax.Energy(i), Y: y[i]})
		}
		for i := w.i1 - 1; i >= w.i0; i-- {
			net = append(net, plotter.XY{X: ax.Energy(i), Y: bgAt(w, i)})
		}
		poly, err := plotter.NewPolygon(net)
		if err != nil {
			t.Fatal(err)
		}
		poly.Color, poly.LineStyle.Width = fill, 0
		p := plot.New()
		p.Title.Text = w.label
		if sc.Maps.Pixel(3, 0)[k] == 0 {
			p.Title.Text += " (no " + sc.Elements[k] + " in the ring)"
		}
		p.X.Label.Text = "energy loss (eV)"
		p.Y.Label.Text = "counts"
		p.X.Tick.Marker, p.Y.Tick.Marker = compactTicks{}, compactTicks{}
		dl, fl, el := line(data, color.Black, 0.8), line(fit, blue, 3), line(ext, blue, 1.5, vg.Points(4), vg.Points(2))
		p.Add(poly, dl, fl, el)
		if len(panels) == 0 {
			p.Legend.Add("spectrum", dl)
			p.Legend.Add("power law fitted over the background window", fl)
			p.Legend.Add("extrapolated under Delta", el)
			p.Legend.Add("net edge counts", poly)
			p.Legend.Top = true
			p.Legend.TextStyle.Font.Size = vg.Points(9)
		}
		panels = append(panels, p)
	}
	const rows, cols = 2, 2
	img := vgimg.New(10*vg.Inch, 7*vg.Inch)
	dc := draw.New(img)
	head, body := dc, dc
	head.Min.Y = dc.Max.Y - vg.Points(24)
	body.Max.Y = head.Min.Y
	title := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(13)), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter, YAlign: draw.YCenter}
	head.FillText(title, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: (head.Min.Y + head.Max.Y) / 2},
		"Conventional quantification of the seed's O/Fe ring: 200 spectra, default windows, log-log")
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(12), PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	grid := make([][]*plot.Plot, rows)
	for r := range rows {
		grid[r] = panels[r*cols : (r+1)*cols]
	}
	cs := plot.Align(grid, tiles, body)
	for r := range rows {
		for k := range cols {
			grid[r][k].Draw(cs[r][k])
		}
	}
	out, err := os.Create(*figures + "/classic-integrate.png")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(out); err != nil {
		t.Fatal(err)
	}
}

// compactTicks are plot.DefaultTicks labelled with %g (25000, not 25000.00).
type compactTicks struct{}

func (compactTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}
