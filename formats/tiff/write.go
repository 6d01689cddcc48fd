package tiff

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Tag numbers (TIFF 6.0 section 8, SampleFormat section 19, PageName
// section 12; 50838 and 50839 are ImageJ's private tags).
const (
	TagNewSubfileType       = 254
	TagImageWidth           = 256
	TagImageLength          = 257
	TagBitsPerSample        = 258
	TagCompression          = 259
	TagPhotometric          = 262
	TagImageDescription     = 270
	TagStripOffsets         = 273
	TagSamplesPerPixel      = 277
	TagRowsPerStrip         = 278
	TagStripByteCounts      = 279
	TagXResolution          = 282
	TagYResolution          = 283
	TagPlanarConfiguration  = 284
	TagPageName             = 285
	TagResolutionUnit       = 296
	TagSoftware             = 305
	TagTileWidth            = 322
	TagSampleFormat         = 339
	TagIJMetadataByteCounts = 50838
	TagIJMetadata           = 50839
)

// Field types (TIFF 6.0 section 2).
const (
	typeByte     = 1
	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
	typeSByte    = 6
	typeUndef    = 7
	typeSShort   = 8
	typeSLong    = 9
	typeSRat     = 10
	typeFloat    = 11
	typeDouble   = 12
)

// Resolution units of TagResolutionUnit.
const (
	ResolutionNone       = 1
	ResolutionInch       = 2
	ResolutionCentimeter = 3
)

// ImageJ metadata: the magic number and the slice-label type of
// IJMetadata, as 32-bit words in the file's byte order (ImageJ's
// TiffEncoder: "IJIJ" and "labl").
const (
	ijMagic  = 0x494a494a
	ijLabels = 0x6c61626c
)

// maxFileSize is the largest classic TIFF: offsets are uint32.
const maxFileSize = 1<<32 - 1

// Calibration is the pixel size of the images: the scan step of a map.
type Calibration struct {
	// PixelSize is the length of one pixel in Unit, the same along x and
	// y; 0 or NaN leaves the resolution tags out (an uncalibrated image).
	PixelSize float64
	// Unit names the length unit, e.g. "nm" or "um". "cm" and "inch" are
	// TIFF resolution units; any other unit is written as ResolutionUnit
	// 1 (none) with the unit in the ImageJ description, as ImageJ does.
	Unit string
	// X0, Y0 are the coordinates of the first column and row in Unit
	// (ImageJ's xorigin and yorigin, written in pixels).
	X0, Y0 float64
}

func (c Calibration) valid() bool {
	return c.PixelSize > 0 && !math.IsInf(c.PixelSize, 0) && !math.IsNaN(c.PixelSize)
}

// Options control what Writer adds to the pixel data.
type Options struct {
	Calibration
	// ImageJ makes page 0's ImageDescription the header with which
	// ImageJ and Fiji open the pages as one stack ("ImageJ=1.11a",
	// images, slices, unit, origin) and stores each page's description
	// (else its name) as an ImageJ slice label. Page 0's own description
	// is then only in its label; the other pages keep theirs.
	ImageJ bool
	// Software is written as the Software tag when not empty.
	Software string
}

// Writer writes a stack of float32 images of one size as a little-endian
// multi-page TIFF (doc/formats.md 8.1): the header, the pixel data of all
// pages contiguously from byte 8, then one IFD per page. Pages are
// streamed with WritePage; Close writes the IFDs.
type Writer struct {
	w                    *bufio.Writer
	width, height, pages int
	opt                  Options
	names, descriptions  []string
	row                  []byte
	err                  error
}

// NewWriter starts a TIFF of pages images of width x height pixels on w.
// It fails when the sizes are not positive or the file could not fit in
// 4 GiB.
func NewWriter(w io.Writer, width, height, pages int, opt Options) (*Writer, error) {
	if width < 1 || height < 1 || pages < 1 {
		return nil, fmt.Errorf("tiff: could not start a file of %d pages of %dx%d pixels: sizes must be positive", pages, width, height)
	}
	if width > math.MaxUint32 || height > math.MaxUint32 || 8+float64(width)*float64(height)*4*float64(pages) > maxFileSize {
		return nil, fmt.Errorf("tiff: could not start a file of %d pages of %dx%d pixels: larger than classic TIFF's 4 GiB", pages, width, height)
	}
	tw := &Writer{w: bufio.NewWriterSize(w, 1<<16), width: width, height: height, pages: pages, opt: opt, row: make([]byte, 4*width)}
	var hdr [8]byte
	hdr[0], hdr[1] = 'I', 'I'
	binary.LittleEndian.PutUint16(hdr[2:], 42)
	binary.LittleEndian.PutUint32(hdr[4:], uint32(tw.ifdStart()))
	if _, err := tw.w.Write(hdr[:]); err != nil {
		return nil, fmt.Errorf("tiff: could not write the header: %w", err)
	}
	return tw, nil
}

func (tw *Writer) pageBytes() int64 { return int64(tw.width) * int64(tw.height) * 4 }

// ifdStart is the offset of the first IFD: after the header and the
// contiguous pixel data (a multiple of 4 already).
func (tw *Writer) ifdStart() int64 { return 8 + int64(tw.pages)*tw.pageBytes() }

// WritePage writes the next page: pix holds height rows of width values,
// the top row first. name is written as PageName, description as
// ImageDescription (see Options.ImageJ for page 0); both should be ASCII,
// other characters are escaped as \uXXXX. It panics when len(pix) is not
// width x height.
func (tw *Writer) WritePage(pix []float32, name, description string) error {
	if len(pix) != tw.width*tw.height {
		panic("tiff: page length does not match the image size")
	}
	if tw.err != nil {
		return tw.err
	}
	if len(tw.names) == tw.pages {
		tw.err = fmt.Errorf("tiff: could not write page %d: the file was started with %d pages", len(tw.names)+1, tw.pages)
		return tw.err
	}
	for y := 0; y < tw.height; y++ {
		for x, v := range pix[y*tw.width : (y+1)*tw.width] {
			binary.LittleEndian.PutUint32(tw.row[4*x:], math.Float32bits(v))
		}
		if _, err := tw.w.Write(tw.row); err != nil {
			tw.err = fmt.Errorf("tiff: could not write page %d: %w", len(tw.names)+1, err)
			return tw.err
		}
	}
	tw.names = append(tw.names, name)
	tw.descriptions = append(tw.descriptions, description)
	return nil
}

// Close writes the image file directories. It fails when fewer pages were
// written than announced; it does not close the underlying writer.
func (tw *Writer) Close() error {
	if tw.err != nil {
		return tw.err
	}
	if len(tw.names) != tw.pages {
		tw.err = fmt.Errorf("tiff: could not finish the file: %d of %d pages written", len(tw.names), tw.pages)
		return tw.err
	}
	off := tw.ifdStart()
	for k := 0; k < tw.pages; k++ {
		b := tw.ifd(k, off)
		off += int64(len(b))
		if off > maxFileSize {
			tw.err = errors.New("tiff: could not finish the file: larger than classic TIFF's 4 GiB")
			return tw.err
		}
		if _, err := tw.w.Write(b); err != nil {
			tw.err = fmt.Errorf("tiff: could not write the directory of page %d: %w", k+1, err)
			return tw.err
		}
	}
	if err := tw.w.Flush(); err != nil {
		tw.err = fmt.Errorf("tiff: could not write the file: %w", err)
		return tw.err
	}
	tw.err = errors.New("tiff: the file is closed")
	return nil
}

// entry is one IFD entry; data holds the encoded value (inline when at
// most 4 bytes).
type entry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

func shortEntry(tag uint16, v uint16) entry {
	return entry{tag, typeShort, 1, binary.LittleEndian.AppendUint16(nil, v)}
}

func longEntry(tag uint16, v ...uint32) entry {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return entry{tag, typeLong, uint32(len(v)), b}
}

func asciiEntry(tag uint16, s string) entry {
	b := append([]byte(asciiEscape(s)), 0)
	return entry{tag, typeASCII, uint32(len(b)), b}
}

func rationalEntry(tag uint16, num, den uint32) entry {
	b := binary.LittleEndian.AppendUint32(nil, num)
	return entry{tag, typeRational, 1, binary.LittleEndian.AppendUint32(b, den)}
}

// ifd encodes the directory of page k placed at offset off, followed by
// its out-of-line values; the result's length is a multiple of 4.
func (tw *Writer) ifd(k int, off int64) []byte {
	o := tw.opt
	desc := tw.descriptions[k]
	if o.ImageJ && k == 0 {
		desc = tw.imageJDescription()
	}
	es := []entry{
		longEntry(TagNewSubfileType, 0),
		longEntry(TagImageWidth, uint32(tw.width)),
		longEntry(TagImageLength, uint32(tw.height)),
		shortEntry(TagBitsPerSample, 32),
		shortEntry(TagCompression, 1),
		shortEntry(TagPhotometric, 1), // BlackIsZero
	}
	if desc != "" {
		es = append(es, asciiEntry(TagImageDescription, desc))
	}
	es = append(es,
		longEntry(TagStripOffsets, uint32(8+int64(k)*tw.pageBytes())),
		shortEntry(TagSamplesPerPixel, 1),
		longEntry(TagRowsPerStrip, uint32(tw.height)),
		longEntry(TagStripByteCounts, uint32(tw.pageBytes())),
	)
	if o.valid() {
		num, den := rational(1 / o.PixelSize)
		es = append(es, rationalEntry(TagXResolution, num, den), rationalEntry(TagYResolution, num, den))
	}
	es = append(es, shortEntry(TagPlanarConfiguration, 1))
	if tw.names[k] != "" {
		es = append(es, asciiEntry(TagPageName, tw.names[k]))
	}
	if o.valid() {
		unit := uint16(ResolutionNone)
		switch o.Unit {
		case "cm":
			unit = ResolutionCentimeter
		case "inch":
			unit = ResolutionInch
		}
		es = append(es, shortEntry(TagResolutionUnit, unit))
	}
	if o.Software != "" {
		es = append(es, asciiEntry(TagSoftware, o.Software))
	}
	es = append(es, shortEntry(TagSampleFormat, 3)) // IEEE floating point
	if o.ImageJ && k == 0 {
		counts, data := tw.imageJLabels()
		es = append(es, longEntry(TagIJMetadataByteCounts, counts...), entry{TagIJMetadata, typeByte, uint32(len(data)), data})
	}
	// Layout: entry count, entries, next-IFD offset, then the values that
	// do not fit in 4 bytes, each at a word boundary.
	head := 2 + 12*len(es) + 4
	head += head % 4
	extra := int64(off) + int64(head)
	b := make([]byte, 0, head+256)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(es)))
	var tail []byte
	for _, e := range es {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.typ)
		b = binary.LittleEndian.AppendUint32(b, e.count)
		if len(e.data) <= 4 {
			var v [4]byte
			copy(v[:], e.data)
			b = append(b, v[:]...)
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(extra+int64(len(tail))))
		tail = append(tail, e.data...)
		for len(tail)%4 != 0 {
			tail = append(tail, 0)
		}
	}
	next := uint32(0)
	if k+1 < tw.pages {
		next = uint32(extra + int64(len(tail)))
	}
	b = binary.LittleEndian.AppendUint32(b, next)
	for len(b) < head {
		b = append(b, 0)
	}
	return append(b, tail...)
}

