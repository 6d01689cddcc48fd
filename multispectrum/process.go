package multispectrum

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Tile is the unit of work of Process: the data of one Region of the scan
// for every input and output stream. Stream k of In holds
// Region.Pixels()*Layout.In[k] values, pixel-major and row-major inside
// the region (the layout of Array.ReadRegion); likewise Out.
type Tile struct {
	Index  int    // position of Region in the tiling (row-major)
	Region Region // the pixels this tile covers
	In     [][]float64
	Out    [][]float64
	// Aux is per-tile scratch of Layout.Aux values that fn fills and the
	// Sink reads (e.g. sums over the tile's pixels), so that whatever the
	// sink accumulates stays consistent with the tiles it has written.
	Aux []float64
	err error
	seq int // position in the run's order of tiles
}

// Layout gives the number of values per pixel of each input and output
// stream of a Process run (e.g. the channel count of a cube, 1 for a map).
type Layout struct {
	In, Out []int
	Aux     int // values of Tile.Aux
}

func (l Layout) validate() error {
	for _, w := range append(append([]int{l.Aux}, l.In...), l.Out...) {
		if w < 0 {
			return fmt.Errorf("multispectrum: layout %+v has a negative width", l)
		}
	}
	return nil
}

// Source fills the In streams of a tile for tile.Region.
// It is only ever called from the I/O goroutine of Process.
type Source interface {
	ReadTile(t *Tile) error
}

// Sink stores the Out streams of a finished tile.
// It is only ever called from the I/O goroutine of Process.
type Sink interface {
	WriteTile(t *Tile) error
}

// ProcessOption configures Process.
type ProcessOption func(*processConfig)

type processConfig struct {
	workers  int
	progress func(done, total int)
	skip     func(index int) bool
	depth    int
	inOrder  bool
}

// Workers sets the number of compute workers (default runtime.GOMAXPROCS(0)).
func Workers(n int) ProcessOption {
	return func(c *processConfig) {
		if n > 0 {
			c.workers = n
		}
	}
}

// Progress registers a function called from the I/O goroutine after each
// tile is written, with the number of finished and total tiles.
func Progress(f func(done, total int)) ProcessOption {
	return func(c *processConfig) { c.progress = f }
}

// Skip registers a predicate: tiles for which it returns true are neither
// read, computed nor written (used to resume an interrupted run).
func Skip(f func(index int) bool) ProcessOption {
	return func(c *processConfig) { c.skip = f }
}

// InOrder makes the sink receive the tiles in tiling order, whatever
// order the workers finish them in (a finished tile waits, holding its
// buffer, for the ones before it). A sink that adds up per-tile sums then
// adds them in the same order on every run, so its totals are the same
// to the bit whatever the number of workers and their timing.
func InOrder() ProcessOption {
	return func(c *processConfig) { c.inOrder = true }
}

// QueueDepth sets the number of tiles in flight beyond one per worker
// (default 2). Peak memory is (workers+depth) tiles.
func QueueDepth(n int) ProcessOption {
	return func(c *processConfig) {
		if n >= 0 {
			c.depth = n
		}
	}
}

