package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/quant"
)

type quantCmd struct {
	File           string   `arg:"" type:"path" help:"Processing file with /entry/coreloss (and /entry/lowloss)."`
	Align          string   `default:"fast" enum:"fast,fit,xcorr,none" help:"Alignment method before fitting (none: fit the raw cubes)."`
	Realign        bool     `help:"Align again even if /entry/alignment exists (replacing it)."`
	Input          string   `help:"Step to read coreloss/lowloss from, as it is (no alignment runs): e.g. a crop, bin or calibrate step, a Fourier-ratio deconvolve step with --no-lowloss, 'alignment', or 'raw' for /entry."`
	Step           string   `default:"quant" help:"Name of the step to write."`
	Region         []region `sep:"none" placeholder:"NAME=Y0:Y1,X0:X1" help:"Region of the scan to summarise (rows Y0..Y1-1, columns X0..X1-1); repeatable."`
	Plots          string   `type:"path" help:"Directory to write the figures into (figures that exist there are refused before anything is written, unless --overwrite-plots)."`
	OverwritePlots bool     `name:"overwrite-plots" help:"Replace figures that exist in the --plots directory."`
	NoModel        bool     `name:"no-model-cube" help:"Do not write the fitted model cube."`
	Resume         bool     `help:"Continue an interrupted run of this step (same options) from its last checkpoint."`
	checkpointFlag
	Overwrite bool `help:"Replace an existing step of the same name (only once the new one is complete)."`
	modelFlags
	partFlags

	opts quant.Options
}

func (c *quantCmd) Help() string {
	return `Elemental quantification: aligns the spectra on the zero loss (fast by default), fits a
linear background (--background-terms, chosen by the data by default) plus the edges of --elements/--edges
convolved with each pixel's low loss, and writes a quant step (doc/processing-file.md) with the
fit outputs, elemental maps (areal density in atoms/nm^2 when a low loss gives the
incident intensity, else edge amplitudes), relative composition maps (at.%) with
uncertainties propagated from the full covariance, and a summary (mean composition +-
its 1-sigma uncertainty, from the CRLB, and the pixel-to-pixel spread over the map, user
regions and, for simulated files, the regions of equal true composition; for a single
element its areal density instead) printed as a table and stored as JSON, with the
reduced chi-square. E0, alpha and beta come from the file's instrument metadata unless
given. Fit window: 100 eV below the lowest onset to 500 eV above the highest, within the
axis (--window overrides). Figures (--plots DIR) that exist in DIR are refused before
anything is written, unless --overwrite-plots.`
}

// Validate checks the flags before any file is opened.
func (c *quantCmd) Validate() error {
	if err := validStep(c.Step); err != nil {
		return err
	}
	if c.Model == "" && len(trimList(c.Elements)) == 0 {
		return fmt.Errorf("give --elements and --edges (or --model)")
	}
	if err := c.partFlags.check(); err != nil {
		return err
	}
	if c.partitioned() && c.Plots != "" {
		return fmt.Errorf("--plots draws a whole step: draw the merged step with 'eelsh5 plot FILE %s'", c.Step)
	}
	if c.Input != "" {
		if c.Realign {
			return fmt.Errorf("--realign and --input exclude each other: --input fits the step it names as it is")
		}
		if c.Align == "fit" || c.Align == "xcorr" {
			return fmt.Errorf("--align %s and --input exclude each other: --input fits the step it names as it is (align first, then give --input alignment)", c.Align)
		}
		if strings.ContainsAny(c.Input, "/.") {
			return fmt.Errorf("--input %q: want a step name (as 'eelsh5 info FILE' lists them), or raw", c.Input)
		}
		if c.Input == c.Step {
			return fmt.Errorf("--input and --step both name %q: write the quant step under another --step", c.Input)
		}
	}
	if c.partitioned() && c.Realign {
		return fmt.Errorf("--realign: a partitioned quant reads an existing alignment; realign first ('eelsh5 align --overwrite', or partitioned)")
	}
	var err error
	if c.opts, err = c.modelFlags.validate(); err != nil {
		return err
	}
	c.opts.NoModelCube = c.NoModel
	c.opts.Regions = nil
	for _, r := range c.Region {
		c.opts.Regions = append(c.opts.Regions, quant.NamedRegion(r))
	}
	return nil
}

