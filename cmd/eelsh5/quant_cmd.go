package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

type quantCmd struct {
	File    string   `arg:"" type:"path" help:"Processing file with /entry/coreloss (and /entry/lowloss)."`
	Align   string   `default:"fast" enum:"fast,fit,xcorr,none" help:"Alignment method before fitting (none: fit the raw cubes)."`
	Realign bool     `help:"Align again even if /entry/alignment exists (replacing it)."`
	Step    string   `default:"quant" help:"Name of the step to write."`
	Region  []string `sep:"none" placeholder:"NAME=Y0:Y1,X0:X1" help:"Region of the scan to summarise (rows Y0..Y1-1, columns X0..X1-1); repeatable."`
	Plots   string   `type:"path" help:"Directory to write the figures into."`
	NoModel bool     `name:"no-model-cube" help:"Do not write the fitted model cube."`
	Resume  bool     `help:"Continue an interrupted run of this step (same options) from its last checkpoint."`
	checkpointFlag
	Overwrite bool `help:"Replace an existing step of the same name (only once the new one is complete)."`
	modelFlags
}

func (c *quantCmd) Help() string {
	return `Elemental quantification: aligns the spectra on the zero loss (fast by default), fits a
linear background (--background-terms, default 4) plus the edges of --elements/--edges
convolved with each pixel's low loss, and writes a quant step (FORMATS.md 3.4) with the
fit outputs, elemental maps (areal density in atoms/nm^2 when a low loss gives the
incident intensity, else edge amplitudes), relative composition maps (at.%) with
uncertainties propagated from the full covariance, and a summary (mean composition +-
error over the map, user regions and, for simulated files, the regions of equal true
composition) printed as a table and stored as JSON. E0, alpha and beta come from the
file's instrument metadata unless given. Fit window: 100 eV below the lowest onset to
500 eV above the highest, within the axis (--window overrides).`
}

func parseRegion(s string) (namedRegion, error) {
	name, spec, ok := strings.Cut(s, "=")
	ys, xs, ok2 := strings.Cut(spec, ",")
	bad := usageError{fmt.Errorf("--region %q: want NAME=Y0:Y1,X0:X1", s)}
	if !ok || !ok2 || name == "" {
		return namedRegion{}, bad
	}
	parse := func(r string) (int, int, bool) {
		a, b, ok := strings.Cut(r, ":")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		return lo, hi, ok && err1 == nil && err2 == nil && lo >= 0 && hi > lo
	}
	y0, y1, ok3 := parse(ys)
	x0, x1, ok4 := parse(xs)
	if !ok3 || !ok4 {
		return namedRegion{}, bad
	}
	return namedRegion{Name: name, Region: multispectrum.Region{Y0: y0, X0: x0, NY: y1 - y0, NX: x1 - x0}}, nil
}

func (c *quantCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 quant")
	res, err := quantFile(g, prog, c)
	if err != nil {
		return err
	}
	printSummary(g.stdout, res.summary)
	prog.summary(res.spectra)
	return nil
}

// quantFile runs alignment (when asked and needed), the fit with
// elemental maps, and the figures.
func quantFile(g *Globals, prog *progress, c *quantCmd) (*fitResult, error) {
	var regions []namedRegion
	for _, r := range c.Region {
		nr, err := parseRegion(r)
		if err != nil {
			return nil, err
		}
		regions = append(regions, nr)
	}
	if c.Model == "" && c.Elements == "" {
		return nil, usageError{fmt.Errorf("give --elements and --edges (or --model)")}
	}
	f, sum, err := openProcessing(c.File, true)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	input := ""
	haveAlign := f.Exists(h5io.EntryPath + "/" + h5io.StepAlignment)
	switch {
	case c.Align == "none":
		input = "raw"
	case !f.Exists(h5io.LowLossPath):
		prog.message("eelsh5 quant: no low loss: fitting the core loss without alignment or plural-scattering convolution")
		input = "raw"
		c.NoLowLoss = true
	case haveAlign && !c.Realign:
		prog.message("eelsh5 quant: using the existing /entry/alignment (--realign to redo it)")
	default:
		a := &alignCmd{Method: c.Align, Peak: "gaussian", On: "lowloss", Window: 3, Reference: "0,0", Step: h5io.StepAlignment, Overwrite: c.Realign}
		if _, err := alignFile(g, prog, f, c.File, sum, a); err != nil {
			return nil, err
		}
	}
	res, err := fitFile(g, prog, f, c.File, sum, fitConfig{command: "quant", input: input, step: c.Step, overwrite: c.Overwrite,
		noModel: c.NoModel, flags: &c.modelFlags, quant: true, regions: regions, resume: c.Resume, every: c.CheckpointEvery,
		extra: map[string]any{"align": c.Align, "regions": c.Region}})
	if err != nil {
		return nil, err
	}
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
	return res, nil
}

