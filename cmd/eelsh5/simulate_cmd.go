package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

type simulateCmd struct {
	Output string `arg:"" name:"OUT" type:"path" help:"Processing file to create (.nxs)."`

	Size        int       `default:"128" help:"Scan size N (N x N pixels); the seed regions scale with it."`
	Seed        uint64    `default:"1" help:"Random seed; the same seed gives the same file contents."`
	Elements    []string  `default:"C,N,O,Fe" help:"Elements, comma separated."`
	Edges       []string  `default:"K,K,K,L" help:"Edge of each element, comma separated."`
	Maps        string    `placeholder:"FILE:DATASET" help:"Abundance maps (n_elements, ny, nx) from an HDF5 dataset; sets the scan size. Default: the seed maps."`
	TLambda     string    `name:"tlambda" placeholder:"FILE:DATASET" help:"Thickness t/lambda map (ny, nx) from an HDF5 dataset. Default: sum of Z times abundance."`
	TLambdaMax  float64   `name:"tlambda-max" default:"1" help:"Maximum of the default t/lambda map."`
	Onsets      []float64 `help:"Onset shift of each edge in eV, comma separated (default 0)."`
	E0          float64   `name:"E0" default:"300e3" help:"Acceleration voltage in volts."`
	Alpha       float64   `default:"1e-9" help:"Convergence semi-angle in radians."`
	Beta        float64   `default:"20e-3" help:"Collection semi-angle in radians."`
	Offset      float64   `default:"200" help:"Core-loss energy of channel 0 in eV (before shifts)."`
	Dispersion  float64   `default:"0.5" help:"Dispersion in eV per channel."`
	Channels    int       `default:"2048" help:"Channels per spectrum (before cropping for shifts)."`
	ZLPFWHM     float64   `name:"zlp-fwhm" default:"1" help:"Zero-loss FWHM in eV."`
	PlasmonE    float64   `name:"plasmon-energy" default:"22" help:"Bulk plasmon energy in eV."`
	PlasmonW    float64   `name:"plasmon-width" default:"5" help:"Plasmon width in eV."`
	PlasmonN    int       `name:"plasmon-orders" default:"5" help:"Plural-scattering orders."`
	Background  float64   `default:"1000" help:"Background counts at the first core-loss channel."`
	BgExponent  float64   `name:"background-exponent" default:"3" help:"Background power-law exponent r (A E^-r)."`
	CountsScale float64   `name:"counts-scale" default:"1" help:"Multiplies the expected counts before Poisson sampling (dose)."`
	NoPoisson   bool      `name:"no-poisson" help:"Store the noise-free core loss (no Poisson noise)."`
	LowScale    float64   `name:"lowloss-scale" default:"1e4" help:"Scale of the low loss (zero-loss peak height)."`
	LowNoise    bool      `name:"lowloss-noise" help:"Add Poisson noise to the low loss too."`
	Shifts      string    `default:"integer" enum:"none,integer,subchannel,reference" help:"Per-pixel energy shifts: none, integer (whole channels), subchannel, or reference (the reference's sinusoid)."`
	ShiftSpread float64   `name:"shift-spread" default:"2.5" help:"Largest shift in eV (integer and subchannel modes)."`
	Expected    bool      `help:"Also store the noise-free core loss in the truth group."`
	Gzip        int       `default:"0" help:"Deflate level 0-9 for the cubes (0: none)."`
	Float64     bool      `name:"float64" help:"Store cubes as float64 (default float32)."`
	Overwrite   bool      `help:"Replace OUT if it exists."`
	gosFlags
}

func (c *simulateCmd) Help() string {
	return `Simulates a core-loss and a low-loss spectrum image with known truth, the reference
simulator of doc/algorithms.md section 8. The defaults are the seed scenario: a 128x128 scan of
C, N, O (K edges) and Fe (L edge) with the regions of the seed notebook, t/lambda from the
composition, 300 kV, beta 20 mrad, 2048 channels of 0.5 eV from 200 eV, zero loss FWHM 1 eV,
22 eV plasmons, an E^-3 background, Poisson noise and per-pixel shifts of up to 5 channels.

OUT gets /entry/coreloss and /entry/lowloss (NXdata) and an /entry/simulate step whose
truth group holds the abundance maps, t/lambda, the true shifts (eV) and, with --expected,
the noise-free core loss. The file appears only when complete.`
}

