package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/eelsh5/eelsh5/components"
	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/internal/random"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Simulator computes the spectra of a scenario pixel by pixel. It holds
// everything shared by all pixels (cross sections and their transforms,
// the background, the plasmon loss functions, the shifts); per-pixel
// scratch lives in Workspace.
type Simulator struct {
	sc            *Scenario
	coreTrue      multispectrum.EnergyAxis // n channels before shifts
	llTrue        multispectrum.EnergyAxis
	crop          int
	core, low     multispectrum.EnergyAxis // stored axes
	sigmaT        [][]complex128           // edge cross-section transforms (for the n-channel convolution)
	bgT           []complex128             // background power-law transform (2n-channel convolution)
	bgPos         []float64                // fractional index into the convolved background per core channel
	plasmonOrders [][]float64              // S(E; i Ep) on the true low-loss axis
	zlpSum        float64
	shifts        []float64 // eV per pixel
	labels        []string
}

// New prepares a simulator: it validates the scenario, computes the
// cross sections (hydrogenic or tabulated), the shared transforms and
// the per-pixel shifts.
func New(sc *Scenario) (*Simulator, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	n := sc.Axis.Size
	s := &Simulator{sc: sc, coreTrue: sc.Axis,
		llTrue: multispectrum.EnergyAxis{Offset: -10 * sc.ZeroLossFWHM, Dispersion: sc.Axis.Dispersion, Size: n}}
	s.crop = sc.maxShiftChannels()
	s.core = s.coreTrue.Crop(s.crop, n-s.crop)
	s.low = s.llTrue.Crop(s.crop, n-s.crop)

	conv, err := components.NewLowLoss(s.coreTrue, s.llTrue)
	if err != nil {
		return nil, err
	}
	setup := gos.Setup{E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}
	cache := gos.NewCache()
	for k, el := range sc.Elements {
		on := 0.0
		if sc.Onsets != nil {
			on = sc.Onsets[k]
		}
		sigma, edge, err := cache.CrossSection(sc.Source, el, sc.Edges[k], s.coreTrue, setup, on)
		if err != nil {
			return nil, fmt.Errorf("simulate: %w", err)
		}
		s.labels = append(s.labels, edge.Label())
		s.sigmaT = append(s.sigmaT, conv.Transform(make([]complex128, conv.FFTLen()/2+1), sigma))
	}

	// Background ('convolved' method, doc/algorithms.md 8.3): a power law on
	// 2n channels from 100 eV, convolved with the pixel's low loss, then
	// relabelled as starting at max(off - n disp/2, disp) and sampled on
	// the core-loss axis.
	bgAxis := multispectrum.EnergyAxis{Offset: 100, Dispersion: sc.Axis.Dispersion, Size: 2 * n}
	conv2, err := components.NewLowLoss(bgAxis, s.llTrue)
	if err != nil {
		return nil, err
	}
	pw := make([]float64, 2*n)
	components.NewPowerLaw(bgAxis, sc.BackgroundA, sc.BackgroundR).Eval(pw)
	s.bgT = conv2.Transform(make([]complex128, conv2.FFTLen()/2+1), pw)
	start := math.Max(sc.Axis.Offset-float64(n)*sc.Axis.Dispersion/2, sc.Axis.Dispersion)
	s.bgPos = make([]float64, n)
	for i := range s.bgPos {
		s.bgPos[i] = (s.coreTrue.Energy(i) - start) / sc.Axis.Dispersion
	}

	// Low loss: zero loss of height 1 and the plasmon orders, shared.
	zlp := make([]float64, n)
	components.NewGaussian(s.llTrue, 1, 0, sc.ZeroLossFWHM).Eval(zlp)
	for _, v := range zlp {
		s.zlpSum += v
	}
	pl := components.NewPlasmon(s.llTrue, 1, sc.PlasmonEnergy, sc.PlasmonWidth, sc.PlasmonOrders, 1, sc.Beta, sc.E0)
	for o := 1; o <= sc.PlasmonOrders; o++ {
		so := make([]float64, n)
		pl.LossFunction(so, o)
		s.plasmonOrders = append(s.plasmonOrders, so)
	}
	s.shifts = s.makeShifts()
	return s, nil
}

