package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/classic"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// classicFlags are the flags every classic command shares.
type classicFlags struct {
	Input     string `placeholder:"STEP" help:"Step whose cubes to read: raw for /entry's (default: the alignment step when the file has one, else raw)."`
	Overwrite bool   `help:"Replace an existing step of the same name (only once the new one is complete)."`
}

// checkStep validates a --step name.
func checkStep(step string) error {
	if step == "" || strings.ContainsAny(step, "/.") {
		return fmt.Errorf("--step %q: want a plain name", step)
	}
	return nil
}

// classicJob is a classic operation on a processing file: the file and
// the input cubes opened, nothing written yet.
type classicJob struct {
	g     *Globals
	file  string
	f     *h5io.File
	sum   string
	in    classic.Input
	ds    []*h5io.Dataset
	paths []string
	scan  multispectrum.ScanCalibration
	inst  multispectrum.Instrument
	base  string
	// method is the deconvolution's, which decides the cubes it reads.
	method string
}

// openClassic opens file for writing and the cubes of the input step.
func openClassic(g *Globals, file string, fl classicFlags) (*classicJob, error) {
	f, sum, err := openProcessing(file, true)
	if err != nil {
		return nil, err
	}
	input := fl.Input
	if input == "" {
		input = "raw"
		if f.Exists(h5io.EntryPath + "/" + h5io.StepAlignment + "/" + h5io.CoreLossName) {
			input = h5io.StepAlignment
		}
	}
	in, ds, paths, scan, err := f.ClassicInput(input)
	if err != nil {
		if ns := (*h5io.NoStepError)(nil); errors.As(err, &ns) {
			err = usageError{noStepError(f, file, input, ns)}
		}
		f.Close()
		return nil, err
	}
	inst, err := f.ReadInstrument()
	if err != nil {
		inst = multispectrum.UnknownInstrument()
	}
	return &classicJob{g: g, file: file, f: f, sum: sum, in: in, ds: ds, paths: paths, scan: scan, inst: inst, base: input}, nil
}

func (j *classicJob) close() {
	for _, d := range j.ds {
		d.Close()
	}
	j.f.Close()
}

// run runs op into step, with the command's parameters in the
// provenance, prints what report makes of the result (when given) and
// the summary line.
func (j *classicJob) run(command, step string, overwrite bool, params map[string]any,
	op func(dst classic.Destination, ro classic.RunOptions) (*classic.Result, error), report ...func(*classic.Result) string) (*classic.Result, error) {
	prog := newProgress(j.g, "eelsh5 "+command)
	params["input_step"] = j.base
	prov := j.g.provenance(command, params, multispectrum.Input{File: j.file, SHA256: j.sum, Datasets: j.datasets(command)})
	dst := j.f.NewClassicDestination(h5io.ClassicOptions{Step: step, Overwrite: overwrite, Provenance: prov, Scan: j.scan, Chunk: j.in.Tile})
	defer dst.Close()
	res, err := op(dst, classic.RunOptions{Workers: j.g.workers(), Context: j.g.ctx, Progress: prog.update})
	if err != nil {
		return nil, err
	}
	j.g.committed = append(j.g.committed, fmt.Sprintf("step /entry/%s of %s", step, j.file))
	prog.say("wrote step /entry/%s of %s", step, j.file)
	for _, r := range report {
		if line := r(res); line != "" {
			prog.say("%s", line)
		}
	}
	prog.summary(res.Spectra)
	return res, nil
}

// datasets returns the paths of the cubes the command reads: the low
// loss for thickness and Fourier-log, the core loss (and the low loss
// when there is one) for integrate, the core loss for jumpratio, every
// cube for the others.
func (j *classicJob) datasets(command string) []string {
	var want []string
	switch command {
	case "thickness":
		want = []string{h5io.LowLossName}
	case "jumpratio":
		want = []string{h5io.CoreLossName}
	case "deconvolve":
		if j.method == string(classic.FourierLog) {
			want = []string{h5io.LowLossName}
		}
	}
	if want == nil {
		return j.paths
	}
	var out []string
	for _, p := range j.paths {
		for _, w := range want {
			if strings.HasSuffix(p, "/"+w) {
				out = append(out, p)
			}
		}
	}
	return out
}

// planError makes an error of the options checked against the data a
// usage error, without the package prefix.
func planError(err error) error {
	if err == nil {
		return nil
	}
	s := withPrecision(err).Error()
	for _, p := range []string{"classic: ", "gos: "} {
		s = strings.TrimPrefix(s, p)
	}
	return usageError{errors.New(s)}
}

