// Package components holds the model components of EELS spectra
// (ALGORITHMS.md sections 2 to 5): parameters with bounds and coupling;
// backgrounds (PowerLaw, LinearBackground, Polynomial, Offset,
// Exponential), peaks (Gaussian, Lorentzian, Voigt), the Drude Plasmon,
// FixedPattern, CoreLossEdge (any gos.Source), the low-loss convolution
// LowLoss (the reference's MscatterFFT) and Model, which sums them.
//
// Every component evaluates on the energy axis it was built for, at the
// channel start energies, without multiplying by the dispersion, and
// provides analytic derivatives for its parameters.
package components
