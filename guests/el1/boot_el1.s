//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"

// Go's assembler knows every EL1 system register and instruction used here
// and in vectors_el1.s (MSR and MRS of *_EL1, TLBI VMALLE1, DC IVAC, HVC,
// SMC, FSTPQ), so nothing needs a WORD encoding.

// cpuinit is the program's first instruction (the ELF entry, through the
// runtime's rt0), entered at EL1 with the MMU off and x0 = the address of
// the partition's device tree. It keeps x0, lets Go use FP/SIMD, puts
// SCTLR_EL1 in a known state, installs the vectors, and turns the MMU on
// with the boot identity map (mmu.BootMap, at BootMapPage) before any Go
// code runs: with the MMU off every data access is to Device memory, where
// the unaligned accesses, exclusives and DC ZVA of Go code fault (DDI 0487
// B2.5.2). Then it sets the stack below the exception stack and starts the
// Go runtime, whose Hwinit0 checks the exception level and moves to the
// guest's own tables.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	MOVD	$·bootArgument(SB), R1
	MOVD	R0, (R1)

	// Exceptions use SP_EL1, the stack the program runs on (D1.6.2).
	MSR	$1, SPSel
	MOVD	$const_cpacrEL1FPEN, R0
	MSR	R0, CPACR_EL1
	MOVD	$const_sctlrEL1Off, R0
	MSR	R0, SCTLR_EL1
	MOVD	$·vectors(SB), R0
	MSR	R0, VBAR_EL1
	ISB	$15

	// The boot map, with aligned 8-byte stores, in the RAM's first page;
	// invalidated before and after (the walk is cacheable).
	MOVD	runtime∕goos·RamStart(SB), R5
	MOVD	runtime∕goos·RamSize(SB), R6
	ADD	R5, R6, R6
	MOVD	R5, R0
	BL	invalidatePage<>(SB)
	MOVD	$const_bootBlockNormal, R7
	MOVD	$const_bootBlockDevice, R8
	MOVD	$0, R2
bootEntry:
	LSL	$const_bootBlockShift, R2, R3	// the block's PA = VA
	ADD	$const_bootBlockSize, R3, R4	// its end
	CMP	R5, R4
	BLS	bootDevice			// ends at or below RAM's start
	CMP	R6, R3
	BHS	bootDevice			// starts at or above RAM's end
	ORR	R7, R3, R3
	B	bootStore
bootDevice:
	ORR	R8, R3, R3
bootStore:
	MOVD	R3, (R5)(R2<<3)
	ADD	$1, R2, R2
	CMP	$const_bootTableEntries, R2
	BLT	bootEntry
	DSB	$15
	MOVD	R5, R0
	BL	invalidatePage<>(SB)

	MOVD	$const_bootMAIR, R0
	MSR	R0, MAIR_EL1
	MOVD	$const_bootTCR, R0
	MSR	R0, TCR_EL1
	MSR	R5, TTBR0_EL1
	ISB	$15
	TLBI	VMALLE1
	DSB	$15
	ISB	$15
	MOVD	$const_bootSCTLR, R0
	MSR	R0, SCTLR_EL1
	ISB	$15

	MOVD	runtime∕goos·RamStart(SB), R1
	MOVD	runtime∕goos·RamSize(SB), R2
	ADD	R2, R1, R1
	MOVD	runtime∕goos·RamStackOffset(SB), R2
	SUB	R2, R1, R1
	MOVD	R1, RSP
	B	_rt0_tamago_start(SB)

// invalidatePage<> invalidates the data cache lines of the page at R0 (DC
// IVAC by the smallest line size, CTR_EL0.DminLine). Uses R0-R4.
TEXT invalidatePage<>(SB),NOSPLIT|NOFRAME,$0
	ADD	$4096, R0, R2
	MRS	CTR_EL0, R1
	UBFX	$16, R1, $4, R1
	MOVD	$4, R3
	LSL	R1, R3, R3
invalidateLine:
	DC	IVAC, R0
	ADD	R3, R0, R0
	CMP	R2, R0
	BLO	invalidateLine
	DSB	$15
	RET

// func loadTables(ttbr0, tcr, mair, sctlr uint64)
// Moves from the boot map to the guest's own tables, which map the same
// addresses with other block sizes and attributes: break-before-make by
// turning the MMU off around the change (DDI 0487 D8.14). With M clear
// nothing is translated, these instructions are fetched from the same,
// identity-mapped addresses, and no data is accessed until M is set.
TEXT ·loadTables(SB),NOSPLIT,$0-32
	MOVD	ttbr0+0(FP), R1
	MOVD	tcr+8(FP), R2
	MOVD	mair+16(FP), R3
	MOVD	sctlr+24(FP), R4
	DSB	$15
	MRS	SCTLR_EL1, R0
	BIC	$1, R0, R0		// M
	MSR	R0, SCTLR_EL1
	ISB	$15
	MSR	R3, MAIR_EL1
	MSR	R2, TCR_EL1
	MSR	R1, TTBR0_EL1
	ISB	$15
	TLBI	VMALLE1
	DSB	$15
	ISB	$15
	MSR	R4, SCTLR_EL1
	ISB	$15
	RET

