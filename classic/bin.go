package classic

import (
	"fmt"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// BinOptions configure Bin. A factor of 0 or 1 leaves that dimension.
type BinOptions struct {
	Scan   [2]int // rows, columns of scan pixels summed into one
	Energy int    // channels summed into one (every cube)
}

// BinPlan returns the plan of Bin, or an error when a factor does not
// divide its dimension (the scan, or a cube's channel count).
func BinPlan(in Input, opts BinOptions) (*Plan, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	fy, fx, fe := max(opts.Scan[0], 1), max(opts.Scan[1], 1), max(opts.Energy, 1)
	if opts.Scan[0] < 0 || opts.Scan[1] < 0 || opts.Energy < 0 {
		return nil, fmt.Errorf("classic: bin factors %v, %d must not be negative", opts.Scan, opts.Energy)
	}
	if in.NY%fy != 0 || in.NX%fx != 0 {
		return nil, fmt.Errorf("classic: scan bin %dx%d does not divide the %dx%d scan", fy, fx, in.NY, in.NX)
	}
	p := &Plan{Operation: "bin", NY: in.NY / fy, NX: in.NX / fx, FY: fy, FX: fx,
		Params: map[string]any{"scan_factor": []int{fy, fx}, "energy_factor": fe}}
	for _, c := range in.Cubes {
		if c.Axis.Size%fe != 0 {
			return nil, fmt.Errorf("classic: energy bin %d does not divide the %d channels of %s", fe, c.Axis.Size, c.Name)
		}
		// Channel j of the binned axis covers input channels
		// [j fe, (j+1) fe): its start energy is that of channel j fe.
		ax := multispectrum.EnergyAxis{Offset: c.Axis.Offset, Dispersion: c.Axis.Dispersion * float64(fe), Size: c.Axis.Size / fe}
		p.Streams = append(p.Streams, Stream{Name: c.Name, Kind: CubeStream, Width: ax.Size, Axis: ax, Units: "counts"})
	}
	p.Default = p.Streams[0].Name
	return p, nil
}

// Bin sums blocks of fy x fx scan pixels and of fe channels into one, for
// every cube alike: counts are conserved (the sum over a binned cube equals
// the sum over the input), and the binned channel starts where its first
// input channel starts.
func Bin(in Input, opts BinOptions, dst Destination, ro RunOptions) (*Result, error) {
	p, err := BinPlan(in, opts)
	if err != nil {
		return nil, err
	}
	fy, fx := p.FY, p.FX
	fe := max(opts.Energy, 1)
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		r := t.Region
		inx := r.NX * fx // input pixels per row of the tile's input region
		for k, c := range in.Cubes {
			wi, wo := c.Axis.Size, c.Axis.Size/fe
			out := t.Out[k][:r.Pixels()*wo]
			clear(out)
			for y := range r.NY * fy {
				for x := range inx {
					src := t.In[k][(y*inx+x)*wi : (y*inx+x+1)*wi]
					q := (y/fy)*r.NX + x/fx
					dst := out[q*wo : (q+1)*wo]
					for i, v := range src {
						dst[i/fe] += v
					}
				}
			}
		}
		return nil
	}
	return run(in, in.Cubes, p, dst, ro, noWorkspace, fn, hooks{})
}
