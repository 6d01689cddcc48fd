package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// quantWindow is the fit window rule of quant: from 100 eV below the
// lowest edge onset to 500 eV above the highest, within the axis, so that
// the background is pinned down before the first edge and every edge
// keeps its extended fine structure region.
func quantWindow(mf *quant.ModelFile, axis multispectrum.EnergyAxis) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range mf.Components {
		if c.Type != "edge" {
			continue
		}
		subs, err := gos.ExpandEdge(c.Element, c.Edge)
		if err != nil || len(subs) == 0 {
			continue
		}
		on := subs[0].Onset + c.Onset
		lo, hi = math.Min(lo, on), math.Max(hi, on)
	}
	if math.IsInf(lo, 0) {
		return nil
	}
	return []float64{math.Max(axis.Offset, lo-100), math.Min(axis.Last()+axis.Dispersion, hi+500)}
}

// reopen opens the outputs of a resumed step, in stream order.
func (o *fitOutputs) reopen(f *h5io.File, step *h5io.Step, withModel bool) error {
	open := func(d *h5io.Dataset, err error) error {
		if err != nil {
			return err
		}
		o.writer = append(o.writer, d)
		return nil
	}
	for _, p := range []string{"coefficients/coefficients", "coefficients/coefficients_errors", "crlb/crlb", "covariance/covariance"} {
		if err := open(f.OpenStack(step.Path(p))); err != nil {
			return err
		}
	}
	for _, p := range []string{"chi2/chi2", "status/status", "condition/condition"} {
		if err := open(f.OpenMap(step.Path(p))); err != nil {
			return err
		}
	}
	if withModel {
		d, _, err := f.OpenCube(step.Path("model"))
		if err := open(d, err); err != nil {
			return err
		}
	}
	return nil
}

// addQuant creates the elemental and composition map stacks of a quant
// step (streams after the fit outputs: elements, elements_errors,
// composition, composition_errors).
func (o *fitOutputs) addQuant(f *h5io.File, step *h5io.Step, labels []string, ci h5io.CubeInfo, core *h5io.Dataset, units, long string) error {
	if len(labels) == 0 {
		return fmt.Errorf("the model has no edges to quantify")
	}
	if step.Resumed {
		for _, p := range []string{"elements/elements", "elements/elements_errors", "composition/composition", "composition/composition_errors"} {
			d, err := f.OpenStack(step.Path(p))
			if err != nil {
				return err
			}
			o.writer = append(o.writer, d)
		}
		return nil
	}
	cy, cx := core.ScanChunk()
	el, elErr, err := f.CreateStack(step.Path("elements"), h5io.StackSpec{NY: ci.NY, NX: ci.NX, Names: labels, Signal: "elements",
		Units: units, LongName: long, Errors: true, Chunk: [2]int{cy, cx}, Scan: ci.Scan})
	if err != nil {
		return err
	}
	o.writer = append(o.writer, el, elErr)
	comp, compErr, err := f.CreateStack(step.Path("composition"), h5io.StackSpec{NY: ci.NY, NX: ci.NX, Names: labels, Signal: "composition",
		Units: "at.%", LongName: "relative composition (at.%)", Errors: true, Chunk: [2]int{cy, cx}, Scan: ci.Scan})
	if err != nil {
		return err
	}
	o.writer = append(o.writer, comp, compErr)
	return nil
}

// meanAccumulator sums, over all pixels, the data, the model and each
// parameter's contribution (for the mean-spectrum figure and viewers):
// sums = [data (n) | model (n) | parts (p n) | pixel count]. Workers put
// each tile's sums in Tile.Aux; the I/O goroutine adds them when it writes
// the tile, so the sums always match the tiles written (and the
// checkpoint).
type meanAccumulator struct {
	p, n int
	sums []float64
}

func newMeanAccumulator(p, n int) *meanAccumulator {
	return &meanAccumulator{p: p, n: n, sums: make([]float64, (p+2)*n+1)}
}

func (a *meanAccumulator) data() []float64  { return a.sums[:a.n] }
func (a *meanAccumulator) model() []float64 { return a.sums[a.n : 2*a.n] }
func (a *meanAccumulator) parts() []float64 { return a.sums[2*a.n : (2+a.p)*a.n] }
func (a *meanAccumulator) count() int       { return int(a.sums[len(a.sums)-1]) }

