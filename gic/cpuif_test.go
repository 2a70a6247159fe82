//go:build !tamago

package gic

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/board/qemuvirt"
)

func read(r SystemRegister, v uint64) sysregAccess { return sysregAccess{Reg: r, Value: v} }
func wrote(r SystemRegister, v uint64) sysregAccess {
	return sysregAccess{Write: true, Reg: r, Value: v}
}

// initCPUInterface runs InitCPUInterface on a fresh model whose
// ICC_CTLR_EL1 has the read-only bits ctlrReadOnly, and returns the model.
func initCPUInterface(t *testing.T, ctlrReadOnly uint64) *cpuInterfaceModel {
	t.Helper()
	m := &cpuInterfaceModel{ctlrReadOnly: ctlrReadOnly, log: true}
	t.Cleanup(SetSystemRegisters(m))
	require.NoError(t, InitCPUInterface())
	m.accesses = nil
	return m
}

func TestInitCPUInterface(t *testing.T) {
	// Cortex-A53 with GIC-500: 5 priority bits, 16-bit INTIDs, no RSS.
	const ctlrA53 = 0b100<<8 | 0b000<<11
	m := &cpuInterfaceModel{ctlrReadOnly: ctlrA53, log: true}
	defer SetSystemRegisters(m)()
	require.NoError(t, InitCPUInterface())
	assert.Equal(t, []sysregAccess{
		wrote(RegSRE, 0b1001), // SRE, Enable
		read(RegSRE, 0b1001),
		wrote(RegPMR, 0xff),
		wrote(RegBPR1, 0),
		wrote(RegCTLR, 0b10), // EOImode
		read(RegCTLR, 0b10|ctlrA53),
		wrote(RegIGRPEN1, 1),
	}, m.accesses)
}

func TestInitCPUInterfaceStopsWhenEL3KeepsItDisabled(t *testing.T) {
	m := &cpuInterfaceModel{sreDisabled: true, log: true}
	defer SetSystemRegisters(m)()
	assert.ErrorIs(t, InitCPUInterface(), ErrSystemRegistersDisabled)
	// Any other ICC access would be UNDEFINED.
	assert.Equal(t, []sysregAccess{wrote(RegSRE, 0b1001), read(RegSRE, 0b1000)}, m.accesses)
}

func TestAcknowledgeEndAndDeactivate(t *testing.T) {
	m := initCPUInterface(t, 0)
	// ICC_IAR1_EL1 bits [63:24] are RES0: an implementation may return
	// anything there, and the INTID is bits [23:0].
	m.iar = []uint64{27, 0xff00_0000 | 33}
	assert.Equal(t, uint32(27), Acknowledge())
	assert.Equal(t, uint32(33), Acknowledge())
	assert.Equal(t, uint32(Spurious), Acknowledge())
	EndOfInterrupt(33)
	Deactivate(33)
	assert.Equal(t, []sysregAccess{
		read(RegIAR1, 27), read(RegIAR1, 0xff00_0000|33), read(RegIAR1, Spurious),
		wrote(RegEOIR1, 33), wrote(RegDIR, 33),
	}, m.accesses)
}

// mpidr builds an MPIDR_EL1 value from its affinity fields.
func mpidr(aff3, aff2, aff1, aff0 uint64) uint64 { return aff3<<32 | aff2<<16 | aff1<<8 | aff0 }

// sgi1rCases are SGIs to one core each and their ICC_SGI1R_EL1 values
// (IHI 0069G 12.2, ICC_SGI1R_EL1: TargetList [15:0], Aff1 [23:16], INTID
// [27:24], Aff2 [39:32], IRM [40], RS [47:44], Aff3 [55:48]).
var sgi1rCases = []struct {
	name  string
	intid uint8
	mpidr uint64
	want  uint64
}{
	{"core 0", 1, qemuvirt.MPIDR(0), 0x0000_0000_0100_0001},
	{"qemu-virt core 3", 15, qemuvirt.MPIDR(3), 0x0000_0000_0f00_0008},
	{"second cluster", 0, mpidr(0, 0, 1, 2), 0x0000_0000_0001_0004},
	{"MPIDR_EL1 RES1 and MT bits ignored", 7, 0x8100_0000 | mpidr(0, 0, 1, 2), 0x0000_0000_0701_0004},
	{"Aff0 17: second range", 2, mpidr(0, 0, 0, 17), 0x0000_1000_0200_0002},
	{"every field", 3, mpidr(0x12, 0x34, 0x56, 0x78), 0x0012_7034_0356_0100},
}

