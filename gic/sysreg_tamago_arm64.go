//go:build tamago && arm64

package gic

// This core's CPU interface system registers, in sysreg_tamago_arm64.s.
func readSRE() uint64       // ICC_SRE_EL2
func writeSRE(v uint64)     // ICC_SRE_EL2, then ISB
func writePMR(v uint64)     // ICC_PMR_EL1
func writeBPR1(v uint64)    // ICC_BPR1_EL1
func readCTLR() uint64      // ICC_CTLR_EL1
func writeCTLR(v uint64)    // ICC_CTLR_EL1
func writeIGRPEN1(v uint64) // ICC_IGRPEN1_EL1, then ISB
func readIAR1() uint64      // ICC_IAR1_EL1
func writeEOIR1(v uint64)   // ICC_EOIR1_EL1, then ISB
func writeDIR(v uint64)     // ICC_DIR_EL1, then ISB
func writeSGI1R(v uint64)   // DSB ISHST, ICC_SGI1R_EL1, then ISB
