package multispectrum

import (
	"context"
	"testing"
)

// A zero Tiling, a negative layout width or a missing argument is an error
// from Process, never a panic (a zero Tiling would divide by zero); a
// zero EnergyAxis fails Validate.
func TestProcessBadArguments(t *testing.T) {
	a := NewArray(4, 4, 2)
	layout := Layout{In: []int{2}, Out: []int{2}}
	ws := func() struct{} { return struct{}{} }
	fn := func(_ struct{}, t *Tile) error { copy(t.Out[0], t.In[0]); return nil }
	good := NewTiling(4, 4, 2, 2)
	var nilCtx context.Context
	for name, run := range map[string]func() error{
		"zero Tiling": func() error {
			return Process(context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, Tiling{}, layout, ws, fn)
		},
		"zero tile size": func() error {
			return Process(context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, Tiling{NY: 4, NX: 4}, layout, ws, fn)
		},
		"negative width": func() error {
			return Process(context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, good, Layout{In: []int{2}, Out: []int{-1}}, ws, fn)
		},
		"negative aux": func() error {
			return Process(context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, good, Layout{In: []int{2}, Out: []int{2}, Aux: -3}, ws, fn)
		},
		"nil context": func() error {
			return Process(nilCtx, ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, good, layout, ws, fn)
		},
		"nil source": func() error {
			return Process(context.Background(), nil, ArraySink{NewArray(4, 4, 2)}, good, layout, ws, fn)
		},
		"nil sink": func() error { return Process(context.Background(), ArraySource{a}, nil, good, layout, ws, fn) },
		"nil workspace maker": func() error {
			return Process[struct{}](context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, good, layout, nil, fn)
		},
		"nil tile function": func() error {
			return Process(context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, good, layout, ws, nil)
		},
	} {
		if err := run(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (Tiling{}).Validate(); err == nil {
		t.Error("zero Tiling valid")
	}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
	if err := (EnergyAxis{}).Validate(); err == nil {
		t.Error("zero EnergyAxis valid")
	}
	// Zero options are the defaults: all cores, queue depth 2.
	if err := Process(context.Background(), ArraySource{a}, ArraySink{NewArray(4, 4, 2)}, good, layout, ws, fn, Workers(0), QueueDepth(-1)); err != nil {
		t.Error(err)
	}
}
