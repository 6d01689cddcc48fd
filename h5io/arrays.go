package h5io

import (
	"fmt"
	"strings"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// WriteFloats writes a small float64 dataset of the given shape at path
// (parents are created) with optional units.
func (f *File) WriteFloats(path string, dims []int, data []float64, units string) error {
	n := 1
	for _, d := range dims {
		n *= d
	}
	if n != len(data) {
		panic("h5io: data length does not match shape")
	}
	parent := path[:strings.LastIndex(path, "/")]
	g, err := f.ensureGroup(parent)
	if err != nil {
		return err
	}
	g.close()
	if len(dims) == 1 {
		if err := writeNumbers(f.id(), path, false, false, data); err != nil {
			return f.wrapWrite(path, err)
		}
	} else {
		if err := createChunked(f.id(), path, tF64, u64(dims...), u64(dims...), 0); err != nil {
			return f.wrapWrite(path, err)
		}
		h, _, err := f.openDataset(path)
		if err != nil {
			return err
		}
		zero := make([]int, len(dims))
		err = rwBlock(h.id(), u64(zero...), u64(dims...), data, true)
		h.close()
		if err != nil {
			return f.wrapWrite(path, err)
		}
	}
	if units != "" {
		return f.setStringAttr(path, AttrUnits, units)
	}
	return nil
}

// WriteStringList writes a 1-D variable-length string dataset.
func (f *File) WriteStringList(path string, values []string) error {
	parent := path[:strings.LastIndex(path, "/")]
	g, err := f.ensureGroup(parent)
	if err != nil {
		return err
	}
	defer g.close()
	if err := writeStrings(f.id(), path, false, false, false, values...); err != nil {
		return f.wrapWrite(path, err)
	}
	return nil
}

// SetNXClass sets the NX_class of the group at path, creating it.
func (f *File) SetNXClass(path, class string) error {
	g, err := f.ensureGroup(path)
	if err != nil {
		return err
	}
	g.close()
	return f.setStringAttr(path, AttrNXClass, class)
}

// SetDefault sets the default attribute (NeXus) of the group at path.
func (f *File) SetDefault(path, child string) error {
	return f.setStringAttr(path, AttrDefault, child)
}

// WriteStackArray writes a pixel-major array (ny, nx, n) as a dataset of
// shape (n, ny, nx) at path, one map per component.
func (f *File) WriteStackArray(path string, a *multispectrum.Array, units string) error {
	t := make([]float64, len(a.Data))
	p := a.NY * a.NX
	for i := 0; i < p; i++ {
		for c := 0; c < a.Width; c++ {
			t[c*p+i] = a.Data[i*a.Width+c]
		}
	}
	return f.WriteFloats(path, []int{a.Width, a.NY, a.NX}, t, units)
}

// CreateArray creates a chunked (ny, nx, width) dataset at path (not an
// NXdata group) for streaming, e.g. a noise-free cube kept as truth.
func (f *File) CreateArray(path string, ny, nx, width int, dt DType, chunk [2]int, gzip int) (*Dataset, error) {
	parent := path[:strings.LastIndex(path, "/")]
	g, err := f.ensureGroup(parent)
	if err != nil {
		return nil, err
	}
	g.close()
	cy, cx := max(1, min(chunk[0], ny)), max(1, min(chunk[1], nx))
	if err := createChunked(f.id(), path, dt.code(), u64(ny, nx, width), u64(cy, cx, width), gzip); err != nil {
		return nil, f.wrapWrite(path, err)
	}
	return f.openStream(path, kindCube, dt)
}

// ReadStrings reads a string dataset (scalar or 1-D).
func (f *File) ReadStrings(path string) ([]string, error) {
	if !linkExists(f.id(), path) {
		return nil, fmt.Errorf("h5io: %q has no dataset %q", f.path, path)
	}
	s, err := readStrings(f.id(), path, false)
	if err != nil {
		return nil, fmt.Errorf("h5io: could not read %q in %q: %w", path, f.path, err)
	}
	return s, nil
}

// ReadFloats reads a whole numeric dataset as float64 with its shape.
func (f *File) ReadFloats(path string) ([]float64, []int, error) {
	if !linkExists(f.id(), path) {
		return nil, nil, fmt.Errorf("h5io: %q has no dataset %q", f.path, path)
	}
	in, err := getInfo(f.id(), path, false)
	if err != nil {
		return nil, nil, fmt.Errorf("h5io: could not read %q in %q (is it a group?)", path, f.path)
	}
	if in.n > 1<<28 {
		return nil, nil, fmt.Errorf("h5io: %q in %q is too large to read whole (%d values)", path, f.path, in.n)
	}
	v, err := readFloats(f.id(), path, false)
	if err != nil {
		return nil, nil, fmt.Errorf("h5io: could not read %q in %q: %w", path, f.path, err)
	}
	return v, in.dims, nil
}

// Curve is one named spectrum of a WriteSpectra group.
type Curve struct {
	Name     string
	Values   []float64
	LongName string
}

// WriteSpectra writes spectra on one energy axis as an NXdata group: the
// first curve is the signal, the others auxiliary signals drawn with it
// (e.g. the mean data, model and components).
func (f *File) WriteSpectra(path string, axis multispectrum.EnergyAxis, curves []Curve) error {
	if len(curves) == 0 {
		return nil
	}
	g, err := f.createNXdata(path, curves[0].Name, []string{AxisEnergyLoss}, "spectrum", "")
	if err != nil {
		return err
	}
	defer g.close()
	var aux []string
	for i, c := range curves {
		if len(c.Values) != axis.Size {
			panic("h5io: curve length does not match the axis")
		}
		if err := writeNumbers(g.id(), c.Name, false, false, c.Values); err != nil {
			return f.wrapWrite(path+"/"+c.Name, err)
		}
		if err := f.labelDataset(path+"/"+c.Name, "counts", c.LongName, "spectrum"); err != nil {
			return err
		}
		if i > 0 {
			aux = append(aux, c.Name)
		}
	}
	if len(aux) > 0 {
		if err := writeStrings(g.id(), "auxiliary_signals", true, false, true, aux...); err != nil {
			return f.wrapWrite(path, err)
		}
	}
	return f.writeAxis(g, path, AxisEnergyLoss, axis.Energies(nil), "eV", "Energy loss (eV)")
}
