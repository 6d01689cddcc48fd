package classic

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// BackgroundMethod says how the pre-edge power law A E^-r is fitted.
type BackgroundMethod string

const (
	// LogLog fits ln(counts) = ln A - r ln E over the background window by
	// least squares weighted by the counts (the inverse variance of
	// ln(counts) for Poisson data), E the channel centres (Egerton 3rd
	// ed., 4.4.2); ln(counts + 1/2) instead of ln(counts), and a second
	// pass weighted by the fitted counts, remove the low-count bias of the
	// logarithm.
	LogLog BackgroundMethod = "loglog"
	// TwoArea takes r and A from the counts I1, I2 of the two halves of
	// the window (E1..Em..E2): r = 2 ln(I1/I2) / ln(E2/E1) and A from
	// I1 + I2 (Egerton 3rd ed., eqs. 4.63, 4.64).
	TwoArea BackgroundMethod = "two-area"
)

// EdgeWindows are the energy windows of one edge: the background window
// (before the edge) and the integration window Delta (from the onset).
// A zero window takes its default from the onset E_k of the element
// table: integration [E_k, E_k + 50); background [E_k - 5 - w, E_k - 5)
// with w = 0.1 E_k kept within 20..50 eV, started no lower than the end
// of the integration window of any other edge of the same call whose
// onset is lower (so that no default background window lies on the near
// edge of another edge), and refused when that leaves less than
// MinBackgroundWidth.
type EdgeWindows struct {
	Element, Edge string // "Ti", "L" (as gos.ExpandEdge)
	Background    [2]float64
	Integration   [2]float64
}

// MinBackgroundWidth (eV) is the narrowest default background window
// EdgeWindows accepts after moving its start above the integration
// window of a lower edge.
const MinBackgroundWidth = 10

// integrateDefaults fills the zero windows of edges (EdgeWindows) with
// Integrate's defaults: integration [E_k, E_k + 50), background 5 eV below
// the onset, 0.1 E_k wide within 20..50 eV.
func integrateDefaults(edges []EdgeWindows) error {
	return defaultWindows(edges, 50, func(on float64) float64 { return math.Min(50, math.Max(20, 0.1*on)) }, "background", "integration")
}

// defaultWindows fills the zero windows of edges: the post-edge
// (integration) windows [E_k, E_k + post) first, then the pre-edge
// (background) windows [E_k - 5 - width(E_k), E_k - 5), each started no
// lower than the end of the post-edge window of any edge with a lower
// onset; a window left narrower than MinBackgroundWidth is refused.
// preName and postName name the two windows in the error.
func defaultWindows(edges []EdgeWindows, post float64, width func(onset float64) float64, preName, postName string) error {
	onsets := make([]float64, len(edges))
	for k := range edges {
		on, err := EdgeOnset(edges[k].Element, edges[k].Edge)
		if err != nil {
			return err
		}
		onsets[k] = on
		if edges[k].Integration == [2]float64{} {
			edges[k].Integration = [2]float64{on, on + post}
		}
	}
	for k := range edges {
		e := &edges[k]
		if e.Background != [2]float64{} {
			continue
		}
		on := onsets[k]
		lo, hi := on-5-width(on), on-5
		below := ""
		for j, o := range edges {
			if j != k && onsets[j] < on && o.Integration[1] > lo {
				lo, below = o.Integration[1], o.Element+" "+o.Edge
			}
		}
		if hi-lo < MinBackgroundWidth {
			return fmt.Errorf("classic: the default %s window of %s %s would start at %g eV, the end of the %s window of %s, and end at %g eV (5 eV below the onset): under %g eV wide; give the %s window of %s %s, or a shorter %s window of %s",
				preName, e.Element, e.Edge, lo, postName, below, hi, float64(MinBackgroundWidth), preName, e.Element, e.Edge, postName, below)
		}
		e.Background = [2]float64{lo, hi}
	}
	return nil
}

// IntegrateOptions configure Integrate.
type IntegrateOptions struct {
	Edges  []EdgeWindows
	Method BackgroundMethod // default LogLog
	// Source and Cache give the partial cross sections (the same GOS as
	// the model, gos.Cache.CrossSection); E0 (V), Alpha, Beta (rad) the
	// kinematics.
	Source          gos.Source
	Cache           *gos.Cache
	E0, Alpha, Beta float64
	// Reference is the edge (index into Edges) the ratios divide by.
	Reference int
}

