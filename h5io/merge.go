package h5io

// The merge of a partitioned run: the per-pixel datasets of a step become
// HDF5 virtual datasets (libhdf5 1.10+, H5Pset_virtual) that map each
// part's rectangles onto the same rectangles of the part file's dataset,
// or, with copying, ordinary datasets filled tile by tile from the parts.
// gonum.org/v1/hdf5 has no virtual datasets; the C helpers below add them
// as capi.go adds the other missing calls.

/*
#cgo pkg-config: hdf5
#include <hdf5.h>
#include <stdlib.h>

static herr_t e5_copy_attr(hid_t loc, const char *name, const H5A_info_t *info, void *op) {
	hid_t dst = *(hid_t *)op;
	herr_t rc = -1;
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
	hid_t mt = H5Tget_native_type(ft, H5T_DIR_DEFAULT);
	hssize_t n = H5Sget_simple_extent_npoints(sp);
	size_t sz = H5Tget_size(mt);
	void *buf = malloc((n > 0 ? (size_t)n : 1) * (sz > 0 ? sz : 1));
	if (buf != NULL && H5Aread(a, mt, buf) >= 0) {
		hid_t b = H5Acreate2(dst, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
		if (b >= 0) {
			rc = H5Awrite(b, mt, buf);
			H5Aclose(b);
		}
		if (H5Tdetect_class(mt, H5T_VLEN) > 0 || (H5Tget_class(mt) == H5T_STRING && H5Tis_variable_str(mt) > 0))
			H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, buf);
	}
	free(buf);
	H5Tclose(mt);
	H5Tclose(ft);
	H5Sclose(sp);
	H5Aclose(a);
	return rc;
}

// e5_virtualize replaces dataset name of loc (created, nothing written)
// by a virtual dataset of the same type, shape and attributes whose
// mapping m takes the block [start, start+count) (rank values each, in
// starts and counts at m*rank) of dataset src of file files[m] onto the
// same block.
static herr_t e5_virtualize(hid_t loc, const char *name, const char *tmp, int nmaps, const char **files, const char *src,
	const hsize_t *starts, const hsize_t *counts) {
	herr_t rc = -1;
	hid_t old = H5Dopen2(loc, name, H5P_DEFAULT);
	if (old < 0) return -1;
	hid_t ft = H5Dget_type(old), sp = H5Dget_space(old);
	int rank = H5Sget_simple_extent_ndims(sp);
	hsize_t dims[8];
	H5Sget_simple_extent_dims(sp, dims, NULL);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t vs = H5Scopy(sp), ss = H5Screate_simple(rank, dims, NULL);
	hid_t d = -1;
	for (int m = 0; m < nmaps; m++) {
		if (H5Sselect_hyperslab(vs, H5S_SELECT_SET, starts + m * rank, NULL, counts + m * rank, NULL) < 0) goto out;
		if (H5Sselect_hyperslab(ss, H5S_SELECT_SET, starts + m * rank, NULL, counts + m * rank, NULL) < 0) goto out;
		if (H5Pset_virtual(dcpl, vs, files[m], src, ss) < 0) goto out;
	}
	d = H5Dcreate2(loc, tmp, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (d < 0) goto out;
	if (H5Aiterate2(old, H5_INDEX_NAME, H5_ITER_INC, NULL, e5_copy_attr, &d) < 0) goto out;
	H5Dclose(d);
	d = -1;
	H5Dclose(old);
	old = -1;
	if (H5Ldelete(loc, name, H5P_DEFAULT) < 0) goto out;
	rc = H5Lmove(loc, tmp, loc, name, H5P_DEFAULT, H5P_DEFAULT);
out:
	if (d >= 0) H5Dclose(d);
	if (old >= 0) H5Dclose(old);
	H5Sclose(vs);
	H5Sclose(ss);
	H5Pclose(dcpl);
	H5Sclose(sp);
	H5Tclose(ft);
	return rc;
}

// e5_is_virtual reports whether dataset name of loc is virtual (1), not
// (0) or cannot be opened (-1).
static int e5_is_virtual(hid_t loc, const char *name) {
	hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0) return -1;
	hid_t p = H5Dget_create_plist(d);
	int v = H5Pget_layout(p) == H5D_VIRTUAL;
	H5Pclose(p);
	H5Dclose(d);
	return v;
}

// e5_virtual_count returns the number of mappings of an open virtual
// dataset, -1 when it is not virtual.
static long e5_virtual_count(hid_t d) {
	hid_t p = H5Dget_create_plist(d);
	if (p < 0) return -1;
	long n = -1;
	size_t count = 0;
	if (H5Pget_layout(p) == H5D_VIRTUAL && H5Pget_virtual_count(p, &count) >= 0) n = (long)count;
	H5Pclose(p);
	return n;
}

// e5_virtual_file writes the source file name of mapping i of an open
// virtual dataset into buf (size n) and returns its length, -1 on error.
static long e5_virtual_file(hid_t d, size_t i, char *buf, size_t n) {
	hid_t p = H5Dget_create_plist(d);
	if (p < 0) return -1;
	ssize_t len = H5Pget_virtual_filename(p, i, buf, n);
	H5Pclose(p);
	return (long)len;
}
*/
import "C"

