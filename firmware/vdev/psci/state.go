package psci

import (
	"errors"
	"fmt"
	"math/bits"
	"sync/atomic"

	"github.com/tamavisor/tamavisor/board"
	"github.com/tamavisor/tamavisor/partition/table"
)

// MaxVCPUs is the most vCPUs a partition can have: one per bit of its CPU
// mask.
const MaxVCPUs = 64

// MaxRAMRegions is the most RAM regions a Partition checks CPU_ON entry
// points against.
const MaxRAMRegions = 16

// PowerState is a vCPU's power state as AFFINITY_INFO reports it.
type PowerState uint32

const (
	PowerOff PowerState = iota
	// PowerOnPending: a CPU_ON succeeded and the target's core has not
	// taken its entry point yet.
	PowerOnPending
	PowerOn

	// powerClaimed is stored only: a CPU_ON has won the vCPU and is
	// writing its entry point and context ID. Readers see PowerOnPending.
	powerClaimed
)

var powerNames = [...]string{"OFF", "ON_PENDING", "ON", "ON_PENDING"}

func (s PowerState) String() string {
	if int(s) < len(powerNames) {
		return powerNames[s]
	}
	return "unknown power state"
}

// Request is a partition-level request the firmware acts on.
type Request uint32

const (
	RequestNone Request = iota
	RequestSystemOff
	RequestSystemReset
)

var requestNames = [...]string{"none", "SYSTEM_OFF", "SYSTEM_RESET"}

func (r Request) String() string {
	if int(r) < len(requestNames) {
		return requestNames[r]
	}
	return "unknown request"
}

// vcpuPower is one vCPU's power state and, while a CPU_ON is pending, where
// the vCPU starts. Entry and context are written only while the state is
// powerClaimed, by the CPU_ON that claimed it, and read while it is
// PowerOnPending.
type vcpuPower struct {
	power   atomic.Uint32 // a PowerState
	_       uint32
	entry   atomic.Uint64
	context atomic.Uint64
}

// State is the PSCI state of one partition, shared by the cores that run
// its vCPUs. It holds no pointers, so it can live in the hypervisor's shared
// region, outside every core's Go heap; it is changed with atomics only.
// The zero State is a partition that has not started: every vCPU OFF.
type State struct {
	request atomic.Uint32 // a Request
	// running counts the vCPUs that are not OFF: the state of every
	// vCPU read at once, which CPU_OFF needs to know whether its caller
	// is the last one.
	running atomic.Uint32
	vcpus   [MaxVCPUs]vcpuPower
}

// Partition is one core's view of its partition: the shared State, the
// vCPUs, the RAM CPU_ON may enter, and the vCPU this core runs. Build it
// with NewPartition or FromTable.
type Partition struct {
	state   *State
	cpuMask uint64
	vcpus   int
	self    int
	ram     [MaxRAMRegions]board.Region
	numRAM  int
}

// NewPartition returns the view of core core on a partition whose vCPUs run
// on the cores set in cpuMask, whose PSCI state is state, and whose guest
// may start vCPUs in the RAM regions ram (IPA ranges).
func NewPartition(state *State, cpuMask uint64, core int, ram []board.Region) (Partition, error) {
	if state == nil {
		return Partition{}, errors.New("psci: no State; pass the partition's State in the shared region")
	}
	self, ok := VCPUOfCore(cpuMask, core)
	if !ok {
		return Partition{}, fmt.Errorf("psci: core %d is not in the partition's CPU mask %#x; build the view on one of the partition's cores", core, cpuMask)
	}
	if len(ram) == 0 {
		return Partition{}, errors.New("psci: the partition has no RAM, so no CPU_ON entry point could be valid; give it a RAM region")
	}
	if len(ram) > MaxRAMRegions {
		return Partition{}, fmt.Errorf("psci: %d RAM regions, at most %d are supported; merge adjacent memory regions", len(ram), MaxRAMRegions)
	}
	p := Partition{state: state, cpuMask: cpuMask, vcpus: bits.OnesCount64(cpuMask), self: self, numRAM: len(ram)}
	for i, r := range ram {
		if r.Size == 0 || r.Base+r.Size < r.Base {
			return Partition{}, fmt.Errorf("psci: RAM region %d (%v) is empty or wraps around the address space", i, r)
		}
		p.ram[i] = r
	}
	return p, nil
}

// FromTable returns the view of core core on partition index partition of a
// decoded partition table. CPU_ON may enter the partition's RAM regions that
// the guest may execute.
func FromTable(state *State, v table.View, partition int, core int) (Partition, error) {
	if partition < 0 || partition >= v.NumPartitions() {
		return Partition{}, fmt.Errorf("psci: partition %d does not exist; the table has %d", partition, v.NumPartitions())
	}
	p := v.Partition(partition)
	var ram [MaxRAMRegions]board.Region
	n := 0
	for j := p.Regions.First; j < p.Regions.End(); j++ {
		r := v.Region(int(j))
		if r.Kind != table.RegionRAM || r.Perm&table.PermExec == 0 {
			continue
		}
		if n == MaxRAMRegions {
			return Partition{}, fmt.Errorf("partition %q: more than %d executable RAM regions; merge adjacent memory regions in its config", p.Name, MaxRAMRegions)
		}
		ram[n] = board.Region{Base: r.IPA, Size: r.Size}
		n++
	}
	view, err := NewPartition(state, p.CPUMask, core, ram[:n])
	if err != nil {
		return Partition{}, fmt.Errorf("partition %q: %w", p.Name, err)
	}
	return view, nil
}

