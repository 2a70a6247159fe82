//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"
#include "sysreg_el2.h"

// cpuinit is the image's first instruction on the boot core, entered at EL2
// with the MMU off (QEMU -kernel, U-Boot bootelf). It keeps EL2, sets up the
// stack at the top of slot 0's window and starts the Go runtime, whose
// Hwinit0 then builds every core's tables and turns the MMU on.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	MRS	CurrentEL, R0
	LSR	$2, R0, R0
	AND	$3, R0, R0
	CMP	$2, R0
	BNE	wrongEL

	EL2_SETUP

	MOVD	$const_stackTop, R0
	MOVD	R0, RSP
	B	_rt0_tamago_start(SB)

wrongEL:
	// Not at EL2: nothing Tamavisor can do safely. Stay parked.
	WFE
	B	wrongEL

// secondaryEntry is where PSCI CPU_ON starts a secondary core: EL2, MMU
// off, x0 = context ID = the core index. Its boot parameters, written by the
// boot core, give the tables that map the core's private slot; with those
// on, the same virtual addresses as the boot core's hold this core's own
// data, and the Go runtime starts afresh there.
TEXT ·secondaryEntry(SB),NOSPLIT|NOFRAME,$0
	MOVD	R0, R9

	EL2_SETUP

	MOVD	$const_sharedBase, R1
	MOVD	$BootParams__size, R2
	MUL	R9, R2, R2
	ADD	R2, R1, R1

	MOVD	BootParams_MAIR(R1), R0
	MSR_MAIR_EL2_X0
	MOVD	BootParams_TCR(R1), R0
	MSR_TCR_EL2_X0
	MOVD	BootParams_TTBR0(R1), R0
	MSR_TTBR0_EL2_X0
	ISB	$15
	TLBI_ALLE2
	DSB	$15
	ISB	$15
	MOVD	BootParams_SCTLR(R1), R0
	MSR_SCTLR_EL2_X0
	ISB	$15

	MOVD	BootParams_StackTop(R1), R0
	MOVD	R0, RSP
	B	_rt0_tamago_start(SB)

