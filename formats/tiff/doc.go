// Package tiff writes and reads grey-scale baseline TIFF files of 32-bit
// floating-point images, one page per map of a stack (doc/formats.md 8).
//
// Writer streams the pages of a stack to an io.Writer: the pixel data of
// every page in one contiguous block after the 8-byte header, one strip per
// page, then the image file directories (IFDs) with ImageDescription,
// PageName, the pixel size as XResolution/YResolution and, optionally, the
// description and slice labels with which ImageJ and Fiji open the file as
// a stack (the layout ImageJ writes itself). Classic TIFF offsets are
// 32-bit, so a file is limited to 4 GiB.
//
// Read decodes what Writer writes and other uncompressed single-sample
// files (8 to 64-bit integers and 32 or 64-bit floats, either byte order,
// strips), enough to check exported files and fixtures written by other
// programs; it refuses compression, tiles and colour images.
//
// The format is the TIFF 6.0 specification (Adobe Developers Association,
// 1992): baseline tags (section 8), SampleFormat (section 19); ImageJ's
// private tags 50838 and 50839 follow ImageJ's TiffEncoder.
package tiff