// makeShifts draws the per-pixel shifts (eV) from their own stream.
func (s *Simulator) makeShifts() []float64 {
	sc := s.sc
	np := sc.NY * sc.NX
	out := make([]float64, np)
	r := rand.New(rand.NewPCG(sc.Seed, 0x5eed5))
	d := sc.Axis.Dispersion
	for p := range out {
		switch sc.Shifts {
		case IntegerShifts:
			out[p] = float64(r.IntN(2*s.crop+1)-s.crop) * d
		case SubchannelShifts:
			out[p] = (2*r.Float64() - 1) * sc.ShiftSpread
		case ReferenceShifts:
			amp := 0.005 * float64(sc.Axis.Size-1) * d
			period := float64(np) / 20
			out[p] = math.Trunc(amp*math.Sin(2*math.Pi*float64(p)/period)) * d
		}
	}
	return out
}

// CoreAxis returns the stored core-loss axis (after cropping).
func (s *Simulator) CoreAxis() multispectrum.EnergyAxis { return s.core }

// LowAxis returns the stored low-loss axis (after cropping).
func (s *Simulator) LowAxis() multispectrum.EnergyAxis { return s.low }

// Shifts returns the true per-pixel energy shift (eV): a feature at
// energy E appears at E + shift in both stored cubes.
func (s *Simulator) Shifts() []float64 { return s.shifts }

// Labels returns the edge labels ("C K", ...).
func (s *Simulator) Labels() []string { return s.labels }

// Workspace is the per-worker scratch of a Simulator.
type Workspace struct {
	conv, conv2 *components.LowLoss
	ll, zlp     []float64
	bg2, edges  []float64
	expected    []float64
	spec        []complex128
	pcg         *rand.PCG
	rnd         *rand.Rand
	weights     []float64
	byThickness map[float64]*thicknessCache
}

// thicknessCache holds what depends on a pixel's t/lambda only: its
// low-loss spectrum, background and edge-convolution kernel.
type thicknessCache struct {
	plas, bg []float64
	kernel   []complex128
	z0       int
}

// maxThicknessCache bounds the per-worker cache (about 80 KiB an entry).
const maxThicknessCache = 64

// NewWorkspace returns scratch for one worker.
func (s *Simulator) NewWorkspace() *Workspace {
	n := s.coreTrue.Size
	c1, _ := components.NewLowLoss(s.coreTrue, s.llTrue)
	c2, _ := components.NewLowLoss(multispectrum.EnergyAxis{Offset: 100, Dispersion: s.coreTrue.Dispersion, Size: 2 * n}, s.llTrue)
	pcg := rand.NewPCG(0, 0)
	return &Workspace{conv: c1, conv2: c2, ll: make([]float64, n), zlp: make([]float64, n),
		bg2: make([]float64, 2*n), edges: make([]float64, n), expected: make([]float64, n),
		spec: make([]complex128, c1.FFTLen()/2+1), pcg: pcg, rnd: rand.New(pcg), weights: make([]float64, s.sc.PlasmonOrders),
		byThickness: map[float64]*thicknessCache{}}
}

// Layout returns the per-pixel widths of the output streams of Tile:
// core loss, low loss and, with KeepExpected, the noise-free core loss.
func (s *Simulator) Layout() multispectrum.Layout {
	out := []int{s.core.Size, s.low.Size}
	if s.sc.KeepExpected {
		out = append(out, s.core.Size)
	}
	return multispectrum.Layout{Out: out}
}

// Tile simulates the pixels of t into its Out streams (see Layout).
func (s *Simulator) Tile(ws *Workspace, t *multispectrum.Tile) error {
	r := t.Region
	nc := s.core.Size
	k := 0
	for y := r.Y0; y < r.Y0+r.NY; y++ {
		for x := r.X0; x < r.X0+r.NX; x++ {
			p := y*s.sc.NX + x
			var exp []float64
			if s.sc.KeepExpected {
				exp = t.Out[2][k*nc : (k+1)*nc]
			}
			if err := s.pixel(ws, p, t.Out[0][k*nc:(k+1)*nc], t.Out[1][k*nc:(k+1)*nc], exp); err != nil {
				return err
			}
			k++
		}
	}
	return nil
}

