//go:build tamago && arm64

#include "go_asm.h"
#include "textflag.h"

// The measured loops. Each reads the virtual counter (CNTVCT_EL0, after an
// ISB so the read is not taken early) before and after, and runs the same
// instructions natively and under the hypervisor: only what the hardware
// (or the hypervisor, which traps the access) does for them differs.
// Registers: ABI0 lets assembly clobber every general register but the
// stack pointer, g (R28) and the frame pointer; the interrupt handler uses
// R9..R12 only, and the loops that unmask interrupts keep nothing there.

// func hvcLoop(n uint64) (ticks uint64)
// n HVCs of PSCI_VERSION: the cheapest call a PSCI implementation answers,
// natively QEMU's own, under Tamavisor the partition's PSCI model.
TEXT ·hvcLoop(SB),NOSPLIT,$0-16
	MOVD	n+0(FP), R19
	ISB	$15
	MRS	CNTVCT_EL0, R20
hvc:
	MOVD	$0x84000000, R0
	HVC	$0
	SUBS	$1, R19, R19
	BNE	hvc
	ISB	$15
	MRS	CNTVCT_EL0, R21
	SUB	R20, R21, R21
	MOVD	R21, ticks+8(FP)
	RET

// func readLoop(addr, n uint64) (ticks uint64)
// n 32-bit loads from a device register.
TEXT ·readLoop(SB),NOSPLIT,$0-24
	MOVD	addr+0(FP), R1
	MOVD	n+8(FP), R19
	ISB	$15
	MRS	CNTVCT_EL0, R20
read:
	MOVWU	(R1), R2
	SUBS	$1, R19, R19
	BNE	read
	ISB	$15
	MRS	CNTVCT_EL0, R21
	SUB	R20, R21, R21
	MOVD	R21, ticks+16(FP)
	RET

// func writeLoop(addr uint64, p *byte, n uint64) (ticks uint64)
// n 32-bit stores to a device register of the bytes at p, one each: the
// UART's data register.
TEXT ·writeLoop(SB),NOSPLIT,$0-32
	MOVD	addr+0(FP), R1
	MOVD	p+8(FP), R2
	MOVD	n+16(FP), R19
	ISB	$15
	MRS	CNTVCT_EL0, R20
write:
	MOVBU.P	1(R2), R3
	MOVW	R3, (R1)
	SUBS	$1, R19, R19
	BNE	write
	ISB	$15
	MRS	CNTVCT_EL0, R21
	SUB	R20, R21, R21
	MOVD	R21, ticks+24(FP)
	RET

// WAIT_IRQ(block, seq, again, done) waits until the handler moved the sequence number
// in block (a coreStamps) on from seq. Interrupts stay masked at the WFI,
// which wakes on a pending one all the same, and are unmasked for one
// instruction after it: an interrupt taken between the check and the WFI
// would otherwise leave the core waiting for good.
#define WAIT_IRQ(block, seq, again, done) \
again:						\
	MOVD	coreStamps_Seq(block), R3	\
	CMP	seq, R3				\
	BNE	done				\
	WFI					\
	MSR	$2, DAIFClr			\
	ISB	$15				\
	MSR	$2, DAIFSet			\
	B	again				\
done:

// SAMPLE(t0, block) adds the handler's time stamp in block minus t0 to
// the sum in R23 and keeps the least in R24.
#define SAMPLE(t0, block) \
	MOVD	coreStamps_Stamp(block), R3	\
	SUB	t0, R3, R3			\
	ADD	R3, R23, R23			\
	CMP	R24, R3				\
	CSEL	LO, R3, R24, R24

// func timerLoop(n, delay uint64) (sum, min uint64)
// n times: the virtual timer armed delay ticks ahead, then waited for; a
// sample is the handler's first instruction's count minus CNTV_CVAL.
TEXT ·timerLoop(SB),NOSPLIT,$0-32
	MOVD	n+0(FP), R19
	MOVD	delay+8(FP), R4
	MOVD	$0, R23
	MOVD	$-1, R24
	MOVD	$·stamps(SB), R1
