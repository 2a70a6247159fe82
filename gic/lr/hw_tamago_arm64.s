//go:build tamago && arm64

#include "textflag.h"
#include "ich_el2.h"

// The list and active priority registers are reached by index through a
// table of 8-byte entries, one system register access and a branch (or
// return) each: the index is masked to the table so that no value can
// branch outside it.

// func readLR(n uint64) uint64
TEXT ·readLR(SB),NOSPLIT,$0-16
	MOVD	n+0(FP), R1
	AND	$15, R1, R1
	ADR	readTable, R2
	ADD	R1<<3, R2, R2
	JMP	(R2)
readTable:
	MRS_ICH_LR0_EL2_X0
	B	readDone
	MRS_ICH_LR1_EL2_X0
	B	readDone
	MRS_ICH_LR2_EL2_X0
	B	readDone
	MRS_ICH_LR3_EL2_X0
	B	readDone
	MRS_ICH_LR4_EL2_X0
	B	readDone
	MRS_ICH_LR5_EL2_X0
	B	readDone
	MRS_ICH_LR6_EL2_X0
	B	readDone
	MRS_ICH_LR7_EL2_X0
	B	readDone
	MRS_ICH_LR8_EL2_X0
	B	readDone
	MRS_ICH_LR9_EL2_X0
	B	readDone
	MRS_ICH_LR10_EL2_X0
	B	readDone
	MRS_ICH_LR11_EL2_X0
	B	readDone
	MRS_ICH_LR12_EL2_X0
	B	readDone
	MRS_ICH_LR13_EL2_X0
	B	readDone
	MRS_ICH_LR14_EL2_X0
	B	readDone
	MRS_ICH_LR15_EL2_X0
	B	readDone
readDone:
	MOVD	R0, ret+8(FP)
	RET

// func writeLR(n, v uint64)
TEXT ·writeLR(SB),NOSPLIT,$0-16
	MOVD	n+0(FP), R0
	MOVD	v+8(FP), R1
	AND	$15, R0, R0
	ADR	writeTable, R2
	ADD	R0<<3, R2, R2
	JMP	(R2)
writeTable:
	MSR_ICH_LR0_EL2_X1
	RET
	MSR_ICH_LR1_EL2_X1
	RET
	MSR_ICH_LR2_EL2_X1
	RET
	MSR_ICH_LR3_EL2_X1
	RET
	MSR_ICH_LR4_EL2_X1
	RET
	MSR_ICH_LR5_EL2_X1
	RET
	MSR_ICH_LR6_EL2_X1
	RET
	MSR_ICH_LR7_EL2_X1
	RET
	MSR_ICH_LR8_EL2_X1
	RET
	MSR_ICH_LR9_EL2_X1
	RET
	MSR_ICH_LR10_EL2_X1
	RET
	MSR_ICH_LR11_EL2_X1
	RET
	MSR_ICH_LR12_EL2_X1
	RET
	MSR_ICH_LR13_EL2_X1
	RET
	MSR_ICH_LR14_EL2_X1
	RET
	MSR_ICH_LR15_EL2_X1
	RET

// func writeAP0R(n, v uint64)
TEXT ·writeAP0R(SB),NOSPLIT,$0-16
	MOVD	n+0(FP), R0
	MOVD	v+8(FP), R1
	AND	$3, R0, R0
	ADR	ap0Table, R2
	ADD	R0<<3, R2, R2
	JMP	(R2)
ap0Table:
	MSR_ICH_AP0R0_EL2_X1
	RET
	MSR_ICH_AP0R1_EL2_X1
	RET
	MSR_ICH_AP0R2_EL2_X1
	RET
	MSR_ICH_AP0R3_EL2_X1
	RET

// func writeAP1R(n, v uint64)
TEXT ·writeAP1R(SB),NOSPLIT,$0-16
	MOVD	n+0(FP), R0
	MOVD	v+8(FP), R1
	AND	$3, R0, R0
	ADR	ap1Table, R2
	ADD	R0<<3, R2, R2
	JMP	(R2)
ap1Table:
	MSR_ICH_AP1R0_EL2_X1
	RET
	MSR_ICH_AP1R1_EL2_X1
	RET
	MSR_ICH_AP1R2_EL2_X1
	RET
	MSR_ICH_AP1R3_EL2_X1
	RET

// func readHCR() uint64
TEXT ·readHCR(SB),NOSPLIT,$0-8
	MRS_ICH_HCR_EL2_X0
	MOVD	R0, ret+0(FP)
	RET

// func writeHCR(v uint64)
TEXT ·writeHCR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR_ICH_HCR_EL2_X0
	RET

// func readVTR() uint64
TEXT ·readVTR(SB),NOSPLIT,$0-8
	MRS_ICH_VTR_EL2_X0
	MOVD	R0, ret+0(FP)
	RET

// func readELRSR() uint64
// ICH_ELRSR_EL2 is derived from the list registers: the ISB makes it
// reflect the list register writes before it.
TEXT ·readELRSR(SB),NOSPLIT,$0-8
	ISB	$15
	MRS_ICH_ELRSR_EL2_X0
	MOVD	R0, ret+0(FP)
	RET

// func readMISR() uint64
// ICH_MISR_EL2 is derived from ICH_HCR_EL2 and the list registers, hence
// the ISB.
TEXT ·readMISR(SB),NOSPLIT,$0-8
	ISB	$15
	MRS_ICH_MISR_EL2_X0
	MOVD	R0, ret+0(FP)
	RET

// func writeVMCR(v uint64)
TEXT ·writeVMCR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR_ICH_VMCR_EL2_X0
	RET
