package aligners

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Plan applies per-pixel shifts to spectra: the output axes and, per
// pixel, where each output channel is read from. The same shifts apply
// channel by channel to the low loss and to every other cube of equal
// dispersion (doc/algorithms.md 7).
//
// Pixel p's aligned spectrum at E is its input at E + Shifts[p]. The
// cropping is relative to the median zero-loss position, as the
// reference's is after it moves its axes by the median (7.1): every
// pixel is moved by its shift minus the median (rounded to a channel),
// which costs channels at the ends only for the spread of the shifts,
// and the axes are relabelled by the median, so that every zero loss is
// at 0 eV. Zero losses between 30 and 50 eV thus crop 20 eV of
// channels, not 50.
type Plan struct {
	// Shifts are the applied shifts, eV per pixel: the feature at
	// Shifts[p] moves to 0 eV. A pixel without a usable peak has the
	// median of the others.
	Shifts []float64
	// Median is the median of the usable shifts rounded to the nearest
	// channel of the measured axis (eV): the energy relabelled 0 eV.
	Median  float64
	Integer bool    // whole-channel shifts: copies, no interpolation
	disp    float64 // of the axis the shifts were measured on
	// Output channel j of pixel p reads the (fractional) input channel
	// j + c0 + (Shifts[p] - Median)/disp; for Integer plans that is a
	// whole channel and the value is copied.
	c0  int
	cut int // channels removed in total (the output has n - cut)
}

// NewPlan makes a plan from the shifts (eV) of every pixel; the shifts of
// pixels whose status is not OK are replaced by the median of the good
// ones (for integer plans rounded to a channel). With integer set, every
// shift must be a whole number of channels (the fast aligner, 7.2) and
// the spectra are copied; otherwise they are interpolated (7.5). Both
// crop relative to the median (see Plan): with d = shift - median,
// ceil(max(0, -min d)/disp) channels go at the start and
// ceil(max(0, max d)/disp) at the end, and one more at the end when the
// length would be odd. For whole-channel shifts this equals the
// reference's n - (kmax - kmin) of 7.2. axis is the axis the shifts were
// measured on (the low loss).
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
		return nil, ErrNoUsablePeak
	}
	slices.Sort(good)
	med := good[len(good)/2]
	if len(good)%2 == 0 {
		med = (good[len(good)/2-1] + good[len(good)/2]) / 2
	}
	// The median on the nearest channel (get_energy_index, an exact
	// half-way value rounding down): the reference's median is one of
	// argmax energies (7.1), and the aligned axes then have a channel at
	// exactly 0 eV.
	k := min(axis.Index(med), axis.Size-1)
	pl := &Plan{Shifts: make([]float64, len(shifts)), Median: axis.Energy(k), Integer: integer, disp: axis.Dispersion}
	if integer {
		med = pl.Median // keep whole channels
	}
	for p, v := range shifts {
		if status[p] != OK {
			v = med
		}
		pl.Shifts[p] = v
	}
	lo, hi := slices.Min(pl.Shifts), slices.Max(pl.Shifts)
	if integer {
		// The reference rolls pixel p by z - k(p) and keeps
		// n - (kmax - kmin) channels: output channel j reads input
		// j + k(p) - kmin = j + c0 + k(p) - kmed with c0 = kmed - kmin.
		kmin := int(math.Round((lo - axis.Offset) / axis.Dispersion))
		kmax := int(math.Round((hi - axis.Offset) / axis.Dispersion))
		pl.c0 = k - kmin
		pl.cut = kmax - kmin
	} else {
		a, b := math.Max(0, pl.Median-lo), math.Max(0, hi-pl.Median)
		pl.c0 = int(math.Ceil(a/axis.Dispersion - 1e-9))
		pl.cut = pl.c0 + int(math.Ceil(b/axis.Dispersion-1e-9))
	}
	if pl.cut >= axis.Size/2 {
		return nil, fmt.Errorf("aligners: shifts from %g to %g eV (median %g eV) would crop %d of %d channels", lo, hi, pl.Median, pl.cut, axis.Size)
	}
	return pl, nil
}

// ErrNoUsablePeak: no pixel of the measured cube has a usable zero-loss
// peak, so there is nothing to align on.
var ErrNoUsablePeak = errors.New("aligners: no pixel has a usable zero-loss peak")

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
	// Output channel j of the median pixel reads input channel j + c0;
	// relabelling the median as 0 eV moves every energy by -Median.
	return multispectrum.EnergyAxis{Offset: in.Energy(pl.c0) - pl.Median, Dispersion: in.Dispersion, Size: n}, nil
}

// Apply writes the aligned spectrum of pixel p (dst, length of the output
// axis) from its input spectrum src.
func (pl *Plan) Apply(dst, src []float64, p int) {
	if pl.Integer {
		off := pl.c0 + int(math.Round((pl.Shifts[p]-pl.Median)/pl.disp))
		for j := range dst {
			if i := j + off; i >= 0 && i < len(src) {
				dst[j] = src[i]
			} else {
				dst[j] = 0
			}
		}
		return
	}
	s := (pl.Shifts[p] - pl.Median) / pl.disp
	for j := range dst {
		// Zero one channel beyond each end: the axis extended with its
		// own dispersion, the recommended fix of doc/algorithms.md 7.5.
		dst[j] = multispectrum.SampleLinear(src, float64(j+pl.c0)+s)
	}
}
