package main

// Which figures a step of a processing file gets. plot draws whatever the
// file holds: every NXdata group of the step (or of /entry for the step
// "raw") by its shape: a map stack as a grid of maps, a map (a status map
// by its "codes" attribute) with a colour bar or a categorical legend, a
// spectrum image as its summed-intensity map with the mean spectrum, a
// spectrum (the mean spectrum of a fit with its model, components, fit
// window and residuals). A 1x1 scan gets spectra, not maps.

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/plot/vg/draw"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// rawStep names /entry itself (the imported or simulated cubes), as in
// export.
const rawStep = "raw"

// figure is one PNG file of a step, drawn in two phases: prepare reads
// what it shows from the file (on the goroutine that owns the file) and
// returns the function that draws it into path (CPU only: the figures of
// a step are drawn concurrently).
type figure struct {
	name    string // file name in the output directory
	prepare func() (render, error)
}

// render draws a prepared figure into the PNG file path.
type render func(path string) error

// figureSet plans the figures of a step from the file's structure.
type figureSet struct {
	f      *h5io.File
	file   string // base name of the file, for the headers
	nodes  map[string]h5io.Node
	kids   map[string][]string // group path -> child paths, in name order
	params map[string]any      // of the step's provenance (nil when none)
	figs   []figure
	names  map[string]bool
}

func newFigureSet(f *h5io.File) (*figureSet, error) {
	nodes, err := f.Walk()
	if err != nil {
		return nil, err
	}
	fs := &figureSet{f: f, file: filepath.Base(f.Path()), nodes: map[string]h5io.Node{}, kids: map[string][]string{}, names: map[string]bool{}}
	for _, n := range nodes {
		fs.nodes[n.Path] = n
		if i := strings.LastIndex(n.Path, "/"); i >= 0 && n.Path != "/" {
			parent := n.Path[:i]
			if parent == "" {
				parent = "/"
			}
			fs.kids[parent] = append(fs.kids[parent], n.Path)
		}
	}
	return fs, nil
}

func (fs *figureSet) add(name string, prepare func() (render, error)) {
	base := strings.TrimSuffix(name, ".png")
	for k := 2; fs.names[name]; k++ {
		name = fmt.Sprintf("%s_%d.png", base, k)
	}
	fs.names[name] = true
	fs.figs = append(fs.figs, figure{name, prepare})
}

