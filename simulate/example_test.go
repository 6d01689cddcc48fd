package simulate_test

import (
	"context"
	"fmt"

	"github.com/eelsh5/eelsh5/simulate"
)

// ExampleRun simulates the seed scenario on an 8 x 8 scan in memory.
func ExampleRun() {
	sc := simulate.SeedScenario(8)
	sim, err := simulate.Run(context.Background(), sc, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("edges:", sim.Labels)
	fmt.Println("core loss:", sim.CoreLoss.NY, "x", sim.CoreLoss.NX, "pixels,", sim.CoreLoss.Axis)
	fmt.Println("low loss: ", sim.LowLoss.Axis)
	fmt.Printf("true shift of pixel 0: %.1f eV\n", sim.Shifts[0])
	// Output:
	// edges: [C K N K O K Fe L]
	// core loss: 8 x 8 pixels, 2038 channels from 202.5 eV, 0.5 eV/channel
	// low loss:  2038 channels from -7.5 eV, 0.5 eV/channel
	// true shift of pixel 0: 0.0 eV
}
