// Package gos computes atomic inner-shell ionisation cross sections
// dsigma/dE for EELS from generalised oscillator strengths (GOS): the
// built-in hydrogenic K and L models (needs no file) and tabulated GOS in
// the GOSH layout (Segger-Guzzinati-Kohl DFT tables, Zhang Dirac tables
// with bound states, and the older per-element Zhang layout).
//
// Formulas, constants and quirks follow docs/ALGORITHMS.md sections 3.2 to
// 3.11 and appendix A (the reference implementation, pyEELSMODEL), so that
// numbers agree with it: cross sections are in barn/eV per atom
// (1 barn = 1e-28 m^2), evaluated at channel start energies, with E0 in
// volts and angles in radians.
//
// The package never opens files: h5io decodes GOSH files into *Table
// values through the TableReader interface defined here.
package gos
