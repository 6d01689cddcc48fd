package quant_test

import (
	"context"
	"fmt"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// ExampleRun quantifies a simulated 16 x 16 seed scan in memory: align on
// the zero loss, then fit a 6-term background and the C, N, O K and Fe L
// edges convolved with each pixel's low loss. The simulation is noise
// free, so the recovered ratios equal the truth.
func ExampleRun() {
	ctx := context.Background()
	sc := simulate.SeedScenario(16)
	sc.AddPoisson = false
	sim, err := simulate.Run(ctx, sc, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	aligned := &aligners.Memory{}
	if _, err := aligners.Run(ctx, aligners.CubeInput(sim.LowLoss, sim.CoreLoss), aligned, aligners.RunOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	in := quant.CubeInput(aligned.Cubes[1], aligned.Cubes[0], sc.Instrument())
	in.Truth = sc.Maps
	maps := quant.NewMemory()
	res, err := quant.Run(ctx, in, maps, quant.Options{Elements: []string{"C", "N", "O", "Fe"}, Edges: []string{"K", "K", "K", "L"}, BackgroundTerms: 6})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("parameters:", len(res.Plan.Names()), "elements:", res.Plan.Labels())
	for _, r := range res.Summary.Regions {
		if st, ok := r.Ratios["N/C"]; ok && st.Truth > 0 {
			fmt.Printf("%s: N/C %.3f (truth %g)\n", r.Name, st.RatioOfMean, st.Truth)
		}
	}
	iN, _ := res.Plan.Amplitude("N", "K")
	cov := maps.Covariance(2, 2)
	fmt.Printf("pixel 2,2: N K amplitude %.3f +- %.3f\n", maps.Pixel(quant.StreamCoefficients, 2, 2)[iN], maps.Pixel(quant.StreamCoefficientErrors, 2, 2)[iN])
	fmt.Println("covariance matrix:", cov.SymmetricDim(), "x", cov.SymmetricDim())
	// Output:
	// parameters: 10 elements: [C K N K O K Fe L]
	// truth C=1 N=1: N/C 1.000 (truth 1)
	// truth C=1 N=2: N/C 1.999 (truth 2)
	// pixel 2,2: N K amplitude 2.000 +- 0.105
	// covariance matrix: 10 x 10
}
