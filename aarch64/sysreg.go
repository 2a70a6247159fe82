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

// IsPMU reports an access to a Performance Monitors register (DDI 0487
// D13.4 and C5.3 encodings): PMINTENSET_EL1 and PMINTENCLR_EL1 (op0 3,
// op1 0, C9, C14, 1-2), the EL0 registers PMCR_EL0 to PMOVSSET_EL0 (op0 3,
// op1 3, C9, C12-C14), and the event counters and type registers
// PMEVCNTR<n>_EL0, PMEVTYPER<n>_EL0 and PMCCFILTR_EL0 (op0 3, op1 3, C14,
// C8-C15). MDCR_EL2.TPM traps all of them.
func (a SysRegAccess) IsPMU() bool {
	if a.Op0 != 3 {
		return false
	}
	switch {
	case a.CRn == 9 && a.Op1 == 0:
		return a.CRm == 14 && (a.Op2 == 1 || a.Op2 == 2)
	case a.CRn == 9 && a.Op1 == 3:
		return a.CRm >= 12 && a.CRm <= 14
	case a.CRn == 14 && a.Op1 == 3:
		return a.CRm >= 8
	}
	return false
}

// SetWayOp is a data cache maintenance instruction by set/way.
type SetWayOp uint8

const (
	NotSetWay SetWayOp = iota
	DCISW              // invalidate
	DCCSW              // clean
	DCCISW             // clean and invalidate
)

// SetWay reports which DC instruction by set/way the access is (op0 1,
// op1 0, C7; ISW C6 2, CSW C10 2, CISW C14 2), which HCR_EL2.TSW traps.
func (a SysRegAccess) SetWay() SetWayOp {
	if a.Op0 != 1 || a.Op1 != 0 || a.CRn != 7 || a.Op2 != 2 || a.Read {
		return NotSetWay
	}
	switch a.CRm {
	case 6:
		return DCISW
	case 10:
		return DCCSW
	case 14:
		return DCCISW
	}
	return NotSetWay
}

// SetWayLevel is the cache level (0 for L1) a set/way operand names: its
// bits [3:1] (DDI 0487 C5.3.x, DC ISW).
func SetWayLevel(operand uint64) int { return int(operand >> 1 & 0b111) }
