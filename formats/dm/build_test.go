package dm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// builder writes minimal DM3/DM4 files for tests and fuzz seeds.
type builder struct {
	v   int
	buf bytes.Buffer
}

func (b *builder) be(n int, x uint64) {
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], x)
	b.buf.Write(t[8-n:])
}

func (b *builder) count(x uint64) {
	if b.v == 4 {
		b.be(8, x)
	} else {
		b.be(4, x)
	}
}

// entry writes a tag; body writes its content into a sub-builder.
func (b *builder) entry(kind byte, name string, body func(*builder)) {
	sub := &builder{v: b.v}
	body(sub)
	b.buf.WriteByte(kind)
	b.be(2, uint64(len(name)))
	b.buf.WriteString(name)
	if b.v == 4 {
		b.be(8, uint64(sub.buf.Len()))
	}
	b.buf.Write(sub.buf.Bytes())
}

func (b *builder) group(name string, n int, body func(*builder)) {
	b.entry(20, name, func(s *builder) {
		s.buf.Write([]byte{0, 0})
		s.count(uint64(n))
		body(s)
	})
}

func (b *builder) f32(name string, v float32) {
	b.entry(21, name, func(s *builder) {
		s.buf.WriteString("%%%%")
		s.count(1)
		s.count(6)
		binary.Write(&s.buf, binary.LittleEndian, v)
	})
}

func (b *builder) i32(name string, v int32) {
	b.entry(21, name, func(s *builder) {
		s.buf.WriteString("%%%%")
		s.count(1)
		s.count(3)
		binary.Write(&s.buf, binary.LittleEndian, v)
	})
}

func (b *builder) text(name, v string) {
	b.entry(21, name, func(s *builder) {
		s.buf.WriteString("%%%%")
		s.count(3)
		s.count(20)
		s.count(4)
		s.count(uint64(len(v)))
		for _, r := range v {
			binary.Write(&s.buf, binary.LittleEndian, uint16(r))
		}
	})
}

func (b *builder) floats(name string, v []float32) {
	b.entry(21, name, func(s *builder) {
		s.buf.WriteString("%%%%")
		s.count(3)
		s.count(20)
		s.count(6)
		s.count(uint64(len(v)))
		binary.Write(&s.buf, binary.LittleEndian, v)
	})
}

// buildDM returns a DM file of version v holding one EELS image of the
// given dims (fastest first) with values 0, 1, 2, ... and the energy
// calibration origin/scale on dimension ed.
func buildDM(v int, dims []int, ed int, format string) []byte {
	return buildDMImages(v, dims, ed, format, 1)
}

// buildDMImages is buildDM with nimages identical EELS images.
func buildDMImages(v int, dims []int, ed int, format string, nimages int) []byte {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i)
	}
	b := &builder{v: v}
	b.be(4, uint64(v))
	if v == 4 {
		b.be(8, 0)
	} else {
		b.be(4, 0)
	}
	b.be(4, 1) // little-endian payloads
	b.buf.Write([]byte{1, 0})
	b.count(1)
	b.group("ImageList", nimages, func(l *builder) {
		for range nimages {
			l.group("", 3, func(im *builder) {
				im.group("ImageData", 4, func(d *builder) {
					d.i32("DataType", 2)
					d.group("Dimensions", len(dims), func(ds *builder) {
						for _, x := range dims {
							ds.i32("", int32(x))
						}
					})
					d.group("Calibrations", 1, func(c *builder) {
						c.group("Dimension", len(dims), func(cd *builder) {
							for i := range dims {
								cd.group("", 3, func(one *builder) {
									if i == ed {
										one.f32("Origin", -400)
										one.f32("Scale", 0.5)
										one.text("Units", "eV")
									} else {
										one.f32("Origin", 0)
										one.f32("Scale", 2)
										one.text("Units", "nm")
									}
								})
							}
						})
					})
					d.floats("Data", data)
				})
				im.text("Name", "built")
				im.group("ImageTags", 1, func(t *builder) {
					t.group("Meta Data", 2, func(m *builder) {
						m.text("Signal", "EELS")
						m.text("Format", format)
					})
				})
			})
		}
	})
	b.buf.Write(make([]byte, 8))
	return b.buf.Bytes()
}

func TestBuiltFiles(t *testing.T) {
	for _, v := range []int{3, 4} {
		// A spectrum image [nx=2, ny=3, nE=4] stored energy slowest.
		f, err := openBytes(buildDM(v, []int{2, 3, 4}, 2, "Spectrum image"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := f.Signal(Options{Image: -1})
		if err != nil {
			t.Fatal(err)
		}
		if s.NY != 3 || s.NX != 2 || s.Axis.Size != 4 || s.Axis.Offset != 200 || s.Axis.Dispersion != 0.5 {
			t.Fatalf("v%d: %+v", v, s)
		}
		c := multispectrum.NewCube(3, 2, s.Axis)
		s.Data.ReadRegion(c.Data, c.Bounds())
		// value at (y, x, e) = file index e*6 + y*2 + x
		for y := 0; y < 3; y++ {
			for x := 0; x < 2; x++ {
				for e := 0; e < 4; e++ {
					if got, want := c.Pixel(y, x)[e], float64(e*6+y*2+x); got != want {
						t.Fatalf("v%d [%d,%d,%d] = %v, want %v", v, y, x, e, got, want)
					}
				}
			}
		}
	}
	if _, err := openBytes(buildDM(4, []int{8}, 0, "Spectrum")); err != nil {
		t.Fatal(err)
	}
}

func init() {
	fuzzSeeds = append(fuzzSeeds, buildDM(3, []int{8}, 0, "Spectrum"), buildDM(4, []int{2, 2, 4}, 2, "Spectrum image"),
		buildDM(3, []int{4, 3}, 0, "Spectrum image"))
}
