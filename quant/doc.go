// Package quant is the model-based quantification workflow of eelsh5
// (doc/algorithms.md sections 5, 6 and 9), as a library.
//
// Run is the whole ElementalQuantification: given an Input (a tile
// source of core-loss and low-loss spectra with their axes) and Options
// (elements and edges, or a ModelFile), it builds the model (a linear
// background plus cross sections from a gos.Source), chooses the fit
// window (QuantWindow), fits every pixel with the linear engine
// (ols, wls, nnls) or the non-linear one (lsq, poisson), convolving edge
// columns with each pixel's own low loss, and computes the CRLB and
// covariance, the areal densities and the composition with uncertainties
// propagated from the full covariance, the mean spectrum with each
// component, and a Summary over the map and its regions. NewPlan does
// every check first, so a caller can refuse bad options before it writes
// anything; Plan.Run then streams the tiles into a Destination: Memory
// here, h5io.FitStepDestination for a processing file. Outputs are
// Streams addressed by name (StreamCoefficients, StreamCovariance, ...),
// not by position.
//
// The package knows no file format and needs no cgo.
package quant
