package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/eelsh5/eelsh5/h5io"
)

type plotCmd struct {
	File      string `arg:"" type:"path" help:"Processing file."`
	Step      string `arg:"" optional:"" help:"Step to draw: a step of /entry, or raw for the imported or simulated cubes (default: /entry's default step, else raw)."`
	Output    string `short:"o" type:"path" help:"Directory to write the PNG files into (default: FILE_STEP_figures beside the file)."`
	Overwrite bool   `help:"Replace figures that exist in the output directory."`
}

func (c *plotCmd) Help() string {
	return `Draws whatever a step holds as PNG files: every map stack (coefficients, elements,
composition, their uncertainties) as a grid of maps on the scan's calibrated axes with a
colour bar each (viridis for non-negative quantities, a diverging map centred on 0 for
signed ones; colour limits at the 1st and 99th percentile, clipping stated on the bar);
status maps with a legend of their codes; the mean spectrum of a fit with its model and
each component inside the fit window, the excluded ranges shaded and the residuals; the
shift map with a histogram of the shifts; for the step raw (the imported or simulated
cubes) the summed-intensity map and mean spectrum of each cube. A single spectrum (1x1
scan) gets spectra, not maps. Existing figures are not replaced without --overwrite.
The figures are drawn -j at a time (default: all cores).`
}

func (c *plotCmd) Run(g *Globals) error {
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return err
	}
	defer f.Close()
	step := c.Step
	if step == "" {
		step = defaultStep(f)
	}
	if step != rawStep && (strings.ContainsAny(step, "/") || !f.Exists(h5io.EntryPath+"/"+step)) {
		return fmt.Errorf("%s has no step /entry/%s (it has: %s)", c.File, step, strings.Join(stepNames(f), ", "))
	}
	dir := c.Output
	if dir == "" {
		dir = strings.TrimSuffix(c.File, filepath.Ext(c.File)) + "_" + step + "_figures"
	}
	files, err := drawFigures(f, step, dir, c.Overwrite, g.workers())
	if errors.Is(err, errNothingToDraw) {
		return fmt.Errorf("step %s of %s has nothing to draw", step, c.File)
	}
	for _, p := range files {
		fmt.Fprintln(g.stdout, p)
	}
	return err
}