import (
	"fmt"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/eelsh5/eelsh5/multispectrum"
)

// AttrPartChunk is the attribute of a merged virtual dataset that keeps
// the chunk shape of the parts' datasets (a virtual dataset has no chunks
// of its own), so that readers stream it tile by tile as the parts were
// written (Dataset.ScanChunk).
const AttrPartChunk = "chunk_shape"

// MergeSource is one part of a partitioned run as a merge reads it: its
// file, the rectangles of the scan it computed and the step holding them.
type MergeSource struct {
	// File is the part file; Link is how the merged file names it in its
	// virtual mappings (relative to the merged file's directory when
	// possible, so that the pair can move together).
	File, Link string
	Regions    []multispectrum.Region
	// Step is the committed step of the part file (/entry/quant).
	Step string
}

// Merge says how a step is assembled from the parts of a partitioned
// run: the parts, in order, and whether the per-pixel datasets are
// virtual (the default: no copy, the part files must stay) or copied.
type Merge struct {
	Sources []MergeSource
	Copy    bool
}

// NewMerge returns the merge of the part files files (in part order, each
// with its rectangles) into the file at merged.
func NewMerge(merged string, files []string, regions [][]multispectrum.Region, step string, copyData bool) *Merge {
	m := &Merge{Copy: copyData}
	dir, _ := filepath.Abs(filepath.Dir(merged))
	for i, f := range files {
		link := f
		if abs, err := filepath.Abs(f); err == nil {
			link = abs
			if rel, err := filepath.Rel(dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
				link = rel
			}
		}
		m.Sources = append(m.Sources, MergeSource{File: f, Link: link, Regions: regions[i], Step: EntryPath + "/" + step})
	}
	return m
}

// attach makes each dataset of ds, created empty in step (nothing
// written), the merge of the same dataset of every part: virtual, or
// copied region by region. It reopens the datasets in place.
func (m *Merge) attach(f *File, step *Step, ds []*Dataset) error {
	for i, d := range ds {
		if d == nil {
			continue
		}
		path, kind, dt, chunk := d.Path, d.kind, d.dtype, d.Chunk
		rel := strings.TrimPrefix(path, step.Path(""))
		if m.Copy {
			if err := m.copyInto(d, rel); err != nil {
				return err
			}
			continue
		}
		d.Close()
		if err := m.virtualize(f, path, rel, kind, d.Width); err != nil {
			return err
		}
		if len(chunk) > 0 {
			ints := make([]int32, len(chunk))
			for j, c := range chunk {
				ints[j] = int32(c)
			}
			err := withObject(f.id(), path, func(o hid) error { return writeNumbers(o, AttrPartChunk, true, false, ints) })
			if err != nil {
				return f.wrapWrite(path, err)
			}
		}
		nd, err := f.openStream(path, kind, dt)
		if err != nil {
			return err
		}
		ds[i] = nd
	}
	return nil
}

