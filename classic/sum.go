package classic

import (
	"fmt"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// SumOptions configure Sum.
type SumOptions struct {
	// Region is the part of the scan to sum (nil: all of it).
	Region *multispectrum.Region
}

// SumPlan returns the plan of Sum: one spectrum (a 1 x 1 scan) per cube,
// on the cube's axis; an error for a region outside the scan.
func SumPlan(in Input, opts SumOptions) (*Plan, error) {
	p, _, err := sumPlan(in, opts)
	return p, err
}

func sumPlan(in Input, opts SumOptions) (*Plan, multispectrum.Region, error) {
	if err := in.check(); err != nil {
		return nil, multispectrum.Region{}, err
	}
	r := multispectrum.Region{NY: in.NY, NX: in.NX}
	if opts.Region != nil {
		r = *opts.Region
		if r.Y0 < 0 || r.X0 < 0 || r.NY < 1 || r.NX < 1 || r.Y0+r.NY > in.NY || r.X0+r.NX > in.NX {
			return nil, r, fmt.Errorf("classic: sum region %v lies outside the %dx%d scan", r, in.NY, in.NX)
		}
	}
	p := &Plan{Operation: "sum", NY: 1, NX: 1, FY: 1, FX: 1,
		Params: map[string]any{"region": []int{r.Y0, r.Y0 + r.NY, r.X0, r.X0 + r.NX}, "pixels": r.Pixels()}}
	for _, c := range in.Cubes {
		p.Streams = append(p.Streams, Stream{Name: c.Name, Kind: CubeStream, Width: c.Axis.Size, Axis: c.Axis, Units: "counts"})
	}
	p.Default = p.Streams[0].Name
	return p, r, nil
}

// Sum adds the spectra of a region of the scan (default: all of it) into
// one spectrum per cube, written as a 1 x 1 scan that every command reads
// as a single spectrum. Tiles of the region are summed by the workers and
// the partial sums added in tile order, so the result does not depend on
// the number of workers.
func Sum(in Input, opts SumOptions, dst Destination, ro RunOptions) (*Result, error) {
	p, r, err := sumPlan(in, opts)
	if err != nil {
		return nil, err
	}
	out, err := dst.Begin(p)
	if err != nil {
		return nil, err
	}
	widths := make([]int, len(in.Cubes))
	aux := 0
	for k, c := range in.Cubes {
		widths[k] = c.Axis.Size
		aux += c.Axis.Size
	}
	ty, tx := in.Tile[0], in.Tile[1]
	if ty <= 0 || tx <= 0 {
		ty, tx = 32, 32
	}
	tl := multispectrum.NewTiling(r.NY, r.NX, min(ty, r.NY), min(tx, r.NX))
	// The region's pixels read as a scan of their own.
	rp := &Plan{Y0: r.Y0, X0: r.X0, FY: 1, FX: 1}
	src := &cubeSource{cubes: in.Cubes, plan: rp}
	total := make([]float64, aux)
	// The tiles' partial sums are added in tiling order (InOrder), the
	// same numbers whatever the workers.
	sink := sinkFunc(func(t *multispectrum.Tile) error {
		multispectrum.AddTo(total, t.Aux)
		return nil
	})
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		clear(t.Aux)
		o := 0
		for k, w := range widths {
			acc := t.Aux[o : o+w]
			for q := range t.Region.Pixels() {
				multispectrum.AddTo(acc, t.In[k][q*w:(q+1)*w])
			}
			o += w
		}
		return nil
	}
	err = multispectrum.Process(ro.ctx(), src, sink, tl, multispectrum.Layout{In: widths, Aux: aux}, noWorkspace, fn, append(ro.process(), multispectrum.InOrder())...)
	if err != nil {
		return nil, err
	}
	t := &multispectrum.Tile{Region: multispectrum.Region{NY: 1, NX: 1}}
	o := 0
	for _, w := range widths {
		t.Out = append(t.Out, total[o:o+w])
		o += w
	}
	if err := out.WriteTile(t); err != nil {
		return nil, err
	}
	res := &Result{Plan: p, Spectra: r.Pixels(), Summary: map[string]any{"pixels": r.Pixels()}}
	return res, out.Finish(res)
}

// sinkFunc is a Sink of a function.
type sinkFunc func(t *multispectrum.Tile) error

func (f sinkFunc) WriteTile(t *multispectrum.Tile) error { return f(t) }
