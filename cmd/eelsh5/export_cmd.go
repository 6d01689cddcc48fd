package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/formats/msa"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

type exportCmd struct {
	File      string `arg:"" type:"path" help:"Processing file."`
	Step      string `arg:"" help:"Step to export from ('raw' for /entry)."`
	Output    string `short:"o" required:"" type:"path" help:"File to write."`
	Format    string `required:"" enum:"hspy,msa,csv" help:"hspy (a cube or spectrum for HyperSpy), msa (one spectrum) or csv (one spectrum, or a map stack as a table)."`
	Dataset   string `help:"Cube (coreloss, lowloss, model) or map stack (coefficients, elements, composition, crlb) of the step; default: coreloss, else model."`
	Pixel     *pixel `placeholder:"Y,X" help:"For msa/csv spectra: this pixel instead of the mean over the scan."`
	Overwrite bool   `help:"Replace the output if it exists."`
}

func (c *exportCmd) Help() string {
	return `Hands results back to other programs. --format hspy writes a cube (or a spectrum) of the
step as a HyperSpy 3.1 file with its axes, units and EELS metadata (beam energy keV,
angles mrad) that HyperSpy 1.7+ loads; msa writes one spectrum (the mean over the scan
or --pixel) as EMSA/MSA; csv writes that spectrum as energy_eV,counts, or a map stack as a
table y,x,<component>... The output appears only when complete.`
}

func (c *exportCmd) Run(g *Globals) error {
	prog := newProgress(g, "eelsh5 export")
	f, _, err := openProcessing(c.File, false)
	if err != nil {
		return err
	}
	defer f.Close()
	base := h5io.EntryPath
	if c.Step != "raw" {
		base += "/" + c.Step
		if !f.Exists(base) {
			return fmt.Errorf("%s has no step %s", c.File, base)
		}
	}
	ds := c.Dataset
	if ds == "" {
		ds = h5io.CoreLossName
		if !f.Exists(base + "/" + ds) {
			fs, err := f.OpenFitStep(base)
			if err != nil {
				return fmt.Errorf("%s: %s has no core loss; name a dataset with --dataset (%w)", c.File, base, err)
			}
			if !fs.Has(quant.StreamModel) {
				return fmt.Errorf("%s: the fit step %s has no model cube (written without it); name a dataset with --dataset", c.File, base)
			}
			ds = h5io.StreamGroup(quant.StreamModel)
		}
	}
	path := base + "/" + ds
	if !f.Exists(path) {
		return fmt.Errorf("%s has no %s", c.File, path)
	}
	if _, err := os.Stat(c.Output); err == nil && !c.Overwrite {
		return fmt.Errorf("output %q exists (use --overwrite to replace it)", c.Output)
	}
	tmp := filepath.Join(filepath.Dir(c.Output), "."+filepath.Base(c.Output)+".partial")
	os.Remove(tmp)
	defer os.Remove(tmp)
	signal, _ := f.AttrString(path, "signal")
	if signal != "" && signal != h5io.SignalData {
		// a map stack
		if c.Format != "csv" {
			return usageError{fmt.Errorf("%s is a map stack: export it with --format csv", path)}
		}
		if err := writeStackCSV(f, path+"/"+signal, tmp); err != nil {
			return err
		}
	} else {
		d, info, err := f.OpenCube(path)
		if err != nil {
			return err
		}
		defer d.Close()
		inst, _ := f.ReadInstrument()
		switch c.Format {
		case "hspy":
			if c.Pixel != nil {
				return usageError{fmt.Errorf("--pixel is for msa and csv spectra")}
			}
			if err := exportHyperSpy(g, prog, d, info, inst, c.File, ds, tmp); err != nil {
				return err
			}
		default:
			spec, label, err := c.spectrum(d, info)
			if err != nil {
				return err
			}
			err = writeFile(tmp, func(w io.Writer) (int64, error) {
				if c.Format == "msa" {
					return 0, msa.Write(w, info.Axis, spec, msa.Header{Title: label, Owner: "eelsh5 " + version, Time: g.now(),
						BeamEnergy: inst.BeamEnergy, Convergence: inst.Convergence, Collection: inst.Collection, Comment: "exported from " + c.File + " " + path})
				}
				bw := bufio.NewWriter(w)
				fmt.Fprintf(bw, "# %s of %s %s\n# energy_eV: channel start energy, eV; counts: counts per channel\nenergy_eV,counts\n", label, c.File, path)
				for i, v := range spec {
					fmt.Fprintf(bw, "%s,%s\n", strconv.FormatFloat(info.Axis.Energy(i), 'g', -1, 64), strconv.FormatFloat(v, 'g', -1, 64))
				}
				return 0, bw.Flush()
			})
			if err != nil {
				return err
			}
		}
	}
	if err := os.Rename(tmp, c.Output); err != nil {
		return fmt.Errorf("could not move %q to %q: %w", tmp, c.Output, err)
	}
	prog.message("eelsh5 export: wrote %s (%s of %s)", c.Output, path, c.File)
	return nil
}

// spectrum returns the chosen pixel's spectrum or the mean over the scan
// (streamed).
func (c *exportCmd) spectrum(d *h5io.Dataset, info h5io.CubeInfo) ([]float64, string, error) {
	n := info.Axis.Size
	if c.Pixel != nil {
		if err := c.Pixel.inside("--pixel", info.NY, info.NX); err != nil {
			return nil, "", err
		}
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

// writeStackCSV writes a map stack as rows y,x,<names...>.
func writeStackCSV(f *h5io.File, path, out string) error {
	a, names, err := f.ReadStack(path)
	if err != nil {
		return err
	}
	units, _ := f.AttrString(path, "units")
	return writeFile(out, func(w io.Writer) (int64, error) {
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "# %s; units: %s; y, x: pixel row and column\n", path, units)
		cols := append([]string{"y", "x"}, names...)
		for i, c := range cols {
			if strings.ContainsAny(c, ",\"") {
				cols[i] = strconv.Quote(c)
			}
		}
		fmt.Fprintln(bw, strings.Join(cols, ","))
		for y := 0; y < a.NY; y++ {
			for x := 0; x < a.NX; x++ {
				fmt.Fprintf(bw, "%d,%d", y, x)
				for _, v := range a.Pixel(y, x) {
					if math.IsNaN(v) {
						fmt.Fprint(bw, ",NaN")
					} else {
						fmt.Fprintf(bw, ",%s", strconv.FormatFloat(v, 'g', -1, 64))
					}
				}
				fmt.Fprintln(bw)
			}
		}
		return 0, bw.Flush()
	})
}
