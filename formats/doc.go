// Package formats holds what the importers of instrument and exchange
// files share: Signal (a spectrum, line scan or spectrum image with its
// energy axis, scan calibration, instrument parameters, original metadata
// as JSON-encodable maps and a RegionReader for its data) and Detect,
// which tells a file's format from its first bytes, never from its name
// (doc/formats.md, introduction).
//
// The parsers live in the sub-packages dm (Gatan DM3/DM4, doc/formats.md
// 4) and msa (EMSA/MSA, 5); HDF5-based formats (HyperSpy, pyEELSMODEL) are
// read by h5io.
package formats
