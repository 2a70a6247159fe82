package psci

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tamavisor/tamavisor/aarch64"
	"github.com/tamavisor/tamavisor/board"
)

// The partition most tests use: three vCPUs on cores 0, 2 and 3, and two
// RAM regions.
const (
	testCPUMask  = 0b1101
	ramBase      = 0x4800_0000
	ramSize      = 64 << 20
	smallRAMBase = 0x6000_0000
	smallRAMSize = 0x1000
)

var testRAM = []board.Region{{Base: ramBase, Size: ramSize}, {Base: smallRAMBase, Size: smallRAMSize}}

// Short names keep the tables' state columns readable.
const (
	off     = PowerOff
	pend    = PowerOnPending
	on      = PowerOn
	claimed = powerClaimed
)

// PSCI function IDs aarch64 does not name, for calls that must be refused.
const (
	cpuSuspend32      = 0x8400_0001
	migrate64         = 0xc400_0005
	migrateInfoUpCPU  = 0x8400_0007
	systemSuspend64   = 0xc400_000e
	systemReset2_64   = 0xc400_0012
	memProtect        = 0x8400_0013
	smcccArchSoCID    = 0x8000_0002
	vendorHypService  = 0xc600_0000
	yieldingPSCIValue = 0x0400_0000 // PSCI_VERSION with the fast-call bit clear
)

// newTestPartition returns the view of the core running vCPU self on a
// fresh State.
func newTestPartition(t testing.TB, self int) *Partition {
	t.Helper()
	core, ok := CoreOfVCPU(testCPUMask, self)
	require.True(t, ok)
	p, err := NewPartition(new(State), testCPUMask, core, testRAM)
	require.NoError(t, err)
	return &p
}

// setState makes the State hold powers and request, as if a run of calls
// had led there; it allocates nothing.
func setState(s *State, powers []PowerState, request Request) {
	running := uint32(0)
	for i := range s.vcpus {
		power := off
		if i < len(powers) {
			power = powers[i]
		}
		s.vcpus[i].power.Store(uint32(power))
		s.vcpus[i].entry.Store(0)
		s.vcpus[i].context.Store(0)
		if power != off {
			running++
		}
	}
	s.running.Store(running)
	s.request.Store(uint32(request))
}

// storedPowers returns the stored power state of the partition's vCPUs,
// powerClaimed included.
func storedPowers(p *Partition) []PowerState {
	powers := make([]PowerState, p.vcpus)
	for i := range powers {
		powers[i] = PowerState(p.state.vcpus[i].power.Load())
	}
	return powers
}

type callCase struct {
	name string
	// The caller and the state before the call.
	self    int
	prior   []PowerState
	request Request
	// The call.
	fn, x1, x2, x3 uint64
	// What the guest finds in x0 and what the hypervisor must do.
	x0     int64
	action Action
	// For ActionWake: the vCPU, its core, and where it starts.
	wake, wakeCore int
	entry, context uint64
	// The state after the call; nil when the call changes nothing.
	after        []PowerState
	afterRequest Request
}