// pixel computes one pixel: core (counts), low (scaled low loss) and,
// when exp is not nil, the Poisson mean of core.
func (s *Simulator) pixel(ws *Workspace, p int, core, low, exp []float64) error {
	sc := s.sc
	n := s.coreTrue.Size
	tl := sc.TLambda.Data[p]
	shiftCh := s.shifts[p] / sc.Axis.Dispersion

	tc, err := s.thickness(ws, tl)
	if err != nil {
		return fmt.Errorf("simulate: pixel %d: %w", p, err)
	}
	zlpFWHMSigma := sc.ZeroLossFWHM / (2 * math.Sqrt(2*math.Ln2))

	// Edges: sum_k A_k sigma_k convolved with the low loss (in the
	// Fourier domain, the transforms being shared).
	amps := sc.Maps.Data[p*sc.Maps.Width : (p+1)*sc.Maps.Width]
	clear(ws.spec)
	any := false
	for k, a := range amps {
		if a == 0 {
			continue
		}
		any = true
		for j, v := range s.sigmaT[k] {
			ws.spec[j] += complex(a, 0) * v
		}
	}
	if any {
		ws.conv.SetKernel(tc.kernel, tc.z0)
		ws.conv.ConvolveTransformed(ws.edges, ws.spec)
	} else {
		clear(ws.edges)
	}
	for i := 0; i < n; i++ {
		v := tc.bg[i] + ws.edges[i]
		if v < 0 {
			v = 0 // FFT round-off far from any signal
		}
		ws.expected[i] = v * sc.Noise
	}

	// Shift by s (a feature at E appears at E + s) and crop: stored
	// channel k samples true position crop + k - s/disp.
	ws.pcg.Seed(sc.Seed, uint64(p)+1)
	for k := range core {
		u := float64(s.crop+k) - shiftCh
		m := multispectrum.SampleLinear(ws.expected, u)
		if exp != nil {
			exp[k] = m
		}
		if sc.AddPoisson {
			core[k] = random.Poisson(ws.rnd, m)
		} else {
			core[k] = m
		}
	}
	for k := range low {
		u := float64(s.crop+k) - shiftCh
		// The zero loss is evaluated exactly at the shifted energy; the
		// broad plasmon part is interpolated.
		x := (s.low.Energy(k) - s.shifts[p]) / zlpFWHMSigma
		z := 0.0
		if x > -40 && x < 40 { // exp(-800) underflows to 0 anyway
			z = math.Exp(-0.5 * x * x)
		}
		v := (z + multispectrum.SampleLinear(tc.plas, u)) * sc.LowLossScale
		if sc.LowLossNoise {
			v = random.Poisson(ws.rnd, v)
		}
		low[k] = v
	}
	return nil
}

// thickness returns the low loss (plasmon part), background and kernel
// of thickness tl, computing them on first use in this workspace.
func (s *Simulator) thickness(ws *Workspace, tl float64) (*thicknessCache, error) {
	if tc, ok := ws.byThickness[tl]; ok {
		return tc, nil
	}
	sc := s.sc
	n := s.coreTrue.Size
	// Low loss on the true axis: zero loss + plasmons with Poisson
	// weights of t/lambda, the plasmon total being zlpSum (e^t - 1).
	zlpFWHMSigma := sc.ZeroLossFWHM / (2 * math.Sqrt(2*math.Ln2))
	for i := range ws.zlp {
		x := s.llTrue.Energy(i) / zlpFWHMSigma
		ws.zlp[i] = math.Exp(-0.5 * x * x)
	}
	f := math.Exp(-tl)
	for o := range ws.weights {
		f *= tl / float64(o+1)
		ws.weights[o] = f
	}
	tc := &thicknessCache{plas: make([]float64, n), bg: make([]float64, n)}
	sum := 0.0
	for i := range tc.plas {
		v := 0.0
		for o, so := range s.plasmonOrders {
			v += ws.weights[o] * so[i]
		}
		tc.plas[i] = v
		sum += v
	}
	if tl > 0 && sum > 0 {
		g := math.Expm1(tl) * s.zlpSum / sum
		for i := range tc.plas {
			tc.plas[i] *= g
		}
	} else {
		clear(tc.plas)
	}
	for i := range ws.ll {
		ws.ll[i] = ws.zlp[i] + tc.plas[i]
	}
	// Background: the power law convolved with this low loss, sampled
	// on the core axis and scaled to BackgroundA at the first channel.
	if err := ws.conv2.SetSpectrum(ws.ll); err != nil {
		return nil, err
	}
	ws.conv2.ConvolveTransformed(ws.bg2, s.bgT)
	for i, u := range s.bgPos {
		tc.bg[i] = multispectrum.SampleLinear(ws.bg2, u)
	}
	if tc.bg[0] > 0 {
		g := sc.BackgroundA / tc.bg[0]
		for i := range tc.bg {
			tc.bg[i] *= g
		}
	}
	if err := ws.conv.SetSpectrum(ws.ll); err != nil {
		return nil, err
	}
	tc.kernel = append([]complex128(nil), ws.conv.Kernel()...)
	tc.z0 = ws.conv.ZeroLoss()
	if len(ws.byThickness) >= maxThicknessCache {
		clear(ws.byThickness)
	}
	ws.byThickness[tl] = tc
	return tc, nil
}
