package h5io_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

var created = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// scanFile writes a processing file of the n x n seed scenario (Poisson
// noise, no shifts) with cubes chunked tile x tile.
func scanFile(t testing.TB, path string, n, tile int) *simulate.Scenario {
	t.Helper()
	sc := simulate.SeedScenario(n)
	sc.Shifts = simulate.NoShifts
	sim, err := simulate.Run(context.Background(), sc, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, err := h5io.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.InitProcessingFile("merge test", "eelsh5 test", sc.Instrument(), created); err != nil {
		t.Fatal(err)
	}
	for p, c := range map[string]*multispectrum.Cube{h5io.CoreLossPath: sim.CoreLoss, h5io.LowLossPath: sim.LowLoss} {
		d, err := f.CreateCube(p, h5io.CubeSpec{NY: c.NY, NX: c.NX, Axis: c.Axis, Chunk: [2]int{tile, tile}})
		if err != nil {
			t.Fatal(err)
		}
		err = d.WriteRegion(c.Bounds(), c.Data)
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return sc
}

// quantInto runs opts on the raw cubes of the file at input into a step
// of dst (which may be input), with the part or merge of fso.
func quantInto(t testing.TB, input string, dst *h5io.File, opts quant.Options, fso h5io.FitStepOptions, parts [][]float64) *quant.Result {
	t.Helper()
	in, err := h5io.Open(input)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	inst, _ := in.ReadInstrument()
	fi, err := in.OpenFitInput("raw")
	if err != nil {
		t.Fatal(err)
	}
	defer fi.Close()
	fso.Input = fi
	fso.Provenance = &multispectrum.Provenance{Program: "test", Version: "0", Step: "quant", Created: created}
	cy, cx := fi.CoreLoss.ScanChunk()
	fso.Chunk = [2]int{cy, cx}
	qin := fi.QuantInput(inst, true)
	p, err := quant.NewPlan(qin, opts)
	if err != nil {
		t.Fatal(err)
	}
	if note := fso.Part; note != nil {
		_, note.First, note.End = p.Part()
		note.Regions = aligners.Regions(p.Tiling(), note.First, note.End)
	}
	d := dst.NewFitStepDestination(fso)
	defer d.Close()
	var res *quant.Result
	if fso.Merge != nil {
		res, err = p.Merge(d, parts)
	} else {
		res, err = p.Run(context.Background(), d)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestMergeEqualsWholeRun quantifies a 24x24 scan (8x8 chunks, 9 tiles)
// whole and as 1, 2, 3 and 7 part files, merges the parts into copies of
// the input as virtual datasets and as copies, and checks every stream
// bit for bit, the summary and the mean spectrum against the whole run;
// the virtual streams are virtual, and the merged file still reads from
// another working directory and after the file and its parts moved
// together.
func TestMergeEqualsWholeRun(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "scan.nxs")
	sc := scanFile(t, input, 24, 8)
	opts := quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 4, Workers: 1}
	wholeFile := filepath.Join(dir, "whole.nxs")
	wf, err := h5io.Create(wholeFile)
	if err != nil {
		t.Fatal(err)
	}
	whole := quantInto(t, input, wf, opts, h5io.FitStepOptions{Step: h5io.StepQuant}, nil)
	wf.Close()
	b, _ := json.Marshal(whole.Plan.Prepared())
	var prep quant.Prepared
	json.Unmarshal(b, &prep)
	opts.Prepared = &prep
	ns := []int{1, 2, 3, 7}
	if raceEnabled {
		ns = []int{3} // the concurrency of every N is the same; the others run without -race
	}
	for _, n := range ns {
		var files []string
		var regions [][]multispectrum.Region
		var sums [][]float64
		for k := 1; k <= n; k++ {
			path := h5io.PartPath(input, filepath.Join(dir, "parts"), h5io.StepQuant, k, n)
			os.MkdirAll(filepath.Dir(path), 0o755)
			pf, err := h5io.CreatePartFile(path, sc.Instrument(), "part", created)
			if err != nil {
				t.Fatal(err)
			}
			po := opts
			po.Part = quant.Part{K: k, N: n}
			note := &h5io.PartNote{K: k, N: n, Input: input}
			res := quantInto(t, input, pf, po, h5io.FitStepOptions{Step: h5io.StepQuant, Part: note}, nil)
			pf.Close()
			ps, err := h5io.ReadPartStep(path, h5io.StepQuant)
			if err != nil {
				t.Fatal(err)
			}
			if ps.Note.K != k || len(ps.Sums) != len(res.Sums) {
				t.Fatalf("part %d/%d read back as %+v with %d sums", k, n, ps.Note, len(ps.Sums))
			}
			files, regions, sums = append(files, path), append(regions, note.Regions), append(sums, ps.Sums)
		}
		for _, copyData := range []bool{false, true} {
			merged := filepath.Join(dir, "merged.nxs")
			os.Remove(merged)
			mf, err := h5io.Create(merged)
			if err != nil {
				t.Fatal(err)
			}
			m := h5io.NewMerge(merged, files, regions, h5io.StepQuant, copyData)
			res := quantInto(t, input, mf, quant.Options{Elements: opts.Elements, Edges: opts.Edges, Workers: 1, Prepared: &prep},
				h5io.FitStepOptions{Step: h5io.StepQuant, Merge: m}, sums)
			mf.Close()
			js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
			if js(res.Summary) != js(whole.Summary) {
				t.Errorf("N=%d copy=%v: summary differs from the whole run's", n, copyData)
			}
			compareSteps(t, wholeFile, merged, whole.Plan.Streams(), !copyData)
			if !copyData && n == 3 {
				// Read from elsewhere, then move the file with its parts.
				t.Chdir(t.TempDir())
				compareSteps(t, wholeFile, merged, whole.Plan.Streams(), true)
				moved := t.TempDir()
				os.Rename(filepath.Join(dir, "parts"), filepath.Join(moved, "parts"))
				os.Rename(merged, filepath.Join(moved, "merged.nxs"))
				compareSteps(t, wholeFile, filepath.Join(moved, "merged.nxs"), whole.Plan.Streams(), true)
				os.Rename(filepath.Join(moved, "parts"), filepath.Join(dir, "parts"))
				os.Rename(filepath.Join(moved, "merged.nxs"), merged)
			}
		}
	}
}

// compareSteps checks that every stream of the quant step of got equals
// the one of want bit for bit (and, with virtual, that got's are
// virtual), and that the mean spectra agree to 1e-12.
func compareSteps(t *testing.T, want, got string, streams []quant.Stream, virtual bool) {
	t.Helper()
	wf, err := h5io.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	defer wf.Close()
	gf, err := h5io.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer gf.Close()
	ws, err := wf.OpenFitStep("/entry/quant")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := gf.OpenFitStep("/entry/quant")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range streams {
		if v := gf.IsVirtual(gs.DatasetPath(s)); v != virtual {
			t.Errorf("%s of %s: virtual %v, want %v", s, got, v, virtual)
		}
		a, err := ws.ReadStream(s)
		if err != nil {
			t.Fatal(err)
		}
		b, err := gs.ReadStream(s)
		if err != nil {
			t.Fatalf("%s of %s: %v", s, got, err)
		}
		for i, v := range a.Data {
			if math.Float64bits(v) != math.Float64bits(b.Data[i]) {
				t.Fatalf("%s of %s value %d: %g, whole run %g", s, got, i, b.Data[i], v)
			}
		}
	}
	wm, _, err := wf.ReadFloats("/entry/quant/mean_spectrum/data")
	if err != nil {
		t.Fatal(err)
	}
	gm, _, err := gf.ReadFloats("/entry/quant/mean_spectrum/data")
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range wm {
		if math.Abs(gm[i]-v) > 1e-12*math.Abs(v) {
			t.Fatalf("mean spectrum channel %d: %g, whole run %g", i, gm[i], v)
		}
	}
}
