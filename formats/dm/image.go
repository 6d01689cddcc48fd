package dm

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Image is one entry of the ImageList.
type Image struct {
	Index     int
	Name      string
	DataType  int   // ImageData.DataType (doc/formats.md 4.7)
	Dims      []int // fastest first, as stored
	Calib     []Calibration
	Tags      *Group // ImageTags (may be nil)
	Thumbnail bool
	data      *Data
	file      *File
}

// Calibration of one dimension: coordinate(i) = (i - Origin) * Scale.
type Calibration struct {
	Origin, Scale float64
	Units         string
}

// pixel types by DataType: byte size and a decoder.
var pixelTypes = map[int]struct {
	name string
	size int
}{
	1: {"int16", 2}, 2: {"float32", 4}, 6: {"uint8", 1}, 7: {"int32", 4}, 9: {"int8", 1},
	10: {"uint16", 2}, 11: {"uint32", 4}, 12: {"float64", 8}, 14: {"bool", 1},
}

// TypeName returns the pixel type name (or "type N").
func (im *Image) TypeName() string {
	if t, ok := pixelTypes[im.DataType]; ok {
		return t.name
	}
	switch im.DataType {
	case 23:
		return "RGBA"
	case 8:
		return "RGB"
	case 3, 5, 13, 27, 28:
		return "complex"
	}
	return fmt.Sprintf("type %d", im.DataType)
}

// Images returns the images of the file, thumbnails marked.
func (f *File) Images() ([]*Image, error) {
	list := f.Root.Lookup("ImageList")
	if list == nil || list.Group == nil {
		return nil, fmt.Errorf("%w: no ImageList", ErrFormat)
	}
	thumbs := map[int]bool{}
	if t := f.Root.Lookup("Thumbnails"); t != nil && t.Group != nil {
		for _, e := range t.Group.Entries {
			if e.Group != nil {
				if v, ok := e.Group.Float("ImageIndex"); ok {
					thumbs[int(v)] = true
				}
			}
		}
	}
	var out []*Image
	for i, e := range list.Group.Entries {
		if e.Group == nil {
			continue
		}
		g := e.Group
		im := &Image{Index: i, Thumbnail: thumbs[i], file: f}
		im.Name, _ = g.String("Name")
		if v, ok := g.Float("ImageData", "DataType"); ok {
			im.DataType = int(v)
		}
		if d := g.Lookup("ImageData", "Dimensions"); d != nil && d.Group != nil {
			for _, de := range d.Group.Entries {
				if de.Data == nil {
					continue
				}
				v, ok := de.Data.Value.(int64)
				if !ok || v < 0 || v > 1<<31 {
					return nil, fmt.Errorf("%w: image %d has a bad dimension %v", ErrFormat, i, de.Data.Value)
				}
				im.Dims = append(im.Dims, int(v))
			}
		}
		if c := g.Lookup("ImageData", "Calibrations", "Dimension"); c != nil && c.Group != nil {
			for _, ce := range c.Group.Entries {
				if ce.Group == nil {
					continue
				}
				cal := Calibration{Scale: 1}
				cal.Origin, _ = ce.Group.Float("Origin")
				if s, ok := ce.Group.Float("Scale"); ok {
					cal.Scale = s
				}
				cal.Units, _ = ce.Group.String("Units")
				im.Calib = append(im.Calib, cal)
			}
		}
		if t := g.Lookup("ImageTags"); t != nil {
			im.Tags = t.Group
		}
		if d := g.Lookup("ImageData", "Data"); d != nil && d.Data != nil {
			im.data = d.Data
		}
		out = append(out, im)
	}
	return out, nil
}

// Elements returns the number of pixels.
func (im *Image) Elements() int64 {
	n := int64(1)
	for _, d := range im.Dims {
		n *= int64(d)
	}
	return n
}

