// Package multispectrum holds the data types of eelsh5: energy axes,
// spectra, spectrum images (cubes of shape (ny, nx, nE) with energy
// fastest), regions and tilings of the scan, exclusion masks, and the
// streaming driver Process that runs a per-tile computation over a cube
// with one I/O goroutine and N compute workers.
//
// The package is pure Go and knows no file format: h5io adapts HDF5
// datasets to the Source and Sink interfaces defined here.
//
// Conventions follow docs/ALGORITHMS.md section 1: channel i of an energy
// axis is at Offset + i*Dispersion eV (the channel start, no bin-centre
// correction); index ranges are half-open [i0, i1).
package multispectrum
