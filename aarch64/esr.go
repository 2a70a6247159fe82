// Package aarch64 holds AArch64 architecture knowledge that both the host
// tools and the firmware need as plain, testable Go: exception syndrome
// decoding (ESR_ELx), fault status codes, saved program status (SPSR),
// MPIDR affinity, and the PSCI/SMCCC function IDs and return codes.
//
// Nothing here touches a register; the firmware reads the registers and
// hands the values to these decoders. Every decoder returns static strings
// and allocates nothing, so exception and trap paths may use it.
//
// References: Arm Architecture Reference Manual for A-profile (DDI 0487),
// D19.2 "ESR_EL2, Exception Syndrome Register (EL2)" and its ISS encodings;
// Arm Power State Coordination Interface (DEN 0022); SMC Calling Convention
// (DEN 0028).
package aarch64

// ESR is an Exception Syndrome Register value.
type ESR uint64

// ExceptionClass is ESR_ELx.EC, bits [31:26].
type ExceptionClass uint8

// Exception classes (DDI 0487 D19.2 ESR_EL2.EC).
const (
	ECUnknown           ExceptionClass = 0x00
	ECWFx               ExceptionClass = 0x01
	ECFPAccess          ExceptionClass = 0x07
	ECIllegalState      ExceptionClass = 0x0e
	ECSVC64             ExceptionClass = 0x15
	ECHVC64             ExceptionClass = 0x16
	ECSMC64             ExceptionClass = 0x17
	ECSysReg            ExceptionClass = 0x18
	ECInstrAbortLower   ExceptionClass = 0x20
	ECInstrAbortSame    ExceptionClass = 0x21
	ECPCAlignment       ExceptionClass = 0x22
	ECDataAbortLower    ExceptionClass = 0x24
	ECDataAbortSame     ExceptionClass = 0x25
	ECSPAlignment       ExceptionClass = 0x26
	ECFPException64     ExceptionClass = 0x2c
	ECSError            ExceptionClass = 0x2f
	ECBreakpointLower   ExceptionClass = 0x30
	ECBreakpointSame    ExceptionClass = 0x31
	ECSoftwareStepLower ExceptionClass = 0x32
	ECSoftwareStepSame  ExceptionClass = 0x33
	ECWatchpointLower   ExceptionClass = 0x34
	ECWatchpointSame    ExceptionClass = 0x35
	ECBRK64             ExceptionClass = 0x3c
	ECBranchTarget      ExceptionClass = 0x0d
	ECTrappedMCRMRC15   ExceptionClass = 0x03
	ECPointerAuthTrap   ExceptionClass = 0x09
	ECSVEAccess         ExceptionClass = 0x19
)

var classNames = [64]string{
	ECUnknown:           "Unknown reason",
	ECWFx:               "Trapped WFI or WFE instruction",
	ECTrappedMCRMRC15:   "Trapped MCR or MRC access (coproc 0b1111)",
	ECFPAccess:          "Access to SIMD or floating-point registers trapped",
	ECPointerAuthTrap:   "Pointer authentication trap",
	ECBranchTarget:      "Branch Target Exception",
	ECIllegalState:      "Illegal Execution state",
	ECSVC64:             "SVC instruction execution in AArch64 state",
	ECHVC64:             "HVC instruction execution in AArch64 state",
	ECSMC64:             "SMC instruction execution in AArch64 state",
	ECSysReg:            "Trapped MSR, MRS or System instruction execution in AArch64 state",
	ECSVEAccess:         "Access to SVE functionality trapped",
	ECInstrAbortLower:   "Instruction Abort from a lower Exception level",
	ECInstrAbortSame:    "Instruction Abort taken without a change in Exception level",
	ECPCAlignment:       "PC alignment fault",
	ECDataAbortLower:    "Data Abort from a lower Exception level",
	ECDataAbortSame:     "Data Abort taken without a change in Exception level",
	ECSPAlignment:       "SP alignment fault",
	ECFPException64:     "Trapped floating-point exception taken from AArch64 state",
	ECSError:            "SError interrupt",
	ECBreakpointLower:   "Breakpoint exception from a lower Exception level",
	ECBreakpointSame:    "Breakpoint exception taken without a change in Exception level",
	ECSoftwareStepLower: "Software Step exception from a lower Exception level",
	ECSoftwareStepSame:  "Software Step exception taken without a change in Exception level",
	ECWatchpointLower:   "Watchpoint exception from a lower Exception level",
	ECWatchpointSame:    "Watchpoint exception taken without a change in Exception level",
	ECBRK64:             "BRK instruction execution in AArch64 state",
}