timer:
	MOVD	coreStamps_Seq(R1), R22
	ISB	$15
	MRS	CNTVCT_EL0, R20
	ADD	R4, R20, R20
	MSR	R20, CNTV_CVAL_EL0
	MOVD	$1, R3			// ENABLE, not IMASK
	MSR	R3, CNTV_CTL_EL0
	ISB	$15
	WAIT_IRQ(R1, R22, timerWait, timerDone)
	SAMPLE(R20, R1)
	SUBS	$1, R19, R19
	BNE	timer
	MOVD	R23, sum+16(FP)
	MOVD	R24, min+24(FP)
	RET

// func pendLoop(ispendr uint64, bit uint32, n uint64) (sum, min uint64)
// n times: an SPI made pending through GICD_ISPENDR, then waited for; a
// sample runs from the count before the write to the handler's first
// instruction.
TEXT ·pendLoop(SB),NOSPLIT,$0-40
	MOVD	ispendr+0(FP), R5
	MOVWU	bit+8(FP), R6
	MOVD	n+16(FP), R19
	MOVD	$0, R23
	MOVD	$-1, R24
	MOVD	$·stamps(SB), R1
pend:
	MOVD	coreStamps_Seq(R1), R22
	ISB	$15
	MRS	CNTVCT_EL0, R20
	MOVW	R6, (R5)
	WAIT_IRQ(R1, R22, pendWait, pendDone)
	SAMPLE(R20, R1)
	SUBS	$1, R19, R19
	BNE	pend
	MOVD	R23, sum+24(FP)
	MOVD	R24, min+32(FP)
	RET

// func sgiLoop(n uint64) (sum, min uint64)
// n times: SGI 0 sent to the second vCPU (affinity 0.0.0.1), which waits
// in WFI; a sample runs from the count before the ICC_SGI1R_EL1 write to
// the first instruction of the second vCPU's handler. This core waits
// with WFE, which QEMU runs as a yield to the other vCPUs.
TEXT ·sgiLoop(SB),NOSPLIT,$0-24
	MOVD	n+0(FP), R19
	MOVD	$0, R23
	MOVD	$-1, R24
	MOVD	$·stamps(SB), R1
	ADD	$const_coreStampsSize, R1, R1
	MOVD	$2, R2			// INTID 0, Aff3.Aff2.Aff1 0, target list {1}
sgi:
	MOVD	coreStamps_Seq(R1), R22
	ISB	$15
	MRS	CNTVCT_EL0, R20
	MSR	R2, ICC_SGI1R_EL1
	ISB	$15
sgiWait:
	WFE
	MOVD	coreStamps_Seq(R1), R3
	CMP	R22, R3
	BEQ	sgiWait
	SAMPLE(R20, R1)
	SUBS	$1, R19, R19
	BNE	sgi
	MOVD	R23, sum+8(FP)
	MOVD	R24, min+16(FP)
	RET

// IRQ_HANDLER is the whole interrupt handler, in its vector slot: the
// count first, then acknowledge, note what came in the core's coreStamps
// (by MPIDR.Aff0, the vCPU number), stop the virtual timer if it was its
// interrupt (its level drops), end the interrupt (EOImode 0: priority
// drop and deactivation) and count it.
#define IRQ_HANDLER \
	MRS	CNTVCT_EL0, R9				\
	MRS	ICC_IAR1_EL1, R10			\
	MRS	MPIDR_EL1, R11				\
	AND	$0xff, R11, R11				\
	MOVD	$const_coreStampsSize, R12		\
	MUL	R12, R11, R11				\
	MOVD	$·stamps(SB), R12			\
	ADD	R11, R12, R12				\
	MOVD	R9, coreStamps_Stamp(R12)		\
	MOVD	R10, coreStamps_IAR(R12)		\
	CMP	$const_virtTimerIRQ, R10		\
	BNE	2(PC)					\
	MSR	ZR, CNTV_CTL_EL0			\
	MSR	R10, ICC_EOIR1_EL1			\
	MOVD	coreStamps_Seq(R12), R9			\
	ADD	$1, R9, R9				\
	MOVD	R9, coreStamps_Seq(R12)			\
	ERET

// Anything but an IRQ is not expected while these vectors are in place:
// the core stops there, and the host's timeout reports the run.
#define STOP \
	WFI	\
	B	-1(PC)

