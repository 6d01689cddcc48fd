package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/eelsh5/eelsh5/classic"
)

type thicknessCmd struct {
	File     string      `arg:"" type:"path" help:"Processing file with a low loss."`
	ZeroLoss string      `name:"zero-loss" default:"minimum" enum:"minimum,fit" help:"Zero-loss intensity: minimum (sum up to the first minimum after the peak) or fit (Gaussian fitted to the peak)."`
	MFP      string      `name:"mfp" default:"none" enum:"none,iakoubovskii,malis" help:"Inelastic mean free path for the absolute thickness: iakoubovskii (needs --density) or malis (needs --zeff or --composition)."`
	Density  float64     `placeholder:"G/CM3" help:"Specimen density in g/cm^3 (--mfp iakoubovskii)."`
	Zeff     float64     `placeholder:"Z" help:"Effective atomic number (--mfp malis)."`
	Compo    composition `name:"composition" placeholder:"EL:N,..." help:"Atomic fractions giving Zeff for --mfp malis, e.g. Sr:1,Ti:1,O:3."`
	E0       *float64    `name:"E0" placeholder:"VOLTS" help:"Acceleration voltage in volts (default: the file's metadata)."`
	Alpha    *float64    `placeholder:"RAD" help:"Convergence semi-angle in radians (default: the metadata)."`
	Beta     *float64    `placeholder:"RAD" help:"Collection semi-angle in radians (default: the metadata)."`
	Step     string      `default:"thickness" help:"Name of the step to write."`
	classicFlags
}

func (c *thicknessCmd) Help() string {
	return `Writes a thickness step: tlambda (t/lambda = ln(I_total/I_0) per pixel, the log-ratio
method), tlambda_error (Poisson: sqrt(I_inel/(I_0 I_total))), zero_loss (I_0, counts), a
status map and, with --mfp, thickness and thickness_error in nm from the inelastic mean free
path of Iakoubovskii et al. (2008, from the density) or Malis et al. (1988, from Zeff)
(doc/algorithms.md 12.1).`
}

func (c *thicknessCmd) Validate() error {
	if err := checkStep(c.Step); err != nil {
		return err
	}
	switch c.MFP {
	case "iakoubovskii":
		if !(c.Density > 0) {
			return fmt.Errorf("--mfp iakoubovskii needs --density (g/cm^3)")
		}
	case "malis":
		if (c.Zeff > 0) == (len(c.Compo) > 0) {
			return fmt.Errorf("--mfp malis needs one of --zeff and --composition")
		}
	}
	return nil
}

func (c *thicknessCmd) Run(g *Globals) error {
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.ThicknessOptions{ZeroLoss: classic.ZeroLossMethod(c.ZeroLoss), Density: c.Density, Zeff: c.Zeff}
	if c.MFP != "none" {
		opts.MeanFreePath = classic.MeanFreePath(c.MFP)
		if opts.E0, err = instrumentValue(c.E0, j.inst.BeamEnergy, "E0", "E0"); err != nil {
			return err
		}
		if err := checkE0(opts.E0); err != nil {
			return err
		}
		if opts.Beta, err = instrumentValue(c.Beta, j.inst.Collection, "beta", "beta"); err != nil {
			return err
		}
		if opts.Alpha, err = instrumentValue(c.Alpha, j.inst.Convergence, "alpha", "alpha"); err != nil {
			if c.MFP == "iakoubovskii" {
				return err
			}
		}
		if len(c.Compo) > 0 {
			var z []int
			var f []float64
			for _, e := range c.Compo {
				z, f = append(z, e.Z), append(f, e.Frac)
			}
			opts.Zeff = classic.EffectiveZ(z, f)
		}
	}
	if _, err := classic.ThicknessPlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("thickness", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Thickness(j.in, opts, dst, ro)
	}, func(res *classic.Result) string {
		m, ok := res.Summary["mean_tlambda"].(float64)
		if !ok {
			return fmt.Sprintf("no pixel has a usable zero loss (status counts %v)", res.Status)
		}
		line := fmt.Sprintf("mean t/lambda %.4f over %d of %d pixels", m, res.Status[classic.StatusOK], j.in.NY*j.in.NX)
		if t, ok := res.Summary["mean_thickness_nm"].(float64); ok {
			line += fmt.Sprintf("; mean thickness %.1f nm (lambda %.1f nm)", t, t/m)
		}
		return line
	})
	return err
}

