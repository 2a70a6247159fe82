// Package psci is the PSCI 1.1 and SMCCC 1.1 service the hypervisor offers
// its partitions: it answers a guest's HVC or SMC function call for the
// calling partition alone, and it owns the power state of the partition's
// vCPUs.
//
// Each partition has one State, a pointer-free block in the hypervisor's
// shared region that the cores running the partition's vCPUs update with
// atomics only (DESIGN.md, "Per-core hypervisor instances"). Each of those
// cores holds a Partition: its own view of that State, of the partition's
// RAM and of which vCPU it runs. Partition.Call runs on the trap path: it
// allocates nothing, never blocks and never reaches the platform's
// firmware. Whatever the hypervisor must do besides writing the guest's
// result registers comes back as the Result's Action.
//
// Guests see dense vCPU numbers: vCPU i has MPIDR affinity 0.0.0.i
// (GuestMPIDR) and runs pinned on the core that is the i-th set bit of the
// partition's CPU mask (CoreOfVCPU).
//
// # What the firmware does with it
//
//   - Before a partition starts, and before it restarts, the partition's
//     first core calls Reset while none of the partition's vCPUs runs guest
//     code. Other vCPUs start parked.
//   - On a trapped HVC or SMC with immediate 0, it calls Call with x0..x3,
//     writes Result.X back to x0..x3 unless the Action says the caller does
//     not return, and acts on the Action.
//   - A parked vCPU's core loops: it stops if Request reports one, enters
//     the guest if TakeCPUOn succeeds, and otherwise waits for a doorbell.
//     Checking before waiting matters: the doorbell of a CPU_ON may arrive
//     before the core parks.
//
// # Choices the specification leaves open
//
//   - CPU_OFF of the partition's last running vCPU (no other vCPU ON or ON
//     PENDING) is allowed, as PSCI allows it of the system's last core, and
//     leaves nothing that could call CPU_ON again: it stops the partition as
//     SYSTEM_OFF would.
//   - SYSTEM_OFF and SYSTEM_RESET act on the calling partition only. When
//     two vCPUs ask at once, the first request wins and both see its Action.
//   - CPU_SUSPEND, MIGRATE and the other optional functions are not
//     implemented; PSCI_FEATURES says so. MIGRATE_INFO_TYPE reports that no
//     Trusted OS needs migrating.
//   - SMCCC_ARCH_FEATURES reports ARCH_WORKAROUND_1, 2 and 3 as not
//     supported: the hypervisor does not claim to mitigate those
//     vulnerabilities for its guests.
//
// References: Arm Power State Coordination Interface (DEN 0022, issue D:
// PSCI 1.1); SMC Calling Convention (DEN 0028, SMCCC 1.1 and later).
package psci

import "github.com/tamavisor/tamavisor/aarch64"

// Versions returned by PSCI_VERSION and SMCCC_VERSION: major in bits
// [30:16], minor in bits [15:0] (DEN 0022 "PSCI_VERSION"; DEN 0028
// "SMCCC_VERSION").
const (
	psciVersion  = 1<<16 | 1
	smcccVersion = 1<<16 | 1
)

// migrateNotRequired is MIGRATE_INFO_TYPE's answer when no Trusted OS is
// present or none needs migrating (DEN 0022 "MIGRATE_INFO_TYPE").
const migrateNotRequired = 2

// AFFINITY_INFO's answers for one vCPU (DEN 0022 "AFFINITY_INFO").
const (
	affinityOn        = 0
	affinityOff       = 1
	affinityOnPending = 2
)

// smc64 is the function ID bit that selects the SMC64 calling convention
// (DEN 0028, "Function Identifier", bit 30).
const smc64 = 1 << 30

// Action is what the hypervisor must do after a call, besides writing the
// guest's result registers.
type Action uint8

