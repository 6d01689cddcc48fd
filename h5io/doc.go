// Package h5io reads and writes HDF5 files for eelsh5: the processing
// file, GOSH tables and the HDF5 formats of other programs. It is the only
// package that uses cgo and libhdf5 (gonum.org/v1/hdf5 plus helpers in
// capi.go for what that binding lacks); everything it returns is a
// multispectrum or gos type.
//
// Processing file (doc/formats.md 3, doc/processing-file.md): File with
// InitProcessingFile, CheckVersion and the instrument group; CreateCube,
// CreateStack and CreateMap make NeXus NXdata groups, and Dataset reads
// and writes their chunk-aligned scan regions as the Source and Sink of
// multispectrum.Process; BeginStep, ResumeStep, Checkpoint and Commit write
// an NXprocess step under a temporary name with its provenance and move it
// into place only when complete. Names of the layout are in schema.go.
//
// Other formats: OpenGOSH and OpenZhangDir implement gos.Database
// (doc/formats.md 1); OpenSignal imports HyperSpy and pyEELSMODEL files
// (2, 6); CreateHyperSpy exports HyperSpy 3.1 files (2.9).
//
// libhdf5 as packaged by Debian is not thread safe: every call is
// serialised by a package mutex, and Process does all I/O from one
// goroutine.
package h5io
