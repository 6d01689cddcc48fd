// Package gos computes atomic inner-shell ionisation cross sections
// dsigma/dE for EELS from generalised oscillator strengths (GOS), in
// barn/eV per atom (1 barn = 1e-28 m^2) at channel start energies, with E0
// in volts and angles in radians.
//
// Entry points: a Source makes Edge values (Hydrogenic, built in, K and L
// edges; HS, built in, Hartree-Slater GOS of every occupied subshell of
// Z = 1..92 computed in-process by HSDatabase and cached on disk;
// TableSource over a Database of tabulated GOS, "kohl" for the
// Segger-Guzzinati-Kohl DFT tables and "zhang" for the Zhang Dirac tables
// with bound states); Edge.CrossSection evaluates one on an energy axis;
// Cache memoises cross sections for concurrent use; Setup holds E0, alpha,
// beta and the q integration; Element, Lookup and ExpandEdge read the
// embedded element table; Locate finds installed table files.
//
// It implements doc/algorithms.md sections 3.2 to 3.11, 3.13 and appendix A
// (kinematics, q integral, Kohl's convergence correction, hydrogenic GOS,
// table interpolation, power-law tail, bound states, combined edges, the
// Hartree-Slater atom and GOS),
// reproducing the reference's numbers. The package opens no files but the
// HS disk cache (in the directory its caller names): h5io
// decodes GOSH files (doc/formats.md 1) into Table values through the
// Database interface.
package gos
