package main

// Drawing primitives of the figures (figures.go decides what to draw):
// colour maps and robust limits, pixel-exact map rasters, colour bars and
// categorical legends, calibrated scan axes with sensible ticks, spectrum
// panels and histograms. Everything is drawn at figDPI onto an RGBA
// image, in Liberation Sans.

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"
	"math/bits"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"git.sr.ht/~sbinet/gg"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// figDPI is the resolution of every figure: lengths are given in device
// pixels (px) and converted to points for gonum/plot.
const figDPI = 96

// px is n device pixels as a length.
func px(n float64) vg.Length { return vg.Length(n * 72 / figDPI) }

// dots is a length in device pixels.
func dots(l vg.Length) float64 { return float64(l) * figDPI / 72 }

var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// textStyle is black Liberation Sans of size points.
func textStyle(size float64) draw.TextStyle {
	return draw.TextStyle{Color: color.Black, Font: font.From(sansFont, vg.Points(size)), Handler: textHandler}
}

// newPlot returns a plot in sans-serif type with nice ticks on both axes.
func newPlot() *plot.Plot {
	p := plot.New()
	for _, s := range []*draw.TextStyle{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Font.Typeface, s.Font.Variant = sansFont.Typeface, sansFont.Variant
		s.Handler = textHandler
	}
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.X.Tick.Marker = niceTicks{n: 6}
	p.Y.Tick.Marker = niceTicks{n: 6}
	// Figures are drawn on a white canvas: filling each plot's background
	// again is a tenth of the drawing time.
	p.BackgroundColor = nil
	return p
}

// savePNG renders a figure of w x h device pixels into path.
func savePNG(path string, w, h int, render func(dc draw.Canvas)) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return usageError{fmt.Errorf("%q: only .png plots are written", path)}
	}
	// The canvas draws straight into im: vgimg.NewWith would draw into a
	// copy of an image it makes (two allocations of the figure's size
	// and a copy), so its context is made here as NewWith makes it.
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	ctx := gg.NewContextForRGBA(im)
	ctx.SetLineCapButt()
	ctx.InvertY()
	render(draw.New(vgimg.NewWith(vgimg.UseImageWithContext(im, ctx), vgimg.UseDPI(figDPI))))
	return writeFile(path, func(wr io.Writer) (int64, error) {
		return 0, encodePNG(wr, im)
	})
}

// encodePNG writes img as a PNG file (W3C Portable Network Graphics
// specification, 2nd edition, sections 5, 9 and 10: the signature, an
// IHDR chunk, the zlib stream of the scanlines in IDAT chunks, IEND).
// An opaque *image.RGBA (every figure: they are drawn on white) is
// written as 8-bit RGB with filter type 0 (none) on every scanline at
// zlib level 2; other images go through image/png.
//
// Why not image/png: it tries every filter type on every row, which on
// the seed's figures is two thirds of its time even at png.BestSpeed, and
// on figures (flat areas, rows repeated by the map cells) unfiltered rows
// compress better anyway. BenchmarkEncodePNG (ten 128x128 maps, both in
// one run): 2.9 times faster than png.BestSpeed, a third smaller; the 11
// figures of the seed's quant step: 3.2 times faster, 15% smaller.
func encodePNG(w io.Writer, img image.Image) error {
	m, ok := img.(*image.RGBA)
	if !ok || !m.Opaque() {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img)
	}
	b := m.Bounds()
	width, height := b.Dx(), b.Dy()
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString("\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // bit depth 8, colour type 2 (RGB); compression, filter, interlace 0
	if err := writePNGChunk(bw, "IHDR", ihdr[:]); err != nil {
		return err
	}
	// The zlib stream goes into IDAT chunks of up to 64 KiB.
	idat := bufio.NewWriterSize(pngChunkWriter{w: bw, typ: "IDAT"}, 1<<16)
	zw, err := zlib.NewWriterLevel(idat, 2)
	if err != nil {
		return err
	}
	row := make([]byte, 1+3*width) // filter type 0, then R, G, B per pixel
	for y := b.Min.Y; y < b.Max.Y; y++ {
		src := m.Pix[m.PixOffset(b.Min.X, y):][:4*width]
		for x, j := 0, 1; x < 4*width; x, j = x+4, j+3 {
			row[j], row[j+1], row[j+2] = src[x], src[x+1], src[x+2]
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := idat.Flush(); err != nil {
		return err
	}
	if err := writePNGChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

// writePNGChunk writes one PNG chunk: the data length, the type, the data
// and the CRC-32 of type and data.
func writePNGChunk(w io.Writer, typ string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], typ)
	crc := crc32.Update(crc32.ChecksumIEEE(head[4:]), crc32.IEEETable, data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc)
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// pngChunkWriter writes every Write as one chunk of its type.
type pngChunkWriter struct {
	w   io.Writer
	typ string
}

func (c pngChunkWriter) Write(p []byte) (int, error) {
	if err := writePNGChunk(c.w, c.typ, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Ticks.

// niceStep returns the smallest of 1, 2, 2.5 and 5 times a power of ten
// that is at least raw and minStep; whole numbers only when integer.
func niceStep(raw, minStep float64, integer bool) float64 {
	raw = math.Max(raw, minStep)
	if integer {
		raw = math.Max(raw, 1)
	}
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		s := m * p
		if integer && math.Abs(s-math.Round(s)) > 1e-9 {
			continue
		}
		if s >= raw*(1-1e-9) {
			return s
		}
	}
	return 10 * p
}

// tickValues returns the multiples of a nice step in [lo, hi], about n
// intervals apart, and the step.
func tickValues(lo, hi float64, n int, minStep float64, integer bool) ([]float64, float64) {
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil, 0
	}
	if !(hi > lo) {
		return []float64{lo}, 0
	}
	step := niceStep((hi-lo)/float64(max(n, 1)), minStep, integer)
	var out []float64
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9 && len(out) < 1000; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		out = append(out, v)
	}
	return out, step
}

// tickLabels formats tick values with as many digits as the step needs.
// Very large or small values are written as mantissas times 10^exp, exp
// returned (0 when the labels are the values).
func tickLabels(vals []float64, step float64) (labels []string, exp int) {
	labels = make([]string, len(vals))
	if len(vals) == 0 {
		return labels, 0
	}
	big := 0.0
	for _, v := range vals {
		big = math.Max(big, math.Abs(v))
	}
	if step <= 0 {
		step = math.Max(big, 1)
	}
	if big >= 1e5 || (big > 0 && big < 1e-3) {
		exp = int(math.Floor(math.Log10(big) + 1e-9))
	}
	scale := math.Pow(10, float64(exp))
	e := math.Floor(math.Log10(step/scale) + 1e-9)
	extra := 0.0
	if m := step / scale / math.Pow(10, e); math.Abs(m-2.5) < 1e-6 {
		extra = 1
	}
	for i, v := range vals {
		if v == 0 {
			labels[i] = "0"
			continue
		}
		labels[i] = strconv.FormatFloat(v/scale, 'f', int(math.Max(0, -e+extra)), 64)
	}
	return labels, exp
}

// powerOfTen is "×10ⁿ" (drawn by supText).
func powerOfTen(exp int) string { return "\u00d7" + tenTo(exp) }

// tenTo is "10ⁿ" (drawn by supText).
func tenTo(exp int) string {
	return "10^{" + strings.Replace(strconv.Itoa(exp), "-", "\u2212", 1) + "}"
}

// supText draws plain text in which "^{...}" is a superscript (the
// fonts lack most superscript digits); other text is text.Plain's.
type supText struct{ text.Plain }

var textHandler = supText{text.Plain{Fonts: font.DefaultCache}}

type textRun struct {
	s   string
	sup bool
}

func splitSup(txt string) []textRun {
	var out []textRun
	for txt != "" {
		i := strings.Index(txt, "^{")
		j := strings.Index(txt[max(i, 0):], "}")
		if i < 0 || j < 0 {
			return append(out, textRun{txt, false})
		}
		j += i
		if i > 0 {
			out = append(out, textRun{txt[:i], false})
		}
		out = append(out, textRun{txt[i+2 : j], true})
		txt = txt[j+1:]
	}
	return out
}

func supFont(f font.Font) font.Font {
	f.Size *= 0.7
	return f
}

func (h supText) Box(txt string, fnt font.Font) (w, ht, d vg.Length) {
	if !strings.Contains(txt, "^{") {
		return h.Plain.Box(txt, fnt)
	}
	_, ht, d = h.Plain.Box("0", fnt)
	for _, r := range splitSup(txt) {
		f := fnt
		if r.sup {
			f = supFont(fnt)
		}
		face := h.Fonts.Lookup(f, f.Size)
		if r.sup {
			ht = max(ht, fnt.Size*0.36+face.Extents().Ascent)
		}
		w += face.Width(r.s)
	}
	return w, ht, d
}

func (h supText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	if !strings.Contains(txt, "^{") || strings.Contains(txt, "\n") {
		h.Plain.Draw(c, txt, sty, pt)
		return
	}
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	cos, sin := vg.Length(cos64), vg.Length(sin64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
	base := h.Fonts.Lookup(sty.Font, sty.Font.Size)
	w, _, _ := h.Box(txt, sty.Font)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - base.Extents().Ascent + sty.Font.Size
	pt.X += vg.Length(sty.XAlign) * w
	for _, r := range splitSup(txt) {
		face, y := base, pt.Y
		if r.sup {
			f := supFont(sty.Font)
			face, y = h.Fonts.Lookup(f, f.Size), pt.Y+sty.Font.Size*0.36
		}
		c.FillString(face, vg.Point{X: pt.X, Y: y}, r.s)
		pt.X += face.Width(r.s)
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}

// prettyUnits writes powers and micro as in print: nm^2 as nm², um as µm.
func prettyUnits(u string) string {
	if u == "um" {
		return "\u00b5m"
	}
	return strings.NewReplacer("^-1", "\u207b\u00b9", "^-2", "\u207b\u00b2", "^2", "\u00b2", "^3", "\u00b3", "um^", "\u00b5m^").Replace(u)
}

// niceTicks are labelled ticks at about n intervals of 1, 2, 2.5 or 5
// times a power of ten (at least minStep; whole numbers only when
// integer), with unlabelled minor ticks between them.
type niceTicks struct {
	n        int
	minStep  float64
	integer  bool
	noLabels bool // tick marks only (a panel sharing the axis below)
}

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	vals, step := tickValues(lo, hi, max(t.n, 2), t.minStep, t.integer)
	labels, exp := tickLabels(vals, step)
	var out []plot.Tick
	for i, v := range vals {
		switch {
		case t.noLabels:
			labels[i] = ""
		case exp != 0 && labels[i] != "0":
			labels[i] += powerOfTen(exp)
		}
		out = append(out, plot.Tick{Value: v, Label: labels[i]})
	}
	if step > 0 {
		minor := step / 5
		if m := step / math.Pow(10, math.Floor(math.Log10(step)+1e-9)); math.Abs(m-2) < 1e-6 {
			minor = step / 4
		}
		if t.integer && minor < 1 {
			minor = 1
		}
		if minor < step {
			for k := math.Ceil(lo/minor - 1e-9); k*minor <= hi+minor*1e-9 && len(out) < 5000; k++ {
				v := k * minor
				if r := math.Abs(v/step - math.Round(v/step)); r > 1e-6 {
					out = append(out, plot.Tick{Value: v})
				}
			}
		}
	}
	return out
}

// logTicks label the powers of ten (10ⁿ) with minor ticks at 2..9 times
// them.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	var out []plot.Tick
	labelled := 0
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	step := max(1, (e1-e0)/8)
	for e := e0; e <= e1; e++ {
		p := math.Pow(10, float64(e))
		if p >= lo && p <= hi {
			label := ""
			if (e-e0)%step == 0 {
				label = tenTo(e)
				if e == 0 || e == 1 {
					label = strconv.Itoa(int(p))
				}
				labelled++
			}
			out = append(out, plot.Tick{Value: p, Label: label})
		}
		for m := 2; m <= 9 && step == 1; m++ {
			if v := float64(m) * p; v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v})
			}
		}
	}
	if labelled < 2 { // about a decade or less: linear ticks
		return niceTicks{n: 4}.Ticks(lo, hi)
	}
	return out
}