// imageJDescription is the header ImageJ writes in page 0's
// ImageDescription (ImageJ's FileSaver.getDescriptionString): a stack of
// pages slices, the unit and the origin in pixels.
func (tw *Writer) imageJDescription() string {
	var s strings.Builder
	s.WriteString("ImageJ=1.11a\n")
	if tw.pages > 1 {
		fmt.Fprintf(&s, "images=%d\nslices=%d\n", tw.pages, tw.pages)
	}
	if c := tw.opt.Calibration; c.valid() {
		unit := c.Unit
		if unit == "" {
			unit = "pixel"
		}
		fmt.Fprintf(&s, "unit=%s\n", imageJUnit(unit))
		if c.X0 != 0 {
			fmt.Fprintf(&s, "xorigin=%s\n", strconv.FormatFloat(-c.X0/c.PixelSize, 'g', -1, 64))
		}
		if c.Y0 != 0 {
			fmt.Fprintf(&s, "yorigin=%s\n", strconv.FormatFloat(-c.Y0/c.PixelSize, 'g', -1, 64))
		}
	}
	s.WriteString("loop=false\n")
	return s.String()
}

// imageJUnit spells a unit as ImageJ's description expects: micrometres
// as "um" (ImageJ shows them as µm), no line breaks.
func imageJUnit(u string) string {
	switch u {
	case "µm", "μm", "micron":
		return "um"
	}
	return strings.NewReplacer("\n", " ", "\r", " ", "µ", "u", "μ", "u").Replace(u)
}

