//go:build unix

package quant

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/eelsh5/eelsh5/fitters"
	"github.com/eelsh5/eelsh5/multispectrum"
)

func init() {
	processCPUTime = func() time.Duration {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
}

// repeatSource reads any scan by repeating a block of simulated pixels
// (pixel (y, x) is block pixel (y mod ny, x mod nx)), so that the ladder
// measures the fit and the driver at any scan size with memory bounded by
// the tiles, as a file does.
type repeatSource struct{ core, low *multispectrum.Cube }

// ReadTile implements multispectrum.Source.
func (s repeatSource) ReadTile(t *multispectrum.Tile) error {
	r := t.Region
	for k, c := range []*multispectrum.Cube{s.core, s.low} {
		w := c.Width
		for y := 0; y < r.NY; y++ {
			for x := 0; x < r.NX; x++ {
				q := y*r.NX + x
				copy(t.In[k][q*w:(q+1)*w], c.Pixel((r.Y0+y)%c.NY, (r.X0+x)%c.NX))
			}
		}
	}
	return nil
}

// statusSink checks every tile's status stream and keeps nothing else.
type statusSink struct{ bad int }

// WriteTile implements multispectrum.Sink.
func (s *statusSink) WriteTile(t *multispectrum.Tile) error {
	for q := 0; q < t.Region.Pixels(); q++ {
		if t.Out[3][3*q+2] != float64(fitters.OK) {
			s.bad++
		}
	}
	return nil
}

// peakMemory samples the Go runtime's memory every millisecond until
// stop is called, which returns the largest live heap (heap objects) and
// the largest memory mapped by the runtime and not returned to the
// operating system, in bytes.
func peakMemory() (stop func() (heap, mapped uint64)) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"}}
	var heap, mapped uint64
	sample := func() {
		metrics.Read(samples)
		heap = max(heap, samples[0].Value.Uint64())
		mapped = max(mapped, samples[1].Value.Uint64()-samples[2].Value.Uint64())
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				sample()
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		<-finished
		return heap, mapped
	}
}

// BenchmarkScaling is the scaling ladder of the seed fit (issue 16 item
// 4): scan sizes 32^2 to 512^2 by 1 and 2 workers, the seed fit of
// BenchmarkFitSeedScenario (with the model cube) through the streaming
// driver on 11 x 11 tiles (the chunks of a seed file), the pixels read by
// the I/O goroutine from a repeated 32 x 32 simulated block and the
// outputs checked and dropped by the sink. It reports spectra/s, spectra/s
// per worker, spectra per CPU second of the process (all threads: the
// workers, the I/O goroutine, the GC), and the peak live heap and peak memory mapped by the Go
// runtime during the run (MiB; the block and the engine, about 35 MiB,
// included). The larger sizes take minutes; choose rungs by name:
//
//	go test -run '^$' -bench 'Scaling/size=(32|64|128)/' -benchtime 1x ./quant
func BenchmarkScaling(b *testing.B) {
	block := newSeedFit(b, 32)
	src := repeatSource{core: block.core, low: block.low}
	for _, n := range []int{32, 64, 128, 256, 512} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("size=%d/workers=%d", n, workers), func(b *testing.B) {
				runtime.GC()
				stop := peakMemory()
				cpu := processCPUTime()
				var sink statusSink
				for b.Loop() {
					err := multispectrum.Process(context.Background(), src, &sink, multispectrum.NewTiling(n, n, 11, 11), block.lay,
						block.eng.NewWorkspace, block.kernel, multispectrum.Workers(workers))
					if err != nil {
						b.Fatal(err)
					}
				}
				cpu = processCPUTime() - cpu
				heap, mapped := stop()
				if sink.bad > 0 {
					b.Fatalf("%d pixels not ok", sink.bad)
				}
				rate := float64(b.N*n*n) / b.Elapsed().Seconds()
				b.ReportMetric(rate, "spectra/s")
				b.ReportMetric(rate/float64(workers), "spectra/s/worker")
				b.ReportMetric(float64(b.N*n*n)/cpu.Seconds(), "spectra/cpu-s")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(mapped)/(1<<20), "peak-mapped-MiB")
			})
		}
	}
}
