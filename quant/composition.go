package quant

import (
	"encoding/json"
	"math"
	"sort"
)

// Composition computes the relative composition (fractions summing to 1)
// of elements with edge amplitudes a (doc/algorithms.md 3.11: the factors
// I0, disp and 1e-28 cancel, x_i = A_i / sum_j A_j) and its standard
// deviations propagated from the full covariance cov (len(a) x len(a),
// row major):
//
//	var(x_i) = sum_jk g_ij g_ik cov_jk,  g_ij = (delta_ij S - A_i)/S^2.
//
// x and sd receive the results; NaN when the sum is not positive.
func Composition(x, sd, a, cov []float64) {
	n := len(a)
	s := 0.0
	for _, v := range a {
		s += v
	}
	if !(s > 0) || math.IsNaN(s) {
		for i := range x {
			x[i], sd[i] = math.NaN(), math.NaN()
		}
		return
	}
	for i := 0; i < n; i++ {
		x[i] = a[i] / s
		v := 0.0
		for j := 0; j < n; j++ {
			gj := -a[i] / (s * s)
			if j == i {
				gj += 1 / s
			}
			for k := 0; k < n; k++ {
				gk := -a[i] / (s * s)
				if k == i {
					gk += 1 / s
				}
				v += gj * gk * cov[j*n+k]
			}
		}
		sd[i] = math.Sqrt(math.Max(v, 0))
	}
}

// ArealDensity converts an edge amplitude A (doc/algorithms.md 3.11) to an
// areal density in atoms/nm^2: A * 1e10 / (I0 * disp), I0 the incident
// (low-loss) counts and disp the dispersion in eV.
func ArealDensity(a, i0, disp float64) float64 {
	return a * 1e10 / (i0 * disp)
}

// Ratio returns a1/a2 and its standard deviation from the variances and
// covariance (doc/algorithms.md 6.4, CRLB_ratio).
func Ratio(a1, a2, c11, c22, c12 float64) (r, sd float64) {
	r = a1 / a2
	v := c11/(a1*a1) + c22/(a2*a2) - 2*c12/(a1*a2)
	return r, math.Abs(r) * math.Sqrt(math.Max(v, 0))
}

// Stats summarises a quantity over a set of pixels.
type Stats struct {
	Pixels int     `json:"pixels"`
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`     // pixel-to-pixel standard deviation
	MeanSD float64 `json:"mean_sd"` // root mean square of the per-pixel uncertainties
	Median float64 `json:"median"`
}

// Summarize returns the statistics of the finite values v (with
// per-pixel uncertainties sd, may be nil).
func Summarize(v, sd []float64) Stats {
	var s, s2, u float64
	var vals []float64
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		vals = append(vals, x)
		s += x
		s2 += x * x
		if sd != nil {
			u += sd[i] * sd[i]
		}
	}
	st := Stats{Pixels: len(vals)}
	if len(vals) == 0 {
		st.Mean, st.Std, st.MeanSD, st.Median = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return st
	}
	n := float64(len(vals))
	st.Mean = s / n
	st.Std = math.Sqrt(math.Max(s2/n-st.Mean*st.Mean, 0))
	st.MeanSD = math.Sqrt(u / n)
	sort.Float64s(vals)
	st.Median = vals[len(vals)/2]
	if len(vals)%2 == 0 {
		st.Median = (vals[len(vals)/2-1] + vals[len(vals)/2]) / 2
	}
	return st
}

// MarshalJSON writes non-finite values as null (JSON has no NaN).
func (s Stats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Pixels int      `json:"pixels"`
		Mean   *float64 `json:"mean"`
		Std    *float64 `json:"std"`
		MeanSD *float64 `json:"mean_sd"`
		Median *float64 `json:"median"`
	}{s.Pixels, finite(s.Mean), finite(s.Std), finite(s.MeanSD), finite(s.Median)})
}

// UnmarshalJSON reads null as NaN.
func (s *Stats) UnmarshalJSON(b []byte) error {
	var v struct {
		Pixels                    int
		Mean, Std, MeanSD, Median *float64
	}
	var raw map[string]*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	get := func(k string) float64 {
		if p := raw[k]; p != nil {
			return *p
		}
		return math.NaN()
	}
	*s = Stats{Pixels: v.Pixels, Mean: get("mean"), Std: get("std"), MeanSD: get("mean_sd"), Median: get("median")}
	return nil
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
