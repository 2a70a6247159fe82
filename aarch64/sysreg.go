package aarch64

// SysRegAccess is a trapped MSR, MRS or SYS instruction, decoded from the
// ISS of an exception with class ECSysReg (DDI 0487 D19.2 ESR_EL2, "ISS
// encoding for an exception from MSR, MRS, or System instruction execution
// in AArch64 state").
type SysRegAccess struct {
	Op0, Op1, CRn, CRm, Op2 uint8
	// Register is Rt, the general register read (MSR) or written (MRS).
	Register int
	// Read is set for MRS (Direction = 1).
	Read bool
}

// SysReg decodes e's ISS as a system register access.
func (e ESR) SysReg() SysRegAccess {
	iss := e.ISS()
	return SysRegAccess{
		Op0:      uint8(iss >> 20 & 0b11),
		Op2:      uint8(iss >> 17 & 0b111),
		Op1:      uint8(iss >> 14 & 0b111),
		CRn:      uint8(iss >> 10 & 0b1111),
		Register: int(iss >> 5 & 0b11111),
		CRm:      uint8(iss >> 1 & 0b1111),
		Read:     iss&1 == 1,
	}
}

// Is reports whether the access is to the register (op0, op1, CRn, CRm,
// op2).
func (a SysRegAccess) Is(op0, op1, crn, crm, op2 uint8) bool {
	return a.Op0 == op0 && a.Op1 == op1 && a.CRn == crn && a.CRm == crm && a.Op2 == op2
}

// IsICCSGI1R reports a write to ICC_SGI1R_EL1 (op0 3, op1 0, C12, C11, 5),
// which traps to EL2 when HCR_EL2.IMO is set: how a guest sends an SGI.
func (a SysRegAccess) IsICCSGI1R() bool { return !a.Read && a.Is(3, 0, 12, 11, 5) }
