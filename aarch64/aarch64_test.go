package aarch64

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestESRDecoding(t *testing.T) {
	for _, tc := range []struct {
		esr   ESR
		class string
		abort bool
		fault string
		level int
	}{
		// Write to read-only text at EL2: DFSC 0x0f, permission level 3.
		{0x979f_004f, "Data Abort taken without a change in Exception level", true, "permission fault", 3},
		// Guest access to an unmapped IPA: translation fault level 2.
		{0x9200_0046, "Data Abort from a lower Exception level", true, "translation fault", 2},
		{0x8200_0005, "Instruction Abort from a lower Exception level", true, "translation fault", 1},
		{0x5a00_0000, "HVC instruction execution in AArch64 state", false, "", 0},
		{0x5e00_0000, "SMC instruction execution in AArch64 state", false, "", 0},
		{0x0600_0001, "Trapped WFI or WFE instruction", false, "", 0},
		{0x6200_0000, "Trapped MSR, MRS or System instruction execution in AArch64 state", false, "", 0},
		{0xbe00_0000, "SError interrupt", false, "", 0},
		{0xf200_0000, "BRK instruction execution in AArch64 state", false, "", 0},
		{0x0200_0000, "Unknown reason", false, "", 0},
		{0xfc00_0000, "Reserved or unallocated exception class", false, "", 0},
	} {
		assert.Equal(t, tc.class, tc.esr.Class().String(), "ESR %#x", uint64(tc.esr))
		assert.Equal(t, tc.abort, tc.esr.Class().IsAbort(), "ESR %#x", uint64(tc.esr))
		if tc.abort {
			assert.Equal(t, tc.fault, tc.esr.FaultStatus().String(), "ESR %#x", uint64(tc.esr))
			assert.Equal(t, tc.level, tc.esr.FaultStatus().Level(), "ESR %#x", uint64(tc.esr))
		}
	}
}

func TestDataAbortSyndrome(t *testing.T) {
	// ISV, SAS=word, SRT=x3, SF=0, WnR: a guest's 32-bit store of w3.
	da := ESR(0x9300_0046 | 1<<24 | 2<<22 | 3<<16).DataAbort()
	assert.Equal(t, DataAbort{Valid: true, SizeBytes: 4, Register: 3, Write: true, Status: 0x06}, da)
	// 64-bit load into x30, sign-extended byte size, S1PTW, FnV.
	da = ESR(0x9200_0000 | 1<<24 | 1<<21 | 30<<16 | 1<<15 | 1<<10 | 1<<7 | 0x07).DataAbort()
	assert.Equal(t, DataAbort{Valid: true, SizeBytes: 1, SignExtend: true, Register: 30, Sixty4: true,
		FARNotValid: true, S1PTW: true, Status: 0x07}, da)
}

func TestFaultStatusNames(t *testing.T) {
	for status, name := range map[FaultStatus]string{
		0x00: "address size fault", 0x05: "translation fault", 0x0b: "access flag fault",
		0x0d: "permission fault", 0x10: "synchronous external abort", 0x21: "alignment fault",
		0x15: "synchronous external abort on translation table walk", 0x30: "TLB conflict abort",
		0x3f: "reserved fault status",
	} {
		assert.Equal(t, name, status.String(), "%#x", uint8(status))
	}
	assert.Equal(t, -1, FaultStatus(0x21).Level())
}

func TestSPSR(t *testing.T) {
	for _, tc := range []struct {
		spsr   SPSR
		mode   string
		el     int
		masked string
	}{
		{0x3c9, "EL2h", 2, "DAIF"},
		{0x3c5, "EL1h", 1, "DAIF"},
		{0x004, "EL1t", 1, "----"},
		{0x080, "EL0t", 0, "--I-"},
		{0x010, "AArch32", 0, "----"},
		{0x002, "illegal", 0, "----"},
	} {
		assert.Equal(t, tc.mode, tc.spsr.Mode(), "%#x", uint64(tc.spsr))
		assert.Equal(t, tc.el, tc.spsr.ExceptionLevel(), "%#x", uint64(tc.spsr))
		m := tc.spsr.Masked()
		assert.Equal(t, tc.masked, string(m[:]), "%#x", uint64(tc.spsr))
	}
}

func TestPSCI(t *testing.T) {
	assert.Equal(t, "success", PSCIReturnString(PSCISuccess))
	assert.Equal(t, "invalid parameters", PSCIReturnString(PSCIInvalidParams))
	assert.Equal(t, "already on", PSCIReturnString(PSCIAlreadyOn))
	assert.Equal(t, "invalid address", PSCIReturnString(PSCIInvalidAddress))
	assert.Equal(t, "unknown return code", PSCIReturnString(-10))
	assert.Equal(t, "unknown return code", PSCIReturnString(1))
	assert.Equal(t, uint64(0x01_0203), MPIDR(0x8000_0000_0001_0203).Affinity()&0xffffff)
	assert.Equal(t, uint64(0xab_0001_0203), MPIDR(0x80ab_4001_0203).Affinity())
}