// Colour maps.

// divergingTable is Moreland's smooth cool-warm map (blue, grey, red).
var divergingTable = func() (t [256]color.RGBA) {
	cm := moreland.SmoothBlueRed()
	cm.SetMin(0)
	cm.SetMax(1)
	for i := range t {
		c, err := cm.At(float64(i) / 255)
		if err != nil {
			c = color.Gray{128}
		}
		t[i] = color.RGBAModel.Convert(c).(color.RGBA)
	}
	return t
}()

func viridis(t float64) color.RGBA {
	v := viridisTable[tableIndex(t)]
	return color.RGBA{R: uint8(v[0]*255 + 0.5), G: uint8(v[1]*255 + 0.5), B: uint8(v[2]*255 + 0.5), A: 255}
}

func tableIndex(t float64) int {
	if !(t > 0) {
		return 0
	}
	return min(int(t*255+0.5), 255)
}

// missingColour marks pixels without a value.
var missingColour = color.RGBA{R: 200, G: 200, B: 200, A: 255}

type scaleKind int

const (
	sequential scaleKind = iota // viridis: non-negative quantities
	diverging                   // cool-warm centred on 0: signed quantities
	autoScale                   // diverging when the robust limits straddle 0 (beyond noise)
)

// colourScale maps values to colours between robust limits: the 1st and
// 99th percentiles of the finite values (nearest rank, so that maps of
// fewer than 100 pixels are not clipped), symmetric about 0 when
// diverging. autoScale diverges when the limits straddle 0 by more than
// noise: a map whose negative values reach less than a tenth of its
// positive ones (an edge amplitude that is 0 with noise outside a
// region) is non-negative, as its elemental map is.
type colourScale struct {
	lo, hi                float64
	diverging             bool
	below, above, missing int // pixels under lo, over hi, without a value
	uniform               bool
	value                 float64 // of a uniform map
}

func newColourScale(z []float64, kind scaleKind) colourScale {
	var fin []float64
	for _, v := range z {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			fin = append(fin, v)
		}
	}
	s := colourScale{lo: 0, hi: 1, missing: len(z) - len(fin)}
	if len(fin) == 0 {
		return s
	}
	n := len(fin)
	least, most := fin[0], fin[0]
	for _, v := range fin {
		least, most = math.Min(least, v), math.Max(most, v)
	}
	klo, khi := int(math.Floor(0.01*float64(n-1))), int(math.Ceil(0.99*float64(n-1)))
	lo := nthSmallest(fin, klo)
	hi := nthSmallest(fin[klo:], khi-klo) // fin[klo:] holds the values >= lo
	s.uniform, s.value = least == most, least
	s.diverging = kind == diverging || (kind == autoScale && lo < 0 && hi > 0 && -lo > 0.1*hi)
	switch {
	case s.diverging:
		l := math.Max(math.Abs(lo), math.Abs(hi))
		if l == 0 {
			l = 1
		}
		lo, hi = -l, l
	case !(hi > lo):
		d := math.Abs(lo) * 0.01
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	s.lo, s.hi = lo, hi
	for _, v := range fin {
		if v < lo {
			s.below++
		} else if v > hi {
			s.above++
		}
	}
	return s
}

