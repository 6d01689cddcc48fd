package classic_test

import (
	"fmt"
	"math"

	"github.com/eelsh5/eelsh5/classic"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// A low loss of one pixel: a Gaussian zero loss of 1000 counts in all and
// a flat inelastic part of 1000 (e^0.5 - 1) counts from 10 to 60 eV, so
// that t/lambda = ln(I_total / I_0) = 0.5 with the standard deviation
// sqrt(648.7 / (1000 x 1648.7)) = 0.0198, and with the Malis mean free path
// of Si at 200 kV and 10 mrad (125.3 nm) t = 62.7 nm.
func ExampleThickness() {
	low := multispectrum.NewCube(1, 1, multispectrum.EnergyAxis{Offset: -5, Dispersion: 0.25, Size: 400})
	sigma := 0.5 // eV
	for i := range low.Width {
		e := low.Axis.Energy(i)
		low.Data[i] = 1000 * 0.25 / (sigma * math.Sqrt(2*math.Pi)) * math.Exp(-e*e/(2*sigma*sigma))
		if e >= 10 && e < 60 {
			low.Data[i] += 1000 * math.Expm1(0.5) / 200 // 200 channels
		}
	}
	var m classic.Memory
	opts := classic.ThicknessOptions{MeanFreePath: classic.Malis, E0: 200e3, Beta: 10e-3, Zeff: 14}
	if _, err := classic.Thickness(classic.CubeInput(low, nil), opts, &m, classic.RunOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("t/lambda %.4f +- %.4f, I0 %.1f counts, t = %.1f nm\n", m.Array(classic.TLambdaName).Data[0],
		m.Array(classic.TLambdaErrorName).Data[0], m.Array(classic.ZeroLossName).Data[0], m.Array(classic.ThicknessName).Data[0])
	// Output:
	// t/lambda 0.5000 +- 0.0198, I0 1000.0 counts, t = 62.7 nm
}
