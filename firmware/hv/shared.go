package hv

import (
	"github.com/tamavisor/tamavisor/firmware/lifecycle"
	vconsole "github.com/tamavisor/tamavisor/firmware/vdev/console"
	"github.com/tamavisor/tamavisor/firmware/vdev/doorbell"
	"github.com/tamavisor/tamavisor/firmware/vdev/psci"
	"github.com/tamavisor/tamavisor/firmware/vdev/sbsawdt"
	"github.com/tamavisor/tamavisor/firmware/vdev/vpl011"
	"github.com/tamavisor/tamavisor/gic/vgic"
	"github.com/tamavisor/tamavisor/internal/spin"
)

// MaxCPUs bounds the number of cores the shared region has room for.
const MaxCPUs = 8

// Core states, kept in CoreState.State.
const (
	CoreOff      uint32 = iota // never started
	CoreStarting               // CPU_ON issued, instance not up yet
	CoreUp                     // instance running
	CoreHalted                 // stopped in the safe state after a fault or panic
)

// BootParams is what a secondary core needs before its MMU is on. The boot
// core writes it with its own MMU still off, so it is in memory when the
// secondary reads it uncached. Offsets are used by the assembly entry
// (go_asm.h: BootParams_TTBR0, ...).
type BootParams struct {
	TTBR0    uint64
	TCR      uint64
	MAIR     uint64
	SCTLR    uint64
	StackTop uint64
	_        [3]uint64 // pad to a 64-byte cache line
}

// CoreState is one core's public state.
type CoreState struct {
	State uint32
	// HaltReported is set by the boot core once it reported this
	// core's halt.
	HaltReported uint32
	MPIDR        uint64
	SlotBase     uint64
	Mailbox      uint64
	// RingsDoorbell is set once the core's GIC CPU interface is up: from
	// then on it wakes the boot core with the doorbell SGI when it halts,
	// not with SEV alone.
	RingsDoorbell uint32
	_             uint32
	_             [3]uint64 // pad to a 64-byte cache line
}

// Shared is the layout of the region every instance maps at the same
// address. It holds no Go pointers: each core's runtime knows nothing of it.
type Shared struct {
	Boot [MaxCPUs]BootParams
	Core [MaxCPUs]CoreState
	// Output holds each core's console lines until a core writes them
	// to the UART; Writer is that core's state (see OutputWriter).
	Output [MaxCPUs]OutputRing
	Writer OutputWriter
	// ProbeWritten is set once core 1 has changed its copy of the
	// isolation probe variable (boot self-test).
	ProbeWritten uint32
	// AllUp is set by the boot core once every core reported up.
	AllUp uint32
	// PayloadBase and PayloadSize say where the image's payload segment
	// is mapped (read-only, on every core); size 0 when it has none.
	PayloadBase uint64
	PayloadSize uint64
	// Traps counts each core's guest exits by reason.
	Traps [MaxCPUs]TrapCounts
	// InputCore is the core (plus one; 0 for none yet) that takes the
	// physical UART's receive interrupt and moves typed bytes on to the
	// partitions: the first core with a vCPU to claim it. One core only,
	// so the bytes keep their order without a lock.
	InputCore uint32
	// ConsoleFocus is which partition keyboard input goes to.
	ConsoleFocus vconsole.State
	// SMMULock lets one core at a time drive the SMMU; SMMULog2 is the
	// size of its stream table, SMMUReady set once it translates, and
	// SMMUFaults counts its events.
	SMMULock   spin.Lock
	SMMULog2   uint32
	SMMUReady  uint32
	_          uint32
	SMMUFaults uint64
	// Partition holds what the cores of one partition share.
	Partition [MaxPartitions]PartitionState
}

// maxDoorbells bounds a partition's channel doorbells: the doorbell
// frames a board has room for (qemu-virt: 8).
const maxDoorbells = 8

// MaxPartitions bounds the partitions the shared region has room for: at
// most one per core.
const MaxPartitions = MaxCPUs

// PartitionState is the shared, pointer-free state of one partition.
type PartitionState struct {
	// Life is the partition's and its vCPUs' lifecycle: who runs, the
	// stop or restart under way, restart counts and reasons.
	Life lifecycle.State
	// VTTBR is the partition's stage-2 root and VMID, published by the
	// core of its vCPU 0 once the tables are built.
	VTTBR uint64
	// PSCI is the vCPUs' power state and the partition's pending
	// SYSTEM_OFF or SYSTEM_RESET.
	PSCI psci.State
	// UART is the partition's virtual PL011 (console: virtual).
	UART vpl011.State
	// Watchdog is the partition's virtual SBSA watchdog, if it has one.
	Watchdog sbsawdt.State
	// VGIC is the partition's virtual distributor and redistributors.
	VGIC vgic.State
	// SGIs holds, per vCPU, the virtual SGIs other vCPUs sent it (bit n
	// = SGI n), collected when the doorbell SGI reaches its core.
	SGIs [vgic.MaxVCPUs]uint32
	// Doorbells are the partition's channel doorbells, in the order of
	// its doorbell frames (DoorbellIndex).
	Doorbells [maxDoorbells]doorbell.State
	// FaultLines rate-limits the partition's fault lines.
	FaultLines LineLimit
	// CNTVOFF is the virtual counter offset of all the partition's
	// vCPUs: the physical count when it (re)started.
	CNTVOFF uint64
}
