package aligners_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/aligners"
	"github.com/eelsh5/eelsh5/multispectrum"
	"github.com/eelsh5/eelsh5/simulate"
)

// TestRunMovesEveryPeakToZero aligns a simulation with integer and with
// sub-channel shifts through Run: the measured shifts equal the
// simulator's true ones (fast: exactly, whole channels; fit: to 0.05
// channel on a noise-free low loss), every aligned zero-loss peak is at
// 0 eV, and the core loss got the same shifts as the low loss (its axis
// moved by the same offset).
func TestRunMovesEveryPeakToZero(t *testing.T) {
	for _, c := range []struct {
		mode   simulate.ShiftMode
		method aligners.Method
		tol    float64 // channels
	}{
		{simulate.IntegerShifts, aligners.Fast, 1e-9},
		{simulate.SubchannelShifts, aligners.PeakFit, 0.05},
	} {
		s, low, core := simulated(t, c.mode, false)
		mem := &aligners.Memory{}
		res, err := aligners.Run(context.Background(), aligners.CubeInput(low, core), mem, aligners.RunOptions{Options: aligners.Options{Method: c.method}, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() != 0 {
			t.Errorf("%s: %d pixels failed", c.method, res.Failed())
		}
		disp := low.Axis.Dispersion
		for p, want := range s.Shifts() {
			if d := math.Abs(res.Measured[p]-want) / disp; d > c.tol {
				t.Fatalf("%s: pixel %d shift %g eV, truth %g eV", c.method, p, res.Measured[p], want)
			}
		}
		al, ac := mem.Cubes[0], mem.Cubes[1]
		if !al.Axis.Equal(res.Axes[0]) || !ac.Axis.Equal(res.Axes[1]) {
			t.Fatalf("axes %v %v vs %v", al.Axis, ac.Axis, res.Axes)
		}
		if d := (ac.Axis.Offset - core.Axis.Offset) - (al.Axis.Offset - low.Axis.Offset); math.Abs(d) > 1e-9 {
			t.Errorf("%s: core axis moved %g eV more than the low loss's", c.method, d)
		}
		for y := 0; y < al.NY; y++ {
			for x := 0; x < al.NX; x++ {
				sp := al.Pixel(y, x)
				k := 0
				for i, v := range sp {
					if v > sp[k] {
						k = i
					}
				}
				if e := al.Axis.Energy(k); math.Abs(e) > disp/2+1e-9 {
					t.Fatalf("%s: pixel %d,%d peak at %g eV after alignment", c.method, y, x, e)
				}
			}
		}
	}
}

// TestCheckRefusesBadInput: Check reports bad options before anything
// is read, and Run returns the same errors.
func TestCheckRefusesBadInput(t *testing.T) {
	_, low, core := simulated(t, simulate.NoShifts, false)
	in := aligners.CubeInput(low, core)
	for _, c := range []struct {
		name string
		in   func(aligners.Input) aligners.Input
		opts aligners.RunOptions
		want string
	}{
		{"unknown method", nil, aligners.RunOptions{Options: aligners.Options{Method: "magic"}}, "unknown method"},
		{"unknown peak", nil, aligners.RunOptions{Options: aligners.Options{Peak: "triangle"}}, "unknown peak"},
		{"range outside", nil, aligners.RunOptions{Options: aligners.Options{Lo: 5000, Hi: 6000}}, "does not overlap"},
		{"reference outside", nil, aligners.RunOptions{Reference: [2]int{40, 0}}, "outside the 32x32 scan"},
		{"relative without xcorr", func(in aligners.Input) aligners.Input { in.Relative = true; return in }, aligners.RunOptions{}, "cross-correlation"},
		{"no cubes", func(in aligners.Input) aligners.Input { in.Cubes = nil; return in }, aligners.RunOptions{}, "no cube"},
		{"empty scan", func(in aligners.Input) aligners.Input { in.NY = 0; return in }, aligners.RunOptions{}, "scan is 0x32"},
	} {
		x := in
		if c.in != nil {
			x = c.in(in)
		}
		err := aligners.Check(x, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		mem := &aligners.Memory{}
		if _, err2 := aligners.Run(context.Background(), x, mem, c.opts); err2 == nil || err2.Error() != err.Error() || mem.Cubes != nil {
			t.Errorf("%s: Run gave %v and wrote %d cubes", c.name, err2, len(mem.Cubes))
		}
	}
	var re *aligners.ReferenceError
	if err := aligners.Check(in, aligners.RunOptions{Reference: [2]int{0, 99}}); !errors.As(err, &re) || re.X != 99 {
		t.Errorf("reference error %v", err)
	}
}

// ExampleRun aligns a simulated 8 x 8 scan whose pixels are shifted by
// whole channels: afterwards every zero-loss peak is at 0 eV.
func ExampleRun() {
	sc := simulate.SeedScenario(8)
	sim, err := simulate.Run(context.Background(), sc, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	aligned := &aligners.Memory{}
	res, err := aligners.Run(context.Background(), aligners.CubeInput(sim.LowLoss, sim.CoreLoss), aligned, aligners.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	lo, hi := res.ShiftRange()
	fmt.Printf("shifts %.1f..%.1f eV, %d pixels without a peak\n", lo, hi, res.Failed())
	low := aligned.Cubes[0]
	peak := func(s []float64) int {
		k := 0
		for i, v := range s {
			if v > s[k] {
				k = i
			}
		}
		return k
	}
	fmt.Printf("peak of pixel 0,0 at %.1f eV, of pixel 7,7 at %.1f eV\n", low.Axis.Energy(peak(low.Pixel(0, 0))), low.Axis.Energy(peak(low.Pixel(7, 7))))
	fmt.Println("core-loss axis:", aligned.Cubes[1].Axis)
	// Output:
	// shifts -2.5..2.5 eV, 0 pixels without a peak
	// peak of pixel 0,0 at 0.0 eV, of pixel 7,7 at 0.0 eV
	// core-loss axis: 2028 channels from 205 eV, 0.5 eV/channel
}

// TestOptionsRejectNonFinite: a NaN axis or non-finite option values are
// errors, not an index out of range.
func TestOptionsRejectNonFinite(t *testing.T) {
	good := aligners.Options{}
	for _, c := range []struct {
		name string
		o    aligners.Options
		axis multispectrum.EnergyAxis
	}{
		{"NaN axis offset", aligners.Options{Lo: math.Inf(-1), Hi: 5}, multispectrum.EnergyAxis{Offset: math.NaN(), Dispersion: 0.5, Size: 100}},
		{"infinite range", aligners.Options{Lo: math.Inf(-1), Hi: 5}, multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 100}},
		{"NaN window", aligners.Options{Window: math.NaN()}, multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 100}},
		{"NaN largest shift", aligners.Options{MaxShift: math.NaN()}, multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 100}},
	} {
		if err := c.o.Validate(c.axis); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
		if _, err := aligners.NewEstimator(c.o, c.axis, nil, true); err == nil {
			t.Errorf("%s: estimator made", c.name)
		}
	}
	if err := good.Validate(multispectrum.EnergyAxis{Offset: -10, Dispersion: 0.5, Size: 100}); err != nil {
		t.Errorf("zero options: %v", err)
	}
}
