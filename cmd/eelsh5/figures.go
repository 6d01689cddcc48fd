package main

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// drawStep writes the figures of step into dir and returns their paths.
func drawStep(f *h5io.File, step, dir string) ([]string, error) {
	base := h5io.EntryPath + "/" + step
	var out []string
	stacks := []struct {
		s           quant.Stream
		title, file string
	}{
		{quant.StreamElements, "Elemental map", "elements.png"},
		{quant.StreamElementErrors, "Uncertainty (sqrt CRLB)", "elements_errors.png"},
		{quant.StreamComposition, "Composition", "composition.png"},
		{quant.StreamCompositionErrors, "Composition uncertainty", "composition_errors.png"},
		{quant.StreamCoefficients, "Coefficient", "coefficients.png"},
		{quant.StreamCoefficientErrors, "sqrt(CRLB)", "coefficients_errors.png"},
	}
	for _, s := range stacks {
		path := base + "/" + h5io.StreamDataset(s.s)
		if !f.Exists(path) {
			continue
		}
		a, names, err := f.ReadStack(path)
		if err != nil {
			return nil, err
		}
		units, _ := f.AttrString(path, "units")
		p := filepath.Join(dir, s.file)
		if err := plotMapGrid(p, a, names, s.title, units); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	for _, m := range []struct {
		s            quant.Stream
		title, units string
	}{
		{quant.StreamChi2, "Reduced chi-square", ""}, {quant.StreamStatus, "Fit status (0 = ok)", "code"},
	} {
		path := base + "/" + h5io.StreamDataset(m.s)
		if !f.Exists(path) {
			continue
		}
		a, err := f.ReadMap(path)
		if err != nil {
			return nil, err
		}
		p := filepath.Join(dir, m.s.String()+".png")
		if err := plotMapGrid(p, a, []string{m.title}, "", m.units); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if mean := base + "/" + h5io.FitMeanSpectrum; f.Exists(mean + "/data") {
		p := filepath.Join(dir, "spectrum.png")
		if err := plotMeanSpectrum(f, mean, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	// The shift map: of this step, or of the alignment the step used.
	for _, sb := range []string{base, h5io.EntryPath + "/" + h5io.StepAlignment} {
		shifts := sb + "/" + h5io.AlignShifts + "/" + h5io.AlignShiftSignal
		if !f.Exists(shifts) {
			continue
		}
		sh, err := f.ReadMap(shifts)
		if err != nil {
			return nil, err
		}
		status := make([]aligners.Status, len(sh.Data))
		if st, err := f.ReadMap(sb + "/" + h5io.AlignStatus + "/" + h5io.AlignStatus); err == nil {
			for i, v := range st.Data {
				status[i] = aligners.Status(v)
			}
		}
		p := filepath.Join(dir, "shifts.png")
		if err := plotShifts(p, sh, status); err != nil {
			return nil, err
		}
		out = append(out, p)
		break
	}
	return out, nil
}

// plotMapGrid draws one map per component of a (ny, nx, n) array with a
// colour bar each, titled "<title>: <name>" and labelled with units.
func plotMapGrid(path string, a *multispectrum.Array, names []string, title, units string) error {
	n := a.Width
	cols := min(n, 4)
	rows := (n + cols - 1) / cols
	type panel struct{ p, bar *plot.Plot }
	var panels []panel
	for k := 0; k < n; k++ {
		m := multispectrum.NewArray(a.NY, a.NX, 1)
		for i := range m.Data {
			m.Data[i] = a.Data[i*n+k]
		}
		name := fmt.Sprintf("component %d", k)
		if k < len(names) {
			name = names[k]
		}
		t := name
		if title != "" {
			t = title + ": " + name
		}
		p, bar, err := heatmap(m, t, units)
		if err != nil {
			return err
		}
		panels = append(panels, panel{p, bar})
	}
	const pw, ph = 5.2, 4.4 // inches per panel
	return savePNG(path, vg.Length(pw*float64(cols))*vg.Inch, vg.Length(ph*float64(rows))*vg.Inch, func(dc draw.Canvas) {
		w := (dc.Max.X - dc.Min.X) / vg.Length(cols)
		h := (dc.Max.Y - dc.Min.Y) / vg.Length(rows)
		for k, pn := range panels {
			r, c := k/cols, k%cols
			x0 := dc.Min.X + w*vg.Length(c)
			y1 := dc.Max.Y - h*vg.Length(r)
			mapc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x0, Y: y1 - h}, Max: vg.Point{X: x0 + w*0.78, Y: y1}}}
			barc := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x0 + w*0.79, Y: y1 - h}, Max: vg.Point{X: x0 + w*0.98, Y: y1 - h*0.06}}}
			pn.p.Draw(mapc)
			pn.bar.Draw(barc)
		}
	})
}

// plotMeanSpectrum draws the mean data with the fitted model and the
// background (top), and the background-subtracted data with each edge's
// contribution (bottom).
func plotMeanSpectrum(f *h5io.File, group, path string) error {
	e, _, err := f.ReadFloats(group + "/energy_loss")
	if err != nil {
		return err
	}
	read := func(name string) []float64 {
		v, _, err := f.ReadFloats(group + "/" + name)
		if err != nil {
			return nil
		}
		return v
	}
	data, model, bg := read("data"), read("model"), read("background")
	aux, _ := f.AttrStrings(group, "auxiliary_signals")
	line := func(p *plot.Plot, y []float64, label string, c color.Color, dashed bool) {
		if y == nil {
			return
		}
		pts := make(plotter.XYs, len(y))
		for i := range y {
			pts[i].X, pts[i].Y = e[i], y[i]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return
		}
		l.Color = c
		l.Width = vg.Points(1.2)
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(label, l)
	}
	top := plot.New()
	top.Title.Text = "Mean spectrum and fitted model"
	top.X.Label.Text = "Energy loss (eV)"
	top.Y.Label.Text = "Counts per channel"
	top.Legend.Top = true
	line(top, data, "data", color.Black, false)
	line(top, model, "model", color.RGBA{R: 214, G: 39, B: 40, A: 255}, false)
	line(top, bg, "background", color.Gray{120}, true)
	bottom := plot.New()
	bottom.Title.Text = "After background subtraction: data and edge contributions"
	bottom.X.Label.Text = "Energy loss (eV)"
	bottom.Y.Label.Text = "Counts per channel"
	bottom.Legend.Top = true
	if data != nil && bg != nil {
		sub := make([]float64, len(data))
		for i := range sub {
			sub[i] = data[i] - bg[i]
		}
		line(bottom, sub, "data - background", color.Black, false)
	}
	palette := []color.Color{color.RGBA{31, 119, 180, 255}, color.RGBA{44, 160, 44, 255}, color.RGBA{255, 127, 14, 255},
		color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255}, color.RGBA{23, 190, 207, 255}}
	k := 0
	for _, name := range aux {
		if name == "model" || name == "background" {
			continue
		}
		long, _ := f.AttrString(group+"/"+name, "long_name")
		line(bottom, read(name), long, palette[k%len(palette)], false)
		k++
	}
	return savePNG(path, 11*vg.Inch, 9*vg.Inch, func(dc draw.Canvas) {
		h := (dc.Max.Y - dc.Min.Y) / 2
		top.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: dc.Min.X, Y: dc.Min.Y + h}, Max: dc.Max}})
		bottom.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: dc.Min, Max: vg.Point{X: dc.Max.X, Y: dc.Min.Y + h}}})
	})
}
