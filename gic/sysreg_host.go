//go:build !tamago

package gic

import "fmt"

// SystemRegister names a CPU interface system register the driver uses,
// for the simulated register file of host tests.
type SystemRegister uint8

const (
	RegSRE     SystemRegister = iota // ICC_SRE_EL2
	RegPMR                           // ICC_PMR_EL1
	RegBPR1                          // ICC_BPR1_EL1
	RegCTLR                          // ICC_CTLR_EL1
	RegIGRPEN1                       // ICC_IGRPEN1_EL1
	RegIAR1                          // ICC_IAR1_EL1
	RegEOIR1                         // ICC_EOIR1_EL1
	RegDIR                           // ICC_DIR_EL1
	RegSGI1R                         // ICC_SGI1R_EL1
)

var systemRegisterNames = [...]string{
	RegSRE:     "ICC_SRE_EL2",
	RegPMR:     "ICC_PMR_EL1",
	RegBPR1:    "ICC_BPR1_EL1",
	RegCTLR:    "ICC_CTLR_EL1",
	RegIGRPEN1: "ICC_IGRPEN1_EL1",
	RegIAR1:    "ICC_IAR1_EL1",
	RegEOIR1:   "ICC_EOIR1_EL1",
	RegDIR:     "ICC_DIR_EL1",
	RegSGI1R:   "ICC_SGI1R_EL1",
}

func (r SystemRegister) String() string {
	if int(r) < len(systemRegisterNames) {
		return systemRegisterNames[r]
	}
	return fmt.Sprintf("SystemRegister(%d)", uint8(r))
}

// SystemRegisters is a simulated CPU interface for host tests: the
// driver's MRS and MSR instructions become these calls.
type SystemRegisters interface {
	ReadSystemRegister(r SystemRegister) uint64
	WriteSystemRegister(r SystemRegister, v uint64)
}

var systemRegisters SystemRegisters

// SetSystemRegisters installs the simulated CPU interface host accesses go
// to and returns a function that restores the previous one.
func SetSystemRegisters(s SystemRegisters) (restore func()) {
	prev := systemRegisters
	systemRegisters = s
	return func() { systemRegisters = prev }
}

func mustSystemRegisters() SystemRegisters {
	if systemRegisters == nil {
		panic("gic: CPU interface access on the host without simulated system registers (gic.SetSystemRegisters)")
	}
	return systemRegisters
}

func readSRE() uint64       { return mustSystemRegisters().ReadSystemRegister(RegSRE) }
func writeSRE(v uint64)     { mustSystemRegisters().WriteSystemRegister(RegSRE, v) }
func writePMR(v uint64)     { mustSystemRegisters().WriteSystemRegister(RegPMR, v) }
func writeBPR1(v uint64)    { mustSystemRegisters().WriteSystemRegister(RegBPR1, v) }
func readCTLR() uint64      { return mustSystemRegisters().ReadSystemRegister(RegCTLR) }
func writeCTLR(v uint64)    { mustSystemRegisters().WriteSystemRegister(RegCTLR, v) }
func writeIGRPEN1(v uint64) { mustSystemRegisters().WriteSystemRegister(RegIGRPEN1, v) }
func readIAR1() uint64      { return mustSystemRegisters().ReadSystemRegister(RegIAR1) }
func writeEOIR1(v uint64)   { mustSystemRegisters().WriteSystemRegister(RegEOIR1, v) }
func writeDIR(v uint64)     { mustSystemRegisters().WriteSystemRegister(RegDIR, v) }
func writeSGI1R(v uint64)   { mustSystemRegisters().WriteSystemRegister(RegSGI1R, v) }