// nthSmallest reorders v so that v[k] is its k-th smallest value (k from
// 0), with no larger value before it and no smaller one after, and
// returns it: Hoare's selection (FIND, Communications of the ACM 4(7),
// 1961), with a median-of-three pivot. It takes linear time on average,
// where sorting, which the percentiles of every map needed before, took
// n log n; after 4 log2(n) rounds (adversarial data) it sorts what is
// left. v must not hold NaN.
func nthSmallest(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	for rounds := 4 * bits.Len(uint(len(v))); hi > lo; rounds-- {
		if rounds == 0 {
			sort.Float64s(v[lo : hi+1])
			break
		}
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		// v[lo..j] <= pivot <= v[i..hi], and v[j+1..i-1] == pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

func (s colourScale) colour(v float64) color.RGBA {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return missingColour
	}
	t := (v - s.lo) / (s.hi - s.lo)
	if s.diverging {
		return divergingTable[tableIndex(t)]
	}
	return viridis(t)
}

// notes say how the colours relate to the values: clipping, missing
// values, a uniform map.
func (s colourScale) notes() []string {
	var out []string
	if s.below+s.above > 0 {
		out = append(out, fmt.Sprintf("clipped to the 1st-99th percentile: %d px below, %d above", s.below, s.above))
	}
	if s.uniform && s.missing == 0 {
		out = append(out, "uniform: every pixel "+strconv.FormatFloat(s.value, 'g', 6, 64))
	}
	if s.missing > 0 {
		out = append(out, fmt.Sprintf("grey: no value (%d px)", s.missing))
	}
	return out
}

// Status maps.

// statusCodes are the meanings of a status map's codes, parsed from its
// "codes" attribute ("0 ok, 1 non-finite data, 2 singular ...").
type statusCodes struct {
	codes  []int
	labels []string
}

var codeStart = regexp.MustCompile(`(?:^|,)\s*(-?\d+)\s+`)

func parseStatusCodes(attr string) statusCodes {
	var sc statusCodes
	m := codeStart.FindAllStringSubmatchIndex(attr, -1)
	for i, loc := range m {
		end := len(attr)
		if i+1 < len(m) {
			end = m[i+1][0]
		}
		code, err := strconv.Atoi(attr[loc[2]:loc[3]])
		if err != nil {
			continue
		}
		sc.codes = append(sc.codes, code)
		sc.labels = append(sc.labels, strings.TrimSpace(attr[loc[1]:end]))
	}
	return sc
}

var categoryPalette = []color.RGBA{
	{214, 39, 40, 255}, {255, 127, 14, 255}, {148, 103, 189, 255}, {31, 119, 180, 255}, {140, 86, 75, 255},
	{227, 119, 194, 255}, {188, 189, 34, 255}, {23, 190, 207, 255}, {44, 160, 44, 255},
}

// undocumentedColour marks status codes the "codes" attribute lacks.
var undocumentedColour = color.RGBA{A: 255}

// statusColour is light grey for 0 (ok), a distinct strong colour for
// each failure code (black beyond the palette).
func statusColour(code int) color.RGBA {
	switch {
	case code == 0:
		return color.RGBA{217, 217, 217, 255}
	case code > 0 && code <= len(categoryPalette):
		return categoryPalette[code-1]
	}
	return color.RGBA{0, 0, 0, 255}
}

type legendEntry struct {
	colour color.RGBA
	label  string
	faint  bool
}

// statusEntries are the legend of a status map: every documented code
// with its pixel count, then codes found but not documented.
func statusEntries(z []float64, sc statusCodes) []legendEntry {
	counts := map[int]int{}
	missing := 0
	for _, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			missing++
			continue
		}
		counts[int(math.Round(v))]++
	}
	var out []legendEntry
	known := map[int]bool{}
	for i, c := range sc.codes {
		known[c] = true
		out = append(out, legendEntry{statusColour(c), fmt.Sprintf("%d %s: %d px", c, sc.labels[i], counts[c]), counts[c] == 0})
	}
	var extra []int
	for c := range counts {
		if !known[c] {
			extra = append(extra, c)
		}
	}
	sort.Ints(extra)
	for _, c := range extra {
		out = append(out, legendEntry{undocumentedColour, fmt.Sprintf("%d (undocumented code): %d px", c, counts[c]), false})
	}
	if missing > 0 {
		out = append(out, legendEntry{missingColour, fmt.Sprintf("no value: %d px", missing), false})
	}
	return out
}

// Scan geometry.

// lengthUnits are the scan units that can be converted, in metres.
var lengthUnits = map[string]float64{"m": 1, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "μm": 1e-6, "micron": 1e-6,
	"nm": 1e-9, "pm": 1e-12, "A": 1e-10, "Å": 1e-10, "angstrom": 1e-10}

// scanGeom places the pixels of a scan: pixel (iy, ix) is centred on
// (y0 + iy*step, x0 + ix*step) in unit, rows running down the figure.
type scanGeom struct {
	ny, nx       int
	y0, x0, step float64
	unit         string // "pixel" for an uncalibrated scan
	cellW, cellH int    // device pixels per scan pixel
}

func newScanGeom(ny, nx int, sc multispectrum.ScanCalibration) scanGeom {
	g := scanGeom{ny: ny, nx: nx, y0: sc.Y0, x0: sc.X0, step: sc.Step, unit: sc.Units}
	if !(g.step > 0) || math.IsInf(g.step, 0) || math.IsNaN(g.y0+g.x0) || math.IsInf(g.y0+g.x0, 0) {
		g.y0, g.x0, g.step, g.unit = 0, 0, 1, "pixel"
	}
	if g.unit == "" && g.step == 1 && g.x0 == math.Trunc(g.x0) && g.y0 == math.Trunc(g.y0) {
		g.unit = "pixel"
	}
	// Show lengths in the unit that gives numbers of at least 1.
	if f, ok := lengthUnits[g.unit]; ok {
		extent := g.step * float64(max(ny, nx)) * f
		for _, u := range []struct {
			name string
			m    float64
		}{{"m", 1}, {"mm", 1e-3}, {"µm", 1e-6}, {"nm", 1e-9}, {"pm", 1e-12}} {
			if extent/u.m >= 1 || u.name == "pm" {
				k := f / u.m
				g.y0, g.x0, g.step, g.unit = g.y0*k, g.x0*k, g.step*k, u.name
				break
			}
		}
	}
	// About 384 device pixels along the longer side, whole pixels per
	// scan pixel; a line scan (or a very elongated scan) is drawn as a
	// strip at least 40 px wide, its pixels stretched across it.
	s := max(1, int(math.Round(384/float64(max(ny, nx)))))
	g.cellW, g.cellH = s, s
	if ny*s < 40 {
		g.cellH = (40 + ny - 1) / ny
	}
	if nx*s < 40 {
		g.cellW = (40 + nx - 1) / nx
	}
	return g
}

func (g scanGeom) pixels() bool { return g.unit == "pixel" }

// describe is the scan's size and pixel size: "128 x 128 pixels" or
// "128 x 128 pixels of 2.5 nm".
func (g scanGeom) describe() string {
	if g.pixels() {
		return fmt.Sprintf("%d x %d pixels", g.ny, g.nx)
	}
	return fmt.Sprintf("%d x %d pixels of %s %s", g.ny, g.nx, strconv.FormatFloat(g.step, 'g', 4, 64), g.unit)
}

func (g scanGeom) label(axis string) string {
	if g.unit == "" {
		return axis
	}
	return axis + " (" + g.unit + ")"
}

// scanTicks label a scan axis: whole pixels for an uncalibrated scan,
// else nice multiples of the unit, never closer than one pixel. With
// flip the plot coordinate is minus the scan coordinate (rows down).
type scanTicks struct {
	step    float64
	integer bool
	flip    bool
}

func (t scanTicks) Ticks(lo, hi float64) []plot.Tick {
	if t.flip {
		lo, hi = -hi, -lo
	}
	ticks := niceTicks{n: 6, minStep: t.step, integer: t.integer}.Ticks(lo, hi)
	if t.flip {
		for i := range ticks {
			ticks[i].Value = -ticks[i].Value
		}
	}
	return ticks
}

// newMapPlot returns the axes of a map: the scan's extent (pixel edges)
// in its units, rows down, with raster as the only plotter.
func newMapPlot(title string, g scanGeom, raster plot.Plotter) *plot.Plot {
	p := newPlot()
	p.Title.Text = title
	p.X.Label.Text = g.label("x")
	p.Y.Label.Text = g.label("y")
	p.X.Min, p.X.Max = g.x0-g.step/2, g.x0+(float64(g.nx)-0.5)*g.step
	p.Y.Min, p.Y.Max = -(g.y0 + (float64(g.ny)-0.5)*g.step), -(g.y0 - g.step/2)
	p.X.Tick.Marker = scanTicks{step: g.step, integer: g.pixels()}
	p.Y.Tick.Marker = scanTicks{step: g.step, integer: g.pixels(), flip: true}
	p.X.Padding, p.Y.Padding = px(4), px(4)
	p.Add(raster)
	return p
}

// rasterPlotter paints a map's cells, row 0 at the top, onto the plot's
// data area.
type rasterPlotter struct {
	nx, ny int
	cells  []color.RGBA
}

func (r rasterPlotter) Plot(c draw.Canvas, _ *plot.Plot) {
	paintCells(c, c.Rectangle, r.nx, r.ny, r.cells)
}

// imageCanvas is a canvas backed by an image (vgimg).
type imageCanvas interface {
	Image() stddraw.Image
	DPI() float64
}

func baseCanvas(v vg.Canvas) vg.Canvas {
	for {
		switch c := v.(type) {
		case draw.Canvas:
			v = c.Canvas
		case *draw.Canvas:
			v = c.Canvas
		default:
			return v
		}
	}
}

