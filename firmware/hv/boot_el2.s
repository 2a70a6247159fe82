//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"
#include "sysreg_el2.h"

// cpuinit is the image's first instruction on the boot core, entered at EL2
// by a loader that may have left the MMU and caches off (QEMU -kernel) or on
// (U-Boot bootelf/booti on a board). It keeps EL2, writes back and turns off
// whatever the loader left on, and turns the MMU on with the boot identity
// map (mmu.BootMap) before any Go code runs: with the MMU off every data
// access is to Device memory, where the unaligned accesses, exclusives and
// DC ZVA that Go code issues fault (DDI 0487 B2.5.2, C5.3 DC ZVA). Then it
// sets the stack at the top of slot 0's window and starts the Go runtime,
// whose Hwinit0 builds every core's tables and moves to its own.
TEXT cpuinit(SB),NOSPLIT|NOFRAME,$0
	MRS	CurrentEL, R0
	LSR	$2, R0, R0
	AND	$3, R0, R0
	CMP	$2, R0
	BNE	wrongEL

	// Entered with the MMU or data cache on: write every dirty line back
	// to memory, then turn both off with the instruction cache, and drop
	// the loader's translations, as from reset.
	MRS_SCTLR_EL2_X0
	MOVD	R0, R15				// kept for entrySCTLR
	TST	$(const_sctlrM|const_sctlrC), R0
	BEQ	offAtEntry
	BL	cleanInvalidateDcacheAll<>(SB)
	MRS_SCTLR_EL2_X0
	BIC	$(const_sctlrM|const_sctlrC|const_sctlrI), R0, R0
	MSR_SCTLR_EL2_X0
	ISB	$15
	IC_IALLU
	TLBI_ALLE2
	DSB	$15
	ISB	$15
offAtEntry:
	EL2_SETUP

	// The boot identity map, written with aligned 8-byte stores only.
	// Its page is invalidated before (no dirty line of a previous owner
	// may be written back over it) and after (the walk is cacheable).
	MOVD	$const_bootTableBase, R0
	BL	invalidateBootTable<>(SB)
	MOVD	$const_bootTableBase, R1
	MOVD	$const_bootRAMStart, R5
	MOVD	$const_bootRAMEnd, R6
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
	MOVD	R3, (R1)(R2<<3)
	ADD	$1, R2, R2
	CMP	$const_bootTableEntries, R2
	BLT	bootEntry
	DSB	$15
	MOVD	$const_bootTableBase, R0
	BL	invalidateBootTable<>(SB)

	MOVD	$const_bootMAIR, R0
	MSR_MAIR_EL2_X0
	MOVD	$const_bootTCR, R0
	MSR_TCR_EL2_X0
	MOVD	$const_bootTableBase, R0
	MSR_TTBR0_EL2_X0
	ISB	$15
	TLBI_ALLE2
	DSB	$15
	ISB	$15
	MOVD	$const_bootSCTLR, R0
	MSR_SCTLR_EL2_X0
	ISB	$15

	MOVD	$·entrySCTLR(SB), R0
	MOVD	R15, (R0)
	MOVD	$const_stackTop, R0
	MOVD	R0, RSP
	B	_rt0_tamago_start(SB)

wrongEL:
	// Not at EL2: QEMU enters an ELF at EL3 on machines with EL3
	// firmware of their own (imx8mp-evk), and at EL1 without
	// virtualization. Nothing Tamavisor can do safely there, and at EL3
	// no PSCI would start the other cores: say so on the console and
	// stay parked. The UART's transmitter is enabled first (after reset
	// it is off), its rate left as it is.
	MOVD	$const_earlyUARTEnable1, R0
	MOVWU	(R0), R1
	ORR	$const_earlyUARTEnable1Bits, R1, R1
	MOVW	R1, (R0)
	MOVD	$const_earlyUARTEnable2, R0
	MOVWU	(R0), R1
	ORR	$const_earlyUARTEnable2Bits, R1, R1
	MOVW	R1, (R0)
	MOVD	$wrongELMessage<>(SB), R4
	MOVD	$const_earlyUARTData, R2
	MOVD	$const_earlyUARTStatus, R3
wrongELChar:
	MOVBU.P	1(R4), R5
	CBZ	R5, wrongELParked
	MOVD	$(1<<20), R6		// bounded: a dead UART must not matter
wrongELFull:
	MOVWU	(R3), R7
	TST	$const_earlyUARTFull, R7
	BEQ	wrongELSend
	SUBS	$1, R6, R6
	BNE	wrongELFull
wrongELSend:
	MOVW	R5, (R2)
	B	wrongELChar
wrongELParked:
	WFE
	B	wrongELParked

// The console line of an entry at the wrong exception level.
DATA	wrongELMessage<>+0(SB)/8, $"tamaviso"
DATA	wrongELMessage<>+8(SB)/8, $"r: not e"
DATA	wrongELMessage<>+16(SB)/8, $"ntered a"
DATA	wrongELMessage<>+24(SB)/8, $"t EL2; b"
DATA	wrongELMessage<>+32(SB)/8, $"oot the "
DATA	wrongELMessage<>+40(SB)/8, $"arm64 Im"
DATA	wrongELMessage<>+48(SB)/8, $"age (QEM"
DATA	wrongELMessage<>+56(SB)/8, $"U -kerne"
DATA	wrongELMessage<>+64(SB)/8, $"l, U-Boo"
DATA	wrongELMessage<>+72(SB)/8, $"t booti)"
DATA	wrongELMessage<>+80(SB)/8, $", which "
DATA	wrongELMessage<>+88(SB)/8, $"enters a"
DATA	wrongELMessage<>+96(SB)/8, $"t EL2; h"
DATA	wrongELMessage<>+104(SB)/8, $"alting\r\n"
GLOBL	wrongELMessage<>(SB), RODATA, $120	// NUL-terminated

