package quant

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Summary is the summary of a quantification: mean composition +- error
// over the map and over regions (user rectangles and, with truth maps,
// the regions of equal true composition), with the recovered amplitude
// ratios to the first edge against the truth.
type Summary struct {
	Elements []string        `json:"elements"`
	Units    string          `json:"elements_units"`
	Regions  []RegionSummary `json:"regions"`
	// Chi2 tells how well the model describes the data (nil in a summary
	// written before it existed).
	Chi2 *Chi2Summary `json:"reduced_chi_square,omitempty"`
}

// RegionSummary summarises one set of pixels. Each Stats gives the mean,
// the pixel-to-pixel spread (Std) and the rms of the per-pixel propagated
// uncertainties (MeanSD): when the model describes the data the two
// agree.
type RegionSummary struct {
	Name        string                `json:"name"`
	Pixels      int                   `json:"pixels"`
	Composition map[string]Stats      `json:"composition_at_percent"`
	Ratios      map[string]RatioStats `json:"ratios,omitempty"`
	// Chi2 is the statistics of the pixels' reduced chi-square.
	Chi2 *Stats `json:"reduced_chi_square,omitempty"`
}

// Chi2Summary summarises the reduced chi-square of a run's pixels
// (doc/algorithms.md 9): with Poisson statistics and a model that
// describes the data it is close to 1, and the CRLB is the uncertainty.
// Where it is much larger the model misses structure in the data (fine
// structure, a background it cannot follow, a wrong edge shape) and the
// CRLB understates the error.
type Chi2Summary struct {
	// Pixels with a finite reduced chi-square.
	Pixels int `json:"pixels"`
	// Median and Mean of the pixels' reduced chi-square.
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	// Limit is the reduced chi-square above which a pixel is not
	// described by the model; Above the fraction of such pixels.
	Limit float64 `json:"limit"`
	Above float64 `json:"fraction_above_limit"`
	// MisfitFraction is the largest acceptable Above; Misfit is set when
	// Above exceeds it: the model does not describe the data.
	MisfitFraction float64 `json:"misfit_fraction"`
	Misfit         bool    `json:"misfit"`
	// ErrorsScaled says that the run's uncertainties were multiplied by
	// sqrt(max(1, reduced chi-square)) (Options.ScaleErrors).
	ErrorsScaled bool `json:"errors_scaled"`
}

// Warning returns a one-line warning when the model does not describe
// the data, else "".
func (c *Chi2Summary) Warning() string {
	if c == nil || !c.Misfit {
		return ""
	}
	w := fmt.Sprintf("warning: the model does not describe the data: reduced chi-square above %g in %.0f%% of the pixels (median %.3g)", c.Limit, 100*c.Above, c.Median)
	if c.ErrorsScaled {
		return w + "; the uncertainties are scaled by sqrt(reduced chi-square)"
	}
	return w + "; the uncertainties (CRLB) are too small: add fine structure or background terms, or scale the uncertainties by sqrt(reduced chi-square) (Options.ScaleErrors)"
}

// MarshalJSON writes non-finite values as null.
func (c Chi2Summary) MarshalJSON() ([]byte, error) {
	type plain Chi2Summary
	return json.Marshal(struct {
		plain
		Median *float64 `json:"median"`
		Mean   *float64 `json:"mean"`
	}{plain(c), finite(c.Median), finite(c.Mean)})
}

