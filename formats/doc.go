// Package formats holds what the readers of instrument and exchange
// formats share: the Signal an importer produces (axes, instrument
// metadata, original metadata and a region reader) and format detection
// by content. The parsers live in its sub-packages (dm, msa); HDF5-based
// formats are read by h5io.
package formats