func (c *quantCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 quant")
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
	rep, err := quantFile(g, prog, c)
	if err != nil {
		return err
	}
	printSummary(g.stdout, rep.res.Summary, rep.densities)
	prog.summary(rep.res.Spectra)
	return nil
}

// quantReport is what a quantification prints: the library's result and,
// for a single element, whose composition is 100 at.% in every pixel,
// the statistics of its elemental map (areal density, or edge amplitude
// without a low loss) in each region of the summary, by region name.
type quantReport struct {
	res       *quant.Result
	densities map[string]quant.Stats
}

// quantFile runs the alignment (when asked and needed), the
// quantification and the figures. Everything is checked before the
// first write: the alignment's options and the fit's plan on the raw
// cubes, then the plan again on the aligned ones.
func quantFile(g *Globals, prog *progress, c *quantCmd) (*quantReport, error) {
	if err := c.Validate(); err != nil {
		return nil, usageError{err}
	}
	f, sum, err := openProcessing(c.File, true)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts := c.opts
	opts.Workers, opts.CheckpointEvery, opts.Progress = g.workers(), c.CheckpointEvery, prog.update
	input := ""
	var align *alignJob
	switch {
	case c.Input != "":
		input = c.Input
		if c.inputWithoutLowLoss(f, &opts) {
			prog.message("eelsh5 quant: step %s has no low loss: fitting its core loss without plural-scattering convolution", c.Input)
		}
	case c.Align == "none":
		input = "raw"
	case !f.Exists(h5io.LowLossPath):
		prog.message("eelsh5 quant: no low loss: fitting the core loss without alignment or plural-scattering convolution")
		input = "raw"
		opts.NoLowLoss = true
	case f.Exists(h5io.EntryPath+"/"+h5io.StepAlignment) && !c.Realign:
		prog.message("eelsh5 quant: using the existing /entry/alignment (--realign to redo it)")
	case singleSpectrum(f):
		// A separately recorded core loss must not take the low loss's
		// zero-loss offset (the reference aligns spectrum images only).
		prog.message("eelsh5 quant: single spectrum (1x1 scan): not aligned, fitting the raw cubes (eelsh5 align --single aligns it first if the low and core loss were recorded together)")
		input = "raw"
	default:
		a := &alignCmd{Method: c.Align, Peak: "gaussian", On: "lowloss", Window: 3, Step: h5io.StepAlignment, Overwrite: c.Realign}
		if align, err = prepareAlign(f, c.File, a); err != nil {
			return nil, err
		}
		defer align.close()
		align.hint = "fit the raw cubes without alignment with --align none"
		// Check the fit on the raw cubes, and the figures, before the
		// alignment writes.
		// The data-driven choices (background terms, onsets) are made
		// on the aligned cubes; the check takes fixed ones.
		check := opts
		check.EstimateOnsets = false
		if check.Model == nil && check.BackgroundTerms == 0 {
			check.BackgroundTerms = quant.DefaultBackgroundTerms
		}
		j, err := prepareFit(f, c.File, "quant", "raw", &c.modelFlags, check)
		if err != nil {
			return nil, err
		}
		err = c.checkPlots(j.plan, true)
		j.close()
		if err != nil {
			return nil, err
		}
	}
	if align != nil {
		prog.setStage("align")
		if _, err := align.run(g, prog, sum); err != nil {
			return nil, err
		}
		align.close()
	}
	prog.setStage("fit")
	j, err := prepareFit(f, c.File, "quant", input, &c.modelFlags, opts)
	if err != nil {
		return nil, err
	}
	defer j.close()
	if align == nil {
		if err := c.checkPlots(j.plan, j.in.Base != h5io.EntryPath && f.Exists(j.in.Base+"/"+h5io.AlignShifts)); err != nil {
			return nil, err
		}
	}
	var regions []string
	for _, r := range c.Region {
		regions = append(regions, r.String())
	}
	res, err := j.run(g, prog, sum, fitRun{step: c.Step, overwrite: c.Overwrite, resume: c.Resume,
		extra: map[string]any{"align": c.alignParam(), "regions": regions}})
	if err != nil {
		return nil, err
	}
	rep := &quantReport{res: res}
	if res.Summary != nil && len(res.Summary.Elements) == 1 {
		if rep.densities, err = elementStats(f, c.Step, res, c.Region); err != nil {
			return nil, err
		}
	}
	prog.setStage("")
	if c.Plots != "" {
		if err := os.MkdirAll(c.Plots, 0o755); err != nil {
			return nil, fmt.Errorf("could not create %q: %w", c.Plots, err)
		}
		files, err := drawStep(f, c.Step, c.Plots)
		if err != nil {
			return nil, err
		}
		for _, p := range files {
			prog.message("eelsh5 quant: figure %s", p)
		}
	}
	return rep, nil
}