func TestSGI1R(t *testing.T) {
	for _, tc := range sgi1rCases {
		v, err := SGI1R(tc.intid, tc.mpidr)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, v, "%s: got %#x", tc.name, v)
	}
	_, err := SGI1R(16, 0)
	assert.ErrorIs(t, err, ErrNotSGI)
}

func TestDecodeSGI1R(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       uint64
		intid   uint8
		irm     bool
		aff     uint64
		targets uint16
	}{
		{"cores 0 and 2", 0x0000_0000_0500_0005, 5, false, 0, 0b101},
		{"cluster 1, cores 16..31 of it", 0x0000_1000_0001_8001, 0, false, mpidr(0, 0, 1, 16), 0x8001},
		{"every field", 0x0012_7034_0356_0100, 3, false, mpidr(0x12, 0x34, 0x56, 0x70), 1 << 8},
		{"all but self", 0x0000_0100_0900_0000, 9, true, 0, 0},
		// RES0 bits [31:28], [43:41] and [63:56] set: ignored.
		{"reserved bits", 0xff00_0e00_f200_0001, 2, false, 0, 1},
	} {
		intid, irm, aff, targets := DecodeSGI1R(tc.v)
		assert.Equal(t, tc.intid, intid, tc.name)
		assert.Equal(t, tc.irm, irm, tc.name)
		assert.Equal(t, tc.aff, aff, "%s: affinity %#x", tc.name, aff)
		assert.Equal(t, tc.targets, targets, tc.name)
	}
}

func TestDecodeSGI1RFindsTheEncodedCore(t *testing.T) {
	for _, tc := range sgi1rCases {
		intid, irm, aff, targets := DecodeSGI1R(tc.want)
		require.False(t, irm, tc.name)
		require.Equal(t, 1, onesCount(targets), tc.name)
		assert.Equal(t, tc.intid, intid, tc.name)
		target := aff + uint64(lowestBit(targets))
		assert.Equal(t, tc.mpidr&0xff_00ff_ffff, target, tc.name)
	}
}

func onesCount(v uint16) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

func lowestBit(v uint16) int {
	n := 0
	for v&1 == 0 {
		v >>= 1
		n++
	}
	return n
}

func TestSendSGI(t *testing.T) {
	for _, tc := range []struct {
		name         string
		ctlrReadOnly uint64
		intid        uint8
		mpidr        uint64
		want         []sysregAccess
		wantErr      error
	}{
		{"qemu-virt core 3", 0, 1, qemuvirt.MPIDR(3),
			[]sysregAccess{wrote(RegSGI1R, 0x0100_0008)}, nil},
		{"Aff0 16 without range selector", 0, 1, mpidr(0, 0, 0, 16), nil, ErrSGITargetUnreachable},
		{"Aff0 16 with range selector", ctlrRSS, 1, mpidr(0, 0, 0, 16),
			[]sysregAccess{wrote(RegSGI1R, 0x0000_1000_0100_0001)}, nil},
		{"Aff3 without A3V", ctlrRSS, 1, mpidr(1, 0, 0, 0), nil, ErrSGITargetUnreachable},
		{"Aff3 with A3V", ctlrA3V, 1, mpidr(1, 0, 0, 0),
			[]sysregAccess{wrote(RegSGI1R, 0x0001_0000_0100_0001)}, nil},
		{"a PPI", 0, 16, qemuvirt.MPIDR(1), nil, ErrNotSGI},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := initCPUInterface(t, tc.ctlrReadOnly)
			assert.ErrorIs(t, SendSGI(tc.intid, tc.mpidr), tc.wantErr)
			assert.Equal(t, tc.want, m.accesses)
		})
	}
}

func TestCPUInterfaceTrapPathOperationsAllocateNothing(t *testing.T) {
	m := initCPUInterface(t, 0)
	m.log = false
	allocs := testing.AllocsPerRun(100, func() {
		intid := Acknowledge()
		EndOfInterrupt(intid)
		Deactivate(intid)
		_ = SendSGI(1, qemuvirt.MPIDR(2))
		_ = SendSGI(1, mpidr(0, 0, 0, 16)) // the error path too
		_, _ = SGI1R(3, qemuvirt.MPIDR(1))
		_, _, _, _ = DecodeSGI1R(0x0100_0008)
	})
	assert.Zero(t, allocs)
}
