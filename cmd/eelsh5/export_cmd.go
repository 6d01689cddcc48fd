package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/formats/msa"
	"github.com/eelsh5/eelsh5/formats/tiff"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

type exportCmd struct {
	File      string `arg:"" type:"path" help:"Processing file."`
	Step      string `arg:"" help:"Step to export from ('raw' for /entry)."`
	Output    string `short:"o" required:"" type:"path" help:"File to write."`
	Format    string `required:"" enum:"hspy,tiff,msa,csv" help:"hspy (HyperSpy: a cube, a spectrum, or maps as a Signal2D stack), tiff (maps as 32-bit float pages), msa (one spectrum) or csv (a spectrum, the curves of a 1-D dataset, or maps as a table)."`
	Dataset   string `help:"What to export: a cube (coreloss, lowloss, model), a map stack (coefficients, elements, composition, crlb, covariance; NAME_errors for its standard deviations), a map (chi2, condition, status, shifts) or a 1-D dataset (mean_spectrum, or mean_spectrum/CURVE for one curve); default: coreloss, else model (for tiff: the step's main maps, e.g. composition)."`
	Pixel     *pixel `placeholder:"Y,X" help:"For msa/csv spectra of a cube: this pixel instead of the mean over the scan."`
	Overwrite bool   `help:"Replace the output if it exists."`
}

func (c *exportCmd) Help() string {
	return `Hands results back to other programs.

Cubes: --format hspy writes the cube as a HyperSpy 3.1 file with its axes, units and EELS
metadata (beam energy keV, angles mrad) that HyperSpy 1.7+ loads; msa and csv write one
spectrum (the mean over the scan or --pixel) as EMSA/MSA or as energy_eV,counts.

Maps (a map stack such as composition, or one map such as chi2): --format tiff writes one
32-bit float page per component, with the component's name and units in each page's
description, the scan's pixel size, and an ImageJ header so that Fiji and ImageJ open it
as a stack; hspy writes a HyperSpy Signal2D with a navigation axis over the components and
the scan axes; csv a table y,x,<component>...

1-D datasets (mean_spectrum: data, model, background and each edge): csv writes every
curve as a column (or the one named, mean_spectrum/model); msa and hspy write one curve,
the dataset's signal (the mean data) unless one is named.

Everything is checked before anything is written; the output appears only when complete
and an existing one is replaced only with --overwrite.`
}

// exportKind is what a --dataset is: it decides the formats it can take.
type exportKind int

const (
	exportCube    exportKind = iota // (ny, nx, n) spectrum image
	exportStack                     // (k, ny, nx) maps, one per component
	exportMap                       // (ny, nx)
	exportSpectra                   // 1-D curves on an energy axis
)

var exportFormats = map[exportKind][]string{
	exportCube:    {"hspy", "msa", "csv"},
	exportStack:   {"tiff", "hspy", "csv"},
	exportMap:     {"tiff", "hspy", "csv"},
	exportSpectra: {"msa", "csv", "hspy"},
}

var exportKindNames = map[exportKind]string{
	exportCube: "a spectrum image", exportStack: "a map stack", exportMap: "a map", exportSpectra: "a 1-D dataset",
}

// exportSource is the resolved --dataset: what is read, checked before
// the output is created.
type exportSource struct {
	kind    exportKind
	group   string // the NXdata group
	dataset string // the dataset exported (for spectra: the first curve)
	// label is the step-relative name of the dataset ("composition",
	// "composition_errors", "mean_spectrum/model").
	label       string
	shape       []int
	units, long string
	codes       string   // status maps: the meaning of each code
	curves      []string // spectra: the curve datasets written
}

