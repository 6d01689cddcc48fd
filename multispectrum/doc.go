// Package multispectrum holds the data types of eelsh5 and the streaming
// driver that runs computations over spectrum images.
//
// Types: EnergyAxis (channel i at Offset + i*Dispersion eV, the channel
// start, no bin-centre correction), Spectrum, Array (pixel-major values of
// an ny x nx scan), Cube (a spectrum image in memory, energy fastest),
// Mask (channels excluded from fits), Region and Tiling (rectangles of the
// scan), Instrument (E0 in V, angles in rad; NaN for unknown) and
// Provenance (what a processing step records). Helpers: EnergyAxis.Index
// (the reference's energy-to-channel rule), Roll, ShiftLinear and
// SampleLinear (whole- and sub-channel shifts).
//
// Process runs a per-tile function over a Tiling with one I/O goroutine
// (through the Source and Sink interfaces, which h5io implements for HDF5
// datasets) and N workers with their own scratch, so memory is bounded by
// the tile size and results do not depend on the tiling.
//
// The package is pure Go and knows no file format. It implements
// doc/algorithms.md section 1 (data model); index ranges are half-open
// [i0, i1).
package multispectrum