func (c *simulateCmd) scenario() (*simulate.Scenario, []multispectrum.Input, error) {
	if c.Size < 1 || c.Size > 8192 {
		return nil, nil, usageError{fmt.Errorf("--size %d: must be 1..8192", c.Size)}
	}
	if c.Gzip < 0 || c.Gzip > 9 {
		return nil, nil, usageError{fmt.Errorf("--gzip %d: must be 0..9", c.Gzip)}
	}
	sc := simulate.SeedScenario(c.Size)
	sc.Elements, sc.Edges = trimList(c.Elements), trimList(c.Edges)
	if len(sc.Elements) != len(sc.Edges) || len(sc.Elements) == 0 {
		return nil, nil, usageError{fmt.Errorf("--elements has %d entries but --edges %d", len(sc.Elements), len(sc.Edges))}
	}
	zs := make([]float64, len(sc.Elements))
	for i, el := range sc.Elements {
		z, err := gos.AtomicNumber(el)
		if err != nil {
			return nil, nil, usageError{err}
		}
		zs[i] = float64(z)
	}
	var inputs []multispectrum.Input
	seedSet := strings.EqualFold(strings.Join(sc.Elements, ","), "C,N,O,Fe")
	switch {
	case c.Maps != "":
		a, in, err := readInputArray(c.Maps, true)
		if err != nil {
			return nil, nil, err
		}
		if a.Width != len(sc.Elements) {
			return nil, nil, fmt.Errorf("--maps %s has %d maps for %d elements", c.Maps, a.Width, len(sc.Elements))
		}
		sc.NY, sc.NX, sc.Maps = a.NY, a.NX, a
		sc.TLambda = multispectrum.NewArray(a.NY, a.NX, 1)
		simulate.NormalizeThickness(sc.Maps, sc.TLambda, zs)
		inputs = append(inputs, in)
	case !seedSet:
		return nil, nil, usageError{fmt.Errorf("--elements other than the seed set C,N,O,Fe need --maps FILE:DATASET")}
	}
	if c.TLambda != "" {
		a, in, err := readInputArray(c.TLambda, false)
		if err != nil {
			return nil, nil, err
		}
		if a.NY != sc.NY || a.NX != sc.NX {
			return nil, nil, fmt.Errorf("--tlambda %s is %dx%d, the scan is %dx%d", c.TLambda, a.NY, a.NX, sc.NY, sc.NX)
		}
		sc.TLambda = a
		inputs = append(inputs, in)
	} else if c.TLambdaMax != 1 {
		if !(c.TLambdaMax >= 0) {
			return nil, nil, usageError{fmt.Errorf("--tlambda-max %g: must be >= 0", c.TLambdaMax)}
		}
		for i := range sc.TLambda.Data {
			sc.TLambda.Data[i] *= c.TLambdaMax
		}
	}
	sc.Onsets = c.Onsets
	sc.E0, sc.Alpha, sc.Beta = c.E0, c.Alpha, c.Beta
	sc.Axis = multispectrum.EnergyAxis{Offset: c.Offset, Dispersion: c.Dispersion, Size: c.Channels}
	sc.ZeroLossFWHM, sc.PlasmonEnergy, sc.PlasmonWidth, sc.PlasmonOrders = c.ZLPFWHM, c.PlasmonE, c.PlasmonW, c.PlasmonN
	sc.BackgroundA, sc.BackgroundR = c.Background, c.BgExponent
	sc.Noise, sc.AddPoisson = c.CountsScale, !c.NoPoisson
	sc.LowLossScale, sc.LowLossNoise = c.LowScale, c.LowNoise
	sc.Shifts, sc.ShiftSpread = simulate.ShiftMode(c.Shifts), c.ShiftSpread
	sc.Seed, sc.KeepExpected = c.Seed, c.Expected
	for _, v := range []float64{c.E0, c.Alpha, c.Beta, c.Offset, c.Dispersion, c.ZLPFWHM, c.PlasmonE, c.PlasmonW, c.Background, c.BgExponent, c.CountsScale, c.LowScale, c.ShiftSpread} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, usageError{fmt.Errorf("numeric options must be finite numbers")}
		}
	}
	return sc, inputs, nil
}

// readInputArray reads FILE:DATASET as a stack (n, ny, nx) or a map (ny, nx).
func readInputArray(ref string, stack bool) (*multispectrum.Array, multispectrum.Input, error) {
	file, ds, err := splitDatasetRef(ref)
	if err != nil {
		return nil, multispectrum.Input{}, err
	}
	f, err := h5io.Open(file)
	if err != nil {
		return nil, multispectrum.Input{}, err
	}
	defer f.Close()
	var a *multispectrum.Array
	if stack {
		a, _, err = f.ReadStack(ds)
	} else {
		a, err = f.ReadMap(ds)
	}
	if err != nil {
		return nil, multispectrum.Input{}, err
	}
	sum, _ := h5io.FileSHA256(file)
	return a, multispectrum.Input{File: file, SHA256: sum, Datasets: []string{ds}}, nil
}