// Integrate and JumpRatio streams.
const (
	SignalName       = "signal"
	SignalErrorName  = "signal_error"
	BackgroundName   = "background"
	ExponentName     = "exponent"
	ElementsName     = "elements"
	ElementErrorName = "elements_error"
	RatiosName       = "ratios"
	RatioErrorName   = "ratios_error"
	JumpRatioName    = "jump_ratio"
)

// Status codes of Integrate and JumpRatio (the worst edge's).
const (
	IntegrateOK        = 0
	IntegrateNonFinite = 1 // NaN or Inf in the spectrum
	IntegrateNoCounts  = 2 // a background window holds a channel (log-log) or half (two-area) without positive counts
	IntegrateNoLowLoss = 3 // the low loss has no positive intensity
)

// IntegrateCodes explains the status codes of Integrate and JumpRatio.
const IntegrateCodes = "0 ok, 1 non-finite values, 2 background window without positive counts, 3 no low-loss intensity"

// edgeWindow is one edge resolved on the core-loss axis.
type edgeWindow struct {
	label  string
	onset  float64
	b0, b1 int       // background channels
	i0, i1 int       // integration channels
	lnE    []float64 // ln of the centres of the background channels
	lnEi   []float64 // ln of the centres of the integration channels
	sigma  float64   // partial cross section over the integration window, barn
	delta  float64   // integration width, eV
}

// IntegratePlan resolves the edges' windows and cross sections on the
// core-loss axis and returns the plan of Integrate, or an error for bad
// options, windows outside the axis or a missing cross section; nothing
// is read.
func IntegratePlan(in Input, opts IntegrateOptions) (*Plan, error) {
	opts.Edges = append([]EdgeWindows(nil), opts.Edges...)
	p, _, err := integratePlan(in, opts)
	return p, err
}

func integratePlan(in Input, opts IntegrateOptions) (*Plan, []edgeWindow, error) {
	p, ws, err := edgePlan(in, opts.Edges, opts.Method, "integrate", true)
	if err != nil {
		return nil, nil, err
	}
	if opts.Source == nil {
		return nil, nil, fmt.Errorf("classic: integrate needs a GOS source for the cross sections")
	}
	core, _, _ := in.need("integrate", CoreLoss)
	setup := gos.Setup{E0: opts.E0, Alpha: opts.Alpha, Beta: opts.Beta}
	cache := opts.Cache
	if cache == nil {
		cache = gos.NewCache()
	}
	for k := range ws {
		sigma, _, err := cache.CrossSection(opts.Source, opts.Edges[k].Element, opts.Edges[k].Edge, core.Axis, setup, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("classic: could not compute the cross section of %s: %w", ws[k].label, err)
		}
		s := 0.0
		for _, v := range sigma[ws[k].i0:ws[k].i1] {
			s += v
		}
		ws[k].sigma = s * core.Axis.Dispersion
		if !(ws[k].sigma > 0) {
			return nil, nil, fmt.Errorf("classic: the %s cross section is zero over the integration window %g..%g eV", ws[k].label, opts.Edges[k].Integration[0], opts.Edges[k].Integration[1])
		}
	}
	if opts.Reference < 0 || opts.Reference >= len(ws) {
		return nil, nil, fmt.Errorf("classic: reference edge %d of %d", opts.Reference, len(ws))
	}
	labels := make([]string, len(ws))
	var ratios []string
	var sigmas []float64
	for k, w := range ws {
		labels[k] = w.label
		sigmas = append(sigmas, w.sigma)
		if k != opts.Reference {
			ratios = append(ratios, w.label+"/"+ws[opts.Reference].label)
		}
	}
	p.Params["cross_sections_barn"] = sigmas
	p.Params["gos"] = opts.Source.Name()
	p.Params["E0_V"], p.Params["alpha_rad"], p.Params["beta_rad"] = opts.E0, opts.Alpha, opts.Beta
	p.Params["reference"] = labels[opts.Reference]
	units, long := "counts/barn", "net edge counts over the cross section (counts/barn, proportional to I0 N)"
	if in.Find(LowLoss) >= 0 {
		units, long = "atoms/nm^2", "areal density (atoms/nm^2)"
	}
	p.Params["elements_units"] = units
	st := p.Streams[len(p.Streams)-1]
	p.Streams = append(p.Streams[:len(p.Streams)-1],
		Stream{Name: ElementsName, Kind: StackStream, Width: len(ws), Components: labels, Units: units, LongName: long},
		Stream{Name: ElementErrorName, Kind: StackStream, Width: len(ws), Components: labels, Units: units, LongName: "standard deviation of the " + long},
		Stream{Name: RatiosName, Kind: StackStream, Width: len(ratios), Components: ratios, LongName: "atomic ratio"},
		Stream{Name: RatioErrorName, Kind: StackStream, Width: len(ratios), Components: ratios, LongName: "standard deviation of the atomic ratio"},
		st)
	p.Default = ElementsName
	return p, ws, nil
}

