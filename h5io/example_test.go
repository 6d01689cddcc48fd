package h5io_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// Example writes a processing file from simulated cubes, quantifies it
// into a quant step with quant.Run (what 'eelsh5 quant --align none'
// does), and opens the step again to read its results.
func Example() {
	dir, err := os.MkdirTemp("", "eelsh5-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "scan.nxs")

	// A processing file with an 8 x 8 simulated scan, noise free and
	// without shifts (so that it needs no alignment).
	sc := simulate.SeedScenario(8)
	sc.AddPoisson, sc.Shifts = false, simulate.NoShifts
	sim, err := simulate.Run(context.Background(), sc, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := h5io.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = f.InitProcessingFile("example", "eelsh5 example", sc.Instrument(), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	for p, c := range map[string]*multispectrum.Cube{h5io.CoreLossPath: sim.CoreLoss, h5io.LowLossPath: sim.LowLoss} {
		if err != nil {
			break
		}
		var d *h5io.Dataset
		if d, err = f.CreateCube(p, h5io.CubeSpec{NY: c.NY, NX: c.NX, Axis: c.Axis}); err == nil {
			err = d.WriteRegion(c.Bounds(), c.Data)
			d.Close()
		}
	}
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}

	// Quantify into /entry/quant.
	f, err = h5io.OpenWritable(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	inst, _ := f.ReadInstrument()
	in, err := f.OpenFitInput("raw")
	if err != nil {
		fmt.Println(err)
		return
	}
	dst := f.NewFitStepDestination(h5io.FitStepOptions{Step: h5io.StepQuant, Input: in,
		Provenance: &multispectrum.Provenance{Program: "example", Version: "0", Step: "quant", Created: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}})
	_, err = quant.Run(context.Background(), in.QuantInput(inst, true), dst,
		quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 6})
	dst.Close()
	in.Close()
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}

	// Read the step back.
	f, err = h5io.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	step, err := f.OpenFitStep("/entry/quant")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("fit of", step.CoreLoss, "convolved with", step.LowLoss, "by", step.Method)
	fmt.Println("edges:", step.Labels)
	comp, err := step.ReadStream(quant.StreamComposition)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("composition of pixel 0,0: C %.1f at.%%, N %.1f at.%%\n", comp.Pixel(0, 0)[0], comp.Pixel(0, 0)[1])
	cov, err := step.Covariance(0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("covariance:", cov.SymmetricDim(), "parameters")
	sum, err := step.Summary()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("summary regions:", len(sum.Regions), "first:", sum.Regions[0].Name)
	// Output:
	// fit of /entry/coreloss convolved with /entry/lowloss by wls
	// edges: [C K N K O K Fe L]
	// composition of pixel 0,0: C 33.4 at.%, N 66.7 at.%
	// covariance: 10 parameters
	// summary regions: 1 first: whole map
}