// checkpointSink writes tiles, adds their sums to the accumulator, marks
// them done and writes a checkpoint every interval.
type checkpointSink struct {
	w     h5io.Writer
	ck    *h5io.Checkpoint
	acc   *meanAccumulator
	done  []bool
	every time.Duration
	last  time.Time
}

func (s *checkpointSink) WriteTile(t *multispectrum.Tile) error {
	if err := s.w.WriteTile(t); err != nil {
		return err
	}
	multispectrum.AddTo(s.acc.sums, t.Aux)
	s.done[t.Index] = true
	if time.Since(s.last) >= s.every {
		s.last = time.Now()
		return s.ck.Write(s.done, s.acc.sums)
	}
	return nil
}

// checkpointFlag is the (hidden) checkpoint interval of long commands.
type checkpointFlag struct {
	CheckpointEvery time.Duration `name:"checkpoint-every" default:"1s" hidden:"" help:"Interval between checkpoints."`
}

// fitKernel is the per-tile work of fit and quant.
type fitKernel struct {
	p, n, nl         int
	useLL, withModel bool
	quant            bool
	edges            []int
	disp             float64
}

type fitWorker struct {
	w                 quant.Worker
	model, parts      []float64
	sData, sModel     []float64
	sParts            []float64
	amps, cov, x, sdx []float64
}

func (k *fitKernel) newWorker(f quant.Fitter) func() *fitWorker {
	return func() *fitWorker {
		ne := len(k.edges)
		return &fitWorker{w: f.NewWorker(), model: make([]float64, k.n), parts: make([]float64, k.p*k.n),
			amps: make([]float64, ne), cov: make([]float64, ne*ne), x: make([]float64, ne), sdx: make([]float64, ne)}
	}
}

// tile fits the pixels of t. Streams out: coefficients, errors, crlb,
// covariance, chi2, status, condition, [model], [elements, errors,
// composition, errors].
func (k *fitKernel) tile(fw *fitWorker, t *multispectrum.Tile) error {
	p, n, nl := k.p, k.n, k.nl
	nc := p * (p + 1) / 2
	ne := len(k.edges)
	clear(t.Aux)
	sData, sModel, sParts := t.Aux[:n], t.Aux[n:2*n], t.Aux[2*n:(2+p)*n]
	counted := 0
	next := 7
	if k.withModel {
		next = 8
	}
	for q := 0; q < t.Region.Pixels(); q++ {
		var low []float64
		if k.useLL {
			low = t.In[1][q*nl : (q+1)*nl]
		}
		var st fitters.Status
		model := fw.model
		if k.withModel {
			model = t.Out[7][q*n : (q+1)*n]
		}
		cov := t.Out[3][q*nc : (q+1)*nc]
		out := quant.PixelResult{Coef: t.Out[0][q*p : (q+1)*p], Variance: t.Out[2][q*p : (q+1)*p], Covariance: cov,
			Chi2: &t.Out[4][q], Condition: &t.Out[6][q], Status: &st, Model: model, Parts: fw.parts}
		core := t.In[0][q*n : (q+1)*n]
		fw.w.Pixel(core, low, out)
		t.Out[5][q] = float64(st)
		for j := 0; j < p; j++ {
			t.Out[1][q*p+j] = math.Sqrt(t.Out[2][q*p+j])
		}
		if !math.IsNaN(model[0]) {
			multispectrum.AddTo(sData, core)
			multispectrum.AddTo(sModel, model)
			multispectrum.AddTo(sParts, fw.parts)
			counted++
		}
		if !k.quant {
			continue
		}
		// Edge amplitudes, their covariance block, areal densities and
		// the composition with propagated uncertainties.
		coef := out.Coef
		for a, i := range k.edges {
			fw.amps[a] = coef[i]
			for b, j := range k.edges {
				fw.cov[a*ne+b] = triangle(cov, p, i, j)
			}
		}
		scale := 1.0
		if k.useLL {
			i0 := 0.0
			for _, v := range low {
				i0 += v
			}
			scale = quant.ArealDensity(1, i0, k.disp)
		}
		el, elErr := t.Out[next][q*ne:(q+1)*ne], t.Out[next+1][q*ne:(q+1)*ne]
		comp, compErr := t.Out[next+2][q*ne:(q+1)*ne], t.Out[next+3][q*ne:(q+1)*ne]
		for a := range fw.amps {
			el[a] = fw.amps[a] * scale
			elErr[a] = math.Sqrt(fw.cov[a*ne+a]) * math.Abs(scale)
		}
		quant.Composition(fw.x, fw.sdx, fw.amps, fw.cov)
		for a := range fw.x {
			comp[a], compErr[a] = 100*fw.x[a], 100*fw.sdx[a]
		}
	}
	t.Aux[len(t.Aux)-1] = float64(counted)
	return nil
}