// partInput returns the input step of a partitioned quant of f, which
// never aligns (a part must not write FILE): the alignment step when
// there is one, else the raw cubes where a whole quant would not align
// either; opts gets NoLowLoss for a file without a low loss.
func (c *quantCmd) partInput(f *h5io.File, opts *quant.Options) (string, error) {
	switch {
	case c.Input != "":
		c.inputWithoutLowLoss(f, opts)
		return c.Input, nil
	case c.Align == "none":
		return "raw", nil
	case !f.Exists(h5io.LowLossPath):
		opts.NoLowLoss = true
		return "raw", nil
	case f.Exists(h5io.EntryPath + "/" + h5io.StepAlignment):
		return "", nil
	case singleSpectrum(f):
		return "raw", nil
	}
	return "", fmt.Errorf("%s has no /entry/alignment, and a partitioned quant does not write FILE: align it first ('eelsh5 align %s', or partitioned with --prepare, --part and 'eelsh5 merge', which 'eelsh5 slurm quant' submits), or fit the raw cubes with --align none", c.File, c.File)
}

// extraParams are the provenance parameters quant adds to the plan's.
func (c *quantCmd) extraParams() map[string]any {
	var regions []string
	for _, r := range c.Region {
		regions = append(regions, r.String())
	}
	return map[string]any{"align": c.alignParam(), "regions": regions}
}

// inputWithoutLowLoss sets opts.NoLowLoss, and reports it, when the
// --input step exists and has no low loss (a Fourier-ratio deconvolve
// step, a crop of a file without one), as quant does for a file without
// a low loss.
func (c *quantCmd) inputWithoutLowLoss(f *h5io.File, opts *quant.Options) bool {
	base := h5io.EntryPath
	if c.Input != "raw" {
		base += "/" + c.Input
	}
	if opts.NoLowLoss || !f.Exists(base) || f.Exists(base+"/"+h5io.LowLossName) {
		return false
	}
	opts.NoLowLoss = true
	return true
}

// alignParam is the alignment the step's provenance records: none when
// --input names the step fitted as it is.
func (c *quantCmd) alignParam() string {
	if c.Input != "" {
		return "none"
	}
	return c.Align
}

// runPartitioned runs a --prepare or --part quant; it returns the
// spectra fitted.
func (c *quantCmd) runPartitioned(g *Globals, prog *progress) (int, error) {
	if err := c.Validate(); err != nil {
		return 0, usageError{err}
	}
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	opts := c.opts
	opts.Workers, opts.CheckpointEvery, opts.Progress = g.workers(), c.CheckpointEvery, prog.update
	input, err := c.partInput(f, &opts)
	if err != nil {
		return 0, err
	}
	return partitionedFit(g, prog, f, c.File, "quant", input, c.Step, &c.modelFlags, &c.partFlags, opts, c, c.extraParams(), c.Resume, c.Overwrite)
}

