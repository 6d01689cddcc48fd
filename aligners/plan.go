package aligners

import (
	"fmt"
	"math"
	"slices"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Plan applies per-pixel shifts to spectra: the output axes and, per
// pixel, where each output channel is read from. The same shifts apply
// channel by channel to the low loss and to every other cube of equal
// dispersion (doc/algorithms.md 7).
type Plan struct {
	Shifts  []float64 // eV per pixel: the feature at Shifts[p] moves to 0 eV
	Integer bool      // whole-channel shifts: copies, no interpolation
	disp    float64
	off     float64 // offset of the axis the shifts were measured on
	// Integer: output channel j of pixel p reads input j + k(p) - kmin,
	// k(p) the input channel of the pixel's peak. Sub-channel: it reads
	// fractional input j + c0 + Shifts[p]/disp.
	kmin, c0 int
	cut      int     // channels removed in total (the output has n - cut)
	recal    float64 // integer: energy of channel kmin, relabelled 0 eV
}

// NewPlan makes a plan from the shifts (eV) of every pixel; the shifts of
// pixels whose status is not OK are replaced by the median of the good
// ones. With integer set, every shift must be a whole number of channels
// and the cropping rule of the fast aligner applies (7.2: the output
// keeps n - (max - min) channels, even); otherwise that of 7.5 (ceil of
// the extreme shifts cut at each end, even). axis is the axis the shifts
// were measured on (the low loss).
func NewPlan(shifts []float64, status []Status, axis multispectrum.EnergyAxis, integer bool) (*Plan, error) {
	if len(shifts) != len(status) || len(shifts) == 0 {
		return nil, fmt.Errorf("aligners: %d shifts and %d status values", len(shifts), len(status))
	}
	var good []float64
	for p, v := range shifts {
		if status[p] == OK {
			good = append(good, v)
		}
	}
	if len(good) == 0 {
		return nil, fmt.Errorf("aligners: no pixel has a usable zero-loss peak")
	}
	slices.Sort(good)
	med := good[len(good)/2]
	if len(good)%2 == 0 {
		med = (good[len(good)/2-1] + good[len(good)/2]) / 2
	}
	if integer {
		med = axis.Energy(axis.Index(med)) // keep whole channels
	}
	pl := &Plan{Shifts: make([]float64, len(shifts)), Integer: integer, disp: axis.Dispersion, off: axis.Offset}
	for p, v := range shifts {
		if status[p] != OK {
			v = med
		}
		pl.Shifts[p] = v
	}
	lo, hi := slices.Min(pl.Shifts), slices.Max(pl.Shifts)
	if integer {
		// The reference rolls pixel p by s = z - k(p) and keeps
		// n - (smax - smin) channels; equivalently output channel j reads
		// input j + k(p) - kmin, so every peak lands on output channel
		// kmin, whose energy is relabelled 0 eV.
		kmin := int(math.Round((lo - axis.Offset) / axis.Dispersion))
		kmax := int(math.Round((hi - axis.Offset) / axis.Dispersion))
		pl.cut = kmax - kmin
		pl.kmin = kmin
		pl.recal = axis.Energy(kmin)
	} else {
		a, b := math.Max(0, -lo), math.Max(0, hi)
		pl.c0 = int(math.Ceil(a/axis.Dispersion - 1e-9))
		pl.cut = pl.c0 + int(math.Ceil(b/axis.Dispersion-1e-9))
	}
	if pl.cut >= axis.Size/2 {
		return nil, fmt.Errorf("aligners: shifts from %g to %g eV would crop %d of %d channels", lo, hi, pl.cut, axis.Size)
	}
	return pl, nil
}

// Axis returns the output axis of an input axis in (low loss or another
// cube with the same dispersion), or an error when the dispersions differ.
func (pl *Plan) Axis(in multispectrum.EnergyAxis) (multispectrum.EnergyAxis, error) {
	if math.Abs(in.Dispersion-pl.disp) > 1e-9*pl.disp {
		return multispectrum.EnergyAxis{}, fmt.Errorf("aligners: dispersion %g eV differs from the low loss's %g eV", in.Dispersion, pl.disp)
	}
	n := in.Size - pl.cut
	if n%2 == 1 {
		n-- // even length, as the reference (7.2, 7.5)
	}
	if n < 2 {
		return multispectrum.EnergyAxis{}, fmt.Errorf("aligners: nothing left of %d channels after cropping %d", in.Size, pl.cut)
	}
	if pl.Integer {
		// Output channel 0 holds the energies of input channel 0 of a
		// pixel whose peak is at kmin; moving that peak to 0 eV moves
		// every energy by -E(kmin).
		return multispectrum.EnergyAxis{Offset: in.Offset - pl.recal, Dispersion: in.Dispersion, Size: n}, nil
	}
	return multispectrum.EnergyAxis{Offset: in.Energy(pl.c0), Dispersion: in.Dispersion, Size: n}, nil
}

// Apply writes the aligned spectrum of pixel p (dst, length of the output
// axis) from its input spectrum src.
func (pl *Plan) Apply(dst, src []float64, p int) {
	if pl.Integer {
		k := int(math.Round((pl.Shifts[p] - pl.off) / pl.disp))
		off := k - pl.kmin
		for j := range dst {
			if i := j + off; i >= 0 && i < len(src) {
				dst[j] = src[i]
			} else {
				dst[j] = 0
			}
		}
		return
	}
	s := pl.Shifts[p] / pl.disp
	for j := range dst {
		// Zero one channel beyond each end: the axis extended with its
		// own dispersion, the recommended fix of doc/algorithms.md 7.5.
		dst[j] = multispectrum.SampleLinear(src, float64(j+pl.c0)+s)
	}
}