// ReadFloats reads count pixels from pixel index start into dst,
// converted to float64 by DataType.
func (im *Image) ReadFloats(dst []float64, start int64) error {
	t, ok := pixelTypes[im.DataType]
	if !ok {
		return fmt.Errorf("dm: image %q has unsupported pixel type %s", im.Name, im.TypeName())
	}
	if im.data == nil {
		return fmt.Errorf("%w: image %q has no data", ErrFormat, im.Name)
	}
	z := int64(t.size)
	if start < 0 || (start+int64(len(dst)))*z > im.data.Size {
		return fmt.Errorf("%w: image %q: pixels %d..%d beyond its %d bytes", ErrFormat, im.Name, start, start+int64(len(dst)), im.data.Size)
	}
	b := make([]byte, int64(len(dst))*z)
	if _, err := im.file.r.ReadAt(b, im.data.Offset+start*z); err != nil {
		return fmt.Errorf("dm: could not read pixels of %q: %w", im.Name, err)
	}
	o := im.file.order()
	for i := range dst {
		p := b[int64(i)*z:]
		switch im.DataType {
		case 1:
			dst[i] = float64(int16(o.Uint16(p)))
		case 2:
			dst[i] = float64(math.Float32frombits(o.Uint32(p)))
		case 6, 14:
			dst[i] = float64(p[0])
		case 7:
			dst[i] = float64(int32(o.Uint32(p)))
		case 9:
			dst[i] = float64(int8(p[0]))
		case 10:
			dst[i] = float64(o.Uint16(p))
		case 11:
			dst[i] = float64(o.Uint32(p))
		case 12:
			dst[i] = math.Float64frombits(o.Uint64(p))
		}
	}
	return nil
}

// describe returns a one-line description of an image for messages.
func (im *Image) describe() string {
	dims := make([]string, len(im.Dims))
	for i, d := range im.Dims {
		dims[len(im.Dims)-1-i] = fmt.Sprint(d)
	}
	sig, _ := im.tag("Meta Data", "Signal")
	format, _ := im.tag("Meta Data", "Format")
	return fmt.Sprintf("image %d %q (%s, %s, signal %q, format %q)", im.Index, im.Name, strings.Join(dims, "x"), im.TypeName(), sig, format)
}

func (im *Image) tag(path ...string) (string, bool) {
	if im.Tags == nil {
		return "", false
	}
	return im.Tags.String(path...)
}

func (im *Image) isSpectrumImage() bool {
	if f, _ := im.tag("Meta Data", "Format"); strings.EqualFold(f, "Spectrum image") {
		return true
	}
	return im.Tags != nil && im.Tags.Lookup("spim") != nil
}

// Options choose what Signal imports. Image is an image index, so the
// zero Options asks for image 0 (often a thumbnail, which is refused);
// Image -1 lets Signal find the EELS image. A nil Energy keeps the file's
// calibration.
type Options struct {
	Image int // image index, -1 for the EELS image
	// Energy overrides the energy calibration of uncalibrated data.
	Energy *multispectrum.EnergyAxis
}

// ErrAmbiguousImage is matched (errors.Is) by an *AmbiguousImageError.
var ErrAmbiguousImage = errors.New("dm: no image chosen")

// AmbiguousImageError reports that Signal cannot tell which image to
// import (Options.Image is -1): the file has several EELS images (EELS >
// 1), or several images and none of them EELS (EELS == 0).
type AmbiguousImageError struct {
	EELS   int      // number of EELS images
	Images []string // descriptions of every image but thumbnails, in file order
}

func (e *AmbiguousImageError) Error() string {
	if e.EELS > 1 {
		return fmt.Sprintf("dm: %d EELS images (images: %s)", e.EELS, strings.Join(e.Images, "; "))
	}
	return fmt.Sprintf("dm: no EELS image among %d images (images: %s)", len(e.Images), strings.Join(e.Images, "; "))
}

func (e *AmbiguousImageError) Is(target error) bool { return target == ErrAmbiguousImage }

// ErrUncalibrated is matched (errors.Is) by an *UncalibratedError.
var ErrUncalibrated = errors.New("dm: the energy axis is not calibrated")

// UncalibratedError reports an image without EELS tags whose spectral
// axis is not calibrated in eV: it may be EELS, but only a calibration
// given in Options.Energy says where its channels are.
type UncalibratedError struct {
	Image string // description of the image
	Units string // the unit of its spectral axis
}

func (e *UncalibratedError) Error() string {
	return fmt.Sprintf("dm: %s has no EELS tags and its spectral axis is not calibrated in eV (unit %q)", e.Image, e.Units)
}

func (e *UncalibratedError) Is(target error) bool { return target == ErrUncalibrated }

