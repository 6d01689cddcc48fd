package gos

import (
	"errors"
	"fmt"
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("gos: "+format, args...)
}

// ErrEdgeNotInModel is matched (errors.Is) by the error of a model source
// asked for an edge it does not describe: the hydrogenic model has K
// edges for Z = 1..22 and L edges for Z = 13..36 only.
var ErrEdgeNotInModel = errors.New("gos: edge not in the model")

type notInModelError struct{ msg string }

func (e *notInModelError) Error() string        { return e.msg }
func (e *notInModelError) Is(target error) bool { return target == ErrEdgeNotInModel }

func notInModel(format string, args ...any) error {
	return &notInModelError{"gos: " + fmt.Sprintf(format, args...)}
}
