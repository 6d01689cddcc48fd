package components

import (
	"math/rand/v2"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// TestLowLossKernelMatchesDirectLoop: SetSpectrum's kernel, built from
// three copies of the padded low loss, equals the direct definition
// h[d mod P] = l~((d + z0) mod N) for |d| < n (0 where that index is
// beyond the n channels), the loop of the code before the copies, to the
// bit, for every model size n < 70, low-loss size p <= n and position
// of the zero-loss peak: the cases where the reference's wrap-around
// leaks in from below, from above, both or neither.
func TestLowLossKernelMatchesDirectLoop(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 1))
	for n := 1; n < 70; n++ {
		for p := 1; p <= n; p++ {
			mAx := multispectrum.EnergyAxis{Offset: 0, Dispersion: 1, Size: n}
			lAx := multispectrum.EnergyAxis{Offset: 0, Dispersion: 1, Size: p}
			l, err := NewLowLoss(mAx, lAx)
			if err != nil {
				t.Fatal(err)
			}
			for zp := 0; zp < p; zp++ {
				ll := make([]float64, p)
				for i := range ll {
					ll[i] = rnd.Float64()
				}
				ll[zp] = 5
				if err := l.SetSpectrum(ll); err != nil {
					t.Fatal(err)
				}
				// the direct definition
				P := len(l.h)
				h := make([]float64, P)
				N := l.wrapN
				z := l.z0
				if z != l.before+zp {
					t.Fatalf("n=%d p=%d: z0 = %d, peak at %d", n, p, z, l.before+zp)
				}
				for d := -(l.n - 1); d <= l.n-1; d++ {
					r := d + z
					if r < 0 {
						r += N
					} else if r >= N {
						r -= N
					}
					if r < l.n {
						i := d
						if i < 0 {
							i += P
						}
						h[i] = l.norm[r]
					}
				}
				for i := range h {
					if h[i] != l.h[i] {
						t.Fatalf("n=%d p=%d zp=%d: h[%d] %v vs %v", n, p, zp, i, l.h[i], h[i])
					}
				}
			}
		}
	}
}
