package gos

import "fmt"

func errorf(format string, args ...any) error {
	return fmt.Errorf("gos: "+format, args...)
}
