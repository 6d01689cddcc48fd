package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

type alignCmd struct {
	File      string  `arg:"" type:"path" help:"Processing file holding /entry/lowloss (and /entry/coreloss)."`
	Method    string  `default:"fast" enum:"fast,fit,xcorr" help:"fast (argmax, whole channels), fit (peak fit, sub-channel) or xcorr (cross-correlation, sub-channel)."`
	Peak      string  `default:"gaussian" enum:"gaussian,lorentzian" help:"Peak model of --method fit."`
	On        string  `default:"lowloss" enum:"lowloss,coreloss" help:"Cube to measure the shifts on (coreloss: xcorr only, relative to the reference pixel)."`
	Range     string  `placeholder:"LO:HI" help:"Energy range in eV to search for the peak (default: the whole axis)."`
	Window    float64 `default:"3" help:"Half-width in eV of the region around the peak used by fit and xcorr."`
	Reference string  `default:"0,0" placeholder:"Y,X" help:"Reference pixel of xcorr."`
	Step      string  `default:"alignment" help:"Name of the step to write."`
	Plot      string  `type:"path" help:"Write a PNG of the shift map and its histogram."`
	Overwrite bool    `help:"Replace an existing step of the same name (only once the new one is complete)."`
}

func (c *alignCmd) Help() string {
	return `Measures each pixel's energy shift from its zero-loss peak and writes an alignment step
(FORMATS.md 3.4): shifts/shift (eV; the peak's energy before alignment), status/status
(per-pixel codes, 0 = ok), and the aligned lowloss and coreloss cubes on a common,
cropped energy axis (the reference's rules: ALGORITHMS.md 7.2 for fast, 7.5 otherwise).
Pixels without a usable peak keep the median shift and are flagged in the status map.
After alignment every zero-loss peak is at 0 eV.`
}

func (c *alignCmd) options(axis multispectrum.EnergyAxis) (aligners.Options, error) {
	o := aligners.Options{Method: aligners.Method(c.Method), Peak: c.Peak, Window: c.Window}
	if c.Range != "" {
		lo, hi, ok := strings.Cut(c.Range, ":")
		a, err1 := strconv.ParseFloat(lo, 64)
		b, err2 := strconv.ParseFloat(hi, 64)
		if !ok || err1 != nil || err2 != nil {
			return o, usageError{fmt.Errorf("--range %q: want LO:HI in eV", c.Range)}
		}
		o.Lo, o.Hi = a, b
	}
	if !(c.Window > 0) {
		return o, usageError{fmt.Errorf("--window %g: must be positive", c.Window)}
	}
	if err := o.Validate(axis); err != nil {
		return o, usageError{err}
	}
	return o, nil
}

func parsePixel(s string, ny, nx int) (int, int, error) {
	a, b, ok := strings.Cut(s, ",")
	y, err1 := strconv.Atoi(strings.TrimSpace(a))
	x, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || y < 0 || y >= ny || x < 0 || x >= nx {
		return 0, 0, usageError{fmt.Errorf("--reference %q: want Y,X inside the %dx%d scan", s, ny, nx)}
	}
	return y, x, nil
}

func (c *alignCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 align")
	f, sum, err := openProcessing(c.File, true)
	if err != nil {
		return err
	}
	defer f.Close()
	np, err := alignFile(g, prog, f, c.File, sum, c)
	if err != nil {
		return err
	}
	prog.summary(np)
	return nil
}

