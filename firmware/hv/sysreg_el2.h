// EL2 system register and system instruction encodings. Go's assembler
// knows none of the EL2 registers, so each is a WORD whose comment gives the
// instruction. Encoding (DDI 0487 C5.2, C6.2.xxx MSR/MRS/SYS):
// MSR/MRS 0xd5100000 | L<<21 | op0[0]<<19 | op1<<16 | CRn<<12 | CRm<<8 | op2<<5 | Rt.

#define MSR_CPTR_EL2_X0		WORD $0xd51c1140	// msr cptr_el2, x0   (D19.2 CPTR_EL2)
#define MSR_HCR_EL2_X0		WORD $0xd51c1100	// msr hcr_el2, x0    (D19.2 HCR_EL2)
#define MSR_ACTLR_EL2_X0	WORD $0xd51c1020	// msr actlr_el2, x0  (D19.2 ACTLR_EL2; Cortex-A53 TRM 4.3.4)
#define MSR_VBAR_EL2_X0		WORD $0xd51cc000	// msr vbar_el2, x0   (D19.2 VBAR_EL2)
#define MSR_MAIR_EL2_X0		WORD $0xd51ca200	// msr mair_el2, x0   (D19.2 MAIR_EL2)
#define MSR_TCR_EL2_X0		WORD $0xd51c2040	// msr tcr_el2, x0    (D19.2 TCR_EL2)
#define MSR_TTBR0_EL2_X0	WORD $0xd51c2000	// msr ttbr0_el2, x0  (D19.2 TTBR0_EL2)
#define MRS_TTBR0_EL2_X0	WORD $0xd53c2000	// mrs x0, ttbr0_el2
#define MSR_SCTLR_EL2_X0	WORD $0xd51c1000	// msr sctlr_el2, x0  (D19.2 SCTLR_EL2)
#define MRS_SCTLR_EL2_X0	WORD $0xd53c1000	// mrs x0, sctlr_el2
#define MSR_TPIDR_EL2_X0	WORD $0xd51cd040	// msr tpidr_el2, x0  (D19.2 TPIDR_EL2)
#define MRS_TPIDR_EL2_X1	WORD $0xd53cd041	// mrs x1, tpidr_el2
#define MRS_ESR_EL2_X1		WORD $0xd53c5201	// mrs x1, esr_el2    (D19.2 ESR_EL2)
#define MRS_FAR_EL2_X1		WORD $0xd53c6001	// mrs x1, far_el2    (D19.2 FAR_EL2)
#define MRS_ELR_EL2_X1		WORD $0xd53c4021	// mrs x1, elr_el2    (C5.2.7 ELR_EL2)
#define MRS_SPSR_EL2_X1		WORD $0xd53c4001	// mrs x1, spsr_el2   (C5.2.19 SPSR_EL2)
#define MRS_PAR_EL1_X0		WORD $0xd5387400	// mrs x0, par_el1    (D19.2 PAR_EL1)
#define AT_S1E2R_X0		WORD $0xd50c7800	// at s1e2r, x0       (C5.5 AT S1E2R)
#define TLBI_ALLE2		WORD $0xd50c871f	// tlbi alle2         (C5.5 TLBI ALLE2)
#define SMC_0			WORD $0xd4000003	// smc #0             (C6.2 SMC)
#define DC_CVAC_X0		WORD $0xd50b7a20	// dc cvac, x0        (C5.3 DC CVAC)
#define DC_CIVAC_X0		WORD $0xd50b7e20	// dc civac, x0       (C5.3 DC CIVAC)
#define DC_CISW_X0		WORD $0xd5087e40	// dc cisw, x0        (C5.3 DC CISW)
#define MSR_MDCR_EL2_X0		WORD $0xd51c1120	// msr mdcr_el2, x0   (D19.3 MDCR_EL2)
#define MRS_PMCR_EL0_X0		WORD $0xd53b9c00	// mrs x0, pmcr_el0   (D19.4 PMCR_EL0)
#define MSR_PMCR_EL0_X0		WORD $0xd51b9c00	// msr pmcr_el0, x0
#define MSR_PMCNTENCLR_EL0_X0	WORD $0xd51b9c40	// msr pmcntenclr_el0, x0
#define MSR_PMINTENCLR_EL1_X0	WORD $0xd5189e40	// msr pmintenclr_el1, x0
#define MSR_PMUSERENR_EL0_X0	WORD $0xd51b9e00	// msr pmuserenr_el0, x0
#define DC_IVAC_X0		WORD $0xd5087620	// dc ivac, x0        (C5.3 DC IVAC)
#define DC_CISW_X11		WORD $0xd5087e4b	// dc cisw, x11       (C5.3 DC CISW)
#define MRS_CTR_EL0_X1		WORD $0xd53b0021	// mrs x1, ctr_el0    (D19.2 CTR_EL0)

