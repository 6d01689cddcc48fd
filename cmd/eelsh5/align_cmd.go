package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

type alignCmd struct {
	File      string       `arg:"" type:"path" help:"Processing file holding /entry/lowloss (and /entry/coreloss)."`
	Method    string       `default:"fast" enum:"fast,fit,xcorr" help:"fast (argmax, whole channels), fit (peak fit, sub-channel) or xcorr (cross-correlation, sub-channel)."`
	Peak      string       `default:"gaussian" enum:"gaussian,lorentzian" help:"Peak model of --method fit."`
	On        string       `default:"lowloss" enum:"lowloss,coreloss" help:"Cube to measure the shifts on (coreloss: xcorr only, relative to the reference pixel)."`
	Range     *energyRange `placeholder:"LO:HI" help:"Energy range in eV to search for the peak (default: the whole axis)."`
	Window    float64      `default:"3" help:"Half-width in eV of the region around the peak used by fit and xcorr."`
	Reference pixel        `default:"0,0" placeholder:"Y,X" help:"Reference pixel of xcorr."`
	Step      string       `default:"alignment" help:"Name of the step to write."`
	Plot      string       `type:"path" help:"Write a PNG of the shift map and its histogram."`
	Single    bool         `help:"Align a single spectrum (1x1 scan) too: its axes are relabelled so that the zero loss is at 0 eV (only right when the low and core loss were recorded together)."`
	Overwrite bool         `help:"Replace an existing step of the same name (only once the new one is complete)."`
	partFlags
}

func (c *alignCmd) Help() string {
	return `Measures each pixel's energy shift from its zero-loss peak and writes an alignment step
(doc/processing-file.md): shifts/shift (eV; the peak's energy before alignment), status/status
(per-pixel codes, 0 = ok), and the aligned lowloss and coreloss cubes on a common,
cropped energy axis. Each pixel is moved by its shift minus the median shift, so the crop
is the spread of the shifts about their median (zero losses anywhere from 30 to 50 eV
cost 20 eV of channels), and the axes are relabelled by the median: after alignment
every zero-loss peak is at 0 eV (doc/algorithms.md 7). Pixels without a usable peak are
moved by the median shift, which the shift map holds for them; the status map flags
them. A low loss in other units than counts (a maximum below 1, e.g. normalised to unit
sum) is judged against its own noise. Single spectra (1x1 scans) are refused unless
--single is given: a separately recorded core loss must not take the zero-loss offset
of its low loss.`
}

// Validate checks the flags before any file is opened.
func (c *alignCmd) Validate() error {
	if !(c.Window > 0) {
		return fmt.Errorf("--window %g: must be positive (eV)", c.Window)
	}
	if c.On == "coreloss" && c.Method != "xcorr" {
		return fmt.Errorf("--on coreloss needs --method xcorr (the core loss has no zero-loss peak)")
	}
	if c.Step == "" || strings.ContainsAny(c.Step, "/.") {
		return fmt.Errorf("--step %q: want a plain name", c.Step)
	}
	if err := c.partFlags.check(); err != nil {
		return err
	}
	if c.partitioned() && c.Plot != "" {
		return fmt.Errorf("--plot draws the whole shift map: give it to the preparing run's merge, or run 'eelsh5 plot FILE %s'", c.Step)
	}
	return nil
}

func (c *alignCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 align")
	if c.partitioned() {
		n, err := c.runPartitioned(g, prog)
		if err != nil {
			return err
		}
		if n > 0 {
			prog.summary(n)
		}
		return nil
	}
	f, sum, err := openProcessing(c.File, true)
	if err != nil {
		return err
	}
	defer f.Close()
	a, err := prepareAlign(f, c.File, c)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.run(g, prog, sum)
	if err != nil {
		return err
	}
	prog.summary(len(res.Status))
	return nil
}