func (c *exportCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 export")
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return err
	}
	defer f.Close()
	base := h5io.EntryPath
	if c.Step != rawStep {
		base += "/" + c.Step
		if strings.ContainsAny(c.Step, "/") || strings.HasPrefix(c.Step, ".") || !f.Exists(base) {
			return fmt.Errorf("%s has no step %s (it has: %s)", c.File, base, strings.Join(stepNames(f), ", "))
		}
	}
	src, err := c.resolve(f, base)
	if err != nil {
		return err
	}
	if err := c.check(src); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(c.Output), "."+filepath.Base(c.Output)+".partial")
	os.Remove(tmp)
	defer os.Remove(tmp)
	var what string
	switch src.kind {
	case exportCube:
		what, err = c.exportCube(g, prog, f, src, tmp)
	case exportStack, exportMap:
		what, err = c.exportMaps(f, src, tmp)
	case exportSpectra:
		what, err = c.exportSpectra(g, f, src, tmp)
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, c.Output); err != nil {
		return fmt.Errorf("could not move %q to %q: %w", tmp, c.Output, err)
	}
	prog.message("eelsh5 export: wrote %s (%s of %s)", c.Output, what, c.File)
	return nil
}

// resolve finds the dataset --dataset names in the step at base and what
// kind it is, from the file's tree (nothing is read but metadata).
func (c *exportCmd) resolve(f *h5io.File, base string) (*exportSource, error) {
	nodes, err := f.Walk()
	if err != nil {
		return nil, err
	}
	byPath := make(map[string]h5io.Node, len(nodes))
	for _, n := range nodes {
		byPath[n.Path] = n
	}
	name := strings.Trim(c.Dataset, "/")
	if name == "" && c.Format == "tiff" && base != h5io.EntryPath {
		// TIFF takes maps: the step's main result (composition, coefficients, shifts).
		if d, ok := f.AttrString(base, h5io.AttrDefault); ok && d != "" {
			name = d
		}
	}
	if name == "" {
		// The historical default: the core loss, else a fit's model cube.
		name = h5io.CoreLossName
		if _, ok := byPath[base+"/"+name]; !ok {
			fs, err := f.OpenFitStep(base)
			if err != nil {
				return nil, fmt.Errorf("%s: %s has no core loss; name a dataset with --dataset (%w)", c.File, base, err)
			}
			if !fs.Has(quant.StreamModel) {
				return nil, fmt.Errorf("%s: the fit step %s has no model cube (written without it); name a dataset with --dataset", c.File, base)
			}
			name = h5io.StreamGroup(quant.StreamModel)
		}
	}
	src := &exportSource{label: name}
	p := base + "/" + name
	n, ok := byPath[p]
	if !ok && strings.HasSuffix(name, "_errors") && !strings.Contains(name, "/") {
		// composition_errors lives in the composition group.
		p = base + "/" + strings.TrimSuffix(name, "_errors") + "/" + name
		n, ok = byPath[p]
	}
	if !ok || strings.HasPrefix(path.Base(name), ".") {
		return nil, fmt.Errorf("%s: %s has no dataset %q (it has: %s)", c.File, base, name, strings.Join(exportable(nodes, byPath, base), ", "))
	}
	switch {
	case n.Kind == "group" && n.NXClass == "NXdata":
		src.group = p
		signal := attrString(n.Attrs["signal"])
		if signal == "" {
			signal = h5io.SignalData
		}
		src.dataset = p + "/" + signal
	case n.Kind == "dataset":
		src.group, src.dataset = path.Dir(p), p
	default:
		return nil, fmt.Errorf("%s: %s is a group but not a dataset (NXdata) to export (%s has: %s)", c.File, p, base, strings.Join(exportable(nodes, byPath, base), ", "))
	}
	d, ok := byPath[src.dataset]
	gr := byPath[src.group]
	if !ok || d.Kind != "dataset" {
		return nil, fmt.Errorf("%s: %s names signal %s, which is missing", c.File, src.group, src.dataset)
	}
	if !strings.HasPrefix(d.DType, "float") && !strings.HasPrefix(d.DType, "int") && !strings.HasPrefix(d.DType, "uint") {
		return nil, fmt.Errorf("%s: %s is not numeric (%s)", c.File, src.dataset, d.DType)
	}
	src.shape = d.Shape
	src.units, src.long = attrString(d.Attrs[h5io.AttrUnits]), attrString(d.Attrs[h5io.AttrLongName])
	src.codes = attrString(d.Attrs[h5io.AttrCodes])
	axes := attrStrings(gr.Attrs["axes"])
	switch len(d.Shape) {
	case 3:
		// A cube has an energy axis; other rank-3 datasets (stacks, the
		// simulation's truth maps) are maps, one per component.
		src.kind = exportStack
		if _, ok := byPath[src.group+"/"+h5io.AxisEnergyLoss]; ok && (len(axes) == 0 || axes[0] != h5io.AxisComponent) {
			src.kind = exportCube
		}
	case 2:
		src.kind = exportMap
	case 1:
		src.kind = exportSpectra
		if _, ok := byPath[src.group+"/"+h5io.AxisEnergyLoss]; !ok || src.dataset == src.group+"/"+h5io.AxisEnergyLoss {
			return nil, fmt.Errorf("%s: %s is 1-D but not a spectrum on an energy_loss axis", c.File, src.dataset)
		}
		src.curves = []string{path.Base(src.dataset)}
		if n.Kind == "group" {
			src.curves = append(src.curves, attrStrings(gr.Attrs["auxiliary_signals"])...)
		}
		for _, cv := range src.curves {
			if cn, ok := byPath[src.group+"/"+cv]; !ok || len(cn.Shape) != 1 || cn.Shape[0] != d.Shape[0] {
				return nil, fmt.Errorf("%s: curve %s of %s is missing or of another length", c.File, cv, src.group)
			}
		}
	default:
		return nil, fmt.Errorf("%s: %s has rank %d (shape %s); export takes cubes, map stacks, maps and 1-D spectra", c.File, src.dataset, len(d.Shape), shapeString(d.Shape))
	}
	return src, nil
}

