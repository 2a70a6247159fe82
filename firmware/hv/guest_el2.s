//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"
#include "sysreg_el2.h"

// func runGuest()
// Enters the guest held in guestFrame (ELR, SPSR and x0..x30) and guestFP
// (q0..q31, FPCR, FPSR; or still in the registers, see guestFPLive) and
// returns when it traps, with its general registers saved back by
// guestExit and its FP/SIMD registers left for lazyFP.
// The hypervisor's own stack pointer, g, frame pointer and return address
// wait in hostContext meanwhile: they are all Go needs back (ABI0 treats
// every other register as clobbered by a call).
TEXT ·runGuest(SB),NOSPLIT|NOFRAME,$0
	MOVD	$·hostContext(SB), R0
	MOVD	RSP, R1
	MOVD	R1, 0(R0)
	MOVD	g, 8(R0)
	MOVD	R29, 16(R0)
	MOVD	R30, 24(R0)

	// FP/SIMD for the guest again, then its registers, unless they
	// never left them (guestFPLive: the hypervisor used none since).
	MOVD	$CPTR_EL2_VALUE, R0
	MSR_CPTR_EL2_X0
	ISB	$15
	MOVD	$·guestFPLive(SB), R0
	MOVWU	(R0), R1
	CBNZ	R1, fpInPlace
	MOVD	$·guestFP(SB), R0
	FLDPQ	0(R0), (F0, F1)
	FLDPQ	32(R0), (F2, F3)
	FLDPQ	64(R0), (F4, F5)
	FLDPQ	96(R0), (F6, F7)
	FLDPQ	128(R0), (F8, F9)
	FLDPQ	160(R0), (F10, F11)
	FLDPQ	192(R0), (F12, F13)
	FLDPQ	224(R0), (F14, F15)
	FLDPQ	256(R0), (F16, F17)
	FLDPQ	288(R0), (F18, F19)
	FLDPQ	320(R0), (F20, F21)
	FLDPQ	352(R0), (F22, F23)
	FLDPQ	384(R0), (F24, F25)
	FLDPQ	416(R0), (F26, F27)
	FLDPQ	448(R0), (F28, F29)
	FLDPQ	480(R0), (F30, F31)
	MOVD	fpState_FPCR(R0), R1
	MSR	R1, FPCR
	MOVD	fpState_FPSR(R0), R1
	MSR	R1, FPSR
	MOVD	$1, R1
	MOVD	$·guestFPLive(SB), R0
	MOVW	R1, (R0)

fpInPlace:
	MOVD	$·guestFrame(SB), R0
	MOVD	Frame_ELR(R0), R1
	MSR_ELR_EL2_X1
	MOVD	Frame_SPSR(R0), R1
	MSR_SPSR_EL2_X1
	LDP	(Frame_X+8)(R0), (R1, R2)
	LDP	(Frame_X+24)(R0), (R3, R4)
	LDP	(Frame_X+40)(R0), (R5, R6)
	LDP	(Frame_X+56)(R0), (R7, R8)
	LDP	(Frame_X+72)(R0), (R9, R10)
	LDP	(Frame_X+88)(R0), (R11, R12)
	LDP	(Frame_X+104)(R0), (R13, R14)
	LDP	(Frame_X+120)(R0), (R15, R16)
	LDP	(Frame_X+136)(R0), (R17, R18_PLATFORM)
	LDP	(Frame_X+152)(R0), (R19, R20)
	LDP	(Frame_X+168)(R0), (R21, R22)
	LDP	(Frame_X+184)(R0), (R23, R24)
	LDP	(Frame_X+200)(R0), (R25, R26)
	LDP	(Frame_X+216)(R0), (R27, g)
	LDP	(Frame_X+232)(R0), (R29, R30)
	MOVD	(Frame_X+0)(R0), R0
	ERET

// guestExit is where the lower-EL vectors continue (x0 = &guestFrame, the
// guest's x0 in TPIDR_EL2, x1 and x2 and the vector saved): it saves the
// rest of the guest and returns from runGuest.
TEXT ·guestExit(SB),NOSPLIT|NOFRAME,$0
	SAVE_X3_TO_X30
	SAVE_EXCEPTION_STATE
	MRS_HPFAR_EL2_X1
	MOVD	R1, Frame_HPFAR(R0)

	// The guest's FP/SIMD registers stay where they are (guestFPLive
	// says so, runGuest set it): the hypervisor's first FP/SIMD access
	// traps and lazyFP saves them, so an exit whose handling uses none
	// saves and loads none.
	MOVD	$CPTR_EL2_LAZY_FP, R0
	MSR_CPTR_EL2_X0
	ISB	$15
	MOVD	$·hostContext(SB), R0
	MOVD	0(R0), R1
	MOVD	R1, RSP
	MOVD	8(R0), g
	MOVD	16(R0), R29
	MOVD	24(R0), R30
	RET

