//go:build tamago && arm64

#include "textflag.h"

// func breakpoint()
// BRK raises a Breakpoint Instruction exception, EC 0x3c, with ELR at the
// BRK itself (DDI 0487 C6.2 BRK).
TEXT ·breakpoint(SB),NOSPLIT,$0
	BRK	$0x4154
	RET

// func readEventCounter0() uint64
// MRS of PMEVCNTR0_EL0: Tamavisor traps the PMU and shows one with no
// event counters, so the guest takes an Undefined Instruction exception.
TEXT ·readEventCounter0(SB),NOSPLIT,$0-8
	WORD	$0xd53be800		// mrs x0, pmevcntr0_el0
	MOVD	R0, ret+0(FP)
	RET

// func hvcImmediate1(fn uint64) uint64
// An HVC whose immediate is 1: SMCCC calls use 0 (DEN 0028 2.5).
TEXT ·hvcImmediate1(SB),NOSPLIT,$0-16
	MOVD	fn+0(FP), R0
	HVC	$1
	MOVD	R0, ret+8(FP)
	RET

// parked is where the attacker asks PSCI CPU_ON to start another
// partition's core: should a hypervisor grant that, the core stops here,
// interrupts masked, instead of running anything of its own.
TEXT ·parked(SB),NOSPLIT|NOFRAME,$0
	MSR	$15, DAIFSet
park:
	WFI
	B	park

