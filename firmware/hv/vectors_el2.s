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
	// Current EL with SP_EL2: the hypervisor itself
	PCALIGN	$128
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