// triangle returns entry (i, j) of a p x p symmetric matrix stored as its
// upper triangle row by row.
func triangle(tri []float64, p, i, j int) float64 {
	if i > j {
		i, j = j, i
	}
	return tri[i*p-i*(i-1)/2+(j-i)]
}

// writeMeanSpectrum stores the mean data, model, background and each
// edge's contribution as one NXdata (signal data, auxiliary signals).
func writeMeanSpectrum(f *h5io.File, path string, axis multispectrum.EnergyAxis, acc *meanAccumulator, names []string, m *components.Model) error {
	if acc.count() == 0 {
		return nil
	}
	inv := 1 / float64(acc.count())
	scale := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x * inv
		}
		return out
	}
	curves := []h5io.Curve{{Name: "data", Values: scale(acc.data()), LongName: "mean data"},
		{Name: "model", Values: scale(acc.model()), LongName: "mean fitted model"}}
	bg := make([]float64, acc.n)
	var edges []h5io.Curve
	k := 0
	for _, c := range m.Components {
		for pi, prm := range c.Parameters() {
			if !prm.Free() {
				continue
			}
			part := acc.parts()[k*acc.n : (k+1)*acc.n]
			if e, ok := c.(*components.CoreLossEdge); ok && pi == components.EdgeA {
				edges = append(edges, h5io.Curve{Name: safeName(e.Name()), Values: scale(part), LongName: e.Name() + " edge"})
			} else if !c.Convolved() {
				multispectrum.AddTo(bg, part)
			}
			k++
		}
	}
	curves = append(curves, h5io.Curve{Name: "background", Values: scale(bg), LongName: "background"})
	curves = append(curves, edges...)
	_ = names
	return f.WriteSpectra(path, axis, curves)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, s)
}

// namedRegion is a rectangle of the scan given by the user.
type namedRegion struct {
	Name   string
	Region multispectrum.Region
}

// quantSummary is the summary of a quant step: mean composition +- error
// over the map and over regions (user rectangles and, for simulated
// files, the regions of equal true composition), with recovered ratios
// to the first element against the truth.
type quantSummary struct {
	Elements []string        `json:"elements"`
	Units    string          `json:"elements_units"`
	Regions  []regionSummary `json:"regions"`
}

type regionSummary struct {
	Name        string                 `json:"name"`
	Pixels      int                    `json:"pixels"`
	Composition map[string]quant.Stats `json:"composition_at_percent"`
	Ratios      map[string]ratioStats  `json:"ratios,omitempty"`
}

// ratioStats describes a recovered amplitude ratio in a region: the
// statistics of the per-pixel ratios (with the rms of their propagated
// uncertainties, from the full covariance) and the ratio of the region's
// mean amplitudes. The mean of per-pixel ratios is biased upwards by
// about the squared relative error of the denominator (Jensen's
// inequality); the ratio of means is not, to first order, so the bias is
// stated for it.
type ratioStats struct {
	PerPixel    quant.Stats `json:"per_pixel"`
	RatioOfMean float64     `json:"ratio_of_means"`
	Truth       float64     `json:"truth"`
	Bias        *float64    `json:"bias_percent,omitempty"`
}