// paintCells fills rectangle r with an nx x ny grid of cells. On an image
// canvas every device pixel takes the colour of the cell it falls in
// (nearest neighbour: no seams, no smoothing); elsewhere an image scaled
// up by whole pixels is drawn.
func paintCells(c draw.Canvas, r vg.Rectangle, nx, ny int, cells []color.RGBA) {
	if nx < 1 || ny < 1 || len(cells) < nx*ny {
		return
	}
	if ic, ok := baseCanvas(c.Canvas).(imageCanvas); ok {
		img, dpi := ic.Image(), ic.DPI()
		h := float64(img.Bounds().Dy())
		x0, x1 := int(math.Round(r.Min.X.Dots(dpi))), int(math.Round(r.Max.X.Dots(dpi)))
		y0, y1 := int(math.Round(h-r.Max.Y.Dots(dpi))), int(math.Round(h-r.Min.Y.Dots(dpi)))
		w, hh := x1-x0, y1-y0
		if w <= 0 || hh <= 0 {
			return
		}
		if rgba, ok := img.(*image.RGBA); ok {
			paintRGBA(rgba, image.Rect(x0, y0, x1, y1), nx, ny, cells)
			return
		}
		for py := y0; py < y1; py++ {
			row := cells[(py-y0)*ny/hh*nx:]
			for pxl := x0; pxl < x1; pxl++ {
				img.Set(pxl, py, row[(pxl-x0)*nx/w])
			}
		}
		return
	}
	k := max(1, 512/max(nx, ny))
	im := image.NewRGBA(image.Rect(0, 0, nx*k, ny*k))
	for y := 0; y < ny*k; y++ {
		for x := 0; x < nx*k; x++ {
			im.SetRGBA(x, y, cells[(y/k)*nx+x/k])
		}
	}
	c.DrawImage(r, im)
}

// paintRGBA fills r of img (clipped to its bounds) with an nx x ny grid
// of cells, each device pixel taking the colour of the cell it falls in.
// A device row is painted once per row of cells and copied down.
func paintRGBA(img *image.RGBA, r image.Rectangle, nx, ny int, cells []color.RGBA) {
	w, h := r.Dx(), r.Dy()
	c := r.Intersect(img.Bounds())
	if c.Empty() {
		return
	}
	column := make([]int, c.Dx()) // the cell column of each device column
	for i := range column {
		column[i] = (c.Min.X + i - r.Min.X) * nx / w
	}
	prev, prevRow := -1, []byte(nil)
	for y := c.Min.Y; y < c.Max.Y; y++ {
		row := img.Pix[img.PixOffset(c.Min.X, y):][:4*c.Dx()]
		iy := (y - r.Min.Y) * ny / h
		if iy == prev {
			copy(row, prevRow)
			continue
		}
		cellRow := cells[iy*nx : (iy+1)*nx]
		for i, ix := range column {
			col := cellRow[ix]
			row[4*i], row[4*i+1], row[4*i+2], row[4*i+3] = col.R, col.G, col.B, col.A
		}
		prev, prevRow = iy, row
	}
}

// fitDataArea returns the canvas size that gives p a data area of dw x dh.
// The data area is piecewise linear in the canvas size (tick labels that
// overhang its edges scale with it): secant steps find it.
func fitDataArea(p *plot.Plot, dw, dh vg.Length) (w, h vg.Length) {
	size := func(w, h vg.Length) (vg.Length, vg.Length) {
		dc := p.DataCanvas(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}})
		return dc.Max.X - dc.Min.X, dc.Max.Y - dc.Min.Y
	}
	solve := func(want, guess vg.Length, f func(vg.Length) vg.Length) vg.Length {
		x0, x1 := guess, guess+px(20)
		f0, f1 := f(x0)-want, f(x1)-want
		for i := 0; i < 20 && math.Abs(float64(f1)) > 0.005; i++ {
			slope := (f1 - f0) / (x1 - x0)
			if !(slope > 0.05) || math.IsInf(float64(slope), 0) {
				slope = 1
			}
			x0, f0 = x1, f1
			x1 -= f1 / slope
			f1 = f(x1) - want
		}
		return x1
	}
	w = solve(dw, dw+px(120), func(w vg.Length) vg.Length { x, _ := size(w, dh+px(200)); return x })
	h = solve(dh, dh+px(90), func(h vg.Length) vg.Length { _, y := size(w, h); return y })
	return w, h
}

// Map figures.

// mapPanel is one map of a figure.
type mapPanel struct {
	title string
	z     []float64 // ny*nx values, row 0 at the top of the scan
	units string    // of the values, for the colour bar
	kind  scaleKind
	codes *statusCodes // a status map: z holds codes
}

// preparedPanel is a map plot with its size and its colour bar or legend.
type preparedPanel struct {
	p        *plot.Plot
	w, h     vg.Length // of the map plot's canvas
	side     vg.Length // width of the colour bar or legend
	sideH    vg.Length // height the colour bar or legend needs
	drawSide func(dc draw.Canvas, x vg.Length, data, panel vg.Rectangle)
}

const barPx, barMinPx, barInsetPx = 16, 200, 12

// prepareMapPanel prepares the plot of a map. areas holds the canvas sizes
// found for the maps of one figure (same scan, so same axes and ticks) by
// the height of their title, which is all that differs.
func prepareMapPanel(mp mapPanel, g scanGeom, areas map[vg.Length][2]vg.Length) preparedPanel {
	cells := make([]color.RGBA, g.ny*g.nx)
	var pp preparedPanel
	if mp.codes != nil {
		entries := statusEntries(mp.z, *mp.codes)
		known := map[int]bool{}
		for _, c := range mp.codes.codes {
			known[c] = true
		}
		for i := range cells {
			if i < len(mp.z) {
				v := mp.z[i]
				switch code := int(math.Round(v)); {
				case math.IsNaN(v) || math.IsInf(v, 0):
					cells[i] = missingColour
				case known[code]:
					cells[i] = statusColour(code)
				default:
					cells[i] = undocumentedColour
				}
			}
		}
		sty := textStyle(9.5)
		var lw vg.Length
		for _, e := range entries {
			lw = max(lw, sty.Width(e.label))
		}
		pp.side = px(10+14+6+8) + lw
		pp.sideH = px(float64(18*len(entries) + 4))
		pp.drawSide = func(dc draw.Canvas, x vg.Length, data, _ vg.Rectangle) {
			drawLegend(dc, x, data.Max.Y, entries)
		}
	} else {
		s := newColourScale(mp.z, mp.kind)
		for i := range cells {
			if i < len(mp.z) {
				cells[i] = s.colour(mp.z[i])
			}
		}
		pp.side, pp.sideH = colourBarWidth(s, mp.units), px(barMinPx+2*barInsetPx)
		units := mp.units
		pp.drawSide = func(dc draw.Canvas, x vg.Length, data, panel vg.Rectangle) {
			drawColourBar(dc, x, data, panel, s, units)
		}
	}
	pp.p = newMapPlot(mp.title, g, rasterPlotter{nx: g.nx, ny: g.ny, cells: cells})
	var titleH vg.Length
	if pp.p.Title.Text != "" {
		titleH = pp.p.Title.TextStyle.Rectangle(pp.p.Title.Text).Size().Y
	}
	size, ok := areas[titleH]
	if !ok {
		size[0], size[1] = fitDataArea(pp.p, px(float64(g.nx*g.cellW)), px(float64(g.ny*g.cellH)))
		areas[titleH] = size
	}
	pp.w, pp.h = size[0], size[1]
	return pp
}

// barTicks are the ticks of a colour bar and its label: the units,
// with the power of ten the labels leave out.
func barTicks(s colourScale, units string) (vals []float64, labels []string, label string) {
	vals, step := tickValues(s.lo, s.hi, 6, 0, false)
	labels, exp := tickLabels(vals, step)
	label = prettyUnits(units)
	if exp != 0 {
		label = strings.TrimSpace(powerOfTen(exp) + " " + label)
	}
	return vals, labels, label
}

// colourBarWidth is the width of drawColourBar's bar, labels and notes.
func colourBarWidth(s colourScale, units string) vg.Length {
	_, labels, label := barTicks(s, units)
	sty := textStyle(9.5)
	var lw vg.Length
	for _, l := range labels {
		lw = max(lw, sty.Width(l))
	}
	w := px(10+barPx+4+4) + lw + px(8)
	if label != "" {
		w += textStyle(10).Height(label) + px(4)
	}
	for range s.notes() {
		w += textStyle(8.5).Height("x") + px(2)
	}
	return w + px(8)
}

