package multispectrum

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestEnergyAxisIndex(t *testing.T) {
	// Rules of doc/algorithms.md 1.3 (get_energy_index) on the seed axis.
	a := EnergyAxis{Offset: 200, Dispersion: 0.5, Size: 2048}
	for _, test := range []struct {
		e    float64
		want int
	}{
		{100, 0},         // below the axis
		{200, 0},         // first channel
		{200.25, 0},      // exact half-way rounds down
		{200.26, 1},      // nearest
		{284, 168},       // channel energy
		{a.Last(), 2048}, // last channel energy maps one past the end
		{5000, 2048},
	} {
		if got := a.Index(test.e); got != test.want {
			t.Errorf("Index(%v) = %d, want %d", test.e, got, test.want)
		}
	}
	if got := a.Crop(10, 20); got.Offset != 205 || got.Size != 10 {
		t.Errorf("Crop(10, 20) = %+v", got)
	}
	if err := (EnergyAxis{Offset: 0, Dispersion: 0, Size: 3}).Validate(); err == nil {
		t.Error("zero dispersion accepted")
	}
}

func TestRollAndShift(t *testing.T) {
	src := []float64{1, 2, 3, 4, 5}
	dst := make([]float64, 5)
	// numpy.roll([1,2,3,4,5], 2) = [4,5,1,2,3]; roll by -1 = [2,3,4,5,1].
	if got := Roll(dst, src, 2); !slices.Equal(got, []float64{4, 5, 1, 2, 3}) {
		t.Errorf("Roll 2 = %v", got)
	}
	if got := Roll(dst, src, -1); !slices.Equal(got, []float64{2, 3, 4, 5, 1}) {
		t.Errorf("Roll -1 = %v", got)
	}
	// Integer shift: dst[i] = src[i+1], zero beyond the end.
	if got := ShiftLinear(dst, src, 1); !slices.Equal(got, []float64{2, 3, 4, 5, 0}) {
		t.Errorf("ShiftLinear 1 = %v", got)
	}
	// Half-channel shift: averages of neighbours, the last with the zero beyond.
	if got := ShiftLinear(dst, src, 0.5); !slices.Equal(got, []float64{1.5, 2.5, 3.5, 4.5, 2.5}) {
		t.Errorf("ShiftLinear 0.5 = %v", got)
	}
	if got := ShiftLinear(dst, src, -0.25); !slices.Equal(got, []float64{0.75, 1.75, 2.75, 3.75, 4.75}) {
		t.Errorf("ShiftLinear -0.25 = %v", got)
	}
}

func TestCubeMeanCrop(t *testing.T) {
	c := NewCube(2, 3, EnergyAxis{Offset: 10, Dispersion: 2, Size: 4})
	for i := range c.Data {
		c.Data[i] = float64(i)
	}
	// Mean over 6 pixels of value p*4+e is 10+e.
	if got := c.Mean().Data; !slices.Equal(got, []float64{10, 11, 12, 13}) {
		t.Errorf("Mean = %v", got)
	}
	cr := c.CropEnergy(1, 3)
	if cr.Axis.Offset != 12 || !slices.Equal(cr.Pixel(1, 2), []float64{21, 22}) {
		t.Errorf("CropEnergy: axis %+v, pixel %v", cr.Axis, cr.Pixel(1, 2))
	}
	// Pixels (1,1) and (1,2) hold 16..19 and 20..23.
	if got := c.MeanRegion(Region{Y0: 1, X0: 1, NY: 1, NX: 2}).Data; !slices.Equal(got, []float64{18, 19, 20, 21}) {
		t.Errorf("MeanRegion = %v", got)
	}
}

