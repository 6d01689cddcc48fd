package h5io

// This file holds the few libhdf5 calls that gonum.org/v1/hdf5 does not
// expose: hyperslab I/O with an explicit memory type (so float32 on disk
// converts to float64 in memory), fixed-length and UTF-8 string
// attributes, h5py-style boolean enums, attribute listing, link moves and
// deletes, and dataset layout queries. Identifiers come from gonum
// objects through their ID method.

// The compiler and linker flags come from pkg-config's hdf5 module. On
// Debian 12 libhdf5-dev installs hdf5-serial.pc and points hdf5.pc at it
// (an update-alternatives link): -I/usr/include/hdf5/serial
// -L/usr/lib/<triplet>/hdf5/serial -lhdf5. The pkg-config program is the
// Debian package pkgconf (libhdf5-dev does not depend on it; ./dev
// installs it). gonum.org/v1/hdf5 itself still uses its hard-coded Debian
// serial paths, which name the same directories.

/*
#cgo pkg-config: hdf5
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

enum { E5_F64 = 0, E5_F32 = 1, E5_I8 = 2, E5_I32 = 3, E5_I64 = 4, E5_U8 = 5 };

static hid_t e5_native(int code) {
	switch (code) {
	case E5_F64: return H5T_NATIVE_DOUBLE;
	case E5_F32: return H5T_NATIVE_FLOAT;
	case E5_I8: return H5T_NATIVE_SCHAR;
	case E5_I32: return H5T_NATIVE_INT;
	case E5_I64: return H5T_NATIVE_LLONG;
	case E5_U8: return H5T_NATIVE_UCHAR;
	}
	return -1;
}

// e5_rw reads (write == 0) or writes a hyperslab block [start, start+count)
// of dataset ds from/to buf, laid out contiguously in C order.
static herr_t e5_rw(hid_t ds, int code, int rank, const hsize_t *start, const hsize_t *count, void *buf, int write) {
	hid_t fs = H5Dget_space(ds);
	if (fs < 0) return -1;
	herr_t rc = -1;
	hid_t ms = -1;
	if (rank > 0) {
		if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0) goto out;
		ms = H5Screate_simple(rank, count, NULL);
	} else {
		ms = H5Screate(H5S_SCALAR);
	}
	if (ms < 0) goto out;
	if (write) rc = H5Dwrite(ds, e5_native(code), ms, fs, H5P_DEFAULT, buf);
	else rc = H5Dread(ds, e5_native(code), ms, fs, H5P_DEFAULT, buf);
out:
	if (ms >= 0) H5Sclose(ms);
	H5Sclose(fs);
	return rc;
}

static herr_t e5_delete_attr_if_exists(hid_t loc, const char *name) {
	htri_t ex = H5Aexists(loc, name);
	if (ex < 0) return -1;
	if (ex > 0) return H5Adelete(loc, name);
	return 0;
}

// e5_str_type returns a new string datatype: fixed length width (NUL
// terminated, ASCII) when width > 0, else variable length UTF-8.
static hid_t e5_str_type(size_t width) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) return -1;
	if (width > 0) {
		H5Tset_size(t, width);
		H5Tset_strpad(t, H5T_STR_NULLTERM);
		H5Tset_cset(t, H5T_CSET_ASCII);
	} else {
		H5Tset_size(t, H5T_VARIABLE);
		H5Tset_cset(t, H5T_CSET_UTF8);
	}
	return t;
}

// e5_write_strs writes n strings as an attribute (isattr) or dataset of loc.
// Fixed-length strings (width > 0) come packed in buf at stride width;
// variable-length ones as an array of pointers in ptrs. scalar selects a
// scalar dataspace (n must be 1).
static herr_t e5_write_strs(hid_t loc, const char *name, int isattr, int scalar, size_t n, size_t width, const char *buf, const char **ptrs) {
	hid_t t = e5_str_type(width);
	if (t < 0) return -1;
	hsize_t dims[1] = {n};
	hid_t sp = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
	herr_t rc = -1;
	const void *data = width > 0 ? (const void *)buf : (const void *)ptrs;
	if (isattr) {
		if (e5_delete_attr_if_exists(loc, name) < 0) goto out;
		hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
		if (a < 0) goto out;
		rc = H5Awrite(a, t, data);
		H5Aclose(a);
	} else {
		hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
		if (d < 0) goto out;
		rc = H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
		H5Dclose(d);
	}
out:
	H5Sclose(sp);
	H5Tclose(t);
	return rc;
}

// e5_write_num writes n numbers of native type code as an attribute or
// dataset (file type: the same as the memory type).
static herr_t e5_write_num(hid_t loc, const char *name, int isattr, int scalar, int code, size_t n, const void *buf) {
	hsize_t dims[1] = {n};
	hid_t sp = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
	herr_t rc = -1;
	hid_t t = e5_native(code);
	if (isattr) {
		if (e5_delete_attr_if_exists(loc, name) < 0) goto out;
		hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
		if (a < 0) goto out;
		rc = H5Awrite(a, t, buf);
		H5Aclose(a);
	} else {
		hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
		if (d < 0) goto out;
		rc = H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
		H5Dclose(d);
	}
out:
	H5Sclose(sp);
	return rc;
}

// e5_write_bool_enum writes a scalar attribute with h5py's boolean type:
// an enumeration over int8 with FALSE = 0 and TRUE = 1.
static herr_t e5_write_bool_enum(hid_t loc, const char *name, int v) {
	if (e5_delete_attr_if_exists(loc, name) < 0) return -1;
	hid_t t = H5Tenum_create(H5T_NATIVE_SCHAR);
	signed char f = 0, tr = 1, val = v ? 1 : 0;
	H5Tenum_insert(t, "FALSE", &f);
	H5Tenum_insert(t, "TRUE", &tr);
	hid_t sp = H5Screate(H5S_SCALAR);
	herr_t rc = -1;
	hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0) {
		rc = H5Awrite(a, t, &val);
		H5Aclose(a);
	}
	H5Sclose(sp);
	H5Tclose(t);
	return rc;
}

// e5_obj_info opens attribute (isattr) or dataset name of loc and returns
// its type class, element size, whether it is a variable-length string
// and its number of elements; rank and dims describe its dataspace.
static herr_t e5_obj_info(hid_t loc, const char *name, int isattr, int *cls, size_t *size, int *vlstr, int *sign, hssize_t *npoints, int *rank, hsize_t *dims) {
	hid_t o = isattr ? H5Aopen(loc, name, H5P_DEFAULT) : H5Dopen2(loc, name, H5P_DEFAULT);
	if (o < 0) return -1;
	hid_t t = isattr ? H5Aget_type(o) : H5Dget_type(o);
	hid_t sp = isattr ? H5Aget_space(o) : H5Dget_space(o);
	*cls = H5Tget_class(t);
	*size = H5Tget_size(t);
	*vlstr = (*cls == H5T_STRING) ? H5Tis_variable_str(t) : 0;
	*sign = (*cls == H5T_INTEGER) ? H5Tget_sign(t) : -1;
	*npoints = H5Sget_simple_extent_npoints(sp);
	*rank = H5Sget_simple_extent_ndims(sp);
	if (*rank > 0 && *rank <= 8) H5Sget_simple_extent_dims(sp, dims, NULL);
	H5Sclose(sp);
	H5Tclose(t);
	if (isattr) H5Aclose(o); else H5Dclose(o);
	return 0;
}

// e5_read_num reads all elements of an attribute or dataset converted to
// the native type code.
static herr_t e5_read_num(hid_t loc, const char *name, int isattr, int code, void *buf) {
	herr_t rc;
	if (isattr) {
		hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
		if (a < 0) return -1;
		rc = H5Aread(a, e5_native(code), buf);
		H5Aclose(a);
	} else {
		hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
		if (d < 0) return -1;
		rc = H5Dread(d, e5_native(code), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
		H5Dclose(d);
	}
	return rc;
}

// e5_read_strs reads n strings of an attribute or dataset into out, a
// buffer of n slots of width bytes each (each NUL terminated, truncated to
// width-1 bytes). Both fixed and variable-length strings are accepted.
static herr_t e5_read_strs(hid_t loc, const char *name, int isattr, size_t n, size_t width, char *out) {
	hid_t o = isattr ? H5Aopen(loc, name, H5P_DEFAULT) : H5Dopen2(loc, name, H5P_DEFAULT);
	if (o < 0) return -1;
	hid_t ft = isattr ? H5Aget_type(o) : H5Dget_type(o);
	herr_t rc = -1;
	memset(out, 0, n * width);
	if (H5Tis_variable_str(ft) > 0) {
		hid_t mt = H5Tcopy(H5T_C_S1);
		H5Tset_size(mt, H5T_VARIABLE);
		H5Tset_cset(mt, H5Tget_cset(ft));
		char **ptrs = calloc(n, sizeof(char *));
		rc = isattr ? H5Aread(o, mt, ptrs) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs);
		if (rc >= 0) {
			for (size_t i = 0; i < n; i++) {
				if (ptrs[i]) {
					strncpy(out + i * width, ptrs[i], width - 1);
					free(ptrs[i]);
				}
			}
		}
		free(ptrs);
		H5Tclose(mt);
	} else {
		size_t fsz = H5Tget_size(ft);
		char *tmp = calloc(n, fsz + 1);
		hid_t mt = H5Tcopy(ft);
		rc = isattr ? H5Aread(o, mt, tmp) : H5Dread(o, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp);
		if (rc >= 0) {
			for (size_t i = 0; i < n; i++) {
				size_t l = fsz < width - 1 ? fsz : width - 1;
				memcpy(out + i * width, tmp + i * fsz, l);
			}
		}
		H5Tclose(mt);
		free(tmp);
	}
	H5Tclose(ft);
	if (isattr) H5Aclose(o); else H5Dclose(o);
	return rc;
}

static int e5_attr_count(hid_t loc) {
	H5O_info_t info;
	if (H5Oget_info2(loc, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
	return (int)info.num_attrs;
}

static ssize_t e5_attr_name(hid_t loc, int idx, char *buf, size_t size) {
	return H5Aget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)idx, buf, size, H5P_DEFAULT);
}

static int e5_attr_exists(hid_t loc, const char *name) { return H5Aexists(loc, name); }

static void e5_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static hid_t e5_oopen(hid_t loc, const char *name) { return H5Oopen(loc, name, H5P_DEFAULT); }
static herr_t e5_oclose(hid_t o) { return H5Oclose(o); }

static herr_t e5_move(hid_t loc, const char *src, const char *dst) {
	return H5Lmove(loc, src, loc, dst, H5P_DEFAULT, H5P_DEFAULT);
}

static herr_t e5_delete(hid_t loc, const char *name) { return H5Ldelete(loc, name, H5P_DEFAULT); }

static int e5_link_exists(hid_t loc, const char *name) { return H5Lexists(loc, name, H5P_DEFAULT); }

// e5_layout returns the dataset layout (H5D_CHUNKED = 2), its chunk dims
// and the names of its filters, separated by commas.
static int e5_layout(hid_t ds, int maxrank, hsize_t *chunk, char *filters, size_t flen) {
	hid_t p = H5Dget_create_plist(ds);
	if (p < 0) return -1;
	int layout = H5Pget_layout(p);
	if (layout == H5D_CHUNKED) H5Pget_chunk(p, maxrank, chunk);
	filters[0] = 0;
	int nf = H5Pget_nfilters(p);
	for (int i = 0; i < nf; i++) {
		unsigned flags, cd[8];
		size_t ncd = 8;
		char nm[64];
		unsigned conf;
		H5Z_filter_t id = H5Pget_filter2(p, i, &flags, &ncd, cd, sizeof nm, nm, &conf);
		char one[96];
		if (id == H5Z_FILTER_DEFLATE && ncd > 0) snprintf(one, sizeof one, "%sgzip(%u)", i ? "," : "", cd[0]);
		else snprintf(one, sizeof one, "%s%s(id %d)", i ? "," : "", nm, (int)id);
		strncat(filters, one, flen - strlen(filters) - 1);
	}
	H5Pclose(p);
	return layout;
}

// e5_filters_available reports whether every filter of the dataset can be
// applied by this libhdf5 (e.g. no missing Blosc plugin); it returns the
// id of the first missing filter, 0 if all are available.
static int e5_missing_filter(hid_t ds) {
	hid_t p = H5Dget_create_plist(ds);
	if (p < 0) return -1;
	int nf = H5Pget_nfilters(p);
	int missing = 0;
	for (int i = 0; i < nf && !missing; i++) {
		unsigned flags, cd[8];
		size_t ncd = 8;
		char nm[64];
		unsigned conf;
		H5Z_filter_t id = H5Pget_filter2(p, i, &flags, &ncd, cd, sizeof nm, nm, &conf);
		if (H5Zfilter_avail(id) <= 0) missing = (int)id;
	}
	H5Pclose(p);
	return missing;
}

// e5_create_chunked creates a chunked dataset of the native file type code
// (E5_F32 or E5_F64 or E5_I8), optionally gzip-compressed with shuffle.
static herr_t e5_create_chunked(hid_t loc, const char *name, int code, int rank, const hsize_t *dims, const hsize_t *chunk, int gzip) {
	hid_t sp = H5Screate_simple(rank, dims, NULL);
	hid_t p = H5Pcreate(H5P_DATASET_CREATE);
	H5Pset_chunk(p, rank, chunk);
	if (gzip > 0) {
		H5Pset_shuffle(p);
		H5Pset_deflate(p, (unsigned)gzip);
	}
	hid_t t = code == E5_F32 ? H5T_IEEE_F32LE : code == E5_F64 ? H5T_IEEE_F64LE : code == E5_I8 ? H5T_STD_I8LE : H5T_STD_I32LE;
	hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, p, H5P_DEFAULT);
	H5Pclose(p);
	H5Sclose(sp);
	if (d < 0) return -1;
	return H5Dclose(d);
}

// e5_children lists the members of group loc: names packed NUL-separated
// into a malloc'ed buffer (returned in *out, caller frees) and their
// object types (H5O_TYPE_GROUP = 0, DATASET = 1) into a malloc'ed array.
static int e5_children(hid_t loc, char **out, size_t *outlen, int **types) {
	H5G_info_t gi;
	if (H5Gget_info(loc, &gi) < 0) return -1;
	size_t n = gi.nlinks, cap = 256, len = 0;
	char *buf = malloc(cap);
	int *ty = malloc(sizeof(int) * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		ssize_t l = H5Lget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, i, NULL, 0, H5P_DEFAULT);
		if (l < 0) { free(buf); free(ty); return -1; }
		while (len + l + 1 > cap) { cap *= 2; buf = realloc(buf, cap); }
		H5Lget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, i, buf + len, l + 1, H5P_DEFAULT);
		H5O_info_t oi;
		if (H5Oget_info_by_name2(loc, buf + len, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) ty[i] = -1;
		else ty[i] = oi.type;
		len += l + 1;
	}
	*out = buf;
	*outlen = len;
	*types = ty;
	return (int)n;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

func init() {
	// libhdf5 prints its error stack to stderr by default; eelsh5 reports
	// errors itself, in one line.
	C.e5_silence()
}

// lib serialises every call into libhdf5 (Process does all I/O on one
// goroutine, but tests and commands may touch two files at once).
// Locking also pins the goroutine to its OS thread and switches off
// libhdf5's automatic error printing there: Debian's build keeps that
// setting per thread.
var lib hdf5Lock

type hdf5Lock struct{ mu sync.Mutex }

func (l *hdf5Lock) Lock() {
	l.mu.Lock()
	runtime.LockOSThread()
	C.e5_silence()
}

func (l *hdf5Lock) Unlock() {
	runtime.UnlockOSThread()
	l.mu.Unlock()
}

type hid = C.hid_t

type codeT = C.int

// numeric type codes shared with the C helpers
const (
	tF64 = C.E5_F64
	tF32 = C.E5_F32
	tI8  = C.E5_I8
	tI32 = C.E5_I32
	tI64 = C.E5_I64
	tU8  = C.E5_U8
)

var errHDF5 = errors.New("libhdf5 call failed")

func cstr(s string) (*C.char, func()) {
	c := C.CString(s)
	return c, func() { C.free(unsafe.Pointer(c)) }
}

// rwBlock reads or writes a C-order block of a dataset. buf must be a
// []float64, []float32, []int8, []int32 or []int64 of at least prod(count)
// elements.
func rwBlock(ds hid, start, count []uint64, buf any, write bool) error {
	var code C.int
	var ptr unsafe.Pointer
	n := 1
	for _, c := range count {
		n *= int(c)
	}
	switch b := buf.(type) {
	case []float64:
		code, ptr = tF64, unsafe.Pointer(unsafe.SliceData(b))
		if len(b) < n {
			panic("h5io: buffer too short")
		}
	case []float32:
		code, ptr = tF32, unsafe.Pointer(unsafe.SliceData(b))
		if len(b) < n {
			panic("h5io: buffer too short")
		}
	case []int8:
		code, ptr = tI8, unsafe.Pointer(unsafe.SliceData(b))
		if len(b) < n {
			panic("h5io: buffer too short")
		}
	case []int32:
		code, ptr = tI32, unsafe.Pointer(unsafe.SliceData(b))
		if len(b) < n {
			panic("h5io: buffer too short")
		}
	case []int64:
		code, ptr = tI64, unsafe.Pointer(unsafe.SliceData(b))
		if len(b) < n {
			panic("h5io: buffer too short")
		}
	default:
		panic(fmt.Sprintf("h5io: unsupported buffer type %T", buf))
	}
	if n == 0 {
		return nil
	}
	rank := len(count)
	var st, ct *C.hsize_t
	if rank > 0 {
		st = (*C.hsize_t)(unsafe.Pointer(unsafe.SliceData(start)))
		ct = (*C.hsize_t)(unsafe.Pointer(unsafe.SliceData(count)))
	}
	w := C.int(0)
	if write {
		w = 1
	}
	lib.Lock()
	rc := C.e5_rw(ds, code, C.int(rank), st, ct, ptr, w)
	lib.Unlock()
	if rc < 0 {
		return errHDF5
	}
	return nil
}

// writeStrings writes strs as an attribute (attr) or dataset of loc.
// fixed selects fixed-length ASCII strings (what NeXus viewers and
// HyperSpy's NeXus reader need for NX_class, signal, axes, ...), else
// variable-length UTF-8. scalar writes a single string with a scalar
// dataspace.
func writeStrings(loc hid, name string, attr, scalar, fixed bool, strs ...string) error {
	cn, free := cstr(name)
	defer free()
	if scalar && len(strs) != 1 {
		panic("h5io: scalar string needs one value")
	}
	var rc C.herr_t
	if fixed {
		width := 1
		for _, s := range strs {
			width = max(width, len(s)+1)
		}
		buf := make([]byte, width*len(strs))
		for i, s := range strs {
			copy(buf[i*width:], s)
		}
		cbuf := C.CBytes(buf)
		defer C.free(cbuf)
		lib.Lock()
		rc = C.e5_write_strs(loc, cn, cbool(attr), cbool(scalar), C.size_t(len(strs)), C.size_t(width), (*C.char)(cbuf), nil)
		lib.Unlock()
	} else {
		ptrs := C.malloc(C.size_t(len(strs)) * C.size_t(unsafe.Sizeof(uintptr(0))))
		defer C.free(ptrs)
		ps := unsafe.Slice((**C.char)(ptrs), len(strs))
		for i, s := range strs {
			ps[i] = C.CString(s)
		}
		defer func() {
			for _, p := range ps {
				C.free(unsafe.Pointer(p))
			}
		}()
		lib.Lock()
		rc = C.e5_write_strs(loc, cn, cbool(attr), cbool(scalar), C.size_t(len(strs)), 0, nil, (**C.char)(ptrs))
		lib.Unlock()
	}
	if rc < 0 {
		return fmt.Errorf("could not write string %q: %w", name, errHDF5)
	}
	return nil
}

// writeNumbers writes values as an attribute or dataset of loc; vals must
// be []float64, []int64, []int32 or []int8.
func writeNumbers(loc hid, name string, attr, scalar bool, vals any) error {
	cn, free := cstr(name)
	defer free()
	var code C.int
	var ptr unsafe.Pointer
	var n int
	switch v := vals.(type) {
	case []float64:
		code, ptr, n = tF64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int64:
		code, ptr, n = tI64, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int32:
		code, ptr, n = tI32, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	case []int8:
		code, ptr, n = tI8, unsafe.Pointer(unsafe.SliceData(v)), len(v)
	default:
		panic(fmt.Sprintf("h5io: unsupported number type %T", vals))
	}
	if scalar && n != 1 {
		panic("h5io: scalar needs one value")
	}
	// cgo forbids passing a pointer to a zero-length slice's array; copy.
	if n == 0 {
		ptr = nil
	}
	lib.Lock()
	rc := C.e5_write_num(loc, cn, cbool(attr), cbool(scalar), code, C.size_t(n), ptr)
	lib.Unlock()
	if rc < 0 {
		return fmt.Errorf("could not write %q: %w", name, errHDF5)
	}
	return nil
}

func writeBoolEnum(loc hid, name string, v bool) error {
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	rc := C.e5_write_bool_enum(loc, cn, cbool(v))
	lib.Unlock()
	if rc < 0 {
		return fmt.Errorf("could not write %q: %w", name, errHDF5)
	}
	return nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// objInfo describes an attribute or dataset.
type objInfo struct {
	class   int // H5T class: 0 integer, 1 float, 3 string, 8 enum, ...
	size    int
	vlenStr bool
	signed  bool
	n       int
	dims    []int
}

const (
	classInteger = 0
	classFloat   = 1
	classString  = 3
	classEnum    = 8
)

func getInfo(loc hid, name string, attr bool) (objInfo, error) {
	cn, free := cstr(name)
	defer free()
	var cls, vl, sign, rank C.int
	var size C.size_t
	var np C.hssize_t
	var dims [8]C.hsize_t
	lib.Lock()
	rc := C.e5_obj_info(loc, cn, cbool(attr), &cls, &size, &vl, &sign, &np, &rank, &dims[0])
	lib.Unlock()
	if rc < 0 {
		return objInfo{}, errHDF5
	}
	in := objInfo{class: int(cls), size: int(size), vlenStr: vl > 0, signed: sign == 1, n: int(np)}
	for i := 0; i < int(rank) && i < 8; i++ {
		in.dims = append(in.dims, int(dims[i]))
	}
	return in, nil
}

func readFloats(loc hid, name string, attr bool) ([]float64, error) {
	in, err := getInfo(loc, name, attr)
	if err != nil {
		return nil, err
	}
	if in.class != classInteger && in.class != classFloat {
		return nil, fmt.Errorf("%q is not numeric", name)
	}
	out := make([]float64, max(in.n, 1))
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	rc := C.e5_read_num(loc, cn, cbool(attr), tF64, unsafe.Pointer(&out[0]))
	lib.Unlock()
	if rc < 0 {
		return nil, errHDF5
	}
	return out[:in.n], nil
}

func readInt8s(loc hid, name string, attr bool) ([]int8, error) {
	in, err := getInfo(loc, name, attr)
	if err != nil {
		return nil, err
	}
	if in.class != classInteger && in.class != classEnum {
		return nil, fmt.Errorf("%q is not an integer", name)
	}
	out := make([]int8, max(in.n, 1))
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	rc := C.e5_read_num(loc, cn, cbool(attr), tI8, unsafe.Pointer(&out[0]))
	lib.Unlock()
	if rc < 0 {
		return nil, errHDF5
	}
	return out[:in.n], nil
}

func readStrings(loc hid, name string, attr bool) ([]string, error) {
	in, err := getInfo(loc, name, attr)
	if err != nil {
		return nil, err
	}
	if in.class != classString {
		return nil, fmt.Errorf("%q is not a string", name)
	}
	n := max(in.n, 1)
	width := 1 << 16
	if !in.vlenStr {
		width = in.size + 1
	}
	if n*width > 1<<28 {
		return nil, fmt.Errorf("%q: string data too large", name)
	}
	buf := C.malloc(C.size_t(n * width))
	defer C.free(buf)
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	rc := C.e5_read_strs(loc, cn, cbool(attr), C.size_t(n), C.size_t(width), (*C.char)(buf))
	lib.Unlock()
	if rc < 0 {
		return nil, errHDF5
	}
	b := unsafe.Slice((*byte)(buf), n*width)
	out := make([]string, in.n)
	for i := range out {
		s := b[i*width : (i+1)*width]
		if k := strings.IndexByte(string(s), 0); k >= 0 {
			s = s[:k]
		}
		out[i] = string(s)
	}
	return out, nil
}

func attrNames(loc hid) ([]string, error) {
	lib.Lock()
	defer lib.Unlock()
	n := int(C.e5_attr_count(loc))
	if n < 0 {
		return nil, errHDF5
	}
	names := make([]string, 0, n)
	buf := make([]byte, 1024)
	for i := range n {
		l := C.e5_attr_name(loc, C.int(i), (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		if l < 0 {
			return nil, errHDF5
		}
		names = append(names, string(buf[:min(int(l), len(buf)-1)]))
	}
	return names, nil
}

func attrExists(loc hid, name string) bool {
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	defer lib.Unlock()
	return C.e5_attr_exists(loc, cn) > 0
}

// linkExists reports whether path (relative to loc, components separated
// by '/') exists, checking each component so that a missing parent is
// "false", not an error.
func linkExists(loc hid, path string) bool {
	p := strings.Trim(path, "/")
	if p == "" {
		return true
	}
	parts := strings.Split(p, "/")
	prefix := ""
	if strings.HasPrefix(path, "/") {
		prefix = "/"
	}
	lib.Lock()
	defer lib.Unlock()
	for i := range parts {
		cn, free := cstr(prefix + strings.Join(parts[:i+1], "/"))
		ok := C.e5_link_exists(loc, cn) > 0
		free()
		if !ok {
			return false
		}
	}
	return true
}

func moveLink(loc hid, src, dst string) error {
	cs, f1 := cstr(src)
	defer f1()
	cd, f2 := cstr(dst)
	defer f2()
	lib.Lock()
	defer lib.Unlock()
	if C.e5_move(loc, cs, cd) < 0 {
		return fmt.Errorf("could not rename %q to %q: %w", src, dst, errHDF5)
	}
	return nil
}

func deleteLink(loc hid, name string) error {
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	defer lib.Unlock()
	if C.e5_delete(loc, cn) < 0 {
		return fmt.Errorf("could not delete %q: %w", name, errHDF5)
	}
	return nil
}

// layoutInfo returns the chunk shape (nil if not chunked) and a filter
// description of a dataset.
func layoutInfo(ds hid, rank int) ([]int, string) {
	var chunk [8]C.hsize_t
	var fb [256]C.char
	lib.Lock()
	layout := C.e5_layout(ds, 8, &chunk[0], &fb[0], C.size_t(len(fb)))
	lib.Unlock()
	var ch []int
	if layout == C.H5D_CHUNKED {
		for i := 0; i < rank && i < 8; i++ {
			ch = append(ch, int(chunk[i]))
		}
	}
	if layout == C.H5D_VIRTUAL && attrExists(ds, AttrPartChunk) {
		// The merge of a partitioned run (merge.go) keeps the chunk shape
		// of its parts, the natural tile for streaming it.
		if v, err := readFloats(ds, AttrPartChunk, true); err == nil && len(v) == rank {
			for _, x := range v {
				ch = append(ch, int(x))
			}
		}
	}
	return ch, C.GoString(&fb[0])
}

func missingFilter(ds hid) int {
	lib.Lock()
	defer lib.Unlock()
	return int(C.e5_missing_filter(ds))
}

type child struct {
	name    string
	isGroup bool
	isData  bool
}

func children(loc hid) ([]child, error) {
	var buf *C.char
	var blen C.size_t
	var types *C.int
	lib.Lock()
	n := int(C.e5_children(loc, &buf, &blen, &types))
	lib.Unlock()
	if n < 0 {
		return nil, errHDF5
	}
	defer C.free(unsafe.Pointer(buf))
	defer C.free(unsafe.Pointer(types))
	names := strings.Split(strings.TrimSuffix(C.GoStringN(buf, C.int(blen)), "\x00"), "\x00")
	ts := unsafe.Slice(types, max(n, 1))
	out := make([]child, 0, n)
	for i := 0; i < n && i < len(names); i++ {
		out = append(out, child{name: names[i], isGroup: ts[i] == C.H5O_TYPE_GROUP, isData: ts[i] == C.H5O_TYPE_DATASET})
	}
	return out, nil
}

// createChunked creates (and closes) a chunked numeric dataset with file
// type code (tF32, tF64, tI8 or tI32), gzip level 0 for none (with
// shuffle otherwise).
func createChunked(loc hid, name string, code codeT, dims, chunk []uint64, gzip int) error {
	cn, free := cstr(name)
	defer free()
	lib.Lock()
	defer lib.Unlock()
	if C.e5_create_chunked(loc, cn, code, C.int(len(dims)),
		(*C.hsize_t)(unsafe.Pointer(unsafe.SliceData(dims))), (*C.hsize_t)(unsafe.Pointer(unsafe.SliceData(chunk))), C.int(gzip)) < 0 {
		return errHDF5
	}
	return nil
}

// withObject opens the object (group or dataset) at path relative to loc
// for the duration of fn.
func withObject(loc hid, path string, fn func(o hid) error) error {
	cn, free := cstr(path)
	defer free()
	lib.Lock()
	o := C.e5_oopen(loc, cn)
	lib.Unlock()
	if o < 0 {
		return fmt.Errorf("could not open %q: %w", path, errHDF5)
	}
	defer func() {
		lib.Lock()
		C.e5_oclose(o)
		lib.Unlock()
	}()
	return fn(o)
}

func h5flush(id hid) error {
	if C.H5Fflush(id, C.H5F_SCOPE_GLOBAL) < 0 {
		return errHDF5
	}
	return nil
}