// scanRegion is a scan rectangle Y0:Y1,X0:X1 (rows Y0..Y1-1, columns
// X0..X1-1).
type scanRegion struct{ multispectrum.Region }

func (r *scanRegion) UnmarshalText(b []byte) error {
	var nr region
	if err := nr.UnmarshalText([]byte("r=" + string(b))); err != nil {
		return fmt.Errorf("%q: want Y0:Y1,X0:X1 (rows Y0..Y1-1, columns X0..X1-1)", b)
	}
	r.Region = nr.Region
	return nil
}

func (r scanRegion) String() string {
	g := r.Region
	return fmt.Sprintf("%d:%d,%d:%d", g.Y0, g.Y0+g.NY, g.X0, g.X0+g.NX)
}

// edgeWindow is a flag EL=LO:HI: an element's energy window.
type edgeWindow struct {
	Element string
	Range   energyRange
}

func (w *edgeWindow) UnmarshalText(b []byte) error {
	el, r, ok := strings.Cut(string(b), "=")
	if !ok || strings.TrimSpace(el) == "" {
		return fmt.Errorf("%q: want ELEMENT=LO:HI in eV (e.g. Ti=380:450)", b)
	}
	if err := w.Range.UnmarshalText([]byte(r)); err != nil {
		return fmt.Errorf("%q: want ELEMENT=LO:HI in eV (e.g. Ti=380:450)", b)
	}
	w.Element = strings.TrimSpace(el)
	return nil
}

// edgeList pairs --elements with --edges and applies per-element windows.
func edgeList(elements, edges []string, bgFlag string, bg []edgeWindow, winFlag string, win []edgeWindow) ([]classic.EdgeWindows, error) {
	elements, edges = trimList(elements), trimList(edges)
	if len(elements) == 0 {
		return nil, errors.New("give the edges with --elements EL,... --edges K,...")
	}
	if len(elements) != len(edges) {
		return nil, fmt.Errorf("--elements has %d entries but --edges %d", len(elements), len(edges))
	}
	out := make([]classic.EdgeWindows, len(elements))
	for k := range elements {
		out[k] = classic.EdgeWindows{Element: elements[k], Edge: edges[k]}
	}
	set := func(flag string, ws []edgeWindow, f func(*classic.EdgeWindows, [2]float64)) error {
		for _, w := range ws {
			found := false
			for k := range out {
				if strings.EqualFold(out[k].Element, w.Element) {
					f(&out[k], w.Range.array())
					found = true
				}
			}
			if !found {
				return fmt.Errorf("%s %s=%s: %s is not in --elements", flag, w.Element, w.Range, w.Element)
			}
		}
		return nil
	}
	if err := set(bgFlag, bg, func(e *classic.EdgeWindows, r [2]float64) { e.Background = r }); err != nil {
		return nil, err
	}
	if err := set(winFlag, win, func(e *classic.EdgeWindows, r [2]float64) { e.Integration = r }); err != nil {
		return nil, err
	}
	return out, nil
}

// instrumentValue returns the flag's value or the metadata's, with an
// error naming the flag when neither is known.
func instrumentValue(flag *float64, meta float64, name, unit string) (float64, error) {
	v := meta
	if flag != nil {
		v = *flag
	}
	if math.IsNaN(v) {
		return v, usageError{fmt.Errorf("%s is not known: give --%s (the file has no instrument metadata for it)", name, unit)}
	}
	return v, nil
}

// checkE0 refuses beam energies given in kV.
func checkE0(e0 float64) error {
	if e0 > 0 && e0 < 1000 {
		return usageError{fmt.Errorf("--E0 %g: give it in volts (e.g. 300e3)", e0)}
	}
	return nil
}

// composition is a flag EL:N,EL:N,...: atomic fractions (any
// normalisation).
type composition []struct {
	Z    int
	Frac float64
}

func (c *composition) UnmarshalText(b []byte) error {
	*c = nil
	for _, it := range strings.Split(string(b), ",") {
		el, n, ok := strings.Cut(strings.TrimSpace(it), ":")
		x, err := strconv.ParseFloat(n, 64)
		if !ok || err != nil || !(x > 0) || math.IsInf(x, 0) {
			return fmt.Errorf("%q: want ELEMENT:FRACTION,... (e.g. Sr:1,Ti:1,O:3)", b)
		}
		z, err := gos.AtomicNumber(strings.TrimSpace(el))
		if err != nil {
			return fmt.Errorf("%q: %s is not an element", b, el)
		}
		*c = append(*c, struct {
			Z    int
			Frac float64
		}{z, x})
	}
	return nil
}