// virtualize replaces the dataset at path by a virtual dataset mapping
// every part's rectangles of the dataset rel of its step.
func (m *Merge) virtualize(f *File, path, rel string, kind, width int) error {
	var files []*C.char
	var starts, counts []uint64
	for _, s := range m.Sources {
		cf := C.CString(s.Link)
		defer C.free(unsafe.Pointer(cf))
		for _, r := range s.Regions {
			files = append(files, cf)
			a, b := blockOf(kind, width, r)
			starts, counts = append(starts, a...), append(counts, b...)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("h5io: could not merge %q: no part covers any pixel", path)
	}
	src := m.Sources[0].Step + "/" + rel
	cn, free1 := cstr(path)
	defer free1()
	ct, free2 := cstr(path + ".virtual")
	defer free2()
	cs, free3 := cstr(src)
	defer free3()
	lib.Lock()
	rc := C.e5_virtualize(f.id(), cn, ct, C.int(len(files)), (**C.char)(unsafe.Pointer(unsafe.SliceData(files))), cs,
		(*C.hsize_t)(unsafe.Pointer(unsafe.SliceData(starts))), (*C.hsize_t)(unsafe.Pointer(unsafe.SliceData(counts))))
	lib.Unlock()
	if rc < 0 {
		return f.wrapWrite(path, fmt.Errorf("could not make a virtual dataset of %d parts: %w", len(m.Sources), errHDF5))
	}
	return nil
}

// blockOf returns the hyperslab (start, count) of region r in a dataset
// of the given kind: cubes are (ny, nx, width), stacks (width, ny, nx),
// maps (ny, nx).
func blockOf(kind, width int, r multispectrum.Region) (start, count []uint64) {
	switch kind {
	case kindCube:
		return u64(r.Y0, r.X0, 0), u64(r.NY, r.NX, width)
	case kindStack:
		return u64(0, r.Y0, r.X0), u64(width, r.NY, r.NX)
	}
	return u64(r.Y0, r.X0), u64(r.NY, r.NX)
}

// copyInto fills d from the same dataset of every part, one region of
// at most a chunk row at a time.
func (m *Merge) copyInto(d *Dataset, rel string) error {
	var buf []float64
	for _, s := range m.Sources {
		pf, err := Open(s.File)
		if err != nil {
			return err
		}
		src, err := pf.openStream(s.Step+"/"+rel, d.kind, d.dtype)
		if err != nil {
			pf.Close()
			return err
		}
		cy, _ := d.ScanChunk()
		for _, r := range s.Regions {
			for y := r.Y0; y < r.Y0+r.NY; y += cy {
				sub := multispectrum.Region{Y0: y, X0: r.X0, NY: min(cy, r.Y0+r.NY-y), NX: r.NX}
				if buf, err = src.ReadRegion(buf, sub); err == nil {
					err = d.WriteRegion(sub, buf)
				}
				if err != nil {
					src.Close()
					pf.Close()
					return err
				}
			}
		}
		src.Close()
		if err := pf.Close(); err != nil {
			return err
		}
	}
	return nil
}

// IsVirtual reports whether the dataset at path is a virtual dataset.
func (f *File) IsVirtual(path string) bool {
	cn, free := cstr(path)
	defer free()
	lib.Lock()
	defer lib.Unlock()
	return C.e5_is_virtual(f.id(), cn) == 1
}

// virtualSources returns, for an open virtual dataset, its number of
// mappings and the distinct source files they name (in mapping order);
// 0 and nil for any other dataset. The caller holds lib.
func virtualSources(ds hid) (int, []string) {
	n := int(C.e5_virtual_count(C.hid_t(ds)))
	if n <= 0 {
		return 0, nil
	}
	var files []string
	seen := map[string]bool{}
	buf := make([]C.char, 4096)
	for i := 0; i < n; i++ {
		if C.e5_virtual_file(C.hid_t(ds), C.size_t(i), &buf[0], C.size_t(len(buf))) < 0 {
			continue
		}
		if name := C.GoString(&buf[0]); !seen[name] {
			seen[name] = true
			files = append(files, name)
		}
	}
	return n, files
}
