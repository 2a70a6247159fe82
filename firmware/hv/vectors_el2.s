//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"
#include "sysreg_el2.h"

// Each vector stashes x0 in TPIDR_EL2 (unused otherwise), points x0 at this
// core's exception frame (a private global: same address on every core,
// different memory), saves x1, x2 and its own offset, and joins the common
// path. 0x80 bytes per vector (DDI 0487 D1.10.2, Table D1-7).
// Exceptions from a guest (lower EL) go to the run loop instead: same
// entry, guestFrame instead of exceptionFrame, guestExit instead of the
// report.
#define GUEST_VECTOR(off) \
	MSR_TPIDR_EL2_X0		\
	MOVD	$·guestFrame(SB), R0	\
	STP	(R1, R2), (Frame_X+8)(R0)	\
	MOVD	$off, R1		\
	MOVD	R1, Frame_Vector(R0)	\
	B	·guestExit(SB)

#define VECTOR(off) \
	MSR_TPIDR_EL2_X0		\
	MOVD	$·exceptionFrame(SB), R0	\
	STP	(R1, R2), (Frame_X+8)(R0)	\
	MOVD	$off, R1		\
	MOVD	R1, Frame_Vector(R0)	\
	B	·exceptionCommon(SB)

// The table must be 2 KiB aligned (VBAR_EL2[10:0] are RES0); PCALIGN raises
// the function's alignment to that.
// Each entry is aligned to its 0x80-byte slot with PCALIGN.
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
	// Current EL with SP_EL2: the hypervisor itself. A synchronous
	// exception there may be the first FP/SIMD access after a guest
	// exit (lazyFP); x0 waits in TPIDR_EL2 while the class is checked.
	PCALIGN	$128
	MSR_TPIDR_EL2_X0
	MRS_ESR_EL2_X0
	LSR	$26, R0, R0
	CMP	$0x07, R0		// EC 0x07: access to SIMD or floating point trapped by CPTR_EL2.TFP
	BNE	2(PC)
	B	·lazyFP(SB)
	MRS_TPIDR_EL2_X0
	VECTOR(0x200)
	PCALIGN	$128
	VECTOR(0x280)
	PCALIGN	$128
	VECTOR(0x300)
	PCALIGN	$128
	VECTOR(0x380)
	// Lower EL using AArch64: guests, to the run loop
	PCALIGN	$128
	GUEST_VECTOR(0x400)
	PCALIGN	$128
	GUEST_VECTOR(0x480)
	PCALIGN	$128
	GUEST_VECTOR(0x500)
	PCALIGN	$128
	GUEST_VECTOR(0x580)
	// Lower EL using AArch32
	PCALIGN	$128
	GUEST_VECTOR(0x600)
	PCALIGN	$128
	GUEST_VECTOR(0x680)
	PCALIGN	$128
	GUEST_VECTOR(0x700)
	PCALIGN	$128
	GUEST_VECTOR(0x780)

// exceptionCommon saves the rest of the state into the frame, moves to the
// exception stack at the top of this core's window (above every goroutine
// stack and the g0 stack), gives Go code a g whose stack guard is zero so no
// stack check can fire, and reports. It never returns to the faulting code.
TEXT ·exceptionCommon(SB),NOSPLIT|NOFRAME,$0
	SAVE_X3_TO_X30
	SAVE_EXCEPTION_STATE

	MOVD	$const_exceptionStackTop, R1
	MOVD	R1, RSP
	MOVD	$·exceptionG(SB), g
	BL	·handleException(SB)
	B	·haltForever(SB)

// lazyFP runs at the hypervisor's first FP/SIMD access after a guest exit
// (guestExit left the guest's registers in place and CPTR_EL2.TFP set,
// which traps EL2's accesses too): it lets FP/SIMD through again, saves
// the guest's registers into guestFP, puts FPCR as Go expects it, notes
// that guestFP holds the guest's state now, and returns to the access,
// which runs again. x0 waits in TPIDR_EL2; no other general register,
// nor the stack, is touched: F0 and F1 serve as scratch once saved.
TEXT ·lazyFP(SB),NOSPLIT|NOFRAME,$0
	MOVD	$CPTR_EL2_VALUE, R0
	MSR_CPTR_EL2_X0
	ISB	$15
	MOVD	$·guestFP(SB), R0
	FSTPQ	(F0, F1), 0(R0)
	FSTPQ	(F2, F3), 32(R0)
	FSTPQ	(F4, F5), 64(R0)
	FSTPQ	(F6, F7), 96(R0)
	FSTPQ	(F8, F9), 128(R0)
	FSTPQ	(F10, F11), 160(R0)
	FSTPQ	(F12, F13), 192(R0)
	FSTPQ	(F14, F15), 224(R0)
	FSTPQ	(F16, F17), 256(R0)
	FSTPQ	(F18, F19), 288(R0)
	FSTPQ	(F20, F21), 320(R0)
	FSTPQ	(F22, F23), 352(R0)
	FSTPQ	(F24, F25), 384(R0)
	FSTPQ	(F26, F27), 416(R0)
	FSTPQ	(F28, F29), 448(R0)
	FSTPQ	(F30, F31), 480(R0)
	FMOVD	R0, F0
	MRS	FPCR, R0
	FMOVD	R0, F1
	FMOVD	F0, R0
	FMOVD	F1, fpState_FPCR(R0)
	MRS	FPSR, R0
	FMOVD	R0, F1
	FMOVD	F0, R0
	FMOVD	F1, fpState_FPSR(R0)
	MSR	ZR, FPCR		// Go's floating point as Go expects it, whatever mode the guest chose
	MOVD	$·guestFPLive(SB), R0
	MOVW	ZR, (R0)
	MRS_TPIDR_EL2_X0
	ERET
