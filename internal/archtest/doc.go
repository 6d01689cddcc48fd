// Package archtest guards the dependency rules of eelsh5 in its test:
// only h5io uses cgo and libhdf5 (gonum.org/v1/hdf5), and every other
// package outside cmd/ is pure Go and does not depend on h5io, so that the
// numerical packages build and test with CGO_ENABLED=0. The package has
// no code of its own.
package archtest
