// Package aligners estimates the per-pixel energy shift of spectrum
// images from their zero-loss peak and applies it (ALGORITHMS.md 7): the
// fast method (argmax, whole channels), a peak fit (Gaussian or
// Lorentzian, sub-channel) and cross-correlation with a reference
// spectrum (sub-channel, usable on core loss without a low loss).
//
// Unlike the reference, nothing here changes the caller's axes: a Plan
// made from all the shifts gives the output axes and copies each pixel's
// spectrum onto them, with the reference's cropping rules.
package aligners
