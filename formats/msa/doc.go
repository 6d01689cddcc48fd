// Package msa reads and writes EMSA/MSA text spectra (ISO 22029;
// doc/formats.md section 5).
//
// Read parses header keywords (with unit suffixes and ## user keywords),
// Y and XY data and the number of values actually present (NPOINTS may
// disagree); Spectrum.Signal turns the result into a formats.Signal with
// the energy axis from OFFSET and XPERCHAN (never from the x column) and
// the instrument converted to V, rad and s (5.2, 5.3). Write produces one
// spectrum in the recipe of 5.4.
package msa