// check validates the format, --pixel and the output for src before
// anything is written.
func (c *exportCmd) check(src *exportSource) error {
	formats := exportFormats[src.kind]
	if !slicesContains(formats, c.Format) {
		return usageError{fmt.Errorf("%s is %s %s: export it with --format %s or %s", src.label, exportKindNames[src.kind], shapeString(src.shape),
			strings.Join(formats[:len(formats)-1], ", "), formats[len(formats)-1])}
	}
	if c.Pixel != nil && (src.kind != exportCube || c.Format == "hspy") {
		return usageError{fmt.Errorf("--pixel is for msa and csv spectra of a spectrum image")}
	}
	if c.Pixel != nil {
		if err := c.Pixel.inside("--pixel", src.shape[0], src.shape[1]); err != nil {
			return err
		}
	}
	if st, err := os.Stat(c.Output); err == nil {
		if st.IsDir() {
			return usageError{fmt.Errorf("output %q is a directory", c.Output)}
		}
		if !c.Overwrite {
			return fmt.Errorf("output %q exists (use --overwrite to replace it)", c.Output)
		}
	}
	if st, err := os.Stat(filepath.Dir(c.Output)); err != nil || !st.IsDir() {
		return fmt.Errorf("output %q: directory %q does not exist", c.Output, filepath.Dir(c.Output))
	}
	return nil
}

