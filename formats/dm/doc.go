// Package dm reads Gatan Digital Micrograph DM3 and DM4 files
// (doc/formats.md section 4).
//
// Open parses the tag tree (Group, Entry, Data): structural integers are
// big-endian, payloads follow the header's byte order, and every count and
// size is checked against the bytes that remain before it is trusted, so a
// damaged or hostile file gives an error rather than a panic or an
// unbounded allocation. File.Images lists the ImageList with thumbnails
// marked (4.6, 4.7); File.Signal picks the EELS image, checks its layout
// (spectrum, line scan, energy-slowest spectrum image; 2-D images, image
// stacks and non-EELS signals are refused), reads its calibrations and
// microscope tags (4.8) and returns a formats.Signal. Pixel arrays are not
// loaded: their offsets are kept and spectra are read on demand, so large
// spectrum images stream.
package dm