// func parkedAddress() uint64
TEXT ·parkedAddress(SB),NOSPLIT,$0-8
	MOVD	$·parked(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// func fpAcrossTraps(gicd, rounds uint64, regs *[64]uint64)
// Loads q0..q31 from *regs, then traps to the hypervisor rounds times
// each way: a PSCI_VERSION HVC, an ICC_SGI1R_EL1 write (an SGI to vCPU 1,
// which the partition lacks) and a read of the virtual GIC distributor's
// GICD_TYPER (gicd, mapped by the caller). No Go code runs in between.
// Then it stores q0..q31 back into *regs.
TEXT ·fpAcrossTraps(SB),NOSPLIT,$0-24
	MOVD	regs+16(FP), R9
	FLDPQ	0(R9), (F0, F1)
	FLDPQ	32(R9), (F2, F3)
	FLDPQ	64(R9), (F4, F5)
	FLDPQ	96(R9), (F6, F7)
	FLDPQ	128(R9), (F8, F9)
	FLDPQ	160(R9), (F10, F11)
	FLDPQ	192(R9), (F12, F13)
	FLDPQ	224(R9), (F14, F15)
	FLDPQ	256(R9), (F16, F17)
	FLDPQ	288(R9), (F18, F19)
	FLDPQ	320(R9), (F20, F21)
	FLDPQ	352(R9), (F22, F23)
	FLDPQ	384(R9), (F24, F25)
	FLDPQ	416(R9), (F26, F27)
	FLDPQ	448(R9), (F28, F29)
	FLDPQ	480(R9), (F30, F31)
	MOVD	gicd+0(FP), R7
	MOVD	rounds+8(FP), R8
trap:
	MOVD	$0x84000000, R0		// PSCI_VERSION
	HVC	$0
	MOVD	$2, R0			// ICC_SGI1R_EL1: INTID 0, Aff0 1
	WORD	$0xd518cba0		// msr icc_sgi1r_el1, x0 (S3_0_C12_C11_5)
	MOVWU	4(R7), R0		// GICD_TYPER
	SUBS	$1, R8
	BNE	trap

	FSTPQ	(F0, F1), 0(R9)
	FSTPQ	(F2, F3), 32(R9)
	FSTPQ	(F4, F5), 64(R9)
	FSTPQ	(F6, F7), 96(R9)
	FSTPQ	(F8, F9), 128(R9)
	FSTPQ	(F10, F11), 160(R9)
	FSTPQ	(F12, F13), 192(R9)
	FSTPQ	(F14, F15), 224(R9)
	FSTPQ	(F16, F17), 256(R9)
	FSTPQ	(F18, F19), 288(R9)
	FSTPQ	(F20, F21), 320(R9)
	FSTPQ	(F22, F23), 352(R9)
	FSTPQ	(F24, F25), 384(R9)
	FSTPQ	(F26, F27), 416(R9)
	FSTPQ	(F28, F29), 448(R9)
	FSTPQ	(F30, F31), 480(R9)
	RET

// func timerFires(spins uint64)
// Sets the virtual timer to fire at once (CVAL 0, enabled, unmasked)
// without enabling its interrupt anywhere, spins, and stops the timer.
// Under a hypervisor that deactivates the physical interrupt it cannot
// deliver, the level-triggered timer fires again before the next
// instruction, and the spin never ends.
TEXT ·timerFires(SB),NOSPLIT,$0-8
	MOVD	spins+0(FP), R1
	MSR	ZR, CNTV_CVAL_EL0
	MOVD	$1, R0
	MSR	R0, CNTV_CTL_EL0
	ISB	$15
spin:
	SUBS	$1, R1
	BNE	spin
	MSR	ZR, CNTV_CTL_EL0
	ISB	$15
	RET

// func pmuProbe() (pmcr, cycles uint64)
// Reads PMCR_EL0, then asks the PMU to count cycles at every Exception
// level, EL2 included (PMCCFILTR_EL0.NSH), enables the cycle counter,
// makes 100 hypervisor calls and reads the cycle counter.
TEXT ·pmuProbe(SB),NOSPLIT,$0-16
	WORD	$0xd53b9c00		// mrs x0, pmcr_el0
	MOVD	R0, pmcr+0(FP)
	MOVD	$0x08000000, R0		// PMCCFILTR_EL0.NSH: count at EL2
	WORD	$0xd51befe0		// msr pmccfiltr_el0, x0
	MOVD	$0x80000000, R0		// PMCNTENSET_EL0.C
	WORD	$0xd51b9c20		// msr pmcntenset_el0, x0
	MOVD	$5, R0			// PMCR_EL0.E, C (reset the cycle counter)
	WORD	$0xd51b9c00		// msr pmcr_el0, x0
	ISB	$15
	MOVD	$100, R19		// SMCCC calls may change x0-x17
calls:
	MOVD	$0x84000000, R0		// PSCI_VERSION
	HVC	$0
	SUBS	$1, R19
	BNE	calls
	WORD	$0xd53b9d00		// mrs x0, pmccntr_el0
	MOVD	R0, cycles+8(FP)
	RET

// func cacheGeometry(level uint64) (ccsidr uint64)
// Selects the data or unified cache of level (0 for L1) in CSSELR_EL1 and
// reads its CCSIDR_EL1.
TEXT ·cacheGeometry(SB),NOSPLIT,$0-16
	MOVD	level+0(FP), R0
	LSL	$1, R0
	WORD	$0xd51a0000		// msr csselr_el1, x0
	ISB	$15
	WORD	$0xd5390000		// mrs x0, ccsidr_el1
	MOVD	R0, ccsidr+8(FP)
	RET

// func cleanInvalidateSetWay(operand uint64)
TEXT ·cleanInvalidateSetWay(SB),NOSPLIT,$0-8
	MOVD	operand+0(FP), R0
	WORD	$0xd5087e40		// dc cisw, x0
	RET

// func debugRegister(v uint64) uint64
// Writes v to breakpoint value register 0 and reads it back.
TEXT ·debugRegister(SB),NOSPLIT,$0-16
	MOVD	v+0(FP), R0
	WORD	$0xd5100080		// msr dbgbvr0_el1, x0
	ISB	$15
	MOVD	$0, R0
	WORD	$0xd5300080		// mrs x0, dbgbvr0_el1
	MOVD	R0, ret+8(FP)
	RET

// func enableGroup1()
// Turns on the GIC CPU interface's system registers and group 1
// interrupts at every priority. Interrupts stay masked in PSTATE: the
// attacker polls ICC_IAR1_EL1.
TEXT ·enableGroup1(SB),NOSPLIT,$0
	WORD	$0xd538cca0		// mrs x0, icc_sre_el1
	ORR	$1, R0
	WORD	$0xd518cca0		// msr icc_sre_el1, x0
	ISB	$15
	MOVD	$0xff, R0
	WORD	$0xd5184600		// msr icc_pmr_el1, x0
	MOVD	$1, R0
	WORD	$0xd518cce0		// msr icc_igrpen1_el1, x0
	ISB	$15
	RET

// func acknowledge() uint64
TEXT ·acknowledge(SB),NOSPLIT,$0-8
	WORD	$0xd538cc00		// mrs x0, icc_iar1_el1
	MOVD	R0, ret+0(FP)
	RET

// func endOfInterrupt(intid uint64)
TEXT ·endOfInterrupt(SB),NOSPLIT,$0-8
	MOVD	intid+0(FP), R0
	WORD	$0xd518cc20		// msr icc_eoir1_el1, x0
	ISB	$15
	RET

// func setPhysicalTimer(cval uint64)
// Arms the EL1 physical timer: its interrupt fires once CNTPCT_EL0
// reaches cval.
TEXT ·setPhysicalTimer(SB),NOSPLIT,$0-8
	MOVD	cval+0(FP), R0
	WORD	$0xd51be240		// msr cntp_cval_el0, x0
	MOVD	$1, R0			// ENABLE, not IMASK
	WORD	$0xd51be220		// msr cntp_ctl_el0, x0
	ISB	$15
	RET

// func stopPhysicalTimer()
TEXT ·stopPhysicalTimer(SB),NOSPLIT,$0
	MOVD	$0, R0
	WORD	$0xd51be220		// msr cntp_ctl_el0, x0
	ISB	$15
	RET

// func physicalCount() uint64
TEXT ·physicalCount(SB),NOSPLIT,$0-8
	ISB	$15
	WORD	$0xd53be020		// mrs x0, cntpct_el0
	MOVD	R0, ret+0(FP)
	RET
