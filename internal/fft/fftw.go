//go:build cgo && fftw

package fft

/*
#cgo pkg-config: fftw3
#include <fftw3.h>
#include <string.h>

typedef struct {
	int n;
	double *in;          // n reals
	fftw_complex *out;   // n/2+1 coefficients
	fftw_plan fwd, inv;
} eelsh5_fftw;

static eelsh5_fftw *eelsh5_fftw_new(int n) {
	eelsh5_fftw *p = fftw_malloc(sizeof(eelsh5_fftw));
	if (!p) return NULL;
	p->n = n;
	p->in = fftw_malloc(sizeof(double) * n);
	p->out = fftw_malloc(sizeof(fftw_complex) * (n / 2 + 1));
	if (!p->in || !p->out) return NULL;
	p->fwd = fftw_plan_dft_r2c_1d(n, p->in, p->out, FFTW_ESTIMATE);
	p->inv = fftw_plan_dft_c2r_1d(n, p->out, p->in, FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
	if (!p->fwd || !p->inv) return NULL;
	return p;
}

static void eelsh5_fftw_forward(eelsh5_fftw *p, const double *x, double *dst) {
	memcpy(p->in, x, sizeof(double) * p->n);
	fftw_execute(p->fwd);
	memcpy(dst, p->out, sizeof(fftw_complex) * (p->n / 2 + 1));
}

static void eelsh5_fftw_inverse(eelsh5_fftw *p, const double *coeff, double *dst) {
	memcpy(p->out, coeff, sizeof(fftw_complex) * (p->n / 2 + 1));
	fftw_execute(p->inv);
	double s = 1.0 / p->n;
	for (int i = 0; i < p->n; i++) dst[i] = p->in[i] * s;
}

// The inverse of the coefficients already in the plan's input (written
// there by Go); the unscaled result is left in p->in.
static void eelsh5_fftw_execute_inverse(eelsh5_fftw *p) {
	fftw_execute(p->inv);
}

static void eelsh5_fftw_free(eelsh5_fftw *p) {
	fftw_destroy_plan(p->fwd);
	fftw_destroy_plan(p->inv);
	fftw_free(p->in);
	fftw_free(p->out);
	fftw_free(p);
}
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/eelsh5/eelsh5/internal/simd"
)

// FFTW is linked (build tag fftw): real transforms run on FFTW 3 (Frigo
// and Johnson, Proc. IEEE 93, 2005), planned once per transform with
// FFTW_ESTIMATE. FFTW_MEASURE would choose the algorithm by timing, which
// can differ between runs and so change results in the last bits; a
// resumed run must equal an uninterrupted one, and ESTIMATE is as fast
// here for 4096 points. The pure-Go code remains for builds without the
// tag.
const fftwLinked = true

// plannerMu serialises FFTW's planner, which is not thread safe;
// fftw_execute of distinct plans is.
var plannerMu sync.Mutex

type fftwPlan struct {
	p *C.eelsh5_fftw
}

func newFFTW(n int) *fftwPlan {
	plannerMu.Lock()
	p := C.eelsh5_fftw_new(C.int(n))
	plannerMu.Unlock()
	if p == nil {
		return nil
	}
	f := &fftwPlan{p}
	runtime.AddCleanup(f, func(p *C.eelsh5_fftw) {
		plannerMu.Lock()
		C.eelsh5_fftw_free(p)
		plannerMu.Unlock()
	}, p)
	return f
}

func (f *fftwPlan) forward(dst []complex128, x []float64) {
	C.eelsh5_fftw_forward(f.p, (*C.double)(unsafe.Pointer(&x[0])), (*C.double)(unsafe.Pointer(&dst[0])))
}

func (f *fftwPlan) inverse(dst []float64, coeff []complex128) {
	C.eelsh5_fftw_inverse(f.p, (*C.double)(unsafe.Pointer(&coeff[0])), (*C.double)(unsafe.Pointer(&dst[0])))
}

// inverseProduct multiplies a and b in Go (simd.MulComplex, so that the
// product rounds as Go's complex multiplication whatever flags compile
// the C code) straight into FFTW's input array, runs the inverse, and
// scales the first len(dst) samples by 1/n from FFTW's array into dst
// (simd.Scale by 1/n: n is a power of two, so x*(1/n) is exactly x/n).
func (f *fftwPlan) inverseProduct(dst []float64, a, b []complex128) {
	n := int(f.p.n)
	out := unsafe.Slice((*complex128)(unsafe.Pointer(f.p.out)), n/2+1)
	simd.MulComplex(out, a[:len(out)], b)
	C.eelsh5_fftw_execute_inverse(f.p)
	in := unsafe.Slice((*float64)(unsafe.Pointer(f.p.in)), n)
	// n is a power of two: times 1/n is exact, the same numbers as the
	// division by n, and a multiplication is several times cheaper.
	simd.Scale(dst, in[:len(dst)], 1/float64(n))
}
