//go:build tamago && arm64

#include "textflag.h"

// Go's assembler names the ICC_*_EL1 registers but not ICC_SRE_EL2, so
// that one is a WORD (DDI 0487 C6.2 MSR/MRS (register): op0 3, op1 4,
// CRn 12, CRm 9, op2 5; IHI 0069G 12.2, ICC_SRE_EL2).
#define MRS_ICC_SRE_EL2_X0	WORD $0xd53cc9a0	// mrs x0, icc_sre_el2
#define MSR_ICC_SRE_EL2_X0	WORD $0xd51cc9a0	// msr icc_sre_el2, x0

// DSB option ISHST (DDI 0487 C6.2 DSB): stores, inner shareable domain.
#define ISHST	$0b1010

// func readSRE() uint64
TEXT ·readSRE(SB),NOSPLIT,$0-8
	MRS_ICC_SRE_EL2_X0
	MOVD	R0, ret+0(FP)
	RET

// func writeSRE(v uint64)
// The ISB makes the new interface visible to the ICC accesses that follow.
TEXT ·writeSRE(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR_ICC_SRE_EL2_X0
	ISB	$15
	RET

// func writePMR(v uint64)
TEXT ·writePMR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_PMR_EL1
	RET

// func writeBPR1(v uint64)
TEXT ·writeBPR1(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_BPR1_EL1
	RET

// func readCTLR() uint64
TEXT ·readCTLR(SB),NOSPLIT,$0-8
	MRS	ICC_CTLR_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

// func writeCTLR(v uint64)
TEXT ·writeCTLR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_CTLR_EL1
	RET

// func writeIGRPEN1(v uint64)
// The ISB completes this and the earlier CPU interface writes.
TEXT ·writeIGRPEN1(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_IGRPEN1_EL1
	ISB	$15
	RET

// func readIAR1() uint64
TEXT ·readIAR1(SB),NOSPLIT,$0-8
	MRS	ICC_IAR1_EL1, R0
	MOVD	R0, ret+0(FP)
	RET

// func writeEOIR1(v uint64)
TEXT ·writeEOIR1(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_EOIR1_EL1
	ISB	$15
	RET

// func writeDIR(v uint64)
TEXT ·writeDIR(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	MSR	R0, ICC_DIR_EL1
	ISB	$15
	RET

// func writeSGI1R(v uint64)
// The DSB makes earlier stores (a mailbox) visible before the SGI is sent.
TEXT ·writeSGI1R(SB),NOSPLIT,$0-8
	MOVD	v+0(FP), R0
	DSB	ISHST
	MSR	R0, ICC_SGI1R_EL1
	ISB	$15
	RET
