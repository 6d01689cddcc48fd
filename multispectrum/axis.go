package multispectrum

import (
	"fmt"
	"math"
)

// EnergyAxis is a uniform energy-loss axis: channel i is at
// Offset + i*Dispersion eV (doc/algorithms.md 1.2, first-channel convention).
type EnergyAxis struct {
	Offset     float64 // energy of channel 0, eV
	Dispersion float64 // channel width, eV per channel
	Size       int     // number of channels
}

// Validate reports whether the axis is usable: a positive finite dispersion,
// a finite offset and at least one channel.
func (a EnergyAxis) Validate() error {
	switch {
	case a.Size < 1:
		return fmt.Errorf("multispectrum: energy axis has %d channels", a.Size)
	case !(a.Dispersion > 0) || math.IsInf(a.Dispersion, 0):
		return fmt.Errorf("multispectrum: energy axis dispersion %v eV is not a positive finite number", a.Dispersion)
	case math.IsNaN(a.Offset) || math.IsInf(a.Offset, 0):
		return fmt.Errorf("multispectrum: energy axis offset %v eV is not finite", a.Offset)
	}
	return nil
}

// Energy returns the energy of channel i in eV.
func (a EnergyAxis) Energy(i int) float64 { return a.Offset + float64(i)*a.Dispersion }

// Last returns the energy of the last channel in eV.
func (a EnergyAxis) Last() float64 { return a.Energy(a.Size - 1) }

// Energies fills dst with the channel energies and returns it. If dst is
// nil a new slice is allocated; otherwise it must have length Size.
func (a EnergyAxis) Energies(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, a.Size)
	}
	if len(dst) != a.Size {
		panic("multispectrum: energy slice length mismatch")
	}
	for i := range dst {
		dst[i] = a.Energy(i)
	}
	return dst
}

// Index converts an energy to a channel index with the reference rule of
// doc/algorithms.md 1.3 (get_energy_index): 0 if E < Energy(0); Size (one past
// the end) if E >= Energy(Size-1); otherwise the nearest channel, an exact
// half-way value rounding down.
func (a EnergyAxis) Index(e float64) int {
	if e < a.Offset {
		return 0
	}
	if e >= a.Last() {
		return a.Size
	}
	x := (e - a.Offset) / a.Dispersion
	i := int(math.Floor(x))
	if x-float64(i) > 0.5 {
		i++
	}
	return i
}

// Crop returns the axis of channels [i0, i1).
// It panics if the range is outside [0, Size] or empty.
func (a EnergyAxis) Crop(i0, i1 int) EnergyAxis {
	if i0 < 0 || i1 > a.Size || i0 >= i1 {
		panic(fmt.Sprintf("multispectrum: crop [%d, %d) outside axis of %d channels", i0, i1, a.Size))
	}
	return EnergyAxis{Offset: a.Energy(i0), Dispersion: a.Dispersion, Size: i1 - i0}
}

// Equal reports whether two axes have the same size and offsets and
// dispersions equal within a relative 1e-9 (float32 storage rounds them).
func (a EnergyAxis) Equal(b EnergyAxis) bool {
	return a.Size == b.Size && closeRel(a.Offset, b.Offset, a.Dispersion) && closeRel(a.Dispersion, b.Dispersion, a.Dispersion)
}

func closeRel(x, y, scale float64) bool {
	return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(scale), math.Max(math.Abs(x), math.Abs(y)))
}

func (a EnergyAxis) String() string {
	return fmt.Sprintf("%d channels from %g eV, %g eV/channel", a.Size, a.Offset, a.Dispersion)
}