// drawColourBar draws a vertical colour bar at x beside the data area
// (at least barMinPx tall, within panel): the colours, ticks, triangles
// at the ends the colours are clipped at, the units and the notes
// (clipping, missing values), rotated, beside it.
func drawColourBar(dc draw.Canvas, x vg.Length, data, panel vg.Rectangle, s colourScale, units string) {
	y0, y1 := data.Min.Y+px(barInsetPx), data.Max.Y-px(barInsetPx)
	if y1-y0 < px(barMinPx) {
		mid := (data.Min.Y + data.Max.Y) / 2
		y0, y1 = mid-px(barMinPx/2), mid+px(barMinPx/2)
		if y1 > panel.Max.Y-px(barInsetPx) {
			y0, y1 = y0-(y1-panel.Max.Y+px(barInsetPx)), panel.Max.Y-px(barInsetPx)
		}
		if y0 < panel.Min.Y+px(barInsetPx) {
			y0 = panel.Min.Y + px(barInsetPx)
		}
	}
	x0 := x + px(10)
	x1 := x0 + px(barPx)
	const n = 256
	cells := make([]color.RGBA, n)
	for i := range cells {
		cells[i] = s.colour(s.hi - (s.hi-s.lo)*(float64(i)+0.5)/n)
	}
	paintCells(dc, vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}, 1, n, cells)
	frame := draw.LineStyle{Color: color.Gray{80}, Width: px(1)}
	if s.above > 0 {
		dc.FillPolygon(s.colour(s.hi), []vg.Point{{X: x0, Y: y1}, {X: x1, Y: y1}, {X: (x0 + x1) / 2, Y: y1 + px(barInsetPx-2)}})
	}
	if s.below > 0 {
		dc.FillPolygon(s.colour(s.lo), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: (x0 + x1) / 2, Y: y0 - px(barInsetPx-2)}})
	}
	dc.StrokeLines(frame, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
	vals, labels, units := barTicks(s, units)
	sty := textStyle(9.5)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	var lw vg.Length
	for i, v := range vals {
		y := y0 + (y1-y0)*vg.Length((v-s.lo)/(s.hi-s.lo))
		dc.StrokeLine2(frame, x1, y, x1+px(4), y)
		dc.FillText(sty, vg.Point{X: x1 + px(6), Y: y}, labels[i])
		lw = max(lw, sty.Width(labels[i]))
	}
	tx := x1 + px(8) + lw + px(4)
	mid := (y0 + y1) / 2
	if units != "" {
		us := textStyle(10)
		us.Rotation, us.XAlign, us.YAlign = math.Pi/2, draw.XCenter, draw.YTop
		dc.FillText(us, vg.Point{X: tx, Y: mid}, units)
		tx += us.Height(units) + px(4)
	}
	ns := textStyle(8.5)
	ns.Color = color.Gray{70}
	ns.Rotation, ns.XAlign, ns.YAlign = math.Pi/2, draw.XCenter, draw.YTop
	for _, note := range s.notes() {
		dc.FillText(ns, vg.Point{X: tx, Y: mid}, note)
		tx += ns.Height("x") + px(2)
	}
}

// drawLegend draws categorical legend entries downwards from top at x.
func drawLegend(dc draw.Canvas, x, top vg.Length, entries []legendEntry) {
	sty := textStyle(9.5)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	frame := draw.LineStyle{Color: color.Gray{80}, Width: px(1)}
	for i, e := range entries {
		y := top - px(float64(18*i+9))
		r := vg.Rectangle{Min: vg.Point{X: x + px(10), Y: y - px(7)}, Max: vg.Point{X: x + px(24), Y: y + px(7)}}
		pts := rectPoints(r)
		dc.FillPolygon(e.colour, pts)
		dc.StrokeLines(frame, append(pts, r.Min))
		st := sty
		if e.faint {
			st.Color = color.Gray{130}
		}
		dc.FillText(st, vg.Point{X: x + px(30), Y: y}, e.label)
	}
}

func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

// header is the title block of a figure: a title and smaller lines.
type header []string

func (h header) height() int {
	if len(h) == 0 {
		return 8
	}
	return 12 + 22 + 17*(len(h)-1) + 6
}

func (h header) draw(dc draw.Canvas, w int) {
	y := dc.Max.Y - px(12)
	for i, line := range h {
		sty := textStyle(13)
		if i > 0 {
			sty = textStyle(10)
			sty.Color = color.Gray{60}
		}
		sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
		dc.FillText(sty, vg.Point{X: px(float64(w) / 2), Y: y}, line)
		y -= sty.Height(line) + px(3)
	}
}

func ceilPx(l vg.Length) int { return int(math.Ceil(dots(l) - 1e-6)) }

// drawMapGrid writes a figure of maps of one scan (up to 4 a row), each
// with its colour bar or legend, and optionally a plot on the right of the
// first row (a histogram or a spectrum), of the height of a map and rightW
// px wide (0: at least 440 px).
func drawMapGrid(path string, hdr header, g scanGeom, panels []mapPanel, right *plot.Plot, rightW int) error {
	if len(panels) == 0 {
		return fmt.Errorf("could not plot %s: no maps", path)
	}
	if len(panels) == 1 && len(hdr) > 0 && strings.HasSuffix(strings.ToLower(hdr[0]), strings.ToLower(panels[0].title)) {
		panels = []mapPanel{panels[0]}
		panels[0].title = "" // the figure's title says it
	}
	prep := make([]preparedPanel, len(panels))
	var cw, ch, sw vg.Length
	areas := map[vg.Length][2]vg.Length{}
	for i, mp := range panels {
		prep[i] = prepareMapPanel(mp, g, areas)
		cw, ch, sw = max(cw, prep[i].w), max(ch, prep[i].h, prep[i].sideH+px(40)), max(sw, prep[i].side)
	}
	n := len(panels)
	cols := n
	switch {
	case n > 6:
		cols = 4
	case n > 4:
		cols = 3
	}
	rows := (n + cols - 1) / cols
	const margin, gap = 10, 16
	pw, ph := ceilPx(cw+sw), ceilPx(ch)
	rw := 0
	if right != nil {
		if rightW <= 0 {
			rightW = max(440, ph)
		}
		rw = rightW + gap
	}
	w := 2*margin + cols*pw + (cols-1)*gap + rw
	h := hdr.height() + rows*ph + (rows-1)*gap + margin
	return savePNG(path, w, h, func(dc draw.Canvas) {
		hdr.draw(dc, w)
		for k, pp := range prep {
			r, c := k/cols, k%cols
			x := px(float64(margin + c*(pw+gap)))
			top := px(float64(h - hdr.height() - r*(ph+gap)))
			mapC := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: top - pp.h}, Max: vg.Point{X: x + pp.w, Y: top}}}
			pp.p.Draw(mapC)
			data := pp.p.DataCanvas(mapC).Rectangle
			panel := vg.Rectangle{Min: vg.Point{X: x, Y: top - px(float64(ph))}, Max: vg.Point{X: x + px(float64(pw)), Y: top}}
			pp.drawSide(dc, x+pp.w, data, panel)
		}
		if right != nil {
			x := px(float64(margin + cols*(pw+gap)))
			top := px(float64(h - hdr.height()))
			right.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: top - px(float64(ph))}, Max: vg.Point{X: x + px(float64(rw-gap)), Y: top}}})
		}
	})
}

// Histograms.

// histogramBins bins values without gaps from their quantisation: values
// on a grid of spacing d (whole-channel shifts) get bins of a whole number
// of grid steps centred on the grid; other values Freedman-Diaconis bins.
func histogramBins(v []float64) []plotter.HistogramBin {
	var fin []float64
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			fin = append(fin, x)
		}
	}
	if len(fin) == 0 {
		return nil
	}
	sort.Float64s(fin)
	lo, hi := fin[0], fin[len(fin)-1]
	span := hi - lo
	width, start := 0.0, lo
	if d := quantum(fin); d > 0 {
		steps := math.Round(span/d) + 1
		m := math.Max(1, math.Ceil(steps/40))
		width, start = m*d, lo-d/2
	} else {
		q1, q3 := fin[len(fin)/4], fin[(3*len(fin))/4]
		width = 2 * (q3 - q1) / math.Cbrt(float64(len(fin)))
		if !(width > 0) {
			width = span / 10
		}
		if !(width > 0) {
			width = math.Max(math.Abs(lo)*0.1, 1)
		}
		width = math.Max(width, span/50)
		start = lo - width/2
	}
	nb := int(math.Floor((hi-start)/width)) + 1
	bins := make([]plotter.HistogramBin, nb)
	for i := range bins {
		bins[i].Min, bins[i].Max = start+float64(i)*width, start+float64(i+1)*width
	}
	for _, x := range fin {
		i := min(max(int(math.Floor((x-start)/width)), 0), nb-1)
		bins[i].Weight++
	}
	return bins
}

