package tiff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Limits of Read, against corrupt or hostile files.
const (
	maxPages  = 1 << 16
	maxPixels = 1 << 28 // per page
)

// Page is one decoded image with the tags Writer writes.
type Page struct {
	Width, Height int
	// Pix holds Height rows of Width values, the top row first.
	Pix []float64
	// BitsPerSample and SampleFormat (1 unsigned, 2 signed integer,
	// 3 floating point) of the stored samples.
	BitsPerSample, SampleFormat int
	Name, Description, Software string
	// XResolution and YResolution are pixels per resolution unit (0 when
	// absent); ResolutionUnit is 1 (none), 2 (inch) or 3 (cm).
	XResolution, YResolution float64
	ResolutionUnit           int
}

// File is a decoded TIFF file.
type File struct {
	ByteOrder binary.ByteOrder
	Pages     []Page
	// ImageJ holds the key=value lines of page 0's description when it is
	// an ImageJ header (nil otherwise), Labels the ImageJ slice labels.
	ImageJ map[string]string
	Labels []string
	// Offsets[k] is where the pixel data of page k start (for the check
	// that a stack is contiguous, as ImageJ needs).
	Offsets []int64
}

type field struct {
	typ   uint16
	count uint32
	data  []byte // the value bytes, size x count
}

// Read decodes the uncompressed grey-scale TIFF of size bytes in r.
func Read(r io.ReaderAt, size int64) (*File, error) {
	var hdr [8]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("tiff: could not read the header: %w", err)
	}
	f := &File{}
	switch string(hdr[:2]) {
	case "II":
		f.ByteOrder = binary.LittleEndian
	case "MM":
		f.ByteOrder = binary.BigEndian
	default:
		return nil, errors.New("tiff: not a TIFF file (no II or MM byte-order mark)")
	}
	bo := f.ByteOrder
	switch bo.Uint16(hdr[2:]) {
	case 42:
	case 43:
		return nil, errors.New("tiff: BigTIFF files are not supported")
	default:
		return nil, errors.New("tiff: not a TIFF file (no 42 after the byte-order mark)")
	}
	seen := map[int64]bool{}
	for off := int64(bo.Uint32(hdr[4:])); off != 0; {
		if seen[off] {
			return nil, fmt.Errorf("tiff: IFD at byte %d is linked twice", off)
		}
		seen[off] = true
		if len(f.Pages) == maxPages {
			return nil, fmt.Errorf("tiff: more than %d pages", maxPages)
		}
		fields, next, err := readIFD(r, size, bo, off)
		if err != nil {
			return nil, fmt.Errorf("tiff: page %d: %w", len(f.Pages)+1, err)
		}
		p, start, err := decodePage(r, size, bo, fields)
		if err != nil {
			return nil, fmt.Errorf("tiff: page %d: %w", len(f.Pages)+1, err)
		}
		if len(f.Pages) == 0 {
			if strings.HasPrefix(p.Description, "ImageJ=") {
				f.ImageJ = parseImageJ(p.Description)
			}
			f.Labels = imageJLabels(fields, bo)
		}
		f.Pages = append(f.Pages, p)
		f.Offsets = append(f.Offsets, start)
		off = next
	}
	if len(f.Pages) == 0 {
		return nil, errors.New("tiff: no pages")
	}
	return f, nil
}

func typeSize(t uint16) int {
	switch t {
	case typeByte, typeASCII, typeSByte, typeUndef:
		return 1
	case typeShort, typeSShort:
		return 2
	case typeLong, typeSLong, typeFloat:
		return 4
	case typeRational, typeSRat, typeDouble:
		return 8
	}
	return 0
}