// CPTR_EL2 with E2H == 0: RES1 bits [13:12] and [9:0]; TFP (bit 10) clear so
// the Go runtime's SIMD and floating point do not trap.
#define CPTR_EL2_VALUE	0x33ff
// CPTR_EL2_LAZY_FP is CPTR_EL2_VALUE with TFP set: every FP/SIMD access,
// at EL2 too, traps. guestExit sets it while the guest's FP/SIMD
// registers are still in place; the first use by the hypervisor saves
// them (lazyFP, in vectors_el2.s).
#define CPTR_EL2_LAZY_FP	0x37ff
#define MRS_ESR_EL2_X0		WORD $0xd53c5200	// mrs x0, esr_el2
#define MRS_TPIDR_EL2_X0	WORD $0xd53cd040	// mrs x0, tpidr_el2
// HCR_EL2: only RW (bit 31, EL1 is AArch64). No traps until guests exist.
#define HCR_EL2_VALUE	0x80000000
// SCTLR_EL2 RES1 bits with E2H == 0, MMU and caches off, no alignment checks.
#define SCTLR_EL2_OFF	0x30c50830

// Common EL2 setup of every core before the MMU is on: FP/SIMD untrapped,
// HCR_EL2 defined, SCTLR_EL2 in a known state, exception vectors installed.
#define EL2_SETUP \
	MOVD	$CPTR_EL2_VALUE, R0	\
	MSR_CPTR_EL2_X0			\
	MOVD	$HCR_EL2_VALUE, R0	\
	MSR_HCR_EL2_X0			\
	MOVD	$SCTLR_EL2_OFF, R0	\
	MSR_SCTLR_EL2_X0		\
	MOVD	$·vectors(SB), R0	\
	MSR_VBAR_EL2_X0			\
	ISB	$15

