package h5io

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// peakRSS returns VmHWM of this process in bytes.
func peakRSS() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// resetPeakRSS resets VmHWM to the current RSS (Linux >= 4.0).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// BenchmarkReadWritePass streams a 256x256x2048 float32 cube (512 MiB)
// through Process: read every tile, copy it, write it to a second cube.
// It reports throughput (MB/s of cube read) and the peak RSS of the pass,
// which must stay under 25% of the cube size (issue 2).
func BenchmarkReadWritePass(b *testing.B) {
	const ny, nx, ne = 256, 256, 2048
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.nxs")
	f, err := Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.InitProcessingFile("bench", "eelsh5 bench", multispectrum.UnknownInstrument(), testTime); err != nil {
		b.Fatal(err)
	}
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 0.5, Size: ne}
	src, err := f.CreateCube(CoreLossPath, CubeSpec{NY: ny, NX: nx, Axis: axis})
	if err != nil {
		b.Fatal(err)
	}
	cy, cx := src.ScanChunk()
	tl := multispectrum.NewTiling(ny, nx, cy, cx)
	gen := func(_ int, t *multispectrum.Tile) error {
		for i := range t.Out[0] {
			t.Out[0][i] = float64(i % 1000)
		}
		return nil
	}
	if err := multispectrum.Process(b.Context(), multispectrum.NoSource{}, Writer{src}, tl,
		multispectrum.Layout{Out: []int{ne}}, func() int { return 0 }, gen); err != nil {
		b.Fatal(err)
	}
	cubeBytes := int64(ny * nx * ne * 4)
	b.SetBytes(cubeBytes)
	b.ResetTimer()
	var peak int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := CoreLossPath + "_copy" + strconv.Itoa(i)
		dst, err := f.CreateCube(name, CubeSpec{NY: ny, NX: nx, Axis: axis, Chunk: [2]int{cy, cx}})
		if err != nil {
			b.Fatal(err)
		}
		resetPeakRSS()
		b.StartTimer()
		err = multispectrum.Process(b.Context(), Reader{src}, Writer{dst}, tl,
			multispectrum.Layout{In: []int{ne}, Out: []int{ne}}, func() int { return 0 },
			func(_ int, t *multispectrum.Tile) error { copy(t.Out[0], t.In[0]); return nil })
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Flush(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		peak = max(peak, peakRSS())
		dst.Close()
		b.StartTimer()
	}
	b.StopTimer()
	src.Close()
	f.Close()
	b.ReportMetric(float64(peak)/(1<<20), "peakRSS-MiB")
	if peak > cubeBytes/4 {
		b.Errorf("peak RSS %d MiB exceeds 25%% of the %d MiB cube", peak>>20, cubeBytes>>20)
	}
}
