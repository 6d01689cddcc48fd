package classic

import (
	"fmt"
	"maps"
	"slices"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// CropOptions configure Crop.
type CropOptions struct {
	// Region is the part of the scan to keep (nil: all of it).
	Region *multispectrum.Region
	// Energy maps a cube name to the energy range [lo, hi) eV to keep of
	// it: the channels whose start energies lie in the range. Cubes not
	// named keep every channel.
	Energy map[string][2]float64
}

// CropPlan returns the plan of Crop, or an error for a region outside the
// scan, an energy window outside its cube's axis or an unknown cube.
func CropPlan(in Input, opts CropOptions) (*Plan, error) {
	p, _, err := cropPlan(in, opts)
	return p, err
}

func cropPlan(in Input, opts CropOptions) (*Plan, [][2]int, error) {
	if err := in.check(); err != nil {
		return nil, nil, err
	}
	r := multispectrum.Region{NY: in.NY, NX: in.NX}
	if opts.Region != nil {
		r = *opts.Region
		if r.Y0 < 0 || r.X0 < 0 || r.NY < 1 || r.NX < 1 || r.Y0+r.NY > in.NY || r.X0+r.NX > in.NX {
			return nil, nil, fmt.Errorf("classic: crop region %v lies outside the %dx%d scan", r, in.NY, in.NX)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(opts.Energy)) {
		if in.Find(name) < 0 {
			return nil, nil, fmt.Errorf("classic: crop: there is no %s cube", name)
		}
	}
	p := &Plan{Operation: "crop", NY: r.NY, NX: r.NX, Y0: r.Y0, X0: r.X0, FY: 1, FX: 1,
		Params: map[string]any{"region": []int{r.Y0, r.Y0 + r.NY, r.X0, r.X0 + r.NX}}}
	chans := make([][2]int, len(in.Cubes))
	for k, c := range in.Cubes {
		i0, i1 := 0, c.Axis.Size
		if e, ok := opts.Energy[c.Name]; ok {
			var err error
			if i0, i1, err = window(c.Axis, e[0], e[1], "energy range of "+c.Name); err != nil {
				return nil, nil, err
			}
			p.Params["energy_"+c.Name+"_eV"] = []float64{e[0], e[1]}
		}
		chans[k] = [2]int{i0, i1}
		p.Streams = append(p.Streams, Stream{Name: c.Name, Kind: CubeStream, Width: i1 - i0, Axis: c.Axis.Crop(i0, i1), Units: "counts"})
	}
	p.Default = p.Streams[0].Name
	return p, chans, nil
}

// Crop keeps a region of the scan and, per cube, an energy range; the
// cubes keep their names, so that every later operation (align, fit,
// quant) can read the step as it reads the raw cubes. Cropping a region
// applies to every cube alike, so core and low loss stay pixel for pixel
// together.
func Crop(in Input, opts CropOptions, dst Destination, ro RunOptions) (*Result, error) {
	p, chans, err := cropPlan(in, opts)
	if err != nil {
		return nil, err
	}
	fn := func(_ struct{}, t *multispectrum.Tile) error {
		n := t.Region.Pixels()
		for k, c := range in.Cubes {
			wi, i0, i1 := c.Axis.Size, chans[k][0], chans[k][1]
			wo := i1 - i0
			for q := range n {
				copy(t.Out[k][q*wo:(q+1)*wo], t.In[k][q*wi+i0:q*wi+i1])
			}
		}
		return nil
	}
	return run(in, in.Cubes, p, dst, ro, noWorkspace, fn, hooks{})
}
