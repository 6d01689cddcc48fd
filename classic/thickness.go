package classic

import (
	"errors"
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// ZeroLossMethod says how the zero-loss intensity I0 of a low loss is
// found.
type ZeroLossMethod string

const (
	// FirstMinimum integrates the spectrum from the start of the axis to
	// the first minimum after the zero-loss peak (Egerton 3rd ed., 5.1.1):
	// the classic choice, which includes the little inelastic intensity
	// below that minimum and works for any peak shape.
	FirstMinimum ZeroLossMethod = "minimum"
	// GaussianFit fits a Gaussian to the channels of the peak above a
	// tenth of its maximum (weighted least squares on the logarithm,
	// weights the counts) and sums the fitted Gaussian over the axis:
	// exact for a Gaussian zero loss, low for one with wider tails.
	GaussianFit ZeroLossMethod = "fit"
)

// MeanFreePath names a parameterisation of the inelastic mean free path.
type MeanFreePath string

const (
	NoMeanFreePath MeanFreePath = ""
	// Iakoubovskii is Iakoubovskii et al., Microsc. Res. Tech. 71 (2008)
	// 626, from the specimen's density and the angles (IakoubovskiiMFP).
	Iakoubovskii MeanFreePath = "iakoubovskii"
	// Malis is Malis et al., J. Electron Microsc. Tech. 8 (1988) 193, from
	// the effective atomic number (MalisMFP, EffectiveZ).
	Malis MeanFreePath = "malis"
)

// ThicknessOptions configure Thickness.
type ThicknessOptions struct {
	ZeroLoss ZeroLossMethod // default FirstMinimum
	// MeanFreePath, when set, also gives the absolute thickness
	// t = (t/lambda) lambda in nm.
	MeanFreePath MeanFreePath
	E0           float64 // beam energy, V (absolute thickness)
	Alpha, Beta  float64 // convergence and collection semi-angles, rad
	Density      float64 // g/cm^3 (Iakoubovskii)
	Zeff         float64 // effective atomic number (Malis); see EffectiveZ
}

// Status codes of the thickness (and deconvolution) status map.
const (
	StatusOK          = 0
	StatusNonFinite   = 1 // NaN or Inf in the spectrum
	StatusNoPeak      = 2 // no positive maximum, or a maximum at the last channel
	StatusNoMinimum   = 3 // no minimum after the peak
	StatusFitFailed   = 4 // the Gaussian fit has no maximum (too few channels, or not peaked)
	StatusNoInelastic = 5 // total <= zero loss: t/lambda is not positive
)

// ThicknessCodes explains the status codes of a thickness map.
const ThicknessCodes = "0 ok, 1 non-finite values, 2 no zero-loss peak, 3 no minimum after the zero-loss peak, 4 Gaussian fit of the zero loss failed, 5 no inelastic intensity"

// Thickness streams, in plan order.
const (
	TLambdaName        = "tlambda"
	TLambdaErrorName   = "tlambda_error"
	ThicknessName      = "thickness"
	ThicknessErrorName = "thickness_error"
	ZeroLossName       = "zero_loss"
	StatusName         = "status"
)

// IakoubovskiiMFP returns the inelastic mean free path in nm of a specimen
// of density rho (g/cm^3) for beam energy e0 (V) and semi-angles alpha,
// beta (rad), by Iakoubovskii et al. (2008) as given by Egerton (3rd ed.,
// eq. 5.9 and p. 298), angles in mrad and E0 in keV:
//
//	1/lambda = 11 rho^0.3 / (200 F E0) ln[(alpha^2 + beta^2 + 2 thE^2 + |alpha^2 - beta^2|)
//	           / (alpha^2 + beta^2 + 2 thC^2 + |alpha^2 - beta^2|) thC^2 / thE^2]
//
// with thC = 20 mrad, thE = 5.5 rho^0.3 / (F E0) and the relativistic
// factor F = (1 + E0/1022) / (1 + E0/511)^2.
func IakoubovskiiMFP(e0, alpha, beta, rho float64) float64 {
	k := e0 / 1e3
	f := (1 + k/1022) / ((1 + k/511) * (1 + k/511))
	a, b := alpha*1e3, beta*1e3
	thC := 20.0
	thE := 5.5 * math.Pow(rho, 0.3) / (f * k)
	d := math.Abs(a*a - b*b)
	arg := (a*a + b*b + 2*thE*thE + d) / (a*a + b*b + 2*thC*thC + d) * thC * thC / (thE * thE)
	return 200 * f * k / (11 * math.Pow(rho, 0.3) * math.Log(arg))
}

// MalisMFP returns the inelastic mean free path in nm for beam energy e0
// (V), collection semi-angle beta (rad) and effective atomic number zeff,
// by Malis et al. (1988), Egerton 3rd ed. eq. 5.2 (E0 in keV, beta in
// mrad): lambda = 106 F E0 / (Em ln(2 beta E0 / Em)), Em = 7.6 Zeff^0.36
// eV, F as in IakoubovskiiMFP.
func MalisMFP(e0, beta, zeff float64) float64 {
	k := e0 / 1e3
	f := (1 + k/1022) / ((1 + k/511) * (1 + k/511))
	em := 7.6 * math.Pow(zeff, 0.36)
	return 106 * f * k / (em * math.Log(2*beta*1e3*k/em))
}

// EffectiveZ returns the effective atomic number of Malis et al. (1988)
// for atomic numbers z with atomic fractions frac (any normalisation):
// Zeff = sum f Z^1.3 / sum f Z^0.3 (Egerton 3rd ed. eq. 5.4).
func EffectiveZ(z []int, frac []float64) float64 {
	if len(z) != len(frac) {
		panic("classic: EffectiveZ: slice lengths do not match")
	}
	var num, den float64
	for i, zi := range z {
		num += frac[i] * math.Pow(float64(zi), 1.3)
		den += frac[i] * math.Pow(float64(zi), 0.3)
	}
	return num / den
}

// Validate checks the options.
func (o ThicknessOptions) Validate() error {
	switch o.ZeroLoss {
	case "", FirstMinimum, GaussianFit:
	default:
		return fmt.Errorf("classic: unknown zero-loss method %q (minimum or fit)", o.ZeroLoss)
	}
	switch o.MeanFreePath {
	case NoMeanFreePath:
		return nil
	case Iakoubovskii:
		if !(o.Density > 0) || o.Density > 30 {
			return fmt.Errorf("classic: density %g g/cm^3: give the specimen's density (0 < rho <= 30)", o.Density)
		}
		if !(o.Alpha >= 0) || o.Alpha >= 0.5 {
			return fmt.Errorf("classic: convergence semi-angle alpha = %g rad is outside [0, 0.5)", o.Alpha)
		}
	case Malis:
		if !(o.Zeff >= 1) || o.Zeff > 100 {
			return fmt.Errorf("classic: effective atomic number %g: must be in [1, 100]", o.Zeff)
		}
	default:
		return fmt.Errorf("classic: unknown mean free path %q (iakoubovskii or malis)", o.MeanFreePath)
	}
	if !(o.E0 >= 1e3) || o.E0 > 5e6 {
		return fmt.Errorf("classic: beam energy E0 = %g V is outside [1e3, 5e6] (give it in volts, e.g. 300e3)", o.E0)
	}
	if !(o.Beta > 0) || o.Beta >= 0.5 {
		return fmt.Errorf("classic: collection semi-angle beta = %g rad is outside (0, 0.5) (give it in radians, e.g. 20e-3)", o.Beta)
	}
	return nil
}

// lambda returns the mean free path in nm (NaN without one).
func (o ThicknessOptions) lambda() float64 {
	switch o.MeanFreePath {
	case Iakoubovskii:
		return IakoubovskiiMFP(o.E0, o.Alpha, o.Beta, o.Density)
	case Malis:
		return MalisMFP(o.E0, o.Beta, o.Zeff)
	}
	return math.NaN()
}

// ZeroLoss measures the zero loss of one low-loss spectrum y on axis:
// the zero-loss intensity i0 (counts), the channel end that closes it
// (channels [0, end) are the zero loss for FirstMinimum; for GaussianFit
// the channel 3 standard deviations above the centre) and a status code.
// It allocates nothing.
func ZeroLoss(y []float64, axis multispectrum.EnergyAxis, m ZeroLossMethod) (i0 float64, end, status int) {
	if !finite(y) {
		return math.NaN(), 0, StatusNonFinite
	}
	k := 0
	for i, v := range y {
		if v > y[k] {
			k = i
		}
	}
	n := len(y)
	if !(y[k] > 0) || k >= n-2 {
		return math.NaN(), 0, StatusNoPeak
	}
	if m == GaussianFit {
		return gaussianZeroLoss(y, axis, k)
	}
	// The first minimum of the three-channel running sum after the
	// peak: single noisy channels do not end the zero loss.
	s := func(j int) float64 { return y[j-1] + y[j] + y[min(j+1, n-1)] }
	for j := k + 1; j < n-1; j++ {
		if s(j) <= s(j+1) {
			sum := 0.0
			for _, v := range y[:j+1] {
				sum += v
			}
			return sum, j + 1, StatusOK
		}
	}
	return math.NaN(), 0, StatusNoMinimum
}

// gaussianZeroLoss fits ln y = a + b x + c x^2 (x in channels from the
// peak k, weights y) over the contiguous channels about k above a tenth
// of the maximum and returns the sum of the Gaussian over the axis.
func gaussianZeroLoss(y []float64, axis multispectrum.EnergyAxis, k int) (float64, int, int) {
	lo, hi := k, k
	for lo > 0 && y[lo-1] > y[k]/10 {
		lo--
	}
	for hi < len(y)-1 && y[hi+1] > y[k]/10 {
		hi++
	}
	if hi-lo < 2 {
		// Fewer than three channels: widen to three if possible.
		lo, hi = max(k-1, 0), min(k+1, len(y)-1)
		if hi-lo < 2 || !(y[lo] > 0 && y[hi] > 0) {
			return math.NaN(), 0, StatusFitFailed
		}
	}
	// Normal equations of the weighted quadratic fit, 3x3.
	var s [5]float64
	var t [3]float64
	for i := lo; i <= hi; i++ {
		w := y[i]
		x := float64(i - k)
		l := math.Log(y[i])
		p := w
		for d := 0; d < 5; d++ {
			s[d] += p
			if d < 3 {
				t[d] += p * l
			}
			p *= x
		}
	}
	a, b, c, ok := solve3(s, t)
	if !ok || !(c < 0) {
		return math.NaN(), 0, StatusFitFailed
	}
	mu := -b / (2 * c)
	sig := math.Sqrt(-1 / (2 * c))
	h := math.Exp(a - b*b/(4*c))
	sum := 0.0
	for i := range y {
		x := float64(i-k) - mu
		if math.Abs(x) < 40*sig {
			sum += h * math.Exp(-0.5*x*x/(sig*sig))
		}
	}
	end := min(len(y), k+int(math.Ceil(mu+3*sig))+1)
	if math.IsNaN(sum) || !(sum > 0) {
		return math.NaN(), 0, StatusFitFailed
	}
	return sum, end, StatusOK
}

// solve3 solves the symmetric Hankel system [s0 s1 s2; s1 s2 s3; s2 s3 s4]
// (a, b, c) = t by Cramer's rule.
func solve3(s [5]float64, t [3]float64) (a, b, c float64, ok bool) {
	m := [3][3]float64{{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}}
	det := func(m [3][3]float64) float64 {
		return m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	}
	d := det(m)
	if d == 0 || math.IsNaN(d) {
		return 0, 0, 0, false
	}
	var r [3]float64
	for j := range 3 {
		mj := m
		for i := range 3 {
			mj[i][j] = t[i]
		}
		r[j] = det(mj) / d
	}
	return r[0], r[1], r[2], true
}

// ThicknessPlan returns the plan of Thickness on in, or an error for bad
// options or an input without a low loss; nothing is read.
func ThicknessPlan(in Input, opts ThicknessOptions) (*Plan, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if _, _, err := in.need("thickness", LowLoss); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.ZeroLoss == "" {
		opts.ZeroLoss = FirstMinimum
	}
	p := &Plan{Operation: "thickness", NY: in.NY, NX: in.NX, Default: TLambdaName,
		Params: map[string]any{"zero_loss": string(opts.ZeroLoss), "input": LowLoss}}
	p.Streams = []Stream{
		{Name: TLambdaName, Kind: MapStream, Width: 1, LongName: "relative thickness t/lambda"},
		{Name: TLambdaErrorName, Kind: MapStream, Width: 1, LongName: "standard deviation of t/lambda (Poisson)"},
		{Name: ZeroLossName, Kind: MapStream, Width: 1, Units: "counts", LongName: "zero-loss intensity I0 (counts)"},
		{Name: StatusName, Kind: StatusStream, Width: 1, LongName: "thickness status", Codes: ThicknessCodes},
	}
	if opts.MeanFreePath != NoMeanFreePath {
		lam := opts.lambda()
		if !(lam > 0) || math.IsInf(lam, 0) {
			return nil, errors.New("classic: the mean free path is not a positive number for these options")
		}
		p.Params["mean_free_path"] = string(opts.MeanFreePath)
		p.Params["lambda_nm"] = lam
		p.Params["E0_V"], p.Params["alpha_rad"], p.Params["beta_rad"] = opts.E0, opts.Alpha, opts.Beta
		if opts.MeanFreePath == Iakoubovskii {
			p.Params["density_g_cm3"] = opts.Density
		} else {
			p.Params["zeff"] = opts.Zeff
		}
		p.Streams = append(p.Streams[:2:2],
			Stream{Name: ThicknessName, Kind: MapStream, Width: 1, Units: "nm", LongName: "thickness (nm)"},
			Stream{Name: ThicknessErrorName, Kind: MapStream, Width: 1, Units: "nm", LongName: "standard deviation of the thickness (nm, Poisson only)"},
			p.Streams[2], p.Streams[3])
	}
	return p, nil
}

// Thickness computes per pixel the relative thickness t/lambda =
// ln(I_total / I0) of the low loss (Egerton 3rd ed. eq. 5.1, the
// log-ratio method), I_total the sum of the spectrum and I0 its zero loss
// (ZeroLoss), with the Poisson standard deviation
// sqrt(I_inel / (I0 I_total)), I_inel = I_total - I0 (counts assumed:
// independent Poisson I0 and I_inel), a status map and, with a mean free
// path, the absolute thickness in nm. Streams: tlambda, tlambda_error,
// [thickness, thickness_error,] zero_loss, status.
func Thickness(in Input, opts ThicknessOptions, dst Destination, ro RunOptions) (*Result, error) {
	p, err := ThicknessPlan(in, opts)
	if err != nil {
		return nil, err
	}
	if opts.ZeroLoss == "" {
		opts.ZeroLoss = FirstMinimum
	}
	ll, _, _ := in.need("thickness", LowLoss)
	lam := opts.lambda()
	abs := opts.MeanFreePath != NoMeanFreePath
	w := ll.Axis.Size
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		for q := 0; q < t.Region.Pixels(); q++ {
			y := t.In[0][q*w : (q+1)*w]
			tl, sd, i0, st := thicknessPixel(y, ll.Axis, opts.ZeroLoss)
			o := 0
			t.Out[o][q], t.Out[o+1][q] = tl, sd
			o += 2
			if abs {
				t.Out[o][q], t.Out[o+1][q] = tl*lam, sd*lam
				o += 2
			}
			t.Out[o][q], t.Out[o+1][q] = i0, float64(st)
		}
		return nil
	}
	tap, mean := meanTap(0, p.Stream(StatusName))
	summarize := func(r *Result) {
		if m, ok := mean(); ok {
			r.Summary["mean_tlambda"] = m
			if abs {
				r.Summary["mean_thickness_nm"] = m * lam
			}
		}
		r.Summary["pixels_ok"] = r.Status[StatusOK]
	}
	return run(in, []Cube{ll}, p, dst, ro, noWorkspace, fn, hooks{tap, summarize})
}

func noWorkspace() struct{} { return struct{}{} }

// thicknessPixel returns t/lambda, its standard deviation, I0 and the
// status of one low loss.
func thicknessPixel(y []float64, axis multispectrum.EnergyAxis, m ZeroLossMethod) (tl, sd, i0 float64, st int) {
	i0, _, st = ZeroLoss(y, axis, m)
	if st != StatusOK {
		return math.NaN(), math.NaN(), i0, st
	}
	total := 0.0
	for _, v := range y {
		total += v
	}
	inel := total - i0
	if !(inel > 0) {
		return math.NaN(), math.NaN(), i0, StatusNoInelastic
	}
	return math.Log(total / i0), math.Sqrt(inel / (i0 * total)), i0, StatusOK
}
