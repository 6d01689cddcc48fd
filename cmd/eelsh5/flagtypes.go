package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/quant"
)

// Flag value types: kong parses them (UnmarshalText), so a malformed
// value is a usage error before anything runs.

// pair is a flag of two numbers A:B: an energy range LO:HI in eV, or an
// axis OFFSET:DISPERSION.
type pair struct{ A, B float64 }

func (p *pair) UnmarshalText(b []byte) error {
	s := string(b)
	a, c, ok := strings.Cut(s, ":")
	x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	y, err2 := strconv.ParseFloat(strings.TrimSpace(c), 64)
	if !ok || err1 != nil || err2 != nil || math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return fmt.Errorf("%q: want two numbers A:B (e.g. 250:1200)", s)
	}
	*p = pair{x, y}
	return nil
}

func (p pair) String() string { return fmt.Sprintf("%g:%g", p.A, p.B) }

// energyRange is an energy range LO:HI in eV with LO < HI.
type energyRange pair

func (r *energyRange) UnmarshalText(b []byte) error {
	var p pair
	if err := p.UnmarshalText(b); err != nil {
		return fmt.Errorf("%q: want LO:HI in eV", b)
	}
	if !(p.B > p.A) {
		return fmt.Errorf("%q: the range LO:HI is empty (need LO < HI, in eV)", b)
	}
	*r = energyRange(p)
	return nil
}

func (r energyRange) String() string { return pair(r).String() }

// array returns the range as [lo, hi].
func (r energyRange) array() [2]float64 { return [2]float64{r.A, r.B} }

// pixel is a pixel Y,X of the scan (row, column from 0).
type pixel struct{ Y, X int }

func (p *pixel) UnmarshalText(b []byte) error {
	s := string(b)
	a, c, ok := strings.Cut(s, ",")
	y, err1 := strconv.Atoi(strings.TrimSpace(a))
	x, err2 := strconv.Atoi(strings.TrimSpace(c))
	if !ok || err1 != nil || err2 != nil || y < 0 || x < 0 {
		return fmt.Errorf("%q: want a pixel Y,X (row, column from 0)", s)
	}
	*p = pixel{y, x}
	return nil
}

func (p pixel) String() string { return fmt.Sprintf("%d,%d", p.Y, p.X) }

// inside checks p against an ny x nx scan.
func (p pixel) inside(flag string, ny, nx int) error {
	if p.Y >= ny || p.X >= nx {
		return usageError{fmt.Errorf("%s %s: outside the %dx%d scan", flag, p, ny, nx)}
	}
	return nil
}

// region is a named rectangle NAME=Y0:Y1,X0:X1 (rows Y0..Y1-1, columns
// X0..X1-1).
type region quant.NamedRegion

func (r *region) UnmarshalText(b []byte) error {
	s := string(b)
	bad := fmt.Errorf("%q: want NAME=Y0:Y1,X0:X1", s)
	name, spec, ok := strings.Cut(s, "=")
	ys, xs, ok2 := strings.Cut(spec, ",")
	if !ok || !ok2 || name == "" {
		return bad
	}
	parse := func(r string) (int, int, bool) {
		a, b, ok := strings.Cut(r, ":")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		return lo, hi, ok && err1 == nil && err2 == nil && lo >= 0 && hi > lo
	}
	y0, y1, ok3 := parse(ys)
	x0, x1, ok4 := parse(xs)
	if !ok3 || !ok4 {
		return bad
	}
	*r = region{Name: name, Region: multispectrum.Region{Y0: y0, X0: x0, NY: y1 - y0, NX: x1 - x0}}
	return nil
}

func (r region) String() string {
	g := r.Region
	return fmt.Sprintf("%s=%d:%d,%d:%d", r.Name, g.Y0, g.Y0+g.NY, g.X0, g.X0+g.NX)
}

// trimList drops spaces around list items and empty items.
func trimList(v []string) []string {
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
