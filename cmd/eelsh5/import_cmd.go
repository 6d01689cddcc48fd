package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/formats/dm"
	"github.com/eelsh5/eelsh5/formats/msa"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

type importCmd struct {
	Source    string  `arg:"" name:"SRC" type:"existingfile" help:"Core-loss data: Gatan DM3/DM4, EMSA/MSA, HyperSpy .hspy or pyEELSMODEL .hdf5 (told apart by content)."`
	Output    string  `short:"o" required:"" type:"path" help:"Processing file to create (.nxs)."`
	LowLoss   string  `name:"lowloss" type:"existingfile" help:"Low-loss data of the same scan."`
	Image     int     `default:"-1" help:"DM image index of the core loss (default: the EELS image)."`
	LowImage  int     `name:"lowloss-image" default:"-1" help:"DM image index of the low loss."`
	Signal    string  `help:"HyperSpy signal title of the core loss (default: the first EELS signal)."`
	LowSignal string  `name:"lowloss-signal" help:"HyperSpy signal title of the low loss."`
	Energy    *pair   `placeholder:"OFFSET:DISPERSION" help:"Energy calibration in eV for uncalibrated data."`
	E0        float64 `name:"E0" help:"Acceleration voltage in volts, when the file does not say (or to override it)."`
	Alpha     float64 `default:"-1" help:"Convergence semi-angle in radians (override)."`
	Beta      float64 `help:"Collection semi-angle in radians (override)."`
	Gzip      int     `default:"0" help:"Deflate level 0-9 for the cubes."`
	Float64   bool    `name:"float64" help:"Store float64 cubes (default float32)."`
	Overwrite bool    `help:"Replace OUT if it exists."`
}

func (c *importCmd) Help() string {
	return `Creates a processing file from instrument or exchange files: the core loss goes to
/entry/coreloss, the low loss (--lowloss) to /entry/lowloss, and an /entry/import step
records the sources (name, format, SHA-256) and their metadata as JSON. Beam energy and
angles are taken from the files' metadata (DM tags, MSA keywords, HyperSpy metadata);
--E0, --alpha and --beta fill in or override them. Spectrum images stream into chunks
without loading the source whole. 2-D images, image stacks and non-EELS signals are
refused with the reason.`
}

