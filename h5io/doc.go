// Package h5io reads and writes eelsh5 processing files: HDF5 files laid
// out as NeXus NXdata/NXprocess groups (FORMATS.md section 3) so that
// h5web, silx and HyperSpy open them directly. It is the only package of
// eelsh5 that uses cgo and libhdf5 (through gonum.org/v1/hdf5 plus a few
// helpers for what that binding lacks); everything it returns is a
// multispectrum type.
//
// Cubes and maps are read and written by chunk-aligned hyperslabs through
// Dataset, which implements the Source and Sink interfaces of
// multispectrum.Process. A processing step is written with BeginStep under
// a temporary name and appears under its real name only on Commit.
//
// libhdf5 as packaged by Debian is not thread safe: every call is
// serialised by a package mutex, and Process does all I/O from one
// goroutine.
package h5io
