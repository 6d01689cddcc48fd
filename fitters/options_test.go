package fitters

import (
	"math"
	"strings"
	"testing"
)

// Method and objective names come from model files and command lines:
// ParseMethod/ParseObjective (and Validate) return an error for unknown
// ones, "" takes the documented default, and the zero values of the
// tuning fields work.
func TestOptionNames(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Method
		bad  bool
	}{
		{"", WLS, false}, {"ols", OLS, false}, {"wls", WLS, false}, {"nnls", NNLS, false},
		{"bogus", "", true}, {"WLS", "", true}, {" wls", "", true}, {"lsq", "", true},
	} {
		m, err := ParseMethod(c.in)
		if (err != nil) != c.bad || m != c.want {
			t.Errorf("ParseMethod(%q) = %q, %v", c.in, m, err)
		}
		if verr := Method(c.in).Validate(); (verr != nil) != c.bad {
			t.Errorf("Method(%q).Validate() = %v", c.in, verr)
		}
		if c.bad && (err == nil || !strings.Contains(err.Error(), "ols, wls or nnls")) {
			t.Errorf("ParseMethod(%q): %v does not list the methods", c.in, err)
		}
	}
	for _, c := range []struct {
		in   string
		want Objective
		bad  bool
	}{
		{"", LeastSquares, false}, {"lsq", LeastSquares, false}, {"poisson", PoissonML, false},
		{"bogus", "", true}, {"wls", "", true}, {"Poisson", "", true},
	} {
		o, err := ParseObjective(c.in)
		if (err != nil) != c.bad || o != c.want {
			t.Errorf("ParseObjective(%q) = %q, %v", c.in, o, err)
		}
		if verr := Objective(c.in).Validate(); (verr != nil) != c.bad {
			t.Errorf("Objective(%q).Validate() = %v", c.in, verr)
		}
	}
	for s, want := range map[Status]string{OK: "ok", BadLowLoss: "unusable low loss", 6: "status 6", -1: "status -1", 127: "status 127"} {
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q, want %q", int8(s), got, want)
		}
	}
}

func TestZeroOptionsDefaults(t *testing.T) {
	// The zero Method is WLS: the same solution as WLS, also when the
	// field is cleared after construction.
	a, n, p := seedDesign()
	y := make([]float64, n)
	truth := []float64{800, 300, 100, 50, 2, 3, 1, 0.5}
	for i := range y {
		for k, c := range truth {
			y[i] += a[k*n+i] * c
		}
	}
	want := make([]float64, p)
	NewLinear(n, p, WLS).Fit(want, a, y, false)
	for _, l := range []*Linear{NewLinear(n, p, ""), func() *Linear { l := NewLinear(n, p, OLS); l.Method = ""; return l }()} {
		got := make([]float64, p)
		if r := l.Fit(got, a, y, false); r.Status != OK {
			t.Fatalf("zero method: status %v", r.Status)
		}
		for k := range got {
			if got[k] != want[k] {
				t.Errorf("zero method: c[%d] = %v, WLS %v", k, got[k], want[k])
			}
		}
	}
	// A Linear switched to NNLS after construction gets its workspace.
	l := NewLinear(n, p, WLS)
	l.Method = NNLS
	if r := l.Fit(make([]float64, p), a, y, true); r.Status == NonFinite {
		t.Errorf("NNLS set on the field: %v", r.Status)
	}

	// Non-linear: "" is least squares; MaxIter and Tol of 0 (or NaN) and
	// nil bounds take the defaults (unbounded).
	const m = 60
	g := gaussModel{m}
	yy := make([]float64, m)
	g.Eval(yy, []float64{500, 31.3, 4.2, 20})
	ref := []float64{300, 28, 6, 10}
	NewNonLinear(m, 4, LeastSquares).Fit(ref, g, yy)
	for name, nl := range map[string]*NonLinear{
		"zero objective":    NewNonLinear(m, 4, ""),
		"zero tuning":       func() *NonLinear { nl := NewNonLinear(m, 4, ""); nl.MaxIter, nl.Tol = 0, math.NaN(); return nl }(),
		"nil bounds":        func() *NonLinear { nl := NewNonLinear(m, 4, LeastSquares); nl.Lower, nl.Upper = nil, nil; return nl }(),
		"objective cleared": func() *NonLinear { nl := NewNonLinear(m, 4, PoissonML); nl.Objective = ""; return nl }(),
	} {
		got := []float64{300, 28, 6, 10}
		if r := nl.Fit(got, g, yy); r.Status != OK {
			t.Errorf("%s: status %v", name, r.Status)
		}
		for k := range got {
			if got[k] != ref[k] {
				t.Errorf("%s: p[%d] = %v, least squares %v", name, k, got[k], ref[k])
			}
		}
	}
}

// An unknown method reaching a constructor is a programming error; the
// panic says how to avoid it.
func TestUnknownMethodPanicsWithAdvice(t *testing.T) {
	for name, f := range map[string]func(){
		"NewLinear":    func() { NewLinear(10, 2, "bogus") },
		"NewNonLinear": func() { NewNonLinear(10, 2, "bogus") },
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, "unknown") || !strings.Contains(s, "Parse") {
					t.Errorf("%s: recovered %v", name, r)
				}
			}()
			f()
		}()
	}
}