// summarizeQuant reads back the composition and amplitude maps of the step
// and summarises them.
func summarizeQuant(f *h5io.File, step *h5io.Step, labels []string, edgeIdx []int, ci h5io.CubeInfo, user []namedRegion, units string) (*quantSummary, error) {
	comp, _, err := f.ReadStack(step.Path("composition/composition"))
	if err != nil {
		return nil, err
	}
	compErr, _, err := f.ReadStack(step.Path("composition/composition_errors"))
	if err != nil {
		return nil, err
	}
	coef, _, err := f.ReadStack(step.Path("coefficients/coefficients"))
	if err != nil {
		return nil, err
	}
	cov, _, err := f.ReadStack(step.Path("covariance/covariance"))
	if err != nil {
		return nil, err
	}
	ny, nx := ci.NY, ci.NX
	sum := &quantSummary{Elements: labels, Units: units}
	all := make([]int, ny*nx)
	for i := range all {
		all[i] = i
	}
	type pixset struct {
		name  string
		pix   []int
		truth []float64
	}
	sets := []pixset{{name: "whole map", pix: all}}
	for _, r := range user {
		if r.Region.Y0+r.Region.NY > ny || r.Region.X0+r.Region.NX > nx {
			return nil, fmt.Errorf("region %s %v is outside the %dx%d scan", r.Name, r.Region, ny, nx)
		}
		var pix []int
		for y := r.Region.Y0; y < r.Region.Y0+r.Region.NY; y++ {
			for x := r.Region.X0; x < r.Region.X0+r.Region.NX; x++ {
				pix = append(pix, y*nx+x)
			}
		}
		sets = append(sets, pixset{name: r.Name, pix: pix})
	}
	// Truth regions of simulated files.
	truthPath := h5io.EntryPath + "/" + h5io.StepSimulate + "/truth/maps"
	if f.Exists(truthPath) {
		tm, _, err := f.ReadStack(truthPath)
		if err == nil && tm.NY == ny && tm.NX == nx && tm.Width == len(labels) {
			groups := map[string][]int{}
			keys := map[string][]float64{}
			for p := 0; p < ny*nx; p++ {
				v := tm.Data[p*tm.Width : (p+1)*tm.Width]
				key := fmt.Sprint(v)
				groups[key] = append(groups[key], p)
				keys[key] = v
			}
			var ks []string
			for k := range groups {
				ks = append(ks, k)
			}
			sort.Slice(ks, func(i, j int) bool { return len(groups[ks[i]]) > len(groups[ks[j]]) })
			for _, k := range ks {
				v := keys[k]
				var parts []string
				for i, x := range v {
					if x != 0 {
						parts = append(parts, fmt.Sprintf("%s=%g", strings.Fields(labels[i])[0], x))
					}
				}
				sets = append(sets, pixset{name: "truth " + strings.Join(parts, " "), pix: groups[k], truth: v})
			}
		}
	}
	ne := len(labels)
	for _, s := range sets {
		rs := regionSummary{Name: s.name, Pixels: len(s.pix), Composition: map[string]quant.Stats{}}
		for e := 0; e < ne; e++ {
			v, sd := make([]float64, len(s.pix)), make([]float64, len(s.pix))
			for i, p := range s.pix {
				v[i], sd[i] = comp.Data[p*ne+e], compErr.Data[p*ne+e]
			}
			rs.Composition[labels[e]] = quant.Summarize(v, sd)
		}
		if s.truth != nil && s.truth[0] > 0 {
			rs.Ratios = map[string]ratioStats{}
			p := coef.Width
			i0 := edgeIdx[0]
			for e := 1; e < ne; e++ {
				ie := edgeIdx[e]
				v, sd := make([]float64, len(s.pix)), make([]float64, len(s.pix))
				var sumE, sumC float64
				for i, px := range s.pix {
					c := coef.Data[px*p : (px+1)*p]
					t := cov.Data[px*cov.Width : (px+1)*cov.Width]
					v[i], sd[i] = quant.Ratio(c[ie], c[i0], triangle(t, p, ie, ie), triangle(t, p, i0, i0), triangle(t, p, ie, i0))
					sumE += c[ie]
					sumC += c[i0]
				}
				st := ratioStats{PerPixel: quant.Summarize(v, sd), RatioOfMean: sumE / sumC, Truth: s.truth[e] / s.truth[0]}
				if st.Truth != 0 && !math.IsNaN(st.RatioOfMean) {
					b := 100 * (st.RatioOfMean/st.Truth - 1)
					st.Bias = &b
				}
				rs.Ratios[strings.Fields(labels[e])[0]+"/"+strings.Fields(labels[0])[0]] = st
			}
		}
		sum.Regions = append(sum.Regions, rs)
	}
	return sum, nil
}

// printSummary writes the summary as a table.
func printSummary(w interface{ Write([]byte) (int, error) }, s *quantSummary) {
	fmt.Fprintf(w, "%-32s %7s", "region", "pixels")
	for _, e := range s.Elements {
		fmt.Fprintf(w, " %16s", e+" at.%")
	}
	fmt.Fprintln(w)
	for _, r := range s.Regions {
		fmt.Fprintf(w, "%-32s %7d", r.Name, r.Pixels)
		for _, e := range s.Elements {
			st := r.Composition[e]
			fmt.Fprintf(w, " %8.2f +- %5.2f", st.Mean, st.MeanSD)
		}
		fmt.Fprintln(w)
	}
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

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
