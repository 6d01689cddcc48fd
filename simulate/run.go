package simulate

import (
	"context"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Cubes are the simulated spectrum images of a scenario, in memory.
type Cubes struct {
	CoreLoss, LowLoss *multispectrum.Cube
	// Expected is the noise-free core loss (Scenario.KeepExpected), else
	// nil.
	Expected *multispectrum.Cube
	// Shifts are the true per-pixel energy shifts, eV.
	Shifts []float64
	// Labels are the edge labels ("C K", ...), the components of
	// Scenario.Maps.
	Labels []string
}

// Run simulates the scenario into memory on workers goroutines (0: all
// cores). Large scans are better streamed into a file with Simulator.Tile
// (as eelsh5 simulate does): the cubes take 16 bytes per channel and
// pixel here.
func Run(ctx context.Context, sc *Scenario, workers int) (*Cubes, error) {
	s, err := New(sc)
	if err != nil {
		return nil, err
	}
	c := &Cubes{CoreLoss: multispectrum.NewCube(sc.NY, sc.NX, s.CoreAxis()), LowLoss: multispectrum.NewCube(sc.NY, sc.NX, s.LowAxis()),
		Shifts: s.Shifts(), Labels: s.Labels()}
	sink := multispectrum.ArraySink{&c.CoreLoss.Array, &c.LowLoss.Array}
	if sc.KeepExpected {
		c.Expected = multispectrum.NewCube(sc.NY, sc.NX, s.CoreAxis())
		sink = append(sink, &c.Expected.Array)
	}
	opts := []multispectrum.ProcessOption{}
	if workers > 0 {
		opts = append(opts, multispectrum.Workers(workers))
	}
	err = multispectrum.Process(ctx, multispectrum.NoSource{}, sink, multispectrum.NewTiling(sc.NY, sc.NX, min(16, sc.NY), min(16, sc.NX)),
		s.Layout(), s.NewWorkspace, s.Tile, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Instrument returns the scenario's instrument (E0, alpha, beta).
func (sc *Scenario) Instrument() multispectrum.Instrument {
	inst := multispectrum.UnknownInstrument()
	inst.BeamEnergy, inst.Convergence, inst.Collection = sc.E0, sc.Alpha, sc.Beta
	return inst
}
