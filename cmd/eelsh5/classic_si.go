package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/classic"
)

type cropCmd struct {
	File    string       `arg:"" type:"path" help:"Processing file."`
	Region  *scanRegion  `placeholder:"Y0:Y1,X0:X1" help:"Part of the scan to keep (rows Y0..Y1-1, columns X0..X1-1; default: all)."`
	Energy  *energyRange `placeholder:"LO:HI" help:"Energy range of the core loss to keep, eV (channels starting in [LO, HI))."`
	LowLoss *energyRange `name:"lowloss-energy" placeholder:"LO:HI" help:"Energy range of the low loss to keep, eV."`
	Step    string       `default:"crop" help:"Name of the step to write."`
	classicFlags
}

func (c *cropCmd) Help() string {
	return `Writes a step with the cropped lowloss and coreloss cubes, which align, fit and quant read
with --input crop (doc/algorithms.md 12.5). A scan region applies to both cubes; each cube
has its own energy range.`
}

func (c *cropCmd) Validate() error {
	if err := checkStep(c.Step); err != nil {
		return err
	}
	if c.Region == nil && c.Energy == nil && c.LowLoss == nil {
		return fmt.Errorf("give --region, --energy or --lowloss-energy")
	}
	return nil
}

func (c *cropCmd) Run(g *Globals) error {
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.CropOptions{Energy: map[string][2]float64{}}
	if c.Region != nil {
		opts.Region = &c.Region.Region
	}
	if c.Energy != nil {
		if j.in.Find(classic.CoreLoss) < 0 {
			return usageError{fmt.Errorf("--energy: %s has no core loss under %s", c.File, j.base)}
		}
		opts.Energy[classic.CoreLoss] = c.Energy.array()
	}
	if c.LowLoss != nil {
		if j.in.Find(classic.LowLoss) < 0 {
			return usageError{fmt.Errorf("--lowloss-energy: %s has no low loss under %s", c.File, j.base)}
		}
		opts.Energy[classic.LowLoss] = c.LowLoss.array()
	}
	if _, err := classic.CropPlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("crop", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Crop(j.in, opts, dst, ro)
	})
	return err
}

// binFactors is a flag N or FY,FX.
type binFactors [2]int

func (b *binFactors) UnmarshalText(t []byte) error {
	s := string(t)
	a, c, two := strings.Cut(s, ",")
	y, err1 := strconv.Atoi(strings.TrimSpace(a))
	x, err2 := y, error(nil)
	if two {
		x, err2 = strconv.Atoi(strings.TrimSpace(c))
	}
	if err1 != nil || err2 != nil || y < 1 || x < 1 {
		return fmt.Errorf("%q: want a factor N or FY,FX (whole numbers >= 1)", s)
	}
	*b = binFactors{y, x}
	return nil
}

type binCmd struct {
	File   string      `arg:"" type:"path" help:"Processing file."`
	Scan   *binFactors `placeholder:"N|FY,FX" help:"Scan pixels summed into one: N x N, or FY rows by FX columns (must divide the scan)."`
	Energy int         `default:"1" placeholder:"N" help:"Channels summed into one (must divide every cube's channel count)."`
	Step   string      `default:"bin" help:"Name of the step to write."`
	classicFlags
}

func (c *binCmd) Help() string {
	return `Writes a step with the binned lowloss and coreloss cubes: counts are summed, so binning
conserves them; a binned channel starts where its first channel starts (doc/algorithms.md 12.5).`
}

func (c *binCmd) Validate() error {
	if err := checkStep(c.Step); err != nil {
		return err
	}
	if c.Energy < 1 {
		return fmt.Errorf("--energy %d: want a whole number >= 1", c.Energy)
	}
	if c.Scan == nil && c.Energy == 1 {
		return fmt.Errorf("give --scan or --energy")
	}
	return nil
}

func (c *binCmd) Run(g *Globals) error {
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.BinOptions{Energy: c.Energy}
	if c.Scan != nil {
		opts.Scan = *c.Scan
	}
	if _, err := classic.BinPlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("bin", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Bin(j.in, opts, dst, ro)
	})
	return err
}

type sumCmd struct {
	File   string      `arg:"" type:"path" help:"Processing file."`
	Region *scanRegion `placeholder:"Y0:Y1,X0:X1" help:"Part of the scan to sum (default: all)."`
	Step   string      `default:"sum" help:"Name of the step to write."`
	classicFlags
}

func (c *sumCmd) Help() string {
	return `Writes a step with the summed lowloss and coreloss spectra as a 1x1 scan, which every
command reads as a single spectrum (doc/algorithms.md 12.5).`
}

func (c *sumCmd) Validate() error { return checkStep(c.Step) }

func (c *sumCmd) Run(g *Globals) error {
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	var opts classic.SumOptions
	if c.Region != nil {
		opts.Region = &c.Region.Region
	}
	if _, err := classic.SumPlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("sum", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Sum(j.in, opts, dst, ro)
	})
	return err
}