// quantum returns the spacing of the grid the sorted values lie on: the
// smallest gap between distinct values, when every value is a whole
// number of gaps from the first (0 when they do not lie on a grid).
func quantum(sorted []float64) float64 {
	d := math.Inf(1)
	for i := 1; i < len(sorted); i++ {
		if g := sorted[i] - sorted[i-1]; g > 0 {
			d = math.Min(d, g)
		}
	}
	if math.IsInf(d, 0) { // one value
		return math.Max(math.Abs(sorted[0])*0.1, 0.5)
	}
	for _, x := range sorted {
		k := (x - sorted[0]) / d
		if math.Abs(k-math.Round(k)) > 1e-6 {
			return 0
		}
	}
	return d
}

// newHistogram plots the bins as bars.
func newHistogram(bins []plotter.HistogramBin) *plotter.Histogram {
	h := &plotter.Histogram{Bins: bins, FillColor: color.RGBA{R: 31, G: 119, B: 180, A: 255}}
	if len(bins) > 0 {
		h.Width = bins[0].Max - bins[0].Min
	}
	h.LineStyle = draw.LineStyle{Color: color.White, Width: px(0.5)}
	return h
}

// shiftHistogram is the histogram of the shifts of the pixels whose
// status is ok.
func shiftHistogram(shifts []float64, status []aligners.Status) *plot.Plot {
	var good []float64
	for i, v := range shifts {
		if i >= len(status) || status[i] == aligners.OK {
			good = append(good, v)
		}
	}
	hp := newPlot()
	hp.Title.Text = fmt.Sprintf("Shifts of the %d pixels with status ok", len(good))
	if len(good) == 1 {
		hp.Title.Text = "Shift of the 1 pixel with status ok"
	}
	if bad := len(shifts) - len(good); bad > 0 {
		hp.Title.Text += fmt.Sprintf(" (%d others not shown)", bad)
	}
	hp.X.Label.Text = "shift (eV)"
	hp.Y.Label.Text = "pixels"
	hp.Y.Tick.Marker = niceTicks{n: 6, integer: true}
	if bins := histogramBins(good); len(bins) > 0 {
		hp.Add(newHistogram(bins))
		w := bins[0].Max - bins[0].Min
		hp.X.Min, hp.X.Max = bins[0].Min-w/2, bins[len(bins)-1].Max+w/2
		top := 0.0
		for _, b := range bins {
			top = math.Max(top, b.Weight)
		}
		hp.Y.Min, hp.Y.Max = 0, top*1.08
	}
	return hp
}

// Spectra.

var (
	dataColour   = color.RGBA{A: 255}
	modelColour  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	bgColour     = color.RGBA{R: 110, G: 110, B: 110, A: 255}
	curveColours = []color.RGBA{{31, 119, 180, 255}, {44, 160, 44, 255}, {255, 127, 14, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {23, 190, 207, 255}, {227, 119, 194, 255}, {188, 189, 34, 255}}
	excludedColour = color.NRGBA{R: 120, G: 120, B: 120, A: 70}
	outsideColour  = color.NRGBA{R: 150, G: 150, B: 150, A: 40}
)

// specCurve is one curve of a spectrum figure.
type specCurve struct {
	label  string
	y      []float64
	colour color.Color
	dashed bool
}

// spectrumFigure is the data alone (with further curves), or a fit: the
// data with the model and background, the background-subtracted data with
// each component, and the residuals, on the fit window (model and
// components inside it only) with the excluded ranges shaded.
type spectrumFigure struct {
	hdr               header
	e                 []float64
	data              []float64
	dataLabel         string
	model, background []float64
	components        []specCurve // over data - background
	extra             []specCurve // without a fit: further curves over the data
	inWindow, used    []bool      // channels in the fit window, used by the fit (nil: all)
	window            *[2]float64
	exclude           [][2]float64
	ylabel            string
	logY              bool
}

// panelBuilder adds curves to a plot and tracks their range.
type panelBuilder struct {
	p      *plot.Plot
	e      []float64
	lo, hi float64
	logY   bool
}

func newPanel(e []float64, xlo, xhi float64, logY bool) *panelBuilder {
	p := newPlot()
	p.X.Min, p.X.Max = xlo, xhi
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(9.5)
	if logY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	return &panelBuilder{p: p, e: e, lo: math.Inf(1), hi: math.Inf(-1), logY: logY}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// line adds y where ok(i) (and finite, and inside the x range), split at
// the gaps, with a legend entry when label is given.
func (b *panelBuilder) line(y []float64, ok func(i int) bool, c color.Color, width float64, dashed bool, label string) {
	sty := draw.LineStyle{Color: c, Width: px(width)}
	if dashed {
		sty.Dashes = []vg.Length{px(6), px(4)}
	}
	var seg plotter.XYs
	var thumb plot.Thumbnailer
	flush := func() {
		switch len(seg) {
		case 0:
			return
		case 1:
			s, err := plotter.NewScatter(seg)
			if err == nil {
				s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: px(1.5), Shape: draw.CircleGlyph{}}
				b.p.Add(s)
				if thumb == nil {
					thumb = s
				}
			}
		default:
			l, err := plotter.NewLine(seg)
			if err == nil {
				l.LineStyle = sty
				b.p.Add(l)
				if _, isLine := thumb.(*plotter.Line); !isLine {
					thumb = l
				}
			}
		}
		seg = nil
	}
	for i, x := range b.e {
		v := math.NaN()
		if i < len(y) {
			v = y[i]
		}
		if finite(v) && finite(x) && x >= b.p.X.Min && x <= b.p.X.Max && (ok == nil || ok(i)) && (!b.logY || v > 0) {
			seg = append(seg, plotter.XY{X: x, Y: v})
			b.lo, b.hi = math.Min(b.lo, v), math.Max(b.hi, v)
		} else {
			flush()
		}
	}
	flush()
	if thumb != nil && label != "" {
		b.p.Legend.Add(label, thumb)
	}
}

// finish sets the y range from the curves (symmetric about 0 when
// symmetric).
func (b *panelBuilder) finish(symmetric bool) *plot.Plot {
	lo, hi := b.lo, b.hi
	switch {
	case math.IsInf(lo, 0):
		lo, hi = 0, 1
		if b.logY {
			lo, hi = 1, 10
		}
	case b.logY:
		lo, hi = math.Max(lo, hi*1e-6)/1.5, hi*1.5
	case symmetric:
		m := math.Max(math.Abs(lo), math.Abs(hi)) * 1.08
		if m == 0 {
			m = 1
		}
		lo, hi = -m, m
	default:
		d := (hi - lo) * 0.05
		if d == 0 {
			d = math.Max(math.Abs(hi)*0.05, 1)
		}
		lo, hi = lo-d, hi+d
	}
	b.p.Y.Min, b.p.Y.Max = lo, hi
	return b.p
}

// bandPlotter shades ranges of x over the whole height of the data area.
type bandPlotter struct {
	ranges [][2]float64
	colour color.Color
}

func (b bandPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	for _, r := range b.ranges {
		lo, hi := math.Max(r[0], p.X.Min), math.Min(r[1], p.X.Max)
		if !(hi > lo) {
			continue
		}
		x0, x1 := c.X(p.X.Norm(lo)), c.X(p.X.Norm(hi))
		c.FillPolygon(b.colour, rectPoints(vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}))
	}
}

func (b bandPlotter) Thumbnail(c *draw.Canvas) { c.FillPolygon(b.colour, rectPoints(c.Rectangle)) }