// edgePlan resolves the windows and makes the common streams: signal,
// signal_error, background, exponent, status.
func edgePlan(in Input, edges []EdgeWindows, m BackgroundMethod, op string, defaultsIntegrate bool) (*Plan, []edgeWindow, error) {
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	core, _, err := in.need(op, CoreLoss)
	if err != nil {
		return nil, nil, err
	}
	switch m {
	case "", LogLog, TwoArea:
	default:
		return nil, nil, fmt.Errorf("classic: unknown background method %q (loglog or two-area)", m)
	}
	if m == "" {
		m = LogLog
	}
	if len(edges) == 0 {
		return nil, nil, fmt.Errorf("classic: %s needs at least one edge", op)
	}
	ax := core.Axis
	defaults := jumpDefaults
	if defaultsIntegrate {
		defaults = integrateDefaults
	}
	if err := defaults(edges); err != nil {
		return nil, nil, err
	}
	var ws []edgeWindow
	var labels []string
	var bgs, ints [][]float64
	for k := range edges {
		e := &edges[k]
		onset, err := EdgeOnset(e.Element, e.Edge)
		if err != nil {
			return nil, nil, err
		}
		label := e.Element + " " + e.Edge
		w := edgeWindow{label: label, onset: onset}
		if w.b0, w.b1, err = window(ax, e.Background[0], e.Background[1], "background window of "+label); err != nil {
			return nil, nil, err
		}
		if w.i0, w.i1, err = window(ax, e.Integration[0], e.Integration[1], "integration window of "+label); err != nil {
			return nil, nil, err
		}
		if w.b1-w.b0 < 2 || (m == TwoArea && w.b1-w.b0 < 2) {
			return nil, nil, fmt.Errorf("classic: the background window of %s holds %d channel(s): at least 2 are needed", label, w.b1-w.b0)
		}
		if w.b1 > w.i0 {
			return nil, nil, fmt.Errorf("classic: the background window of %s (%g..%g eV) overlaps or follows its integration window (%g..%g eV)", label, e.Background[0], e.Background[1], e.Integration[0], e.Integration[1])
		}
		if !(ax.Energy(w.b0) > 0) {
			return nil, nil, fmt.Errorf("classic: the background window of %s starts at %g eV: a power law needs positive energies", label, ax.Energy(w.b0))
		}
		w.delta = float64(w.i1-w.i0) * ax.Dispersion
		for i := w.b0; i < w.b1; i++ {
			w.lnE = append(w.lnE, math.Log(ax.Energy(i)+ax.Dispersion/2))
		}
		for i := w.i0; i < w.i1; i++ {
			w.lnEi = append(w.lnEi, math.Log(ax.Energy(i)+ax.Dispersion/2))
		}
		ws = append(ws, w)
		labels = append(labels, label)
		bgs = append(bgs, []float64{ax.Energy(w.b0), ax.Energy(w.b1)})
		ints = append(ints, []float64{ax.Energy(w.i0), ax.Energy(w.i1)})
	}
	p := &Plan{Operation: op, NY: in.NY, NX: in.NX, FY: 1, FX: 1, Default: SignalName,
		Params: map[string]any{"edges": labels, "method": string(m), "background_windows_eV": bgs, "integration_windows_eV": ints}}
	p.Streams = []Stream{
		{Name: SignalName, Kind: StackStream, Width: len(ws), Components: labels, Units: "counts", LongName: "net edge counts over the integration window"},
		{Name: SignalErrorName, Kind: StackStream, Width: len(ws), Components: labels, Units: "counts", LongName: "standard deviation of the net edge counts (signal + h-factor background variance)"},
		{Name: BackgroundName, Kind: StackStream, Width: len(ws), Components: labels, Units: "counts", LongName: "extrapolated background counts under the integration window"},
		{Name: ExponentName, Kind: StackStream, Width: len(ws), Components: labels, LongName: "power-law exponent r"},
		{Name: StatusName, Kind: StatusStream, Width: 1, LongName: op + " status", Codes: IntegrateCodes},
	}
	return p, ws, nil
}