// invalidateBootTable<> invalidates the data cache lines of the page at R0
// (DC IVAC by the smallest line size, CTR_EL0.DminLine). Uses R0-R3.
TEXT invalidateBootTable<>(SB),NOSPLIT|NOFRAME,$0
	ADD	$const_bootTableSize, R0, R2
	MRS_CTR_EL0_X1
	UBFX	$16, R1, $4, R1
	MOVD	$4, R3
	LSL	R1, R3, R3
invalidateLine:
	DC_IVAC_X0
	ADD	R3, R0, R0
	CMP	R2, R0
	BLO	invalidateLine
	DSB	$15
	RET

// cleanInvalidateDcacheAll<> cleans and invalidates every data and unified
// cache level up to the point of coherency by set/way (DDI 0487 D7.5.2
// "Example code for cache maintenance instructions"; CLIDR_EL1, CSSELR_EL1
// and CCSIDR_EL1 in D19.2). Set/way maintenance is only safe while no other
// core runs, which is the case on the boot core at entry. Uses R0-R12.
TEXT cleanInvalidateDcacheAll<>(SB),NOSPLIT|NOFRAME,$0
	MRS	CLIDR_EL1, R0
	UBFX	$24, R0, $3, R3			// LoC
	CBZ	R3, cachesDone
	MOVD	$0, R10				// cache level - 1
cacheLevel:
	ADD	R10<<1, R10, R2			// 3 * level: Ctype field
	LSR	R2, R0, R1
	AND	$7, R1, R1
	CMP	$2, R1
	BLT	nextLevel			// no cache, or instructions only
	LSL	$1, R10, R9			// CSSELR and the set/way level field
	MSR	R9, CSSELR_EL1
	ISB	$15
	MRS	CCSIDR_EL1, R1
	AND	$7, R1, R2
	ADD	$4, R2, R2			// log2(line size in bytes)
	UBFX	$3, R1, $10, R4			// ways - 1
	CLZW	R4, R5				// the way field's shift
	UBFX	$13, R1, $15, R7		// sets - 1
cacheWay:
	MOVD	R7, R8
cacheSet:
	LSL	R5, R4, R11
	LSL	R2, R8, R12
	ORR	R12, R11, R11
	ORR	R9, R11, R11
	DC_CISW_X11
	SUBS	$1, R8, R8
	BGE	cacheSet
	SUBS	$1, R4, R4
	BGE	cacheWay
nextLevel:
	ADD	$1, R10, R10
	CMP	R3, R10
	BLT	cacheLevel
cachesDone:
	MOVD	$0, R0
	MSR	R0, CSSELR_EL1
	DSB	$15
	ISB	$15
	RET

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

// func loadTables(ttbr0, tcr, mair, sctlr uint64)
// Moves this core from the boot identity map to its own tables. The two map
// the same addresses with other block sizes and attributes, so the change
// is break-before-make by turning the MMU off around it (as Xen does at
// EL2, which has one TTBR): with M clear nothing is translated, the
// instructions here are fetched from the same, identity-mapped addresses,
// and no data is accessed until M is set again (DDI 0487 D8.14 "TLB
// maintenance requirements", break-before-make).
TEXT ·loadTables(SB),NOSPLIT,$0-32
	MOVD	ttbr0+0(FP), R1
	MOVD	tcr+8(FP), R2
	MOVD	mair+16(FP), R3
	MOVD	sctlr+24(FP), R4
	DSB	$15
	MRS_SCTLR_EL2_X0
	BIC	$const_sctlrM, R0, R0
	MSR_SCTLR_EL2_X0
	ISB	$15
	MOVD	R3, R0
	MSR_MAIR_EL2_X0
	MOVD	R2, R0
	MSR_TCR_EL2_X0
	MOVD	R1, R0
	MSR_TTBR0_EL2_X0
	ISB	$15
	TLBI_ALLE2
	DSB	$15
	ISB	$15
	MOVD	R4, R0
	MSR_SCTLR_EL2_X0
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

// func cleanInvalidateDcache(addr, size uint64)
// Cleans and invalidates data cache lines to the point of coherency: a
// guest's set/way maintenance, carried out on its own memory.
TEXT ·cleanInvalidateDcache(SB),NOSPLIT,$0-16
	MOVD	addr+0(FP), R0
	MOVD	size+8(FP), R2
	ADD	R0, R2, R2		// end
	MRS_CTR_EL0_X1
	UBFX	$16, R1, $4, R1		// DminLine: log2 of the line in words
	MOVD	$4, R3
	LSL	R1, R3, R3		// line size in bytes
	SUB	$1, R3, R4
	BIC	R4, R0, R0		// align down to a line
civac:
	CMP	R2, R0
	BHS	civaced
	DC_CIVAC_X0
	ADD	R3, R0, R0
	B	civac
civaced:
	DSB	$15
	RET

// func onBootMap() bool
// Whether this core runs on the boot identity map: only the boot core
// does, from cpuinit; secondaries enter with their own tables.
TEXT ·onBootMap(SB),NOSPLIT,$0-1
	MRS_TTBR0_EL2_X0
	MOVD	$const_bootTableBase, R1
	CMP	R1, R0
	CSET	EQ, R0
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