type calibrateCmd struct {
	File       string   `arg:"" type:"path" help:"Processing file."`
	Offset     *float64 `placeholder:"EV" help:"Set the energy of the first channel, eV."`
	Dispersion *float64 `placeholder:"EV" help:"Set the channel width, eV/channel."`
	ZeroLoss   bool     `name:"zero-loss" help:"Shift the axes so that the zero-loss peak of the summed low loss lies at 0 eV."`
	Edge       string   `placeholder:"EL:EDGE" help:"Shift the axes so that this edge's onset in the summed core loss (e.g. Ti:L3, C:K) lands on its tabulated energy."`
	Onset      *float64 `placeholder:"EV" help:"The edge's onset as it appears on the current axis, eV (default: measured, the steepest rise within --search of the tabulated onset)."`
	Search     float64  `default:"10" placeholder:"EV" help:"Half-width in eV of the onset search."`
	Cubes      []string `default:"lowloss,coreloss" help:"Cubes whose axes change (a shift measured on the low loss applies to the core loss only when both are named: right for dual EELS)."`
	Step       string   `default:"calibrate" help:"Name of the step to write."`
	classicFlags
}

func (c *calibrateCmd) Help() string {
	return `Writes a step with the cubes on calibrated energy axes (the data unchanged): set by hand
(--offset, --dispersion), or shifted so that the zero loss lies at 0 eV (--zero-loss) or an
edge onset lands on its energy in the element table (--edge), the shift recorded in the
step's summary (doc/algorithms.md 12.5).`
}

func (c *calibrateCmd) Validate() error {
	if err := checkStep(c.Step); err != nil {
		return err
	}
	modes := 0
	for _, b := range []bool{c.Offset != nil || c.Dispersion != nil, c.ZeroLoss, c.Edge != ""} {
		if b {
			modes++
		}
	}
	if modes != 1 {
		return fmt.Errorf("give one of --offset/--dispersion, --zero-loss and --edge")
	}
	if c.Onset != nil && c.Edge == "" {
		return fmt.Errorf("--onset needs --edge")
	}
	if !(c.Search > 0) || math.IsInf(c.Search, 0) {
		return fmt.Errorf("--search %g: must be a positive number of eV", c.Search)
	}
	for _, v := range []*float64{c.Offset, c.Dispersion, c.Onset} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return fmt.Errorf("calibration values must be finite numbers of eV")
		}
	}
	return nil
}

func (c *calibrateCmd) Run(g *Globals) error {
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.CalibrateOptions{ZeroLoss: c.ZeroLoss, Cubes: trimList(c.Cubes), Offset: math.NaN(), Dispersion: math.NaN()}
	if c.Offset != nil || c.Dispersion != nil {
		opts.Set = true
		if c.Offset != nil {
			opts.Offset = *c.Offset
		}
		if c.Dispersion != nil {
			opts.Dispersion = *c.Dispersion
		}
	}
	if c.Edge != "" {
		el, ed, ok := strings.Cut(c.Edge, ":")
		if !ok || el == "" || ed == "" {
			return usageError{fmt.Errorf("--edge %q: want ELEMENT:EDGE, e.g. Ti:L3", c.Edge)}
		}
		opts.Edge = &classic.EdgeRef{Element: el, Edge: ed, Search: c.Search, Measured: math.NaN()}
		if c.Onset != nil {
			opts.Edge.Measured = *c.Onset
		}
	}
	// Only cubes the input has are named.
	var cubes []string
	for _, name := range opts.Cubes {
		if j.in.Find(name) >= 0 {
			cubes = append(cubes, name)
		} else if name != classic.LowLoss && name != classic.CoreLoss {
			return usageError{fmt.Errorf("--cubes %s: want lowloss and/or coreloss", name)}
		}
	}
	opts.Cubes = cubes
	if len(cubes) == 0 {
		return usageError{fmt.Errorf("--cubes %s: %s has none of them under %s", strings.Join(c.Cubes, ","), c.File, j.base)}
	}
	if err := classic.CheckCalibrate(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("calibrate", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Calibrate(j.in, opts, dst, ro)
	}, func(res *classic.Result) string {
		line := fmt.Sprintf("axes of %s shifted by %s eV", strings.Join(cubes, ", "), num(res.Summary["shift_eV"].(float64)))
		if m, ok := res.Summary["measured_onset_eV"].(float64); ok {
			line += fmt.Sprintf(" (%s onset measured at %s eV, tabulated %s eV)", res.Summary["edge"], num(m), num(res.Summary["tabulated_onset_eV"].(float64)))
		}
		if z, ok := res.Summary["zero_loss_eV"].(float64); ok {
			line += fmt.Sprintf(" (zero loss measured at %s eV)", num(z))
		}
		return line
	})
	return err
}
