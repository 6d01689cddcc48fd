// Package simd holds the weighted inner-product kernels of the fitters'
// normal equations (doc/algorithms.md 6.2 and 6.4): the weighted Gram
// matrix A^T W A of a column-major design together with A^T W y and
// y^T W y in one sweep over the rows (Gram), the weighted products
// A^T W x (MulTrans) and the weighted dot product x^T W y (Dot).
//
// On amd64 CPUs with AVX2 and FMA the inner loops run in Go assembly
// (four rows per instruction, fused multiply-add), chosen at run time
// with golang.org/x/sys/cpu; elsewhere, with the build tag noasm, or
// after SetAccelerated(false), they run the portable Go loops, as
// gonum's internal/asm does; those are the fitters' code from before the
// assembly, unchanged, and give the same numbers to the bit. The two
// paths differ only in the order and rounding of the summation (the
// assembly keeps four interleaved partial sums per entry and fuses each
// product with its addition), so their results agree to a few units of
// rounding of the sum of the terms' magnitudes.
//
// The kernels allocate nothing and start no goroutines; shape errors are
// programming errors and panic.
package simd
