// Package components holds the model components of EELS spectra and the
// model that sums them (doc/algorithms.md sections 2 to 5).
//
// Parameter carries value, bounds, linearity and coupling (2.1); a
// Component evaluates on its own energy axis and gives analytic
// derivatives for every parameter but instrument constants (2.2). The
// components (2.3): PowerLaw, LinearBackground (fixed-exponent power laws,
// with Linspace for the reference's exponents), Polynomial, Offset,
// Exponential, Gaussian, Lorentzian, Voigt (with the Faddeeva function),
// the Drude Plasmon with plural scattering, FixedPattern, and CoreLossEdge,
// an element edge from any gos.Source (3.1).
//
// LowLoss is the per-pixel convolution with a normalised low-loss spectrum,
// the reference's MscatterFFT (section 4). Model (section 5) sums the
// convolved components, convolves them and adds the others; its free
// parameters have a fixed, documented order, and Model.Derivative gives
// the convolved derivative used by the fitters.
//
// Values are computed at channel start energies without multiplying by
// the dispersion.
package components