// Process runs fn over every tile of tiling. One goroutine (the caller's)
// does all reading and writing through src and dst, so neither needs to be
// safe for concurrent use; fn runs on N worker goroutines, each with its
// own workspace made by newWorkspace, so fn may keep scratch memory there
// and allocate nothing per pixel. Tiles are recycled, so at most
// workers+depth tiles exist at any time: memory is bounded by the tile
// size, not the scan size.
//
// fn must fill every Out stream of the tile from its In streams; the
// result of a pixel must not depend on the tile it falls in, so that any
// tiling gives identical output. The first error from src, dst or fn (or
// a cancelled ctx) stops the run and is returned; fn failures for single
// pixels should be recorded as per-pixel status in an output stream
// instead. A panic in fn is returned as an error. An invalid tiling (such
// as the zero Tiling), a negative width in layout or a missing argument is
// an error before anything is read.
func Process[W any](ctx context.Context, src Source, dst Sink, tiling Tiling, layout Layout,
	newWorkspace func() W, fn func(ws W, t *Tile) error, opts ...ProcessOption) error {
	if err := tiling.Validate(); err != nil {
		return err
	}
	if err := layout.validate(); err != nil {
		return err
	}
	if ctx == nil || src == nil || dst == nil || newWorkspace == nil || fn == nil {
		return errors.New("multispectrum: Process needs a context, a source, a sink, a workspace maker and a tile function")
	}
	cfg := processConfig{workers: runtime.GOMAXPROCS(0), depth: 2}
	for _, o := range opts {
		o(&cfg)
	}
	total := tiling.Len()
	var todo []int
	for k := range total {
		if cfg.skip == nil || !cfg.skip(k) {
			todo = append(todo, k)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	workers := min(cfg.workers, len(todo))
	ntiles := min(workers+cfg.depth, len(todo))
	maxPix := tiling.MaxPixels()

	free := make([]*Tile, 0, ntiles)
	for range ntiles {
		t := &Tile{In: make([][]float64, len(layout.In)), Out: make([][]float64, len(layout.Out)), Aux: make([]float64, layout.Aux)}
		for k, w := range layout.In {
			t.In[k] = make([]float64, maxPix*w)
		}
		for k, w := range layout.Out {
			t.Out[k] = make([]float64, maxPix*w)
		}
		free = append(free, t)
	}

	work := make(chan *Tile, ntiles)
	done := make(chan *Tile, ntiles)
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := newWorkspace()
			for t := range work {
				if failed.Load() {
					t.err = errAborted
				} else {
					t.err = runTile(fn, ws, t)
				}
				done <- t
			}
		}()
	}
	finish := func(err error) error {
		failed.Store(true)
		close(work)
		wg.Wait()
		return err
	}

	next, inflight, finished := 0, 0, total-len(todo)
	write := func(t *Tile) error {
		if err := dst.WriteTile(t); err != nil {
			return err
		}
		finished++
		if cfg.progress != nil {
			cfg.progress(finished, total)
		}
		free = append(free, t)
		return nil
	}
	// With InOrder, finished tiles wait in pending (indexed by their
	// position in todo) until every tile before them is written.
	var pending map[int]*Tile
	written := 0
	handle := func(t *Tile) error {
		inflight--
		if t.err != nil {
			return t.err
		}
		if !cfg.inOrder {
			return write(t)
		}
		if pending == nil {
			pending = make(map[int]*Tile, ntiles)
		}
		pending[t.seq] = t
		for {
			h, ok := pending[written]
			if !ok {
				return nil
			}
			delete(pending, written)
			written++
			if err := write(h); err != nil {
				return err
			}
		}
	}
	for {
		// Write whatever is finished without waiting.
		drained := false
		for !drained {
			select {
			case t := <-done:
				if err := handle(t); err != nil {
					return finish(err)
				}
			default:
				drained = true
			}
		}
		if err := ctx.Err(); err != nil {
			return finish(err)
		}
		if len(free) > 0 && next < len(todo) {
			t := free[len(free)-1]
			free = free[:len(free)-1]
			k := todo[next]
			t.seq = next
			next++
			r := tiling.Region(k)
			t.Index, t.Region = k, r
			n := r.Pixels()
			for s, w := range layout.In {
				t.In[s] = t.In[s][:n*w]
			}
			for s, w := range layout.Out {
				t.Out[s] = t.Out[s][:n*w]
			}
			if err := src.ReadTile(t); err != nil {
				return finish(err)
			}
			inflight++
			work <- t
			continue
		}
		if inflight == 0 {
			return finish(nil)
		}
		select {
		case t := <-done:
			if err := handle(t); err != nil {
				return finish(err)
			}
		case <-ctx.Done():
			return finish(ctx.Err())
		}
	}
}

var errAborted = errors.New("multispectrum: aborted after an earlier error")

func runTile[W any](fn func(W, *Tile) error, ws W, t *Tile) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("multispectrum: internal error in tile %v: %v", t.Region, r)
		}
	}()
	return fn(ws, t)
}

// ArraySource reads the In streams of a tile from in-memory arrays, one
// per stream. It is the whole-array path of Process.
type ArraySource []*Array

// ReadTile implements Source.
func (s ArraySource) ReadTile(t *Tile) error {
	for k, a := range s {
		a.ReadRegion(t.In[k], t.Region)
	}
	return nil
}

// ArraySink writes the Out streams of a tile into in-memory arrays.
type ArraySink []*Array

// WriteTile implements Sink.
func (s ArraySink) WriteTile(t *Tile) error {
	for k, a := range s {
		a.WriteRegion(t.Region, t.Out[k])
	}
	return nil
}

// NoSource is a Source for runs without inputs (e.g. simulation).
type NoSource struct{}

// ReadTile implements Source.
func (NoSource) ReadTile(*Tile) error { return nil }