// edgeSignal fits the background of one edge to y and returns the net
// counts over the integration window, their variance (Egerton's
// signal + h * background: the Poisson variance of the window's counts
// plus the variance of the extrapolation), the background counts and r.
// ok is false when the background window has no usable counts.
func edgeSignal(y []float64, axis multispectrum.EnergyAxis, w *edgeWindow, m BackgroundMethod) (net, variance, bg, r float64, ok bool) {
	total := 0.0
	for _, v := range y[w.i0:w.i1] {
		total += v
	}
	var varExt float64
	switch m {
	case TwoArea:
		h := (w.b1 - w.b0) / 2
		var i1, i2 float64
		for _, v := range y[w.b0 : w.b0+h] {
			i1 += v
		}
		for _, v := range y[w.b0+h : w.b0+2*h] {
			i2 += v
		}
		if !(i1 > 0 && i2 > 0) {
			return math.NaN(), math.NaN(), math.NaN(), math.NaN(), false
		}
		e1, e2 := axis.Energy(w.b0), axis.Energy(w.b0+2*h)
		ea, eb := axis.Energy(w.i0), axis.Energy(w.i1)
		f := func(i1, i2 float64) (float64, float64) {
			r := 2 * math.Log(i1/i2) / math.Log(e2/e1)
			return (i1 + i2) * powerIntegral(ea, eb, r) / powerIntegral(e1, e2, r), r
		}
		bg, r = f(i1, i2)
		d1, d2 := 1e-6*i1, 1e-6*i2
		b1, _ := f(i1+d1, i2)
		b2, _ := f(i1, i2+d2)
		g1, g2 := (b1-bg)/d1, (b2-bg)/d2
		varExt = g1*g1*i1 + g2*g2*i2
	default:
		// Weighted least squares of ln(y + 1/2) = a + b ln E: for Poisson
		// counts of mean mu, ln(y + 1/2) has the mean ln mu to O(mu^-2),
		// while ln y is low by 1/(2 mu), which at 50 counts a channel
		// shifts the extrapolated background by 1%. First pass weighted by
		// y + 1/2, second by the first pass' fitted counts (the inverse
		// variance of the logarithm).
		var a, b, det, s0, s1, s2 float64
		for pass := range 2 {
			var t0, t1 float64
			s0, s1, s2 = 0, 0, 0
			for j, v := range y[w.b0:w.b1] {
				if !(v > 0) {
					return math.NaN(), math.NaN(), math.NaN(), math.NaN(), false
				}
				x, l := w.lnE[j], math.Log(v+0.5)
				wt := v + 0.5
				if pass == 1 {
					wt = math.Exp(a + b*x)
				}
				s0 += wt
				s1 += wt * x
				s2 += wt * x * x
				t0 += wt * l
				t1 += wt * l * x
			}
			det = s0*s2 - s1*s1
			if !(det > 0) {
				return math.NaN(), math.NaN(), math.NaN(), math.NaN(), false
			}
			a = (s2*t0 - s1*t1) / det
			b = (s0*t1 - s1*t0) / det
		}
		var gb float64
		for _, x := range w.lnEi {
			v := math.Exp(a + b*x)
			bg += v
			gb += v * x
		}
		// Covariance of (a, b): the inverse of [s0 s1; s1 s2].
		ca, cb, cab := s2/det, s0/det, -s1/det
		varExt = bg*bg*ca + gb*gb*cb + 2*bg*gb*cab
		r = -b
	}
	return total - bg, total + varExt, bg, r, true
}

// powerIntegral returns the integral of E^-r from a to b.
func powerIntegral(a, b, r float64) float64 {
	if math.Abs(1-r) < 1e-9 {
		return math.Log(b / a)
	}
	return (math.Pow(b, 1-r) - math.Pow(a, 1-r)) / (1 - r)
}

