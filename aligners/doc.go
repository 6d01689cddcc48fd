// Package aligners estimates the per-pixel energy shift of spectrum
// images from their zero-loss peak and applies it (doc/algorithms.md 7):
// the fast method (argmax, whole channels), a peak fit (Gaussian or
// Lorentzian, sub-channel) and cross-correlation with a reference
// spectrum (sub-channel, usable on core loss without a low loss).
//
// Run is the whole alignment of a scan: it measures every pixel's shift
// on one cube (Input.Measure), makes the Plan (median shift for pixels
// without a usable peak, the crop of the shifts' spread about their
// median, the axes relabelled by the median) and applies it
// to every cube, streaming tiles into a Destination: Memory here,
// h5io.AlignmentDestination for a processing file. Check validates an
// alignment before anything is read or written. Single spectra (1 x 1
// scans) are aligned only on request (RunOptions.Single).
//
// Unlike the reference, nothing here changes the caller's axes or data:
// the aligned cubes are new outputs.
package aligners