func readIFD(r io.ReaderAt, size int64, bo binary.ByteOrder, off int64) (map[uint16]field, int64, error) {
	var nb [2]byte
	if off < 8 || off+2 > size {
		return nil, 0, fmt.Errorf("IFD offset %d outside the file", off)
	}
	if _, err := r.ReadAt(nb[:], off); err != nil {
		return nil, 0, fmt.Errorf("could not read the IFD at byte %d: %w", off, err)
	}
	n := int64(bo.Uint16(nb[:]))
	if off+2+12*n+4 > size {
		return nil, 0, fmt.Errorf("IFD at byte %d runs past the end of the file", off)
	}
	b := make([]byte, 12*n+4)
	if _, err := r.ReadAt(b, off+2); err != nil {
		return nil, 0, fmt.Errorf("could not read the IFD at byte %d: %w", off, err)
	}
	fields := make(map[uint16]field, n)
	for i := int64(0); i < n; i++ {
		e := b[12*i : 12*i+12]
		tag, typ, count := bo.Uint16(e), bo.Uint16(e[2:]), bo.Uint32(e[4:])
		sz := typeSize(typ)
		if sz == 0 {
			continue // unknown types are skipped (TIFF 6.0 section 2)
		}
		nbytes := int64(sz) * int64(count)
		var data []byte
		if nbytes <= 4 {
			data = append([]byte(nil), e[8:8+nbytes]...)
		} else {
			at := int64(bo.Uint32(e[8:]))
			if at+nbytes > size || nbytes > 1<<26 {
				return nil, 0, fmt.Errorf("tag %d: %d bytes at %d outside the file", tag, nbytes, at)
			}
			data = make([]byte, nbytes)
			if _, err := r.ReadAt(data, at); err != nil {
				return nil, 0, fmt.Errorf("could not read tag %d: %w", tag, err)
			}
		}
		fields[tag] = field{typ, count, data}
	}
	return fields, int64(bo.Uint32(b[12*n:])), nil
}

// ints returns an integer field's values (BYTE, SHORT or LONG).
func (fl field) ints(bo binary.ByteOrder) []int64 {
	v := make([]int64, fl.count)
	for i := range v {
		switch fl.typ {
		case typeByte:
			v[i] = int64(fl.data[i])
		case typeShort:
			v[i] = int64(bo.Uint16(fl.data[2*i:]))
		case typeLong:
			v[i] = int64(bo.Uint32(fl.data[4*i:]))
		default:
			return nil
		}
	}
	return v
}

func intTag(fields map[uint16]field, bo binary.ByteOrder, tag uint16, def int64) (int64, error) {
	fl, ok := fields[tag]
	if !ok {
		return def, nil
	}
	v := fl.ints(bo)
	if len(v) < 1 {
		return 0, fmt.Errorf("tag %d is not an integer", tag)
	}
	return v[0], nil
}

func stringTag(fields map[uint16]field, tag uint16) string {
	fl, ok := fields[tag]
	if !ok || fl.typ != typeASCII {
		return ""
	}
	return strings.TrimRight(string(fl.data), "\x00")
}