// VCPUs returns the number of the partition's vCPUs.
func (p *Partition) VCPUs() int { return p.vcpus }

// Self returns the vCPU this view's core runs.
func (p *Partition) Self() int { return p.self }

// Power returns vCPU vcpu's power state; PowerOff for a vCPU the partition
// does not have.
func (p *Partition) Power(vcpu int) PowerState {
	if vcpu < 0 || vcpu >= p.vcpus {
		return PowerOff
	}
	if s := PowerState(p.state.vcpus[vcpu].power.Load()); s != powerClaimed {
		return s
	}
	return PowerOnPending
}

// Request returns the partition-level request in force, RequestNone if
// there is none.
func (p *Partition) Request() Request { return Request(p.state.request.Load()) }

// TakeCPUOn collects the pending CPU_ON of vCPU vcpu and marks the vCPU ON.
// ok is false if no CPU_ON is pending for it. The firmware on vCPU vcpu's
// core calls it and enters the guest as DEN 0022 ("CPU_ON") prescribes:
// at EL1 in the caller's execution state, at entry, with x0 = context,
// interrupts masked and the MMU and caches off.
func (p *Partition) TakeCPUOn(vcpu int) (entry, context uint64, ok bool) {
	if vcpu < 0 || vcpu >= p.vcpus {
		return 0, 0, false
	}
	v := &p.state.vcpus[vcpu]
	if PowerState(v.power.Load()) != PowerOnPending {
		return 0, 0, false
	}
	// Entry and context do not change while the vCPU is pending, and
	// only its own core moves it on from there.
	entry, context = v.entry.Load(), v.context.Load()
	if !v.power.CompareAndSwap(uint32(PowerOnPending), uint32(PowerOn)) {
		return 0, 0, false
	}
	return entry, context, true
}

// Reset puts the partition's State in its power-on form: vCPU 0 ON, every
// other vCPU OFF, no request. Call it before the partition starts or
// restarts, while none of its vCPUs runs guest code.
func (p *Partition) Reset() {
	s := p.state
	for i := range s.vcpus {
		v := &s.vcpus[i]
		v.entry.Store(0)
		v.context.Store(0)
		if i == 0 {
			v.power.Store(uint32(PowerOn))
		} else {
			v.power.Store(uint32(PowerOff))
		}
	}
	s.running.Store(1)
	// Last, so a core that sees the request cleared sees the rest reset.
	s.request.Store(uint32(RequestNone))
}

// vcpuOfMPIDR returns the vCPU whose MPIDR affinity is mpidr. With dense
// affinities 0.0.0.i, any affinity above Aff0 and any bit outside the
// affinity fields (which DEN 0022 requires to be zero) makes mpidr too
// large to name a vCPU.
func (p *Partition) vcpuOfMPIDR(mpidr uint64) (int, bool) {
	if mpidr >= uint64(p.vcpus) {
		return 0, false
	}
	return int(mpidr), true
}

// canEnterAt reports whether a vCPU may start at entry: an aligned AArch64
// instruction that lies entirely inside the partition's RAM.
func (p *Partition) canEnterAt(entry uint64) bool {
	const instructionSize = 4
	if entry%instructionSize != 0 {
		return false
	}
	for _, r := range p.ram[:p.numRAM] {
		if r.Size >= instructionSize && entry >= r.Base && entry-r.Base <= r.Size-instructionSize {
			return true
		}
	}
	return false
}

// GuestMPIDR returns the MPIDR_EL1 value vCPU vcpu reads, which the
// hypervisor writes to VMPIDR_EL2: bit 31 is RES1, U (bit 30) and MT (bit
// 24) are zero, and Aff0 is the vCPU number (DDI 0487 D19.2 MPIDR_EL1).
func GuestMPIDR(vcpu int) uint64 {
	const res1 = 1 << 31
	return res1 | uint64(vcpu)
}

// VCPUOfCore returns the vCPU that physical core core runs for a partition
// with CPU mask cpuMask: vCPU i runs on the i-th set bit. ok is false if
// the core is not in the mask.
func VCPUOfCore(cpuMask uint64, core int) (vcpu int, ok bool) {
	if core < 0 || core >= 64 || cpuMask&(1<<core) == 0 {
		return 0, false
	}
	return bits.OnesCount64(cpuMask & (1<<core - 1)), true
}

// CoreOfVCPU returns the physical core that runs vCPU vcpu of a partition
// with CPU mask cpuMask. ok is false if the partition has no such vCPU.
//
// It counts no bits: the arm64 compiler counts them in a SIMD register,
// and the hypervisor's first FP/SIMD access after a guest exit costs the
// save of the guest's FP/SIMD registers (firmware/hv, lazyFP). SGIs take
// this path on every send.
func CoreOfVCPU(cpuMask uint64, vcpu int) (core int, ok bool) {
	if vcpu < 0 {
		return 0, false
	}
	for range vcpu {
		cpuMask &= cpuMask - 1 // clear the lowest set bit
	}
	if cpuMask == 0 {
		return 0, false // fewer vCPUs than that
	}
	return bits.TrailingZeros64(cpuMask), true
}
