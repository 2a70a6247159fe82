// ICH_*_EL2 system register accesses. Go's assembler knows none of the
// virtualization control registers, so each is a WORD whose comment gives
// the instruction. Encoding (DDI 0487 C6.2 MSR/MRS (register)):
// 0xd5100000 | L<<21 | (op0-2)<<19 | op1<<16 | CRn<<12 | CRm<<8 | op2<<5 | Rt,
// with op0 3, op1 4, CRn 12 for all of them (IHI 0069G 12.4):
//   ICH_AP0R<n>_EL2   CRm 8,  op2 n          ICH_MISR_EL2   CRm 11, op2 2
//   ICH_AP1R<n>_EL2   CRm 9,  op2 n          ICH_ELRSR_EL2  CRm 11, op2 5
//   ICH_HCR_EL2       CRm 11, op2 0          ICH_VMCR_EL2   CRm 11, op2 7
//   ICH_VTR_EL2       CRm 11, op2 1          ICH_LR<n>_EL2  CRm 12+n/8, op2 n%8
// TestWordEncodings checks every WORD below against this table.

#define MRS_ICH_LR0_EL2_X0	WORD $0xd53ccc00	// mrs x0, ich_lr0_el2
#define MRS_ICH_LR1_EL2_X0	WORD $0xd53ccc20	// mrs x0, ich_lr1_el2
#define MRS_ICH_LR2_EL2_X0	WORD $0xd53ccc40	// mrs x0, ich_lr2_el2
#define MRS_ICH_LR3_EL2_X0	WORD $0xd53ccc60	// mrs x0, ich_lr3_el2
#define MRS_ICH_LR4_EL2_X0	WORD $0xd53ccc80	// mrs x0, ich_lr4_el2
#define MRS_ICH_LR5_EL2_X0	WORD $0xd53ccca0	// mrs x0, ich_lr5_el2
#define MRS_ICH_LR6_EL2_X0	WORD $0xd53cccc0	// mrs x0, ich_lr6_el2
#define MRS_ICH_LR7_EL2_X0	WORD $0xd53ccce0	// mrs x0, ich_lr7_el2
#define MRS_ICH_LR8_EL2_X0	WORD $0xd53ccd00	// mrs x0, ich_lr8_el2
#define MRS_ICH_LR9_EL2_X0	WORD $0xd53ccd20	// mrs x0, ich_lr9_el2
#define MRS_ICH_LR10_EL2_X0	WORD $0xd53ccd40	// mrs x0, ich_lr10_el2
#define MRS_ICH_LR11_EL2_X0	WORD $0xd53ccd60	// mrs x0, ich_lr11_el2
#define MRS_ICH_LR12_EL2_X0	WORD $0xd53ccd80	// mrs x0, ich_lr12_el2
#define MRS_ICH_LR13_EL2_X0	WORD $0xd53ccda0	// mrs x0, ich_lr13_el2
#define MRS_ICH_LR14_EL2_X0	WORD $0xd53ccdc0	// mrs x0, ich_lr14_el2
#define MRS_ICH_LR15_EL2_X0	WORD $0xd53ccde0	// mrs x0, ich_lr15_el2
#define MSR_ICH_LR0_EL2_X1	WORD $0xd51ccc01	// msr ich_lr0_el2, x1
#define MSR_ICH_LR1_EL2_X1	WORD $0xd51ccc21	// msr ich_lr1_el2, x1
#define MSR_ICH_LR2_EL2_X1	WORD $0xd51ccc41	// msr ich_lr2_el2, x1
#define MSR_ICH_LR3_EL2_X1	WORD $0xd51ccc61	// msr ich_lr3_el2, x1
#define MSR_ICH_LR4_EL2_X1	WORD $0xd51ccc81	// msr ich_lr4_el2, x1
#define MSR_ICH_LR5_EL2_X1	WORD $0xd51ccca1	// msr ich_lr5_el2, x1
#define MSR_ICH_LR6_EL2_X1	WORD $0xd51cccc1	// msr ich_lr6_el2, x1
#define MSR_ICH_LR7_EL2_X1	WORD $0xd51ccce1	// msr ich_lr7_el2, x1
#define MSR_ICH_LR8_EL2_X1	WORD $0xd51ccd01	// msr ich_lr8_el2, x1
#define MSR_ICH_LR9_EL2_X1	WORD $0xd51ccd21	// msr ich_lr9_el2, x1
#define MSR_ICH_LR10_EL2_X1	WORD $0xd51ccd41	// msr ich_lr10_el2, x1
#define MSR_ICH_LR11_EL2_X1	WORD $0xd51ccd61	// msr ich_lr11_el2, x1
#define MSR_ICH_LR12_EL2_X1	WORD $0xd51ccd81	// msr ich_lr12_el2, x1
#define MSR_ICH_LR13_EL2_X1	WORD $0xd51ccda1	// msr ich_lr13_el2, x1
#define MSR_ICH_LR14_EL2_X1	WORD $0xd51ccdc1	// msr ich_lr14_el2, x1
#define MSR_ICH_LR15_EL2_X1	WORD $0xd51ccde1	// msr ich_lr15_el2, x1
#define MRS_ICH_HCR_EL2_X0	WORD $0xd53ccb00	// mrs x0, ich_hcr_el2
#define MSR_ICH_HCR_EL2_X0	WORD $0xd51ccb00	// msr ich_hcr_el2, x0
#define MRS_ICH_VTR_EL2_X0	WORD $0xd53ccb20	// mrs x0, ich_vtr_el2
#define MRS_ICH_MISR_EL2_X0	WORD $0xd53ccb40	// mrs x0, ich_misr_el2
#define MRS_ICH_ELRSR_EL2_X0	WORD $0xd53ccba0	// mrs x0, ich_elrsr_el2
#define MSR_ICH_VMCR_EL2_X0	WORD $0xd51ccbe0	// msr ich_vmcr_el2, x0
#define MSR_ICH_AP0R0_EL2_X1	WORD $0xd51cc801	// msr ich_ap0r0_el2, x1
#define MSR_ICH_AP0R1_EL2_X1	WORD $0xd51cc821	// msr ich_ap0r1_el2, x1
#define MSR_ICH_AP0R2_EL2_X1	WORD $0xd51cc841	// msr ich_ap0r2_el2, x1
#define MSR_ICH_AP0R3_EL2_X1	WORD $0xd51cc861	// msr ich_ap0r3_el2, x1
#define MSR_ICH_AP1R0_EL2_X1	WORD $0xd51cc901	// msr ich_ap1r0_el2, x1
#define MSR_ICH_AP1R1_EL2_X1	WORD $0xd51cc921	// msr ich_ap1r1_el2, x1
#define MSR_ICH_AP1R2_EL2_X1	WORD $0xd51cc941	// msr ich_ap1r2_el2, x1
#define MSR_ICH_AP1R3_EL2_X1	WORD $0xd51cc961	// msr ich_ap1r3_el2, x1