func (s *spectrumFigure) save(path string) error {
	n := len(s.e)
	if n == 0 {
		return fmt.Errorf("could not plot %s: the spectrum has no channels", path)
	}
	xlo, xhi := s.e[0], s.e[n-1]
	if w := s.window; w != nil {
		m := 0.03 * (w[1] - w[0])
		xlo, xhi = math.Max(xlo, w[0]-m), math.Min(xhi, w[1]+m)
	}
	if !(xhi > xlo) {
		d := math.Max(math.Abs(xlo)*1e-3, 0.5)
		xlo, xhi = xlo-d, xhi+d
	}
	flag := func(m []bool) func(int) bool {
		return func(i int) bool { return m == nil || (i < len(m) && m[i]) }
	}
	inWin, used := flag(s.inWindow), flag(s.used)
	var bands [][2]float64 // outside the window
	if w := s.window; w != nil {
		bands = [][2]float64{{xlo, w[0]}, {w[1], xhi}}
	}
	shade := func(b *panelBuilder, legend bool) {
		if len(bands) > 0 {
			bp := bandPlotter{bands, outsideColour}
			b.p.Add(bp)
			if legend && (xlo < s.window[0] || xhi > s.window[1]) {
				b.p.Legend.Add("outside the fit window", bp)
			}
		}
		if len(s.exclude) > 0 {
			bp := bandPlotter{s.exclude, excludedColour}
			b.p.Add(bp)
			if legend {
				b.p.Legend.Add("excluded from the fit", bp)
			}
		}
	}
	dataLabel := s.dataLabel
	if dataLabel == "" {
		dataLabel = "data"
	}
	var plots []*plot.Plot
	var heights []int
	if s.model == nil {
		b := newPanel(s.e, xlo, xhi, s.logY)
		label := ""
		if len(s.extra) > 0 {
			label = dataLabel
		}
		b.line(s.data, nil, dataColour, 1, false, label)
		for k, c := range s.extra {
			b.line(c.y, nil, orColour(c.colour, k), 1.2, c.dashed, c.label)
		}
		b.p.Y.Label.Text = s.ylabel
		b.p.X.Label.Text = "Energy loss (eV)"
		plots, heights = []*plot.Plot{b.finish(false)}, []int{460}
	} else {
		top := newPanel(s.e, xlo, xhi, false)
		shade(top, true)
		top.line(s.data, nil, dataColour, 1, false, dataLabel)
		top.line(s.model, inWin, modelColour, 1.4, false, "model")
		if s.background != nil {
			top.line(s.background, inWin, bgColour, 1.2, true, "background")
		}
		top.p.Y.Label.Text = s.ylabel
		top.p.X.Tick.Marker = niceTicks{n: 8, noLabels: true}
		mid := newPanel(s.e, xlo, xhi, false)
		shade(mid, false)
		if s.background != nil {
			sub := make([]float64, n)
			for i := range sub {
				sub[i] = at(s.data, i) - at(s.background, i)
			}
			mid.line(sub, inWin, dataColour, 1, false, dataLabel+" - background")
		}
		for k, c := range s.components {
			mid.line(c.y, inWin, orColour(c.colour, k), 1.3, c.dashed, c.label)
		}
		mid.p.Y.Label.Text = "data - background"
		mid.p.X.Tick.Marker = niceTicks{n: 8, noLabels: true}
		res := newPanel(s.e, xlo, xhi, false)
		shade(res, false)
		r := make([]float64, n)
		for i := range r {
			r[i] = at(s.data, i) - at(s.model, i)
		}
		if l, err := plotter.NewLine(plotter.XYs{{X: xlo, Y: 0}, {X: xhi, Y: 0}}); err == nil {
			l.LineStyle = draw.LineStyle{Color: bgColour, Width: px(0.8)}
			res.p.Add(l)
		}
		res.line(r, used, dataColour, 1, false, "")
		res.p.Y.Label.Text = "data - model"
		res.p.X.Label.Text = "Energy loss (eV)"
		res.p.X.Tick.Marker = niceTicks{n: 8}
		plots = []*plot.Plot{top.finish(false), mid.finish(false), res.finish(true)}
		heights = []int{380, 260, 210}
	}
	plots[len(plots)-1].X.Tick.Marker = niceTicks{n: 8}
	const w, margin = 1000, 10
	h := s.hdr.height() + margin
	for _, v := range heights {
		h += v
	}
	return savePNG(path, w, h, func(dc draw.Canvas) {
		s.hdr.draw(dc, w)
		top := h - s.hdr.height()
		cs := make([]draw.Canvas, len(plots))
		for i, v := range heights {
			cs[i] = draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: px(margin), Y: px(float64(top - v))}, Max: vg.Point{X: px(w - margin), Y: px(float64(top))}}}
			top -= v
		}
		alignColumn(plots, cs)
		for i, p := range plots {
			p.Draw(cs[i])
		}
	})
}

func at(v []float64, i int) float64 {
	if i < len(v) {
		return v[i]
	}
	return math.NaN()
}

func orColour(c color.Color, k int) color.Color {
	if c != nil {
		return c
	}
	return curveColours[k%len(curveColours)]
}

// alignColumn narrows the canvases of plots stacked in a column so that
// their data areas share the left and right edges.
func alignColumn(plots []*plot.Plot, cs []draw.Canvas) {
	for iter := 0; iter < 3; iter++ {
		l, r := vg.Length(math.Inf(-1)), vg.Length(math.Inf(1))
		dcs := make([]draw.Canvas, len(plots))
		for i, p := range plots {
			dcs[i] = p.DataCanvas(cs[i])
			l, r = max(l, dcs[i].Min.X), min(r, dcs[i].Max.X)
		}
		for i := range cs {
			cs[i].Min.X += l - dcs[i].Min.X
			cs[i].Max.X += r - dcs[i].Max.X
		}
	}
}