// alignJob is an alignment of a processing file, checked and ready to
// run: nothing has been written yet.
type alignJob struct {
	c       *alignCmd
	f       *h5io.File
	file    string
	in      aligners.Input
	opts    aligners.RunOptions
	cubes   []*h5io.Dataset
	paths   []string
	scan    multispectrum.ScanCalibration
	chunk   [2]int
	measure string
	// hint is added to the error when no pixel has a usable peak (quant:
	// how to fit without alignment).
	hint string
}

func (a *alignJob) close() {
	for _, d := range a.cubes {
		d.Close()
	}
}

// prepareAlign opens the cubes of the file and checks the alignment of c
// against them.
func prepareAlign(f *h5io.File, file string, c *alignCmd) (*alignJob, error) {
	measure := h5io.LowLossPath
	if c.On == "coreloss" {
		measure = h5io.CoreLossPath
	}
	if !f.Exists(measure) {
		if measure == h5io.LowLossPath {
			return nil, fmt.Errorf("%s has no low loss (%s): align the core loss with --method xcorr --on coreloss", file, measure)
		}
		return nil, fmt.Errorf("%s has no core loss (%s)", file, measure)
	}
	a := &alignJob{c: c, f: f, file: file, measure: measure}
	var infos []h5io.CubeInfo
	for _, p := range []string{h5io.LowLossPath, h5io.CoreLossPath} {
		if !f.Exists(p) {
			continue
		}
		d, info, err := f.OpenCube(p)
		if err != nil {
			a.close()
			return nil, err
		}
		a.cubes = append(a.cubes, d)
		if len(infos) > 0 && (info.NY != infos[0].NY || info.NX != infos[0].NX) {
			a.close()
			return nil, fmt.Errorf("%s: %s is %dx%d but %s is %dx%d", file, p, info.NY, info.NX, a.paths[0], infos[0].NY, infos[0].NX)
		}
		infos, a.paths = append(infos, info), append(a.paths, p)
		name := p[strings.LastIndex(p, "/")+1:]
		a.in.Cubes = append(a.in.Cubes, aligners.Cube{Name: name, Source: h5io.Reader{d}, Axis: info.Axis})
		if p == measure {
			a.in.Measure = len(a.in.Cubes) - 1
		}
	}
	a.in.NY, a.in.NX, a.in.Relative = infos[0].NY, infos[0].NX, measure == h5io.CoreLossPath
	cy, cx := a.cubes[a.in.Measure].ScanChunk()
	a.in.Tile, a.chunk, a.scan = [2]int{cy, cx}, [2]int{cy, cx}, infos[0].Scan
	a.opts = aligners.RunOptions{Options: aligners.Options{Method: aligners.Method(c.Method), Peak: c.Peak, Window: c.Window},
		Reference: [2]int{c.Reference.Y, c.Reference.X}, Single: c.Single}
	if c.Range != nil {
		a.opts.Lo, a.opts.Hi = c.Range.A, c.Range.B
	}
	if err := aligners.Check(a.in, a.opts); err != nil {
		a.close()
		if errors.Is(err, aligners.ErrSingleSpectrum) {
			// The data, not a flag, are the reason: a runtime error.
			return nil, fmt.Errorf("%s is a single spectrum (1x1 scan): not aligned, as its core loss may be calibrated on its own (--single aligns it anyway)", file)
		}
		var re *aligners.ReferenceError
		if errors.As(err, &re) {
			return nil, usageError{fmt.Errorf("--reference %s: outside the %dx%d scan", c.Reference, re.NY, re.NX)}
		}
		return nil, usageError{err}
	}
	return a, nil
}

// singleSpectrum reports whether the low loss of f is a single spectrum
// (a 1x1 scan); false when it cannot be read (the caller then reports
// why).
func singleSpectrum(f *h5io.File) bool {
	d, info, err := f.OpenCube(h5io.LowLossPath)
	if err != nil {
		return false
	}
	d.Close()
	return info.NY*info.NX == 1
}