// imageJLabels encodes the slice labels as ImageJ's IJMetadata: a header
// of the magic word and one (type, count) pair, then each label in UTF-16
// in the file's byte order; counts holds the byte length of the header
// and of each label (IJMetadataByteCounts).
func (tw *Writer) imageJLabels() (counts []uint32, data []byte) {
	data = binary.LittleEndian.AppendUint32(data, ijMagic)
	data = binary.LittleEndian.AppendUint32(data, ijLabels)
	data = binary.LittleEndian.AppendUint32(data, uint32(tw.pages))
	counts = append(counts, uint32(len(data)))
	for k := range tw.pages {
		label := tw.descriptions[k]
		if label == "" {
			label = tw.names[k]
		}
		if label == "" {
			label = " " // ImageJ needs a non-empty entry per slice
		}
		n := len(data)
		for _, u := range utf16.Encode([]rune(label)) {
			data = binary.LittleEndian.AppendUint16(data, u)
		}
		counts = append(counts, uint32(len(data)-n))
	}
	return counts, data
}

// asciiEscape keeps printable ASCII, tabs and line feeds and writes any
// other character as \uXXXX (ImageJ's escape), since TIFF ASCII fields
// are 7-bit and NUL-terminated.
func asciiEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || (r >= 0x20 && r < 0x7f):
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&b, "\\u%04X", u)
			}
		}
	}
	return b.String()
}

// rational returns the best approximation num/den of v > 0 with 32-bit
// numerator and denominator, by continued fractions (the convergents are
// the best rational approximations; Khinchin, Continued Fractions, 1964,
// theorem 16).
func rational(v float64) (num, den uint32) {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0, 1
	}
	const lim = math.MaxUint32
	if v >= lim {
		return lim, 1
	}
	if v <= 1.0/lim {
		return 1, lim
	}
	// h/k are the convergents; x the remaining value.
	h0, h1 := 0.0, 1.0
	k0, k1 := 1.0, 0.0
	x := v
	for i := 0; i < 64; i++ {
		a := math.Floor(x)
		h2, k2 := a*h1+h0, a*k1+k0
		if h2 > lim || k2 > lim {
			break
		}
		h0, h1, k0, k1 = h1, h2, k1, k2
		if h1/k1 == v || x-a < 1e-300 {
			break
		}
		x = 1 / (x - a)
	}
	return uint32(h1), uint32(k1)
}