// openSignal opens any supported source file by content.
func openSignal(path string, image int, title string, energy *multispectrum.EnergyAxis) (*formats.Signal, func(), error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("could not open %q: %w", path, err)
	}
	st, _ := fh.Stat()
	kind := formats.Detect(fh)
	switch kind {
	case formats.DM3, formats.DM4:
		f, err := dm.Open(fh, st.Size())
		if err != nil {
			fh.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		s, err := f.Signal(dm.Options{Image: image, Energy: energy})
		if err != nil {
			fh.Close()
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return s, func() { fh.Close() }, nil
	case formats.MSA:
		defer fh.Close()
		sp, err := msa.Read(fh)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		s, err := sp.Signal()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		return s, func() {}, nil
	case formats.HDF5:
		fh.Close()
		return h5io.OpenSignal(path, h5io.SignalOptions{Title: title})
	}
	fh.Close()
	return nil, nil, fmt.Errorf("%s: not a recognised EELS file (DM3, DM4, EMSA/MSA, HyperSpy, pyEELSMODEL)", path)
}

func (c *importCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 import")
	if c.Gzip < 0 || c.Gzip > 9 {
		return usageError{fmt.Errorf("--gzip %d: must be 0..9", c.Gzip)}
	}
	var energy *multispectrum.EnergyAxis
	if c.Energy != nil {
		if !(c.Energy.B > 0) {
			return usageError{fmt.Errorf("--energy %s: want OFFSET:DISPERSION in eV, dispersion > 0", c.Energy)}
		}
		energy = &multispectrum.EnergyAxis{Offset: c.Energy.A, Dispersion: c.Energy.B}
	}
	core, closeCore, err := openSignal(c.Source, c.Image, c.Signal, energy)
	if err != nil {
		return err
	}
	defer closeCore()
	var low *formats.Signal
	if c.LowLoss != "" {
		var closeLow func()
		low, closeLow, err = openSignal(c.LowLoss, c.LowImage, c.LowSignal, energy)
		if err != nil {
			return err
		}
		defer closeLow()
		if low.NY != core.NY || low.NX != core.NX {
			return fmt.Errorf("the low loss %s is %dx%d but the core loss %s is %dx%d", c.LowLoss, low.NY, low.NX, c.Source, core.NY, core.NX)
		}
		if math.Abs(low.Axis.Dispersion-core.Axis.Dispersion) > 1e-6*core.Axis.Dispersion {
			prog.message("eelsh5 import: warning: the low loss has %s eV/channel, the core loss %s; low-loss convolution needs them equal", num(low.Axis.Dispersion), num(core.Axis.Dispersion))
		}
	}
	for _, s := range []*formats.Signal{core, low} {
		if s == nil {
			continue
		}
		for _, w := range s.Warnings {
			prog.message("eelsh5 import: warning: %s", w)
		}
	}
	inst := core.Instrument
	if c.E0 != 0 {
		inst.BeamEnergy = c.E0
	}
	if c.Alpha >= 0 {
		inst.Convergence = c.Alpha
	}
	if c.Beta != 0 {
		inst.Collection = c.Beta
	}
	if !math.IsNaN(inst.BeamEnergy) && !(inst.BeamEnergy >= 1e3 && inst.BeamEnergy <= 5e6) {
		return usageError{fmt.Errorf("beam energy %g V is outside 1 kV..5 MV (give --E0 in volts)", inst.BeamEnergy)}
	}
	var inputs []multispectrum.Input
	sums := map[string]string{}
	for _, p := range []string{c.Source, c.LowLoss} {
		if p == "" {
			continue
		}
		sum, err := h5io.FileSHA256(p)
		if err != nil {
			return err
		}
		sums[p] = sum
		inputs = append(inputs, multispectrum.Input{File: p, SHA256: sum})
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
	f := out.f
	title := core.Title
	if title == "" {
		title = filepath.Base(c.Source)
	}
	if err := f.InitProcessingFile(title, "eelsh5 "+version, inst, g.now()); err != nil {
		return err
	}
	dt := h5io.Float32
	if c.Float64 {
		dt = h5io.Float64
	}
	cd, err := f.CreateCube(h5io.CoreLossPath, h5io.CubeSpec{NY: core.NY, NX: core.NX, Axis: core.Axis, Scan: core.Scan, DType: dt, Gzip: c.Gzip})
	if err != nil {
		return err
	}
	defer cd.Close()
	cy, cx := cd.ScanChunk()
	w := h5io.Writer{cd}
	sources := []formats.RegionReader{core.Data}
	lay := multispectrum.Layout{In: nil, Out: []int{core.Axis.Size}}
	if low != nil {
		ld, err := f.CreateCube(h5io.LowLossPath, h5io.CubeSpec{NY: low.NY, NX: low.NX, Axis: low.Axis, Scan: low.Scan, DType: dt, Gzip: c.Gzip, Chunk: [2]int{cy, cx}})
		if err != nil {
			return err
		}
		defer ld.Close()
		w = append(w, ld)
		sources = append(sources, low.Data)
		lay.Out = append(lay.Out, low.Axis.Size)
	}
	params := map[string]any{"source_format": core.Format, "image": c.Image, "signal": c.Signal, "energy": c.Energy,
		"E0_V": nanNil(inst.BeamEnergy), "alpha_rad": nanNil(inst.Convergence), "beta_rad": nanNil(inst.Collection),
		"warnings": append(append([]string{}, core.Warnings...), lowWarnings(low)...)}
	if low != nil {
		params["lowloss_format"] = low.Format
	}
	step, err := f.BeginStep(h5io.StepImport, g.provenance("import", params, inputs...), false)
	if err != nil {
		return err
	}
	for _, kv := range [][2]string{{"source_file", c.Source}, {"source_format", core.Format}, {"source_sha256", sums[c.Source]}} {
		if err := f.WriteStringList(step.Path(kv[0]), []string{kv[1]}); err != nil {
			return err
		}
	}
	orig := map[string]any{"coreloss": core.Original}
	if low != nil {
		orig["lowloss"] = low.Original
		orig["lowloss_file"] = c.LowLoss
		orig["lowloss_sha256"] = sums[c.LowLoss]
	}
	if err := step.WriteJSON("original_metadata", orig); err != nil {
		return err
	}
	// Tiles of whole rows (chunk-row height): contiguous reads from
	// energy-slowest DM files, whole chunks written.
	tl := multispectrum.NewTiling(core.NY, core.NX, cy, core.NX)
	copyTile := func(_ struct{}, t *multispectrum.Tile) error { return nil }
	src := sourceReaders(sources)
	err = multispectrum.Process(g.ctx, src, w, tl, multispectrum.Layout{Out: lay.Out}, func() struct{} { return struct{}{} }, copyTile,
		multispectrum.Workers(1), multispectrum.Progress(prog.update))
	if err != nil {
		return err
	}
	cd.Close()
	if len(w) > 1 {
		w[1].Close()
	}
	if err := step.Commit(""); err != nil {
		return err
	}
	if err := f.SetDefault(h5io.EntryPath, h5io.CoreLossName); err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	ok = true
	desc := fmt.Sprintf("core loss %dx%d x %s (%s)", core.NY, core.NX, axisText(core.Axis), core.Format)
	if low != nil {
		desc += fmt.Sprintf("; low loss %s (%s)", axisText(low.Axis), low.Format)
	}
	prog.message("eelsh5 import: wrote %s: %s", c.Output, desc)
	prog.summary(core.NY * core.NX)
	return nil
}

func lowWarnings(s *formats.Signal) []string {
	if s == nil {
		return nil
	}
	return s.Warnings
}

func nanNil(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// sourceReaders reads the Out streams of a tile straight from the
// sources (import has nothing to compute: the readers fill the outputs in
// the I/O goroutine).
type sourceReaders []formats.RegionReader

func (s sourceReaders) ReadTile(t *multispectrum.Tile) error {
	for k, r := range s {
		if err := r.ReadRegion(t.Out[k], t.Region); err != nil {
			return err
		}
	}
	return nil
}
