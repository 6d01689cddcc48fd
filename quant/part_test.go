package quant_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// assembled is a Destination whose streams were put together from the
// parts' tiles: what a merge reads back.
type assembled struct {
	arrays map[quant.Stream]*multispectrum.Array
	result *quant.Result
}

func (a *assembled) Begin(*quant.Plan) (quant.Output, error) { return a, nil }
func (a *assembled) WriteTile(*multispectrum.Tile) error {
	return errors.New("a merge writes no tiles")
}
func (a *assembled) Resume() ([]bool, []float64, error)           { return nil, nil, nil }
func (a *assembled) Checkpoint(done []bool, sums []float64) error { return nil }
func (a *assembled) Finish(r *quant.Result) error                 { a.result = r; return nil }
func (a *assembled) ReadStream(s quant.Stream) (*multispectrum.Array, error) {
	return a.arrays[s], nil
}

// TestPartsEqualWholeRun quantifies the noisy 24x24 seed scenario (8x8
// tiles: 9 tiles) with the background terms chosen by the data, once
// whole and as N = 1, 2, 3 and 7 parts (ragged: parts of one and two
// tiles) on the whole run's prepared model (through JSON, as a preparing
// run stores it), and merges them: every stream equals the whole run's
// bit for bit, so do the chi-square summary, the quantification summary
// and the provenance parameters; the mean spectrum, added from the parts'
// sums in another order, to 1e-12.
func TestPartsEqualWholeRun(t *testing.T) {
	ctx := context.Background()
	sc := simulate.SeedScenario(24)
	sc.AddPoisson = true
	sim, err := simulate.Run(ctx, sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	aligned := &aligners.Memory{}
	if _, err := aligners.Run(ctx, aligners.CubeInput(sim.LowLoss, sim.CoreLoss), aligned, aligners.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	in := quant.CubeInput(aligned.Cubes[1], aligned.Cubes[0], sc.Instrument())
	in.Truth, in.Tile = sc.Maps, [2]int{8, 8}
	opts := quant.Options{Elements: sc.Elements, Edges: sc.Edges, Workers: 1,
		Regions: []quant.NamedRegion{{Name: "corner", Region: multispectrum.Region{NY: 5, NX: 13}}}}
	if raceEnabled {
		opts.BackgroundTerms = 4 // the choice on the sample is slow under -race; it is tested without
	}
	mem := quant.NewMemory()
	whole, err := quant.Run(ctx, in, mem, opts)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Plan.BackgroundChoice() == nil && !raceEnabled {
		t.Fatal("the background terms were not chosen by the data")
	}
	b, err := json.Marshal(whole.Plan.Prepared())
	if err != nil {
		t.Fatal(err)
	}
	var prep quant.Prepared
	if err := json.Unmarshal(b, &prep); err != nil {
		t.Fatal(err)
	}
	opts.Prepared = &prep
	ns := []int{1, 2, 3, 7}
	if raceEnabled {
		ns = []int{3} // the concurrency of every N is the same; the others run without -race
	}
	for _, n := range ns {
		dst := &assembled{arrays: map[quant.Stream]*multispectrum.Array{}}
		var sums [][]float64
		spectra := 0
		for k := 1; k <= n; k++ {
			po := opts
			po.Part = quant.Part{K: k, N: n}
			pm := quant.NewMemory()
			res, err := quant.Run(ctx, in, pm, po)
			if err != nil {
				t.Fatal(err)
			}
			if res.Summary != nil || res.Mean != nil || res.Sums == nil {
				t.Fatalf("N=%d part %d: a part has a summary or a mean spectrum, or no sums", n, k)
			}
			spectra += res.Spectra
			sums = append(sums, res.Sums)
			_, first, end := res.Plan.Part()
			for _, s := range res.Plan.Streams() {
				a, _ := pm.Stream(s)
				if dst.arrays[s] == nil {
					dst.arrays[s] = multispectrum.NewArray(a.NY, a.NX, a.Width)
				}
				for _, r := range aligners.Regions(res.Plan.Tiling(), first, end) {
					dst.arrays[s].WriteRegion(r, a.ReadRegion(make([]float64, r.Pixels()*a.Width), r))
				}
			}
		}
		if spectra != whole.Spectra {
			t.Errorf("N=%d: the parts fitted %d spectra, the whole run %d", n, spectra, whole.Spectra)
		}
		p, err := quant.NewPlan(in, opts)
		if err != nil {
			t.Fatal(err)
		}
		merged, err := p.Merge(dst, sums)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range whole.Plan.Streams() {
			w, _ := mem.Stream(s)
			for i, v := range w.Data {
				if math.Float64bits(v) != math.Float64bits(dst.arrays[s].Data[i]) {
					t.Fatalf("N=%d %s value %d: %g, whole run %g", n, s, i, dst.arrays[s].Data[i], v)
				}
			}
		}
		js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
		if js(merged.Summary) != js(whole.Summary) {
			t.Errorf("N=%d: summary\n%s\nwhole run\n%s", n, js(merged.Summary), js(whole.Summary))
		}
		if js(merged.Chi2) != js(whole.Chi2) {
			t.Errorf("N=%d: chi-square summary %s, whole run %s", n, js(merged.Chi2), js(whole.Chi2))
		}
		if js(p.Params()) != js(whole.Plan.Params()) {
			t.Errorf("N=%d: parameters\n%s\nwhole run\n%s", n, js(p.Params()), js(whole.Plan.Params()))
		}
		if merged.Mean.Pixels != whole.Mean.Pixels || len(merged.Mean.Curves) != len(whole.Mean.Curves) {
			t.Fatalf("N=%d: mean spectrum of %d pixels, %d curves; whole run %d, %d", n, merged.Mean.Pixels, len(merged.Mean.Curves), whole.Mean.Pixels, len(whole.Mean.Curves))
		}
		for i, c := range whole.Mean.Curves {
			for j, v := range c.Values {
				if g := merged.Mean.Curves[i].Values[j]; math.Abs(g-v) > 1e-12*math.Max(math.Abs(v), 1) {
					t.Fatalf("N=%d: mean %s channel %d: %g, whole run %g", n, c.Name, j, g, v)
				}
			}
		}
		if !reflect.DeepEqual(merged.Plan.Names(), whole.Plan.Names()) {
			t.Errorf("N=%d: parameters %v, whole run %v", n, merged.Plan.Names(), whole.Plan.Names())
		}
	}
	// More parts than tiles is an option error.
	po := opts
	po.Part = quant.Part{K: 1, N: 10}
	var oe *quant.OptionError
	if _, err := quant.NewPlan(in, po); !errors.As(err, &oe) {
		t.Errorf("10 parts of 9 tiles: %v, want an OptionError", err)
	}
}
