package simulate

import (
	"fmt"
	"math"
	"strings"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// ShiftMode selects the per-pixel energy shifts.
type ShiftMode string

const (
	// NoShifts leaves every spectrum in place.
	NoShifts ShiftMode = "none"
	// IntegerShifts draws a whole number of channels uniformly in
	// [-spread, spread] per pixel.
	IntegerShifts ShiftMode = "integer"
	// SubchannelShifts draws a shift uniformly in [-spread, spread] eV.
	SubchannelShifts ShiftMode = "subchannel"
	// ReferenceShifts reproduces the reference's deterministic pattern
	// trunc(amp sin(2 pi p/period)) channels, p the flat pixel index,
	// amp = 0.005 (low-loss range in eV), period = pixels/20
	// (doc/algorithms.md 8.4).
	ReferenceShifts ShiftMode = "reference"
)

// Scenario describes a simulated acquisition. Units: eV, V, rad.
type Scenario struct {
	NY, NX   int
	Elements []string // chemical symbols
	Edges    []string // edge per element: K, L, M, ...
	// Maps holds the edge amplitudes A (doc/algorithms.md 3.11) per pixel,
	// pixel-major (NY, NX, len(Elements)).
	Maps *multispectrum.Array
	// TLambda is the thickness t/lambda per pixel (NY, NX, 1).
	TLambda *multispectrum.Array
	Onsets  []float64 // onset shift per edge, eV (nil: none)

	E0, Alpha, Beta float64
	Axis            multispectrum.EnergyAxis // core-loss axis before shifts and cropping

	ZeroLossFWHM  float64 // eV
	PlasmonEnergy float64 // eV
	PlasmonWidth  float64 // eV
	PlasmonOrders int
	BackgroundA   float64 // background counts at the first channel
	BackgroundR   float64 // power-law exponent
	Noise         float64 // multiplier of the model before Poisson sampling (the reference's noise, 1)
	AddPoisson    bool    // Poisson noise on the core loss (else the noise-free model times Noise)
	LowLossScale  float64 // the low loss is multiplied by this (1e4)
	LowLossNoise  bool    // Poisson noise on the (scaled) low loss too
	Shifts        ShiftMode
	ShiftSpread   float64 // eV, for integer and subchannel shifts
	Seed          uint64
	Source        gos.Source
	KeepExpected  bool // also produce the noise-free core loss
}

// SeedScenario returns the reference's seed scenario (doc/algorithms.md 8,
// the reference notebook) on an n x n scan (n = 128 in the reference; other
// sizes scale the regions): C = 1 everywhere; N = 2 on the 20x20 square
// at (5,5) and 1 on the 20x30 rectangle at (90,90); O = 1 on the ring of
// radii 20-30 about the centre; Fe = 1 on the disc of radius 20 and 0.5
// on the ring; t/lambda proportional to sum Z_i map_i with maximum 1;
// 300 kV, alpha 1e-9 rad, beta 20 mrad; 2048 channels of 0.5 eV from
// 200 eV; zero loss FWHM 1 eV; plasmon 22 eV (width 5 eV, 5 orders);
// background 1000 (E)^-3; Poisson noise; integer shifts of up to 5
// channels; hydrogenic GOS.
func SeedScenario(n int) *Scenario {
	sc := &Scenario{NY: n, NX: n, Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"},
		E0: 300e3, Alpha: 1e-9, Beta: 20e-3, Axis: multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048},
		ZeroLossFWHM: 1, PlasmonEnergy: 22, PlasmonWidth: 5, PlasmonOrders: 5, BackgroundA: 1000, BackgroundR: 3,
		Noise: 1, AddPoisson: true, LowLossScale: 1e4, Shifts: IntegerShifts, ShiftSpread: 2.5, Seed: 1, Source: gos.Hydrogenic()}
	sc.Maps, sc.TLambda = SeedMaps(n)
	return sc
}

// SeedRegion names the regions of the seed scenario.
type SeedRegion int

const (
	Matrix     SeedRegion = iota // C only
	NSquare                      // N = 2
	NRectangle                   // N = 1
	Ring                         // O = 1, Fe = 0.5
	Disc                         // Fe = 1
)