// Signal finds the EELS data of the file and describes it (doc/formats.md
// 4.6-4.8). opt.Image selects an image explicitly (-1: the EELS image;
// an *AmbiguousImageError when there is no single one). Images without
// spectrum tags, image stacks, non-EELS signals (CL, EDS) and thumbnails
// are refused with the reason; an image without EELS tags and without an
// eV calibration needs opt.Energy (else an *UncalibratedError).
func (f *File) Signal(opt Options) (*formats.Signal, error) {
	index := opt.Image
	ims, err := f.Images()
	if err != nil {
		return nil, err
	}
	var cands []*Image
	var descs []string
	for _, im := range ims {
		if im.Thumbnail {
			continue
		}
		cands = append(cands, im)
		descs = append(descs, im.describe())
	}
	var im *Image
	if index >= 0 {
		for _, c := range ims {
			if c.Index == index {
				im = c
			}
		}
		if im == nil || im.Thumbnail {
			return nil, fmt.Errorf("dm: no image %d (images: %s)", index, strings.Join(descs, "; "))
		}
	} else {
		var eels []*Image
		for _, c := range cands {
			if s, _ := c.tag("Meta Data", "Signal"); s == "EELS" || (c.Tags != nil && c.Tags.Lookup("spim", "eels") != nil) {
				eels = append(eels, c)
			}
		}
		switch {
		case len(eels) == 1:
			im = eels[0]
		case len(eels) > 1:
			return nil, &AmbiguousImageError{EELS: len(eels), Images: descs}
		case len(cands) == 1:
			im = cands[0]
		default:
			return nil, &AmbiguousImageError{Images: descs}
		}
	}
	return im.signal(f, opt.Energy)
}

func (im *Image) signal(f *File, energy *multispectrum.EnergyAxis) (*formats.Signal, error) {
	if _, ok := pixelTypes[im.DataType]; !ok {
		return nil, fmt.Errorf("dm: %s: pixel type %s cannot be imported", im.describe(), im.TypeName())
	}
	if im.data == nil || len(im.Dims) == 0 {
		return nil, fmt.Errorf("%w: %s has no pixel data or dimensions", ErrFormat, im.describe())
	}
	if im.Elements()*int64(pixelTypes[im.DataType].size) > im.data.Size {
		return nil, fmt.Errorf("%w: %s has fewer data bytes than its dimensions need", ErrFormat, im.describe())
	}
	sig, _ := im.tag("Meta Data", "Signal")
	s := &formats.Signal{Title: im.Name, SignalType: sig, DType: im.TypeName(), Scan: multispectrum.PixelScan(),
		Instrument: multispectrum.UnknownInstrument()}
	s.Format = fmt.Sprintf("Gatan DM%d", f.Version)
	cal := func(d int) Calibration {
		if d < len(im.Calib) {
			return im.Calib[d]
		}
		return Calibration{Scale: 1}
	}
	var ed int
	switch len(im.Dims) {
	case 1:
		s.NY, s.NX, ed = 1, 1, 0
	case 2:
		if !im.isSpectrumImage() && sig == "" {
			return nil, fmt.Errorf("dm: %s is a 2-D image (%dx%d, %s) without spectrum/spectrum-image tags; no EELS data", im.describe(), im.Dims[1], im.Dims[0], im.TypeName())
		}
		// Line scan: energy is dimension 0 (fastest), each row a spectrum.
		s.NY, s.NX, ed = 1, im.Dims[1], 0
		c := cal(1)
		s.Scan = multispectrum.ScanCalibration{X0: -c.Origin * c.Scale, Step: c.Scale, Units: normUnits(c.Units)}
	case 3:
		if !im.isSpectrumImage() {
			return nil, fmt.Errorf("dm: %s is a 3-D image stack (no 'Spectrum image' format tag)", im.describe())
		}
		// Spectrum image stored energy-slowest: dims [nx, ny, nE].
		s.NY, s.NX, ed = im.Dims[1], im.Dims[0], 2
		cx, cy := cal(0), cal(1)
		s.Scan = multispectrum.ScanCalibration{X0: -cx.Origin * cx.Scale, Y0: -cy.Origin * cy.Scale, Step: cx.Scale, Units: normUnits(cx.Units)}
	default:
		return nil, fmt.Errorf("dm: %s has %d dimensions", im.describe(), len(im.Dims))
	}
	c := cal(ed)
	s.Axis = multispectrum.EnergyAxis{Offset: -c.Origin * c.Scale, Dispersion: c.Scale, Size: im.Dims[ed]}
	if s.Axis.Offset == 0 {
		s.Axis.Offset = 0 // -0 when Origin is 0
	}
	s.EnergyUnits = c.Units
	switch {
	case energy != nil:
		if energy.Size != 0 && energy.Size != s.Axis.Size {
			return nil, fmt.Errorf("dm: %s has %d channels, the given calibration %d", im.describe(), s.Axis.Size, energy.Size)
		}
		s.Axis.Offset, s.Axis.Dispersion, s.EnergyUnits = energy.Offset, energy.Dispersion, "eV"
		s.Warnings = append(s.Warnings, fmt.Sprintf("energy calibration given by the user: %g eV + %g eV/channel (file: %q)", energy.Offset, energy.Dispersion, c.Units))
	case sig != "" && sig != "EELS":
		return nil, fmt.Errorf("dm: %s: signal type %s, spectral unit %q, not EELS (eV)", im.describe(), sig, c.Units)
	case c.Units != "eV":
		if sig == "EELS" {
			s.Warnings = append(s.Warnings, fmt.Sprintf("the energy axis has unit %q, not eV", c.Units))
		} else {
			return nil, &UncalibratedError{Image: im.describe(), Units: c.Units}
		}
	}
	if err := s.Axis.Validate(); err != nil {
		return nil, fmt.Errorf("dm: %s: %w", im.describe(), err)
	}
	if im.Tags != nil {
		t := im.Tags
		if v, ok := t.Float("Microscope Info", "Voltage"); ok && v > 0 {
			s.Instrument.BeamEnergy = v
		}
		if v, ok := t.Float("EELS", "Experimental Conditions", "Convergence semi-angle (mrad)"); ok && v > 0 {
			s.Instrument.Convergence = v * 1e-3
		}
		if v, ok := t.Float("EELS", "Experimental Conditions", "Collection semi-angle (mrad)"); ok && v > 0 {
			s.Instrument.Collection = v * 1e-3 // 0.0 means "not entered"
		}
		if v, ok := t.Float("EELS", "Acquisition", "Integration time (s)"); ok && v > 0 {
			s.Instrument.DwellTime = v
		} else if e, ok := t.Float("EELS", "Acquisition", "Exposure (s)"); ok && e > 0 {
			n, ok := t.Float("EELS", "Acquisition", "Number of frames")
			if !ok || n <= 0 {
				n = 1
			}
			s.Instrument.DwellTime = e * n
		}
		if m, ok := t.String("Session Info", "Microscope"); ok && m != "" {
			s.Instrument.Microscope = m
		} else if m, ok := t.String("Microscope Info", "Name"); ok {
			s.Instrument.Microscope = m
		}
		s.Original = map[string]any{"ImageTags": t.Tree()}
	}
	s.Data = &pixelReader{im: im, sig: s, ed: ed}
	return s, nil
}

