package h5io_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/h5io"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
	"github.com/eelsh5/eelsh5/simulate"
)

// simSource simulates the tiles it is asked for: an input without a
// file, so that the benchmark's 256x256 scan (1 GiB as float64 cubes)
// never sits in memory.
type simSource struct {
	s  *simulate.Simulator
	ws *simulate.Workspace
}

func (src *simSource) ReadTile(t *multispectrum.Tile) error {
	return src.s.Tile(src.ws, &multispectrum.Tile{Region: t.Region, Out: t.In[:2]})
}

// mergeBench is the 16 part files of a fit of the 256x256 seed scenario.
type mergeBench struct {
	dir     string
	in      quant.Input
	opts    quant.Options
	files   []string
	regions [][]multispectrum.Region
	sums    [][]float64
	size    int64 // of the part files together
}

func newMergeBench(b *testing.B) *mergeBench {
	b.Helper()
	sc := simulate.SeedScenario(256)
	s, err := simulate.New(sc)
	if err != nil {
		b.Fatal(err)
	}
	low := s.LowAxis()
	cy, cx := h5io.ChunkScan(256, 256, s.CoreAxis().Size*4)
	m := &mergeBench{dir: b.TempDir()}
	m.in = quant.Input{Source: &simSource{s, s.NewWorkspace()}, NY: 256, NX: 256, CoreLoss: s.CoreAxis(), LowLoss: &low,
		Tile: [2]int{cy, cx}, Instrument: sc.Instrument()}
	m.opts = quant.Options{Elements: sc.Elements, Edges: sc.Edges, BackgroundTerms: 4, FitOnly: true}
	const n = 16
	for k := 1; k <= n; k++ {
		path := h5io.PartPath(filepath.Join(m.dir, "scan.nxs"), filepath.Join(m.dir, "parts"), h5io.StepFit, k, n)
		os.MkdirAll(filepath.Dir(path), 0o755)
		f, err := h5io.CreatePartFile(path, sc.Instrument(), "part", created)
		if err != nil {
			b.Fatal(err)
		}
		po := m.opts
		po.Part = quant.Part{K: k, N: n}
		p, err := quant.NewPlan(m.in, po)
		if err != nil {
			b.Fatal(err)
		}
		_, first, end := p.Part()
		rs := aligners.Regions(p.Tiling(), first, end)
		d := f.NewFitStepDestination(h5io.FitStepOptions{Step: h5io.StepFit, Chunk: [2]int{cy, cx}, Part: &h5io.PartNote{K: k, N: n, Regions: rs},
			Provenance: &multispectrum.Provenance{Program: "bench", Version: "0", Step: "fit", Created: created}})
		res, err := p.Run(context.Background(), d)
		d.Close()
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		st, _ := os.Stat(path)
		m.size += st.Size()
		m.files, m.regions, m.sums = append(m.files, path), append(m.regions, rs), append(m.sums, res.Sums)
	}
	return m
}

// merge merges the parts into a new file and returns its size.
func (m *mergeBench) merge(b *testing.B, copyData bool) int64 {
	path := filepath.Join(m.dir, "scan.nxs")
	os.Remove(path)
	f, err := h5io.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.InitProcessingFile("bench", "bench", m.in.Instrument, created); err != nil {
		b.Fatal(err)
	}
	p, err := quant.NewPlan(m.in, m.opts)
	if err != nil {
		b.Fatal(err)
	}
	d := f.NewFitStepDestination(h5io.FitStepOptions{Step: h5io.StepFit, Merge: h5io.NewMerge(path, m.files, m.regions, h5io.StepFit, copyData),
		Provenance: &multispectrum.Provenance{Program: "bench", Version: "0", Step: "fit", Created: created}})
	_, err = p.Merge(d, m.sums)
	d.Close()
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// BenchmarkMerge merges the 16 parts of a fit of the 256x256 seed
// scenario (4 background terms, model cube kept; 11x11 chunks) into a
// processing file, as virtual datasets and as copies: the time of a
// merge (mapping or copying every stream, adding the sums, the
// chi-square summary from the merged map) and the merged step's file
// size (MiB), beside the parts' total (parts-MiB). Setting up fits
// 65536 spectra once.
func BenchmarkMerge(b *testing.B) {
	m := newMergeBench(b)
	for _, c := range []struct {
		name string
		copy bool
	}{{"virtual", false}, {"copy", true}} {
		b.Run(c.name, func(b *testing.B) {
			var size int64
			for b.Loop() {
				size = m.merge(b, c.copy)
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB")
			b.ReportMetric(float64(m.size)/(1<<20), "parts-MiB")
		})
	}
}