var callCases = []callCase{
	// PSCI_VERSION, and how function IDs are read.
	{name: "PSCI_VERSION is 1.1", prior: []PowerState{on, off, off}, fn: aarch64.PSCIVersion, x0: 0x1_0001},
	{name: "the function ID is w0: upper half of x0 ignored", prior: []PowerState{on, off, off}, fn: 0xffff_ffff_0000_0000 | aarch64.PSCIVersion, x0: 0x1_0001},
	{name: "PSCI_VERSION has no SMC64 variant", prior: []PowerState{on, off, off}, fn: aarch64.PSCIVersion | smc64, x0: -1},
	{name: "PSCI_VERSION as a yielding call", prior: []PowerState{on, off, off}, fn: yieldingPSCIValue, x0: -1},

	// PSCI_FEATURES: 0 for every function Call implements.
	{name: "FEATURES(PSCI_VERSION)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCIVersion, x0: 0},
	{name: "FEATURES(PSCI_FEATURES)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCIFeatures, x0: 0},
	{name: "FEATURES(CPU_ON 32)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCICPUOn32, x0: 0},
	{name: "FEATURES(CPU_ON 64)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCICPUOn64, x0: 0},
	{name: "FEATURES(CPU_OFF)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCICPUOff, x0: 0},
	{name: "FEATURES(AFFINITY_INFO 32)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCIAffinityInfo32, x0: 0},
	{name: "FEATURES(AFFINITY_INFO 64)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCIAffinityInfo64, x0: 0},
	{name: "FEATURES(MIGRATE_INFO_TYPE)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCIMigrateInfoType, x0: 0},
	{name: "FEATURES(SYSTEM_OFF)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCISystemOff, x0: 0},
	{name: "FEATURES(SYSTEM_RESET)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCISystemReset, x0: 0},
	{name: "FEATURES(SMCCC_VERSION) tells SMCCC 1.1 callers it exists", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.SMCCCVersion, x0: 0},
	{name: "FEATURES reads w1 only", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: 0xdead_beef_0000_0000 | aarch64.PSCICPUOff, x0: 0},
	{name: "FEATURES(CPU_SUSPEND 64)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.PSCICPUSuspend64, x0: -1},
	{name: "FEATURES(CPU_SUSPEND 32)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: cpuSuspend32, x0: -1},
	{name: "FEATURES(MIGRATE)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: migrate64, x0: -1},
	{name: "FEATURES(SYSTEM_SUSPEND)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: systemSuspend64, x0: -1},
	{name: "FEATURES(SYSTEM_RESET2)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: systemReset2_64, x0: -1},
	{name: "FEATURES(SMCCC_ARCH_FEATURES) is not a PSCI question", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: aarch64.SMCCCArchFeatures, x0: -1},
	{name: "FEATURES(function ID 0)", prior: []PowerState{on, off, off}, fn: aarch64.PSCIFeatures, x1: 0, x0: -1},

	// CPU_ON: success.
	{name: "CPU_ON 64 starts an OFF vCPU", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: ramBase, x3: 0x1234_5678_9abc_def0,
		action: ActionWake, wake: 1, wakeCore: 2, entry: ramBase, context: 0x1234_5678_9abc_def0, after: []PowerState{on, pend, off}},
	{name: "CPU_ON 64 at the last instruction of RAM", self: 1, prior: []PowerState{off, on, off}, fn: aarch64.PSCICPUOn64, x1: 0, x2: ramBase + ramSize - 4,
		action: ActionWake, wake: 0, wakeCore: 0, entry: ramBase + ramSize - 4, after: []PowerState{pend, on, off}},
	{name: "CPU_ON 64 into the second RAM region", prior: []PowerState{on, on, off}, fn: aarch64.PSCICPUOn64, x1: 2, x2: smallRAMBase + smallRAMSize - 4, x3: 7,
		action: ActionWake, wake: 2, wakeCore: 3, entry: smallRAMBase + smallRAMSize - 4, context: 7, after: []PowerState{on, on, pend}},
	{name: "CPU_ON 32 reads w1..w3 only", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn32,
		x1: 0xffff_ffff_0000_0002, x2: 0xffff_ffff_0000_0000 | ramBase + 0x1000, x3: 0x1_0000_0005,
		action: ActionWake, wake: 2, wakeCore: 3, entry: ramBase + 0x1000, context: 5, after: []PowerState{on, off, pend}},

	// CPU_ON: the target.
	{name: "CPU_ON of a vCPU the partition lacks", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 3, x2: ramBase, x0: aarch64.PSCIInvalidParams},
	{name: "CPU_ON of Aff1 = 1", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 0x100, x2: ramBase, x0: aarch64.PSCIInvalidParams},
	{name: "CPU_ON of Aff3 = 1", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 0x1_0000_0001, x2: ramBase, x0: aarch64.PSCIInvalidParams},
	{name: "CPU_ON with a non-affinity MPIDR bit set", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 0x8000_0001, x2: ramBase, x0: aarch64.PSCIInvalidParams},
	{name: "CPU_ON with bad target and bad entry reports the target", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 3, x2: 2, x0: aarch64.PSCIInvalidParams},

	// CPU_ON: the entry point.
	{name: "CPU_ON at an unaligned entry", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: ramBase + 2, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON just below RAM", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: ramBase - 4, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON just past RAM", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: ramBase + ramSize, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON just past the second region", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: smallRAMBase + smallRAMSize, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON at address 0", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: 0, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON 64 keeps the entry's upper half", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: 1<<32 | ramBase, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON at the top of the address space", prior: []PowerState{on, off, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: 0xffff_ffff_ffff_fffc, x0: aarch64.PSCIInvalidAddress},
	{name: "CPU_ON with a bad entry to an ON vCPU reports the entry", prior: []PowerState{on, on, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: 4, x0: aarch64.PSCIInvalidAddress},

	// CPU_ON: the target's state.
	{name: "CPU_ON of an ON vCPU", prior: []PowerState{on, on, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: ramBase, x0: aarch64.PSCIAlreadyOn},
	{name: "CPU_ON of the caller itself", self: 2, prior: []PowerState{off, off, on}, fn: aarch64.PSCICPUOn64, x1: 2, x2: ramBase, x0: aarch64.PSCIAlreadyOn},
	{name: "CPU_ON of a pending vCPU", prior: []PowerState{on, pend, off}, fn: aarch64.PSCICPUOn64, x1: 1, x2: ramBase, x0: aarch64.PSCIOnPending},
	{name: "CPU_ON of a vCPU another CPU_ON is claiming", prior: []PowerState{on, claimed, on}, fn: aarch64.PSCICPUOn32, x1: 1, x2: ramBase, x0: aarch64.PSCIOnPending},

	// CPU_OFF.
	{name: "CPU_OFF parks the caller", self: 1, prior: []PowerState{on, on, off}, fn: aarch64.PSCICPUOff,
		action: ActionPark, after: []PowerState{on, off, off}},
	{name: "CPU_OFF ignores its arguments", self: 2, prior: []PowerState{on, off, on}, fn: aarch64.PSCICPUOff, x1: 1, x2: 2, x3: 3,
		action: ActionPark, after: []PowerState{on, off, off}},
	{name: "CPU_OFF while another vCPU is pending parks", prior: []PowerState{on, pend, off}, fn: aarch64.PSCICPUOff,
		action: ActionPark, after: []PowerState{off, pend, off}},
	{name: "CPU_OFF of the last running vCPU stops the partition", self: 1, prior: []PowerState{off, on, off}, fn: aarch64.PSCICPUOff,
		action: ActionStop, after: []PowerState{off, off, off}, afterRequest: RequestSystemOff},
	{name: "CPU_OFF of the last vCPU after a SYSTEM_RESET request restarts", prior: []PowerState{on, off, off}, request: RequestSystemReset, fn: aarch64.PSCICPUOff,
		action: ActionRestart, after: []PowerState{off, off, off}, afterRequest: RequestSystemReset},
	{name: "CPU_OFF of a vCPU the State does not show ON", prior: []PowerState{off, on, off}, fn: aarch64.PSCICPUOff, x0: aarch64.PSCIDenied},

	// AFFINITY_INFO.
	{name: "AFFINITY_INFO of an ON vCPU", prior: []PowerState{on, off, pend}, fn: aarch64.PSCIAffinityInfo64, x1: 0, x0: 0},
	{name: "AFFINITY_INFO of an OFF vCPU", prior: []PowerState{on, off, pend}, fn: aarch64.PSCIAffinityInfo64, x1: 1, x0: 1},
	{name: "AFFINITY_INFO of a pending vCPU", prior: []PowerState{on, off, pend}, fn: aarch64.PSCIAffinityInfo64, x1: 2, x0: 2},
	{name: "AFFINITY_INFO of a claimed vCPU", prior: []PowerState{on, off, claimed}, fn: aarch64.PSCIAffinityInfo64, x1: 2, x0: 2},
	{name: "AFFINITY_INFO 32 reads w1 and w2 only", prior: []PowerState{on, off, pend}, fn: aarch64.PSCIAffinityInfo32,
		x1: 0xffff_ffff_0000_0002, x2: 0xffff_ffff_0000_0000, x0: 2},
	{name: "AFFINITY_INFO at level 1", prior: []PowerState{on, off, off}, fn: aarch64.PSCIAffinityInfo64, x1: 0, x2: 1, x0: aarch64.PSCIInvalidParams},
	{name: "AFFINITY_INFO of a vCPU the partition lacks", prior: []PowerState{on, off, off}, fn: aarch64.PSCIAffinityInfo64, x1: 3, x0: aarch64.PSCIInvalidParams},
	{name: "AFFINITY_INFO of Aff3 = 1", prior: []PowerState{on, off, off}, fn: aarch64.PSCIAffinityInfo64, x1: 1 << 32, x0: aarch64.PSCIInvalidParams},

	// MIGRATE_INFO_TYPE.
	{name: "MIGRATE_INFO_TYPE: no Trusted OS to migrate", prior: []PowerState{on, off, off}, fn: aarch64.PSCIMigrateInfoType, x0: 2},

	// SYSTEM_OFF and SYSTEM_RESET.
	{name: "SYSTEM_OFF stops the partition", prior: []PowerState{on, on, pend}, fn: aarch64.PSCISystemOff,
		action: ActionStop, afterRequest: RequestSystemOff},
	{name: "SYSTEM_RESET restarts the partition", self: 1, prior: []PowerState{off, on, off}, fn: aarch64.PSCISystemReset,
		action: ActionRestart, afterRequest: RequestSystemReset},
	{name: "SYSTEM_OFF after a SYSTEM_RESET request restarts", prior: []PowerState{on, on, off}, request: RequestSystemReset, fn: aarch64.PSCISystemOff,
		action: ActionRestart, afterRequest: RequestSystemReset},
	{name: "SYSTEM_RESET after a SYSTEM_OFF request stops", prior: []PowerState{on, on, off}, request: RequestSystemOff, fn: aarch64.PSCISystemReset,
		action: ActionStop, afterRequest: RequestSystemOff},
	{name: "SYSTEM_OFF has no SMC64 variant", prior: []PowerState{on, off, off}, fn: aarch64.PSCISystemOff | smc64, x0: -1},

	// SMCCC.
	{name: "SMCCC_VERSION is 1.1", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCVersion, x0: 0x1_0001},
	{name: "ARCH_FEATURES(SMCCC_VERSION)", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: aarch64.SMCCCVersion, x0: 0},
	{name: "ARCH_FEATURES(SMCCC_ARCH_FEATURES)", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: aarch64.SMCCCArchFeatures, x0: 0},
	{name: "ARCH_FEATURES reads w1 only", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: 0xffff_ffff_0000_0000 | aarch64.SMCCCVersion, x0: 0},
	{name: "ARCH_FEATURES(ARCH_WORKAROUND_1)", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: aarch64.SMCCCArchWorkaround1, x0: -1},
	{name: "ARCH_FEATURES(ARCH_WORKAROUND_2)", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: aarch64.SMCCCArchWorkaround2, x0: -1},
	{name: "ARCH_FEATURES(ARCH_WORKAROUND_3)", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: aarch64.SMCCCArchWorkaround3, x0: -1},
	{name: "ARCH_FEATURES(ARCH_SOC_ID)", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: smcccArchSoCID, x0: -1},
	{name: "ARCH_FEATURES(PSCI_VERSION) is not an Arm Architecture Service", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchFeatures, x1: aarch64.PSCIVersion, x0: -1},

	// Everything else: NOT_SUPPORTED, nothing changes.
	{name: "CPU_SUSPEND 64", prior: []PowerState{on, on, off}, fn: aarch64.PSCICPUSuspend64, x1: 0x1_0000, x2: ramBase, x0: -1},
	{name: "CPU_SUSPEND 32", prior: []PowerState{on, on, off}, fn: cpuSuspend32, x0: -1},
	{name: "MIGRATE", prior: []PowerState{on, off, off}, fn: migrate64, x1: 1, x0: -1},
	{name: "MIGRATE_INFO_UP_CPU", prior: []PowerState{on, off, off}, fn: migrateInfoUpCPU, x0: -1},
	{name: "SYSTEM_SUSPEND", prior: []PowerState{on, off, off}, fn: systemSuspend64, x1: ramBase, x0: -1},
	{name: "SYSTEM_RESET2", prior: []PowerState{on, off, off}, fn: systemReset2_64, x0: -1},
	{name: "MEM_PROTECT", prior: []PowerState{on, off, off}, fn: memProtect, x1: 1, x0: -1},
	{name: "ARCH_WORKAROUND_1 called", prior: []PowerState{on, off, off}, fn: aarch64.SMCCCArchWorkaround1, x0: -1},
	{name: "ARCH_SOC_ID called", prior: []PowerState{on, off, off}, fn: smcccArchSoCID, x0: -1},
	{name: "a vendor hypervisor service", prior: []PowerState{on, off, off}, fn: vendorHypService, x0: -1},
	{name: "function ID 0", prior: []PowerState{on, off, off}, fn: 0, x0: -1},
	{name: "function ID all ones", prior: []PowerState{on, off, off}, fn: ^uint64(0), x1: ^uint64(0), x2: ^uint64(0), x3: ^uint64(0), x0: -1},
}

func TestCall(t *testing.T) {
	for _, tc := range callCases {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPartition(t, tc.self)
			setState(p.state, tc.prior, tc.request)

			r := p.Call(tc.fn, tc.x1, tc.x2, tc.x3)

			wantAfter, wantRequest := tc.after, tc.afterRequest
			if wantAfter == nil {
				wantAfter = tc.prior
			}
			if tc.action == ActionNone {
				wantRequest = tc.request
			}
			assert.Equal(t, tc.x0, r.Code(), "x0: got %s", aarch64.PSCIReturnString(r.Code()))
			assert.Equal(t, [3]uint64{}, [3]uint64(r.X[1:]), "x1..x3")
			assert.Equal(t, tc.action, r.Action, "action")
			if tc.action == ActionWake {
				assert.Equal(t, tc.wake, r.VCPU, "vCPU to wake")
				assert.Equal(t, tc.wakeCore, r.Core, "core to wake")
				assert.Equal(t, tc.entry, p.state.vcpus[tc.wake].entry.Load(), "entry point")
				assert.Equal(t, tc.context, p.state.vcpus[tc.wake].context.Load(), "context ID")
			}
			assert.Equal(t, wantAfter, storedPowers(p), "power states after")
			assert.Equal(t, wantRequest, p.Request(), "request after")
			assertRunningCount(t, p)
		})
	}
}

// assertRunningCount checks the invariant CPU_OFF relies on: the running
// count is the number of vCPUs that are not OFF.
func assertRunningCount(t *testing.T, p *Partition) {
	t.Helper()
	notOff := 0
	for i := range p.state.vcpus {
		if PowerState(p.state.vcpus[i].power.Load()) != PowerOff {
			notOff++
		}
	}
	assert.Equal(t, uint32(notOff), p.state.running.Load(), "running count")
}

// Call runs on the trap path: no path through it allocates.
func TestCallAllocatesNothing(t *testing.T) {
	for _, tc := range callCases {
		p := newTestPartition(t, tc.self)
		allocs := testing.AllocsPerRun(20, func() {
			setState(p.state, tc.prior, tc.request)
			_ = p.Call(tc.fn, tc.x1, tc.x2, tc.x3)
		})
		assert.Zero(t, allocs, tc.name)
	}
	p := newTestPartition(t, 1)
	allocs := testing.AllocsPerRun(20, func() {
		setState(p.state, []PowerState{on, pend, off}, RequestNone)
		_, _, _ = p.TakeCPUOn(1)
		_ = p.Power(1)
		_ = p.Request()
		p.Reset()
	})
	assert.Zero(t, allocs, "TakeCPUOn, Power, Request, Reset")
}

// PSCI_FEATURES and the dispatcher agree: every PSCI function ID that
// PSCI_FEATURES reports is handled, and every other one gets NOT_SUPPORTED
// and changes nothing.
func TestFeaturesMatchCall(t *testing.T) {
	const psciFunctions = 0x20 // DEN 0022 defines IDs 0x00..0x15 so far
	for _, base := range []uint64{0x8400_0000, 0xc400_0000} {
		for id := base; id < base+psciFunctions; id++ {
			p := newTestPartition(t, 0)
			p.Reset()
			feature := p.Call(aarch64.PSCIFeatures, id, 0, 0).Code()
			// x1 = id keeps PSCI_FEATURES itself from answering -1
			// for function ID 0.
			r := p.Call(id, id, 0, 0)
			unsupported := r.Code() == aarch64.PSCINotSupported && r.Action == ActionNone
			assert.Equal(t, feature == aarch64.PSCINotSupported, unsupported, "function %#x: PSCI_FEATURES says %d, the call returned %d with action %s", id, feature, r.Code(), r.Action)
			if feature != aarch64.PSCINotSupported {
				assert.Equal(t, aarch64.PSCISuccess, feature, "function %#x has no feature flags", id)
			}
		}
	}
}

func TestTakeCPUOn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prior   []PowerState
		vcpu    int
		ok      bool
		entry   uint64
		context uint64
		after   []PowerState
	}{
		{name: "a pending CPU_ON", prior: []PowerState{on, pend, off}, vcpu: 1, ok: true, entry: ramBase + 0x40, context: 9, after: []PowerState{on, on, off}},
		{name: "an OFF vCPU", prior: []PowerState{on, off, off}, vcpu: 1, after: []PowerState{on, off, off}},
		{name: "an ON vCPU", prior: []PowerState{on, on, off}, vcpu: 1, after: []PowerState{on, on, off}},
		{name: "a vCPU whose CPU_ON is still being written", prior: []PowerState{on, claimed, off}, vcpu: 1, after: []PowerState{on, claimed, off}},
		{name: "vCPU -1", prior: []PowerState{on, pend, pend}, vcpu: -1, after: []PowerState{on, pend, pend}},
		{name: "a vCPU past the partition's", prior: []PowerState{on, pend, pend}, vcpu: 3, after: []PowerState{on, pend, pend}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPartition(t, 0)
			setState(p.state, tc.prior, RequestNone)
			for i := range p.vcpus {
				p.state.vcpus[i].entry.Store(ramBase + 0x40)
				p.state.vcpus[i].context.Store(9)
			}

			entry, context, ok := p.TakeCPUOn(tc.vcpu)

			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.entry, entry, "entry")
			assert.Equal(t, tc.context, context, "context")
			assert.Equal(t, tc.after, storedPowers(p))
			assertRunningCount(t, p)
		})
	}
}

// A CPU_ON followed by TakeCPUOn hands the target exactly what the caller
// passed, and the target is then ON for AFFINITY_INFO and CPU_ON.
func TestCPUOnThenTake(t *testing.T) {
	caller := newTestPartition(t, 0)
	caller.Reset()
	target, err := NewPartition(caller.state, testCPUMask, 3, testRAM)
	require.NoError(t, err)

	r := caller.Call(aarch64.PSCICPUOn64, 2, smallRAMBase+8, 0xfeed)
	require.Equal(t, ActionWake, r.Action)
	assert.Equal(t, int64(affinityOnPending), caller.Call(aarch64.PSCIAffinityInfo64, 2, 0, 0).Code())

	entry, context, ok := target.TakeCPUOn(target.Self())
	require.True(t, ok)
	assert.Equal(t, uint64(smallRAMBase+8), entry)
	assert.Equal(t, uint64(0xfeed), context)
	assert.Equal(t, int64(affinityOn), caller.Call(aarch64.PSCIAffinityInfo64, 2, 0, 0).Code())
	assert.Equal(t, aarch64.PSCIAlreadyOn, caller.Call(aarch64.PSCICPUOn64, 2, ramBase, 0).Code())
	_, _, again := target.TakeCPUOn(target.Self())
	assert.False(t, again, "a CPU_ON is taken once")
}

func TestReset(t *testing.T) {
	p := newTestPartition(t, 0)
	setState(p.state, []PowerState{off, pend, claimed}, RequestSystemReset)
	p.state.vcpus[1].entry.Store(ramBase)

	p.Reset()

	assert.Equal(t, []PowerState{on, off, off}, storedPowers(p))
	assert.Equal(t, RequestNone, p.Request())
	assert.Zero(t, p.state.vcpus[1].entry.Load(), "stale entry point")
	assertRunningCount(t, p)
	assert.Equal(t, ActionStop, p.Call(aarch64.PSCICPUOff, 0, 0, 0).Action, "vCPU 0 is the only one running after Reset")
}

func TestNames(t *testing.T) {
	for _, tc := range []struct {
		value fmt.Stringer
		want  string
	}{
		{ActionNone, "none"}, {ActionWake, "wake"}, {ActionPark, "park"}, {ActionStop, "stop"}, {ActionRestart, "restart"},
		{Action(5), "unknown action"},
		{PowerOff, "OFF"}, {PowerOnPending, "ON_PENDING"}, {PowerOn, "ON"}, {powerClaimed, "ON_PENDING"},
		{PowerState(4), "unknown power state"},
		{RequestNone, "none"}, {RequestSystemOff, "SYSTEM_OFF"}, {RequestSystemReset, "SYSTEM_RESET"},
		{Request(3), "unknown request"},
	} {
		assert.Equal(t, tc.want, tc.value.String())
	}
}