func (r SeedRegion) String() string {
	names := [...]string{"matrix", "N square", "N rectangle", "O/Fe ring", "Fe disc"}
	if r < 0 || int(r) >= len(names) {
		return fmt.Sprintf("region %d", int(r))
	}
	return names[r]
}

// SeedRegionOf returns the region of pixel (iy, ix) of an n x n seed scan.
func SeedRegionOf(n, iy, ix int) SeedRegion {
	s := float64(n) / 128
	in := func(y0, x0, h, w float64) bool {
		return float64(iy) >= math.Round(y0*s) && float64(iy) < math.Round((y0+h)*s) &&
			float64(ix) >= math.Round(x0*s) && float64(ix) < math.Round((x0+w)*s)
	}
	c := float64(n / 2)
	r := math.Hypot(float64(iy)-c, float64(ix)-c)
	switch {
	case in(5, 5, 20, 20):
		return NSquare
	case in(90, 90, 20, 30):
		return NRectangle
	case r >= 20*s && r < 30*s:
		return Ring
	case r < 20*s:
		return Disc
	}
	return Matrix
}

// SeedMaps returns the abundance maps (C, N, O, Fe) and t/lambda of the
// seed scenario on an n x n scan.
func SeedMaps(n int) (maps, tlambda *multispectrum.Array) {
	maps = multispectrum.NewArray(n, n, 4)
	tlambda = multispectrum.NewArray(n, n, 1)
	zs := []float64{6, 7, 8, 26}
	for iy := 0; iy < n; iy++ {
		for ix := 0; ix < n; ix++ {
			m := maps.Pixel(iy, ix)
			m[0] = 1
			switch SeedRegionOf(n, iy, ix) {
			case NSquare:
				m[1] = 2
			case NRectangle:
				m[1] = 1
			case Ring:
				m[2], m[3] = 1, 0.5
			case Disc:
				m[3] = 1
			}
		}
	}
	NormalizeThickness(maps, tlambda, zs)
	return maps, tlambda
}

// NormalizeThickness sets tlambda = sum_k Z_k map_k, scaled to a maximum
// of 1, as the seed notebook does.
func NormalizeThickness(maps, tlambda *multispectrum.Array, zs []float64) {
	mx := 0.0
	for p := 0; p < maps.NY*maps.NX; p++ {
		t := 0.0
		for k, z := range zs {
			t += z * maps.Data[p*maps.Width+k]
		}
		tlambda.Data[p] = t
		mx = math.Max(mx, t)
	}
	if mx > 0 {
		for p := range tlambda.Data {
			tlambda.Data[p] /= mx
		}
	}
}

