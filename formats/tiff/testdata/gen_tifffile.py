#!/usr/bin/python3
"""Writes the reference TIFF files of formats/tiff's tests with tifffile
(2023.2.3, Debian's python3-tifffile), the reader Fiji users' Python
scripts use: run it in this directory with /usr/bin/python3.

tifffile_imagej.tif: an ImageJ hyperstack as tifffile writes it, 3 slices
of 5 x 4 float32, value 100 k + 10 y + x + 0.25 at slice k, row y,
column x; 0.5 nm pixels; slice labels "a", "b", "c".

tifffile_bigendian.tif: big-endian, 2 pages of 3 x 2 uint16, one row per
strip, value 1000 k + 10 y + x + 60000 * (k == 1 and y == 2 and x == 0).
"""
import numpy as np
import tifffile

k, y, x = np.mgrid[0:3, 0:5, 0:4]
a = (100 * k + 10 * y + x + 0.25).astype(np.float32)
tifffile.imwrite("tifffile_imagej.tif", a, imagej=True, resolution=(2.0, 2.0),
                 metadata={"axes": "ZYX", "unit": "nm", "Labels": ["a", "b", "c"]})

k, y, x = np.mgrid[0:2, 0:3, 0:2]
b = (1000 * k + 10 * y + x).astype(np.uint16)
b[1, 2, 0] += 60000
tifffile.imwrite("tifffile_bigendian.tif", b, byteorder=">", rowsperstrip=1, photometric="minisblack")