const (
	// ActionNone: return to the guest with Result.X.
	ActionNone Action = iota
	// ActionWake: a CPU_ON succeeded; return to the guest with Result.X
	// and send a doorbell to Result.Core, which runs Result.VCPU.
	ActionWake
	// ActionPark: CPU_OFF succeeded; the caller does not return. Park it
	// until TakeCPUOn hands it an entry point.
	ActionPark
	// ActionStop: stop the partition's vCPUs (SYSTEM_OFF, or CPU_OFF of
	// its last running vCPU). The caller does not return.
	ActionStop
	// ActionRestart: restart the partition (SYSTEM_RESET). The caller
	// does not return.
	ActionRestart
)

var actionNames = [...]string{"none", "wake", "park", "stop", "restart"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown action"
}

// Result is the outcome of one call.
type Result struct {
	// X holds x0..x3 as the guest finds them after the call. Functions
	// that return one value leave x1..x3 zero, so no value of the
	// hypervisor's leaks into them.
	X [4]uint64
	// Action is what the hypervisor does next.
	Action Action
	// VCPU is the vCPU to wake and Core the physical core it runs on,
	// both set only with ActionWake.
	VCPU int
	Core int
}

// Code returns x0 as a signed PSCI or SMCCC return code.
func (r Result) Code() int64 { return int64(r.X[0]) }

// returns is the Result of a call that returns value to the guest and needs
// nothing else. Negative codes are sign-extended to 64 bits, which SMC32
// callers read as their 32-bit form in w0.
func returns(value int64) Result {
	return Result{X: [4]uint64{uint64(value)}}
}

// Call answers the function call the calling vCPU made with fn in x0 and
// its arguments in x1..x3. Every function ID Call does not implement gets
// NOT_SUPPORTED (-1) and ActionNone.
func (p *Partition) Call(fn, x1, x2, x3 uint64) Result {
	// The function ID is w0. An SMC32 function takes its arguments in
	// w1..w3 and must ignore the upper halves (DEN 0028, "Function
	// Identifier" and "SMC32/HVC32 argument passing").
	id := uint64(uint32(fn))
	if id&smc64 == 0 {
		x1, x2, x3 = uint64(uint32(x1)), uint64(uint32(x2)), uint64(uint32(x3))
	}
	switch id {
	case aarch64.PSCIVersion:
		return returns(psciVersion)
	case aarch64.PSCIFeatures:
		return returns(psciFeature(uint32(x1)))
	case aarch64.PSCICPUOn32, aarch64.PSCICPUOn64:
		return p.cpuOn(x1, x2, x3)
	case aarch64.PSCICPUOff:
		return p.cpuOff()
	case aarch64.PSCIAffinityInfo32, aarch64.PSCIAffinityInfo64:
		return p.affinityInfo(x1, uint32(x2))
	case aarch64.PSCIMigrateInfoType:
		return returns(migrateNotRequired)
	case aarch64.PSCISystemOff:
		return p.request(RequestSystemOff)
	case aarch64.PSCISystemReset:
		return p.request(RequestSystemReset)
	case aarch64.SMCCCVersion:
		return returns(smcccVersion)
	case aarch64.SMCCCArchFeatures:
		return returns(archFeature(uint32(x1)))
	}
	return returns(aarch64.PSCINotSupported)
}

// psciFeature is PSCI_FEATURES' answer for function ID id: 0 for each
// function Call implements (none of them has feature flags), NOT_SUPPORTED
// for every other ID.
func psciFeature(id uint32) int64 {
	switch uint64(id) {
	case aarch64.PSCIVersion, aarch64.PSCIFeatures,
		aarch64.PSCICPUOn32, aarch64.PSCICPUOn64, aarch64.PSCICPUOff,
		aarch64.PSCIAffinityInfo32, aarch64.PSCIAffinityInfo64,
		aarch64.PSCIMigrateInfoType, aarch64.PSCISystemOff, aarch64.PSCISystemReset,
		// PSCI_FEATURES is how a caller learns that SMCCC_VERSION
		// exists (DEN 0028, "SMCCC_VERSION").
		aarch64.SMCCCVersion:
		return aarch64.PSCISuccess
	}
	return aarch64.PSCINotSupported
}