// viridisTable is matplotlib's viridis colour map (256 entries, sRGB in [0, 1]) by
// Stéfan van der Walt, Nathaniel Smith and Eric Firing, released under CC0
// (https://bids.github.io/colormap/).
var viridisTable = [256][3]float32{
	{0.267004, 0.004874, 0.329415}, {0.268510, 0.009605, 0.335427},
	{0.269944, 0.014625, 0.341379}, {0.271305, 0.019942, 0.347269},
	{0.272594, 0.025563, 0.353093}, {0.273809, 0.031497, 0.358853},
	{0.274952, 0.037752, 0.364543}, {0.276022, 0.044167, 0.370164},
	{0.277018, 0.050344, 0.375715}, {0.277941, 0.056324, 0.381191},
	{0.278791, 0.062145, 0.386592}, {0.279566, 0.067836, 0.391917},
	{0.280267, 0.073417, 0.397163}, {0.280894, 0.078907, 0.402329},
	{0.281446, 0.084320, 0.407414}, {0.281924, 0.089666, 0.412415},
	{0.282327, 0.094955, 0.417331}, {0.282656, 0.100196, 0.422160},
	{0.282910, 0.105393, 0.426902}, {0.283091, 0.110553, 0.431554},
	{0.283197, 0.115680, 0.436115}, {0.283229, 0.120777, 0.440584},
	{0.283187, 0.125848, 0.444960}, {0.283072, 0.130895, 0.449241},
	{0.282884, 0.135920, 0.453427}, {0.282623, 0.140926, 0.457517},
	{0.282290, 0.145912, 0.461510}, {0.281887, 0.150881, 0.465405},
	{0.281412, 0.155834, 0.469201}, {0.280868, 0.160771, 0.472899},
	{0.280255, 0.165693, 0.476498}, {0.279574, 0.170599, 0.479997},
	{0.278826, 0.175490, 0.483397}, {0.278012, 0.180367, 0.486697},
	{0.277134, 0.185228, 0.489898}, {0.276194, 0.190074, 0.493001},
	{0.275191, 0.194905, 0.496005}, {0.274128, 0.199721, 0.498911},
	{0.273006, 0.204520, 0.501721}, {0.271828, 0.209303, 0.504434},
	{0.270595, 0.214069, 0.507052}, {0.269308, 0.218818, 0.509577},
	{0.267968, 0.223549, 0.512008}, {0.266580, 0.228262, 0.514349},
	{0.265145, 0.232956, 0.516599}, {0.263663, 0.237631, 0.518762},
	{0.262138, 0.242286, 0.520837}, {0.260571, 0.246922, 0.522828},
	{0.258965, 0.251537, 0.524736}, {0.257322, 0.256130, 0.526563},
	{0.255645, 0.260703, 0.528312}, {0.253935, 0.265254, 0.529983},
	{0.252194, 0.269783, 0.531579}, {0.250425, 0.274290, 0.533103},
	{0.248629, 0.278775, 0.534556}, {0.246811, 0.283237, 0.535941},
	{0.244972, 0.287675, 0.537260}, {0.243113, 0.292092, 0.538516},
	{0.241237, 0.296485, 0.539709}, {0.239346, 0.300855, 0.540844},
	{0.237441, 0.305202, 0.541921}, {0.235526, 0.309527, 0.542944},
	{0.233603, 0.313828, 0.543914}, {0.231674, 0.318106, 0.544834},
	{0.229739, 0.322361, 0.545706}, {0.227802, 0.326594, 0.546532},
	{0.225863, 0.330805, 0.547314}, {0.223925, 0.334994, 0.548053},
	{0.221989, 0.339161, 0.548752}, {0.220057, 0.343307, 0.549413},
	{0.218130, 0.347432, 0.550038}, {0.216210, 0.351535, 0.550627},
	{0.214298, 0.355619, 0.551184}, {0.212395, 0.359683, 0.551710},
	{0.210503, 0.363727, 0.552206}, {0.208623, 0.367752, 0.552675},
	{0.206756, 0.371758, 0.553117}, {0.204903, 0.375746, 0.553533},
	{0.203063, 0.379716, 0.553925}, {0.201239, 0.383670, 0.554294},
	{0.199430, 0.387607, 0.554642}, {0.197636, 0.391528, 0.554969},
	{0.195860, 0.395433, 0.555276}, {0.194100, 0.399323, 0.555565},
	{0.192357, 0.403199, 0.555836}, {0.190631, 0.407061, 0.556089},
	{0.188923, 0.410910, 0.556326}, {0.187231, 0.414746, 0.556547},
	{0.185556, 0.418570, 0.556753}, {0.183898, 0.422383, 0.556944},
	{0.182256, 0.426184, 0.557120}, {0.180629, 0.429975, 0.557282},
	{0.179019, 0.433756, 0.557430}, {0.177423, 0.437527, 0.557565},
	{0.175841, 0.441290, 0.557685}, {0.174274, 0.445044, 0.557792},
	{0.172719, 0.448791, 0.557885}, {0.171176, 0.452530, 0.557965},
	{0.169646, 0.456262, 0.558030}, {0.168126, 0.459988, 0.558082},
	{0.166617, 0.463708, 0.558119}, {0.165117, 0.467423, 0.558141},
	{0.163625, 0.471133, 0.558148}, {0.162142, 0.474838, 0.558140},
	{0.160665, 0.478540, 0.558115}, {0.159194, 0.482237, 0.558073},
	{0.157729, 0.485932, 0.558013}, {0.156270, 0.489624, 0.557936},
	{0.154815, 0.493313, 0.557840}, {0.153364, 0.497000, 0.557724},
	{0.151918, 0.500685, 0.557587}, {0.150476, 0.504369, 0.557430},
	{0.149039, 0.508051, 0.557250}, {0.147607, 0.511733, 0.557049},
	{0.146180, 0.515413, 0.556823}, {0.144759, 0.519093, 0.556572},
	{0.143343, 0.522773, 0.556295}, {0.141935, 0.526453, 0.555991},
	{0.140536, 0.530132, 0.555659}, {0.139147, 0.533812, 0.555298},
	{0.137770, 0.537492, 0.554906}, {0.136408, 0.541173, 0.554483},
	{0.135066, 0.544853, 0.554029}, {0.133743, 0.548535, 0.553541},
	{0.132444, 0.552216, 0.553018}, {0.131172, 0.555899, 0.552459},
	{0.129933, 0.559582, 0.551864}, {0.128729, 0.563265, 0.551229},
	{0.127568, 0.566949, 0.550556}, {0.126453, 0.570633, 0.549841},
	{0.125394, 0.574318, 0.549086}, {0.124395, 0.578002, 0.548287},
	{0.123463, 0.581687, 0.547445}, {0.122606, 0.585371, 0.546557},
	{0.121831, 0.589055, 0.545623}, {0.121148, 0.592739, 0.544641},
	{0.120565, 0.596422, 0.543611}, {0.120092, 0.600104, 0.542530},
	{0.119738, 0.603785, 0.541400}, {0.119512, 0.607464, 0.540218},
	{0.119423, 0.611141, 0.538982}, {0.119483, 0.614817, 0.537692},
	{0.119699, 0.618490, 0.536347}, {0.120081, 0.622161, 0.534946},
	{0.120638, 0.625828, 0.533488}, {0.121380, 0.629492, 0.531973},
	{0.122312, 0.633153, 0.530398}, {0.123444, 0.636809, 0.528763},
	{0.124780, 0.640461, 0.527068}, {0.126326, 0.644107, 0.525311},
	{0.128087, 0.647749, 0.523491}, {0.130067, 0.651384, 0.521608},
	{0.132268, 0.655014, 0.519661}, {0.134692, 0.658636, 0.517649},
	{0.137339, 0.662252, 0.515571}, {0.140210, 0.665859, 0.513427},
	{0.143303, 0.669459, 0.511215}, {0.146616, 0.673050, 0.508936},
	{0.150148, 0.676631, 0.506589}, {0.153894, 0.680203, 0.504172},
	{0.157851, 0.683765, 0.501686}, {0.162016, 0.687316, 0.499129},
	{0.166383, 0.690856, 0.496502}, {0.170948, 0.694384, 0.493803},
	{0.175707, 0.697900, 0.491033}, {0.180653, 0.701402, 0.488189},
	{0.185783, 0.704891, 0.485273}, {0.191090, 0.708366, 0.482284},
	{0.196571, 0.711827, 0.479221}, {0.202219, 0.715272, 0.476084},
	{0.208030, 0.718701, 0.472873}, {0.214000, 0.722114, 0.469588},
	{0.220124, 0.725509, 0.466226}, {0.226397, 0.728888, 0.462789},
	{0.232815, 0.732247, 0.459277}, {0.239374, 0.735588, 0.455688},
	{0.246070, 0.738910, 0.452024}, {0.252899, 0.742211, 0.448284},
	{0.259857, 0.745492, 0.444467}, {0.266941, 0.748751, 0.440573},
	{0.274149, 0.751988, 0.436601}, {0.281477, 0.755203, 0.432552},
	{0.288921, 0.758394, 0.428426}, {0.296479, 0.761561, 0.424223},
	{0.304148, 0.764704, 0.419943}, {0.311925, 0.767822, 0.415586},
	{0.319809, 0.770914, 0.411152}, {0.327796, 0.773980, 0.406640},
	{0.335885, 0.777018, 0.402049}, {0.344074, 0.780029, 0.397381},
	{0.352360, 0.783011, 0.392636}, {0.360741, 0.785964, 0.387814},
	{0.369214, 0.788888, 0.382914}, {0.377779, 0.791781, 0.377939},
	{0.386433, 0.794644, 0.372886}, {0.395174, 0.797475, 0.367757},
	{0.404001, 0.800275, 0.362552}, {0.412913, 0.803041, 0.357269},
	{0.421908, 0.805774, 0.351910}, {0.430983, 0.808473, 0.346476},
	{0.440137, 0.811138, 0.340967}, {0.449368, 0.813768, 0.335384},
	{0.458674, 0.816363, 0.329727}, {0.468053, 0.818921, 0.323998},
	{0.477504, 0.821444, 0.318195}, {0.487026, 0.823929, 0.312321},
	{0.496615, 0.826376, 0.306377}, {0.506271, 0.828786, 0.300362},
	{0.515992, 0.831158, 0.294279}, {0.525776, 0.833491, 0.288127},
	{0.535621, 0.835785, 0.281908}, {0.545524, 0.838039, 0.275626},
	{0.555484, 0.840254, 0.269281}, {0.565498, 0.842430, 0.262877},
	{0.575563, 0.844566, 0.256415}, {0.585678, 0.846661, 0.249897},
	{0.595839, 0.848717, 0.243329}, {0.606045, 0.850733, 0.236712},
	{0.616293, 0.852709, 0.230052}, {0.626579, 0.854645, 0.223353},
	{0.636902, 0.856542, 0.216620}, {0.647257, 0.858400, 0.209861},
	{0.657642, 0.860219, 0.203082}, {0.668054, 0.861999, 0.196293},
	{0.678489, 0.863742, 0.189503}, {0.688944, 0.865448, 0.182725},
	{0.699415, 0.867117, 0.175971}, {0.709898, 0.868751, 0.169257},
	{0.720391, 0.870350, 0.162603}, {0.730889, 0.871916, 0.156029},
	{0.741388, 0.873449, 0.149561}, {0.751884, 0.874951, 0.143228},
	{0.762373, 0.876424, 0.137064}, {0.772852, 0.877868, 0.131109},
	{0.783315, 0.879285, 0.125405}, {0.793760, 0.880678, 0.120005},
	{0.804182, 0.882046, 0.114965}, {0.814576, 0.883393, 0.110347},
	{0.824940, 0.884720, 0.106217}, {0.835270, 0.886029, 0.102646},
	{0.845561, 0.887322, 0.099702}, {0.855810, 0.888601, 0.097452},
	{0.866013, 0.889868, 0.095953}, {0.876168, 0.891125, 0.095250},
	{0.886271, 0.892374, 0.095374}, {0.896320, 0.893616, 0.096335},
	{0.906311, 0.894855, 0.098125}, {0.916242, 0.896091, 0.100717},
	{0.926106, 0.897330, 0.104071}, {0.935904, 0.898570, 0.108131},
	{0.945636, 0.899815, 0.112838}, {0.955300, 0.901065, 0.118128},
	{0.964894, 0.902323, 0.123941}, {0.974417, 0.903590, 0.130215},
	{0.983868, 0.904867, 0.136897}, {0.993248, 0.906157, 0.143936},
}