type plotCmd struct {
	File   string `arg:"" type:"path" help:"Processing file."`
	Step   string `arg:"" optional:"" help:"Step to draw (default: /entry's default step)."`
	Output string `short:"o" default:"." type:"path" help:"Directory to write the PNG files into."`
}

func (c *plotCmd) Help() string {
	return `Draws the figures of a step as PNG files: maps of every map stack (coefficients,
elements, composition, their errors, status, chi-square) with colour bars, titles and
units; the mean spectrum with the fitted model and each component; the shift map and its
histogram for an alignment step.`
}

func (c *plotCmd) Run(g *Globals) error {
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return err
	}
	defer f.Close()
	step := c.Step
	if step == "" {
		d, ok := f.AttrString(h5io.EntryPath, "default")
		if !ok || !f.Exists(h5io.EntryPath+"/"+d) {
			return fmt.Errorf("%s has no default step: name one", c.File)
		}
		step = d
	}
	if !f.Exists(h5io.EntryPath + "/" + step) {
		return fmt.Errorf("%s has no step /entry/%s", c.File, step)
	}
	if err := os.MkdirAll(c.Output, 0o755); err != nil {
		return fmt.Errorf("could not create %q: %w", c.Output, err)
	}
	files, err := drawStep(f, step, c.Output)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("step /entry/%s of %s has nothing to draw", step, c.File)
	}
	for _, p := range files {
		fmt.Fprintln(g.stdout, p)
	}
	return nil
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
	return `Simulates the seed scenario (4 elements, 128x128 scan; ALGORITHMS.md 8), quantifies it
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
	sim := &simulateCmd{Output: file, Size: c.Size, Seed: c.Seed, Elements: "C,N,O,Fe", Edges: "K,K,K,L", TLambdaMax: 1,
		E0: 300e3, Alpha: 1e-9, Beta: 20e-3, Offset: 200, Dispersion: 0.5, Channels: 2048, ZLPFWHM: 1, PlasmonE: 22, PlasmonW: 5,
		PlasmonN: 5, Background: 1000, BgExponent: 3, CountsScale: 1, LowScale: 1e4, Shifts: "integer", ShiftSpread: 2.5,
		Overwrite: true, gosFlags: c.gosFlags}
	if err := sim.Run(g); err != nil {
		return err
	}
	q := &quantCmd{File: file, Align: "fast", Step: "quant", Plots: figs, Overwrite: true, checkpointFlag: checkpointFlag{time.Second},
		modelFlags: modelFlags{Elements: "C,N,O,Fe", Edges: "K,K,K,L", BgTerms: c.BgTerms, Alpha: -1, Method: c.Method, gosFlags: c.gosFlags}}
	prog := newProgress(g, "eelsh5 quant")
	res, err := quantFile(g, prog, q)
	if err != nil {
		return err
	}
	printSummary(g.stdout, res.summary)
	prog.summary(res.spectra)
	fmt.Fprintf(g.stdout, "\nprocessing file: %s (browse it with 'eelsh5 view %s'; also opens in h5web, silx or HyperSpy)\nfigures:         %s\n", file, file, figs)
	return nil
}