// benchVectors replaces the program's EL1 vectors only while a loop that
// takes interrupts runs, and on the second vCPU.
TEXT ·benchVectors(SB),NOSPLIT|NOFRAME,$0
	PCALIGN	$2048
	PCALIGN	$128
	STOP
	PCALIGN	$128
	IRQ_HANDLER
	PCALIGN	$128
	STOP
	PCALIGN	$128
	STOP
	PCALIGN	$128
	STOP
	PCALIGN	$128
	IRQ_HANDLER
	PCALIGN	$128
	STOP
	PCALIGN	$128
	STOP
	PCALIGN	$128
	STOP

// func benchVectorsAddress() uint64
TEXT ·benchVectorsAddress(SB),NOSPLIT,$0-8
	MOVD	$·benchVectors(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// func setVectors(vbar uint64) (previous uint64)
TEXT ·setVectors(SB),NOSPLIT,$0-16
	MOVD	vbar+0(FP), R0
	MRS	VBAR_EL1, R1
	MSR	R0, VBAR_EL1
	ISB	$15
	MOVD	R1, previous+8(FP)
	RET

// func cpuInterfaceOn()
// The GIC CPU interface of this core through its system registers:
// every priority unmasked, group 1 enabled.
TEXT ·cpuInterfaceOn(SB),NOSPLIT,$0
	MRS	ICC_SRE_EL1, R0
	ORR	$1, R0, R0
	MSR	R0, ICC_SRE_EL1
	ISB	$15
	MOVD	$0xff, R0
	MSR	R0, ICC_PMR_EL1
	MOVD	$1, R0
	MSR	R0, ICC_IGRPEN1_EL1
	ISB	$15
	RET

// func saveMMU(c *secondaryContext)
// What the second vCPU needs to run on this core's translation tables.
TEXT ·saveMMU(SB),NOSPLIT,$0-8
	MOVD	c+0(FP), R0
	MRS	MAIR_EL1, R1
	MOVD	R1, secondaryContext_MAIR(R0)
	MRS	TCR_EL1, R1
	MOVD	R1, secondaryContext_TCR(R0)
	MRS	TTBR0_EL1, R1
	MOVD	R1, secondaryContext_TTBR0(R0)
	MRS	SCTLR_EL1, R1
	MOVD	R1, secondaryContext_SCTLR(R0)
	RET

// func secondaryEntryAddress() uint64
TEXT ·secondaryEntryAddress(SB),NOSPLIT,$0-8
	MOVD	$·secondaryEntry(SB), R0
	MOVD	R0, ret+0(FP)
	RET

// secondaryEntry is where PSCI CPU_ON starts the second vCPU: EL1, MMU
// off, x0 = the secondaryContext (an identity-mapped address). It turns on
// the first vCPU's translation tables, its GIC CPU interface and the
// bench vectors, says it is ready and then only takes interrupts. It uses
// no stack.
TEXT ·secondaryEntry(SB),NOSPLIT|NOFRAME,$0
	MOVD	secondaryContext_MAIR(R0), R1
	MSR	R1, MAIR_EL1
	MOVD	secondaryContext_TCR(R0), R1
	MSR	R1, TCR_EL1
	MOVD	secondaryContext_TTBR0(R0), R1
	MSR	R1, TTBR0_EL1
	MOVD	secondaryContext_VBAR(R0), R1
	MSR	R1, VBAR_EL1
	ISB	$15
	TLBI	VMALLE1
	DSB	$15
	ISB	$15
	MOVD	secondaryContext_SCTLR(R0), R1
	MSR	R1, SCTLR_EL1
	ISB	$15
	MRS	ICC_SRE_EL1, R1
	ORR	$1, R1, R1
	MSR	R1, ICC_SRE_EL1
	ISB	$15
	MOVD	$0xff, R1
	MSR	R1, ICC_PMR_EL1
	MOVD	$1, R1
	MSR	R1, ICC_IGRPEN1_EL1
	ISB	$15
	MOVD	$1, R1
	MOVD	R1, secondaryContext_Ready(R0)
	DSB	$15
	SEV
idle:
	WFI
	MSR	$2, DAIFClr
	ISB	$15
	MSR	$2, DAIFSet
	B	idle
