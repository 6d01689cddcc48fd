// Command eelsh5 is a toolkit for quantitative electron energy-loss
// spectroscopy (EELS) of spectrum images. Every command reads an HDF5
// (NeXus) processing file and writes its results back into it as an
// NXprocess step with provenance (doc/processing-file.md).
//
// Usage:
//
//	eelsh5 [-j N] [-q] <command> [args]
//
// Commands: simulate (spectrum images with known truth, doc/algorithms.md
// 8), import (DM3/DM4, EMSA/MSA, HyperSpy, pyEELSMODEL; doc/formats.md),
// align (zero-loss alignment, doc/algorithms.md 7), fit (per-pixel model
// fit with CRLB, 5 and 6), quant (alignment, fit, elemental and
// composition maps, 9), demo (the seed workflow, 0), plot, export
// (HyperSpy, EMSA/MSA, CSV), info, view (browser viewer), xsec (one
// edge's cross section, 3), gos list and version.
//
// Run `eelsh5 --help` for the list of commands and `eelsh5 <command>
// --help` for each one. Exit status: 0 success, 1 runtime error, 2 usage
// error.
package main