// normUnits converts DM's µm to nm for scan axes.
func normUnits(u string) string {
	switch u {
	case "µm", "\u03bcm", "um":
		return "um"
	}
	return u
}

// pixelReader reads regions of the image as spectra.
type pixelReader struct {
	im  *Image
	sig *formats.Signal
	ed  int
	buf []float64
}

// ReadRegion implements formats.RegionReader. Spectrum images are stored
// one energy plane after another, so a region is read plane by plane,
// one row segment per read.
func (r *pixelReader) ReadRegion(dst []float64, reg multispectrum.Region) error {
	s := r.sig
	ne := s.Axis.Size
	dst = dst[:reg.Pixels()*ne]
	switch r.ed {
	case 0: // spectra are contiguous (1-D, line scan)
		for x := 0; x < reg.NX; x++ {
			if err := r.im.ReadFloats(dst[x*ne:(x+1)*ne], int64(reg.X0+x)*int64(ne)); err != nil {
				return err
			}
		}
		return nil
	}
	if reg.X0 == 0 && reg.NX == s.NX {
		// Full-width rows are contiguous in each energy plane: one read
		// per plane.
		n := reg.NY * reg.NX
		if cap(r.buf) < n {
			r.buf = make([]float64, n)
		}
		block := r.buf[:n]
		for e := 0; e < ne; e++ {
			if err := r.im.ReadFloats(block, (int64(e)*int64(s.NY)+int64(reg.Y0))*int64(s.NX)); err != nil {
				return err
			}
			for i, v := range block {
				dst[i*ne+e] = v
			}
		}
		return nil
	}
	if cap(r.buf) < reg.NX {
		r.buf = make([]float64, reg.NX)
	}
	row := r.buf[:reg.NX]
	for e := 0; e < ne; e++ {
		for y := 0; y < reg.NY; y++ {
			start := (int64(e)*int64(s.NY)+int64(reg.Y0+y))*int64(s.NX) + int64(reg.X0)
			if err := r.im.ReadFloats(row, start); err != nil {
				return err
			}
			for x, v := range row {
				dst[(y*reg.NX+x)*ne+e] = v
			}
		}
	}
	return nil
}
