package quant

import (
	"errors"
	"strings"
	"testing"

	"github.com/eelsh5/eelsh5/gos"
	"github.com/eelsh5/eelsh5/multispectrum"
)

// A component that cannot be built is named as the model file names it:
// the element and edge typed, the edge a fine structure belongs to, or
// its name, with its position in the model after it.
func TestComponentErrorNamesTheComponent(t *testing.T) {
	axis := multispectrum.EnergyAxis{Offset: 200, Dispersion: 1, Size: 1000}
	const instrument = "[instrument]\nE0 = 300e3\nalpha = 1e-9\nbeta = 20e-3\n"
	for _, test := range []struct {
		model string
		want  string
	}{
		// The hydrogenic source has K edges for Z = 1..22 only (gos).
		{`
[[component]]
type = "linear_background"
exponents = [1, 2]
[[component]]
type = "edge"
element = "C"
edge = "K"
[[component]]
type = "edge"
element = "Fe"
edge = "K"
`, "quant: the Fe K edge (model component 3): gos: the hydrogenic model has K edges for Z = 1..22 only, not Fe (Z = 26)"},
		{`
[[component]]
type = "edge"
element = "C"
edge = "K"
[[component]]
type = "fine_structure"
edge = "Ti L"
`, `quant: the fine structure of Ti L (model component 2): no edge "Ti L" in the model (it has C K)`},
		{`
[[component]]
type = "edge"
element = "C"
edge = "K"
[[component]]
type = "fine_structure"
`, "quant: component 2 (fine_structure): needs the edge it belongs to"},
	} {
		mf, err := ReadModelFile(strings.NewReader(instrument+test.model), "test.toml")
		if err != nil {
			t.Fatalf("%q: %v", test.model, err)
		}
		_, err = mf.Build(axis, gos.Hydrogenic(), gos.NewCache())
		var ce *ComponentError
		if !errors.As(err, &ce) {
			t.Fatalf("Build: %v, want a ComponentError", err)
		}
		if got := err.Error(); !strings.HasPrefix(got, test.want) {
			t.Errorf("error\n %q\nwant it to begin with\n %q", got, test.want)
		}
	}
	// A named component keeps its name; one without name, element or
	// edge keeps its type only.
	inner := errors.New("components: bad value")
	for _, test := range []struct {
		err  *ComponentError
		want string
	}{
		{&ComponentError{Index: 4, Type: "gaussian", Name: "Ti pre-peak", Err: inner}, `quant: component 4 "Ti pre-peak" (gaussian): bad value`},
		{&ComponentError{Index: 1, Type: "power_law", Err: inner}, "quant: component 1 (power_law): bad value"},
	} {
		if got := test.err.Error(); got != test.want {
			t.Errorf("Error() = %q, want %q", got, test.want)
		}
	}
}