// shapeString writes a shape as (16, 16, 2028).
func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, n := range shape {
		s[i] = strconv.Itoa(n)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// exportable lists the step-relative names of what export can take in
// the step at base: its NXdata groups with their _errors datasets, and the
// numeric datasets of its NXcollection groups (the simulation's truth).
func exportable(nodes []h5io.Node, byPath map[string]h5io.Node, base string) []string {
	var out []string
	for _, n := range nodes {
		dir := path.Dir(n.Path)
		switch {
		case strings.HasPrefix(path.Base(n.Path), "."):
		case n.Kind == "group" && n.NXClass == "NXdata" && dir == base:
			name := path.Base(n.Path)
			out = append(out, name)
			if _, ok := byPath[n.Path+"/"+name+"_errors"]; ok {
				out = append(out, name+"_errors")
			}
		case n.Kind == "dataset" && path.Dir(dir) == base && byPath[dir].NXClass == "NXcollection" && len(n.Shape) > 0 && !strings.HasPrefix(n.DType, "string"):
			out = append(out, strings.TrimPrefix(n.Path, base+"/"))
		}
	}
	if len(out) == 0 {
		return []string{"nothing"}
	}
	return out
}

func attrString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []string:
		if len(s) == 1 {
			return s[0]
		}
	}
	return ""
}

func attrStrings(v any) []string {
	switch s := v.(type) {
	case string:
		return []string{s}
	case []string:
		return s
	case []any:
		var out []string
		for _, x := range s {
			if t, ok := x.(string); ok {
				out = append(out, t)
			}
		}
		return out
	}
	return nil
}

// exportCube writes a cube as HyperSpy or one spectrum of it as MSA/CSV.
func (c *exportCmd) exportCube(g *Globals, prog *progress, f *h5io.File, src *exportSource, tmp string) (string, error) {
	d, info, err := f.OpenCube(src.group)
	if err != nil {
		return "", err
	}
	defer d.Close()
	inst, _ := f.ReadInstrument()
	if c.Format == "hspy" {
		if err := exportHyperSpy(g, prog, d, info, inst, c.File, src.label, tmp); err != nil {
			return "", err
		}
		return src.group, nil
	}
	spec, label, err := c.spectrum(d, info)
	if err != nil {
		return "", err
	}
	err = c.writeSpectrum(g, tmp, info.Axis, nil, []string{label}, [][]float64{spec}, inst, src.group)
	return label + " of " + src.group, err
}

// writeSpectrum writes curves on one axis as MSA (the first curve) or
// CSV (energy_eV and one column per curve). energies, when not nil, are
// the axis values written to the CSV.
func (c *exportCmd) writeSpectrum(g *Globals, out string, axis multispectrum.EnergyAxis, energies []float64, labels []string, curves [][]float64, inst multispectrum.Instrument, from string) error {
	return writeFile(out, func(w io.Writer) (int64, error) {
		if c.Format == "msa" {
			return 0, msa.Write(w, axis, curves[0], msa.Header{Title: labels[0], Owner: "eelsh5 " + version, Time: g.now(),
				BeamEnergy: inst.BeamEnergy, Convergence: inst.Convergence, Collection: inst.Collection, Comment: "exported from " + c.File + " " + from})
		}
		bw := bufio.NewWriter(w)
		cols := []string{"energy_eV"}
		if len(curves) == 1 && energies == nil {
			fmt.Fprintf(bw, "# %s of %s %s\n# energy_eV: channel start energy, eV; counts: counts per channel\n", labels[0], c.File, from)
			cols = append(cols, "counts")
		} else {
			fmt.Fprintf(bw, "# %s of %s; energy_eV: channel start energy, eV; the other columns in counts per channel\n", from, c.File)
			cols = append(cols, labels...)
		}
		fmt.Fprintln(bw, csvRow(cols))
		for i := 0; i < axis.Size; i++ {
			e := axis.Energy(i)
			if energies != nil {
				e = energies[i]
			}
			bw.WriteString(formatCSVFloat(e))
			for _, cv := range curves {
				bw.WriteByte(',')
				bw.WriteString(formatCSVFloat(cv[i]))
			}
			bw.WriteByte('\n')
		}
		return 0, bw.Flush()
	})
}