// String names the class in the words of the Arm ARM.
func (c ExceptionClass) String() string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return "Reserved or unallocated exception class"
}

// Class returns the exception class.
func (e ESR) Class() ExceptionClass { return ExceptionClass(e >> 26 & 0x3f) }

// ISS returns the instruction specific syndrome, bits [24:0].
func (e ESR) ISS() uint32 { return uint32(e & 0x1ff_ffff) }

// Is32BitInstruction reports ESR.IL: the trapped instruction was 32 bits.
func (e ESR) Is32BitInstruction() bool { return e>>25&1 == 1 }

// IsAbort reports whether the class is an instruction or data abort, whose
// ISS carries a fault status code and whose FAR is meaningful.
func (c ExceptionClass) IsAbort() bool {
	switch c {
	case ECInstrAbortLower, ECInstrAbortSame, ECDataAbortLower, ECDataAbortSame, ECPCAlignment, ECWatchpointLower, ECWatchpointSame:
		return true
	}
	return false
}

// FaultStatus returns the IFSC/DFSC field, ISS bits [5:0], of an abort.
func (e ESR) FaultStatus() FaultStatus { return FaultStatus(e & 0x3f) }

// DataAbort decodes the ISS of a data abort (DDI 0487 D19.2, "ISS encoding
// for an exception from a Data Abort").
type DataAbort struct {
	// Valid is ISV: the fields below describe the access
	// (only for single general-purpose register loads and stores).
	Valid bool
	// SizeBytes is 1, 2, 4 or 8 (SAS).
	SizeBytes int
	// SignExtend is SSE; Register is SRT (31 means XZR/WZR for stores);
	// Sixty4 is SF (the register is 64-bit).
	SignExtend bool
	Register   int
	Sixty4     bool
	// Write is WnR: the access was a write.
	Write bool
	// S1PTW: the fault happened on a stage-2 walk of a stage-1 table.
	S1PTW bool
	// FnV: FAR is not valid.
	FARNotValid bool
	Status      FaultStatus
}

// DataAbort decodes e's ISS as a data abort's.
func (e ESR) DataAbort() DataAbort {
	iss := e.ISS()
	return DataAbort{
		Valid:       iss>>24&1 == 1,
		SizeBytes:   1 << (iss >> 22 & 3),
		SignExtend:  iss>>21&1 == 1,
		Register:    int(iss >> 16 & 0x1f),
		Sixty4:      iss>>15&1 == 1,
		FARNotValid: iss>>10&1 == 1,
		S1PTW:       iss>>7&1 == 1,
		Write:       iss>>6&1 == 1,
		Status:      FaultStatus(iss & 0x3f),
	}
}

// FaultStatus is an instruction or data fault status code (IFSC/DFSC).
type FaultStatus uint8

// Level returns the translation table level a translation, access flag or
// permission fault occurred at (0..3), or -1 for other faults.
func (s FaultStatus) Level() int {
	switch s & 0x3c {
	case 0x04, 0x08, 0x0c:
		return int(s & 3)
	}
	return -1
}

// String names the fault (DDI 0487 D19.2, DFSC encodings).
func (s FaultStatus) String() string {
	switch s & 0x3c {
	case 0x00:
		return "address size fault"
	case 0x04:
		return "translation fault"
	case 0x08:
		return "access flag fault"
	case 0x0c:
		return "permission fault"
	}
	switch s {
	case 0x10:
		return "synchronous external abort"
	case 0x11:
		return "synchronous tag check fault"
	case 0x14, 0x15, 0x16, 0x17:
		return "synchronous external abort on translation table walk"
	case 0x18:
		return "synchronous parity or ECC error"
	case 0x21:
		return "alignment fault"
	case 0x30:
		return "TLB conflict abort"
	case 0x31:
		return "unsupported atomic hardware update fault"
	case 0x34:
		return "implementation defined fault (lockdown)"
	case 0x35:
		return "implementation defined fault (unsupported exclusive or atomic access)"
	}
	return "reserved fault status"
}
