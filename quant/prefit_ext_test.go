package quant_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// TestEstimateOnsets: the seed scenario (noise free, 32 x 32, no energy
// shifts) simulated with known onset shifts of 0, +1.5, -1 and +3 eV
// for C K, N K, O K and Fe L. The simulator moves the tabulated onsets,
// which act in whole channels (0.5 eV), so the truths are whole channels
// and the estimates must find them within a tenth of a channel. The
// quantification with the estimated shifts then recovers the ratios
// within 1%, as with known onsets.
func TestEstimateOnsets(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("fits 256 spectra some 40 times")
	}
	ctx := context.Background()
	sc := simulate.SeedScenario(32)
	sc.AddPoisson, sc.Shifts = false, simulate.NoShifts
	truth := []float64{0, 1.5, -1, 3}
	sc.Onsets = truth
	sim, err := simulate.Run(ctx, sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := quant.CubeInput(sim.CoreLoss, sim.LowLoss, sc.Instrument())
	in.Truth = sc.Maps
	res, err := quant.Run(ctx, in, quant.NewMemory(), quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 6, EstimateOnsets: true})
	if err != nil {
		t.Fatal(err)
	}
	est := res.Plan.Onsets()
	if len(est) != len(truth) {
		t.Fatalf("%d estimates: %+v", len(est), est)
	}
	for i, e := range est {
		t.Logf("%s: %+.3f eV +- %.3f (truth %+g)", e.Edge, e.Shift, e.Error, truth[i])
		if math.Abs(e.Shift-truth[i]) > 0.05 {
			t.Errorf("%s: onset shift %+.3f eV, truth %+g", e.Edge, e.Shift, truth[i])
		}
		if !(e.Error > 0) {
			t.Errorf("%s: error %g", e.Edge, e.Error)
		}
	}
	if got := res.Plan.Params()["onset_estimates"].([]quant.OnsetEstimate); len(got) != len(truth) {
		t.Errorf("the step's parameters hold %d onset estimates", len(got))
	}
	for _, r := range res.Summary.Regions {
		for name, st := range r.Ratios {
			if st.Truth != 0 && math.Abs(*st.Bias) > 1 {
				t.Errorf("%s %s: bias %+.2f%% with the estimated onsets", r.Name, name, *st.Bias)
			}
		}
	}
}

// TestBackgroundChoiceGiven: a number of terms given, or a model file,
// makes no choice and reads no sample.
func TestBackgroundChoiceGiven(t *testing.T) {
	sc := simulate.SeedScenario(4)
	sc.AddPoisson = false
	sim, err := simulate.Run(context.Background(), sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	in := quant.CubeInput(sim.CoreLoss, sim.LowLoss, sc.Instrument())
	p, err := quant.NewPlan(in, quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 4})
	if err != nil {
		t.Fatal(err)
	}
	if p.BackgroundChoice() != nil || p.BackgroundTerms() != 4 || p.Params()["background_terms"] != 4 {
		t.Errorf("given 4 terms: choice %v, %d terms, params %v", p.BackgroundChoice(), p.BackgroundTerms(), p.Params()["background_terms"])
	}
	// A source that fails when read: the plan must not read it.
	in.Source = failingSource{}
	if _, err := quant.NewPlan(in, quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 6}); err != nil {
		t.Errorf("given terms: %v", err)
	}
	if _, err := quant.NewPlan(in, quant.Options{Elements: sc.Elements, Edges: sc.Edges}); err == nil {
		t.Error("chosen terms on an unreadable input: no error")
	}
}

// failingSource refuses every read.
type failingSource struct{}

func (failingSource) ReadTile(*multispectrum.Tile) error { return errors.New("unreadable") }