func TestTilingCoversScanOnce(t *testing.T) {
	for _, tl := range []Tiling{NewTiling(7, 5, 3, 2), NewTiling(4, 4, 4, 4), NewTiling(1, 9, 5, 5), NewTiling(10, 3, 1, 1)} {
		seen := make([]int, tl.NY*tl.NX)
		for _, r := range tl.Regions() {
			for y := r.Y0; y < r.Y0+r.NY; y++ {
				for x := r.X0; x < r.X0+r.NX; x++ {
					seen[y*tl.NX+x]++
				}
			}
		}
		for i, n := range seen {
			if n != 1 {
				t.Fatalf("%+v: pixel %d covered %d times", tl, i, n)
			}
		}
	}
}

// pixelKernel is a non-trivial per-pixel computation: out0 = running sum
// of the spectrum, out1 = (mean, max) of the two input streams.
func pixelKernel(ws []float64, t *Tile) error {
	n := t.Region.Pixels()
	w0 := len(t.In[0]) / n
	w1 := len(t.In[1]) / n
	for p := range n {
		s := t.In[0][p*w0 : (p+1)*w0]
		acc := 0.0
		for i, v := range s {
			acc += math.Sqrt(math.Abs(v)) * ws[i%len(ws)]
			t.Out[0][p*w0+i] = acc
		}
		m := 0.0
		for _, v := range t.In[1][p*w1 : (p+1)*w1] {
			m = max(m, v)
		}
		t.Out[1][2*p] = acc / float64(w0)
		t.Out[1][2*p+1] = m
	}
	return nil
}