func formatCSVFloat(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// csvRow joins cells with commas, quoting those with commas or quotes.
func csvRow(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c
		if strings.ContainsAny(c, ",\"\n") {
			out[i] = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
	}
	return strings.Join(out, ",")
}

// spectrum returns the chosen pixel's spectrum or the mean over the scan
// (streamed).
func (c *exportCmd) spectrum(d *h5io.Dataset, info h5io.CubeInfo) ([]float64, string, error) {
	n := info.Axis.Size
	if c.Pixel != nil {
		y, x := c.Pixel.Y, c.Pixel.X
		s := make([]float64, n)
		if _, err := d.ReadRegion(s, multispectrum.Region{Y0: y, X0: x, NY: 1, NX: 1}); err != nil {
			return nil, "", err
		}
		return s, fmt.Sprintf("pixel (%d, %d)", y, x), nil
	}
	cy, cx := d.ScanChunk()
	tl := multispectrum.NewTiling(info.NY, info.NX, cy, cx)
	mean := make([]float64, n)
	buf := make([]float64, tl.MaxPixels()*n)
	for _, r := range tl.Regions() {
		b, err := d.ReadRegion(buf, r)
		if err != nil {
			return nil, "", err
		}
		for p := 0; p < r.Pixels(); p++ {
			multispectrum.AddTo(mean, b[p*n:(p+1)*n])
		}
	}
	for i := range mean {
		mean[i] /= float64(info.NY * info.NX)
	}
	return mean, fmt.Sprintf("mean of %dx%d spectra", info.NY, info.NX), nil
}

func exportHyperSpy(g *Globals, prog *progress, d *h5io.Dataset, info h5io.CubeInfo, inst multispectrum.Instrument, file, ds, out string) error {
	title := "EELS Spectrum Image"
	if info.NY*info.NX == 1 {
		title = "EELS Spectrum"
	}
	hf, err := h5io.CreateHyperSpy(out, h5io.HyperSpySpec{Title: title, OriginalFilename: filepath.Base(file), NY: info.NY, NX: info.NX,
		Axis: info.Axis, Scan: info.Scan, Instrument: inst, Created: g.now()})
	if err != nil {
		return err
	}
	defer hf.Close()
	if hf.Data == nil {
		all := make([]float64, info.NY*info.NX*info.Axis.Size)
		if _, err := d.ReadRegion(all, multispectrum.Region{NY: info.NY, NX: info.NX}); err != nil {
			return err
		}
		return hf.WriteAll(all)
	}
	cy, cx := d.ScanChunk()
	tl := multispectrum.NewTiling(info.NY, info.NX, cy, cx)
	n := info.Axis.Size
	return multispectrum.Process(g.ctx, h5io.Reader{d}, h5io.Writer{hf.Data}, tl, multispectrum.Layout{In: []int{n}, Out: []int{n}},
		func() struct{} { return struct{}{} }, func(_ struct{}, t *multispectrum.Tile) error { copy(t.Out[0], t.In[0]); return nil },
		multispectrum.Workers(1), multispectrum.Progress(prog.update))
}

// mapSource is an open map stack or map, read one image at a time.
type mapSource struct {
	d      *h5io.Dataset
	stack  bool
	ny, nx int
	names  []string
	scan   multispectrum.ScanCalibration
}

func openMaps(f *h5io.File, src *exportSource) (*mapSource, error) {
	m := &mapSource{stack: src.kind == exportStack}
	var err error
	if m.stack {
		m.d, err = f.OpenStack(src.dataset)
	} else {
		m.d, err = f.OpenMap(src.dataset)
	}
	if err != nil {
		return nil, err
	}
	m.ny, m.nx = m.d.NY, m.d.NX
	if m.stack {
		m.names, _ = f.ReadStrings(src.group + "/" + h5io.ComponentNames)
		if len(m.names) != m.d.Width {
			m.names, _ = f.ReadStrings(src.group + "/element_names") // the simulation's truth
		}
		if len(m.names) != m.d.Width {
			m.names = make([]string, m.d.Width)
			for k := range m.names {
				m.names[k] = fmt.Sprintf("component %d", k)
			}
		}
	} else {
		m.names = []string{path.Base(src.dataset)}
	}
	m.scan = readScan(f, src.group, m.ny, m.nx)
	return m, nil
}

// image reads image k into dst (ny*nx values, row-major).
func (m *mapSource) image(dst []float64, k int) ([]float64, error) {
	if m.stack {
		return m.d.ReadComponent(dst, k)
	}
	return m.d.ReadRegion(dst, multispectrum.Region{NY: m.ny, NX: m.nx})
}

// readScan reads the scan calibration of an NXdata group from its y and x
// axes (pixel indices when they are missing).
func readScan(f *h5io.File, group string, ny, nx int) multispectrum.ScanCalibration {
	sc := multispectrum.PixelScan()
	y, _, err1 := f.ReadFloats(group + "/" + h5io.AxisY)
	x, _, err2 := f.ReadFloats(group + "/" + h5io.AxisX)
	if err1 != nil || err2 != nil || len(y) != ny || len(x) != nx {
		return sc
	}
	sc.Y0, sc.X0 = y[0], x[0]
	switch {
	case nx > 1:
		sc.Step = x[1] - x[0]
	case ny > 1:
		sc.Step = y[1] - y[0]
	}
	if u, ok := f.AttrString(group+"/"+h5io.AxisY, h5io.AttrUnits); ok && u != "" {
		sc.Units = u
	}
	if !(sc.Step > 0) || math.IsInf(sc.Step, 0) {
		return multispectrum.PixelScan()
	}
	return sc
}

// quantity is the "long name (units)" label of a dataset.
func (src *exportSource) quantity() string {
	q := src.long
	if q == "" {
		q = path.Base(src.dataset)
	}
	if src.units != "" && !strings.Contains(q, "("+src.units+")") {
		q += " (" + src.units + ")"
	}
	return q
}

// exportMaps writes a map stack or a map as TIFF, HyperSpy or CSV.
func (c *exportCmd) exportMaps(f *h5io.File, src *exportSource, tmp string) (string, error) {
	m, err := openMaps(f, src)
	if err != nil {
		return "", err
	}
	defer m.d.Close()
	if c.Format == "csv" {
		return src.dataset, writeMapsCSV(m, src, tmp)
	}
	img := make([]float64, m.ny*m.nx)
	switch c.Format {
	case "tiff":
		err = writeFile(tmp, func(w io.Writer) (int64, error) {
			cal := tiff.Calibration{}
			if m.scan.Units != "pixel" {
				cal = tiff.Calibration{PixelSize: m.scan.Step, Unit: m.scan.Units, X0: m.scan.X0, Y0: m.scan.Y0}
			}
			tw, err := tiff.NewWriter(w, m.nx, m.ny, len(m.names), tiff.Options{ImageJ: true, Calibration: cal, Software: "eelsh5 " + version})
			if err != nil {
				return 0, err
			}
			page := make([]float32, len(img))
			for k, name := range m.names {
				if img, err = m.image(img, k); err != nil {
					return 0, err
				}
				for i, v := range img {
					page[i] = float32(v)
				}
				desc := name + ": " + src.quantity()
				if src.codes != "" {
					desc += "; codes " + src.codes
				}
				if err := tw.WritePage(page, name, desc); err != nil {
					return 0, err
				}
			}
			return 0, tw.Close()
		})
	case "hspy":
		inst, _ := f.ReadInstrument()
		title := path.Base(src.dataset)
		var hi *h5io.HyperSpyImages
		hi, err = h5io.CreateHyperSpyImages(tmp, h5io.HyperSpyImagesSpec{Title: title, OriginalFilename: filepath.Base(c.File), Names: m.names, Stack: m.stack,
			NY: m.ny, NX: m.nx, Scan: m.scan, Quantity: src.quantity(), Source: src.dataset, Units: src.units, Instrument: inst})
		if err != nil {
			return "", err
		}
		for k := range m.names {
			if img, err = m.image(img, k); err != nil {
				break
			}
			if err = hi.WriteImage(k, img); err != nil {
				break
			}
		}
		if cerr := hi.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return "", err
	}
	what := src.dataset
	if m.stack {
		what = fmt.Sprintf("%d maps of %s", len(m.names), src.dataset)
	}
	return what, nil
}

// writeMapsCSV writes a map stack or a map as rows y,x,<names...>.
func writeMapsCSV(m *mapSource, src *exportSource, out string) error {
	// The whole stack, pixel-major: maps are small next to the cubes.
	n := len(m.names)
	all := make([]float64, n*m.ny*m.nx)
	img := make([]float64, m.ny*m.nx)
	for k := range m.names {
		var err error
		if img, err = m.image(img, k); err != nil {
			return err
		}
		for p, v := range img {
			all[p*n+k] = v
		}
	}
	return writeFile(out, func(w io.Writer) (int64, error) {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "# %s; units: %s; y, x: pixel row and column\n", src.dataset, src.units)
		fmt.Fprintln(bw, csvRow(append([]string{"y", "x"}, m.names...)))
		for p := 0; p < m.ny*m.nx; p++ {
			fmt.Fprintf(bw, "%d,%d", p/m.nx, p%m.nx)
			for _, v := range all[p*n : (p+1)*n] {
				bw.WriteByte(',')
				bw.WriteString(formatCSVFloat(v))
			}
			bw.WriteByte('\n')
		}
		return 0, bw.Flush()
	})
}

