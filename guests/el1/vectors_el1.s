//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"

// Each vector stashes x0 in TPIDR_EL1 (which this runtime leaves unused),
// points x0 at the exception frame, saves x1, x2 and its own offset, and
// joins the common path. 0x80 bytes per vector (DDI 0487 D1.10.2,
// Table D1-7).
#define VECTOR(off) \
	MSR	R0, TPIDR_EL1			\
	MOVD	$·exceptionFrame(SB), R0	\
	STP	(R1, R2), (Frame_X+8)(R0)	\
	MOVD	$off, R1			\
	MOVD	R1, Frame_Vector(R0)		\
	B	·exceptionEntry(SB)

// The table must be 2 KiB aligned (VBAR_EL1[10:0] are RES0); PCALIGN raises
// the function's alignment to that, and each entry to its 0x80-byte slot.
TEXT ·vectors(SB),NOSPLIT|NOFRAME,$0
	PCALIGN	$2048
	// Current EL with SP_EL0
	PCALIGN	$128
	VECTOR(0x000)
	PCALIGN	$128
	VECTOR(0x080)
	PCALIGN	$128
	VECTOR(0x100)
	PCALIGN	$128
	VECTOR(0x180)
	// Current EL with SP_EL1: the program itself
	PCALIGN	$128
	VECTOR(0x200)
	PCALIGN	$128
	VECTOR(0x280)
	PCALIGN	$128
	VECTOR(0x300)
	PCALIGN	$128
	VECTOR(0x380)
	// Lower EL using AArch64: EL0, which el1 programs never enter
	PCALIGN	$128
	VECTOR(0x400)
	PCALIGN	$128
	VECTOR(0x480)
	PCALIGN	$128
	VECTOR(0x500)
	PCALIGN	$128
	VECTOR(0x580)
	// Lower EL using AArch32
	PCALIGN	$128
	VECTOR(0x600)
	PCALIGN	$128
	VECTOR(0x680)
	PCALIGN	$128
	VECTOR(0x700)
	PCALIGN	$128
	VECTOR(0x780)