// Validate checks the scenario. The zero Scenario (and nil) is invalid:
// SeedScenario gives a complete one to start from. Every field is
// required except Onsets (nil: no onset shifts), ShiftSpread (0), Seed
// (0 is a seed like any other), BackgroundA (0: no background) and the
// booleans.
func (sc *Scenario) Validate() error {
	if sc == nil {
		return fmt.Errorf("simulate: no scenario")
	}
	switch {
	case sc.NY < 1 || sc.NX < 1:
		return fmt.Errorf("simulate: scan size %dx%d", sc.NY, sc.NX)
	case len(sc.Elements) == 0 || len(sc.Elements) != len(sc.Edges):
		return fmt.Errorf("simulate: %d elements but %d edges", len(sc.Elements), len(sc.Edges))
	case sc.Maps == nil || sc.Maps.NY != sc.NY || sc.Maps.NX != sc.NX || sc.Maps.Width != len(sc.Elements):
		return fmt.Errorf("simulate: abundance maps must be %dx%d with %d elements", sc.NY, sc.NX, len(sc.Elements))
	case sc.TLambda == nil || sc.TLambda.NY != sc.NY || sc.TLambda.NX != sc.NX:
		return fmt.Errorf("simulate: t/lambda map must be %dx%d", sc.NY, sc.NX)
	case sc.Onsets != nil && len(sc.Onsets) != len(sc.Elements):
		return fmt.Errorf("simulate: %d onset shifts for %d edges", len(sc.Onsets), len(sc.Elements))
	case !finite(sc.Onsets...):
		return fmt.Errorf("simulate: onset shifts %v must be finite", sc.Onsets)
	case !(sc.ZeroLossFWHM > 0) || !(sc.PlasmonEnergy > 0) || !(sc.PlasmonWidth > 0) || sc.PlasmonOrders < 1:
		return fmt.Errorf("simulate: zero-loss FWHM, plasmon energy and width must be positive, plasmon orders >= 1")
	case !(sc.BackgroundA >= 0) || !(sc.Noise > 0) || !(sc.LowLossScale > 0):
		return fmt.Errorf("simulate: background amplitude must not be negative, noise multiplier and low-loss scale must be positive")
	case !finite(sc.ZeroLossFWHM, sc.PlasmonEnergy, sc.PlasmonWidth, sc.BackgroundA, sc.BackgroundR, sc.Noise, sc.LowLossScale):
		return fmt.Errorf("simulate: zero-loss, plasmon, background, noise and low-loss parameters must be finite")
	case sc.Source == nil:
		return fmt.Errorf("simulate: no GOS source")
	}
	if err := sc.Axis.Validate(); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if err := (gos.Setup{E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta}).Validate(); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	for i, v := range sc.Maps.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("simulate: abundance map value %v at index %d (must be finite and >= 0)", v, i)
		}
	}
	for i, v := range sc.TLambda.Data {
		if math.IsNaN(v) || v < 0 || v > 10 {
			return fmt.Errorf("simulate: t/lambda %v at pixel %d (must be in [0, 10])", v, i)
		}
	}
	switch sc.Shifts {
	case NoShifts, IntegerShifts, SubchannelShifts, ReferenceShifts:
	default:
		return fmt.Errorf("simulate: shift mode %q (use none, integer, subchannel or reference)", sc.Shifts)
	}
	if !(sc.ShiftSpread >= 0) || !(sc.ShiftSpread/sc.Axis.Dispersion < float64(sc.Axis.Size)) || sc.maxShiftChannels() >= sc.Axis.Size/4 {
		return fmt.Errorf("simulate: shift spread %g eV is negative or too large for %d channels", sc.ShiftSpread, sc.Axis.Size)
	}
	return nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// maxShiftChannels returns the largest |shift| in whole channels
// (rounded up), which is cropped from both ends of the stored axes.
func (sc *Scenario) maxShiftChannels() int {
	switch sc.Shifts {
	case IntegerShifts, SubchannelShifts:
		return int(math.Ceil(sc.ShiftSpread/sc.Axis.Dispersion - 1e-9))
	case ReferenceShifts:
		amp := 0.005 * float64(sc.Axis.Size-1) * sc.Axis.Dispersion
		return int(amp)
	}
	return 0
}

// Params returns the scenario as provenance parameters (of a valid
// scenario; without a Source, "gos" is empty).
func (sc *Scenario) Params() map[string]any {
	gosName, gosRef := "", ""
	if sc.Source != nil {
		gosName, gosRef = sc.Source.Name(), sc.Source.Reference()
	}
	return map[string]any{
		"scan": []int{sc.NY, sc.NX}, "elements": strings.Join(sc.Elements, ","), "edges": strings.Join(sc.Edges, ","),
		"onsets_eV": sc.Onsets, "E0_V": sc.E0, "alpha_rad": sc.Alpha, "beta_rad": sc.Beta,
		"offset_eV": sc.Axis.Offset, "dispersion_eV": sc.Axis.Dispersion, "channels": sc.Axis.Size,
		"zero_loss_fwhm_eV": sc.ZeroLossFWHM, "plasmon_energy_eV": sc.PlasmonEnergy, "plasmon_width_eV": sc.PlasmonWidth,
		"plasmon_orders": sc.PlasmonOrders, "background_A": sc.BackgroundA, "background_r": sc.BackgroundR,
		"noise": sc.Noise, "poisson": sc.AddPoisson, "lowloss_scale": sc.LowLossScale, "lowloss_noise": sc.LowLossNoise,
		"shifts": string(sc.Shifts), "shift_spread_eV": sc.ShiftSpread, "seed": sc.Seed,
		"gos": gosName, "gos_reference": gosRef,
	}
}

func gosSetup(sc *Scenario) gos.Setup { return gos.Setup{E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta} }