// Integrate is the conventional quantification (Egerton 3rd ed., 4.4 and
// 4.5): for each edge and pixel a power law A E^-r fitted over the
// background window (LogLog or TwoArea), extrapolated under the edge and
// subtracted; the net counts I_k summed over the integration window Delta,
// with the variance I_k + h I_b (Egerton eq. 4.69: the Poisson variance of
// the window's counts plus the extrapolation's, h = 1 + var(I_b)/I_b);
// the partial cross section sigma_k(beta, Delta) summed from the GOS
// source over the same window; and the amount N_k = I_k / (I_l sigma_k),
// in atoms/nm^2 when the input has a low loss (I_l its intensity up to
// Delta above the zero-loss peak, which corrects for plural scattering to
// first order, eq. 4.66), else I_k / sigma_k. Ratios are N_k / N_ref with
// the relative variances added. Streams: signal, signal_error,
// background, exponent, elements, elements_error, ratios, ratios_error,
// status.
func Integrate(in Input, opts IntegrateOptions, dst Destination, ro RunOptions) (*Result, error) {
	opts.Edges = append([]EdgeWindows(nil), opts.Edges...)
	p, ws, err := integratePlan(in, opts)
	if err != nil {
		return nil, err
	}
	m := opts.Method
	if m == "" {
		m = LogLog
	}
	core, _, _ := in.need("integrate", CoreLoss)
	cubes := []Cube{core}
	lowK := in.Find(LowLoss)
	var low Cube
	if lowK >= 0 {
		low = in.Cubes[lowK]
		cubes = append(cubes, low)
	}
	ne, ref := len(ws), opts.Reference
	wc := core.Axis.Size
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		sig, sigE, bgs, ex, amt, amtE, rat, ratE, st := t.Out[0], t.Out[1], t.Out[2], t.Out[3], t.Out[4], t.Out[5], t.Out[6], t.Out[7], t.Out[8]
		for q := range t.Region.Pixels() {
			y := t.In[0][q*wc : (q+1)*wc]
			status := IntegrateOK
			if !finite(y) {
				status = IntegrateNonFinite
			}
			var l []float64
			if lowK >= 0 {
				wl := low.Axis.Size
				l = t.In[1][q*wl : (q+1)*wl]
				if status == IntegrateOK && !finite(l) {
					status = IntegrateNonFinite
				}
			}
			for k := range ws {
				il := 1.0
				if l != nil {
					if il = lowLossIntegral(l, low.Axis, ws[k].delta); status == IntegrateOK && !(il > 0) {
						status = IntegrateNoLowLoss
					}
				}
				o := q*ne + k
				net, v, bg, r, ok := edgeSignal(y, core.Axis, &ws[k], m)
				if status == IntegrateOK && !ok {
					status = IntegrateNoCounts
				}
				sig[o], sigE[o], bgs[o], ex[o] = net, math.Sqrt(math.Max(v, 0)), bg, r
				scale := 1 / ws[k].sigma
				if lowK >= 0 {
					scale = 1e10 / (il * ws[k].sigma)
				}
				amt[o], amtE[o] = net*scale, sigE[o]*scale
			}
			j := 0
			for k := range ws {
				if k == ref {
					continue
				}
				a, b := amt[q*ne+k], amt[q*ne+ref]
				ra, rb := amtE[q*ne+k]/a, amtE[q*ne+ref]/b
				rat[q*(ne-1)+j] = a / b
				ratE[q*(ne-1)+j] = math.Abs(a/b) * math.Sqrt(ra*ra+rb*rb)
				j++
			}
			st[q] = float64(status)
		}
		return nil
	}
	// Summary: the sums of the amounts and of their variances over the
	// pixels of status 0, whose ratios are the ratios of mean amounts.
	sums, vars, n := make([]float64, ne), make([]float64, ne), 0
	tap := func(t *multispectrum.Tile) {
		for q, s := range t.Out[8] {
			if s != IntegrateOK {
				continue
			}
			n++
			for k := range ne {
				sums[k] += t.Out[4][q*ne+k]
				e := t.Out[5][q*ne+k]
				vars[k] += e * e
			}
		}
	}
	summarize := func(r *Result) {
		r.Summary["pixels_ok"] = n
		if n == 0 {
			return
		}
		means := map[string]float64{}
		ratios := map[string][2]float64{}
		for k, w := range ws {
			means[w.label] = sums[k] / float64(n)
			if k == ref {
				continue
			}
			rt := sums[k] / sums[ref]
			e := math.Abs(rt) * math.Sqrt(vars[k]/(sums[k]*sums[k])+vars[ref]/(sums[ref]*sums[ref]))
			ratios[w.label+"/"+ws[ref].label] = [2]float64{rt, e}
		}
		r.Summary["mean_elements"] = means
		r.Summary["ratio_of_means"] = ratios
	}
	return run(in, cubes, p, dst, ro, noWorkspace, fn, hooks{tap, summarize})
}

// lowLossIntegral returns the sum of the low loss l from the start of its
// axis to delta eV above its maximum (I_l(Delta) of Egerton eq. 4.66).
func lowLossIntegral(l []float64, axis multispectrum.EnergyAxis, delta float64) float64 {
	k := 0
	for i, v := range l {
		if v > l[k] {
			k = i
		}
	}
	end := min(len(l), k+int(math.Round(delta/axis.Dispersion)))
	s := 0.0
	for _, v := range l[:end] {
		s += v
	}
	return s
}

func sqrtPos(v float64) float64 { return math.Sqrt(math.Max(v, 0)) }
