package simd

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGramWide times the wide-design Gram (asmGramWide) against the
// sweep of 2 x 4 blocks it replaces, side by side, at the fine
// structure's widths:
//
//	go test -run '^$' -bench GramWide -count 5 ./internal/simd
func BenchmarkGramWide(b *testing.B) {
	if !hasAsm {
		b.Skip("no assembly kernels")
	}
	const n = 2028
	for _, p := range []int{16, 40, 130} {
		a, y, w := testData(rand.New(rand.NewPCG(6, 17)), n, p)
		g, aty := make([]float64, p*p), make([]float64, p)
		for _, wide := range []bool{true, false} {
			b.Run(fmt.Sprintf("p=%d/wide=%v", p, wide), func(b *testing.B) {
				was := gramWide
				gramWide = wide
				defer func() { gramWide = was }()
				for b.Loop() {
					Gram(g, p, aty, a, n, p, y, w)
				}
				b.ReportMetric(float64(n*(p+1)*(p+2)/2)/b.Elapsed().Seconds()*float64(b.N)/1e9, "Gmuladd/s")
			})
		}
	}
}