type deconvolveCmd struct {
	File   string  `arg:"" type:"path" help:"Processing file with a low loss (and a core loss for fourier-ratio)."`
	Method string  `required:"" enum:"fourier-log,fourier-ratio" help:"fourier-log: the low loss's single-scattering distribution; fourier-ratio: the core loss without plural scattering."`
	FWHM   float64 `name:"fwhm" default:"1" placeholder:"EV" help:"FWHM in eV of the Gaussian modifier the result is convolved with (0: none, exact but noisy)."`
	Taper  float64 `default:"20" placeholder:"EV" help:"Length in eV of the raised-cosine bridges in the padding."`
	Step   string  `default:"deconvolve" help:"Name of the step to write."`
	classicFlags
}

func (c *deconvolveCmd) Help() string {
	return `Writes a deconvolution step (doc/algorithms.md 12.2): fourier-log turns each pixel's low loss
into its single-scattering distribution (cube ssd, on the low-loss axis); fourier-ratio divides
each pixel's core loss by its low loss (cube coreloss, which fit and quant read with
--input deconvolve --no-lowloss). Both also write tlambda and a status map. The FFTs run on
power-of-two lengths with raised-cosine bridges to zero at both ends of the spectra.`
}

func (c *deconvolveCmd) Validate() error {
	if err := checkStep(c.Step); err != nil {
		return err
	}
	if !(c.FWHM >= 0) || math.IsInf(c.FWHM, 0) {
		return fmt.Errorf("--fwhm %g: must be 0 or a positive number of eV", c.FWHM)
	}
	if !(c.Taper > 0) || math.IsInf(c.Taper, 0) {
		return fmt.Errorf("--taper %g: must be a positive number of eV", c.Taper)
	}
	return nil
}

func (c *deconvolveCmd) Run(g *Globals) error {
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.DeconvolveOptions{Method: classic.DeconvolveMethod(c.Method), FWHM: c.FWHM, Taper: c.Taper}
	j.method = c.Method
	if _, err := classic.DeconvolvePlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("deconvolve", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Deconvolve(j.in, opts, dst, ro)
	})
	return err
}

// edgeFlags select the edges of integrate and jumpratio.
type edgeFlags struct {
	Elements []string `required:"" help:"Elements, comma-separated (e.g. Ti,O)."`
	Edges    []string `required:"" help:"Edge of each element (K, L, M, ... or a subshell such as L3)."`
	Method   string   `default:"loglog" enum:"loglog,two-area" help:"Power-law background: loglog (weighted least squares of ln counts on ln E) or two-area."`
}

type integrateCmd struct {
	File        string       `arg:"" type:"path" help:"Processing file with a core loss (and a low loss for areal densities)."`
	Background  []edgeWindow `placeholder:"EL=LO:HI" help:"Background window of an element's edge in eV (default: ending 5 eV below the onset, 0.1 x onset wide within 20-50 eV, starting no lower than the end of the integration window of a lower edge)."`
	Integration []edgeWindow `placeholder:"EL=LO:HI" help:"Integration window Delta of an element's edge in eV (default: onset to onset + 50)."`
	Reference   string       `placeholder:"EL" help:"Element the ratios divide by (default: the first)."`
	E0          *float64     `name:"E0" placeholder:"VOLTS" help:"Acceleration voltage in volts (default: the file's metadata)."`
	Alpha       *float64     `placeholder:"RAD" help:"Convergence semi-angle in radians (default: the metadata)."`
	Beta        *float64     `placeholder:"RAD" help:"Collection semi-angle in radians (default: the metadata)."`
	Step        string       `default:"integrate" help:"Name of the step to write."`
	edgeFlags
	gosFlags
	classicFlags
}

func (c *integrateCmd) Help() string {
	return `The conventional quantification (doc/algorithms.md 12.3): per pixel and edge a power law
A E^-r fitted over the background window, extrapolated and subtracted, the net counts summed
over the integration window Delta (signal, with signal_error = sqrt(I_k + h I_b), Egerton's
estimate), the partial cross section sigma(beta, Delta) from the GOS source, and elements:
areal densities in atoms/nm^2 (I_k / (I_l(Delta) sigma), I_l the low loss up to Delta) when
there is a low loss, else I_k/sigma; ratios to the reference element with their errors.`
}