func rationalTag(fields map[uint16]field, bo binary.ByteOrder, tag uint16) float64 {
	fl, ok := fields[tag]
	if !ok || fl.typ != typeRational || fl.count < 1 {
		return 0
	}
	num, den := bo.Uint32(fl.data), bo.Uint32(fl.data[4:])
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

func decodePage(r io.ReaderAt, size int64, bo binary.ByteOrder, fields map[uint16]field) (Page, int64, error) {
	var p Page
	get := func(tag uint16, def int64) int64 {
		v, err := intTag(fields, bo, tag, def)
		if err != nil {
			return -1
		}
		return v
	}
	w, h := get(TagImageWidth, 0), get(TagImageLength, 0)
	if w < 1 || h < 1 || w*h > maxPixels {
		return p, 0, fmt.Errorf("image size %dx%d not supported", w, h)
	}
	p.Width, p.Height = int(w), int(h)
	if c := get(TagCompression, 1); c != 1 {
		return p, 0, fmt.Errorf("compression %d not supported (only uncompressed files)", c)
	}
	if s := get(TagSamplesPerPixel, 1); s != 1 {
		return p, 0, fmt.Errorf("%d samples per pixel not supported (only grey-scale images)", s)
	}
	if _, ok := fields[TagTileWidth]; ok {
		return p, 0, errors.New("tiled images are not supported")
	}
	p.BitsPerSample, p.SampleFormat = int(get(TagBitsPerSample, 1)), int(get(TagSampleFormat, 1))
	bits, format := p.BitsPerSample, p.SampleFormat
	okType := (format == 1 || format == 2) && (bits == 8 || bits == 16 || bits == 32 || bits == 64) ||
		format == 3 && (bits == 32 || bits == 64)
	if !okType {
		return p, 0, fmt.Errorf("samples of %d bits, format %d not supported", bits, format)
	}
	p.Description = stringTag(fields, TagImageDescription)
	p.Name = stringTag(fields, TagPageName)
	p.Software = stringTag(fields, TagSoftware)
	p.XResolution = rationalTag(fields, bo, TagXResolution)
	p.YResolution = rationalTag(fields, bo, TagYResolution)
	p.ResolutionUnit = int(get(TagResolutionUnit, ResolutionInch))

	offs, counts := fields[TagStripOffsets].ints(bo), fields[TagStripByteCounts].ints(bo)
	if len(offs) == 0 || len(offs) != len(counts) {
		return p, 0, errors.New("missing or inconsistent StripOffsets and StripByteCounts")
	}
	rows := get(TagRowsPerStrip, h)
	if rows < 1 {
		return p, 0, errors.New("invalid RowsPerStrip")
	}
	rows = min(rows, h)
	if int64(len(offs)) != (h+rows-1)/rows {
		return p, 0, fmt.Errorf("%d strips for %d rows of %d", len(offs), h, rows)
	}
	bps := int64(bits / 8)
	rowBytes := w * bps
	p.Pix = make([]float64, w*h)
	var buf []byte
	for s, off := range offs {
		nrows := min(rows, h-int64(s)*rows)
		n := nrows * rowBytes
		if counts[s] < n || off < 0 || off+n > size {
			return p, 0, fmt.Errorf("strip %d (%d bytes at %d) does not hold %d rows inside the file", s, counts[s], off, nrows)
		}
		if int64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := r.ReadAt(buf, off); err != nil {
			return p, 0, fmt.Errorf("could not read strip %d: %w", s, err)
		}
		dst := p.Pix[int64(s)*rows*w:]
		for i := range nrows * w {
			b := buf[i*bps:]
			var v float64
			switch {
			case format == 3 && bits == 32:
				v = float64(math.Float32frombits(bo.Uint32(b)))
			case format == 3:
				v = math.Float64frombits(bo.Uint64(b))
			case bits == 8 && format == 1:
				v = float64(b[0])
			case bits == 8:
				v = float64(int8(b[0]))
			case bits == 16 && format == 1:
				v = float64(bo.Uint16(b))
			case bits == 16:
				v = float64(int16(bo.Uint16(b)))
			case bits == 32 && format == 1:
				v = float64(bo.Uint32(b))
			case bits == 32:
				v = float64(int32(bo.Uint32(b)))
			case format == 1:
				v = float64(bo.Uint64(b))
			default:
				v = float64(int64(bo.Uint64(b)))
			}
			dst[i] = v
		}
	}
	return p, offs[0], nil
}

// parseImageJ splits an ImageJ description into its key=value lines.
func parseImageJ(desc string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(desc, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// imageJLabels decodes the slice labels of ImageJ's IJMetadata (nil when
// there are none or the metadata are malformed).
func imageJLabels(fields map[uint16]field, bo binary.ByteOrder) []string {
	cf, ok1 := fields[TagIJMetadataByteCounts]
	df, ok2 := fields[TagIJMetadata]
	if !ok1 || !ok2 {
		return nil
	}
	counts := cf.ints(bo)
	data := df.data
	if len(counts) < 1 || counts[0] < 12 || int64(len(data)) < counts[0] || bo.Uint32(data) != ijMagic {
		return nil
	}
	// Header: magic, then (type, count) pairs; entries follow in order.
	pos := counts[0]
	entry := 1
	var labels []string
	for t := int64(4); t+8 <= counts[0]; t += 8 {
		typ, n := bo.Uint32(data[t:]), int64(bo.Uint32(data[t+4:]))
		for i := int64(0); i < n; i++ {
			if entry >= len(counts) || pos+counts[entry] > int64(len(data)) {
				return nil
			}
			b := data[pos : pos+counts[entry]]
			if typ == ijLabels {
				u := make([]uint16, len(b)/2)
				for j := range u {
					u[j] = bo.Uint16(b[2*j:])
				}
				labels = append(labels, string(utf16.Decode(u)))
			}
			pos += counts[entry]
			entry++
		}
	}
	return labels
}

// PixelSize returns the pixel size in the ImageJ unit (or the resolution
// unit) from XResolution, and that unit; 0 and "" when the page is not
// calibrated.
func (f *File) PixelSize() (float64, string) {
	p := f.Pages[0]
	if p.XResolution <= 0 {
		return 0, ""
	}
	unit := map[int]string{ResolutionInch: "inch", ResolutionCentimeter: "cm"}[p.ResolutionUnit]
	if u, ok := f.ImageJ["unit"]; ok {
		unit = u
	}
	return 1 / p.XResolution, unit
}

// Origin returns the coordinates of the first column and row from the
// ImageJ xorigin and yorigin (in pixels) and the pixel size: 0 without
// them.
func (f *File) Origin() (x0, y0 float64) {
	size, _ := f.PixelSize()
	parse := func(k string) float64 {
		v, err := strconv.ParseFloat(f.ImageJ[k], 64)
		if err != nil {
			return 0
		}
		return -v * size
	}
	return parse("xorigin"), parse("yorigin")
}