// attr returns a string attribute of a node ("" when absent).
func (fs *figureSet) attr(path, name string) string {
	switch v := fs.nodes[path].Attrs[name].(type) {
	case string:
		return v
	case []string:
		if len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (fs *figureSet) attrList(path, name string) []string {
	switch v := fs.nodes[path].Attrs[name].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	}
	return nil
}

func (fs *figureSet) isGroup(path string) bool {
	n, ok := fs.nodes[path]
	return ok && n.Kind == "group"
}

// nxdata reports whether path is an NXdata group and returns its signal
// dataset and shape.
func (fs *figureSet) nxdata(path string) (signal string, shape []int, ok bool) {
	n, found := fs.nodes[path]
	if !found || n.Kind != "group" || (n.NXClass != "NXdata" && fs.attr(path, h5io.AttrSignal) == "") {
		return "", nil, false
	}
	signal = fs.attr(path, h5io.AttrSignal)
	if signal == "" {
		signal = h5io.SignalData
	}
	d, found := fs.nodes[path+"/"+signal]
	if !found || d.Kind != "dataset" {
		return "", nil, false
	}
	return signal, d.Shape, true
}

// scanOf reads the scan calibration of an NXdata group from its y and x
// axes (pixels when absent).
func (fs *figureSet) scanOf(group string) multispectrum.ScanCalibration {
	sc := multispectrum.PixelScan()
	axis := func(name string) (first, step float64, n int, units string, ok bool) {
		nd, found := fs.nodes[group+"/"+name]
		if !found || nd.First == nil || nd.Last == nil || len(nd.Shape) != 1 {
			return 0, 0, 0, "", false
		}
		n = nd.Shape[0]
		if n > 1 {
			step = (*nd.Last - *nd.First) / float64(n-1)
		}
		return *nd.First, step, n, fs.attr(group+"/"+name, h5io.AttrUnits), true
	}
	y0, ys, _, yu, yok := axis(h5io.AxisY)
	x0, xs, _, xu, xok := axis(h5io.AxisX)
	if !yok && !xok {
		return sc
	}
	sc.Y0, sc.X0 = y0, x0
	switch {
	case ys > 0:
		sc.Step = ys
	case xs > 0:
		sc.Step = xs
	}
	switch {
	case yu != "":
		sc.Units = yu
	case xu != "":
		sc.Units = xu
	}
	return sc
}

// planFigures lists the figures of step ("raw" for /entry; "" is not a
// step).
func planFigures(f *h5io.File, step string) (*figureSet, error) {
	fs, err := newFigureSet(f)
	if err != nil {
		return nil, err
	}
	switch step {
	case rawStep, h5io.StepImport:
		fs.group(h5io.EntryPath, "")
	case h5io.StepSimulate:
		fs.group(h5io.EntryPath, "")
		fs.truth(h5io.EntryPath + "/" + h5io.StepSimulate + "/truth")
	default:
		base := h5io.EntryPath + "/" + step
		if _, _, ok := fs.nxdata(base); ok {
			fs.one(base, step, "")
			break
		}
		if p, err := f.ReadProvenance(step); err == nil {
			fs.params = p.Params
		}
		fs.group(base, step)
		// The shifts of the alignment a fit read.
		if in, _ := fs.params["input"].(string); in != "" && in != base && !fs.names["shifts.png"] {
			if _, shape, ok := fs.nxdata(in + "/" + h5io.AlignShifts); ok && len(shape) == 2 && shape[0]*shape[1] > 1 {
				fs.shifts(in+"/"+h5io.AlignShifts, in+"/"+h5io.AlignStatus)
			}
		}
	}
	return fs, nil
}

// groupOrder puts the usual children of a step first.
var groupOrder = map[string]int{"elements": 1, "composition": 2, "coefficients": 3, "chi2": 4, "condition": 5,
	"status": 6, "shifts": 7, "mean_spectrum": 8, "coreloss": 9, "lowloss": 10}

// group plans the figures of the NXdata children of base.
func (fs *figureSet) group(base, step string) {
	var groups []string
	for _, c := range fs.kids[base] {
		if _, _, ok := fs.nxdata(c); ok {
			groups = append(groups, c)
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		oi, oj := groupOrder[filepath.Base(groups[i])], groupOrder[filepath.Base(groups[j])]
		if oi == 0 {
			oi = 100
		}
		if oj == 0 {
			oj = 100
		}
		return oi < oj
	})
	hasMean := fs.isGroup(base + "/" + h5io.FitMeanSpectrum)
	for _, g := range groups {
		name := filepath.Base(g)
		switch {
		case name == "crlb" || name == "covariance": // sqrt(CRLB) is drawn as the errors
			continue
		case name == "model" && hasMean: // the mean spectrum shows it
			continue
		}
		fs.one(g, step, base)
	}
}

// one plans the figures of one NXdata group by its shape.
func (fs *figureSet) one(g, step, base string) {
	signal, shape, _ := fs.nxdata(g)
	name := filepath.Base(g)
	sigPath := g + "/" + signal
	axes := fs.attrList(g, h5io.AttrAxes)
	switch {
	case len(shape) == 1:
		file := name + ".png"
		if name == h5io.FitMeanSpectrum {
			file = "spectrum.png"
		}
		fs.add(file, func() (render, error) { return fs.spectrum(g, signal, step) })
	case len(shape) == 2 && shape[0]*shape[1] > 1:
		switch {
		case name == h5io.AlignShifts || signal == h5io.AlignShiftSignal:
			fs.shifts(g, base+"/"+h5io.AlignStatus)
		default:
			fs.add(name+".png", func() (render, error) { return fs.mapFigure(g, signal) })
		}
	case len(shape) == 3 && len(axes) == 3 && axes[0] == h5io.AxisComponent:
		if shape[0] < 1 || shape[1]*shape[2] <= 1 {
			return
		}
		fs.add(name+".png", func() (render, error) { return fs.stackFigure(g, sigPath, false) })
		if _, ok := fs.nodes[sigPath+"_errors"]; ok {
			fs.add(name+"_errors.png", func() (render, error) { return fs.stackFigure(g, sigPath+"_errors", true) })
		}
	case len(shape) == 3:
		fs.add(name+".png", func() (render, error) { return fs.cubeFigure(g, step) })
	}
}

// Titles.

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (fs *figureSet) scanLine(group string, ny, nx int) string {
	return fmt.Sprintf("%s  %s  (%s)", fs.file, group, newScanGeom(ny, nx, fs.scanOf(group)).describe())
}

// kindOf chooses the colour map of a quantity by its name: sequential for
// the non-negative ones, diverging for shifts, else by the data's sign.
func kindOf(name string) scaleKind {
	switch {
	case strings.HasSuffix(name, "_errors"), name == "elements", name == "composition", name == "chi2",
		name == "condition", name == "crlb", name == "tlambda", name == "maps":
		return sequential
	case name == "shift", name == "shifts":
		return diverging
	}
	return autoScale
}

// Maps.

func (fs *figureSet) mapFigure(g, signal string) (render, error) {
	sigPath := g + "/" + signal
	a, err := fs.f.ReadMap(sigPath)
	if err != nil {
		return nil, err
	}
	long := fs.attr(sigPath, h5io.AttrLongName)
	if long == "" {
		long = signal
	}
	mp := mapPanel{title: capitalise(long), z: a.Data, units: fs.attr(sigPath, h5io.AttrUnits), kind: kindOf(signal)}
	if codes := fs.attr(sigPath, h5io.AttrCodes); codes != "" {
		sc := parseStatusCodes(codes)
		mp.codes = &sc
	}
	geom := newScanGeom(a.NY, a.NX, fs.scanOf(g))
	hdr := header{capitalise(long), fs.scanLine(g, a.NY, a.NX)}
	return func(path string) error { return drawMapGrid(path, hdr, geom, []mapPanel{mp}, nil, 0) }, nil
}

func (fs *figureSet) stackFigure(g, sigPath string, errs bool) (render, error) {
	d, err := fs.f.OpenStack(sigPath)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, _ := fs.f.ReadStrings(g + "/" + h5io.ComponentNames)
	units := fs.attr(sigPath, h5io.AttrUnits)
	long := fs.attr(sigPath, h5io.AttrLongName)
	if long == "" {
		long = filepath.Base(sigPath)
	}
	title := capitalise(long)
	if errs {
		title = "Uncertainty (one standard deviation) of the " + long
	}
	if units != "" && !strings.Contains(long, "("+units+")") {
		title += " (" + prettyUnits(units) + ")"
	}
	kind := kindOf(filepath.Base(sigPath))
	var panels []mapPanel
	for k := 0; k < d.Width; k++ {
		z, err := d.ReadComponent(nil, k)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("component %d", k)
		if k < len(names) {
			name = names[k]
		}
		panels = append(panels, mapPanel{title: name, z: z, units: units, kind: kind})
	}
	geom := newScanGeom(d.NY, d.NX, fs.scanOf(g))
	hdr := header{title, fs.scanLine(g, d.NY, d.NX)}
	return func(path string) error { return drawMapGrid(path, hdr, geom, panels, nil, 0) }, nil
}

// shifts plans the shift map with the histogram of the shifts, and the
// status map beside them in its own figure when the group has one.
func (fs *figureSet) shifts(g, statusGroup string) {
	fs.add("shifts.png", func() (render, error) {
		signal, _, _ := fs.nxdata(g)
		sh, err := fs.f.ReadMap(g + "/" + signal)
		if err != nil {
			return nil, err
		}
		status := make([]aligners.Status, len(sh.Data))
		if ss, _, ok := fs.nxdata(statusGroup); ok {
			if st, err := fs.f.ReadMap(statusGroup + "/" + ss); err == nil && len(st.Data) == len(status) {
				for i, v := range st.Data {
					status[i] = aligners.Status(v)
				}
			}
		}
		geom := newScanGeom(sh.NY, sh.NX, fs.scanOf(g))
		hdr := header{"Zero-loss shifts", fs.scanLine(g, sh.NY, sh.NX)}
		return func(path string) error { return drawShifts(path, hdr, geom, sh.Data, status) }, nil
	})
}

// drawShifts draws the shift map (diverging, centred on 0) and the
// histogram of the shifts of the pixels with status ok.
func drawShifts(path string, hdr header, geom scanGeom, shifts []float64, status []aligners.Status) error {
	mp := mapPanel{title: "Shift applied", z: shifts, units: "eV", kind: diverging}
	return drawMapGrid(path, hdr, geom, []mapPanel{mp}, shiftHistogram(shifts, status), 0)
}

// plotShifts draws the shift map of an alignment on pixel axes
// (plotShiftsOn with multispectrum.PixelScan).
func plotShifts(path string, shifts *multispectrum.Array, status []aligners.Status) error {
	return plotShiftsOn(path, shifts, status, multispectrum.PixelScan())
}

// plotShiftsOn draws the shift map of an alignment (align --plot) on the
// scan's calibrated axes, as plot draws the alignment step, with the
// histogram of the shifts; a single spectrum's shift as a line.
func plotShiftsOn(path string, shifts *multispectrum.Array, status []aligners.Status, scan multispectrum.ScanCalibration) error {
	if shifts.NY*shifts.NX <= 1 {
		return plotSingleShift(path, shifts.Data, status)
	}
	geom := newScanGeom(shifts.NY, shifts.NX, scan)
	return drawShifts(path, header{"Zero-loss shifts", geom.describe()}, geom, shifts.Data, status)
}

// plotSingleShift draws the shift of a single spectrum as a line on a
// shift axis, with its value and status in the title.
func plotSingleShift(path string, shifts []float64, status []aligners.Status) error {
	v, st := math.NaN(), aligners.OK
	if len(shifts) > 0 {
		v = shifts[0]
	}
	if len(status) > 0 {
		st = status[0]
	}
	m := 2.0
	if finite(v) {
		m = math.Max(2, 1.5*math.Abs(v))
	}
	b := newPanel([]float64{v, v}, -m, m, false)
	b.line([]float64{0, 1}, nil, modelColour, 2, false, "")
	p := b.p
	p.Title.Text = fmt.Sprintf("Zero-loss shift of the single spectrum: %.4g eV (status %s)", v, st)
	p.X.Label.Text = "shift (eV)"
	p.Y.Min, p.Y.Max = 0, 1
	p.HideY()
	return savePNG(path, 640, 260, func(dc draw.Canvas) { p.Draw(draw.Crop(dc, px(10), -px(10), px(4), -px(6))) })
}

// truth plans the maps of a simulation's truth: abundances, t/lambda and
// shifts (none for a 1x1 scan), on the axes of the simulated scan.
func (fs *figureSet) truth(g string) {
	maps := g + "/maps"
	if n, ok := fs.nodes[maps]; ok && len(n.Shape) == 3 && n.Shape[1]*n.Shape[2] > 1 {
		fs.add("truth_maps.png", func() (render, error) {
			a, _, err := fs.f.ReadStack(maps)
			if err != nil {
				return nil, err
			}
			els, _ := fs.f.ReadStrings(g + "/element_names")
			edges, _ := fs.f.ReadStrings(g + "/edge_names")
			var panels []mapPanel
			for k := 0; k < a.Width; k++ {
				name := fmt.Sprintf("component %d", k)
				if k < len(els) && k < len(edges) {
					name = els[k] + " " + edges[k]
				}
				z := make([]float64, a.NY*a.NX)
				for i := range z {
					z[i] = a.Data[i*a.Width+k]
				}
				panels = append(panels, mapPanel{title: name, z: z, units: "edge amplitude", kind: sequential})
			}
			geom := newScanGeom(a.NY, a.NX, fs.scanOf(h5io.CoreLossPath))
			hdr := header{"Simulated truth: abundance maps", fmt.Sprintf("%s  %s  (%s)", fs.file, g, geom.describe())}
			return func(path string) error { return drawMapGrid(path, hdr, geom, panels, nil, 0) }, nil
		})
	}
	for _, m := range []struct{ name, title, units string }{{"tlambda", "Simulated truth: thickness t/lambda", "t/lambda"}, {"shift", "Simulated truth: zero-loss shift", "eV"}} {
		p := g + "/" + m.name
		if n, ok := fs.nodes[p]; !ok || len(n.Shape) != 2 || n.Shape[0]*n.Shape[1] <= 1 {
			continue
		}
		fs.add("truth_"+m.name+".png", func() (render, error) {
			a, err := fs.f.ReadMap(p)
			if err != nil {
				return nil, err
			}
			mp := mapPanel{title: m.title[len("Simulated truth: "):], z: a.Data, units: m.units, kind: kindOf(m.name)}
			geom := newScanGeom(a.NY, a.NX, fs.scanOf(h5io.CoreLossPath))
			hdr := header{m.title, fmt.Sprintf("%s  %s  (%s)", fs.file, g, geom.describe())}
			return func(path string) error { return drawMapGrid(path, hdr, geom, []mapPanel{mp}, nil, 0) }, nil
		})
	}
}

// Spectra.

// cubeNames are the titles of the cubes eelsh5 writes.
var cubeNames = map[string]string{h5io.CoreLossName: "Core loss", h5io.LowLossName: "Low loss", "model": "Fitted model"}

// cubeFigure draws a spectrum image: its summed-intensity map and mean
// spectrum, or for a 1x1 scan its spectrum.
func (fs *figureSet) cubeFigure(g, step string) (render, error) {
	sum, mean, info, err := readCubeSummary(fs.f, g)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(g)
	what := cubeNames[name]
	if what == "" {
		what = capitalise(name)
	}
	if step == h5io.StepAlignment {
		what = "Aligned " + strings.ToLower(what)
	}
	units := fs.attr(g+"/"+h5io.SignalData, h5io.AttrUnits)
	ylabel := "intensity"
	if units != "" {
		ylabel += " (" + prettyUnits(units) + ")"
	}
	e := info.Axis.Energies(nil)
	logY := name == h5io.LowLossName && mostlyPositive(mean)
	if info.NY*info.NX == 1 {
		title := what + " spectrum"
		if step == h5io.StepAlignment {
			if sh, err := fs.f.ReadMap(h5io.EntryPath + "/" + step + "/" + h5io.AlignShifts + "/" + h5io.AlignShiftSignal); err == nil && len(sh.Data) == 1 {
				title += fmt.Sprintf(" (shifted by %.4g eV)", sh.Data[0])
			}
		}
		sf := spectrumFigure{hdr: header{title, fs.file + "  " + g + "  (1 spectrum)"}, e: e, data: mean, ylabel: ylabel, logY: logY}
		return sf.save, nil
	}
	sp := newPanel(e, e[0], e[len(e)-1], logY)
	if !(e[len(e)-1] > e[0]) {
		sp.p.X.Min, sp.p.X.Max = e[0]-0.5, e[0]+0.5
	}
	sp.line(mean, nil, dataColour, 1, false, "")
	sp.p.Title.Text = fmt.Sprintf("Mean spectrum of the %d pixels", info.NY*info.NX)
	sp.p.X.Label.Text = "Energy loss (eV)"
	sp.p.Y.Label.Text = ylabel
	sp.p.X.Tick.Marker = niceTicks{n: 6}
	mp := mapPanel{title: "Summed intensity", z: sum, units: units, kind: sequential}
	geom := newScanGeom(info.NY, info.NX, info.Scan)
	hdr := header{fmt.Sprintf("%s: intensity summed over %.6g to %.6g eV, and the mean spectrum", what, e[0], e[len(e)-1]), fs.scanLine(g, info.NY, info.NX)}
	right := sp.finish(false)
	return func(path string) error { return drawMapGrid(path, hdr, geom, []mapPanel{mp}, right, 620) }, nil
}

func mostlyPositive(v []float64) bool {
	n := 0
	for _, x := range v {
		if x > 0 {
			n++
		}
	}
	return n > 0 && n >= len(v)*9/10
}

// readCubeSummary streams a spectrum image and returns each pixel's sum
// over the channels and the mean spectrum (finite values only).
func readCubeSummary(f *h5io.File, g string) (sum, mean []float64, info h5io.CubeInfo, err error) {
	d, info, err := f.OpenCube(g)
	if err != nil {
		return nil, nil, info, err
	}
	defer d.Close()
	ny, nx, ne := info.NY, info.NX, info.Axis.Size
	if ny < 1 || nx < 1 || ne < 1 {
		return nil, nil, info, fmt.Errorf("%s in %s is empty", g, f.Path())
	}
	sum = make([]float64, ny*nx)
	acc, cnt := make([]float64, ne), make([]int, ne)
	ty := max(1, min(ny, (1<<22)/max(1, nx*ne)))
	var buf []float64
	for y0 := 0; y0 < ny; y0 += ty {
		r := multispectrum.Region{Y0: y0, NY: min(ty, ny-y0), NX: nx}
		if buf, err = d.ReadRegion(buf, r); err != nil {
			return nil, nil, info, err
		}
		for p := 0; p < r.NY*nx; p++ {
			s, k := 0.0, 0
			for i, v := range buf[p*ne : (p+1)*ne] {
				if finite(v) {
					s += v
					k++
					acc[i] += v
					cnt[i]++
				}
			}
			if k == 0 {
				s = math.NaN()
			}
			sum[y0*nx+p] = s
		}
	}
	mean = make([]float64, ne)
	for i := range mean {
		mean[i] = math.NaN()
		if cnt[i] > 0 {
			mean[i] = acc[i] / float64(cnt[i])
		}
	}
	return sum, mean, info, nil
}

// spectrum draws a 1-D NXdata group: with a "model" among its auxiliary
// signals (the mean spectrum of a fit) as the fit figure, else its curves.
func (fs *figureSet) spectrum(g, signal, step string) (render, error) {
	axis := h5io.AxisEnergyLoss
	if a := fs.attrList(g, h5io.AttrAxes); len(a) == 1 {
		axis = a[0]
	}
	e, _, err := fs.f.ReadFloats(g + "/" + axis)
	if err != nil {
		return nil, err
	}
	read := func(name string) []float64 {
		v, _, err := fs.f.ReadFloats(g + "/" + name)
		if err != nil || len(v) != len(e) {
			return nil
		}
		return v
	}
	data := read(signal)
	if data == nil {
		return nil, fmt.Errorf("%s in %s: %s does not match the %s axis", g, fs.file, signal, axis)
	}
	units := fs.attr(g+"/"+signal, h5io.AttrUnits)
	ylabel := "intensity"
	if units != "" {
		ylabel += " (" + prettyUnits(units) + ")"
	}
	ny, nx := fs.stepScan(filepath.Dir(g))
	sf := spectrumFigure{e: e, data: data, ylabel: ylabel}
	aux := fs.attrList(g, "auxiliary_signals")
	long := func(name string) string {
		if l := fs.attr(g+"/"+name, h5io.AttrLongName); l != "" {
			return l
		}
		return name
	}
	single := ny*nx == 1
	if contains(aux, "model") {
		sf.model, sf.background = read("model"), read("background")
		values := fs.singleValues(filepath.Dir(g), single)
		for _, name := range aux {
			if name == "model" || name == "background" {
				continue
			}
			label := long(name)
			if v, ok := values[strings.TrimSuffix(label, " edge")]; ok {
				label += ": " + v
			}
			sf.components = append(sf.components, specCurve{label: label, y: read(name)})
		}
		sf.window, sf.exclude, sf.inWindow, sf.used = fitRanges(fs.params, e)
	} else {
		for _, name := range aux {
			sf.extra = append(sf.extra, specCurve{label: long(name), y: read(name)})
		}
	}
	title := "Mean spectrum"
	switch {
	case single:
		title = "Spectrum"
	case ny*nx > 1:
		title = fmt.Sprintf("Mean spectrum of %d x %d pixels", ny, nx)
	}
	if sf.model != nil {
		title += " and fitted model"
		sf.dataLabel = "data"
	}
	sf.hdr = header{title, fs.file + "  " + g}
	if line := describeRanges(sf.window, sf.exclude, fs.params); line != "" {
		sf.hdr = append(sf.hdr, line)
	}
	return sf.save, nil
}

// stepScan returns the scan size of a step from its maps (0, 0 when it has
// none).
func (fs *figureSet) stepScan(base string) (ny, nx int) {
	for _, c := range fs.kids[base] {
		_, shape, ok := fs.nxdata(c)
		switch {
		case !ok:
		case len(shape) == 2:
			return shape[0], shape[1]
		case len(shape) == 3 && contains(fs.attrList(c, h5io.AttrAxes), h5io.AxisComponent):
			return shape[1], shape[2]
		case len(shape) == 3:
			return shape[0], shape[1]
		}
	}
	return 0, 0
}

// singleValues returns, for a 1x1 quantification, each edge's composition
// (else its elemental value) with its uncertainty, keyed by edge label.
func (fs *figureSet) singleValues(base string, single bool) map[string]string {
	out := map[string]string{}
	if !single {
		return out
	}
	for _, g := range []string{"composition", "elements"} {
		sig := base + "/" + g + "/" + g
		a, names, err := fs.f.ReadStack(sig)
		if err != nil || a.NY*a.NX != 1 {
			continue
		}
		errs, _, _ := fs.f.ReadStack(sig + "_errors")
		units := fs.attr(sig, h5io.AttrUnits)
		for k, name := range names {
			if k >= a.Width {
				break
			}
			e := math.NaN()
			if errs != nil && k < errs.Width {
				e = errs.Data[k]
			}
			out[name] = strings.TrimSpace(valueError(a.Data[k], e) + " " + prettyUnits(units))
		}
		return out
	}
	return out
}

// valueError writes v +- e with e to two significant digits and v to the
// same decimal place.
func valueError(v, e float64) string {
	if !finite(e) || e <= 0 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	d := min(max(1-int(math.Floor(math.Log10(e))), 0), 12)
	return strconv.FormatFloat(v, 'f', d, 64) + " \u00b1 " + strconv.FormatFloat(e, 'f', d, 64)
}

// fitRanges reads the fit window and the excluded ranges of a fit from its
// parameters ("fit_ranges_eV": the window, when one was given, then the
// exclusions; "channels_used" tells which) and returns them with the
// channels in the window and those the fit used.
func fitRanges(params map[string]any, e []float64) (win *[2]float64, ex [][2]float64, inWin, used []bool) {
	raw, _ := params["fit_ranges_eV"].([]any)
	var ranges [][2]float64
	for _, r := range raw {
		pair, _ := r.([]any)
		if len(pair) != 2 {
			continue
		}
		lo, ok1 := pair[0].(float64)
		hi, ok2 := pair[1].(float64)
		if ok1 && ok2 && hi > lo {
			ranges = append(ranges, [2]float64{lo, hi})
		}
	}
	if len(ranges) == 0 || len(e) == 0 {
		return nil, nil, nil, nil
	}
	ax := multispectrum.EnergyAxis{Offset: e[0], Dispersion: 1, Size: len(e)}
	if len(e) > 1 {
		ax.Dispersion = (e[len(e)-1] - e[0]) / float64(len(e)-1)
	}
	index := func(x float64) int { return min(max(ax.Index(x), 0), len(e)) }
	masks := func(window bool) (in, use []bool, n int) {
		in, use = make([]bool, len(e)), make([]bool, len(e))
		lo, hi := 0, len(e)
		rest := ranges
		if window {
			lo, hi, rest = index(ranges[0][0]), index(ranges[0][1]), ranges[1:]
		}
		for i := lo; i < hi; i++ {
			in[i], use[i] = true, true
		}
		for _, r := range rest {
			for i := index(r[0]); i < index(r[1]); i++ {
				use[i] = false
			}
		}
		for _, u := range use {
			if u {
				n++
			}
		}
		return in, use, n
	}
	inA, useA, nA := masks(true)
	if want, known := params["channels_used"].(float64); known && float64(nA) != want {
		if inB, useB, nB := masks(false); float64(nB) == want {
			return nil, ranges, inB, useB
		}
	}
	w := ranges[0]
	return &w, ranges[1:], inA, useA
}

// describeRanges is the header line of a fit's window and exclusions.
func describeRanges(win *[2]float64, ex [][2]float64, params map[string]any) string {
	var parts []string
	if win != nil {
		parts = append(parts, fmt.Sprintf("fit window %.6g-%.6g eV", win[0], win[1]))
	}
	if n, ok := params["channels_used"].(float64); ok {
		parts = append(parts, fmt.Sprintf("%d channels used", int(n)))
	}
	if len(ex) > 0 {
		var s []string
		for _, r := range ex {
			s = append(s, fmt.Sprintf("%.6g-%.6g", r[0], r[1]))
		}
		parts = append(parts, "excluded "+strings.Join(s, ", ")+" eV")
	}
	if m, ok := params["method"].(string); ok && m != "" {
		parts = append(parts, "method "+m)
	}
	return strings.Join(parts, "; ")
}

// Steps and output.

// defaultStep is the step plot draws without one: /entry's default when
// it names a processing step, else raw.
func defaultStep(f *h5io.File) string {
	d, ok := f.AttrString(h5io.EntryPath, h5io.AttrDefault)
	if ok && d != "" && !strings.ContainsAny(d, "/.") {
		if _, err := f.ReadProvenance(d); err == nil {
			return d
		}
	}
	return rawStep
}

// stepNames lists the steps of a file that plot can draw.
func stepNames(f *h5io.File) []string {
	out := []string{rawStep}
	fs, err := newFigureSet(f)
	if err != nil {
		return out
	}
	for _, c := range fs.kids[h5io.EntryPath] {
		if n := fs.nodes[c]; n.Kind == "group" && n.NXClass == "NXprocess" {
			out = append(out, filepath.Base(c))
		}
	}
	return out
}

// errNothingToDraw is returned for a step without any figure.
var errNothingToDraw = errors.New("nothing to draw")

// drawFigures draws the figures of step into dir (created when needed),
// up to workers at once, and returns their paths. Existing figures are
// refused, before anything is written, unless overwrite.
func drawFigures(f *h5io.File, step, dir string, overwrite bool, workers int) ([]string, error) {
	fs, err := planFigures(f, step)
	if err != nil {
		return nil, err
	}
	if len(fs.figs) == 0 {
		return nil, errNothingToDraw
	}
	paths := make([]string, len(fs.figs))
	for i, fig := range fs.figs {
		paths[i] = filepath.Join(dir, fig.name)
		if _, err := os.Stat(paths[i]); err == nil && !overwrite {
			return nil, fmt.Errorf("figure %q exists (use --overwrite to replace it, or -o DIR)", paths[i])
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("could not create %q: %w", dir, err)
	}
	return renderFigures(fs.figs, paths, workers)
}

// renderFigures prepares the figures in order on the calling goroutine
// (all reading from the file happens there) and draws them on up to
// workers goroutines, each prepared figure handed to the next free one.
// It returns the paths of the figures drawn, in order, up to the first
// that failed, and that failure. A panic while drawing is raised again
// on the calling goroutine.
func renderFigures(figs []figure, paths []string, workers int) ([]string, error) {
	workers = min(max(workers, 1), len(figs))
	errs := make([]error, len(figs))
	drawn := make([]bool, len(figs))
	var (
		failed atomic.Bool
		wg     sync.WaitGroup
		mu     sync.Mutex
		panics []any
	)
	jobs := make(chan func())
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				func() {
					defer func() {
						if r := recover(); r != nil {
							failed.Store(true)
							mu.Lock()
							panics = append(panics, r)
							mu.Unlock()
						}
					}()
					job()
				}()
			}
		}()
	}
	func() {
		defer close(jobs) // also when a preparation panics
		for i, fig := range figs {
			if failed.Load() {
				return
			}
			draw, err := fig.prepare()
			if err != nil {
				errs[i] = err
				return
			}
			jobs <- func() {
				if errs[i] = draw(paths[i]); errs[i] != nil {
					failed.Store(true)
				} else {
					drawn[i] = true
				}
			}
		}
	}()
	wg.Wait()
	if len(panics) > 0 {
		panic(panics[0])
	}
	for i := range figs {
		if errs[i] != nil {
			return paths[:i], errs[i]
		}
		if !drawn[i] {
			return paths[:i], nil
		}
	}
	return paths, nil
}

// drawStep draws the figures of a step for quant --plots, replacing
// figures of an earlier run in dir, as many at once as Go runs threads.
func drawStep(f *h5io.File, step, dir string) ([]string, error) {
	paths, err := drawFigures(f, step, dir, true, runtime.GOMAXPROCS(0))
	if errors.Is(err, errNothingToDraw) {
		return nil, nil
	}
	return paths, err
}