func (c *integrateCmd) Validate() error { return checkStep(c.Step) }

// edges returns the edges with their windows and the reference index.
func (c *integrateCmd) edges() ([]classic.EdgeWindows, int, error) {
	ws, err := edgeList(c.Elements, c.Edges, "--background", c.Background, "--integration", c.Integration)
	if err != nil {
		return nil, 0, usageError{err}
	}
	ref := 0
	if c.Reference != "" {
		ref = -1
		for k, w := range ws {
			if strings.EqualFold(w.Element, c.Reference) {
				ref = k
			}
		}
		if ref < 0 {
			return nil, 0, usageError{fmt.Errorf("--reference %s: not in --elements", c.Reference)}
		}
	}
	return ws, ref, nil
}

func (c *integrateCmd) Run(g *Globals) error {
	ws, ref, err := c.edges()
	if err != nil {
		return err
	}
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.IntegrateOptions{Edges: ws, Method: classic.BackgroundMethod(c.Method), Reference: ref}
	if opts.E0, err = instrumentValue(c.E0, j.inst.BeamEnergy, "E0", "E0"); err != nil {
		return err
	}
	if err := checkE0(opts.E0); err != nil {
		return err
	}
	if opts.Alpha, err = instrumentValue(c.Alpha, j.inst.Convergence, "alpha", "alpha"); err != nil {
		return err
	}
	if opts.Beta, err = instrumentValue(c.Beta, j.inst.Collection, "beta", "beta"); err != nil {
		return err
	}
	src, closeSrc, err := c.gosFlags.openSource()
	if err != nil {
		return err
	}
	defer closeSrc()
	opts.Source = src
	if _, err := classic.IntegratePlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("integrate", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.Integrate(j.in, opts, dst, ro)
	}, func(res *classic.Result) string {
		r, _ := res.Summary["ratio_of_means"].(map[string][2]float64)
		var parts []string
		for _, w := range ws {
			name := w.Element + " " + w.Edge + "/" + ws[ref].Element + " " + ws[ref].Edge
			if v, ok := r[name]; ok {
				parts = append(parts, fmt.Sprintf("%s = %.4f +- %.4f", name, v[0], v[1]))
			}
		}
		if len(parts) == 0 {
			return ""
		}
		if n, _ := res.Summary["pixels_ok"].(int); n == 1 {
			return "ratios: " + strings.Join(parts, ", ")
		}
		return fmt.Sprintf("ratios of the mean amounts over %v pixels: %s", res.Summary["pixels_ok"], strings.Join(parts, ", "))
	})
	return err
}

type jumpratioCmd struct {
	File string       `arg:"" type:"path" help:"Processing file with a core loss."`
	Pre  []edgeWindow `placeholder:"EL=LO:HI" help:"Pre-edge window of an element's edge in eV (default: onset - 25 to onset - 5, started no lower than the end of a lower edge's post-edge window)."`
	Post []edgeWindow `placeholder:"EL=LO:HI" help:"Post-edge window of an element's edge in eV (default: onset to onset + 20)."`
	Step string       `default:"jumpratio" help:"Name of the step to write."`
	edgeFlags
	classicFlags
}

func (c *jumpratioCmd) Help() string {
	return `Writes jump_ratio (post-edge over pre-edge counts per channel, per edge) and the edge
map signal (net counts over the post-edge window after a power-law background fitted over the
pre-edge window) with signal_error, background, exponent and status (doc/algorithms.md 12.4).`
}

func (c *jumpratioCmd) Validate() error { return checkStep(c.Step) }

func (c *jumpratioCmd) Run(g *Globals) error {
	ws, err := edgeList(c.Elements, c.Edges, "--pre", c.Pre, "--post", c.Post)
	if err != nil {
		return usageError{err}
	}
	j, err := openClassic(g, c.File, c.classicFlags)
	if err != nil {
		return err
	}
	defer j.close()
	opts := classic.JumpRatioOptions{Edges: ws, Method: classic.BackgroundMethod(c.Method)}
	if _, err := classic.JumpRatioPlan(j.in, opts); err != nil {
		return planError(err)
	}
	_, err = j.run("jumpratio", c.Step, c.Overwrite, map[string]any{}, func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error) {
		return classic.JumpRatio(j.in, opts, dst, ro)
	})
	return err
}