// Decoders run on trap and exception paths: no allocation.
func TestDecodersAllocateNothing(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		e := ESR(0x979f_004f)
		_ = e.Class().String()
		_ = e.DataAbort()
		_ = e.FaultStatus().String()
		_ = SPSR(0x3c9).Mode()
		_ = SPSR(0x3c9).Masked()
		_ = PSCIReturnString(-2)
	})
	assert.Zero(t, allocs)
}

func TestSysRegDecoding(t *testing.T) {
	// msr icc_sgi1r_el1, x5: op0 3, op2 5, op1 0, CRn 12, Rt 5, CRm 11, write.
	iss := uint64(3)<<20 | 5<<17 | 0<<14 | 12<<10 | 5<<5 | 11<<1 | 0
	a := ESR(0x18<<26 | 1<<25 | iss).SysReg()
	assert.Equal(t, SysRegAccess{Op0: 3, Op1: 0, CRn: 12, CRm: 11, Op2: 5, Register: 5}, a)
	assert.True(t, a.IsICCSGI1R())
	// mrs x0, cntp_ctl_el0 (op0 3, op1 3, C14, C2, 1), a read.
	iss = uint64(3)<<20 | 1<<17 | 3<<14 | 14<<10 | 0<<5 | 2<<1 | 1
	a = ESR(0x18<<26 | 1<<25 | iss).SysReg()
	assert.True(t, a.Read)
	assert.True(t, a.Is(3, 3, 14, 2, 1))
	assert.False(t, a.IsICCSGI1R())
}

func sysregISS(op0, op1, crn, crm, op2 uint8, read bool) ESR {
	iss := uint64(op0)<<20 | uint64(op2)<<17 | uint64(op1)<<14 | uint64(crn)<<10 | uint64(crm)<<1
	if read {
		iss |= 1
	}
	return ESR(uint64(ECSysReg)<<26 | 1<<25 | iss)
}

func TestIsPMU(t *testing.T) {
	for _, c := range []struct {
		name                    string
		op0, op1, crn, crm, op2 uint8
		pmu                     bool
	}{
		{"PMCR_EL0", 3, 3, 9, 12, 0, true},
		{"PMCCNTR_EL0", 3, 3, 9, 13, 0, true},
		{"PMUSERENR_EL0", 3, 3, 9, 14, 0, true},
		{"PMOVSSET_EL0", 3, 3, 9, 14, 3, true},
		{"PMINTENSET_EL1", 3, 0, 9, 14, 1, true},
		{"PMINTENCLR_EL1", 3, 0, 9, 14, 2, true},
		{"PMEVCNTR0_EL0", 3, 3, 14, 8, 0, true},
		{"PMEVTYPER30_EL0", 3, 3, 14, 15, 6, true},
		{"PMCCFILTR_EL0", 3, 3, 14, 15, 7, true},
		{"CNTP_CTL_EL0", 3, 3, 14, 2, 1, false},
		{"CNTV_CVAL_EL0", 3, 3, 14, 3, 2, false},
		{"ICC_SGI1R_EL1", 3, 0, 12, 11, 5, false},
		{"PMSCR_EL1 (SPE, op1 0 C9 C9)", 3, 0, 9, 9, 0, false},
		{"DBGBVR0_EL1", 2, 0, 0, 0, 4, false},
	} {
		a := sysregISS(c.op0, c.op1, c.crn, c.crm, c.op2, true).SysReg()
		assert.Equal(t, c.pmu, a.IsPMU(), c.name)
	}
}

func TestSetWay(t *testing.T) {
	assert.Equal(t, DCISW, sysregISS(1, 0, 7, 6, 2, false).SysReg().SetWay())
	assert.Equal(t, DCCSW, sysregISS(1, 0, 7, 10, 2, false).SysReg().SetWay())
	assert.Equal(t, DCCISW, sysregISS(1, 0, 7, 14, 2, false).SysReg().SetWay())
	assert.Equal(t, NotSetWay, sysregISS(1, 3, 7, 14, 1, false).SysReg().SetWay(), "DC CIVAC is by address")
	assert.Equal(t, NotSetWay, sysregISS(1, 0, 7, 6, 1, false).SysReg().SetWay(), "DC IVAC is by address")
	assert.Equal(t, 0, SetWayLevel(0x8000_0040))
	assert.Equal(t, 1, SetWayLevel(0x8000_0042))
}