// alignFile runs the alignment described by c on the open file and
// commits its step; it returns the number of spectra.
func alignFile(g *Globals, prog *progress, f *h5io.File, file, sum string, c *alignCmd) (int, error) {
	if c.On == "coreloss" && c.Method != "xcorr" {
		return 0, usageError{fmt.Errorf("--on coreloss needs --method xcorr (the core loss has no zero-loss peak)")}
	}
	measure := h5io.LowLossPath
	if c.On == "coreloss" {
		measure = h5io.CoreLossPath
	}
	if !f.Exists(measure) {
		if measure == h5io.LowLossPath {
			return 0, fmt.Errorf("%s has no low loss (%s): align the core loss with --method xcorr --on coreloss", file, measure)
		}
		return 0, fmt.Errorf("%s has no core loss (%s)", file, measure)
	}
	var cubes []*h5io.Dataset
	var infos []h5io.CubeInfo
	var paths []string
	for _, p := range []string{h5io.LowLossPath, h5io.CoreLossPath} {
		if !f.Exists(p) {
			continue
		}
		d, info, err := f.OpenCube(p)
		if err != nil {
			return 0, err
		}
		defer d.Close()
		if len(infos) > 0 && (info.NY != infos[0].NY || info.NX != infos[0].NX) {
			return 0, fmt.Errorf("%s: %s is %dx%d but %s is %dx%d", file, p, info.NY, info.NX, paths[0], infos[0].NY, infos[0].NX)
		}
		cubes, infos, paths = append(cubes, d), append(infos, info), append(paths, p)
	}
	mi := 0
	if measure == h5io.CoreLossPath && paths[0] != h5io.CoreLossPath {
		mi = 1
	}
	axis := infos[mi].Axis
	opts, err := c.options(axis)
	if err != nil {
		return 0, err
	}
	ny, nx := infos[0].NY, infos[0].NX
	ry, rx, err := parsePixel(c.Reference, ny, nx)
	if err != nil {
		return 0, err
	}
	ref := make([]float64, axis.Size)
	if _, err := cubes[mi].ReadRegion(ref, multispectrum.Region{Y0: ry, X0: rx, NY: 1, NX: 1}); err != nil {
		return 0, err
	}
	absolute := measure == h5io.LowLossPath
	if _, err := aligners.NewEstimator(opts, axis, ref, absolute); err != nil {
		return 0, err
	}
	cy, cx := cubes[mi].ScanChunk()
	tl := multispectrum.NewTiling(ny, nx, cy, cx)

	// Pass 1: measure the shifts (into memory: one shift and status per pixel).
	est := multispectrum.NewArray(ny, nx, 2)
	newEst := func() *aligners.Estimator {
		e, _ := aligners.NewEstimator(opts, axis, ref, absolute)
		return e
	}
	w := axis.Size
	measureTile := func(e *aligners.Estimator, t *multispectrum.Tile) error {
		for p := 0; p < t.Region.Pixels(); p++ {
			s, st := e.Estimate(t.In[0][p*w : (p+1)*w])
			t.Out[0][2*p], t.Out[0][2*p+1] = s, float64(st)
		}
		return nil
	}
	prog.message("eelsh5 align: measuring shifts on %s (%s)", measure, c.Method)
	err = multispectrum.Process(g.ctx, h5io.Reader{cubes[mi]}, multispectrum.ArraySink{est}, tl,
		multispectrum.Layout{In: []int{w}, Out: []int{2}}, newEst, measureTile,
		multispectrum.Workers(g.workers()), multispectrum.Progress(prog.update))
	if err != nil {
		return 0, err
	}
	np := ny * nx
	shifts, status := make([]float64, np), make([]aligners.Status, np)
	counts := map[aligners.Status]int{}
	for p := 0; p < np; p++ {
		shifts[p], status[p] = est.Data[2*p], aligners.Status(est.Data[2*p+1])
		counts[status[p]]++
	}
	plan, err := aligners.NewPlan(shifts, status, axis, c.Method == "fast")
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}

	params := map[string]any{"method": c.Method, "peak": c.Peak, "on": measure, "window_eV": c.Window,
		"range": c.Range, "reference_pixel": []int{ry, rx}, "input": paths, "status_counts": statusCounts(counts)}
	step, err := f.BeginStep(c.Step, g.provenance("align", params, multispectrum.Input{File: file, SHA256: sum, Datasets: paths}), c.Overwrite)
	if err != nil {
		return 0, err
	}
	defer step.Abort()
	var outs h5io.Writer
	var outAxes []multispectrum.EnergyAxis
	for i, p := range paths {
		ax, err := plan.Axis(infos[i].Axis)
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", file, p, err)
		}
		name := p[strings.LastIndex(p, "/")+1:]
		d, err := f.CreateCube(step.Path(name), h5io.CubeSpec{NY: ny, NX: nx, Axis: ax, Scan: infos[i].Scan, Chunk: [2]int{cy, cx}})
		if err != nil {
			return 0, err
		}
		defer d.Close()
		outs, outAxes = append(outs, d), append(outAxes, ax)
	}
	// Pass 2: apply the shifts to every cube.
	in, out := make([]int, len(cubes)), make([]int, len(cubes))
	for i := range cubes {
		in[i], out[i] = infos[i].Axis.Size, outAxes[i].Size
	}
	nx0 := nx
	apply := func(_ struct{}, t *multispectrum.Tile) error {
		r := t.Region
		for k := range t.In {
			wi, wo := in[k], out[k]
			q := 0
			for y := r.Y0; y < r.Y0+r.NY; y++ {
				for x := r.X0; x < r.X0+r.NX; x++ {
					plan.Apply(t.Out[k][q*wo:(q+1)*wo], t.In[k][q*wi:(q+1)*wi], y*nx0+x)
					q++
				}
			}
		}
		return nil
	}
	prog.message("eelsh5 align: applying shifts to %s", strings.Join(paths, ", "))
	err = multispectrum.Process(g.ctx, h5io.Reader(cubes), outs, tl, multispectrum.Layout{In: in, Out: out},
		func() struct{} { return struct{}{} }, apply, multispectrum.Workers(g.workers()), multispectrum.Progress(prog.update))
	if err != nil {
		return 0, err
	}
	shiftMap := multispectrum.NewArray(ny, nx, 1)
	statusMap := multispectrum.NewArray(ny, nx, 1)
	for p := 0; p < np; p++ {
		shiftMap.Data[p] = shifts[p]
		statusMap.Data[p] = float64(status[p])
	}
	if err := writeMap(f, step.Path("shifts"), "shift", "eV", "zero-loss shift (eV)", h5io.Float64, "", shiftMap, infos[0].Scan); err != nil {
		return 0, err
	}
	if err := writeMap(f, step.Path("status"), "status", "", "alignment status", h5io.Int8, aligners.StatusCodes, statusMap, infos[0].Scan); err != nil {
		return 0, err
	}
	if err := step.Commit("shifts"); err != nil {
		return 0, err
	}
	bad := np - counts[aligners.OK]
	prog.message("eelsh5 align: wrote step /entry/%s of %s: shifts %.3f..%.3f eV, %d of %d pixels without a usable peak; aligned axes: %s",
		c.Step, file, minOf(plan.Shifts), maxOf(plan.Shifts), bad, np, describeAxes(paths, outAxes))
	if c.Plot != "" {
		if err := plotShifts(c.Plot, shiftMap, status); err != nil {
			return 0, err
		}
	}
	return np, nil
}

func statusCounts(m map[aligners.Status]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k.String()] = v
	}
	return out
}

func describeAxes(paths []string, axes []multispectrum.EnergyAxis) string {
	var s []string
	for i, p := range paths {
		s = append(s, fmt.Sprintf("%s %s", p[strings.LastIndex(p, "/")+1:], axes[i]))
	}
	return strings.Join(s, "; ")
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// writeMap writes a whole map as an NXdata group.
func writeMap(f *h5io.File, path, signal, units, long string, dt h5io.DType, codes string, a *multispectrum.Array, scan multispectrum.ScanCalibration) error {
	d, err := f.CreateMap(path, h5io.MapSpec{NY: a.NY, NX: a.NX, Signal: signal, Units: units, LongName: long, DType: dt, Codes: codes, Scan: scan})
	if err != nil {
		return err
	}
	defer d.Close()
	return d.WriteRegion(a.Bounds(), a.Data)
}