// func invalidateTLB()
// After Map wrote new entries: make the writes visible to the table walker,
// drop any cached translation, and resynchronize the instruction stream.
TEXT ·invalidateTLB(SB),NOSPLIT,$0
	DSB	$14	// ST
	TLBI	VMALLE1
	DSB	$15
	ISB	$15
	RET

// func imageBounds() (text, etext, noptrdata, end uint64)
TEXT ·imageBounds(SB),NOSPLIT,$0-32
	MOVD	$runtime·text(SB), R0
	MOVD	R0, text+0(FP)
	MOVD	$runtime·etext(SB), R0
	MOVD	R0, etext+8(FP)
	MOVD	$runtime·noptrdata(SB), R0
	MOVD	R0, noptrdata+16(FP)
	MOVD	$runtime·end(SB), R0
	MOVD	R0, end+24(FP)
	RET

// func runtimeRAM() (start, size uint64)
TEXT ·runtimeRAM(SB),NOSPLIT,$0-16
	MOVD	runtime∕goos·RamStart(SB), R0
	MOVD	R0, start+0(FP)
	MOVD	runtime∕goos·RamSize(SB), R0
	MOVD	R0, size+8(FP)
	RET

// func currentEL() uint64
TEXT ·currentEL(SB),NOSPLIT,$0-8
	MRS	CurrentEL, R0
	LSR	$2, R0, R0
	AND	$3, R0, R0
	MOVD	R0, ret+0(FP)
	RET

// func readCounter() uint64
// The ISB keeps the read from being taken early: counter reads are not
// ordered with other instructions (DDI 0487, the Generic Timer chapter).
TEXT ·readCounter(SB),NOSPLIT,$0-8
	ISB	$15
	MRS	CNTVCT_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

// func readCounterFrequency() uint64
TEXT ·readCounterFrequency(SB),NOSPLIT,$0-8
	MRS	CNTFRQ_EL0, R0
	MOVD	R0, ret+0(FP)
	RET

// func readMPIDR() uint64
TEXT ·readMPIDR(SB),NOSPLIT,$0-8
	MRS	MPIDR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

// func HVC(fn, a1, a2, a3 uint64) uint64
// SMC Calling Convention (DEN 0028): function ID in x0, arguments in
// x1..x3, result in x0; x0..x17 may change, which Go's ABI0 allows.
TEXT ·HVC(SB),NOSPLIT,$0-40
	MOVD	fn+0(FP), R0
	MOVD	a1+8(FP), R1
	MOVD	a2+16(FP), R2
	MOVD	a3+24(FP), R3
	HVC	$0
	MOVD	R0, ret+32(FP)
	RET

// func SMC(fn, a1, a2, a3 uint64) uint64
TEXT ·SMC(SB),NOSPLIT,$0-40
	MOVD	fn+0(FP), R0
	MOVD	a1+8(FP), R1
	MOVD	a2+16(FP), R2
	MOVD	a3+24(FP), R3
	SMC	$0
	MOVD	R0, ret+32(FP)
	RET

// func callRegisters(smc bool, x *[18]uint64)
// An HVC, or an SMC if smc, with x0..x17 loaded from *x; afterwards *x
// holds x0..x17 as the call left them. R19 keeps the pointer: the
// convention preserves it.
TEXT ·callRegisters(SB),NOSPLIT,$0-16
	MOVBU	smc+0(FP), R20
	MOVD	x+8(FP), R19
	LDP	0(R19), (R0, R1)
	LDP	16(R19), (R2, R3)
	LDP	32(R19), (R4, R5)
	LDP	48(R19), (R6, R7)
	LDP	64(R19), (R8, R9)
	LDP	80(R19), (R10, R11)
	LDP	96(R19), (R12, R13)
	LDP	112(R19), (R14, R15)
	LDP	128(R19), (R16, R17)
	CBNZ	R20, smc
	HVC	$0
	B	done
smc:
	SMC	$0
done:
	STP	(R0, R1), 0(R19)
	STP	(R2, R3), 16(R19)
	STP	(R4, R5), 32(R19)
	STP	(R6, R7), 48(R19)
	STP	(R8, R9), 64(R19)
	STP	(R10, R11), 80(R19)
	STP	(R12, R13), 96(R19)
	STP	(R14, R15), 112(R19)
	STP	(R16, R17), 128(R19)
	RET

// func waitForEvent()
TEXT ·waitForEvent(SB),NOSPLIT,$0
	WFE
	RET

// func haltForever()
// Every interrupt masked; the core waits for nothing. Under Tamavisor the
// WFI traps and the core stays with the hypervisor.
TEXT ·haltForever(SB),NOSPLIT|NOFRAME,$0
	MSR	$15, DAIFSet
halt:
	WFI
	B	halt
