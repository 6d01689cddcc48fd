package dm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf16"
)

// File is a parsed DM file.
type File struct {
	Version int  // 3 or 4
	Little  bool // payload byte order
	Root    *Group
	r       io.ReaderAt
	size    int64
}

// Group is a tag group: named or unnamed (list) entries in file order.
type Group struct {
	Entries []*Entry
}

// Entry is one tag: a group or data.
type Entry struct {
	Name  string // Latin-1 decoded; "" for list elements
	Group *Group
	Data  *Data
}

// Data is a data tag.
type Data struct {
	Info   []uint64 // the type description
	Offset int64    // file offset of the payload
	Size   int64    // payload bytes
	// Value is the decoded payload when small: float64, int64, bool,
	// string (UTF-16 text arrays), []any (structs, short arrays); nil for
	// large arrays such as pixel data.
	Value any
	// Elem and Count describe an array of a simple type.
	Elem  int
	Count int64
}

// ErrFormat reports a file that is not valid DM.
var ErrFormat = errors.New("not a valid DM3/DM4 file")

const (
	maxDepth      = 64
	maxEntries    = 1 << 20
	maxDecodeSize = 1 << 16 // payloads decoded eagerly
)

type reader struct {
	f       *File
	pos     int64
	entries int
	buf     [8]byte
}

func (r *reader) fail(format string, a ...any) error {
	return fmt.Errorf("%w: %s at byte %d", ErrFormat, fmt.Sprintf(format, a...), r.pos)
}

func (r *reader) bytes(n int64) ([]byte, error) {
	if n < 0 || n > r.f.size-r.pos {
		return nil, r.fail("%d bytes needed, %d left", n, r.f.size-r.pos)
	}
	b := make([]byte, n)
	if _, err := r.f.r.ReadAt(b, r.pos); err != nil {
		return nil, fmt.Errorf("dm: read error at byte %d: %w", r.pos, err)
	}
	r.pos += n
	return b, nil
}