// func setupGuest(hcr, vtcr, vttbr, vmpidr, cntvoff, mdcr uint64)
// Programs this core for its vCPU: traps, stage 2 and its identity, the
// timer access, the PMU quiet and trapped, and EL1 in its reset state;
// then drops stale stage-1 and stage-2 TLB entries of this VMID.
TEXT ·setupGuest(SB),NOSPLIT,$0-48
	MOVD	hcr+0(FP), R0
	MSR_HCR_EL2_X0
	MOVD	$0, R0			// ACTLR_EL2: EL1 may write no implementation-defined control (see HCRGuest)
	MSR_ACTLR_EL2_X0
	MOVD	vtcr+8(FP), R0
	MSR_VTCR_EL2_X0
	MOVD	vttbr+16(FP), R0
	MSR_VTTBR_EL2_X0
	MOVD	vmpidr+24(FP), R0
	MSR_VMPIDR_EL2_X0
	MRS_MIDR_EL1_X0
	MSR_VPIDR_EL2_X0
	MOVD	$3, R0			// CNTHCTL_EL2.EL1PCTEN, EL1PCEN: the physical counter and timer are the guest's (see HCRGuest)
	MSR_CNTHCTL_EL2_X0
	MOVD	cntvoff+32(FP), R0
	MSR_CNTVOFF_EL2_X0
	MSR	ZR, CNTV_CTL_EL0	// the virtual timer starts stopped, as at reset
	MSR	ZR, CNTP_CTL_EL0	// and so does the physical one
	MOVD	mdcr+40(FP), R0
	MSR_MDCR_EL2_X0
	MOVD	$0, R0			// no counter left counting or interrupting by earlier software
	MSR_PMCR_EL0_X0
	MSR_PMUSERENR_EL0_X0
	MOVD	$-1, R0
	MSR_PMCNTENCLR_EL0_X0
	MSR_PMINTENCLR_EL1_X0
	MOVD	$0, R0
	MSR_CPACR_EL1_X0
	MOVD	$0x30d00800, R0		// SCTLR_EL1 RES1 bits: MMU and caches off
	MSR_SCTLR_EL1_X0
	ISB	$15
	TLBI_VMALLS12E1IS
	DSB	$15
	ISB	$15
	RET

// func stopGuestTimer()
// Stops the virtual timer the guest left on this core: its interrupt
// line drops, and nothing of the guest's wakes the core.
TEXT ·stopGuestTimer(SB),NOSPLIT,$0
	MSR	ZR, CNTV_CTL_EL0
	MSR	ZR, CNTP_CTL_EL0
	ISB	$15
	RET

// func injectEL1(esr, far, elr, spsr uint64)
// Writes the EL1 exception state of an exception the guest is to take.
TEXT ·injectEL1(SB),NOSPLIT,$0-32
	MOVD	esr+0(FP), R0
	MSR_ESR_EL1_X0
	MOVD	far+8(FP), R0
	MSR_FAR_EL1_X0
	MOVD	elr+16(FP), R0
	MSR_ELR_EL1_X0
	MOVD	spsr+24(FP), R0
	MSR_SPSR_EL1_X0
	RET

// func readVBAREL1() uint64
TEXT ·readVBAREL1(SB),NOSPLIT,$0-8
	MRS_VBAR_EL1_X0
	MOVD	R0, ret+0(FP)
	RET

// func readPMCR() uint64
TEXT ·readPMCR(SB),NOSPLIT,$0-8
	MRS_PMCR_EL0_X0
	MOVD	R0, ret+0(FP)
	RET

// func cleanInvalidateSetWay(operand uint64)
// DC CISW with a guest's set/way operand, on this core's private level-1
// data cache: what a guest's DC ISW, CSW or CISW of that level asks,
// never discarding a dirty line (of the hypervisor's, on the same core).
TEXT ·cleanInvalidateSetWay(SB),NOSPLIT,$0-8
	MOVD	operand+0(FP), R0
	DC_CISW_X0
	DSB	$15
	RET

// func syncInstructions()
// After loading guest code: data to the point of unification was cleaned
// by cleanDcache; drop stale instructions.
TEXT ·syncInstructions(SB),NOSPLIT,$0
	DSB	$15
	IC_IALLU
	DSB	$15
	ISB	$15
	RET

// func setHypTimer(cval uint64)
// Arms the EL2 physical timer (DDI 0487 D11.2 CNTHP_CVAL_EL2,
// CNTHP_CTL_EL2): its interrupt, PPI 26, fires once the count reaches cval.
TEXT ·setHypTimer(SB),NOSPLIT,$0-8
	MOVD	cval+0(FP), R0
	MSR_CNTHP_CVAL_EL2_X0
	MOVD	$1, R0			// ENABLE, not IMASK
	MSR_CNTHP_CTL_EL2_X0
	ISB	$15
	RET

// func stopHypTimer()
TEXT ·stopHypTimer(SB),NOSPLIT,$0
	MOVD	$0, R0
	MSR_CNTHP_CTL_EL2_X0
	ISB	$15
	RET
