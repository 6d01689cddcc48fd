package classic

import (
	"testing"

	"github.com/eelsh5/eelsh5/gos"
)

// TestPixelsAllocateNothing: the per-pixel work of thickness, the edge
// integration (both background methods) and both deconvolutions allocates
// nothing once its workspace exists.
func TestPixelsAllocateNothing(t *testing.T) {
	sc, c := seedRegions(t, 1)
	low, core := c.LowLoss.Pixel(3, 0), c.CoreLoss.Pixel(3, 0)
	in := CubeInput(c.LowLoss, c.CoreLoss)
	_, ws, err := integratePlan(in, IntegrateOptions{Edges: []EdgeWindows{{Element: "C", Edge: "K"}, {Element: "Fe", Edge: "L"}},
		Source: gos.Hydrogenic(), E0: sc.E0, Alpha: sc.Alpha, Beta: sc.Beta})
	if err != nil {
		t.Fatal(err)
	}
	_, fr, err := deconvolvePlan(in, DeconvolveOptions{Method: FourierRatio, FWHM: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, fl, err := deconvolvePlan(in, DeconvolveOptions{Method: FourierLog, FWHM: 1})
	if err != nil {
		t.Fatal(err)
	}
	wr, wl := fr.newWork(), fl.newWork()
	out, outL := make([]float64, len(core)), make([]float64, len(low))
	for name, f := range map[string]func(){
		"thickness minimum": func() { thicknessPixel(low, c.LowLoss.Axis, FirstMinimum) },
		"thickness fit":     func() { thicknessPixel(low, c.LowLoss.Axis, GaussianFit) },
		"integrate loglog":  func() { edgeSignal(core, c.CoreLoss.Axis, &ws[1], LogLog) },
		"integrate 2-area":  func() { edgeSignal(core, c.CoreLoss.Axis, &ws[1], TwoArea) },
		"fourier-ratio":     func() { fr.fourierRatio(wr, out, core, low) },
		"fourier-log":       func() { fl.fourierLog(wl, outL, low) },
		"low-loss integral": func() { lowLossIntegral(low, c.LowLoss.Axis, 50) },
	} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %g allocations a pixel", name, n)
		}
	}
}