// exportSpectra writes the curves of a 1-D dataset: CSV columns, or the
// first curve as MSA or a HyperSpy spectrum.
func (c *exportCmd) exportSpectra(g *Globals, f *h5io.File, src *exportSource, tmp string) (string, error) {
	energies, _, err := f.ReadFloats(src.group + "/" + h5io.AxisEnergyLoss)
	if err != nil {
		return "", err
	}
	n := len(energies)
	axis := multispectrum.EnergyAxis{Offset: energies[0], Dispersion: 1, Size: n}
	if n > 1 {
		axis.Dispersion = (energies[n-1] - energies[0]) / float64(n-1)
	}
	uniform := axis.Validate() == nil
	for i, e := range energies {
		if math.IsNaN(e) || math.Abs(e-axis.Energy(i)) > 1e-6*math.Abs(axis.Dispersion) {
			uniform = false
		}
	}
	if !uniform && c.Format != "csv" {
		return "", fmt.Errorf("%s: the energy axis of %s is not uniform; %s needs offset and dispersion (use --format csv)", c.File, src.group, c.Format)
	}
	curves := src.curves
	if c.Format != "csv" {
		curves = curves[:1]
	}
	values := make([][]float64, len(curves))
	for i, cv := range curves {
		if values[i], _, err = f.ReadFloats(src.group + "/" + cv); err != nil {
			return "", err
		}
	}
	inst, _ := f.ReadInstrument()
	what := src.group + "/" + curves[0]
	if len(curves) > 1 {
		what = fmt.Sprintf("%d curves of %s", len(curves), src.group)
	}
	if c.Format == "hspy" {
		hf, err := h5io.CreateHyperSpy(tmp, h5io.HyperSpySpec{Title: "EELS Spectrum " + path.Base(src.group) + " " + curves[0], OriginalFilename: filepath.Base(c.File),
			NY: 1, NX: 1, Axis: axis, Instrument: inst, Float64: true, Created: g.now()})
		if err != nil {
			return "", err
		}
		err = hf.WriteAll(values[0])
		if cerr := hf.Close(); err == nil {
			err = cerr
		}
		return what, err
	}
	var exact []float64
	if c.Format == "csv" {
		exact = energies
	}
	labels := curves
	if c.Format == "msa" {
		labels = []string{path.Base(src.group) + " " + curves[0]}
	}
	return what, c.writeSpectrum(g, tmp, axis, exact, labels, values, inst, src.group)
}