func (c *simulateCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 simulate")
	sc, inputs, err := c.scenario()
	if err != nil {
		return err
	}
	src, closeSrc, err := c.openSource()
	if err != nil {
		return err
	}
	defer closeSrc()
	sc.Source = src
	sim, err := simulate.New(sc)
	if err != nil {
		return err
	}
	out, err := createOutput(c.Output, c.Overwrite)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			out.abort()
		}
	}()
	if err := writeSimulation(g, out.f, sc, sim, c, inputs, prog); err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	ok = true
	g.committed = append(g.committed, "file "+c.Output)
	prog.message("eelsh5 simulate: wrote %s (%dx%d scan, core loss %s, low loss %s)", c.Output, sc.NY, sc.NX, axisText(sim.CoreAxis()), axisText(sim.LowAxis()))
	prog.summary(sc.NY * sc.NX)
	return nil
}

func writeSimulation(g *Globals, f *h5io.File, sc *simulate.Scenario, sim *simulate.Simulator, c *simulateCmd, inputs []multispectrum.Input, prog *progress) error {
	inst := multispectrum.UnknownInstrument()
	inst.BeamEnergy, inst.Convergence, inst.Collection = sc.E0, sc.Alpha, sc.Beta
	inst.Microscope = "eelsh5 simulation"
	title := fmt.Sprintf("eelsh5 simulation: %s (%s edges), %dx%d scan, seed %d", strings.Join(sc.Elements, ", "), strings.Join(sc.Edges, ", "), sc.NY, sc.NX, sc.Seed)
	if err := f.InitProcessingFile(title, "eelsh5 "+version, inst, g.now()); err != nil {
		return err
	}
	dt := h5io.Float32
	if c.Float64 {
		dt = h5io.Float64
	}
	core, err := f.CreateCube(h5io.CoreLossPath, h5io.CubeSpec{NY: sc.NY, NX: sc.NX, Axis: sim.CoreAxis(), DType: dt, Gzip: c.Gzip})
	if err != nil {
		return err
	}
	defer core.Close()
	cy, cx := core.ScanChunk()
	low, err := f.CreateCube(h5io.LowLossPath, h5io.CubeSpec{NY: sc.NY, NX: sc.NX, Axis: sim.LowAxis(), DType: dt, Gzip: c.Gzip, Chunk: [2]int{cy, cx}})
	if err != nil {
		return err
	}
	defer low.Close()
	params := sc.Params()
	step, err := f.BeginStep(h5io.StepSimulate, g.provenance("simulate", params, inputs...), false)
	if err != nil {
		return err
	}
	truth := step.Path("truth")
	if err := f.SetNXClass(truth, "NXcollection"); err != nil {
		return err
	}
	if err := f.WriteStackArray(truth+"/maps", sc.Maps, "edge amplitude A (doc/algorithms.md 3.11)"); err != nil {
		return err
	}
	if err := f.WriteStringList(truth+"/element_names", sc.Elements); err != nil {
		return err
	}
	if err := f.WriteStringList(truth+"/edge_names", sc.Edges); err != nil {
		return err
	}
	if err := f.WriteFloats(truth+"/tlambda", []int{sc.NY, sc.NX}, sc.TLambda.Data, "t/lambda"); err != nil {
		return err
	}
	if err := f.WriteFloats(truth+"/shift", []int{sc.NY, sc.NX}, sim.Shifts(), "eV"); err != nil {
		return err
	}
	w := h5io.Writer{core, low}
	if sc.KeepExpected {
		exp, err := f.CreateArray(truth+"/expected", sc.NY, sc.NX, sim.CoreAxis().Size, h5io.Float64, [2]int{cy, cx}, c.Gzip)
		if err != nil {
			return err
		}
		defer exp.Close()
		w = append(w, exp)
	}
	tl := multispectrum.NewTiling(sc.NY, sc.NX, cy, cx)
	err = multispectrum.Process(g.ctx, multispectrum.NoSource{}, w, tl, sim.Layout(), sim.NewWorkspace, sim.Tile,
		multispectrum.Workers(g.workers()), multispectrum.Progress(prog.update))
	if err != nil {
		step.Abort()
		return err
	}
	if err := step.Commit(""); err != nil {
		return err
	}
	return f.SetDefault(h5io.EntryPath, h5io.CoreLossName)
}