func (r *reader) u(n int) (uint64, error) {
	if int64(n) > r.f.size-r.pos {
		return 0, r.fail("unexpected end of file")
	}
	b := r.buf[:n]
	if _, err := r.f.r.ReadAt(b, r.pos); err != nil {
		return 0, fmt.Errorf("dm: read error at byte %d: %w", r.pos, err)
	}
	r.pos += int64(n)
	switch n {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// count reads a DM3 uint32 or DM4 uint64 count.
func (r *reader) count() (uint64, error) {
	if r.f.Version == 4 {
		return r.u(8)
	}
	return r.u(4)
}

// Open parses the tag tree of a DM file of the given size.
func Open(ra io.ReaderAt, size int64) (*File, error) {
	f := &File{r: ra, size: size}
	r := &reader{f: f}
	v, err := r.u(4)
	if err != nil {
		return nil, err
	}
	switch v {
	case 3:
		f.Version = 3
		_, err = r.u(4)
	case 4:
		f.Version = 4
		_, err = r.u(8)
	default:
		return nil, fmt.Errorf("%w: version %d (want 3 or 4)", ErrFormat, v)
	}
	if err != nil {
		return nil, err
	}
	order, err := r.u(4)
	if err != nil {
		return nil, err
	}
	if order > 1 {
		return nil, fmt.Errorf("%w: byte-order flag %d", ErrFormat, order)
	}
	f.Little = order == 1
	f.Root, err = r.group(0)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (r *reader) group(depth int) (*Group, error) {
	if depth > maxDepth {
		return nil, r.fail("tag groups nested deeper than %d", maxDepth)
	}
	if _, err := r.u(2); err != nil { // sorted, open flags
		return nil, err
	}
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	// Every entry takes at least 3 bytes (kind + name length).
	if n > uint64(r.f.size-r.pos)/3 {
		return nil, r.fail("group claims %d entries", n)
	}
	g := &Group{}
	for i := uint64(0); i < n; i++ {
		r.entries++
		if r.entries > maxEntries {
			return nil, r.fail("more than %d tags", maxEntries)
		}
		e, err := r.entry(depth)
		if err != nil {
			return nil, err
		}
		g.Entries = append(g.Entries, e)
	}
	return g, nil
}

func (r *reader) entry(depth int) (*Entry, error) {
	kind, err := r.u(1)
	if err != nil {
		return nil, err
	}
	nl, err := r.u(2)
	if err != nil {
		return nil, err
	}
	nb, err := r.bytes(int64(nl))
	if err != nil {
		return nil, err
	}
	e := &Entry{Name: latin1(nb)}
	var end int64 = -1
	if r.f.Version == 4 {
		bc, err := r.u(8)
		if err != nil {
			return nil, err
		}
		if bc > uint64(r.f.size-r.pos) {
			return nil, r.fail("tag %q claims %d bytes", e.Name, bc)
		}
		end = r.pos + int64(bc)
	}
	switch kind {
	case 20:
		e.Group, err = r.group(depth + 1)
	case 21:
		e.Data, err = r.data()
	default:
		return nil, r.fail("tag kind %d (want 20 or 21)", kind)
	}
	if err != nil {
		return nil, err
	}
	if end >= 0 && r.pos != end {
		// DM4 byte counts are authoritative.
		if r.pos > end {
			return nil, r.fail("tag %q overruns its byte count", e.Name)
		}
		r.pos = end
	}
	return e, nil
}

func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// simpleSize returns the byte size of a simple type code, 0 if not simple.
func simpleSize(t uint64) int64 {
	switch t {
	case 8, 9, 10:
		return 1
	case 2, 4:
		return 2
	case 3, 5, 6:
		return 4
	case 7, 11, 12:
		return 8
	}
	return 0
}

func (r *reader) data() (*Data, error) {
	delim, err := r.bytes(4)
	if err != nil {
		return nil, err
	}
	if string(delim) != "%%%%" {
		return nil, r.fail("missing %%%%%%%% delimiter")
	}
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	w := int64(4)
	if r.f.Version == 4 {
		w = 8
	}
	if n == 0 || n > 1<<16 || int64(n) > (r.f.size-r.pos)/w {
		return nil, r.fail("type description of %d words", n)
	}
	d := &Data{Info: make([]uint64, n)}
	for i := range d.Info {
		if d.Info[i], err = r.count(); err != nil {
			return nil, err
		}
	}
	size, err := payloadSize(d)
	if err != nil {
		return nil, r.fail("%v", err)
	}
	if size > r.f.size-r.pos {
		return nil, r.fail("payload of %d bytes, %d left", size, r.f.size-r.pos)
	}
	d.Offset, d.Size = r.pos, size
	if size <= maxDecodeSize {
		b, err := r.bytes(size)
		if err != nil {
			return nil, err
		}
		d.Value = r.f.decode(d, b)
	} else {
		r.pos += size
	}
	return d, nil
}

// payloadSize computes the payload bytes of a type description, with
// overflow checks.
func payloadSize(d *Data) (int64, error) {
	info := d.Info
	mul := func(a, b int64) (int64, error) {
		if a < 0 || b < 0 || (b != 0 && a > math.MaxInt64/b) {
			return 0, fmt.Errorf("payload size overflows")
		}
		return a * b, nil
	}
	structSize := func(desc []uint64) (int64, error) {
		// [15, 0, f, 0, t1, 0, t2, ...]
		if len(desc) < 3 || desc[0] != 15 {
			return 0, fmt.Errorf("bad struct description")
		}
		f := desc[2]
		if f > uint64(len(desc)) || uint64(len(desc)) < 3+2*f { // the first test keeps 3+2f from overflowing
			return 0, fmt.Errorf("struct of %d fields with a short description", f)
		}
		var s int64
		for i := uint64(0); i < f; i++ {
			z := simpleSize(desc[4+2*i])
			if z == 0 {
				return 0, fmt.Errorf("struct field of type %d", desc[4+2*i])
			}
			s += z
		}
		return s, nil
	}
	switch {
	case len(info) == 1:
		z := simpleSize(info[0])
		if z == 0 {
			return 0, fmt.Errorf("simple type %d", info[0])
		}
		return z, nil
	case info[0] == 18 && len(info) == 2:
		if info[1] > math.MaxInt32 {
			return 0, fmt.Errorf("string of %d bytes", info[1])
		}
		return int64(info[1]), nil
	case info[0] == 15:
		return structSize(info)
	case info[0] == 20 && len(info) == 3:
		z := simpleSize(info[1])
		if z == 0 {
			return 0, fmt.Errorf("array of type %d", info[1])
		}
		if info[2] > math.MaxInt64/8 {
			return 0, fmt.Errorf("array of %d elements", info[2])
		}
		d.Elem, d.Count = int(info[1]), int64(info[2])
		return mul(int64(info[2]), z)
	case info[0] == 20 && len(info) >= 5 && info[1] == 15:
		s, err := structSize(info[1 : len(info)-1])
		if err != nil {
			return 0, err
		}
		c := info[len(info)-1]
		if c > math.MaxInt64/8 {
			return 0, fmt.Errorf("array of %d structs", c)
		}
		d.Count = int64(c)
		return mul(int64(c), s)
	case info[0] == 20 && len(info) == 4 && info[1] == 18:
		if info[2] > math.MaxInt32 || info[3] > math.MaxInt32 {
			return 0, fmt.Errorf("array of strings too large")
		}
		return mul(int64(info[2]), int64(info[3]))
	case info[0] == 20 && len(info) == 5 && info[1] == 20:
		z := simpleSize(info[2])
		if z == 0 || info[3] > math.MaxInt32 || info[4] > math.MaxInt32 {
			return 0, fmt.Errorf("array of arrays too large or of unknown type")
		}
		a, err := mul(int64(info[3]), int64(info[4]))
		if err != nil {
			return 0, err
		}
		return mul(a, z)
	}
	return 0, fmt.Errorf("unknown type description %v", info)
}

func (f *File) order() binary.ByteOrder {
	if f.Little {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// value decodes one simple value.
func (f *File) value(t uint64, b []byte) any {
	o := f.order()
	switch t {
	case 2:
		return int64(int16(o.Uint16(b)))
	case 3:
		return int64(int32(o.Uint32(b)))
	case 4:
		return int64(o.Uint16(b))
	case 5:
		return int64(o.Uint32(b))
	case 6:
		return float64(math.Float32frombits(o.Uint32(b)))
	case 7:
		return math.Float64frombits(o.Uint64(b))
	case 8:
		return b[0] != 0
	case 9:
		return int64(int8(b[0]))
	case 10:
		return int64(b[0])
	case 11:
		return int64(o.Uint64(b))
	case 12:
		return float64(o.Uint64(b))
	}
	return nil
}

// decode turns a small payload into a Go value.
func (f *File) decode(d *Data, b []byte) any {
	info := d.Info
	switch {
	case len(info) == 1:
		return f.value(info[0], b)
	case info[0] == 18:
		return latin1(b)
	case info[0] == 15:
		var out []any
		off := 0
		for i := uint64(0); i < info[2]; i++ {
			t := info[4+2*i]
			z := int(simpleSize(t))
			out = append(out, f.value(t, b[off:off+z]))
			off += z
		}
		return out
	case info[0] == 20 && len(info) == 3:
		if info[1] == 4 { // text: UTF-16 code units
			u := make([]uint16, d.Count)
			for i := range u {
				u[i] = f.order().Uint16(b[2*i:])
			}
			return string(utf16.Decode(u))
		}
		if d.Count <= 64 {
			z := int(simpleSize(info[1]))
			out := make([]any, d.Count)
			for i := range out {
				out[i] = f.value(info[1], b[i*z:(i+1)*z])
			}
			return out
		}
	}
	return nil
}

// Lookup follows a path of tag names from g; list elements are
// addressed by their index as a decimal string.
func (g *Group) Lookup(path ...string) *Entry {
	var e *Entry
	cur := g
	for _, name := range path {
		if cur == nil {
			return nil
		}
		e = nil
		for i, c := range cur.Entries {
			if c.Name == name || (c.Name == "" && fmt.Sprint(i) == name) {
				e = c
				break
			}
		}
		if e == nil {
			return nil
		}
		cur = e.Group
	}
	return e
}

// Value returns the decoded value at path, nil if absent.
func (g *Group) Value(path ...string) any {
	e := g.Lookup(path...)
	if e == nil || e.Data == nil {
		return nil
	}
	return e.Data.Value
}

// Float returns the numeric value at path.
func (g *Group) Float(path ...string) (float64, bool) {
	switch v := g.Value(path...).(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// String returns the text value at path.
func (g *Group) String(path ...string) (string, bool) {
	s, ok := g.Value(path...).(string)
	return s, ok
}

// Tree returns the group as nested maps (JSON-encodable), unnamed
// entries named TagGroupN and DataN as HyperSpy does; large arrays are
// summarised.
func (g *Group) Tree() map[string]any {
	out := map[string]any{}
	for i, e := range g.Entries {
		name := e.Name
		switch {
		case e.Group != nil:
			if name == "" {
				name = fmt.Sprintf("TagGroup%d", i)
			}
			out[name] = e.Group.Tree()
		case e.Data != nil:
			if name == "" {
				name = fmt.Sprintf("Data%d", i)
			}
			v := e.Data.Value
			if v == nil {
				v = fmt.Sprintf("<%d bytes at offset %d>", e.Data.Size, e.Data.Offset)
			}
			out[name] = jsonSafe(v)
		}
	}
	return out
}

// jsonSafe replaces non-finite floats (which JSON cannot hold) by text.
func jsonSafe(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonSafe(e)
		}
		return out
	}
	return v
}