// func secondaryEntryAddress() uint64
TEXT ·secondaryEntryAddress(SB),NOSPLIT,$0-8
	MOVD	$·secondaryEntry(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// func enableMMU(ttbr0, tcr, mair, sctlr uint64)
TEXT ·enableMMU(SB),NOSPLIT,$0-32
	MOVD	mair+16(FP), R0
	MSR_MAIR_EL2_X0
	MOVD	tcr+8(FP), R0
	MSR_TCR_EL2_X0
	MOVD	ttbr0+0(FP), R0
	MSR_TTBR0_EL2_X0
	ISB	$15
	TLBI_ALLE2
	DSB	$15
	ISB	$15
	MOVD	sctlr+24(FP), R0
	MSR_SCTLR_EL2_X0
	ISB	$15
	RET

// func switchTables(ttbr0 uint64)
// Moves this core to other tables with the same MAIR/TCR; every address the
// code runs at is mapped the same way in both.
TEXT ·switchTables(SB),NOSPLIT,$0-8
	DSB	$15
	MOVD	ttbr0+0(FP), R0
	MSR_TTBR0_EL2_X0
	ISB	$15
	TLBI_ALLE2
	DSB	$15
	ISB	$15
	RET

// func cleanDcache(addr, size uint64)
// Cleans data cache lines to the point of coherency, for memory another
// core reads with its MMU (and so its caches) still off.
TEXT ·cleanDcache(SB),NOSPLIT,$0-16
	MOVD	addr+0(FP), R0
	MOVD	size+8(FP), R2
	ADD	R0, R2, R2		// end
	MRS_CTR_EL0_X1
	UBFX	$16, R1, $4, R1		// DminLine: log2 of the line in words
	MOVD	$4, R3
	LSL	R1, R3, R3		// line size in bytes
	SUB	$1, R3, R4
	BIC	R4, R0, R0		// align down to a line
clean:
	CMP	R2, R0
	BHS	cleaned
	DC_CVAC_X0
	ADD	R3, R0, R0
	B	clean
cleaned:
	DSB	$15
	RET

// func mmuEnabled() bool
TEXT ·mmuEnabled(SB),NOSPLIT,$0-1
	MRS_SCTLR_EL2_X0
	AND	$1, R0, R0
	MOVB	R0, ret+0(FP)
	RET

// func imageBounds() (text, etext, noptrdata, edata, end uint64)
TEXT ·imageBounds(SB),NOSPLIT,$0-40
	MOVD	$runtime·text(SB), R0
	MOVD	R0, text+0(FP)
	MOVD	$runtime·etext(SB), R0
	MOVD	R0, etext+8(FP)
	MOVD	$runtime·noptrdata(SB), R0
	MOVD	R0, noptrdata+16(FP)
	MOVD	$runtime·edata(SB), R0
	MOVD	R0, edata+24(FP)
	MOVD	$runtime·end(SB), R0
	MOVD	R0, end+32(FP)
	RET

// func copyWords(dst, src, size uint64)
// Plain 8-byte loads and stores: safe with the MMU off (device memory),
// where the runtime's memmove may use accesses that fault.
TEXT ·copyWords(SB),NOSPLIT,$0-24
	MOVD	dst+0(FP), R0
	MOVD	src+8(FP), R1
	MOVD	size+16(FP), R2
copy:
	CBZ	R2, copied
	MOVD.P	8(R1), R3
	MOVD.P	R3, 8(R0)
	SUB	$8, R2, R2
	B	copy
copied:
	RET

// func zeroWords(dst, size uint64)
// Plain 8-byte stores; memclr would use DC ZVA, which faults on device memory.
TEXT ·zeroWords(SB),NOSPLIT,$0-16
	MOVD	dst+0(FP), R0
	MOVD	size+8(FP), R2
zero:
	CBZ	R2, zeroed
	MOVD.P	ZR, 8(R0)
	SUB	$8, R2, R2
	B	zero
zeroed:
	RET

// func readMPIDR() uint64
TEXT ·readMPIDR(SB),NOSPLIT,$0-8
	MRS	MPIDR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

// func readCounter() uint64
TEXT ·readCounter(SB),NOSPLIT,$0-8
	ISB	$15
	MRS	CNTPCT_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

// func readCounterFrequency() uint64
TEXT ·readCounterFrequency(SB),NOSPLIT,$0-8
	MRS	CNTFRQ_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

// func translate(va uint64) (par uint64)
// AT S1E2R: the PA this core's stage-1 tables give va, in PAR_EL1 format.
TEXT ·translate(SB),NOSPLIT,$0-16
	MOVD	va+0(FP), R0
	AT_S1E2R_X0
	ISB	$15
	MRS_PAR_EL1_X0
	MOVD	R0, par+8(FP)
	RET

// func smc(fn, a1, a2, a3 uint64) uint64
// SMC Calling Convention (DEN 0028): function ID in x0, arguments in
// x1..x3, result in x0.
TEXT ·smc(SB),NOSPLIT,$0-40
	MOVD	fn+0(FP), R0
	MOVD	a1+8(FP), R1
	MOVD	a2+16(FP), R2
	MOVD	a3+24(FP), R3
	SMC_0
	MOVD	R0, ret+32(FP)
	RET

// func waitForEvent()
TEXT ·waitForEvent(SB),NOSPLIT,$0
	WFE
	RET

// func waitForInterrupt()
// WFI: returns once an interrupt is pending, masked or not.
TEXT ·waitForInterrupt(SB),NOSPLIT,$0
	DSB	$15
	WFI
	RET

// func sendEvent()
TEXT ·sendEvent(SB),NOSPLIT,$0
	DSB	$15
	SEV
	RET

// func haltForever()
// The safe state: every interrupt masked, the core waits for nothing.
TEXT ·haltForever(SB),NOSPLIT|NOFRAME,$0
	MSR	$15, DAIFSet
halt:
	WFI
	B	halt