// merge finishes a partitioned quant of c.File from the checked parts.
func (c *quantCmd) merge(g *Globals, prog *progress, set *mergeSet) (*quantReport, error) {
	if err := c.Validate(); err != nil {
		return nil, usageError{err}
	}
	f, sum, err := openForMerge(c.File, set)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opts := c.opts
	opts.Workers = g.workers()
	input, err := c.partInput(f, &opts)
	if err != nil {
		return nil, err
	}
	opts.Prepared = set.prep.Model
	j, err := prepareFit(f, c.File, "quant", input, &c.modelFlags, opts)
	if err != nil {
		return nil, err
	}
	defer j.close()
	m := set.merge(c.File, c.Step)
	extra := c.extraParams()
	for k, v := range set.params(m) {
		extra[k] = v
	}
	res, err := j.run(g, prog, sum, fitRun{step: c.Step, overwrite: c.Overwrite, extra: extra, merge: m, sums: set.sums})
	if err != nil {
		return nil, err
	}
	rep := &quantReport{res: res}
	if res.Summary != nil && len(res.Summary.Elements) == 1 {
		if rep.densities, err = elementStats(f, c.Step, res, c.Region); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// plotNames returns the names of the figures the quant step of plan will
// have (drawStep draws a figure per map stack and map, named after its
// dataset, the mean spectrum as spectrum.png and the shifts of the
// alignment it read as shifts.png; a 1x1 scan gets its spectrum only).
func plotNames(plan *quant.Plan, aligned bool) []string {
	if ny, nx := plan.Scan(); ny*nx <= 1 {
		return []string{"spectrum.png"}
	}
	var names []string
	for _, s := range plan.Streams() {
		switch s {
		case quant.StreamCRLB, quant.StreamCovariance, quant.StreamModel: // drawn as the errors, in the spectrum
			continue
		}
		names = append(names, s.String()+".png")
	}
	names = append(names, "spectrum.png")
	if aligned {
		names = append(names, "shifts.png")
	}
	return names
}

// checkPlots refuses a --plots directory that holds figures the step
// would overwrite, unless --overwrite-plots; it runs before anything is
// written.
func (c *quantCmd) checkPlots(plan *quant.Plan, aligned bool) error {
	if c.Plots == "" || c.OverwritePlots {
		return nil
	}
	var exist []string
	for _, name := range plotNames(plan, aligned) {
		if _, err := os.Stat(filepath.Join(c.Plots, name)); err == nil {
			exist = append(exist, name)
		}
	}
	switch len(exist) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("--plots %s: the figure %s exists there (use --overwrite-plots to replace it, or another directory)", c.Plots, exist[0])
	}
	return fmt.Errorf("--plots %s: %d figures exist there (%s) (use --overwrite-plots to replace them, or another directory)", c.Plots, len(exist), strings.Join(exist, ", "))
}

// elementStats returns the statistics of the elemental map of a
// one-element quant step (value and propagated uncertainty per pixel) over
// each region of its summary: the whole map, the user's regions and, for
// a simulated file, the regions of equal true composition, named as
// quant.Summary names them.
func elementStats(f *h5io.File, step string, res *quant.Result, regions []region) (map[string]quant.Stats, error) {
	base := h5io.EntryPath + "/" + step + "/" + quant.StreamElements.String() + "/"
	v, _, err := f.ReadStack(base + quant.StreamElements.String())
	if err != nil {
		return nil, err
	}
	sd, _, err := f.ReadStack(base + quant.StreamElementErrors.String())
	if err != nil {
		return nil, err
	}
	if v.Width != 1 || sd.Width != 1 || len(sd.Data) != len(v.Data) {
		return nil, fmt.Errorf("%s of %s: %d elemental maps and %d error maps, want one of each", base, f.Path(), v.Width, sd.Width)
	}
	ny, nx := v.NY, v.NX
	sets := map[string][]int{}
	all := make([]int, ny*nx)
	for i := range all {
		all[i] = i
	}
	sets["whole map"] = all
	for _, r := range regions {
		var pix []int
		for y := r.Region.Y0; y < r.Region.Y0+r.Region.NY; y++ {
			for x := r.Region.X0; x < r.Region.X0+r.Region.NX; x++ {
				pix = append(pix, y*nx+x)
			}
		}
		sets[r.Name] = pix
	}
	// The regions of equal truth, as quant.Summary names them ("truth C=1").
	edges := res.Plan.Edges()
	if tm := readTruth(f); tm != nil && tm.NY == ny && tm.NX == nx && tm.Width == len(edges) {
		for px := 0; px < ny*nx; px++ {
			var parts []string
			for i, x := range tm.Data[px*tm.Width : (px+1)*tm.Width] {
				if x != 0 {
					parts = append(parts, fmt.Sprintf("%s=%g", edges[i].Element, x))
				}
			}
			name := "truth " + strings.Join(parts, " ")
			sets[name] = append(sets[name], px)
		}
	}
	out := map[string]quant.Stats{}
	vals, errs := make([]float64, 0, ny*nx), make([]float64, 0, ny*nx)
	for _, r := range res.Summary.Regions {
		pix, ok := sets[r.Name]
		if !ok || len(pix) != r.Pixels {
			continue // not a region this command knows: printed without
		}
		vals, errs = vals[:0], errs[:0]
		for _, px := range pix {
			vals, errs = append(vals, v.Data[px]), append(errs, sd.Data[px])
		}
		out[r.Name] = quant.Summarize(vals, errs)
	}
	return out, nil
}

type demoCmd struct {
	Size    int    `default:"128" help:"Scan size N of the simulated seed scenario (N x N)."`
	Seed    uint64 `default:"1" help:"Random seed of the simulation."`
	Output  string `short:"o" default:"out" type:"path" help:"Directory for the processing file and the figures."`
	Method  string `default:"wls" enum:"wls,poisson,ols,nnls" help:"Fitter."`
	BgTerms int    `name:"background-terms" default:"6" help:"Power-law terms of the linear background (6: the simulator's shifted power law needs more than the reference's 4 to avoid a 3-8% ratio bias; see the README)."`
	gosFlags
}

func (c *demoCmd) Help() string {
	return `Simulates the seed scenario (4 elements, 128x128 scan; doc/algorithms.md 8), quantifies it
(fast alignment, linear background + C, N, O K and Fe L edges with low-loss convolution,
weighted fit, CRLB, composition), writes the figures and prints where everything went
and how well the truth was recovered.`
}

func (c *demoCmd) Run(g *Globals) error {
	if err := os.MkdirAll(c.Output, 0o755); err != nil {
		return fmt.Errorf("could not create %q: %w", c.Output, err)
	}
	file := filepath.Join(c.Output, "demo.nxs")
	figs := filepath.Join(c.Output, "figures")
	sim := &simulateCmd{Output: file, Size: c.Size, Seed: c.Seed, Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, TLambdaMax: 1,
		E0: 300e3, Alpha: 1e-9, Beta: 20e-3, Offset: 200, Dispersion: 0.5, Channels: 2048, ZLPFWHM: 1, PlasmonE: 22, PlasmonW: 5,
		PlasmonN: 5, Background: 1000, BgExponent: 3, CountsScale: 1, LowScale: 1e4, Shifts: "integer", ShiftSpread: 2.5,
		Overwrite: true, gosFlags: c.gosFlags}
	if err := sim.Run(g); err != nil {
		return err
	}
	q := &quantCmd{File: file, Align: "fast", Step: "quant", Plots: figs, OverwritePlots: true, Overwrite: true, checkpointFlag: checkpointFlag{time.Second},
		modelFlags: modelFlags{Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, BgTerms: strconv.Itoa(c.BgTerms), Method: c.Method, gosFlags: c.gosFlags}}
	prog := newProgress(g, "eelsh5 quant")
	rep, err := quantFile(g, prog, q)
	if err != nil {
		return err
	}
	printSummary(g.stdout, rep.res.Summary, rep.densities)
	prog.summary(rep.res.Spectra)
	fmt.Fprintf(g.stdout, "\nprocessing file: %s (browse it with 'eelsh5 view %s'; also opens in h5web, silx or HyperSpy)\nfigures:         %s\n", file, file, figs)
	return nil
}

// printSummary writes the summary as a table: per region the mean
// composition +- the propagated uncertainty with the pixel-to-pixel
// spread, or for a single element (densities given) its areal density or
// edge amplitude; a legend saying what the columns are, the reduced
// chi-square and, when the model does not describe the data, a warning
// line.
func printSummary(w io.Writer, s *quant.Summary, densities map[string]quant.Stats) {
	single := len(s.Elements) == 1 && densities != nil
	quantity := s.Units // of a single element
	if s.Units == "atoms/nm^2" {
		quantity = "areal density (atoms/nm^2)"
	}
	fmt.Fprintf(w, "%-32s %7s", "region", "pixels")
	for _, e := range s.Elements {
		if single {
			fmt.Fprintf(w, " %s", e+" "+quantity+" +- err (spread)")
			continue
		}
		fmt.Fprintf(w, " %25s", e+" at.% +- err (spread)")
	}
	fmt.Fprintln(w)
	for _, r := range s.Regions {
		fmt.Fprintf(w, "%-32s %7d", r.Name, r.Pixels)
		for _, e := range s.Elements {
			if single {
				st, ok := densities[r.Name]
				if !ok {
					fmt.Fprintf(w, " %10s", "-")
					continue
				}
				fmt.Fprintf(w, " %10.4g +- %-9.3g %s", st.Mean, st.MeanSD, spread(st, r.Pixels, "%.3g"))
				continue
			}
			st := r.Composition[e]
			fmt.Fprintf(w, " %8.2f +- %5.2f %s", st.Mean, st.MeanSD, spread(st, r.Pixels, "%5.2f"))
		}
		fmt.Fprintln(w)
	}
	how := "the fit's CRLB (Cramer-Rao lower bound) propagated through the full covariance"
	if s.Chi2 != nil && s.Chi2.ErrorsScaled {
		how += ", scaled by sqrt(reduced chi-square) where above 1 (--scale-errors)"
	}
	label := "at.%"
	if single {
		what := "areal density (atoms/nm^2, from the edge amplitude and the incident intensity of the low loss)"
		label = "areal density"
		if s.Units != "atoms/nm^2" {
			what, label = "edge amplitude (without a low loss there is no incident intensity for an areal density)", "edge amplitude"
		}
		fmt.Fprintf(w, "one element: its composition is 100 at.%% in every pixel; the table gives its %s\n", what)
	}
	fmt.Fprintf(w, "%s: mean over the region; +- err: 1-sigma uncertainty (rms over the region's pixels) from %s; (spread): standard deviation of the pixel values over the region (- for one pixel)\n", label, how)
	printChi2(w, s.Chi2)
	var ratios []string
	for _, r := range s.Regions {
		for k := range r.Ratios {
			ratios = append(ratios, k)
		}
		break
	}
	if len(s.Regions) > 1 {
		for _, r := range s.Regions[1:] {
			if r.Ratios != nil {
				for k := range r.Ratios {
					if !contains(ratios, k) {
						ratios = append(ratios, k)
					}
				}
			}
		}
	}
	if len(ratios) == 0 {
		return
	}
	sort.Strings(ratios)
	fmt.Fprintf(w, "\nrecovered edge-amplitude ratios against the simulation's truth: ratio of the region's mean amplitudes\n(its bias), mean and standard deviation of the per-pixel ratios, and the rms of their propagated uncertainties:\n")
	fmt.Fprintf(w, "%-32s %-8s %8s %10s %8s %10s %10s %10s\n", "region", "ratio", "truth", "ratio(mean)", "bias %", "mean", "std", "propagated")
	for _, r := range s.Regions {
		if r.Ratios == nil {
			continue
		}
		for _, k := range ratios {
			st, ok := r.Ratios[k]
			if !ok {
				continue
			}
			bias := "-"
			if st.Bias != nil {
				bias = fmt.Sprintf("%+.2f", *st.Bias)
			}
			if st.Truth == 0 {
				continue // absent element: its map is noise about zero
			}
			fmt.Fprintf(w, "%-32s %-8s %8.4g %10.4g %8s %10.4g %10.4g %10.4g\n", r.Name, k, st.Truth, st.RatioOfMean, bias, st.PerPixel.Mean, st.PerPixel.Std, st.PerPixel.MeanSD)
		}
	}
}

// spread formats the pixel-to-pixel standard deviation of a region in
// brackets, "-" for a region of one pixel, which has none.
func spread(st quant.Stats, pixels int, format string) string {
	if pixels < 2 {
		return fmt.Sprintf("(%*s)", len(fmt.Sprintf(format, 0.0)), "-")
	}
	return "(" + fmt.Sprintf(format, st.Std) + ")"
}

// printChi2 writes the reduced chi-square line of a fit or quant and,
// when the model does not describe the data, the warning with the flag
// that scales the uncertainties.
func printChi2(w io.Writer, c *quant.Chi2Summary) {
	if c == nil {
		return
	}
	fmt.Fprintf(w, "reduced chi-square: median %.4g, mean %.4g over %d pixels; %.1f%% of the pixels above %g\n", c.Median, c.Mean, c.Pixels, 100*c.Above, c.Limit)
	if msg := strings.Replace(c.Warning(), "(Options.ScaleErrors)", "(--scale-errors)", 1); msg != "" {
		fmt.Fprintln(w, msg)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