// UnmarshalJSON reads null as NaN.
func (c *Chi2Summary) UnmarshalJSON(b []byte) error {
	type plain Chi2Summary
	var v struct {
		plain
		Median *float64 `json:"median"`
		Mean   *float64 `json:"mean"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Chi2Summary(v.plain)
	c.Median, c.Mean = math.NaN(), math.NaN()
	if v.Median != nil {
		c.Median = *v.Median
	}
	if v.Mean != nil {
		c.Mean = *v.Mean
	}
	return nil
}

// chi2Summary reads the reduced chi-square back and summarises it.
func (p *Plan) chi2Summary(out Output) (*Chi2Summary, error) {
	a, err := out.ReadStream(StreamChi2)
	if err != nil {
		return nil, err
	}
	if a.NY != p.in.NY || a.NX != p.in.NX || a.Width != 1 {
		return nil, fmt.Errorf("quant: stream %s read back as %dx%dx%d", StreamChi2, a.NY, a.NX, a.Width)
	}
	return summarizeChi2(a.Data, p.chi2Limit(), p.misfitFraction(), p.opts.ScaleErrors), nil
}

// summarizeChi2 summarises reduced chi-square values (non-finite ones,
// failed pixels, are left out).
func summarizeChi2(v []float64, limit, frac float64, scaled bool) *Chi2Summary {
	st := Summarize(v, nil)
	c := &Chi2Summary{Pixels: st.Pixels, Median: st.Median, Mean: st.Mean, Limit: limit, MisfitFraction: frac, ErrorsScaled: scaled}
	above := 0
	for _, x := range v {
		if x > limit && !math.IsInf(x, 0) {
			above++
		}
	}
	if st.Pixels > 0 {
		c.Above = float64(above) / float64(st.Pixels)
	}
	c.Misfit = c.Above > frac
	return c
}

// RatioStats describes a recovered amplitude ratio in a region: the
// statistics of the per-pixel ratios (with the rms of their propagated
// uncertainties, from the full covariance) and the ratio of the region's
// mean amplitudes. The mean of per-pixel ratios is biased upwards by
// about the squared relative error of the denominator (Jensen's
// inequality); the ratio of means is not, to first order, so the bias is
// stated for it.
type RatioStats struct {
	PerPixel    Stats    `json:"per_pixel"`
	RatioOfMean float64  `json:"ratio_of_means"`
	Truth       float64  `json:"truth"`
	Bias        *float64 `json:"bias_percent,omitempty"` // percent, of RatioOfMean against Truth
}

// summarize reads back the composition and amplitude streams of the run
// and summarises them.
// ratioMaps returns, per pixel, the edge amplitudes (ne values) and the
// ratio of each other edge to the first with its standard deviation
// from the covariance (ne-1 values each), read from the coefficient and
// covariance streams of out: in strips of tile rows when out is a
// RegionReader, else whole.
func (p *Plan) ratioMaps(out Output) (amp, rv, rsd []float64, err error) {
	ny, nx := p.in.NY, p.in.NX
	ne, np := len(p.edges), p.Width(StreamCoefficients)
	amp, rv, rsd = make([]float64, ny*nx*ne), make([]float64, ny*nx*(ne-1)), make([]float64, ny*nx*(ne-1))
	i0 := p.edges[0].Param
	fill := func(px0 int, coef, cov []float64, n int) {
		nc := len(cov) / n
		for q := 0; q < n; q++ {
			c, t, px := coef[q*np:(q+1)*np], cov[q*nc:(q+1)*nc], px0+q
			for e, ed := range p.edges {
				amp[px*ne+e] = c[ed.Param]
				if e > 0 {
					ie := ed.Param
					rv[px*(ne-1)+e-1], rsd[px*(ne-1)+e-1] = Ratio(c[ie], c[i0], Triangle(t, np, ie, ie), Triangle(t, np, i0, i0), Triangle(t, np, ie, i0))
				}
			}
		}
	}
	rr, ok := out.(RegionReader)
	if !ok {
		coef, err := out.ReadStream(StreamCoefficients)
		if err != nil {
			return nil, nil, nil, err
		}
		cov, err := out.ReadStream(StreamCovariance)
		if err != nil {
			return nil, nil, nil, err
		}
		fill(0, coef.Data, cov.Data, ny*nx)
		return amp, rv, rsd, nil
	}
	strip := max(p.tiling.TileY, 1)
	for y0 := 0; y0 < ny; y0 += strip {
		r := multispectrum.Region{Y0: y0, NY: min(strip, ny-y0), NX: nx}
		coef, err := rr.ReadStreamRegion(StreamCoefficients, r)
		if err != nil {
			return nil, nil, nil, err
		}
		cov, err := rr.ReadStreamRegion(StreamCovariance, r)
		if err != nil {
			return nil, nil, nil, err
		}
		fill(y0*nx, coef.Data, cov.Data, r.Pixels())
	}
	return amp, rv, rsd, nil
}

func (p *Plan) summarize(out Output) (*Summary, error) {
	read := func(s Stream) ([]float64, int, error) {
		a, err := out.ReadStream(s)
		if err != nil {
			return nil, 0, err
		}
		if a.NY != p.in.NY || a.NX != p.in.NX || a.Width != p.Width(s) {
			return nil, 0, fmt.Errorf("quant: stream %s read back as %dx%dx%d", s, a.NY, a.NX, a.Width)
		}
		return a.Data, a.Width, nil
	}
	comp, _, err := read(StreamComposition)
	if err != nil {
		return nil, err
	}
	compErr, _, err := read(StreamCompositionErrors)
	if err != nil {
		return nil, err
	}
	chi2, _, err := read(StreamChi2)
	if err != nil {
		return nil, err
	}
	labels := p.Labels()
	ny, nx := p.in.NY, p.in.NX
	sum := &Summary{Elements: labels, Units: p.units}
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
	for _, r := range p.opts.Regions {
		var pix []int
		for y := r.Region.Y0; y < r.Region.Y0+r.Region.NY; y++ {
			for x := r.Region.X0; x < r.Region.X0+r.Region.NX; x++ {
				pix = append(pix, y*nx+x)
			}
		}
		sets = append(sets, pixset{name: r.Name, pix: pix})
	}
	// Regions of equal true composition.
	truthRegions := false
	if tm := p.in.Truth; tm != nil && tm.NY == ny && tm.NX == nx && tm.Width == len(labels) {
		truthRegions = true
		groups := map[string][]int{}
		keys := map[string][]float64{}
		for px := 0; px < ny*nx; px++ {
			v := tm.Data[px*tm.Width : (px+1)*tm.Width]
			key := fmt.Sprint(v)
			groups[key] = append(groups[key], px)
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
					parts = append(parts, fmt.Sprintf("%s=%g", p.edges[i].Element, x))
				}
			}
			sets = append(sets, pixset{name: "truth " + strings.Join(parts, " "), pix: groups[k], truth: v})
		}
	}
	ne := len(labels)
	// The ratios of the truth regions need, per pixel, the edge
	// amplitudes and the ratio of each edge to the first with its
	// error: taken from the coefficient and covariance streams strip by
	// strip (ratioMaps).
	var amp, rv, rsd []float64
	if truthRegions {
		if amp, rv, rsd, err = p.ratioMaps(out); err != nil {
			return nil, err
		}
	}
	for _, s := range sets {
		rs := RegionSummary{Name: s.name, Pixels: len(s.pix), Composition: map[string]Stats{}}
		cv := make([]float64, len(s.pix))
		for i, px := range s.pix {
			cv[i] = chi2[px]
		}
		c2 := Summarize(cv, nil)
		rs.Chi2 = &c2
		for e := 0; e < ne; e++ {
			v, sd := make([]float64, len(s.pix)), make([]float64, len(s.pix))
			for i, px := range s.pix {
				v[i], sd[i] = comp[px*ne+e], compErr[px*ne+e]
			}
			rs.Composition[labels[e]] = Summarize(v, sd)
		}
		if s.truth != nil && s.truth[0] > 0 {
			rs.Ratios = map[string]RatioStats{}
			for e := 1; e < ne; e++ {
				v, sd := make([]float64, len(s.pix)), make([]float64, len(s.pix))
				var sumE, sumC float64
				for i, px := range s.pix {
					v[i], sd[i] = rv[px*(ne-1)+e-1], rsd[px*(ne-1)+e-1]
					sumE += amp[px*ne+e]
					sumC += amp[px*ne]
				}
				st := RatioStats{PerPixel: Summarize(v, sd), RatioOfMean: sumE / sumC, Truth: s.truth[e] / s.truth[0]}
				if st.Truth != 0 && !math.IsNaN(st.RatioOfMean) {
					b := 100 * (st.RatioOfMean/st.Truth - 1)
					st.Bias = &b
				}
				rs.Ratios[p.edges[e].Element+"/"+p.edges[0].Element] = st
			}
		}
		sum.Regions = append(sum.Regions, rs)
	}
	return sum, nil
}
