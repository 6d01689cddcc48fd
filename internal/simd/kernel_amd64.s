//go:build !noasm && !gccgo

#include "textflag.h"

// func kernel2x4(n int, w, x0, x1, c0, c1, c2, c3 *float64, acc *[32]float64)
//
// Y0-Y3: lane sums of w x0 c0..c3; Y4-Y7: of w x1 c0..c3, continued from
// the values in acc (zero for a fresh sum; a sum over rows taken in
// chunks, with acc carried from one chunk to the next, adds the same
// terms in the same order as one call over all of them). Per four rows:
// w, x0, x1 and each c loaded once, two multiplications, eight FMAs.
TEXT ·kernel2x4(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ x0+16(FP), R8
	MOVQ x1+24(FP), R9
	MOVQ c0+32(FP), R10
	MOVQ c1+40(FP), R11
	MOVQ c2+48(FP), R12
	MOVQ c3+56(FP), R13
	MOVQ acc+64(FP), DI
	SHLQ $3, CX
	XORQ AX, AX
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7

loop2x4:
	VMOVUPD (SI)(AX*1), Y8
	VMULPD  (R8)(AX*1), Y8, Y9
	VMULPD  (R9)(AX*1), Y8, Y10
	VMOVUPD (R10)(AX*1), Y11
	VFMADD231PD Y11, Y9, Y0
	VFMADD231PD Y11, Y10, Y4
	VMOVUPD (R11)(AX*1), Y12
	VFMADD231PD Y12, Y9, Y1
	VFMADD231PD Y12, Y10, Y5
	VMOVUPD (R12)(AX*1), Y11
	VFMADD231PD Y11, Y9, Y2
	VFMADD231PD Y11, Y10, Y6
	VMOVUPD (R13)(AX*1), Y12
	VFMADD231PD Y12, Y9, Y3
	VFMADD231PD Y12, Y10, Y7
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loop2x4

	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VZEROUPPER
	RET

// func kernel1x4(n int, w, x, c0, c1, c2, c3 *float64, acc *[16]float64)
TEXT ·kernel1x4(SB), NOSPLIT, $0-64
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ x+16(FP), R8
	MOVQ c0+24(FP), R10
	MOVQ c1+32(FP), R11
	MOVQ c2+40(FP), R12
	MOVQ c3+48(FP), R13
	MOVQ acc+56(FP), DI
	SHLQ $3, CX
	XORQ AX, AX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

loop1x4:
	VMOVUPD (SI)(AX*1), Y8
	VMULPD  (R8)(AX*1), Y8, Y9
	VFMADD231PD (R10)(AX*1), Y9, Y0
	VFMADD231PD (R11)(AX*1), Y9, Y1
	VFMADD231PD (R12)(AX*1), Y9, Y2
	VFMADD231PD (R13)(AX*1), Y9, Y3
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loop1x4

	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET

// func kernelDot(n int, w, x, y *float64, acc *[4]float64)
//
// Blocks of 16 rows into Y0-Y3 (four independent chains), the remaining
// blocks of four rows into Y0; then acc = (Y0 + Y1) + (Y2 + Y3).
TEXT ·kernelDot(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ x+16(FP), R8
	MOVQ y+24(FP), R9
	MOVQ acc+32(FP), DI
	SHLQ $3, CX
	XORQ AX, AX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ CX, DX
	SUBQ $96, DX // last start of a 16-row block: n*8 - 128, plus 32

loop16:
	CMPQ AX, DX
	JGE  tail4
	VMOVUPD (R8)(AX*1), Y4
	VMULPD  (SI)(AX*1), Y4, Y4
	VFMADD231PD (R9)(AX*1), Y4, Y0
	VMOVUPD 32(R8)(AX*1), Y5
	VMULPD  32(SI)(AX*1), Y5, Y5
	VFMADD231PD 32(R9)(AX*1), Y5, Y1
	VMOVUPD 64(R8)(AX*1), Y6
	VMULPD  64(SI)(AX*1), Y6, Y6
	VFMADD231PD 64(R9)(AX*1), Y6, Y2
	VMOVUPD 96(R8)(AX*1), Y7
	VMULPD  96(SI)(AX*1), Y7, Y7
	VFMADD231PD 96(R9)(AX*1), Y7, Y3
	ADDQ $128, AX
	JMP  loop16

tail4:
	CMPQ AX, CX
	JGE  doneDot
	VMOVUPD (R8)(AX*1), Y4
	VMULPD  (SI)(AX*1), Y4, Y4
	VFMADD231PD (R9)(AX*1), Y4, Y0
	ADDQ $32, AX
	JMP  tail4

doneDot:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VADDPD Y2, Y0, Y0
	VMOVUPD Y0, (DI)
	VZEROUPPER
	RET

// func kernelAxpy(n int, alpha float64, x, y *float64)
//
// y_i += alpha x_i over the first n rows (n a positive multiple of 8): a
// rounded product, then a rounded sum (no fused multiply-add), the same
// two operations as the Go loop, eight rows a step.
TEXT ·kernelAxpy(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSD alpha+8(FP), Y0
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), DI
	SHLQ $3, CX
	XORQ AX, AX

loopAxpy:
	VMULPD  (SI)(AX*1), Y0, Y1
	VMULPD  32(SI)(AX*1), Y0, Y2
	VADDPD  (DI)(AX*1), Y1, Y1
	VADDPD  32(DI)(AX*1), Y2, Y2
	VMOVUPD Y1, (DI)(AX*1)
	VMOVUPD Y2, 32(DI)(AX*1)
	ADDQ $64, AX
	CMPQ AX, CX
	JLT  loopAxpy
	VZEROUPPER
	RET

// func kernelWeights(n int, y, sw, w *float64) (bad int)
//
// For the first n rows (a positive multiple of 4): m = max(y_i, 1),
// sw_i = sqrt(1/m), w_i = sw_i^2, each operation correctly rounded as
// the Go loop's. bad is non-zero when some y_i is NaN or infinite (then
// the outputs are not to be used): y - y is then NaN, and the unordered
// compare flags it.
TEXT ·kernelWeights(SB), NOSPLIT, $0-40
	MOVQ n+0(FP), CX
	MOVQ y+8(FP), SI
	MOVQ sw+16(FP), R8
	MOVQ w+24(FP), R9
	SHLQ $3, CX
	XORQ AX, AX
	MOVQ $0x3ff0000000000000, DX
	MOVQ DX, X0
	VBROADCASTSD X0, Y0
	VXORPD Y5, Y5, Y5

loopWeights:
	VMOVUPD (SI)(AX*1), Y1
	VSUBPD  Y1, Y1, Y2
	VCMPPD  $3, Y2, Y2, Y3
	VORPD   Y3, Y5, Y5
	VMAXPD  Y0, Y1, Y1
	VDIVPD  Y1, Y0, Y1
	VSQRTPD Y1, Y1
	VMULPD  Y1, Y1, Y4
	VMOVUPD Y1, (R8)(AX*1)
	VMOVUPD Y4, (R9)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loopWeights
	VMOVMSKPD Y5, AX
	MOVQ AX, bad+32(FP)
	VZEROUPPER
	RET

// func kernelMulComplex(n int, a, b, dst *complex128)
//
// dst_k = a_k b_k for the first n values (n a positive multiple of 2),
// as Go multiplies complex128: real ar br - ai bi, imaginary ar bi +
// ai br, each product rounded, then the sum (VADDSUBPD: no fused
// multiply-add). Two values a step.
TEXT ·kernelMulComplex(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ dst+24(FP), DI
	SHLQ $4, CX
	XORQ AX, AX

loopMulComplex:
	VMOVUPD   (SI)(AX*1), Y0
	VMOVUPD   (DX)(AX*1), Y1
	VMOVDDUP  Y1, Y2
	VPERMILPD $0xf, Y1, Y3
	VPERMILPD $0x5, Y0, Y4
	VMULPD    Y2, Y0, Y2
	VMULPD    Y3, Y4, Y3
	VADDSUBPD Y3, Y2, Y2
	VMOVUPD   Y2, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loopMulComplex
	VZEROUPPER
	RET

// func kernelReciprocals(n int, x, dst *float64) (bad int)
//
// dst_i = 1/x_i for the first n values (a positive multiple of 4),
// correctly rounded; bad is non-zero when some x_i is not a positive
// finite number (x_i > 0 fails for NaN, zero and negatives; x_i < +Inf
// fails for +Inf).
TEXT ·kernelReciprocals(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ dst+16(FP), DI
	SHLQ $3, CX
	XORQ AX, AX
	MOVQ $0x3ff0000000000000, DX
	MOVQ DX, X0
	VBROADCASTSD X0, Y0
	MOVQ $0x7ff0000000000000, DX
	MOVQ DX, X6
	VBROADCASTSD X6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y5, Y5, Y5

loopReciprocals:
	VMOVUPD (SI)(AX*1), Y1
	VCMPPD  $0x1e, Y7, Y1, Y2
	VCMPPD  $0x11, Y6, Y1, Y3
	VANDPD  Y3, Y2, Y2
	VCMPPD  $0, Y7, Y2, Y2
	VORPD   Y2, Y5, Y5
	VDIVPD  Y1, Y0, Y1
	VMOVUPD Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loopReciprocals
	VMOVMSKPD Y5, AX
	MOVQ AX, bad+24(FP)
	VZEROUPPER
	RET

// func kernelDivide(n int, s float64, x, dst *float64)
//
// dst_i = x_i / s for the first n values (a positive multiple of 4),
// correctly rounded.
TEXT ·kernelDivide(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSD s+8(FP), Y0
	MOVQ x+16(FP), SI
	MOVQ dst+24(FP), DI
	SHLQ $3, CX
	XORQ AX, AX

loopDivide:
	VMOVUPD (SI)(AX*1), Y1
	VDIVPD  Y0, Y1, Y1
	VMOVUPD Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loopDivide
	VZEROUPPER
	RET

// func kernelScale(n int, s float64, x, dst *float64)
//
// dst_i = x_i * s for the first n values (a positive multiple of 4),
// correctly rounded.
TEXT ·kernelScale(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	VBROADCASTSD s+8(FP), Y0
	MOVQ x+16(FP), SI
	MOVQ dst+24(FP), DI
	SHLQ $3, CX
	XORQ AX, AX

loopScale:
	VMULPD  (SI)(AX*1), Y0, Y1
	VMOVUPD Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loopScale
	VZEROUPPER
	RET

// func kernel3x4(n int, b0, b1, b2, c0, c1, c2, c3 *float64, acc *[48]float64)
//
// acc[4e:4e+4] (e = 4r + c) continues the four lane sums of
// b_r(i) c_c(i) over the first n rows (a positive multiple of 4), each
// product added in one fused operation: with b_r = w x_r rounded, the
// numbers of kernel2x4 for the same entries.
TEXT ·kernel3x4(SB), NOSPLIT, $0-72
	MOVQ n+0(FP), CX
	MOVQ b0+8(FP), SI
	MOVQ b1+16(FP), R8
	MOVQ b2+24(FP), R9
	MOVQ c0+32(FP), R10
	MOVQ c1+40(FP), R11
	MOVQ c2+48(FP), R12
	MOVQ c3+56(FP), R13
	MOVQ acc+64(FP), DI
	SHLQ $3, CX
	XORQ AX, AX
	VMOVUPD 0(DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7
	VMOVUPD 256(DI), Y8
	VMOVUPD 288(DI), Y9
	VMOVUPD 320(DI), Y10
	VMOVUPD 352(DI), Y11

loop3x4:
	VMOVUPD (SI)(AX*1), Y12
	VMOVUPD (R8)(AX*1), Y13
	VMOVUPD (R9)(AX*1), Y14
	VMOVUPD (R10)(AX*1), Y15
	VFMADD231PD Y15, Y12, Y0
	VFMADD231PD Y15, Y13, Y4
	VFMADD231PD Y15, Y14, Y8
	VMOVUPD (R11)(AX*1), Y15
	VFMADD231PD Y15, Y12, Y1
	VFMADD231PD Y15, Y13, Y5
	VFMADD231PD Y15, Y14, Y9
	VMOVUPD (R12)(AX*1), Y15
	VFMADD231PD Y15, Y12, Y2
	VFMADD231PD Y15, Y13, Y6
	VFMADD231PD Y15, Y14, Y10
	VMOVUPD (R13)(AX*1), Y15
	VFMADD231PD Y15, Y12, Y3
	VFMADD231PD Y15, Y13, Y7
	VFMADD231PD Y15, Y14, Y11
	ADDQ $32, AX
	CMPQ AX, CX
	JLT  loop3x4

	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VMOVUPD Y8, 256(DI)
	VMOVUPD Y9, 288(DI)
	VMOVUPD Y10, 320(DI)
	VMOVUPD Y11, 352(DI)
	VZEROUPPER
	RET
