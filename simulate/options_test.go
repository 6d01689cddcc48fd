package simulate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// A zero, nil or partly filled Scenario, and unknown names in it (shift
// mode, element, edge), are errors from New and Run, never panics; small
// but valid axes and scans simulate.
func TestZeroAndBadScenarios(t *testing.T) {
	nan := math.NaN()
	bad := map[string]func(*Scenario){
		"zero shift mode":      func(s *Scenario) { s.Shifts = "" },
		"unknown mode":         func(s *Scenario) { s.Shifts = "Integer" },
		"unknown element":      func(s *Scenario) { s.Elements[0] = "Xx" },
		"empty element":        func(s *Scenario) { s.Elements[0] = "" },
		"unknown edge":         func(s *Scenario) { s.Edges[0] = "Q" },
		"no source":            func(s *Scenario) { s.Source = nil },
		"no maps":              func(s *Scenario) { s.Maps = nil },
		"no thickness":         func(s *Scenario) { s.TLambda = nil },
		"zero axis":            func(s *Scenario) { s.Axis = multispectrum.EnergyAxis{} },
		"NaN dispersion":       func(s *Scenario) { s.Axis.Dispersion = nan },
		"NaN E0":               func(s *Scenario) { s.E0 = nan },
		"NaN beta":             func(s *Scenario) { s.Beta = nan },
		"zero plasmon":         func(s *Scenario) { s.PlasmonOrders = 0 },
		"NaN plasmon":          func(s *Scenario) { s.PlasmonEnergy = nan },
		"zero noise":           func(s *Scenario) { s.Noise = 0 },
		"NaN spread":           func(s *Scenario) { s.ShiftSpread = nan },
		"huge spread":          func(s *Scenario) { s.ShiftSpread = 1e300 },
		"NaN background":       func(s *Scenario) { s.BackgroundA = nan },
		"NaN exponent":         func(s *Scenario) { s.BackgroundR = nan },
		"infinite FWHM":        func(s *Scenario) { s.ZeroLossFWHM = math.Inf(1) },
		"infinite scale":       func(s *Scenario) { s.LowLossScale = math.Inf(1) },
		"NaN onset":            func(s *Scenario) { s.Onsets = []float64{0, nan, 0, 0} },
		"onsets length":        func(s *Scenario) { s.Onsets = []float64{1} },
		"infinite map":         func(s *Scenario) { s.Maps.Data[0] = math.Inf(1) },
		"zero scan":            func(s *Scenario) { s.NY = 0 },
		"maps of another scan": func(s *Scenario) { s.NY, s.NX = 2, 2 },
	}
	for name, f := range bad {
		sc := SeedScenario(4)
		f(sc)
		if err := noPanic(func() error { _, err := Run(context.Background(), sc, 1); return err }); err == nil || errors.Is(err, errPanic) {
			t.Errorf("%s: accepted or panicked: %v", name, err)
		}
	}
	for name, sc := range map[string]*Scenario{"zero Scenario": {}, "nil Scenario": nil} {
		if err := noPanic(func() error { _, err := New(sc); return err }); err == nil || errors.Is(err, errPanic) {
			t.Errorf("%s: accepted or panicked: %v", name, err)
		}
	}
	// Small axes and scans: valid ones simulate, the rest are errors.
	for _, size := range []int{1, 2, 3, 4, 8, 33} {
		for _, mode := range []ShiftMode{NoShifts, IntegerShifts, SubchannelShifts, ReferenceShifts} {
			sc := SeedScenario(1)
			sc.Axis.Size, sc.Shifts, sc.ShiftSpread = size, mode, 0.5
			err := noPanic(func() error { _, err := Run(context.Background(), sc, 1); return err })
			if errors.Is(err, errPanic) || (err != nil && size >= 33) {
				t.Errorf("%d channels, %s shifts: %v", size, mode, err)
			}
		}
	}
}

func TestZeroValuesOfHelpers(t *testing.T) {
	if got := SeedRegion(7).String(); got != "region 7" {
		t.Errorf("SeedRegion(7) = %q", got)
	}
	if p := (&Scenario{}).Params(); p["gos"] != "" {
		t.Errorf("params of the zero Scenario: %v", p["gos"])
	}
}

// noPanic runs f and turns a panic into an error that says so (the
// callers then fail on it as on any error they did not expect, or report
// it as a panic through errPanic).
func noPanic(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	return f()
}

var errPanic = errors.New("panic")
