package msa

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/eelsh5/eelsh5/formats"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// Spectrum is a parsed MSA file.
type Spectrum struct {
	Keywords map[string]string // upper-case keyword -> value (last wins)
	Units    map[string]string // unit suffixes, e.g. BEAMKV -> kV
	User     map[string]string // ## user-defined keywords
	Values   []float64
	XColumn  []float64 // the x values of XY files (not used for the axis)
	Warnings []string
}

const maxValues = 1 << 24

// Read parses an MSA file. It fails on missing OFFSET/XPERCHAN, no data,
// non-numeric data or more than 16 Mi values.
func Read(r io.Reader) (*Spectrum, error) {
	s := &Spectrum{Keywords: map[string]string{}, Units: map[string]string{}, User: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	inData := false
	xy := false
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimRight(sc.Text(), "\r\n")
		if line == 1 {
			t = strings.TrimPrefix(t, "\ufeff")
		}
		ts := strings.TrimSpace(t)
		if ts == "" {
			continue
		}
		if strings.HasPrefix(ts, "#") {
			key, val, unit, user := parseKeyword(ts)
			switch {
			case user:
				s.User[key] = val
			case key == "SPECTRUM":
				inData = true
				xy = strings.EqualFold(strings.TrimSpace(s.Keywords["DATATYPE"]), "XY")
			case key == "ENDOFDATA":
				return s.finish()
			default:
				s.Keywords[key] = val
				if unit != "" {
					s.Units[key] = unit
				}
			}
			continue
		}
		if !inData {
			return nil, fmt.Errorf("msa: line %d: data before #SPECTRUM", line)
		}
		fields := strings.FieldsFunc(joinExponents(ts), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
		var nums []float64
		for _, f := range fields {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("msa: line %d: %q is not a number", line, f)
			}
			nums = append(nums, v)
		}
		if xy {
			if len(nums) < 2 {
				if len(nums) == 0 {
					continue
				}
				return nil, fmt.Errorf("msa: line %d: XY data needs two numbers", line)
			}
			s.XColumn = append(s.XColumn, nums[0])
			s.Values = append(s.Values, nums[len(nums)-1])
		} else {
			s.Values = append(s.Values, nums...)
		}
		if len(s.Values) > maxValues {
			return nil, fmt.Errorf("msa: more than %d values", maxValues)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("msa: %w", err)
	}
	if !inData {
		return nil, fmt.Errorf("msa: no #SPECTRUM section")
	}
	s.Warnings = append(s.Warnings, "no #ENDOFDATA line")
	return s.finish()
}

// joinExponents removes the space of "2.0 E-06".
func joinExponents(s string) string {
	s = strings.ReplaceAll(s, " E", "E")
	return strings.ReplaceAll(s, " e", "e")
}

// parseKeyword splits "#KEY -unit : value" (the first colon followed by a
// space or the end ends the keyword; times such as 12:00 keep theirs).
func parseKeyword(line string) (key, val, unit string, user bool) {
	body := strings.TrimPrefix(line, "#")
	if strings.HasPrefix(body, "#") {
		user = true
		body = body[1:]
	}
	i := -1
	for j := 0; j < len(body); j++ {
		if body[j] == ':' && (j+1 == len(body) || body[j+1] == ' ' || body[j+1] == '\t' || body[j+1] == '"') {
			i = j
			break
		}
	}
	if i < 0 {
		i = strings.IndexByte(body, ':')
	}
	k := body
	if i >= 0 {
		k, val = body[:i], strings.TrimSpace(body[i+1:])
	}
	k = strings.TrimSpace(k)
	if d := strings.IndexByte(k, '-'); d >= 0 {
		unit = strings.TrimSpace(k[d+1:])
		k = strings.TrimSpace(k[:d])
	}
	if f := strings.Fields(k); len(f) > 0 {
		return strings.ToUpper(f[0]), val, unit, user
	}
	return "", val, unit, user
}

func (s *Spectrum) finish() (*Spectrum, error) {
	if len(s.Values) == 0 {
		return nil, fmt.Errorf("msa: no data values")
	}
	if np, ok := s.Float("NPOINTS"); ok && int(np) != len(s.Values) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("NPOINTS says %d but the file has %d values; using %d", int(np), len(s.Values), len(s.Values)))
	}
	if _, ok := s.Float("XPERCHAN"); !ok {
		return nil, fmt.Errorf("msa: no numeric XPERCHAN keyword")
	}
	if _, ok := s.Float("OFFSET"); !ok {
		return nil, fmt.Errorf("msa: no numeric OFFSET keyword")
	}
	if len(s.XColumn) >= 2 {
		disp, _ := s.Float("XPERCHAN")
		off, _ := s.Float("OFFSET")
		for i, x := range s.XColumn {
			if math.Abs(x-(off+float64(i)*disp)) > 0.01*math.Abs(disp)+1e-6*math.Abs(x) {
				s.Warnings = append(s.Warnings, fmt.Sprintf("the x column deviates from OFFSET + i*XPERCHAN at point %d (%g vs %g); the axis uses OFFSET/XPERCHAN", i, x, off+float64(i)*disp))
				break
			}
		}
	}
	return s, nil
}

// Float returns a numeric keyword value (numbers such as "20." are valid).
func (s *Spectrum) Float(key string) (float64, bool) {
	v, ok := s.Keywords[key]
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(joinExponents(v)), 64)
	return f, err == nil
}