// params are the provenance parameters of the alignment.
func (a *alignJob) params() map[string]any {
	c := a.c
	return map[string]any{"method": c.Method, "peak": c.Peak, "on": a.measure, "window_eV": c.Window, "single": c.Single,
		"range": rangeParam(c.Range), "reference_pixel": []int{c.Reference.Y, c.Reference.X}, "input": a.paths}
}

// alignRun says where an alignment goes: for a part of a partitioned
// run into the part file target (path targetPath) with part, for its
// merge assembled by merge from the parts; else into the input file.
type alignRun struct {
	target     *h5io.File
	targetPath string
	part       *h5io.PartNote
	merge      *h5io.Merge
	extra      map[string]any
}

// run measures and applies the shifts and commits the step.
func (a *alignJob) run(g *Globals, prog *progress, sum string) (*aligners.Result, error) {
	return a.runTo(g, prog, sum, alignRun{})
}

// runTo is run with the destination of r.
func (a *alignJob) runTo(g *Globals, prog *progress, sum string, r alignRun) (*aligners.Result, error) {
	c := a.c
	a.opts.Workers = g.workers()
	a.opts.Progress = func(_ aligners.Stage, done, total int) { prog.update(done, total) }
	params := a.params()
	for k, v := range r.extra {
		params[k] = v
	}
	prov := g.provenance("align", params, multispectrum.Input{File: a.file, SHA256: sum, Datasets: a.paths})
	target, targetPath := a.f, a.file
	if r.target != nil {
		target, targetPath = r.target, r.targetPath
	}
	dst := target.NewAlignmentDestination(h5io.AlignmentOptions{Step: c.Step, Overwrite: c.Overwrite, Provenance: prov, Scan: a.scan, Chunk: a.chunk,
		Part: r.part, Merge: r.merge})
	defer dst.Close()
	// The status counts are known once the shifts are measured: the
	// destination begins then, so they go into the provenance.
	begin := beginAlign{dst: dst, prov: prov, prog: prog, paths: a.paths}
	var res *aligners.Result
	var err error
	switch {
	case r.merge != nil:
		prog.say("merging %d parts into /entry/%s (%s)", len(r.merge.Sources), c.Step, mergeKind(r.merge))
		if res, err = aligners.Measure(g.ctx, a.in, a.opts); err == nil {
			var out aligners.Output
			if out, err = begin.Begin(res); err == nil {
				err = out.Finish(res)
			}
		}
	case a.opts.Measured != nil:
		prog.say("part %s: applying the prepared shifts", a.opts.Part)
		res, err = aligners.Run(g.ctx, a.in, begin, a.opts)
	default:
		prog.say("measuring shifts on %s (%s)", a.measure, c.Method)
		res, err = aligners.Run(g.ctx, a.in, begin, a.opts)
	}
	if err != nil {
		if a.hint != "" && errors.Is(err, aligners.ErrNoUsablePeak) {
			err = fmt.Errorf("%w; %s", err, a.hint)
		}
		return nil, err
	}
	g.committed = append(g.committed, fmt.Sprintf("step /entry/%s of %s", c.Step, targetPath))
	lo, hi := res.ShiftRange()
	prog.say("wrote step /entry/%s of %s: shifts %.3f..%.3f eV (median %.3f eV), %d of %d pixels without a usable peak; aligned axes: %s",
		c.Step, targetPath, lo, hi, res.Plan.Median, res.Failed(), len(res.Status), describeAxes(res))
	if c.Plot != "" {
		shiftMap := multispectrum.NewArray(a.in.NY, a.in.NX, 1)
		copy(shiftMap.Data, res.Plan.Shifts) // as stored: the applied shifts
		if err := plotShiftsOn(c.Plot, shiftMap, res.Status, a.scan); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// beginAlign completes the provenance with the measured status counts
// and reports the second pass before the step begins.
type beginAlign struct {
	dst   *h5io.AlignmentDestination
	prov  *multispectrum.Provenance
	prog  *progress
	paths []string
}

func (b beginAlign) Begin(r *aligners.Result) (aligners.Output, error) {
	b.prov.Params["status_counts"] = r.StatusCounts()
	b.prog.say("applying shifts to %s", strings.Join(b.paths, ", "))
	return b.dst.Begin(r)
}

func rangeParam(r *energyRange) string {
	if r == nil {
		return ""
	}
	return r.String()
}

func describeAxes(r *aligners.Result) string {
	var s []string
	for i, c := range r.Input.Cubes {
		s = append(s, fmt.Sprintf("%s %s", c.Name, axisText(r.Axes[i])))
	}
	return strings.Join(s, "; ")
}

// runPartitioned runs a --prepare alignment (pass 1 on the whole scan,
// stored for the parts) or a --part one (pass 2 on the part's tiles into
// its part file); it returns the spectra aligned.
func (c *alignCmd) runPartitioned(g *Globals, prog *progress) (int, error) {
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	a, err := prepareAlign(f, c.File, c)
	if err != nil {
		return 0, err
	}
	defer a.close()
	a.opts.Workers = g.workers()
	a.opts.Progress = func(_ aligners.Stage, done, total int) { prog.update(done, total) }
	if c.Prepare {
		prog.say("measuring shifts on %s (%s)", a.measure, c.Method)
		res, err := aligners.Measure(g.ctx, a.in, a.opts)
		if err != nil {
			return 0, err
		}
		sum, err := h5io.FileSHA256(c.File)
		if err != nil {
			return 0, err
		}
		flags, err := commandFlags(c)
		if err != nil {
			return 0, err
		}
		p := &prepareFile{Command: "align", Step: c.Step, Input: c.File, InputSHA256: sum, Version: version, Created: g.now(), Flags: flags,
			Tiles: a.in.Tiling().Len(), Measured: res.Measurement(), StatusCounts: res.StatusCounts()}
		path := h5io.PreparePath(c.File, c.PartsDir, c.Step)
		if err := writePrepare(path, p); err != nil {
			return 0, err
		}
		g.committed = append(g.committed, path)
		lo, hi := res.ShiftRange()
		prog.say("prepared /entry/%s of %s in %s: shifts %.3f..%.3f eV (median %.3f eV), %d of %d pixels without a usable peak; %d tiles, so up to %d parts (--part K/N)",
			c.Step, c.File, path, lo, hi, res.Plan.Median, res.Failed(), len(res.Status), p.Tiles, p.Tiles)
		return 0, nil
	}
	prep, err := loadPrepare(c.File, c.PartsDir, c.Step, "align", c)
	if err != nil {
		return 0, err
	}
	part := c.part()
	tl := a.in.Tiling()
	first, end, err := part.Tiles(tl)
	if err != nil {
		return 0, usageError{err}
	}
	a.opts.Part, a.opts.Measured = part, prep.Measured
	target, path, err := openPartFile(g, f, c.File, c.PartsDir, c.Step, part)
	if err != nil {
		return 0, err
	}
	defer target.Close()
	if _, err := a.runTo(g, prog, prep.InputSHA256, alignRun{target: target, targetPath: path, extra: partParams(part),
		part: partNote(part, tl, first, end, c.File, prep)}); err != nil {
		return 0, err
	}
	n := 0
	for i := first; i < end; i++ {
		n += tl.Region(i).Pixels()
	}
	return n, nil
}

// merge finishes a partitioned alignment of c.File from the checked
// parts: the shift and status maps from the preparing run, the aligned
// cubes from the parts.
func (c *alignCmd) merge(g *Globals, prog *progress, set *mergeSet) (*aligners.Result, error) {
	if err := c.Validate(); err != nil {
		return nil, usageError{err}
	}
	f, sum, err := openForMerge(c.File, set)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := prepareAlign(f, c.File, c)
	if err != nil {
		return nil, err
	}
	defer a.close()
	a.opts.Measured = set.prep.Measured
	m := set.merge(c.File, c.Step)
	return a.runTo(g, prog, sum, alignRun{merge: m, extra: set.params(m)})
}
