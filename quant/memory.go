package quant

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// Memory is a Destination that keeps every output stream in memory, one
// Array (ny x nx x width) per stream. It suits scans that fit in memory
// and tests; processing files use h5io.FitStepDestination.
type Memory struct {
	plan   *Plan
	arrays [numStreams]*multispectrum.Array
	sink   multispectrum.ArraySink
	result *Result
}

// NewMemory returns an empty in-memory destination.
func NewMemory() *Memory { return &Memory{} }

// Begin implements Destination.
func (m *Memory) Begin(p *Plan) (Output, error) {
	if m.plan != nil {
		return nil, fmt.Errorf("quant: a Memory destination takes one run")
	}
	m.plan = p
	ny, nx := p.Scan()
	for _, s := range p.Streams() {
		a := multispectrum.NewArray(ny, nx, p.Width(s))
		m.arrays[s] = a
		m.sink = append(m.sink, a)
	}
	return memoryOutput{m}, nil
}

type memoryOutput struct{ m *Memory }

func (o memoryOutput) WriteTile(t *multispectrum.Tile) error             { return o.m.sink.WriteTile(t) }
func (o memoryOutput) Resume() ([]bool, []float64, error)                { return nil, nil, nil }
func (o memoryOutput) Checkpoint(done []bool, sums []float64) error      { return nil }
func (o memoryOutput) Finish(r *Result) error                            { o.m.result = r; return nil }
func (o memoryOutput) ReadStream(s Stream) (*multispectrum.Array, error) { return o.m.Stream(s) }

// Stream returns the array of stream s.
func (m *Memory) Stream(s Stream) (*multispectrum.Array, error) {
	if s < 0 || s >= numStreams || m.arrays[s] == nil {
		return nil, fmt.Errorf("quant: the run has no %s output", s)
	}
	return m.arrays[s], nil
}

// Pixel returns the values of stream s at pixel (y, x), or nil when the
// run has no such stream.
func (m *Memory) Pixel(s Stream, y, x int) []float64 {
	a, err := m.Stream(s)
	if err != nil {
		return nil
	}
	return a.Pixel(y, x)
}

// Covariance returns the covariance matrix of the free parameters at
// pixel (y, x), in coefficient order.
func (m *Memory) Covariance(y, x int) *mat.SymDense {
	tri := m.Pixel(StreamCovariance, y, x)
	if tri == nil {
		return nil
	}
	return UnpackCovariance(tri, m.plan.NumParams())
}

// UnpackCovariance makes the p x p symmetric matrix of an upper triangle
// stored row by row (the Covariance stream of one pixel).
func UnpackCovariance(tri []float64, p int) *mat.SymDense {
	c := mat.NewSymDense(p, nil)
	q := 0
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			c.SetSym(i, j, tri[q])
			q++
		}
	}
	return c
}