// Signal converts the spectrum to an importable signal. The signal type
// (SIGNALTYPE, ELS meaning EELS, missing meaning EELS as HyperSpy does)
// must be EELS; INTEGTIME and DWELLTIME are converted from ms to s.
func (s *Spectrum) Signal() (*formats.Signal, error) {
	st := strings.ToUpper(strings.TrimSpace(s.Keywords["SIGNALTYPE"]))
	switch st {
	case "", "ELS", "EELS":
		st = "EELS"
	default:
		return nil, fmt.Errorf("msa: signal type %s, not EELS", st)
	}
	disp, _ := s.Float("XPERCHAN")
	off, _ := s.Float("OFFSET")
	sig := &formats.Signal{Title: s.Keywords["TITLE"], Format: "EMSA/MSA", SignalType: st, NY: 1, NX: 1,
		Axis: multispectrum.EnergyAxis{Offset: off, Dispersion: disp, Size: len(s.Values)}, EnergyUnits: s.Keywords["XUNITS"],
		Scan: multispectrum.PixelScan(), Instrument: multispectrum.UnknownInstrument(), DType: "float64", Warnings: s.Warnings}
	if u := strings.TrimSpace(sig.EnergyUnits); u != "" && !strings.EqualFold(u, "eV") {
		return nil, fmt.Errorf("msa: x units %q, not eV", u)
	}
	in := &sig.Instrument
	if v, ok := s.Float("BEAMKV"); ok && v > 0 {
		in.BeamEnergy = v * 1e3
	}
	if v, ok := s.Float("CONVANGLE"); ok && v > 0 {
		in.Convergence = v * 1e-3
	}
	if v, ok := s.Float("COLLANGLE"); ok && v > 0 {
		in.Collection = v * 1e-3
	}
	if v, ok := s.Float("DWELLTIME"); ok && v > 0 {
		in.DwellTime = v * 1e-3
	} else if v, ok := s.Float("INTEGTIME"); ok && v > 0 {
		in.DwellTime = v * 1e-3
	}
	orig := map[string]any{}
	for k, v := range s.Keywords {
		orig[k] = v
	}
	for k, v := range s.Units {
		orig[k+"_units"] = v
	}
	for k, v := range s.User {
		orig["##"+k] = v
	}
	sig.Original = orig
	if err := sig.Axis.Validate(); err != nil {
		return nil, fmt.Errorf("msa: %w", err)
	}
	vals := s.Values
	sig.Data = regionFunc(func(dst []float64, r multispectrum.Region) error {
		copy(dst, vals)
		return nil
	})
	return sig, nil
}

type regionFunc func([]float64, multispectrum.Region) error

func (f regionFunc) ReadRegion(dst []float64, r multispectrum.Region) error { return f(dst, r) }

// Header holds what Write puts in the header.
type Header struct {
	Title       string
	Owner       string
	Time        time.Time
	BeamEnergy  float64 // V, NaN: not written
	Convergence float64 // rad
	Collection  float64 // rad
	Comment     string
}

// Write writes one spectrum in the recipe of doc/formats.md 5.4 (CRLF line
// ends, header keywords padded to 12 characters, one value per line).
func Write(w io.Writer, axis multispectrum.EnergyAxis, values []float64, h Header) error {
	bw := bufio.NewWriter(w)
	kw := func(key, val string) { fmt.Fprintf(bw, "#%-12s: %s\r\n", key, val) }
	t := h.Time
	if t.IsZero() {
		t = time.Now()
	}
	kw("FORMAT", "EMSA/MAS Spectral Data File")
	kw("VERSION", "1.0")
	kw("TITLE", h.Title)
	kw("DATE", strings.ToUpper(t.Format("02-Jan-2006")))
	kw("TIME", t.Format("15:04"))
	kw("OWNER", h.Owner)
	kw("NPOINTS", strconv.Itoa(len(values)))
	kw("NCOLUMNS", "1")
	kw("DATATYPE", "Y")
	kw("SIGNALTYPE", "ELS")
	kw("XPERCHAN", strconv.FormatFloat(axis.Dispersion, 'g', -1, 64))
	kw("OFFSET", strconv.FormatFloat(axis.Offset, 'g', -1, 64))
	kw("XLABEL", "Energy loss")
	kw("XUNITS", "eV")
	kw("YUNITS", "counts")
	if !math.IsNaN(h.BeamEnergy) && h.BeamEnergy > 0 {
		fmt.Fprintf(bw, "#%-12s: %g\r\n", "BEAMKV   -kV", h.BeamEnergy/1e3)
	}
	if !math.IsNaN(h.Convergence) && h.Convergence > 0 {
		fmt.Fprintf(bw, "#%-12s: %g\r\n", "CONVANGLE-mR", h.Convergence*1e3)
	}
	if !math.IsNaN(h.Collection) && h.Collection > 0 {
		fmt.Fprintf(bw, "#%-12s: %g\r\n", "COLLANGLE-mR", h.Collection*1e3)
	}
	if h.Comment != "" {
		kw("COMMENT", h.Comment)
	}
	kw("SPECTRUM", "Spectral Data Starts Here")
	for _, v := range values {
		fmt.Fprintf(bw, "%s,\r\n", strconv.FormatFloat(v, 'g', -1, 64))
	}
	kw("ENDOFDATA", "End Of Data and File")
	return bw.Flush()
}