// exceptionEntry saves the rest of the general registers, SP, the
// exception registers and the FP/SIMD state, moves to the exception stack
// at the top of the runtime's RAM, gives Go code a g whose stack guard is
// zero so no stack check can fire, and calls handleException. That returns
// only when a hook chose to resume: then everything is restored from the
// frame (ELR already advanced) and the program continues.
TEXT ·exceptionEntry(SB),NOSPLIT|NOFRAME,$0
	STP	(R3, R4), (Frame_X+24)(R0)
	STP	(R5, R6), (Frame_X+40)(R0)
	STP	(R7, R8), (Frame_X+56)(R0)
	STP	(R9, R10), (Frame_X+72)(R0)
	STP	(R11, R12), (Frame_X+88)(R0)
	STP	(R13, R14), (Frame_X+104)(R0)
	STP	(R15, R16), (Frame_X+120)(R0)
	STP	(R17, R18_PLATFORM), (Frame_X+136)(R0)
	STP	(R19, R20), (Frame_X+152)(R0)
	STP	(R21, R22), (Frame_X+168)(R0)
	STP	(R23, R24), (Frame_X+184)(R0)
	STP	(R25, R26), (Frame_X+200)(R0)
	STP	(R27, g), (Frame_X+216)(R0)
	STP	(R29, R30), (Frame_X+232)(R0)
	MRS	TPIDR_EL1, R1
	MOVD	R1, (Frame_X+0)(R0)
	MOVD	RSP, R1
	MOVD	R1, Frame_SP(R0)
	MRS	ELR_EL1, R1
	MOVD	R1, Frame_ELR(R0)
	MRS	SPSR_EL1, R1
	MOVD	R1, Frame_SPSR(R0)
	MRS	ESR_EL1, R1
	MOVD	R1, Frame_ESR(R0)
	MRS	FAR_EL1, R1
	MOVD	R1, Frame_FAR(R0)

	MOVD	$·exceptionFP(SB), R1
	FSTPQ	(F0, F1), 0(R1)
	FSTPQ	(F2, F3), 32(R1)
	FSTPQ	(F4, F5), 64(R1)
	FSTPQ	(F6, F7), 96(R1)
	FSTPQ	(F8, F9), 128(R1)
	FSTPQ	(F10, F11), 160(R1)
	FSTPQ	(F12, F13), 192(R1)
	FSTPQ	(F14, F15), 224(R1)
	FSTPQ	(F16, F17), 256(R1)
	FSTPQ	(F18, F19), 288(R1)
	FSTPQ	(F20, F21), 320(R1)
	FSTPQ	(F22, F23), 352(R1)
	FSTPQ	(F24, F25), 384(R1)
	FSTPQ	(F26, F27), 416(R1)
	FSTPQ	(F28, F29), 448(R1)
	FSTPQ	(F30, F31), 480(R1)
	MRS	FPCR, R2
	MOVD	R2, fpState_FPCR(R1)
	MRS	FPSR, R2
	MOVD	R2, fpState_FPSR(R1)

	// The exception stack: the top ExceptionStackSize bytes of the
	// runtime's RAM, 16-byte aligned.
	MOVD	runtime∕goos·RamStart(SB), R1
	MOVD	runtime∕goos·RamSize(SB), R2
	ADD	R2, R1, R1
	SUB	$16, R1, R1
	MOVD	R1, RSP
	MOVD	$·exceptionG(SB), g
	BL	·handleException(SB)

	MOVD	$·exceptionFP(SB), R1
	FLDPQ	0(R1), (F0, F1)
	FLDPQ	32(R1), (F2, F3)
	FLDPQ	64(R1), (F4, F5)
	FLDPQ	96(R1), (F6, F7)
	FLDPQ	128(R1), (F8, F9)
	FLDPQ	160(R1), (F10, F11)
	FLDPQ	192(R1), (F12, F13)
	FLDPQ	224(R1), (F14, F15)
	FLDPQ	256(R1), (F16, F17)
	FLDPQ	288(R1), (F18, F19)
	FLDPQ	320(R1), (F20, F21)
	FLDPQ	352(R1), (F22, F23)
	FLDPQ	384(R1), (F24, F25)
	FLDPQ	416(R1), (F26, F27)
	FLDPQ	448(R1), (F28, F29)
	FLDPQ	480(R1), (F30, F31)
	MOVD	fpState_FPCR(R1), R2
	MSR	R2, FPCR
	MOVD	fpState_FPSR(R1), R2
	MSR	R2, FPSR

	MOVD	$·exceptionFrame(SB), R0
	MOVD	Frame_ELR(R0), R1
	MSR	R1, ELR_EL1
	MOVD	Frame_SPSR(R0), R1
	MSR	R1, SPSR_EL1
	MOVD	Frame_SP(R0), R1
	MOVD	R1, RSP
	LDP	(Frame_X+16)(R0), (R2, R3)
	LDP	(Frame_X+32)(R0), (R4, R5)
	LDP	(Frame_X+48)(R0), (R6, R7)
	LDP	(Frame_X+64)(R0), (R8, R9)
	LDP	(Frame_X+80)(R0), (R10, R11)
	LDP	(Frame_X+96)(R0), (R12, R13)
	LDP	(Frame_X+112)(R0), (R14, R15)
	LDP	(Frame_X+128)(R0), (R16, R17)
	LDP	(Frame_X+144)(R0), (R18_PLATFORM, R19)
	LDP	(Frame_X+160)(R0), (R20, R21)
	LDP	(Frame_X+176)(R0), (R22, R23)
	LDP	(Frame_X+192)(R0), (R24, R25)
	LDP	(Frame_X+208)(R0), (R26, R27)
	LDP	(Frame_X+224)(R0), (g, R29)
	MOVD	(Frame_X+240)(R0), R30
	MOVD	(Frame_X+8)(R0), R1
	MOVD	(Frame_X+0)(R0), R0
	ERET
