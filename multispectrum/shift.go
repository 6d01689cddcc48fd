package multispectrum

import "math"

// Roll circularly shifts src by k channels into dst with numpy.roll
// semantics: dst[(i+k) mod n] = src[i]. A negative k moves features
// towards lower indices. dst and src must have equal length and must not
// overlap.
func Roll(dst, src []float64, k int) []float64 {
	n := len(src)
	if len(dst) != n {
		panic("multispectrum: slice lengths do not match")
	}
	if n == 0 {
		return dst
	}
	k %= n
	if k < 0 {
		k += n
	}
	copy(dst[k:], src[:n-k])
	copy(dst[:k], src[n-k:])
	return dst
}

// SampleLinear returns v at fractional index u by linear interpolation,
// exact at whole indices; v is taken as zero outside [0, n-1], with the
// zero one index beyond each end (as in ShiftLinear).
func SampleLinear(v []float64, u float64) float64 {
	j := int(math.Floor(u))
	f := u - float64(j)
	at := func(i int) float64 {
		if i < 0 || i >= len(v) {
			return 0
		}
		return v[i]
	}
	if f == 0 {
		return at(j)
	}
	return (1-f)*at(j) + f*at(j+1)
}

// ShiftLinear samples src at the fractional positions i+s (s in channels)
// by linear interpolation and writes them to dst: a feature at channel
// position p in src appears at p-s in dst (doc/algorithms.md 7.5). src is
// taken as zero outside [0, n-1], with the zero one channel beyond each
// end (the axis is extended with the spectrum's own dispersion, the
// recommended fix of the reference's 1 eV extension). dst and src must
// have equal length and must not overlap.
func ShiftLinear(dst, src []float64, s float64) []float64 {
	n := len(src)
	if len(dst) != n {
		panic("multispectrum: slice lengths do not match")
	}
	fl := math.Floor(s)
	k := int(fl)
	f := s - fl // in [0, 1)
	at := func(j int) float64 {
		if j < 0 || j >= n {
			return 0
		}
		return src[j]
	}
	for i := range dst {
		j := i + k
		if f == 0 {
			dst[i] = at(j)
			continue
		}
		dst[i] = (1-f)*at(j) + f*at(j+1)
	}
	return dst
}