// archFeature is SMCCC_ARCH_FEATURES' answer for function ID id: 0 for the
// two Arm Architecture Service functions Call implements, NOT_SUPPORTED for
// the rest, the ARCH_WORKAROUND functions among them (DEN 0028,
// "SMCCC_ARCH_FEATURES").
func archFeature(id uint32) int64 {
	switch uint64(id) {
	case aarch64.SMCCCVersion, aarch64.SMCCCArchFeatures:
		return aarch64.PSCISuccess
	}
	return aarch64.SMCCCNotSupported
}

// cpuOn starts the vCPU whose MPIDR is target at entry with x0 = context
// (DEN 0022 "CPU_ON"). A call that fails several checks gets the first
// failure's code, checking the target, then the entry point, then the
// target's state.
func (p *Partition) cpuOn(target, entry, context uint64) Result {
	vcpu, ok := p.vcpuOfMPIDR(target)
	if !ok {
		return returns(aarch64.PSCIInvalidParams)
	}
	if !p.canEnterAt(entry) {
		return returns(aarch64.PSCIInvalidAddress)
	}
	v := &p.state.vcpus[vcpu]
	switch PowerState(v.power.Load()) {
	case PowerOn:
		return returns(aarch64.PSCIAlreadyOn)
	case PowerOnPending, powerClaimed:
		return returns(aarch64.PSCIOnPending)
	}
	if !v.power.CompareAndSwap(uint32(PowerOff), uint32(powerClaimed)) {
		// Since the load, another CPU_ON has claimed the vCPU: that
		// CPU_ON is pending now.
		return returns(aarch64.PSCIOnPending)
	}
	// Count the vCPU as running before the target can see its entry
	// point: a target that takes it and calls CPU_OFF at once must not
	// find itself the last one running while the caller still runs.
	p.state.running.Add(1)
	v.entry.Store(entry)
	v.context.Store(context)
	v.power.Store(uint32(PowerOnPending))
	core, _ := CoreOfVCPU(p.cpuMask, vcpu)
	return Result{Action: ActionWake, VCPU: vcpu, Core: core}
}

// cpuOff powers the calling vCPU down (DEN 0022 "CPU_OFF"). On success the
// call does not return; a vCPU the State does not show ON (only a Reset
// racing with the call does that) gets DENIED.
func (p *Partition) cpuOff() Result {
	if !p.state.vcpus[p.self].power.CompareAndSwap(uint32(PowerOn), uint32(PowerOff)) {
		return returns(aarch64.PSCIDenied)
	}
	// Only a running vCPU can start another, so once the count reaches
	// zero it stays there until Reset.
	if p.state.running.Add(^uint32(0)) == 0 {
		return p.request(RequestSystemOff)
	}
	return Result{Action: ActionPark}
}

// affinityInfo reports the power state of the vCPU whose MPIDR is target
// (DEN 0022 "AFFINITY_INFO"). vCPUs have no higher affinity levels, so
// level 0 is the only valid lowest level.
func (p *Partition) affinityInfo(target uint64, lowestLevel uint32) Result {
	vcpu, ok := p.vcpuOfMPIDR(target)
	if !ok || lowestLevel != 0 {
		return returns(aarch64.PSCIInvalidParams)
	}
	switch p.Power(vcpu) {
	case PowerOn:
		return returns(affinityOn)
	case PowerOnPending:
		return returns(affinityOnPending)
	}
	return returns(affinityOff)
}

// request records a partition-level request and returns the Action of the
// request in force: the first one made since the last Reset.
func (p *Partition) request(r Request) Result {
	if !p.state.request.CompareAndSwap(uint32(RequestNone), uint32(r)) {
		if earlier := Request(p.state.request.Load()); earlier != RequestNone {
			r = earlier
		}
	}
	if r == RequestSystemReset {
		return Result{Action: ActionRestart}
	}
	return Result{Action: ActionStop}
}