func TestProcessTilingInvariance(t *testing.T) {
	// Any tile shape, worker count and queue depth must give output
	// bit-identical to one tile covering the whole scan.
	rnd := rand.New(rand.NewPCG(1, 1))
	const ny, nx, ne = 13, 11, 17
	a := NewArray(ny, nx, ne)
	b := NewArray(ny, nx, 3)
	for i := range a.Data {
		a.Data[i] = rnd.NormFloat64() * 100
	}
	for i := range b.Data {
		b.Data[i] = rnd.Float64()
	}
	layout := Layout{In: []int{ne, 3}, Out: []int{ne, 2}}
	ws := func() []float64 { return []float64{1, 0.5, 0.25} }
	run := func(tl Tiling, opts ...ProcessOption) (*Array, *Array) {
		o0, o1 := NewArray(ny, nx, ne), NewArray(ny, nx, 2)
		err := Process(context.Background(), ArraySource{a, b}, ArraySink{o0, o1}, tl, layout, ws, pixelKernel, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return o0, o1
	}
	want0, want1 := run(NewTiling(ny, nx, ny, nx), Workers(1))
	for _, tc := range []struct {
		ty, tx, workers, depth int
	}{
		{1, 1, 4, 0}, {2, 3, 2, 2}, {5, 4, 3, 1}, {13, 1, 2, 5}, {4, 11, 8, 2}, {20, 20, 2, 2},
	} {
		got0, got1 := run(NewTiling(ny, nx, tc.ty, tc.tx), Workers(tc.workers), QueueDepth(tc.depth))
		if !slices.Equal(got0.Data, want0.Data) || !slices.Equal(got1.Data, want1.Data) {
			t.Errorf("tiles %dx%d, %d workers: output differs from whole-cube processing", tc.ty, tc.tx, tc.workers)
		}
	}
}

type failingSink struct{ after, n int }

func (f *failingSink) WriteTile(*Tile) error {
	f.n++
	if f.n > f.after {
		return errors.New("disk full")
	}
	return nil
}

func TestProcessErrors(t *testing.T) {
	a := NewArray(8, 8, 4)
	layout := Layout{In: []int{4}, Out: []int{4}}
	ws := func() struct{} { return struct{}{} }
	copyKernel := func(_ struct{}, t *Tile) error { copy(t.Out[0], t.In[0]); return nil }
	tl := NewTiling(8, 8, 2, 2)

	err := Process(context.Background(), ArraySource{a}, &failingSink{after: 3}, tl, layout, ws, copyKernel, Workers(3))
	if err == nil || err.Error() != "disk full" {
		t.Errorf("failing sink: err = %v", err)
	}
	panicky := func(_ struct{}, t *Tile) error {
		if t.Index == 5 {
			var m map[int]int
			m[1] = 1
		}
		return nil
	}
	if err := Process(context.Background(), ArraySource{a}, ArraySink{NewArray(8, 8, 4)}, tl, layout, ws, panicky); err == nil {
		t.Error("panic in kernel not reported")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Process(ctx, ArraySource{a}, ArraySink{NewArray(8, 8, 4)}, tl, layout, ws, copyKernel); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	// Skip: skipped tiles are not written; progress counts them as done.
	out := NewArray(8, 8, 4)
	for i := range a.Data {
		a.Data[i] = 1
	}
	var last int
	err = Process(context.Background(), ArraySource{a}, ArraySink{out}, tl, layout, ws, copyKernel,
		Skip(func(k int) bool { return k%2 == 0 }), Progress(func(done, total int) { last = done }))
	if err != nil || last != tl.Len() {
		t.Fatalf("skip: err %v, progress %d of %d", err, last, tl.Len())
	}
	for k, r := range tl.Regions() {
		want := 1.0
		if k%2 == 0 {
			want = 0
		}
		if got := out.Pixel(r.Y0, r.X0)[0]; got != want {
			t.Errorf("tile %d: got %v, want %v", k, got, want)
		}
	}
}

// TestSampleLinear checks interpolation on v = 10, 20, 30: exact at whole
// indices, linear between, zero-padded one index beyond each end.
func TestSampleLinear(t *testing.T) {
	v := []float64{10, 20, 30}
	for _, c := range []struct{ u, want float64 }{
		{0, 10}, {2, 30}, {0.25, 12.5}, {1.5, 25}, {2.5, 15}, {-0.5, 5}, {-1, 0}, {3, 0}, {7.2, 0},
	} {
		if got := SampleLinear(v, c.u); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("SampleLinear(v, %g) = %g, want %g", c.u, got, c.want)
		}
	}
}

type orderSink struct{ got []int }

func (s *orderSink) WriteTile(t *Tile) error {
	s.got = append(s.got, t.Index)
	return nil
}

// TestProcessInOrder: with InOrder the sink receives the tiles in tiling
// order (the skipped ones left out) although the workers finish them out
// of order (each tile's kernel waits a random time), for several worker
// counts and queue depths; without it the same run delivers them out of
// order, so the test sees the reordering.
func TestProcessInOrder(t *testing.T) {
	const ny, nx = 12, 12
	a := NewArray(ny, nx, 1)
	tl := NewTiling(ny, nx, 2, 2)
	skip := func(i int) bool { return i%7 == 3 }
	var want []int
	for k := range tl.Len() {
		if !skip(k) {
			want = append(want, k)
		}
	}
	slow := func(_ struct{}, tile *Tile) error {
		// A pseudo-random wait per tile, the same on every run.
		time.Sleep(time.Duration((tile.Index*7919)%5) * 200 * time.Microsecond)
		return nil
	}
	layout := Layout{In: []int{1}}
	run := func(opts ...ProcessOption) []int {
		var s orderSink
		if err := Process(context.Background(), ArraySource{a}, &s, tl, layout, func() struct{} { return struct{}{} }, slow, append(opts, Skip(skip))...); err != nil {
			t.Fatal(err)
		}
		return s.got
	}
	for _, w := range []int{1, 2, 4} {
		for _, depth := range []int{0, 2, 5} {
			if got := run(Workers(w), QueueDepth(depth), InOrder()); !slices.Equal(got, want) {
				t.Errorf("%d workers, depth %d: tiles written in order %v, want %v", w, depth, got, want)
			}
		}
	}
	if got := run(Workers(4), QueueDepth(5)); slices.Equal(got, want) {
		t.Error("without InOrder four workers wrote the tiles in tiling order: the test does not reorder")
	}
}
