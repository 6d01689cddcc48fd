package multispectrum

import "fmt"

// Spectrum is a single spectrum on an energy axis.
type Spectrum struct {
	Axis EnergyAxis
	Data []float64 // counts per channel, length Axis.Size
}

// NewSpectrum returns a zero spectrum on the axis.
func NewSpectrum(a EnergyAxis) *Spectrum {
	return &Spectrum{Axis: a, Data: make([]float64, a.Size)}
}

// Crop returns a copy of channels [i0, i1).
func (s *Spectrum) Crop(i0, i1 int) *Spectrum {
	ax := s.Axis.Crop(i0, i1)
	return &Spectrum{Axis: ax, Data: append([]float64(nil), s.Data[i0:i1]...)}
}

// Integrate returns the sum of the data over channels [i0, i1) (no
// multiplication by the dispersion, doc/algorithms.md 1.3).
func (s *Spectrum) Integrate(i0, i1 int) float64 {
	var sum float64
	for _, v := range s.Data[i0:i1] {
		sum += v
	}
	return sum
}

// Mask is an exclusion mask over the channels of an axis: true means the
// channel is excluded from fits. One mask is shared by all pixels.
type Mask []bool

// NewMask returns a mask of n channels with nothing excluded.
func NewMask(n int) Mask { return make(Mask, n) }

// Exclude marks channels [i0, i1) excluded (end exclusive, as the reference).
func (m Mask) Exclude(i0, i1 int) {
	if i0 < 0 || i1 > len(m) || i0 > i1 {
		panic(fmt.Sprintf("multispectrum: exclude range [%d, %d) outside %d channels", i0, i1, len(m)))
	}
	for i := i0; i < i1; i++ {
		m[i] = true
	}
}

// Include marks channels [i0, i1) included.
func (m Mask) Include(i0, i1 int) {
	if i0 < 0 || i1 > len(m) || i0 > i1 {
		panic(fmt.Sprintf("multispectrum: include range [%d, %d) outside %d channels", i0, i1, len(m)))
	}
	for i := i0; i < i1; i++ {
		m[i] = false
	}
}

// Included returns the number of channels that are not excluded.
func (m Mask) Included() int {
	n := 0
	for _, x := range m {
		if !x {
			n++
		}
	}
	return n
}

// IncludedIndices returns the indices of the channels that are not excluded.
func (m Mask) IncludedIndices() []int {
	idx := make([]int, 0, len(m))
	for i, x := range m {
		if !x {
			idx = append(idx, i)
		}
	}
	return idx
}