// Guest (EL1) control from EL2.
#define MSR_VTCR_EL2_X0		WORD $0xd51c2140	// msr vtcr_el2, x0   (D19.2 VTCR_EL2)
#define MSR_VTTBR_EL2_X0	WORD $0xd51c2100	// msr vttbr_el2, x0  (D19.2 VTTBR_EL2)
#define MSR_VMPIDR_EL2_X0	WORD $0xd51c00a0	// msr vmpidr_el2, x0 (D19.2 VMPIDR_EL2)
#define MSR_VPIDR_EL2_X0	WORD $0xd51c0000	// msr vpidr_el2, x0  (D19.2 VPIDR_EL2)
#define MRS_MIDR_EL1_X0		WORD $0xd5380000	// mrs x0, midr_el1
#define MSR_CNTHCTL_EL2_X0	WORD $0xd51ce100	// msr cnthctl_el2, x0 (D19.12 CNTHCTL_EL2)
#define MSR_CNTVOFF_EL2_X0	WORD $0xd51ce060	// msr cntvoff_el2, x0 (D19.12 CNTVOFF_EL2)
#define MSR_CNTHP_CTL_EL2_X0	WORD $0xd51ce220	// msr cnthp_ctl_el2, x0 (D19.12 CNTHP_CTL_EL2)
#define MSR_CNTHP_CVAL_EL2_X0	WORD $0xd51ce240	// msr cnthp_cval_el2, x0 (D19.12 CNTHP_CVAL_EL2)
#define MSR_SCTLR_EL1_X0	WORD $0xd5181000	// msr sctlr_el1, x0  (D19.2 SCTLR_EL1)
#define MSR_CPACR_EL1_X0	WORD $0xd5181040	// msr cpacr_el1, x0  (D19.2 CPACR_EL1)
#define MSR_ESR_EL1_X0		WORD $0xd5185200	// msr esr_el1, x0
#define MSR_FAR_EL1_X0		WORD $0xd5186000	// msr far_el1, x0
#define MSR_ELR_EL1_X0		WORD $0xd5184020	// msr elr_el1, x0
#define MSR_SPSR_EL1_X0		WORD $0xd5184000	// msr spsr_el1, x0
#define MRS_VBAR_EL1_X0		WORD $0xd538c000	// mrs x0, vbar_el1
#define MSR_ELR_EL2_X1		WORD $0xd51c4021	// msr elr_el2, x1
#define MSR_SPSR_EL2_X1		WORD $0xd51c4001	// msr spsr_el2, x1
#define MRS_HPFAR_EL2_X1	WORD $0xd53c6081	// mrs x1, hpfar_el2  (D19.2 HPFAR_EL2)
#define TLBI_VMALLS12E1IS	WORD $0xd50c83df	// tlbi vmalls12e1is  (C5.5)
#define IC_IALLU		WORD $0xd508751f	// ic iallu           (C5.3)

// SAVE_X3_TO_X30 stores x3..x30 into the Frame at R0, after a vector saved
// x0 (in TPIDR_EL2), x1 and x2. Every offset fits STP's immediate, so the
// assembler needs no scratch register (R27 is being saved).
#define SAVE_X3_TO_X30 \
	STP	(R3, R4), (Frame_X+24)(R0)	\
	STP	(R5, R6), (Frame_X+40)(R0)	\
	STP	(R7, R8), (Frame_X+56)(R0)	\
	STP	(R9, R10), (Frame_X+72)(R0)	\
	STP	(R11, R12), (Frame_X+88)(R0)	\
	STP	(R13, R14), (Frame_X+104)(R0)	\
	STP	(R15, R16), (Frame_X+120)(R0)	\
	STP	(R17, R18_PLATFORM), (Frame_X+136)(R0)	\
	STP	(R19, R20), (Frame_X+152)(R0)	\
	STP	(R21, R22), (Frame_X+168)(R0)	\
	STP	(R23, R24), (Frame_X+184)(R0)	\
	STP	(R25, R26), (Frame_X+200)(R0)	\
	STP	(R27, g), (Frame_X+216)(R0)	\
	STP	(R29, R30), (Frame_X+232)(R0)

// SAVE_EXCEPTION_STATE stores the original x0 (from TPIDR_EL2), SP, ELR,
// SPSR, ESR and FAR into the Frame at R0; it uses R1.
#define SAVE_EXCEPTION_STATE \
	MRS_TPIDR_EL2_X1		\
	MOVD	R1, (Frame_X+0)(R0)	\
	MOVD	RSP, R1			\
	MOVD	R1, Frame_SP(R0)	\
	MRS_ELR_EL2_X1			\
	MOVD	R1, Frame_ELR(R0)	\
	MRS_SPSR_EL2_X1			\
	MOVD	R1, Frame_SPSR(R0)	\
	MRS_ESR_EL2_X1			\
	MOVD	R1, Frame_ESR(R0)	\
	MRS_FAR_EL2_X1			\
	MOVD	R1, Frame_FAR(R0)
